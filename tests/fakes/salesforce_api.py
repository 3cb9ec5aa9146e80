"""A loopback fake of Salesforce's login and REST query API: a real HTTP server on 127.0.0.1:<free port>.

- `POST /services/oauth2/token` with grant_type urn:ietf:params:oauth:grant-type:jwt-bearer: the JWT's
  RS256 signature is verified with the test's public key, and iss (consumer key), sub (username), aud and
  exp are checked; the answer carries an access_token and an `instance_url` pointing at this server.
  Refusals answer 400 {"error", "error_description"} as Salesforce does.
- `GET /services/data/{v}/query?q=SOQL` and `queryAll` (which also returns deleted records, IsDeleted);
  at most `batch_size` (2,000) records a batch, then `nextRecordsUrl` (`.../query/01gFAKE1-2000`) until
  `done`. The SOQL understood is what the client sends: SELECT fields | COUNT() FROM Obj [WHERE
  comparisons joined by AND / OR, parentheses, IN (...)] [ORDER BY f [ASC|DESC], ...] [LIMIT n].
  An unknown field is 400 INVALID_FIELD; a parse error 400 MALFORMED_QUERY.
- `GET /services/data/{v}/sobjects/{Obj}/describe/`: the object's fields.
- every API answer carries `Sforce-Limit-Info: api-usage=used/max`; past the allocation, 403
  REQUEST_LIMIT_EXCEEDED (errorCode in a JSON array body); a request URI over `max_uri` (16,384) is 414.
- 401 INVALID_SESSION_ID for an unknown or expired session (`expire_sessions()`), and on demand.
- `fail_next(endpoint, status=...)` / `slow_next(endpoint, seconds=...)`: 5xx, 401, 403... and slow answers.

Endpoint labels (for `counts`, `fail_next`, `slow_next`): "token", "query", "queryAll", "more" (a
nextRecordsUrl), "describe"; queries are also counted per object ("queryAll:Account", "more:Account").

At benchmark sizes nothing is scanned per query: the rows added one by one are indexed by (SystemModstamp, Id)
(rebuilt after a change), a WHERE that bounds SystemModstamp (with nothing else, or with more conditions
checked on the rows of that window only) is answered by bisection, and ORDER BY SystemModstamp, Id comes from
the index. `generate()` adds a block of rows computed from their number when they are shown (consecutive ids,
evenly spaced SystemModstamps, values from a function), and a query's locator walks its answer batch by batch
instead of holding it, so a million rows cost no memory. Generated rows are not in `rows`; `modify` or
`delete` of one moves it there.
"""

from __future__ import annotations

import base64
import bisect
import functools
import heapq
import itertools
import json
import re
import secrets
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from crm.limits import Clock, SystemClock
from crm.salesforce import API_VERSION, GRANT_TYPE
from tests.fakes.loopback import LoopbackServer

CONSUMER_KEY = "3MVG9fake.consumer.key"
USERNAME = "sync@example.com"
AUDIENCE = "https://login.salesforce.com"
PREFIX = {
    "User": "005",
    "Account": "001",
    "Contact": "003",
    "Task": "00T",
    "Event": "00U",
    "Opportunity": "006",
}
COMMON = ("Id", "SystemModstamp", "CreatedDate", "LastModifiedDate", "OwnerId")
FIELDS: dict[str, tuple[str, ...]] = {
    "User": ("Id", "SystemModstamp", "CreatedDate", "LastModifiedDate", "Name", "FirstName", "LastName", "Email",
             "IsActive", "UserType", "ManagerId", "Username", "Alias"),
    "Account": (*COMMON, "IsDeleted", "Name", "Type", "Industry", "Website", "AnnualRevenue", "BillingCountry",
                "Phone", "ParentId"),
    "Contact": (*COMMON, "IsDeleted", "Name", "FirstName", "LastName", "Email", "Title", "AccountId", "Phone"),
    "Task": (*COMMON, "IsDeleted", "Subject", "TaskSubtype", "Type", "ActivityDate", "Status", "CallDisposition",
             "AccountId", "WhoId", "WhatId", "Description", "IsClosed", "Priority"),
    "Event": (*COMMON, "IsDeleted", "Subject", "Type", "StartDateTime", "ActivityDateTime", "EndDateTime",
              "Location", "AccountId", "WhoId", "WhatId", "Description", "DurationInMinutes"),
    "Opportunity": (*COMMON, "IsDeleted", "Name", "StageName", "IsWon", "IsClosed", "CloseDate", "Amount",
                    "AccountId", "Probability", "Type"),
}  # fmt: skip
MULTICURRENCY = ("Account", "Opportunity")  # objects that get CurrencyIsoCode in a multi-currency org


