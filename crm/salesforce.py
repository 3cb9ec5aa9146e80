"""Salesforce's REST API, read for the sync: User, Account, Contact, Task, Event, Opportunity.

    client = SalesforceClient(SALESFORCE_LOGIN_URL, consumer_key, username, private_key_file="server.key")
    for page in client.records("Account", since=watermark, resume=resume):   # see crm.pages
        ...

- **Login**: the OAuth 2.0 JWT bearer flow. A JWT (iss = the connected app's consumer key, sub = the
  username, aud = login.salesforce.com or test.salesforce.com, exp in 3 minutes) signed with the private
  key of the certificate uploaded to the connected app is posted to `{login_url}/services/oauth2/token`;
  the answer's `instance_url` is where the API is. A 401 (INVALID_SESSION_ID: the session expired) logs in
  again once, then fails with AuthFailed.
- **Reading**: one SOQL query per pass, `queryAll` (deleted records too, with IsDeleted) ordered by
  SystemModstamp then Id, bounded above by the pass's start (less `settle`) and below by the watermark;
  then `nextRecordsUrl` until `done`, up to 2,000 records a batch. Fields the org lacks (CurrencyIsoCode in
  a single-currency org) are left out after one describe per object. The URI stays under Salesforce's
  16 KB: fields that do not fit are read by Id in further queries, their IN lists split to fit.
- **Limits**: `Sforce-Limit-Info: api-usage=used/max` is read on every answer; at `usage_share` (80% by
  default) of the 24-hour allocation the next request is not sent and AllocationLimitReached says why.
  403 REQUEST_LIMIT_EXCEEDED raises it too, without a retry. 5xx answers and timeouts are retried a
  bounded number of times.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Generator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from crm.errors import (
    AllocationLimitReached,
    AnswerTimedOut,
    ApiError,
    AuthFailed,
    CrmError,
    ServerError,
    Unreachable,
)
from crm.fields import SALESFORCE_KINDS, SalesforceKind
from crm.jwt import load_private_key, sign_rs256
from crm.limits import Backoff, Clock, SystemClock, salesforce_usage
from crm.pages import CrmRecord, Cursor, Page, floor_s, parse_time

API_VERSION = "v62.0"  # the one place of the REST API version
DEFAULT_LOGIN_URL = "https://login.salesforce.com"
SOURCE = "salesforce"
BATCH = 2_000  # records per query batch (Salesforce's largest)
MAX_URI = 16_384  # Salesforce refuses longer URIs (414); headers count towards the same 16 KB
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def default_audience(login_url: str) -> str:
    """The JWT's `aud`: test.salesforce.com for sandboxes, login.salesforce.com otherwise (My Domain too)."""
    host = (urlsplit(login_url).hostname or "").lower()
    if host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com"):
        return "https://test.salesforce.com"
    return "https://login.salesforce.com"


def soql_time(value: datetime) -> str:
    """A SOQL date-time literal (whole seconds, UTC)."""
    return floor_s(value).strftime("%Y-%m-%dT%H:%M:%SZ")


