"""A loopback fake of HubSpot's CRM API: a real HTTP server on 127.0.0.1:<free port>.

It serves the paths of the API version the client uses (crm.hubspot.Paths: date-based "2026-03" or "v3"),
modelled on HubSpot's documented shapes:

- list: `GET {objects}/{type}?limit&after&properties&archived` - 100 a page at most, `paging.next.after`;
  `archived=true` lists only archived records (with `archivedAt`).
- search: `POST {objects}/{type}/search` - filterGroups (OR of ANDed filters: EQ NEQ LT LTE GT GTE
  BETWEEN IN HAS_PROPERTY), one sort, 200 a page at most, `total`, an `after` offset that may not reach
  10,000 (a 400 beyond, as HubSpot answers); archived records are not searchable; records tied on the sort
  property come in no particular order. A modification-time filter on a property the type does not have
  (contacts have `lastmodifieddate`, not `hs_lastmodifieddate`) is a 400.
- associations: `POST .../{from}/{to}/batch/read` - at most 1,000 inputs; per input `association_page`
  targets and a `paging.next.after`; ids without associations come back as errors, with status 207.
- owners: `GET {owners}?limit&after&archived`.
- a bearer token check (401), X-HubSpot-RateLimit-* headers on every answer (Daily, Daily-Remaining,
  Interval-Milliseconds, Max, Remaining; Secondly and Secondly-Remaining on search), a rolling per-interval
  limit for the whole account (`other_app(n)` spends some of it as another app would), search's per-second
  limit and a daily limit, each answered 429 with HubSpot's JSON body and its `policyName`
  ("TEN_SECONDLY_ROLLING", "SECONDLY", "DAILY").

The rolling windows count on `clock` (pass the client's FakeClock so that no test waits for real).

    with FakeHubSpot(clock=clock) as hs:
        hs.add_many("companies", 250, start=T0)
        hs.fail_next("search:companies", status=429, policy="DAILY")
        hs.slow_next("list:companies", seconds=0.5)
        assert hs.counts["list:companies"] == 3

Endpoint labels (for `counts`, `fail_next`, `slow_next`): "list:{type}", "list-archived:{type}",
"search:{type}", "associations:{from}->{to}", "owners", "owners-archived", "*" for any.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import socket
import threading
import time
import uuid
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crm.hubspot import API_VERSION, Paths
from crm.limits import Clock, SystemClock
from tests.fakes.loopback import LoopbackServer

TOKEN = "pat-na1-fake-token"
OBJECT_TYPES = ("companies", "contacts", "calls", "meetings", "emails", "deals")
# HubSpot's modification-time property per type: contacts have their own name for it
MODIFIED = {t: ("lastmodifieddate" if t == "contacts" else "hs_lastmodifieddate") for t in OBJECT_TYPES}
TIME_PROPERTIES = {"createdate", "hs_lastmodifieddate", "lastmodifieddate", "hs_timestamp"}
SEARCH_CAP = 10_000


def hs_time(value: datetime) -> str:
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


@functools.cache
def _ms(value: datetime) -> int:
    return (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _parse_time(text: str) -> int:
    """A filter value: ms since 1970 or an ISO date-time -> ms."""
    text = str(text).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    value = datetime.fromisoformat(text)
    return _ms(value if value.tzinfo else value.replace(tzinfo=UTC))


@dataclass
class HsRecord:
    id: str
    properties: dict[str, str | None]
    created: datetime
    modified: datetime
    archived: bool = False
    archived_at: datetime | None = None


@dataclass
class _Failure:
    status: int
    remaining: int
    policy: str | None = None
    retry_after: float | None = None
    body: dict[str, Any] | None = None


@dataclass
class HsCall:
    label: str
    method: str
    path: str
    status: int
    at: float  # on the fake's clock
    body: Any = None
    params: dict[str, list[str]] = field(default_factory=dict)


class FakeHubSpot(LoopbackServer):
    """The fake server. Use as a context manager, or call start() / close()."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        version: str = API_VERSION,
        clock: Clock | None = None,
        interval_limit: int = 190,
        interval_ms: int = 10_000,
        search_limit: int = 4,
        daily_limit: int = 500_000,
        association_page: int = 500,
    ) -> None:
        self.token = token
        self.paths = Paths(version)
        self.clock: Clock = clock or SystemClock()
        self.interval_limit = interval_limit
        self.interval_ms = interval_ms
        self.search_limit = search_limit
        self.daily_limit = daily_limit
        self.daily_used = 0
        self.association_page = association_page
        self.objects: dict[str, dict[str, HsRecord]] = {t: {} for t in OBJECT_TYPES}
        self.owners: dict[str, dict[str, Any]] = {}
        self.assoc: dict[tuple[str, str], dict[str, set[str]]] = {}
        self.counts: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.calls: list[HsCall] = []
        self.admitted: list[float] = []  # when each request the limits let through came (fake clock)
        self._window: deque[float] = deque()  # the account's requests in the rolling interval
        self._search_window: deque[float] = deque()
        self._failures: dict[str, deque[_Failure]] = {}
        self._slow: dict[str, deque[list[float]]] = {}
        self._ids = itertools.count(1001)
        self._lock = threading.RLock()
        self._routes = self._route_table()

    # ---------------------------------------------------------------- lifecycle
    thread_name = "fake-hubspot"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    # ---------------------------------------------------------------- data
    def add(
        self,
        object_type: str,
        properties: dict[str, Any] | None = None,
        *,
        modified: datetime,
        created: datetime | None = None,
        id: str | None = None,  # noqa: A002 - HubSpot's name
        archived_at: datetime | None = None,
    ) -> str:
        with self._lock:
            record_id = id or str(next(self._ids))
            props = {k: (None if v is None else str(v)) for k, v in (properties or {}).items()}
            record = HsRecord(record_id, props, created or modified, modified)
            if archived_at is not None:
                record.archived, record.archived_at = True, archived_at
            self.objects[object_type][record_id] = record
            return record_id

    def add_many(
        self,
        object_type: str,
        n: int,
        *,
        start: datetime,
        step: timedelta = timedelta(seconds=1),
        properties: dict[str, Any] | None = None,
    ) -> list[str]:
        """`n` records modified at start, start + step, ...; each named "<type> <i>"."""
        ids = []
        for i in range(n):
            props = {"name": f"{object_type} {i}", **(properties or {})}
            ids.append(self.add(object_type, props, modified=start + step * i))
        return ids

    def modify(self, object_type: str, record_id: str, at: datetime, **properties: Any) -> None:
        with self._lock:
            record = self.objects[object_type][record_id]
            record.modified = at
            record.properties.update({k: None if v is None else str(v) for k, v in properties.items()})

    def archive(self, object_type: str, record_id: str, at: datetime) -> None:
        with self._lock:
            record = self.objects[object_type][record_id]
            record.archived, record.archived_at, record.modified = True, at, at

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """An association both ways, as HubSpot keeps them."""
        with self._lock:
            self.assoc.setdefault((from_type, to_type), {}).setdefault(from_id, set()).add(to_id)
            self.assoc.setdefault((to_type, from_type), {}).setdefault(to_id, set()).add(from_id)

    def add_owner(
        self, email: str, *, first: str = "", last: str = "", modified: datetime, archived: bool = False
    ) -> str:
        with self._lock:
            owner_id = str(next(self._ids))
            self.owners[owner_id] = {
                "id": owner_id, "email": email, "firstName": first, "lastName": last,
                "userId": int(owner_id) + 9_000_000, "type": "PERSON", "createdAt": hs_time(modified),
                "updatedAt": hs_time(modified), "archived": archived,
            }  # fmt: skip
            return owner_id

    # ---------------------------------------------------------------- failures and load
    def fail_next(
        self,
        endpoint: str = "*",
        *,
        status: int,
        times: int = 1,
        policy: str | None = None,
        retry_after: float | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """The next `times` requests to `endpoint` answer `status` (429: with `policy`, default
        TEN_SECONDLY_ROLLING; Retry-After only when `retry_after` is given)."""
        if status == 429 and policy is None:
            policy = "TEN_SECONDLY_ROLLING"
        with self._lock:
            self._failures.setdefault(endpoint, deque()).append(
                _Failure(status, times, policy, retry_after, body)
            )

    def slow_next(self, endpoint: str = "*", *, seconds: float, times: int = 1) -> None:
        """The next `times` requests to `endpoint` wait `seconds` (real time) before answering."""
        with self._lock:
            self._slow.setdefault(endpoint, deque()).append([seconds, times])

    def other_app(self, requests: int) -> None:
        """Another app of the account sends `requests` now: they count in the rolling interval."""
        with self._lock:
            now = self.clock.monotonic()
            self._window.extend([now] * requests)

    def answered(self, status: int) -> int:
        with self._lock:
            return self.statuses[status]

    def max_in_window(self) -> int:
        """The most requests this fake admitted (answered, not refused) in any one rolling interval."""
        with self._lock:
            times = sorted(self.admitted)
        best, start = 0, 0
        span = self.interval_ms / 1000
        for end, t in enumerate(times):
            while times[start] <= t - span:
                start += 1
            best = max(best, end - start + 1)
        return best

    # ---------------------------------------------------------------- routing
    def _route_table(self) -> dict[tuple[str, str], tuple[str, str, str]]:
        table: dict[tuple[str, str], tuple[str, str, str]] = {}
        for t in OBJECT_TYPES:
            table[("GET", self.paths.objects(t))] = ("list", t, "")
            table[("POST", self.paths.search(t))] = ("search", t, "")
            for to in OBJECT_TYPES:
                table[("POST", self.paths.associations(t, to))] = ("associations", t, to)
        owners = self.paths.owners()
        table[("GET", owners)] = ("owners", "", "")
        table[("GET", owners.rstrip("/"))] = ("owners", "", "")
        return table

    def _take(self, table: dict[str, deque[Any]], label: str) -> Any:
        for key in (label, "*"):
            queue = table.get(key)
            if queue:
                item = queue[0]
                if isinstance(item, _Failure):
                    item.remaining -= 1
                    if item.remaining <= 0:
                        queue.popleft()
                else:
                    item[1] -= 1
                    if item[1] <= 0:
                        queue.popleft()
                return item
        return None

    def _limit_headers(self, search: bool) -> dict[str, str]:
        remaining = max(0, self.interval_limit - len(self._window))
        headers = {
            "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_limit - self.daily_used)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.interval_ms),
            "X-HubSpot-RateLimit-Max": str(self.interval_limit),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
        }
        if search:
            headers["X-HubSpot-RateLimit-Secondly"] = str(self.search_limit)
            headers["X-HubSpot-RateLimit-Secondly-Remaining"] = str(
                max(0, self.search_limit - len(self._search_window))
            )
        return headers

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any, float]:
        """(status, headers, JSON answer, real seconds to wait before answering) for one request."""
        parts = urlsplit(raw_path)
        params = parse_qs(parts.query, keep_blank_values=True)
        route = self._routes.get((method, parts.path))
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        with self._lock:
            now = self.clock.monotonic()
            while self._window and self._window[0] <= now - self.interval_ms / 1000:
                self._window.popleft()
            while self._search_window and self._search_window[0] <= now - 1.0:
                self._search_window.popleft()
            if route is None:
                label = f"unknown:{method} {parts.path}"
            elif route[0] == "list":
                archived = (params.get("archived") or ["false"])[0] == "true"
                label = f"list-archived:{route[1]}" if archived else f"list:{route[1]}"
            elif route[0] == "owners":
                archived = (params.get("archived") or ["false"])[0] == "true"
                label = "owners-archived" if archived else "owners"
            elif route[0] == "associations":
                label = f"associations:{route[1]}->{route[2]}"
            else:
                label = f"search:{route[1]}"
            search = route is not None and route[0] == "search"
            self.counts[label] += 1
            slow = self._take(self._slow, label)
            delay = float(slow[0]) if slow else 0.0
            status, answer, extra = self._answer(method, route, label, params, payload, headers, now, search)
            self.statuses[status] += 1
            self.calls.append(HsCall(label, method, parts.path, status, now, payload, params))
            out = {**self._limit_headers(search), **extra}
            return status, out, answer, delay

    def _error(self, message: str, category: str, **extra: Any) -> dict[str, Any]:
        return {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category,
                **extra}  # fmt: skip

    def _answer(
        self, method: str, route: tuple[str, str, str] | None, label: str, params: dict[str, list[str]],
        payload: Any, headers: dict[str, str], now: float, search: bool,
    ) -> tuple[int, Any, dict[str, str]]:  # fmt: skip
        auth = headers.get("authorization", "")
        if auth != f"Bearer {self.token}":
            return 401, self._error(
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
                "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                "INVALID_AUTHENTICATION",
            ), {}  # fmt: skip
        failure = self._take(self._failures, label)
        if failure is not None:
            extra = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
            if failure.status == 429:
                return 429, self._rate_body(failure.policy or "TEN_SECONDLY_ROLLING"), extra
            return failure.status, failure.body or self._error("internal error", "INTERNAL_ERROR"), extra
        if self.daily_used >= self.daily_limit:
            return 429, self._rate_body("DAILY"), {}
        if len(self._window) >= self.interval_limit:
            return 429, self._rate_body("TEN_SECONDLY_ROLLING"), {}
        if search and len(self._search_window) >= self.search_limit:
            return 429, self._rate_body("SECONDLY"), {}
        self.daily_used += 1
        self._window.append(now)
        self.admitted.append(now)
        if search:
            self._search_window.append(now)
        if route is None:
            return 404, self._error(f"No route for {label}", "OBJECT_NOT_FOUND"), {}
        kind, object_type, to_type = route
        if kind == "list":
            return self._list(object_type, params)
        if kind == "owners":
            return self._owners(params)
        if kind == "associations":
            return self._associations(object_type, to_type, payload)
        return self._search(object_type, payload)

    def _rate_body(self, policy: str) -> dict[str, Any]:
        message = {
            "DAILY": "You have reached your daily limit.",
            "SECONDLY": "You have reached your secondly limit.",
        }.get(policy, "You have reached your ten_secondly_rolling limit.")
        return {"status": "error", "message": message, "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()), "policyName": policy,
                "requestId": str(uuid.uuid4())}  # fmt: skip

    # ---------------------------------------------------------------- endpoints
    def _shown(self, object_type: str, record: HsRecord, wanted: Iterable[str]) -> dict[str, Any]:
        modified = MODIFIED[object_type]
        props: dict[str, Any] = {p: record.properties.get(p) for p in wanted}
        props.update({"hs_object_id": record.id, "createdate": hs_time(record.created),
                      modified: hs_time(record.modified)})  # fmt: skip
        out: dict[str, Any] = {
            "id": record.id,
            "properties": props,
            "createdAt": hs_time(record.created),
            "updatedAt": hs_time(record.modified),
            "archived": record.archived,
        }
        if record.archived and record.archived_at is not None:
            out["archivedAt"] = hs_time(record.archived_at)
        return out

    def _list(self, object_type: str, params: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        limit = min(100, int((params.get("limit") or ["10"])[0]))
        archived = (params.get("archived") or ["false"])[0] == "true"
        wanted = [p for value in params.get("properties", []) for p in value.split(",") if p]
        after = int((params.get("after") or ["0"])[0] or 0)
        rows = sorted(
            (r for r in self.objects[object_type].values() if r.archived == archived and int(r.id) >= after),
            key=lambda r: int(r.id),
        )
        page, more = rows[:limit], rows[limit:]
        answer: dict[str, Any] = {"results": [self._shown(object_type, r, wanted) for r in page]}
        if more:
            answer["paging"] = {"next": {"after": more[0].id, "link": "?after=" + more[0].id}}
        return 200, answer, {}

    def _owners(self, params: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        limit = min(500, int((params.get("limit") or ["100"])[0]))
        archived = (params.get("archived") or ["false"])[0] == "true"
        after = int((params.get("after") or ["0"])[0] or 0)
        rows = sorted(
            (o for o in self.owners.values() if bool(o["archived"]) == archived and int(o["id"]) >= after),
            key=lambda o: int(o["id"]),
        )
        page, more = rows[:limit], rows[limit:]
        answer: dict[str, Any] = {"results": [dict(o) for o in page]}
        if more:
            answer["paging"] = {"next": {"after": more[0]["id"]}}
        return 200, answer, {}

    def _associations(self, from_type: str, to_type: str, payload: Any) -> tuple[int, Any, dict[str, str]]:
        inputs = (payload or {}).get("inputs") or []
        if len(inputs) > 1000:
            return 400, self._error("Batch size of 1000 exceeded", "VALIDATION_ERROR"), {}
        table = self.assoc.get((from_type, to_type), {})
        results, errors = [], []
        for item in inputs:
            source = str(item.get("id"))
            targets = sorted(table.get(source, set()), key=int)
            if not targets:
                errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                               "message": f"No {to_type} is associated with {from_type} {source}.",
                               "context": {"fromObjectId": [source]}})  # fmt: skip
                continue
            offset = int(item.get("after") or 0)
            chunk = targets[offset : offset + self.association_page]
            result: dict[str, Any] = {
                "from": {"id": source},
                "to": [{"toObjectId": int(t), "associationTypes": [
                    {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": None}]} for t in chunk],
            }  # fmt: skip
            if offset + self.association_page < len(targets):
                result["paging"] = {"next": {"after": str(offset + self.association_page)}}
            results.append(result)
        stamp = hs_time(self.clock.now())
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": stamp,
            "completedAt": stamp,
        }
        if errors:
            answer.update({"errors": errors, "numErrors": len(errors)})
        return (207 if errors else 200), answer, {}

    def _value(self, object_type: str, record: HsRecord, prop: str) -> Any:
        if prop == "hs_object_id":
            return int(record.id)
        if prop == MODIFIED[object_type]:
            return _ms(record.modified)
        if prop == "createdate":
            return _ms(record.created)
        value = record.properties.get(prop)
        if value is not None and prop in TIME_PROPERTIES:
            return _parse_time(value)
        return value

    def _predicate(self, object_type: str, f: dict[str, Any]) -> Callable[[HsRecord], bool]:
        """One filter, its values converted once: ids and date-times compare as numbers, the rest as text."""
        prop, op = str(f.get("propertyName")), str(f.get("operator") or "EQ")
        numeric = prop == "hs_object_id" or prop in TIME_PROPERTIES

        def conv(raw: Any) -> Any:
            if not numeric:
                return str(raw)
            return _parse_time(raw) if prop in TIME_PROPERTIES else int(raw)

        def get(record: HsRecord) -> Any:
            return self._value(object_type, record, prop)

        if op == "HAS_PROPERTY":
            return lambda r: get(r) is not None
        if op == "NOT_HAS_PROPERTY":
            return lambda r: get(r) is None
        if op in ("IN", "NOT_IN"):
            values = {conv(v) for v in f.get("values") or []}
            inside = op == "IN"
            return lambda r: (get(r) in values) == inside
        if op == "BETWEEN":
            low, high = conv(f["value"]), conv(f["highValue"])
            return lambda r: (v := get(r)) is not None and low <= v <= high
        compare = {"EQ": operator.eq, "NEQ": operator.ne, "LT": operator.lt, "LTE": operator.le,
                   "GT": operator.gt, "GTE": operator.ge}[op]  # fmt: skip
        other = conv(f.get("value"))
        return lambda r: (op == "NEQ") if (v := get(r)) is None else compare(v, other)

    def _search(self, object_type: str, payload: Any) -> tuple[int, Any, dict[str, str]]:
        payload = payload or {}
        groups = payload.get("filterGroups") or []
        for group in groups:
            for f in group.get("filters") or []:
                prop = str(f.get("propertyName"))
                if prop.endswith("lastmodifieddate") and prop != MODIFIED[object_type]:
                    return 400, self._error(
                        f"There was a problem with the request. Property {prop} does not exist on "
                        f"{object_type}.", "VALIDATION_ERROR",
                    ), {}  # fmt: skip
        limit = min(200, int(payload.get("limit") or 10))
        after = int(payload.get("after") or 0)
        if after >= SEARCH_CAP:
            return 400, self._error(
                "There was a problem with the request. The search endpoints page no further than 10,000 "
                "results.", "VALIDATION_ERROR",
            ), {}  # fmt: skip
        live = [r for r in self.objects[object_type].values() if not r.archived]
        if groups:
            tests = [[self._predicate(object_type, f) for f in g.get("filters") or []] for g in groups]
            live = [r for r in live if any(all(t(r) for t in group) for group in tests)]
        sorts = payload.get("sorts") or []
        if sorts:
            first = sorts[0]
            if isinstance(first, str):
                prop, descending = first.lstrip("-"), first.startswith("-")
            else:
                prop, descending = str(first.get("propertyName")), first.get("direction") == "DESCENDING"

            def key(r: HsRecord) -> tuple[Any, int]:
                value = self._value(object_type, r, prop)
                # ties in no particular order (not by id): a client must not lean on one
                return (value if value is not None else "", zlib.crc32(r.id.encode()))

            live.sort(key=key, reverse=descending)
        else:
            live.sort(key=lambda r: int(r.id))
        wanted = payload.get("properties") or []
        end = min(after + limit, SEARCH_CAP)
        page = live[after:end]
        answer: dict[str, Any] = {
            "total": len(live),
            "results": [self._shown(object_type, r, wanted) for r in page],
        }
        if end < len(live) and end < SEARCH_CAP:
            answer["paging"] = {"next": {"after": str(end), "link": None}}
        return 200, answer, {}


def _handler(fake: FakeHubSpot) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # headers and body go out as two writes: without this, Nagle and the client's delayed ACK
            # add ~40 ms to every answer
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, answer, delay = fake.handle(self.command, self.path, headers, body)
            if delay:
                time.sleep(delay)
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self._serve()

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self._serve()

    return Handler