def id_suffix(head: str) -> str:
    """The three characters Salesforce appends to a 15-character id: per block of 5, the bits of its capitals."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    return "".join(
        alphabet[sum(1 << i for i, c in enumerate(head[b * 5 : b * 5 + 5]) if c.isupper())] for b in range(3)
    )


def sf_time(value: datetime) -> str:
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}+0000"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ------------------------------------------------------------------------------------------- SOQL


class SoqlError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_TOKEN = re.compile(
    r"\s*(?:(?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))"
    r"|(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<str>'(?:[^'\\]|\\.)*')"
    r"|(?P<op><=|>=|!=|<>|=|<|>)"
    r"|(?P<punct>[(),])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)
KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "ORDER", "BY", "ASC", "DESC", "LIMIT",
            "NULLS", "FIRST", "LAST", "COUNT", "TRUE", "FALSE", "NULL"}  # fmt: skip


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token at: {text[pos : pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        value: Any = m.group(kind)
        if kind == "dt":
            parsed = datetime.fromisoformat(value)
            out.append(("value", parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)))
        elif kind == "date":
            out.append(("value", date.fromisoformat(value)))
        elif kind == "num":
            out.append(("value", float(value) if "." in value else int(value)))
        elif kind == "str":
            out.append(("value", re.sub(r"\\(.)", r"\1", value[1:-1])))
        elif kind == "word" and value.upper() in KEYWORDS:
            word = value.upper()
            if word in ("TRUE", "FALSE", "NULL"):
                out.append(("value", {"TRUE": True, "FALSE": False, "NULL": None}[word]))
            else:
                out.append(("kw", word))
        else:
            out.append((kind, value))
    return out


@dataclass
class Soql:
    obj: str
    fields: list[str]  # [] for COUNT()
    count: bool
    where: Any  # a tree: ("and"|"or", [..]) | ("not", x) | ("cmp", field, op, value) | ("in", field, [values], negated)
    order: list[tuple[str, bool]]  # (field, descending)
    limit: int | None


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str | None = None, value: Any = None) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None or (kind and tok[0] != kind) or (value is not None and tok[1] != value):
            raise SoqlError(
                "MALFORMED_QUERY", f"expected {value or kind}, got {tok[1] if tok else 'the end'}"
            )
        self.i += 1
        return tok

    def at(self, kind: str, value: Any = None) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == kind and (value is None or tok[1] == value)

    def parse(self) -> Soql:
        self.take("kw", "SELECT")
        fields: list[str] = []
        count = False
        if self.at("kw", "COUNT"):
            self.take()
            self.take("punct", "(")
            self.take("punct", ")")
            count = True
        else:
            fields.append(self.take("word")[1])
            while self.at("punct", ","):
                self.take()
                fields.append(self.take("word")[1])
        self.take("kw", "FROM")
        obj = self.take("word")[1]
        where = None
        if self.at("kw", "WHERE"):
            self.take()
            where = self.expr()
        order: list[tuple[str, bool]] = []
        if self.at("kw", "ORDER"):
            self.take()
            self.take("kw", "BY")
            while True:
                name = self.take("word")[1]
                descending = False
                if self.at("kw", "ASC") or self.at("kw", "DESC"):
                    descending = self.take()[1] == "DESC"
                if self.at("kw", "NULLS"):
                    self.take()
                    self.take("kw")
                order.append((name, descending))
                if not self.at("punct", ","):
                    break
                self.take()
        limit = None
        if self.at("kw", "LIMIT"):
            self.take()
            limit = int(self.take("value")[1])
        if self.peek() is not None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return Soql(obj, fields, count, where, order, limit)

    def expr(self) -> Any:
        parts = [self.term()]
        while self.at("kw", "OR"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def term(self) -> Any:
        parts = [self.factor()]
        while self.at("kw", "AND"):
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def factor(self) -> Any:
        if self.at("punct", "("):
            self.take()
            inner = self.expr()
            self.take("punct", ")")
            return inner
        if self.at("kw", "NOT"):
            self.take()
            return ("not", self.factor())
        name = self.take("word")[1]
        negated = False
        if self.at("kw", "NOT"):
            self.take()
            negated = True
        if self.at("kw", "IN"):
            self.take()
            self.take("punct", "(")
            values = [self.take("value")[1]]
            while self.at("punct", ","):
                self.take()
                values.append(self.take("value")[1])
            self.take("punct", ")")
            return ("in", name, values, negated)
        op = self.take("op")[1]
        return ("cmp", name, "!=" if op == "<>" else op, self.take("value")[1])


def parse_soql(text: str) -> Soql:
    return _Parser(text).parse()


def _fields_in(node: Any) -> list[str]:
    if node is None:
        return []
    if node[0] in ("and", "or"):
        return [f for part in node[1] for f in _fields_in(part)]
    if node[0] == "not":
        return _fields_in(node[1])
    return [node[1]]


def _eval(node: Any, row: dict[str, Any]) -> bool:
    if node is None:
        return True
    kind = node[0]
    if kind == "and":
        return all(_eval(p, row) for p in node[1])
    if kind == "or":
        return any(_eval(p, row) for p in node[1])
    if kind == "not":
        return not _eval(node[1], row)
    value = _get(row, node[1])
    if kind == "in":
        inside = value in node[2]
        return not inside if node[3] else inside
    op, other = node[2], node[3]
    if other is None or value is None:
        return (value is other) if op == "=" else (value is not other) if op == "!=" else False
    if isinstance(value, datetime) and isinstance(other, date) and not isinstance(other, datetime):
        value = value.date()
    return {"=": value == other, "!=": value != other, "<": value < other, "<=": value <= other,
            ">": value > other, ">=": value >= other}[op]  # fmt: skip


def _stamp_bounds(where: Any) -> tuple[tuple[datetime | None, bool, datetime | None, bool] | None, list[Any]]:
    """The SystemModstamp bounds (lo, lo inclusive, hi, hi inclusive) of a WHERE that is an AND of conditions
    (or one), and its other conditions; (None, [where]) when nothing bounds SystemModstamp."""
    if where is None:
        return None, []
    parts = where[1] if where[0] == "and" else [where]
    lo: datetime | None = None
    hi: datetime | None = None
    lo_in = hi_in = True
    others = []
    for part in parts:
        if part[0] != "cmp" or part[1].casefold() != "systemmodstamp" or not isinstance(part[3], datetime):
            others.append(part)
            continue
        op, value = part[2], part[3]
        if op in (">=", ">", "=") and (lo is None or value > lo or (value == lo and op == ">")):
            lo, lo_in = value, op != ">"
        if op in ("<=", "<", "=") and (hi is None or value < hi or (value == hi and op == "<")):
            hi, hi_in = value, op != "<"
        if op not in (">=", ">", "=", "<=", "<"):
            others.append(part)
    if lo is None and hi is None:
        return None, [where]
    return (lo, lo_in, hi, hi_in), others


def _row_key(name: str, row: dict[str, Any]) -> tuple[bool, Any]:
    value = _get(row, name)
    return (value is None, value if value is not None else 0)


def _get(row: dict[str, Any], name: str) -> Any:
    if name in row:
        return row[name]
    for key, value in row.items():
        if key.casefold() == name.casefold():
            return value
    return None


# ------------------------------------------------------------------------------------------- the fake


@dataclass
class _Failure:
    status: int
    remaining: int
    code: str
    message: str


def _record_id(obj: str, number: int) -> str:
    head = f"{PREFIX[obj]}{number:012d}"
    return head + id_suffix(head)  # a valid 18-character id (Task's 00T, Event's 00U have capitals)


@dataclass
class Generated:
    """`n` rows of one object computed from their number i: the id of counter `first + i`, SystemModstamp (and
    CreatedDate, LastModifiedDate) `start + i * step` (step > 0: a block is in SystemModstamp and Id order)."""

    obj: str
    first: int
    n: int
    start: datetime
    step: timedelta
    values: Callable[[int], dict[str, Any]]
    fields: list[str]
    gone: set[int] = field(default_factory=set)  # numbers moved to `rows` (modified or deleted since)

    def number(self, record_id: str) -> int | None:
        """i of an id of this block, or None."""
        if (
            len(record_id) != 18
            or not record_id.startswith(PREFIX[self.obj])
            or not record_id[3:15].isdigit()
        ):
            return None
        i = int(record_id[3:15]) - self.first
        return i if 0 <= i < self.n and i not in self.gone else None

    def record_id(self, i: int) -> str:
        return _record_id(self.obj, self.first + i)

    def row(self, i: int) -> dict[str, Any]:
        at = self.start + self.step * i
        row: dict[str, Any] = dict.fromkeys(self.fields)
        row.update(self.values(i))
        row.update({"Id": _record_id(self.obj, self.first + i), "SystemModstamp": at, "CreatedDate": at,
                    "LastModifiedDate": at})  # fmt: skip
        if "IsDeleted" in row:
            row["IsDeleted"] = False
        return row

    def window(self, lo: datetime | None, lo_in: bool, hi: datetime | None, hi_in: bool) -> range:
        """The numbers i whose SystemModstamp is within the bounds (None: unbounded; *_in: inclusive)."""
        first, end = 0, self.n
        if lo is not None:
            q, r = divmod(lo - self.start, self.step)
            first = max(first, q + (1 if r or not lo_in else 0))
        if hi is not None:
            q, r = divmod(hi - self.start, self.step)
            end = min(end, q + (1 if r or hi_in else 0))
        return range(max(0, first), max(0, first, end))


@dataclass
class _Locator:
    """A query's answer, walked batch by batch: `rows` yields the shown records in order."""

    obj: str
    total: int
    rows: Iterator[dict[str, Any]]
    again: Callable[
        [], Iterator[dict[str, Any]]
    ]  # the same answer from its start (a batch asked out of turn)
    offset: int = 0  # the next batch's
    last: tuple[int, list[dict[str, Any]]] | None = None  # the batch answered last (asked again on a retry)


