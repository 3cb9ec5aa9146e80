"""HubSpot's CRM API, read for the sync: companies, contacts, calls, meetings, emails, deals, and owners.

    client = HubSpotClient(token=HUBSPOT_TOKEN, base_url=HUBSPOT_BASE_URL)
    for page in client.records("companies", since=watermark, resume=resume):   # see crm.pages
        ...

- **Full sync** (`since=None`): the list endpoint, 100 records a page by `after` cursor, then the same with
  `archived=true` so that deleted records are noticed.
- **Incremental** (`since=...`): the search endpoint on the modification-time property, ascending, 200 a
  page. Each request is a fresh query from the last modification time read (a moving window, "keyset"
  paging) rather than an `after` offset: no query is ever paged past its first page, so none comes near
  search's 10,000-results cap, and a record modified while the pass runs cannot shift the others past an
  offset unseen. Then the archived list, for deletions since the watermark.
- **Associations** (contacts, activities and deals to companies and contacts) are read in batches of up to
  1,000 ids per request, one batch per page and associated type.
- **Rate limits**: a token bucket under the account's per-10-second limit (190 by default) and another
  under search's per-second limit (4); the X-HubSpot-RateLimit-* headers shrink both (other apps share the
  account's allowance). A 429 is backed off (Retry-After, else the interval) and read: `policyName`
  DAILY raises DailyLimitReached, as does a Daily-Remaining of 0 before the request is sent. 5xx answers and
  timeouts are retried a bounded number of times; more than 5% error answers stop the run.

The API version lives in `API_VERSION` alone; the paths follow from it (`Paths`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from crm.errors import (
    AnswerTimedOut,
    ApiError,
    AuthFailed,
    DailyLimitReached,
    ErrorBudgetExceeded,
    RateLimited,
    ServerError,
    Unreachable,
)
from crm.fields import HUBSPOT_KINDS, HUBSPOT_OWNERS, HubSpotKind
from crm.limits import (
    Backoff,
    Clock,
    ErrorBudget,
    HubSpotLimits,
    SystemClock,
    TokenBucket,
    hubspot_limits,
    retry_after,
)
from crm.pages import CrmRecord, Cursor, Page, epoch_ms, floor_ms, from_epoch_ms, parse_time

# The one place of the API version. "2026-03" is HubSpot's first date-based version; "v3" gives the numeric
# paths (/crm/v3/objects, /crm/v4/associations, /crm/v3/owners), unsupported from September 2027.
API_VERSION = "2026-03"
DEFAULT_BASE_URL = "https://api.hubapi.com"
SOURCE = "hubspot"
LIST_PAGE = 100  # the list endpoints' largest page
SEARCH_PAGE = 200  # the search endpoints' largest page
SEARCH_CAP = 10_000  # search pages no further than this many results per query
ASSOCIATION_BATCH = 1_000  # ids per associations batch read
ONE_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Paths:
    """HubSpot's paths for one API version: date-based ("2026-03") or numeric ("v3")."""

    version: str = API_VERSION

    @property
    def numeric(self) -> bool:
        return re.fullmatch(r"v\d+", self.version) is not None

    def objects(self, object_type: str) -> str:
        if self.numeric:
            return f"/crm/{self.version}/objects/{object_type}"
        return f"/crm/objects/{self.version}/{object_type}"

    def search(self, object_type: str) -> str:
        return self.objects(object_type) + "/search"

    def associations(self, from_type: str, to_type: str) -> str:
        if self.numeric:  # associations were v4 while objects were v3
            return f"/crm/v4/associations/{from_type}/{to_type}/batch/read"
        return f"/crm/associations/{self.version}/{from_type}/{to_type}/batch/read"

    def owners(self) -> str:
        if self.numeric:
            return f"/crm/{self.version}/owners/"
        return f"/crm/owners/{self.version}/"


