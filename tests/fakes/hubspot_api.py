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

At benchmark sizes (issue 16's 100k companies, 300k contacts, 1M activities) nothing is scanned per request:
records added one by one are indexed (ids sorted live and archived, live records sorted by modification time;
rebuilt after a change), lists and modification-time windows are found by bisection, and `generate()` adds a
block of records that are computed from their number when they are shown (ids consecutive, modification times
evenly spaced, properties and associations from functions), so a million records cost no memory:

    hs.generate("calls", 1_000_000, start=T0, step=timedelta(milliseconds=10),
                properties=lambda i: {"hs_call_title": f"Call {i}"},
                associations={"companies": lambda i: [company_ids[i % 100_000]]})

Generated records are not in `objects` (which holds the records added one by one); `modify` or `archive` of
one moves it there. Their associations are one way (from the generated type), as given.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import json
import operator
import socket
import threading
import time
import uuid
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=1 << 16)
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


def _tie_order(record_id: int) -> int:
    """Records modified in the same millisecond come in this order (not by id: a client must not lean on one)."""
    return zlib.crc32(str(record_id).encode())


@dataclass
class Generated:
    """`n` records of one type computed from their number i: id `first + i`, modified (and created) at
    `start_ms + i * step_ms` (step_ms >= 1, so a block is in id and modification order at once)."""

    object_type: str
    first: int
    n: int
    start_ms: int
    step_ms: int
    properties: Callable[[int], dict[str, Any]]
    associations: dict[str, Callable[[int], list[str]]]
    gone: set[int] = field(default_factory=set)  # numbers moved to `objects` (modified or archived since)

    def holds(self, record_id: int) -> bool:
        return self.first <= record_id < self.first + self.n and (record_id - self.first) not in self.gone

    def record(self, i: int) -> HsRecord:
        at = EPOCH + timedelta(milliseconds=self.start_ms + i * self.step_ms)
        props = {k: (None if v is None else str(v)) for k, v in self.properties(i).items()}
        return HsRecord(str(self.first + i), props, at, at)

    def window(self, lo: int, hi: int) -> range:
        """The numbers i modified in [lo, hi) ms."""
        first = max(0, -(-(lo - self.start_ms) // self.step_ms))
        end = min(self.n, max(0, -(-(hi - self.start_ms) // self.step_ms)))
        return range(first, max(first, end))

    def by_id(self, after: int) -> Iterator[tuple[int, HsRecord]]:
        for i in range(max(0, after - self.first), self.n):
            if i not in self.gone:
                yield self.first + i, self.record(i)

    def by_time(self, lo: int, hi: int) -> Iterator[tuple[tuple[int, int, int], HsRecord]]:
        for i in self.window(lo, hi):
            if i not in self.gone:
                record_id = self.first + i
                yield (self.start_ms + i * self.step_ms, _tie_order(record_id), record_id), self.record(i)

    def count(self, lo: int, hi: int) -> int:
        window = self.window(lo, hi)
        return len(window) - sum(1 for i in self.gone if i in window)


@dataclass
class _Index:
    """The records of one type added one by one: ids of live and of archived records, sorted, and the live
    records by (modification ms, tie order, id)."""

    live: list[int]
    archived: list[int]
    by_time: list[tuple[int, int, int]]


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
        record_calls: bool = True,
    ) -> None:
        """`record_calls=False` keeps no `calls` (a benchmark's hundreds of thousands of request bodies);
        `counts`, `statuses` and `admitted` are kept all the same."""
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
        self.generated: dict[str, list[Generated]] = {t: [] for t in OBJECT_TYPES}
        self.record_calls = record_calls
        self._indexes: dict[str, _Index] = {}  # dropped on every change of the type's records
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
            self._indexes.pop(object_type, None)
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

    def generate(
        self,
        object_type: str,
        n: int,
        *,
        start: datetime,
        step: timedelta = timedelta(seconds=1),
        properties: Callable[[int], dict[str, Any]] | None = None,
        associations: dict[str, Callable[[int], list[str]]] | None = None,
    ) -> Generated:
        """`n` records computed when shown (see the module's docstring); their ids are `block.first + i`."""
        step_ms = step // timedelta(milliseconds=1)
        if step_ms < 1:
            raise ValueError("generated records are at least a millisecond apart")
        with self._lock:
            first = next(self._ids)
            self._ids = itertools.count(first + n)
            block = Generated(object_type, first, n, _ms(start), step_ms,
                              properties or (lambda i: {"name": f"{object_type} {i}"}), dict(associations or {}))  # fmt: skip
            self.generated[object_type].append(block)
            return block

    def _own(self, object_type: str, record_id: str) -> HsRecord:
        """The record added one by one, or the generated one moved into `objects` to be changed."""
        record = self.objects[object_type].get(record_id)
        if record is None and record_id.isdigit():
            for block in self.generated[object_type]:
                if block.holds(int(record_id)):
                    i = int(record_id) - block.first
                    record = block.record(i)
                    block.gone.add(i)
                    self.objects[object_type][record_id] = record
                    break
        if record is None:
            raise KeyError(record_id)
        self._indexes.pop(object_type, None)
        return record

    def modify(self, object_type: str, record_id: str, at: datetime, **properties: Any) -> None:
        with self._lock:
            record = self._own(object_type, record_id)
            record.modified = at
            record.properties.update({k: None if v is None else str(v) for k, v in properties.items()})

    def archive(self, object_type: str, record_id: str, at: datetime) -> None:
        with self._lock:
            record = self._own(object_type, record_id)
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
            if self.record_calls:
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

    # ---------------------------------------------------------------- the index
    def _index(self, object_type: str) -> _Index:
        index = self._indexes.get(object_type)
        if index is None:
            records = self.objects[object_type].values()
            index = _Index(
                live=sorted(int(r.id) for r in records if not r.archived),
                archived=sorted(int(r.id) for r in records if r.archived),
                by_time=sorted(
                    (_ms(r.modified), _tie_order(int(r.id)), int(r.id)) for r in records if not r.archived
                ),
            )
            self._indexes[object_type] = index
        return index

    def _by_id(self, object_type: str, after: int, archived: bool) -> Iterator[tuple[int, HsRecord]]:
        """(id, record) from id `after` on, in id order, live or archived ones."""
        index = self._index(object_type)
        ids = index.archived if archived else index.live
        records = self.objects[object_type]
        own = ((i, records[str(i)]) for i in itertools.islice(ids, bisect.bisect_left(ids, after), None))
        if archived:
            return own
        blocks = [b.by_id(after) for b in self.generated[object_type]]
        return heapq.merge(own, *blocks, key=operator.itemgetter(0)) if blocks else own

    def _by_time(self, object_type: str, lo: int, hi: int) -> Iterator[HsRecord]:
        """The live records modified in [lo, hi) ms, in modification order (ties in the tie order)."""
        keys = self._index(object_type).by_time
        records = self.objects[object_type]
        start, end = bisect.bisect_left(keys, (lo,)), bisect.bisect_left(keys, (hi,))
        own = ((k, records[str(k[2])]) for k in itertools.islice(keys, start, end))
        blocks = [b.by_time(lo, hi) for b in self.generated[object_type]]
        merged = heapq.merge(own, *blocks, key=operator.itemgetter(0)) if blocks else own
        return (record for _, record in merged)

    def _count(self, object_type: str, lo: int, hi: int) -> int:
        keys = self._index(object_type).by_time
        own = bisect.bisect_left(keys, (hi,)) - bisect.bisect_left(keys, (lo,))
        return own + sum(b.count(lo, hi) for b in self.generated[object_type])

    def _time_window(
        self, object_type: str, filters: list[dict[str, Any]]
    ) -> tuple[int, int, list[dict[str, Any]]] | None:
        """The modification-time window [lo, hi) ms that the filters on the modification property make, and
        the other filters; None when no filter bounds the modification time."""
        modified = MODIFIED[object_type]
        lo, hi, others, bounded = -(1 << 62), 1 << 62, [], False
        for f in filters:
            op = str(f.get("operator") or "EQ")
            if str(f.get("propertyName")) != modified or op not in (
                "GTE",
                "GT",
                "LT",
                "LTE",
                "EQ",
                "BETWEEN",
            ):
                others.append(f)
                continue
            try:
                value = _parse_time(f["value"])
                high = _parse_time(f["highValue"]) if op == "BETWEEN" else value
            except (KeyError, ValueError):
                others.append(f)
                continue
            bounded = True
            low_bound = {"GTE": value, "GT": value + 1, "EQ": value, "BETWEEN": value}.get(op)
            high_bound = {"LT": value, "LTE": value + 1, "EQ": value + 1, "BETWEEN": high + 1}.get(op)
            if low_bound is not None:
                lo = max(lo, low_bound)
            if high_bound is not None:
                hi = min(hi, high_bound)
        return (lo, max(lo, hi), others) if bounded else None

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
        rows = [r for _, r in itertools.islice(self._by_id(object_type, after, archived), limit + 1)]
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
        blocks = [b for b in self.generated[from_type] if to_type in b.associations]
        results, errors = [], []
        for item in inputs:
            source = str(item.get("id"))
            linked = set(table.get(source, ()))
            if blocks and source.isdigit():
                number = int(source)
                for block in blocks:
                    if block.first <= number < block.first + block.n:
                        linked.update(block.associations[to_type](number - block.first))
            targets = sorted(linked, key=int)
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
        answer: dict[str, Any]
        if after >= SEARCH_CAP:
            return 400, self._error(
                "There was a problem with the request. The search endpoints page no further than 10,000 "
                "results.", "VALIDATION_ERROR",
            ), {}  # fmt: skip
        sorts = payload.get("sorts") or []
        wanted = payload.get("properties") or []
        end = min(after + limit, SEARCH_CAP)
        window = self._time_window(object_type, groups[0].get("filters") or []) if len(groups) == 1 else None
        ascending = bool(sorts) and isinstance(sorts[0], dict) and sorts[0].get("propertyName") == MODIFIED[
            object_type] and sorts[0].get("direction", "ASCENDING") == "ASCENDING"  # fmt: skip
        if (not groups and not sorts) or (window is not None and not window[2] and ascending):
            # the index answers: a modification-time window in modification order, or everything by id
            if window is None:
                total = len(self._index(object_type).live) + sum(
                    b.n - len(b.gone) for b in self.generated[object_type]
                )
                found: Iterator[HsRecord] = (r for _, r in self._by_id(object_type, 0, False))
            else:
                total = self._count(object_type, window[0], window[1])
                found = self._by_time(object_type, window[0], window[1])
            page = list(itertools.islice(found, after, end))
            answer = {"total": total, "results": [self._shown(object_type, r, wanted) for r in page]}
            if end < total and end < SEARCH_CAP:
                answer["paging"] = {"next": {"after": str(end), "link": None}}
            return 200, answer, {}
        if window is not None:  # the window from the index, then the other filters on its records
            live = list(self._by_time(object_type, window[0], window[1]))
        else:
            live = [r for _, r in self._by_id(object_type, 0, False)]
        if groups:
            tests = [[self._predicate(object_type, f) for f in g.get("filters") or []] for g in groups]
            live = [r for r in live if any(all(t(r) for t in group) for group in tests)]
        if sorts:
            first = sorts[0]
            if isinstance(first, str):
                prop, descending = first.lstrip("-"), first.startswith("-")
            else:
                prop, descending = str(first.get("propertyName")), first.get("direction") == "DESCENDING"

            def key(r: HsRecord) -> tuple[Any, int]:
                value = self._value(object_type, r, prop)
                # ties in no particular order (not by id): a client must not lean on one
                return (value if value is not None else "", _tie_order(int(r.id)))

            live.sort(key=key, reverse=descending)
        else:
            live.sort(key=lambda r: int(r.id))
        page = live[after:end]
        answer = {
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