class FakeSalesforce(LoopbackServer):
    """The fake server. Use as a context manager, or call start() / close()."""

    def __init__(
        self,
        public_key: rsa.RSAPublicKey,
        *,
        consumer_key: str = CONSUMER_KEY,
        username: str = USERNAME,
        audience: str = AUDIENCE,
        version: str = API_VERSION,
        clock: Clock | None = None,
        api_max: int = 15_000,
        api_used: int = 0,
        batch_size: int = 2_000,
        max_uri: int = 16_384,
        multicurrency: bool = True,
        approved: bool = True,
    ) -> None:
        self.public_key = public_key
        self.consumer_key = consumer_key
        self.username = username
        self.audience = audience
        self.version = version
        self.clock: Clock = clock or SystemClock()
        self.api_max = api_max
        self.api_used = api_used
        self.batch_size = batch_size
        self.max_uri = max_uri
        self.approved = approved
        self.fields: dict[str, list[str]] = {
            obj: [*names, *(["CurrencyIsoCode"] if multicurrency and obj in MULTICURRENCY else [])]
            for obj, names in FIELDS.items()
        }
        self.rows: dict[str, dict[str, dict[str, Any]]] = {obj: {} for obj in FIELDS}
        self.generated: dict[str, list[Generated]] = {obj: [] for obj in FIELDS}
        self._indexes: dict[str, list[tuple[datetime, str]]] = {}  # (SystemModstamp, Id) of `rows`, sorted
        self.sessions: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.queries: list[str] = []  # every SOQL received, in order
        self.uri_lengths: list[int] = []
        self._locators: dict[str, _Locator] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._slow: dict[str, deque[list[float]]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    # ---------------------------------------------------------------- lifecycle
    thread_name = "fake-salesforce"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    # ---------------------------------------------------------------- data
    def add_field(self, obj: str, name: str) -> None:
        with self._lock:
            self.fields[obj].append(name)

    def add(
        self, obj: str, values: dict[str, Any] | None = None, *, modified: datetime, deleted: bool = False
    ) -> str:
        with self._lock:
            record_id = _record_id(obj, next(self._ids))
            row: dict[str, Any] = {f: None for f in self.fields[obj]}
            row.update(values or {})
            row.update({"Id": record_id, "SystemModstamp": modified, "CreatedDate": modified,
                        "LastModifiedDate": modified})  # fmt: skip
            if "IsDeleted" in self.fields[obj]:
                row["IsDeleted"] = deleted
            self.rows[obj][record_id] = row
            self._indexes.pop(obj, None)
            return record_id

    def add_many(
        self, obj: str, n: int, *, start: datetime, step: Any = None, values: dict[str, Any] | None = None
    ) -> list[str]:
        from datetime import timedelta

        step = step or timedelta(seconds=1)
        return [
            self.add(obj, {"Name": f"{obj} {i}", **(values or {})}, modified=start + step * i)
            for i in range(n)
        ]

    def generate(
        self,
        obj: str,
        n: int,
        *,
        start: datetime,
        step: timedelta = timedelta(seconds=1),
        values: Callable[[int], dict[str, Any]] | None = None,
    ) -> Generated:
        """`n` rows computed when shown (see the module's docstring); `block.row(i)["Id"]` is row i's id."""
        if step <= timedelta(0):
            raise ValueError("generated rows need a step above zero")
        with self._lock:
            first = next(self._ids)
            self._ids = itertools.count(first + n)
            block = Generated(obj, first, n, start, step, values or (lambda i: {"Name": f"{obj} {i}"}),
                              list(self.fields[obj]))  # fmt: skip
            self.generated[obj].append(block)
            return block

    def _own(self, obj: str, record_id: str) -> dict[str, Any]:
        """The row added one by one, or the generated one moved into `rows` to be changed."""
        row = self.rows[obj].get(record_id)
        if row is None:
            for block in self.generated[obj]:
                i = block.number(record_id)
                if i is not None:
                    row = self.rows[obj][record_id] = block.row(i)
                    block.gone.add(i)
                    break
        if row is None:
            raise KeyError(record_id)
        self._indexes.pop(obj, None)
        return row

    def modify(self, obj: str, record_id: str, at: datetime, **values: Any) -> None:
        with self._lock:
            row = self._own(obj, record_id)
            row.update(values)
            row["SystemModstamp"] = row["LastModifiedDate"] = at

    def delete(self, obj: str, record_id: str, at: datetime) -> None:
        with self._lock:
            row = self._own(obj, record_id)
            row["IsDeleted"] = True
            row["SystemModstamp"] = at

    def expire_sessions(self) -> None:
        """Every access token handed out so far stops working (401 INVALID_SESSION_ID)."""
        with self._lock:
            self.sessions.clear()

    def fail_next(
        self,
        endpoint: str = "*",
        *,
        status: int,
        times: int = 1,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        defaults = {
            401: ("INVALID_SESSION_ID", "Session expired or invalid"),
            403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
        }
        d_code, d_message = defaults.get(status, ("SERVER_ERROR", "An unexpected error occurred."))
        with self._lock:
            self._failures.setdefault(endpoint, deque()).append(
                _Failure(status, times, code or d_code, message or d_message)
            )

    def slow_next(self, endpoint: str = "*", *, seconds: float, times: int = 1) -> None:
        with self._lock:
            self._slow.setdefault(endpoint, deque()).append([seconds, times])

    # ---------------------------------------------------------------- handling
    def _take(self, table: dict[str, deque[Any]], labels: list[str]) -> Any:
        for key in [*labels, "*"]:
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

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any, float]:
        parts = urlsplit(raw_path)
        with self._lock:
            if method == "POST" and parts.path == "/services/oauth2/token":
                self.counts["token"] += 1
                slow = self._take(self._slow, ["token"])
                failure = self._take(self._failures, ["token"])
                if failure is not None:
                    status, answer = (
                        failure.status,
                        {"error": failure.code, "error_description": failure.message},
                    )
                else:
                    status, answer = self._token(parse_qs(body.decode("ascii", "replace")))
                self.statuses[status] += 1
                return status, {}, answer, float(slow[0]) if slow else 0.0
            label, obj, work = self._classify(method, parts.path, parse_qs(parts.query))
            self.counts[label] += 1
            if obj:
                self.counts[f"{label}:{obj}"] += 1
            slow = self._take(self._slow, [label])
            delay = float(slow[0]) if slow else 0.0
            uri = len(self.base_url) + len(raw_path)
            self.uri_lengths.append(uri)
            status, answer = self._api(label, headers, uri, work)
            self.statuses[status] += 1
            limit = {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_max}"}
            return status, limit, answer, delay

    def _classify(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[str, str, Any]:
        base = f"/services/data/{self.version}/"
        if method != "GET" or not path.startswith(base):
            return "unknown", "", None
        rest = path[len(base) :].strip("/")
        if rest in ("query", "queryAll"):
            soql = (query.get("q") or [""])[0]
            obj = m.group(1) if (m := re.search(r"\bFROM\s+(\w+)", soql, re.I)) else ""
            return rest, obj, ("query", soql, rest == "queryAll")
        if m := re.fullmatch(r"(?:query|queryAll)/([\w]+)-(\d+)", rest):
            locator = self._locators.get(m.group(1))
            return "more", locator.obj if locator else "", ("more", m.group(1), int(m.group(2)))
        if m := re.fullmatch(r"sobjects/(\w+)/describe", rest):
            return "describe", m.group(1), ("describe", m.group(1))
        return "unknown", "", None

    def _api(self, label: str, headers: dict[str, str], uri: int, work: Any) -> tuple[int, Any]:
        if uri > self.max_uri:
            return 414, "URI Too Long"
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.sessions:
            return 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        failure = self._take(self._failures, [label])
        if failure is not None:
            self.api_used += 1
            return failure.status, [{"message": failure.message, "errorCode": failure.code}]
        if self.api_used >= self.api_max:
            return 403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        self.api_used += 1
        if work is None:
            return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
        if work[0] == "describe":
            if work[1] not in self.fields:
                return 404, [
                    {"errorCode": "NOT_FOUND", "message": f"The requested resource does not exist: {work[1]}"}
                ]
            return 200, {
                "name": work[1],
                "fields": [{"name": f, "type": "string"} for f in self.fields[work[1]]],
            }
        if work[0] == "more":
            return self._more(work[1], work[2])
        return self._query(work[1], all_rows=work[2])

    def _token(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        def refuse(error: str, description: str) -> tuple[int, Any]:
            return 400, {"error": error, "error_description": description}

        if (form.get("grant_type") or [""])[0] != GRANT_TYPE:
            return refuse("unsupported_grant_type", "grant type not supported")
        assertion = (form.get("assertion") or [""])[0]
        try:
            head, claims_part, signature = assertion.split(".")
            header = json.loads(_b64url_decode(head))
            claims = json.loads(_b64url_decode(claims_part))
            if header.get("alg") != "RS256":
                raise ValueError("alg")
            self.public_key.verify(
                _b64url_decode(signature),
                f"{head}.{claims_part}".encode("ascii"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (ValueError, InvalidSignature, UnicodeError):
            return refuse("invalid_grant", "invalid assertion")
        if claims.get("iss") != self.consumer_key:
            return refuse("invalid_client_id", "client identifier invalid")
        if claims.get("aud") != self.audience:
            return refuse("invalid_grant", "audience is invalid")
        try:
            expired = int(claims.get("exp")) <= int(self.clock.now().timestamp())
        except (TypeError, ValueError):
            expired = True
        if expired:
            return refuse("invalid_grant", "expired authorization code")
        if claims.get("sub") != self.username or not self.approved:
            return refuse("invalid_grant", "user hasn't approved this consumer")
        token = "00DFAKE!" + secrets.token_urlsafe(24)
        self.sessions.add(token)
        return 200, {
            "access_token": token, "scope": "api", "instance_url": self.base_url,
            "id": f"{self.base_url}/id/00DFAKE000000001AAA/005FAKE000000001AAA", "token_type": "Bearer",
            "issued_at": str(int(self.clock.now().timestamp() * 1000)),
        }  # fmt: skip

    def _shown(self, obj: str, row: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {"type": obj, "url": f"/services/data/{self.version}/sobjects/{obj}/{row['Id']}"}
        }
        for name in fields:
            value = _get(row, name)
            out[name] = (
                sf_time(value)
                if isinstance(value, datetime)
                else value.isoformat()
                if isinstance(value, date)
                else value
            )
        return out

    def _query(self, text: str, *, all_rows: bool) -> tuple[int, Any]:
        self.queries.append(text)
        try:
            soql = parse_soql(text)
        except SoqlError as exc:
            return 400, [{"message": str(exc), "errorCode": exc.code}]
        if soql.obj not in self.fields:
            return 400, [
                {"message": f"sObject type '{soql.obj}' is not supported.", "errorCode": "INVALID_TYPE"}
            ]
        known = {f.casefold() for f in self.fields[soql.obj]}
        for name in [*soql.fields, *_fields_in(soql.where), *(f for f, _ in soql.order)]:
            if name.casefold() not in known:
                return 400, [{"message": f"No such column '{name}' on entity '{soql.obj}'. If you are attempting to "
                              "use a custom field, be sure to append the '__c' after the custom field name.",
                              "errorCode": "INVALID_FIELD"}]  # fmt: skip

        def keep(row: dict[str, Any]) -> bool:
            return (all_rows or not row.get("IsDeleted")) and _eval(soql.where, row)

        bounds, others = _stamp_bounds(soql.where)
        in_order = [(f.casefold(), d) for f, d in soql.order] in (
            [("systemmodstamp", False), ("id", False)], [("systemmodstamp", False)],
        )  # fmt: skip
        # the rows added one by one: from the index's window, or all; shown now (the answer is a snapshot)
        own = [r for r in self._own_rows(soql.obj, bounds) if keep(r)]
        blocks = self.generated[soql.obj]
        if bounds is not None and not others and in_order and blocks:
            # generated rows: their window is arithmetic, and they merge into the index's order lazily
            windows = [(b, b.window(*bounds)) for b in blocks]
            total = len(own) + sum(len(w) - sum(1 for i in b.gone if i in w) for b, w in windows)
            if soql.limit is not None:
                total = min(total, soql.limit)
            if soql.count:
                return 200, {"totalSize": total, "done": True, "records": []}
            shown = [self._shown(soql.obj, r, soql.fields) for r in own]

            def walk() -> Iterator[dict[str, Any]]:
                runs: list[Iterator[tuple[tuple[datetime, str], Any]]] = [
                    iter([((r["SystemModstamp"], r["Id"]), s) for r, s in zip(own, shown, strict=True)])
                ]
                for block, window in windows:
                    runs.append(((block.start + block.step * i, _record_id(block.obj, block.first + i)), (block, i))
                                for i in window if i not in block.gone)  # fmt: skip
                for _key, item in itertools.islice(heapq.merge(*runs, key=lambda kv: kv[0]), total):
                    if isinstance(item, tuple):
                        item = self._shown(soql.obj, item[0].row(item[1]), soql.fields)
                    yield item

            return self._answer(soql.obj, total, walk)
        rows = own
        for block in blocks:  # generated rows of the window, each checked (off the indexed path)
            numbers = block.window(*bounds) if bounds is not None else range(block.n)
            rows += [row for i in numbers if i not in block.gone and keep(row := block.row(i))]
        if not in_order or blocks:
            for name, descending in reversed(soql.order):  # stable sorts, last key first
                rows.sort(key=functools.partial(_row_key, name), reverse=descending)
        if soql.limit is not None:
            rows = rows[: soql.limit]
        if soql.count:
            return 200, {"totalSize": len(rows), "done": True, "records": []}
        snapshot = [self._shown(soql.obj, r, soql.fields) for r in rows]
        return self._answer(soql.obj, len(snapshot), lambda: iter(snapshot))

    def _own_rows(
        self, obj: str, bounds: tuple[datetime | None, bool, datetime | None, bool] | None
    ) -> list[dict[str, Any]]:
        """The rows added one by one, in (SystemModstamp, Id) order, within `bounds` when given."""
        index = self._indexes.get(obj)
        if index is None:
            index = self._indexes[obj] = sorted(
                (r["SystemModstamp"], r["Id"]) for r in self.rows[obj].values()
            )
        start, end = 0, len(index)
        if bounds is not None:
            lo, lo_in, hi, hi_in = bounds
            if lo is not None:
                start = (bisect.bisect_left if lo_in else bisect.bisect_right)(
                    index, (lo, "" if lo_in else "\uffff")
                )
            if hi is not None:
                end = (bisect.bisect_right if hi_in else bisect.bisect_left)(
                    index, (hi, "\uffff" if hi_in else "")
                )
        rows = self.rows[obj]
        return [rows[record_id] for _, record_id in index[start : max(start, end)]]

    def _answer(self, obj: str, total: int, rows: Callable[[], Iterator[dict[str, Any]]]) -> tuple[int, Any]:
        locator = f"01gFAKE{len(self._locators) + 1}"
        self._locators[locator] = _Locator(obj, total, rows(), rows)
        return self._batch(locator, 0)

    def _batch(self, name: str, offset: int) -> tuple[int, Any]:
        locator = self._locators[name]
        if locator.last is not None and locator.last[0] == offset:
            batch = locator.last[1]  # the same batch again (a retry)
        else:
            if offset != locator.offset:  # out of turn: walk the answer again up to it
                locator.rows, locator.offset = locator.again(), 0
                for _ in itertools.islice(locator.rows, offset):
                    pass
                locator.offset = offset
            batch = list(itertools.islice(locator.rows, self.batch_size))
            locator.offset = offset + len(batch)
            locator.last = (offset, batch)
        done = offset + self.batch_size >= locator.total
        answer: dict[str, Any] = {"totalSize": locator.total, "done": done, "records": batch}
        if not done:
            answer["nextRecordsUrl"] = (
                f"/services/data/{self.version}/query/{name}-{offset + self.batch_size}"
            )
        return 200, answer

    def _more(self, locator: str, offset: int) -> tuple[int, Any]:
        if locator not in self._locators:
            return 400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]
        return self._batch(locator, offset)


def _handler(fake: FakeSalesforce) -> type[BaseHTTPRequestHandler]:
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
            if isinstance(answer, str):
                data, ctype = answer.encode(), "text/plain"
            else:
                data, ctype = json.dumps(answer).encode(), "application/json;charset=UTF-8"
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
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