class HubSpotClient:
    """A synchronous reader of one HubSpot account. Use as a context manager, or call close()."""

    source = SOURCE

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_version: str = API_VERSION,
        interval_limit: int = 190,
        interval_seconds: float = 10.0,
        search_limit: int = 4,
        portal_timezone: str = "UTC",
        clock: Clock | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        rate_retries: int = 5,
        backoff: Backoff | None = None,
        settle: timedelta = timedelta(seconds=60),
        error_share: float = 0.05,
        error_allowance: int = 10,
        association_batch: int = LIST_PAGE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`interval_limit`: requests per `interval_seconds` for the whole account (190 for private apps
        and Service Keys on Professional/Enterprise; 100 on Free/Starter); `search_limit`: search requests
        per second. `portal_timezone` dates the daily reset. `settle`: how far behind now an incremental
        pass stops, for search's indexing delay and clock skew. `retries`: retries of a 5xx or timeout;
        `rate_retries`: of an interval 429. `association_batch`: how many records are read before their
        associations are (up to 1,000 ids a request): one list page by default; 1,000 reads ten list pages
        ahead and sends a tenth of the association requests (the pages are still yielded one by one, each
        with its own resume position)."""
        if not 1 <= association_batch <= ASSOCIATION_BATCH:
            raise ValueError(f"association_batch must be between 1 and {ASSOCIATION_BATCH}")
        if not token:
            raise AuthFailed(SOURCE, "HubSpot needs an access token (HUBSPOT_TOKEN): a Service Key or a "
                             "private app's access token")  # fmt: skip
        self.clock: Clock = clock or SystemClock()
        self.paths = Paths(api_version)
        self.bucket = TokenBucket.within(interval_limit, interval_seconds, self.clock)
        self.search_bucket = TokenBucket.within(search_limit, 1.0, self.clock)
        self.interval_limit = interval_limit
        self.zone = portal_timezone
        self._tz = ZoneInfo(portal_timezone)
        self.retries = retries
        self.rate_retries = rate_retries
        self.backoff = backoff or Backoff()
        self.settle = settle
        self.budget = ErrorBudget(error_share, error_allowance)
        self.association_batch = association_batch
        self.limits = HubSpotLimits()  # the headers of the last answer
        self._full_until = 0.0  # on the clock: the account's interval was full, wait till then
        self._daily_until: datetime | None = None  # the daily limit is spent until then (wall clock)
        self.requests: Counter[str] = Counter()  # per endpoint label ("list:companies", "search:deals", ...)
        self.sent = 0  # requests sent, retries included
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    # ------------------------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------ requests
    def _daily_reset(self) -> datetime:
        local = self.clock.now().astimezone(self._tz)
        return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=self._tz)

    def _daily_reached(self) -> DailyLimitReached:
        if self._daily_until is None:
            self._daily_until = self._daily_reset()
        return DailyLimitReached(SOURCE, daily=self.limits.daily, reset_at=self._daily_until, zone=self.zone)

    def _read_limits(self, headers: httpx.Headers) -> None:
        limits = hubspot_limits(headers)
        self.limits = limits
        if limits.daily_remaining is not None and limits.daily_remaining <= 0 and self._daily_until is None:
            self._daily_until = self._daily_reset()  # spent: the next request waits for the reset
        if limits.max and limits.interval_ms and limits.max < self.interval_limit and limits.max >= 2:
            # the account allows less than configured (a Starter account, or a lower tier): follow it
            self.interval_limit = limits.max
            self.bucket = TokenBucket.within(limits.max, limits.interval_ms / 1000, self.clock)
        if limits.remaining is not None:
            self.bucket.drain_to(limits.remaining)
            if limits.remaining <= 0:
                # the account's window is full (other apps share it): wait it out rather than spend a 429
                self._full_until = self.clock.monotonic() + (limits.interval_ms or 10_000) / 1000
        if limits.secondly_remaining is not None:
            self.search_bucket.drain_to(limits.secondly_remaining)

    def _request(
        self, method: str, path: str, label: str, *, params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None, search: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        failures = 0  # 5xx and timeouts
        limited = 0  # interval 429s
        while True:
            if self._daily_until is not None:
                if self.clock.now() < self._daily_until:
                    raise self._daily_reached()
                self._daily_until = None  # the reset has passed
            if self.budget.exceeded:
                raise ErrorBudgetExceeded(
                    SOURCE, errors=self.budget.errors, requests=self.budget.requests, share=self.budget.share
                )
            full = self._full_until - self.clock.monotonic()
            if full > 0:
                self.clock.sleep(full)
            self.bucket.acquire()
            if search:
                self.search_bucket.acquire()
            self.requests[label] += 1
            self.sent += 1
            try:
                response = self._http.request(method, path, params=params, json=body)
            except httpx.TimeoutException as exc:
                self.budget.count(error=True)
                failures += 1
                if failures > self.retries:
                    raise AnswerTimedOut(
                        SOURCE, f"HubSpot did not answer {method} {path} in time, {failures} times ({exc!r})"
                    ) from exc
                self.clock.sleep(self.backoff.delay(failures))
                continue
            except httpx.TransportError as exc:
                self.budget.count(error=True)
                failures += 1
                if failures > self.retries:
                    raise Unreachable(SOURCE, f"HubSpot could not be reached for {path}: {exc!r}") from exc
                self.clock.sleep(self.backoff.delay(failures))
                continue
            self._read_limits(response.headers)
            status = response.status_code
            if status < 400:
                self.budget.count(error=False)
                return _json(response)
            self.budget.count(error=True)
            answer = _json(response)
            message = str(answer.get("message") or response.reason_phrase)
            if status == 429:
                policy = str(answer.get("policyName") or "").upper()
                if "DAILY" in policy:
                    raise self._daily_reached()
                limited += 1
                if limited > self.rate_retries:
                    raise RateLimited(
                        SOURCE, f"HubSpot kept answering 429 ({policy or 'rate limit'}) to {path} after "
                        f"{self.rate_retries} back-offs: {message}",
                    )  # fmt: skip
                wait = retry_after(response.headers)
                if wait is None:
                    if search or "SECOND" in policy and "TEN" not in policy:
                        wait = 1.0
                    else:
                        wait = (self.limits.interval_ms or 10_000) / 1000
                self.bucket.drain_to(0)
                self.clock.sleep(wait)
                continue
            if status in (401, 403):
                raise AuthFailed(SOURCE, _auth_message(status, message, answer))
            if status >= 500:
                failures += 1
                if failures > self.retries:
                    raise ServerError(
                        SOURCE, f"HubSpot answered {status} to {method} {path} {failures} times: {message}",
                        status=status,
                    )  # fmt: skip
                self.clock.sleep(self.backoff.delay(failures))
                continue
            raise ApiError(
                SOURCE, f"HubSpot answered {status} to {method} {path}: {message}", status=status,
                code=str(answer.get("category") or "") or None,
            )  # fmt: skip

    # ------------------------------------------------------------------------------------ reading
    def records(
        self, kind: str, since: datetime | None = None, *, resume: str | None = None, deleted: bool = True
    ) -> Generator[Page, None, None]:
        """Pages of `kind` (see crm.pages for the contract). `deleted=False` skips the archived list (it
        costs a request per 100 archived records, which HubSpot keeps 90 days)."""
        if kind == HUBSPOT_OWNERS:
            yield from self._owners(since, resume)
            return
        spec = HUBSPOT_KINDS.get(kind)
        if spec is None:
            raise ValueError(
                f"HubSpot kind {kind!r}: use one of {', '.join([*HUBSPOT_KINDS, HUBSPOT_OWNERS])}"
            )
        if resume is not None:
            cursor = Cursor.load(resume, kind)
        else:
            until = floor_ms(self.clock.now() - self.settle)
            phase = "list" if since is None else "search"
            lo = None if since is None else floor_ms(since)
            cursor = Cursor(kind, phase, since=since, until=until, lo=lo)
        if cursor.phase == "list":
            yield from self._associated(spec, self._listed(spec, cursor, deleted))
        elif cursor.phase == "search":
            yield from self._associated(spec, self._searched(spec, cursor, deleted))
        if cursor.phase == "archived":
            yield from self._archived(spec, cursor)

    def _page(self, cursor: Cursor, records: list[CrmRecord], phase: str, sent: int, *, last: bool) -> Page:
        if last:
            return Page(cursor.kind, records, cursor.until, None, phase, self.sent - sent)
        return Page(cursor.kind, records, cursor.since, cursor.dump(), phase, self.sent - sent)

    def _properties(self, spec: HubSpotKind) -> list[str]:
        return (
            [*spec.properties, spec.modified] if spec.modified not in spec.properties else [*spec.properties]
        )

    def _listed(self, spec: HubSpotKind, cursor: Cursor, deleted: bool) -> Iterator[Page]:
        while True:
            sent = self.sent
            params: dict[str, Any] = {
                "limit": LIST_PAGE, "properties": ",".join(self._properties(spec)), "archived": "false",
            }  # fmt: skip
            if cursor.after:
                params["after"] = cursor.after
            answer = self._request("GET", self.paths.objects(spec.name), f"list:{spec.name}", params=params)
            records = [self._record(spec, raw, deleted=False) for raw in answer.get("results") or []]
            cursor.after = _next_after(answer)
            if cursor.after is None:
                if not deleted:
                    yield self._page(cursor, records, "list", sent, last=True)
                    return
                cursor.phase = "archived"
                yield self._page(cursor, records, "list", sent, last=False)
                return
            yield self._page(cursor, records, "list", sent, last=False)

    def _search_body(self, spec: HubSpotKind, filters: list[dict[str, str]], sort: str) -> dict[str, Any]:
        return {
            "filterGroups": [{"filters": filters}],
            "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
            "properties": self._properties(spec),
            "limit": SEARCH_PAGE,
        }

    def _searched(self, spec: HubSpotKind, cursor: Cursor, deleted: bool) -> Iterator[Page]:
        assert cursor.lo is not None
        path = self.paths.search(spec.name)
        until = str(epoch_ms(cursor.until))
        while True:
            sent = self.sent
            lo = cursor.lo
            seen = set(cursor.seen)
            filters = [
                {"propertyName": spec.modified, "operator": "GTE", "value": str(epoch_ms(lo))},
                {"propertyName": spec.modified, "operator": "LT", "value": until},
            ]
            answer = self._request(
                "POST", path, f"search:{spec.name}", body=self._search_body(spec, filters, spec.modified),
                search=True,
            )  # fmt: skip
            results = answer.get("results") or []
            records = [self._record(spec, raw, deleted=False) for raw in results]
            fresh = [r for r in records if r["modified_at"] > lo or r["id"] not in seen]
            if not fresh and len(results) >= SEARCH_PAGE:
                # a whole page modified in the same millisecond, all read: page that millisecond by id
                yield from self._tie(spec, cursor, lo)
                cursor.lo, cursor.seen = lo + ONE_MS, []
                continue
            for record in fresh:
                if record["modified_at"] > lo:
                    lo, seen = record["modified_at"], {record["id"]}
                else:
                    seen.add(record["id"])
            cursor.lo, cursor.seen = lo, sorted(seen)
            total = int(answer.get("total") or 0)
            if total <= len(results):
                if not deleted:
                    yield self._page(cursor, fresh, "search", sent, last=True)
                    return
                cursor.phase, cursor.after = "archived", None
                yield self._page(cursor, fresh, "search", sent, last=False)
                return
            yield self._page(cursor, fresh, "search", sent, last=False)

    def _tie(self, spec: HubSpotKind, cursor: Cursor, at: datetime) -> Iterator[Page]:
        """Everything modified in millisecond `at`, by ascending id (HubSpot sorts by one property only)."""
        last_id = "0"
        while True:
            sent = self.sent
            filters = [
                {"propertyName": spec.modified, "operator": "GTE", "value": str(epoch_ms(at))},
                {"propertyName": spec.modified, "operator": "LT", "value": str(epoch_ms(at + ONE_MS))},
                {"propertyName": "hs_object_id", "operator": "GT", "value": last_id},
            ]
            answer = self._request(
                "POST", self.paths.search(spec.name), f"search:{spec.name}",
                body=self._search_body(spec, filters, "hs_object_id"), search=True,
            )  # fmt: skip
            records = [self._record(spec, raw, deleted=False) for raw in answer.get("results") or []]
            if not records:
                return
            last_id = max(records, key=lambda r: int(r["id"]))["id"]
            cursor.lo, cursor.seen = at, sorted({*cursor.seen, *(r["id"] for r in records)})
            yield self._page(cursor, records, "search", sent, last=False)
            if int(answer.get("total") or 0) <= len(records):
                return

    def _archived(self, spec: HubSpotKind, cursor: Cursor) -> Iterator[Page]:
        while True:
            sent = self.sent
            params: dict[str, Any] = {
                "limit": LIST_PAGE, "properties": ",".join(self._properties(spec)), "archived": "true",
            }  # fmt: skip
            if cursor.after:
                params["after"] = cursor.after
            answer = self._request(
                "GET", self.paths.objects(spec.name), f"list-archived:{spec.name}", params=params
            )
            records = [self._record(spec, raw, deleted=True) for raw in answer.get("results") or []]
            if cursor.since is not None:
                records = [r for r in records if r["modified_at"] >= cursor.since]
            cursor.after = _next_after(answer)
            yield self._page(cursor, records, "archived", sent, last=cursor.after is None)
            if cursor.after is None:
                return

    def _owners(self, since: datetime | None, resume: str | None) -> Iterator[Page]:
        """Owners are few and have no search: every pass lists them all, live then archived."""
        if resume is not None:
            cursor = Cursor.load(resume, HUBSPOT_OWNERS)
        else:
            cursor = Cursor(
                HUBSPOT_OWNERS, "list", since=since, until=floor_ms(self.clock.now() - self.settle)
            )
        while True:
            sent = self.sent
            archived = cursor.phase == "archived"
            params: dict[str, Any] = {"limit": LIST_PAGE, "archived": "true" if archived else "false"}
            if cursor.after:
                params["after"] = cursor.after
            answer = self._request(
                "GET", self.paths.owners(), "owners-archived" if archived else "owners", params=params
            )
            records = [_owner(raw, archived) for raw in answer.get("results") or []]
            cursor.after = _next_after(answer)
            if cursor.after is None and not archived:
                cursor.phase = "archived"
                yield self._page(cursor, records, "list", sent, last=False)
                continue
            yield self._page(
                cursor, records, "archived" if archived else "list", sent, last=cursor.after is None
            )
            if cursor.after is None:
                return

    def _record(self, spec: HubSpotKind, raw: dict[str, Any], *, deleted: bool) -> CrmRecord:
        props = raw.get("properties") or {}
        stamp = props.get(spec.modified) or raw.get("updatedAt")
        if deleted:
            stamp = raw.get("archivedAt") or raw.get("updatedAt") or stamp
        return {
            "source": SOURCE,
            "kind": spec.name,
            "id": str(raw["id"]),
            "modified_at": _time(stamp),
            "deleted": deleted or bool(raw.get("archived")),
            "fields": {name: props.get(name) for name in spec.properties},
            "associations": {},
        }

    def _associated(self, spec: HubSpotKind, pages: Iterator[Page]) -> Iterator[Page]:
        """`pages` with their records' associations: read for `association_batch` records at a time (or
        what is left at the pass's last page), the requests counted on the first page of each group."""
        group: list[Page] = []
        size = 0
        for page in pages:
            group.append(page)
            size += len(page.records)
            if size >= self.association_batch or page.last or not spec.associations:
                sent = self.sent
                self._associate(spec, [r for p in group for r in p.records])
                group[0].requests += self.sent - sent
                yield from group
                group, size = [], 0
        if group:  # the pass went on to its archived list
            sent = self.sent
            self._associate(spec, [r for p in group for r in p.records])
            group[0].requests += self.sent - sent
            yield from group

    def _associate(self, spec: HubSpotKind, records: list[CrmRecord]) -> None:
        """Fill each record's associations (ids of the associated companies, contacts) in batch reads."""
        if not spec.associations or not records:
            return
        for to_type in spec.associations:
            found = self.associations(spec.name, to_type, [r["id"] for r in records])
            for record in records:
                record["associations"][to_type] = found.get(record["id"], [])

    def associations(self, from_type: str, to_type: str, ids: list[str]) -> dict[str, list[str]]:
        """id -> associated ids of `to_type`, in batches of up to 1,000 ids (and each id's further pages)."""
        found: dict[str, list[str]] = {i: [] for i in ids}
        path = self.paths.associations(from_type, to_type)
        label = f"associations:{from_type}->{to_type}"
        pending: list[dict[str, str]] = [{"id": i} for i in ids]
        while pending:
            batch, pending = pending[:ASSOCIATION_BATCH], pending[ASSOCIATION_BATCH:]
            answer = self._request("POST", path, label, body={"inputs": batch})
            for result in answer.get("results") or []:
                source_id = str((result.get("from") or {}).get("id"))
                targets = found.setdefault(source_id, [])
                targets.extend(str(t["toObjectId"]) for t in result.get("to") or [] if "toObjectId" in t)
                after = _next_after(result)
                if after is not None:
                    pending.append({"id": source_id, "after": after})
        return found

    def count(self, kind: str) -> int:
        """How many records of `kind` the account holds (for `accountbot crm connect`): one search request."""
        spec = HUBSPOT_KINDS[kind]
        answer = self._request(
            "POST", self.paths.search(spec.name), f"search:{spec.name}",
            body={"filterGroups": [], "properties": ["hs_object_id"], "limit": 1}, search=True,
        )  # fmt: skip
        return int(answer.get("total") or 0)