class SalesforceClient:
    """A synchronous reader of one Salesforce org. Use as a context manager, or call close()."""

    source = SOURCE

    def __init__(
        self,
        login_url: str = DEFAULT_LOGIN_URL,
        consumer_key: str = "",
        username: str = "",
        *,
        private_key: bytes | None = None,
        private_key_file: str | os.PathLike[str] | None = None,
        audience: str | None = None,
        api_version: str = API_VERSION,
        usage_share: float = 0.8,
        clock: Clock | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: Backoff | None = None,
        settle: timedelta = timedelta(seconds=60),
        max_uri: int = MAX_URI - 2_048,
        check_fields: bool = True,
        extra_fields: dict[str, list[str]] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`usage_share`: stop before a request once this share of the 24-hour allocation is used.
        `max_uri`: the longest request URI sent (Salesforce's limit less room for the headers).
        `extra_fields`: custom fields per object (the mapping file's), read like the profile's.
        `check_fields`: describe each object once and leave out the fields the org does not have."""
        if not consumer_key or not username:
            raise AuthFailed(SOURCE, "Salesforce needs the connected app's consumer key and the username "
                             "(SALESFORCE_CONSUMER_KEY, SALESFORCE_USERNAME)")  # fmt: skip
        if private_key is None:
            if private_key_file is None:
                raise AuthFailed(SOURCE, "Salesforce needs the private key file of the connected app's "
                                 "certificate (SALESFORCE_PRIVATE_KEY_FILE)")  # fmt: skip
            try:
                private_key = Path(private_key_file).read_bytes()
            except OSError as exc:
                raise AuthFailed(
                    SOURCE, f"the private key file {private_key_file} cannot be read: {exc}"
                ) from exc
        try:
            self._key = load_private_key(private_key)
        except ValueError as exc:
            raise AuthFailed(SOURCE, f"the Salesforce private key is unusable: {exc}") from exc
        if not 0 < usage_share <= 1:
            raise ValueError("usage_share must be above 0 and at most 1")
        self.login_url = login_url.rstrip("/")
        self.consumer_key = consumer_key
        self.username = username
        self.audience = audience or default_audience(login_url)
        self.api_version = api_version
        self.usage_share = usage_share
        self.clock: Clock = clock or SystemClock()
        self.retries = retries
        self.backoff = backoff or Backoff()
        self.settle = settle
        self.max_uri = max_uri
        self.check_fields = check_fields
        self.extra_fields = {k: list(v) for k, v in (extra_fields or {}).items()}
        self.access_token: str | None = None
        self.instance_url: str | None = None
        self.usage: tuple[int, int] | None = None  # (used, allowed) from the last Sforce-Limit-Info
        self.requests: Counter[str] = Counter()  # per label ("token", "query:Account", "describe:Account")
        self.sent = 0  # API requests sent (the token endpoint not counted: Salesforce does not count it)
        self.logins = 0
        self._described: dict[str, set[str]] = {}
        self._http = httpx.Client(
            timeout=timeout, transport=transport, headers={"Accept": "application/json"}
        )

    # ------------------------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------ login
    def login(self) -> None:
        """Get an access token and the instance URL by the JWT bearer flow."""
        claims = {
            "iss": self.consumer_key,
            "sub": self.username,
            "aud": self.audience,
            "exp": int(self.clock.now().timestamp()) + 180,
        }
        assertion = sign_rs256(claims, self._key)
        url = f"{self.login_url}/services/oauth2/token"
        form = {"grant_type": GRANT_TYPE, "assertion": assertion}
        failures = 0
        while True:
            self.requests["token"] += 1
            response, failures = self._send("POST", url, f"its login ({url})", failures, data=form)
            if response is None:
                continue
            if response.status_code >= 500:
                failures = self._failed(failures, ServerError(
                    SOURCE, f"Salesforce's login answered {response.status_code}", status=response.status_code
                ))  # fmt: skip
                continue
            break
        answer = _json(response)
        if response.status_code != 200 or not isinstance(answer, dict) or not answer.get("access_token"):
            error = answer.get("error") if isinstance(answer, dict) else None
            description = answer.get("error_description") if isinstance(answer, dict) else None
            raise AuthFailed(SOURCE, _login_message(response.status_code, error, description, self.username))
        self.logins += 1
        self.access_token = str(answer["access_token"])
        self.instance_url = str(answer.get("instance_url") or "").rstrip("/")
        if not self.instance_url:
            raise AuthFailed(SOURCE, "Salesforce's token answer names no instance_url")

    # ------------------------------------------------------------------------------------ requests
    def _send(
        self, method: str, url: str, what: str, failures: int, **options: Any
    ) -> tuple[httpx.Response | None, int]:
        """One attempt of a request (the login's or an API call's): its answer, or None after a timeout or a
        transport error once the back-off is waited; with the failures so far. Past `retries` failures it
        raises AnswerTimedOut or Unreachable."""
        try:
            return self._http.request(method, url, **options), failures
        except httpx.TimeoutException as exc:
            error: CrmError = AnswerTimedOut(
                SOURCE, f"Salesforce did not answer {what} in time, {failures + 1} times ({exc!r})"
            )
            return None, self._failed(failures, error, exc)
        except httpx.TransportError as exc:
            error = Unreachable(SOURCE, f"Salesforce could not be reached for {what}: {exc!r}")
            return None, self._failed(failures, error, exc)

    def _failed(self, failures: int, error: CrmError, cause: BaseException | None = None) -> int:
        """One more failed attempt (a timeout, a transport error, a 5xx): `error` once past `retries`, else the
        back-off is waited and the failures so far returned."""
        failures += 1
        if failures > self.retries:
            raise error from cause
        self.clock.sleep(self.backoff.delay(failures))
        return failures

    def _over_share(self) -> bool:
        if self.usage is None:
            return False
        used, allowed = self.usage
        return used >= self.usage_share * allowed

    def _url(self, path: str, params: dict[str, str] | None = None) -> str:
        if self.instance_url is None:
            self.login()
        assert self.instance_url is not None
        return str(httpx.URL(self.instance_url + path, params=params))

    def _api(self, path: str, label: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """GET an API path (relative to the instance), with the limits, the one re-login and the retries."""
        failures = 0
        refreshed = False
        while True:
            if self._over_share():
                used, allowed = self.usage or (None, None)
                raise AllocationLimitReached(SOURCE, used=used, allowed=allowed, share=self.usage_share)
            url = self._url(path, params)
            if len(url) > self.max_uri:
                raise ApiError(
                    SOURCE, f"a Salesforce request URI of {len(url):,} bytes is over {self.max_uri:,}",
                    status=414, code="URI_TOO_LONG",
                )  # fmt: skip
            self.requests[label] += 1
            self.sent += 1
            headers = {"Authorization": f"Bearer {self.access_token}"}
            response, failures = self._send("GET", url, label, failures, headers=headers)
            if response is None:
                continue
            usage = salesforce_usage(response.headers)
            if usage is not None:
                self.usage = usage
            status = response.status_code
            if status == 200:
                answer = _json(response)
                if not isinstance(answer, dict):
                    raise ApiError(SOURCE, f"Salesforce answered {label} with no JSON object", status=status)
                return answer
            code, message = _error(response)
            if status == 401:
                if refreshed:
                    raise AuthFailed(
                        SOURCE, f"Salesforce refused the new session too (401 {code}: {message}). Check that "
                        "the connected app still admits this user and that the user is active.",
                    )  # fmt: skip
                refreshed = True
                self.login()
                continue
            if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
                used, allowed = self.usage or (None, None)
                raise AllocationLimitReached(
                    SOURCE, used=used, allowed=allowed, share=self.usage_share, refused=message
                )
            if status == 403:
                raise AuthFailed(SOURCE, f"Salesforce refused {label} (403 {code}: {message}): check the "
                                 "user's profile or permission sets (API Enabled, read access).")  # fmt: skip
            if status >= 500:
                failures = self._failed(failures, ServerError(
                    SOURCE, f"Salesforce answered {status} to {label} {failures + 1} times: {message}",
                    status=status,
                ))  # fmt: skip
                continue
            raise ApiError(SOURCE, f"Salesforce answered {status} to {label}: {code} {message}".rstrip(),
                           status=status, code=code or None)  # fmt: skip

    def query(self, soql: str, *, all_rows: bool = False, label: str = "query") -> Iterator[dict[str, Any]]:
        """The answers of one SOQL query, batch by batch (`nextRecordsUrl` until `done`)."""
        endpoint = "queryAll" if all_rows else "query"
        answer = self._api(f"/services/data/{self.api_version}/{endpoint}/", label, {"q": soql})
        while True:
            yield answer
            next_url = answer.get("nextRecordsUrl")
            if answer.get("done", True) or not next_url:
                return
            answer = self._api(str(next_url), label + "-more")

    # ------------------------------------------------------------------------------------ fields
    def fields_of(self, kind: str) -> list[str]:
        """The fields read for `kind`: the profile's and the extra ones, less those the org lacks."""
        spec = SALESFORCE_KINDS[kind]
        wanted = list(dict.fromkeys([*spec.fields, *self.extra_fields.get(kind, [])]))
        if not self.check_fields:
            return wanted
        if kind not in self._described:
            answer = self._api(
                f"/services/data/{self.api_version}/sobjects/{kind}/describe/", f"describe:{kind}"
            )
            self._described[kind] = {str(f.get("name", "")).casefold() for f in answer.get("fields") or []}
        known = self._described[kind]
        return [f for f in wanted if f.casefold() in known]

    def _select(
        self, fields: list[str], base: list[str], where: str, kind: str, tail: str
    ) -> tuple[str, list[str]]:
        """The longest SELECT of `base` + a prefix of `fields` whose URI fits; returns it and the rest."""
        chosen = list(base)
        rest = list(fields)
        while rest:
            trial = [*chosen, rest[0]]
            if len(self._url(self._query_path(), {"q": _soql(trial, kind, where, tail)})) > self.max_uri:
                break
            chosen.append(rest.pop(0))
        soql = _soql(chosen, kind, where, tail)
        if len(self._url(self._query_path(), {"q": soql})) > self.max_uri:
            raise ApiError(SOURCE, f"even the shortest query of {kind} is over {self.max_uri:,} bytes",
                           status=414, code="URI_TOO_LONG")  # fmt: skip
        return soql, rest

    def _query_path(self) -> str:
        return f"/services/data/{self.api_version}/queryAll/"

    def _fill(self, spec: SalesforceKind, records: list[CrmRecord], fields: list[str]) -> None:
        """Read `fields` of `records` by Id, in as many queries as the URI allows; merge them in."""
        by_id = {r["id"]: r for r in records}
        ids = list(by_id)
        pending = list(fields)
        while pending and ids:
            # as many fields as fit beside a one-id IN list, then as many ids as fit beside those fields
            _, rest = self._select(pending, ["Id"], f"Id IN ({_quoted(ids[:1])})", spec.name, "")
            chunk, pending = pending[: len(pending) - len(rest)], rest
            for group in self._id_groups(ids, chunk, spec.name):
                soql = _soql(["Id", *chunk], spec.name, f"Id IN ({_quoted(group)})", "")
                for answer in self.query(soql, all_rows=spec.deletable, label=f"fields:{spec.name}"):
                    for raw in answer.get("records") or []:
                        record = by_id.get(str(raw.get("Id")))
                        if record is not None:
                            record["fields"].update({f: raw.get(f) for f in chunk})

    def _id_groups(self, ids: list[str], chunk: list[str], kind: str) -> Iterator[list[str]]:
        """`ids` in runs whose `Id IN (...)` query of `chunk` fits the URI."""
        base = len(self._url(self._query_path(), {"q": _soql(["Id", *chunk], kind, "Id IN ()", "")}))
        group: list[str] = []
        size = base
        for record_id in ids:
            cost = len(str(httpx.QueryParams({"q": _quoted([record_id]) + ", "}))) - 2
            if group and size + cost > self.max_uri:
                yield group
                group, size = [], base
            group.append(record_id)
            size += cost
        if group:
            yield group

    # ------------------------------------------------------------------------------------ reading
    def records(
        self, kind: str, since: datetime | None = None, *, resume: str | None = None
    ) -> Generator[Page, None, None]:
        """Pages of `kind` (see crm.pages for the contract), deleted records included (IsDeleted)."""
        spec = SALESFORCE_KINDS.get(kind)
        if spec is None:
            raise ValueError(f"Salesforce kind {kind!r}: use one of {', '.join(SALESFORCE_KINDS)}")
        if resume is not None:
            cursor = Cursor.load(resume, kind)
        else:
            cursor = Cursor(
                kind, "query", since=since, until=floor_s(self.clock.now() - self.settle), lo=since
            )
        fields = [f for f in self.fields_of(kind) if f not in ("Id", "SystemModstamp", "IsDeleted")]
        base = ["Id", "SystemModstamp", *(["IsDeleted"] if spec.deletable else [])]
        where = f"SystemModstamp < {soql_time(cursor.until)}"
        if cursor.lo is not None:
            where = f"SystemModstamp >= {soql_time(cursor.lo)} AND {where}"
        soql, rest = self._select(fields, base, where, kind, " ORDER BY SystemModstamp ASC, Id ASC")
        label = f"query:{kind}"
        sent = self.sent
        for answer in self.query(soql, all_rows=spec.deletable, label=label):
            records = [self._record(spec, raw, fields) for raw in answer.get("records") or []]
            if cursor.lo is not None:  # SOQL bounds by whole seconds: drop what precedes the exact bound
                records = [r for r in records if r["modified_at"] >= cursor.lo]
            if rest:
                self._fill(spec, records, rest)
            if records:  # a resumed pass starts here (re-reading only what was modified at this very time)
                cursor.lo = records[-1]["modified_at"]
            last = bool(answer.get("done", True)) or not answer.get("nextRecordsUrl")
            page = Page(kind, records, cursor.until if last else cursor.since, None if last else cursor.dump(),
                        "query", self.sent - sent)  # fmt: skip
            sent = self.sent
            yield page

    def _record(self, spec: SalesforceKind, raw: dict[str, Any], fields: list[str]) -> CrmRecord:
        stamp = raw.get("SystemModstamp")
        if not stamp:
            raise ApiError(SOURCE, f"Salesforce sent a {spec.name} without SystemModstamp", status=200)
        return {
            "source": SOURCE,
            "kind": spec.name,
            "id": str(raw["Id"]),
            "modified_at": parse_time(str(stamp)),
            "deleted": bool(raw.get("IsDeleted", False)),
            "fields": {"Id": raw.get("Id"), **{f: raw.get(f) for f in fields}},
            "associations": {},
        }

    def count(self, kind: str) -> int:
        """How many live records of `kind` the org holds (for `accountbot crm connect`)."""
        SALESFORCE_KINDS[kind]  # KeyError for an unknown kind
        soql = f"SELECT COUNT() FROM {kind}"  # noqa: S608 - SOQL of a known object name
        answer = next(self.query(soql, label=f"count:{kind}"))
        return int(answer.get("totalSize") or 0)


# ------------------------------------------------------------------------------------------- helpers


def _soql(fields: list[str], kind: str, where: str, tail: str) -> str:
    """SOQL from our own field lists, object names, time literals and quoted ids (no user text)."""
    return f"SELECT {', '.join(fields)} FROM {kind}" + (f" WHERE {where}" if where else "") + tail  # noqa: S608 - SOQL, not SQL


def _quoted(ids: list[str]) -> str:
    return ", ".join("'" + i.replace("\\", "\\\\").replace("'", "\\'") + "'" for i in ids)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error(response: httpx.Response) -> tuple[str, str]:
    """Salesforce's error answer: a JSON array of {"errorCode", "message"} (or text, for a 414)."""
    data = _json(response)
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return str(data[0].get("errorCode") or ""), str(data[0].get("message") or "")
    if isinstance(data, dict):
        return str(data.get("errorCode") or data.get("error") or ""), str(data.get("message") or "")
    return "", response.text[:200] or response.reason_phrase


def _login_message(status: int, error: object, description: object, username: str) -> str:
    text = f"Salesforce refused the login ({status} {error or ''}: {description or 'no reason given'})."
    hints = {
        "user hasn't approved this consumer": " Pre-authorize the user: in the connected app's policies set "
        "'Permitted Users' to 'Admin approved users are pre-authorized' and add the user's profile or a "
        "permission set.",
        "invalid assertion": " The JWT was not accepted: check that the certificate uploaded to the connected "
        "app matches SALESFORCE_PRIVATE_KEY_FILE and that this machine's clock is right.",
        "user hasn't been approved": " Pre-authorize the user in the connected app's policies.",
        "invalid_client_id": " Check SALESFORCE_CONSUMER_KEY (the connected app's consumer key).",
    }
    for needle, hint in hints.items():
        if needle in str(description).lower() or needle in str(error).lower():
            return text + hint
    if "audience" in str(description).lower():
        return text + " Check SALESFORCE_LOGIN_URL: test.salesforce.com for a sandbox."
    return text + f" Check the consumer key, the username ({username}) and the key file."