# ------------------------------------------------------------------------------------------- helpers


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {"results": data}


def _next_after(answer: dict[str, Any]) -> str | None:
    after = ((answer.get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after not in (None, "") else None


def _time(value: object) -> datetime:
    if value is None:
        raise ApiError(SOURCE, "HubSpot sent a record without a modification time", status=200)
    text = str(value)
    return from_epoch_ms(int(text)) if text.isdigit() else parse_time(text)


def _owner(raw: dict[str, Any], archived: bool) -> CrmRecord:
    return {
        "source": SOURCE,
        "kind": HUBSPOT_OWNERS,
        "id": str(raw["id"]),
        "modified_at": _time(raw.get("updatedAt") or raw.get("createdAt")),
        "deleted": archived or bool(raw.get("archived")),
        "fields": {k: raw.get(k) for k in ("id", "email", "firstName", "lastName", "userId", "type")},
        "associations": {},
    }


def _auth_message(status: int, message: str, answer: dict[str, Any]) -> str:
    if status == 401:
        return (
            f"HubSpot refused the access token (401: {message}). Check HUBSPOT_TOKEN: a Service Key or a "
            "private app's access token of this account, not revoked or rotated."
        )
    scopes = (answer.get("context") or {}).get("requiredGranularScopes") or []
    needed = f" It needs the scope(s) {', '.join(map(str, scopes))}." if scopes else ""
    return f"HubSpot refused the request (403: {message}).{needed} Grant the read scopes to the key or app."
