"""The four CSV formats accountbot imports: header normalisation, per-column parsing, error collection.
Pure: a file in, rows out (storage.importing.rows), streamed in two passes so that memory does not grow with the
file. Problems with the file as a whole raise `BadFile`; cell problems are collected for every row and raised
together as `ImportRejected`. See docs/data.md#the-four-csv-formats and docs/data.md#memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from rapidfuzz import process

from accounts import numbers
from accounts.levels import parse_level
from storage.importing.bounded import Errors, FirstSeen, Reread
from storage.importing.rows import (
    AccountRow,
    ContactRow,
    InteractionRow,
    RevenueRow,
    RowError,
)
from storage.reads.accounts import name_key

KINDS = ("accounts", "contacts", "interactions", "revenue")
FIELD_LIMIT = csv.field_size_limit()  # Python's limit on one field (131,072 characters unless raised)
PROGRESS_EVERY = 5000


class BadFile(Exception):
    """The file as a whole cannot be read as the expected CSV; the message says what to do."""


class Invalid(ValueError):
    """A cell's value is not acceptable; `expected` (if given) replaces the column's usual description."""

    def __init__(self, expected: str | None = None) -> None:
        super().__init__(expected or "")
        self.expected = expected


# ------------------------------------------------------------------------------------------- parsers

Parser = Callable[[str], Any]


FORMULA_START = ("=", "+", "-", "@")  # spreadsheets run cells starting with these as formulas


def unquote_formula(value: str) -> str:
    """Undo the apostrophe `export` puts before text starting like a formula ("'=SUM" -> "=SUM")."""
    if value[:1] == "'" and value[1:2] in FORMULA_START:
        return value[1:]
    return value


def text(limit: int) -> Parser:
    def parse(value: str) -> str:
        value = unquote_formula(value)
        if len(value) > limit:
            raise Invalid(f"text of at most {limit:,} characters")
        return value

    return parse


def name_text(value: str) -> str:
    """A name: at most 200 characters, also once normalised (casefolding can lengthen it: "ß" -> "ss")."""
    value = unquote_formula(value)
    if len(value) > 200 or len(name_key(value)) > 200:
        raise Invalid("text of at most 200 characters")
    return value


_MONEY = re.compile(r"^[$€£]?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$", re.ASCII)  # ASCII digits only


def money(value: str) -> float:
    """ "$1,200,000", "1200000", "1,200,000.50" -> float; never negative."""
    m = _MONEY.match(value.replace(" ", ""))
    if not m:
        raise Invalid()
    return float(m.group(1).replace(",", "") + (m.group(2) or ""))


def percent(low: float, high: float) -> Parser:
    def parse(value: str) -> float:
        number = numbers.decimal(
            value.strip().removesuffix("%")
        )  # the one parser: as `/account set` reads it
        if number is None or not (low <= number <= high):
            raise Invalid()
        return number

    return parse


def level(value: str) -> str:
    try:
        parsed = parse_level(value)
    except ValueError:
        raise Invalid() from None
    if parsed is None:
        raise Invalid()
    return parsed


def high_low(value: str) -> str:
    parsed = level(value)
    if parsed == "medium":
        raise Invalid()
    return parsed


def choice(*options: str) -> Parser:
    def parse(value: str) -> str:
        key = re.sub(r"[\s\-_]+", "_", value.strip().lower())
        if key not in options:
            raise Invalid()
        return key

    return parse


_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def yes_no(value: str) -> bool:
    key = value.lower()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise Invalid()


_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")


def email(value: str) -> str:
    value = unquote_formula(value)  # an export quotes "-bob@acme.com" as "'-bob@acme.com"
    if len(value) > 320 or not _EMAIL.match(value):
        raise Invalid()
    return value.lower()


def slack_user_or_email(value: str) -> str:
    if _SLACK_USER.match(value):
        return value
    if "@" in value:
        return email(value)
    raise Invalid()


def contact_ref(value: str) -> str:
    if "@" in value:
        return email(value)
    return name_text(value)


def alias_list(value: str) -> list[str]:
    out: list[str] = []
    keys: set[str] = set()
    for part in unquote_formula(value).split(";"):
        alias = " ".join(part.split())
        if not alias:
            continue
        if len(alias) > 200:
            raise Invalid("names of at most 200 characters, separated by ';'")
        if name_key(alias) not in keys:
            keys.add(name_key(alias))
            out.append(alias)
    return out


_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)


def domain(value: str) -> str:
    host = value.lower().rstrip(".")
    if not _DOMAIN.match(host):
        raise Invalid()
    return host


def url(value: str) -> str:
    if len(value) > 2000 or any(c.isspace() for c in value):
        raise Invalid()
    try:
        parts = urlsplit(value)
    except ValueError:
        raise Invalid() from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise Invalid()
    return value


def when(value: str) -> datetime:
    """ISO date or date-time; a date means midnight UTC, a time without offset is UTC."""
    if not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        raise Invalid()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid() from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


SOURCES = ("accountbot", "hubspot", "salesforce", "pipedrive")
SOURCE_ID_LIMIT = 255


def source_name(value: str) -> str | None:
    """Where a record comes from: accountbot (None: accountbot's own records), hubspot, salesforce, pipedrive."""
    key = value.casefold()
    if key not in SOURCES:
        raise Invalid()
    return None if key == "accountbot" else key


def source_id(value: str) -> str:
    """A record's id in its source, as the source writes it."""
    value = unquote_formula(value)
    if len(value) > SOURCE_ID_LIMIT or any(c.isspace() for c in value):
        raise Invalid()
    return value


def source_ids(value: str) -> tuple[str, ...]:
    """Ids separated by ';' (empty places, kept by an export for contacts without an id, are dropped)."""
    return tuple(source_id(part.strip()) for part in unquote_formula(value).split(";") if part.strip())


def contact_refs(value: str) -> list[str]:
    """One or more contacts (names or emails) separated by ';', in the order written."""
    refs = [contact_ref(part.strip()) for part in value.split(";") if part.strip()]
    if not refs:
        raise Invalid()
    return refs


def month(value: str) -> date:
    m = re.match(r"^(\d{4})-(\d{2})$", value)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise Invalid()
    return date(int(m.group(1)), int(m.group(2)), 1)


# ------------------------------------------------------------------------------------------- formats


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    parse: Parser
    expected: str  # what a valid value looks like, in error messages and the README
    required: bool = False  # the column must be in the header and every row must have a value


@dataclass(frozen=True, slots=True)
class CsvFormat:
    kind: str
    columns: tuple[Column, ...]
    ignored: tuple[str, ...] = ()  # accepted in the header and skipped (computed columns of an export)
    # Optional identity columns (the record's CRM source and ids; docs/data.md#source-columns): accepted,
    # parsed and written by `accountbot export`, not listed in messages, which name the columns people type.
    identity: tuple[Column, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return (*self.columns, *self.identity)

    @property
    def a_kind(self) -> str:
        """ "an accounts", "a revenue": for messages."""
        return ("an " if self.kind[0] in "aeiou" else "a ") + self.kind


LEVEL = "high, medium or low (or H, M, L; any case)"
SOURCE = Column(
    "source", source_name, "accountbot, hubspot, salesforce or pipedrive (empty means accountbot)"
)
SOURCE_ID = Column(
    "source_id", source_id, f"the record's id in its source (at most {SOURCE_ID_LIMIT} characters)"
)
ACCOUNT_SOURCE_ID = Column(
    "account_source_id", source_id, f"the account's id in the source (at most {SOURCE_ID_LIMIT} characters)"
)
CONTACT_SOURCE_ID = Column(
    "contact_source_id",
    source_ids,
    "the contacts' ids in the source, separated by ';' as in the contact column",
)
REVENUE_SOURCE_ID = Column(
    "source_id", source_id, f"the account's id in its source (at most {SOURCE_ID_LIMIT} characters)"
)
PERSON = "a Slack user id such as U012AB3CD or an email address"

FORMATS: dict[str, CsvFormat] = {
    "accounts": CsvFormat(
        "accounts",
        (
            Column("name", name_text, "the account's name (at most 200 characters)", required=True),
            Column("owner", slack_user_or_email, PERSON),
            Column("stage", choice("client", "prospect"), "client or prospect (empty means client)"),
            Column("annual_revenue", money, "an amount such as 1200000 or $1,200,000"),
            Column("wallet_share", percent(0, 100), "a percentage from 0 to 100 such as 45 or 45%"),
            Column(
                "profit_margin",
                percent(-1000, 100),
                "a percentage up to 100, may be negative, such as 12.5% or -4",
            ),
            Column("profitability", level, LEVEL),
            Column("strategic_value", level, LEVEL),
            Column("pain_factor", level, LEVEL),
            Column("engagement", high_low, "high or low (or H, L)"),
            Column("potential", high_low, "high or low (or H, L)"),
            Column("industry", text(120), "text of at most 120 characters"),
            Column("aliases", alias_list, "other names separated by ';' such as IBM;Big Blue"),
            Column("domain", domain, "a domain name such as acme.com (no https:// or path)"),
            Column("news_feed", url, "an http(s) URL of an RSS or Atom feed"),
            Column("prospect_fit", choice("ideal", "lead"), "ideal or lead"),
        ),
        ignored=("tier", "grade", "score", "quadrant"),  # written by `accountbot export accounts`
        identity=(SOURCE, SOURCE_ID),
    ),
    "contacts": CsvFormat(
        "contacts",
        (
            Column("account", name_text, "the name (or alias) of an account", required=True),
            Column("name", name_text, "the contact's name (at most 200 characters)", required=True),
            Column("title", text(200), "text of at most 200 characters"),
            Column("email", email, "an email address such as ana@acme.com"),
            Column(
                "role",
                choice("decision_maker", "influencer", "user"),
                "decision_maker, influencer or user (empty means user)",
            ),
            Column("active", yes_no, "yes or no (empty means yes)"),
        ),
        identity=(SOURCE, SOURCE_ID, ACCOUNT_SOURCE_ID),
    ),
    "interactions": CsvFormat(
        "interactions",
        (
            Column("account", name_text, "the name (or alias) of an account", required=True),
            Column(
                "date", when, "an ISO date or date-time such as 2026-03-31 or 2026-03-31T14:30", required=True
            ),
            Column(
                "kind",
                choice("meeting", "call", "video", "email", "visit", "review", "other"),
                "meeting, call, video, email, visit, review or other",
                required=True,
            ),
            Column(
                "contact",
                contact_refs,
                "the name or email of one of the account's contacts",
            ),
            Column("colleague", slack_user_or_email, PERSON),
            Column("note", text(4000), "text of at most 4,000 characters"),
        ),
        identity=(SOURCE, SOURCE_ID, ACCOUNT_SOURCE_ID, CONTACT_SOURCE_ID),
    ),
    "revenue": CsvFormat(
        "revenue",
        (
            Column("account", name_text, "the name (or alias) of an account", required=True),
            Column("month", month, "a month as YYYY-MM such as 2026-03", required=True),
            Column("amount", money, "an amount such as 98000 or $98,000", required=True),
        ),
        # In a revenue file, source and source_id identify the ACCOUNT (a revenue month has no id of its own).
        identity=(SOURCE, REVENUE_SOURCE_ID),
    ),
}


def header_key(header: str) -> str:
    """Normalise a header cell: case-insensitive, spaces and underscores equivalent."""
    return re.sub(r"[\s_]+", "_", header.strip().casefold()).strip("_")


# ------------------------------------------------------------------------------------------- reading
# A file is read in two streamed passes (docs/data.md#memory), both through `_parsed`: bytes READ_CHUNK at a
# time, decoded as they come, cut into lines, csv.reader over the lines, each record parsed on its own and then
# forgotten. Nothing grows with the file: a value is at most FIELD_LIMIT characters (an unclosed quote stops
# there), a line at most about LINE_LIMIT, the duplicate keys spill to disk (storage.importing.bounded).

READ_CHUNK = 1 << 20  # bytes read at a time
LINE_LIMIT = 64 * FIELD_LIMIT  # characters of one physical line: far beyond any row of any format
CHECK_EVERY = 10_000  # the first pass looks the queued duplicate keys up every so many rows
Opener = Callable[[], AbstractContextManager[IO[bytes]]]


def _text(fh: IO[bytes]) -> Iterator[str]:
    """The file's text, chunk by chunk: UTF-8 without a byte-order mark; a clear BadFile (with the line) at the
    first byte that is not UTF-8 or the first NUL character."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0  # in the text so far: a problem's line is one more than the newlines before it
    started = False
    while True:
        data = fh.read(READ_CHUNK)
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            # exc.object: the bytes the decoder held from the last chunk (never a newline), then this chunk
            line = newlines + exc.object.count(b"\n", 0, exc.start) + 1
            raise BadFile(
                f"line {line}: byte 0x{exc.object[exc.start]:02x} is not UTF-8 text. Save the file as UTF-8 "
                "(in Excel: 'CSV UTF-8 (Comma delimited)') and import it again."
            ) from None
        if text and not started:
            text, started = text.removeprefix("\ufeff"), True  # a byte-order mark: EF BB BF at the start
        nul = text.find("\0")
        if nul != -1:
            raise BadFile(
                f"line {newlines + text.count(chr(10), 0, nul) + 1}: the file contains a NUL character, so it is "
                "not a text CSV (perhaps UTF-16 or a spreadsheet file). Save it as 'CSV UTF-8 (Comma delimited)'."
            )
        newlines += text.count("\n")
        if text:
            yield text
        if not data:
            return


def _lines(chunks: Iterator[str]) -> Iterator[str]:
    """The text's lines with their endings (\\n, \\r\\n or \\r, as csv reads them); a line that goes on past
    LINE_LIMIT characters is a BadFile, not held."""
    carry = (
        ""  # the last line of the text so far: it may go on in the next chunk ("\r" may be half of "\r\n")
    )
    done = 0
    for chunk in chunks:
        if len(carry) > LINE_LIMIT:
            raise BadFile(
                f"line {done + 1}: a line is longer than {LINE_LIMIT:,} characters, so this is not a CSV file "
                "of one record per line. Save it as 'CSV UTF-8 (Comma delimited)'."
            )
        lines = io.StringIO(carry + chunk, newline="").readlines()
        carry = lines.pop()
        done += len(lines)
        yield from lines
    if carry:
        yield carry


def _records(fmt: CsvFormat, lines: Iterator[str]) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with the file line where each starts (the first one is the header)."""
    reader = csv.reader(lines)
    previous_end = 0
    try:
        for fields in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if any(f.strip() for f in fields):  # skip blank lines and rows of empty cells
                yield start, fields
    except csv.Error as exc:
        line = previous_end + 1  # where the record that could not be read begins
        if "field larger than field limit" in str(exc):
            raise BadFile(
                f'line {line}: a value is longer than {FIELD_LIMIT:,} characters. Usually a quote (") opened '
                "on this line is not closed and swallows the rest of the file."
            ) from None
        raise BadFile(f"line {line}: the file is not valid CSV ({exc}).") from None


def _header(fmt: CsvFormat, fields: list[str], line: int) -> list[str]:
    allowed = [*fmt.names, *(c.name for c in fmt.identity), *fmt.ignored]
    if len(fields) == 1:
        for sep, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
            if sep in fields[0]:
                raise BadFile(
                    f"line {line}: the header seems to be separated by {label}; accountbot reads comma-separated "
                    "files. Save the file as CSV with commas (in Excel: 'CSV UTF-8 (Comma delimited)')."
                )
    columns = [header_key(f) for f in fields]
    problems: list[str] = []
    unknown = [(raw.strip(), key) for raw, key in zip(fields, columns, strict=True) if key not in allowed]
    if unknown:
        parts = []
        for raw, key in unknown:
            if not key:
                parts.append("an empty header cell")
                continue
            hint = process.extractOne(key, allowed, score_cutoff=75)
            parts.append(f"{raw!r}" + (f" (did you mean {hint[0]}?)" if hint else ""))
        problems.append(f"unknown column(s): {', '.join(parts)}")
    seen: dict[str, int] = {}
    for index, key in enumerate(columns, start=1):
        if key in seen and key in allowed:
            problems.append(f"column {key} appears twice (header cells {seen[key]} and {index})")
        seen.setdefault(key, index)
    missing = [c.name for c in fmt.all_columns if c.required and c.name not in columns]
    if missing:
        problems.append(f"missing required column(s): {', '.join(missing)}")
    if problems:
        raise BadFile(
            f"line {line}: "
            + "; ".join(problems)
            + f". {fmt.a_kind.capitalize()} file accepts these columns: {', '.join(fmt.names)} "
            "(any case; spaces and underscores are the same)."
        )
    return columns


def _parse(
    columns: Sequence[Column | None], line: int, fields: list[str], errors: list[RowError]
) -> dict[str, Any] | None:
    """Typed values of one record (None for empty cells), or None after adding its errors to `errors`."""
    out: dict[str, Any] = {}
    ok = True
    for column, raw in zip(columns, fields, strict=True):
        if column is None:
            continue  # an ignored (computed) column
        raw = raw.strip()
        if not raw:
            if column.required:
                errors.append(
                    RowError(line, column.name, raw, f"a value ({column.expected}); this column is required")
                )
                ok = False
            else:
                out[column.name] = None
            continue
        try:
            out[column.name] = column.parse(raw)
        except Invalid as exc:
            errors.append(RowError(line, column.name, raw, exc.expected or column.expected))
            ok = False
    return out if ok else None


ID_COLUMNS = ("source_id", "account_source_id", "contact_source_id")


def _identified(line: int, values: dict[str, Any], errors: list[RowError]) -> bool:
    """Ids only mean something in their source: an id without a source (or with accountbot) is an error."""
    if values.get("source") is not None:
        return True
    ok = True
    for column in ID_COLUMNS:
        value = values.get(column)
        if value:
            shown_value = ";".join(value) if isinstance(value, tuple) else value
            errors.append(
                RowError(
                    line,
                    column,
                    shown_value,
                    "no id without a source: fill the source column (hubspot, salesforce or pipedrive) "
                    "or leave the id empty",
                )
            )
            ok = False
    return ok


def _parsed(
    kind: str, opener: Opener, progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, Any, list[RowError]]]:
    """Every data record of a file, parsed on its own: (line, typed row, []) or (line, None, its errors); a
    problem with the file as a whole raises BadFile. The one reading of a file, for both passes."""
    fmt = FORMATS[kind]
    by_name = {c.name: c for c in fmt.all_columns}
    header: list[str] | None = None
    columns: list[Column | None] = []
    done = 0
    with opener() as fh:
        for line, fields in _records(fmt, _lines(_text(fh))):
            if header is None:
                header = _header(fmt, fields, line)
                columns = [by_name.get(name) for name in header]
                continue
            done += 1
            if progress and done % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
            errors: list[RowError] = []
            if len(fields) != len(header):
                expected = f"{len(header)} values, one per header column ({','.join(header)}); quote values that contain commas"
                errors.append(RowError(line, "(whole row)", f"{len(fields)} value(s)", expected))
            else:
                values = _parse(columns, line, fields, errors)
                if values is not None and _identified(line, values, errors):
                    yield line, _typed(kind, line, values), errors
                    continue
            yield line, None, errors
    if header is None:
        raise BadFile(
            f"the file is empty; {fmt.a_kind} file starts with a header line such as: {','.join(fmt.names)}"
        )
    if progress:
        progress(done % PROGRESS_EVERY)


def _identity(v: dict[str, Any]) -> dict[str, Any]:
    """Take the identity columns out of a record's values (what remains are the importable fields)."""
    return {"source": v.pop("source", None), "source_id": v.pop("source_id", None)}


def _account_key(account: str, source: str | None, account_source_id: str | None) -> Any:
    """How a row names its account, for duplicate checks: by id in the source when it has one, else by name."""
    if account_source_id:
        return ("id", source, account_source_id)
    return name_key(account)


def _typed(kind: str, line: int, v: dict[str, Any]) -> Any:
    """The typed row of one record's parsed values."""
    if kind == "accounts":
        return AccountRow(line, v.pop("name"), v, **_identity(v))
    if kind == "contacts":
        return ContactRow(
            line,
            v.pop("account"),
            v.pop("name"),
            v,
            **_identity(v),
            account_source_id=v.pop("account_source_id", None),
        )
    if kind == "interactions":
        refs: list[str] = v.get("contact") or []
        return InteractionRow(
            line,
            v["account"],
            v["date"],
            v["kind"],
            refs[0] if refs else None,
            v.get("colleague"),
            v.get("note"),
            source=v.get("source"),
            source_id=v.get("source_id"),
            account_source_id=v.get("account_source_id"),
            contacts=tuple(refs[1:]),
            contact_source_ids=v.get("contact_source_id") or (),
        )
    return RevenueRow(
        line,
        v["account"],
        v["month"],
        v["amount"],
        source=v.get("source"),
        account_source_id=v.get("source_id"),  # in a revenue file, the account's id
    )


Repeat = tuple[str, str, str]  # how a row repeats another: the column, its value as written, what is unique


def _unique_key(row: Any) -> tuple[Any, Repeat] | None:
    """What must not repeat within one file, and how to say it does. A row with a source id is keyed by it (two
    same-named records with different ids are two records), any other row by its name."""
    if isinstance(row, AccountRow):
        if row.source_id:
            return (row.source, row.source_id), ("source_id", row.source_id, "each source id")
        return name_key(row.name), ("name", row.name, "each name")
    if isinstance(row, ContactRow):
        account = _account_key(row.account, row.source, row.account_source_id)
        if row.source_id:  # a contact of several companies may be one row per account, with one id
            return (row.source, row.source_id, account), (
                "source_id",
                row.source_id,
                "each source id and account",
            )
        return (account, name_key(row.name)), ("name", row.name, "each contact of an account")
    if isinstance(row, InteractionRow):
        if row.source_id:  # a touch of several companies is one touch per account, with one id
            account = _account_key(row.account, row.source, row.account_source_id)
            return (row.source, row.source_id, account), (
                "source_id",
                row.source_id,
                "each source id and account",
            )
        return None
    account = _account_key(row.account, row.source, row.account_source_id)
    return (account, row.month), ("month", row.month.strftime("%Y-%m"), "each account and month")


@dataclass(frozen=True, slots=True)
class Checked:
    """What the first pass found in a file that can be imported: its rows, and how many carry a source id."""

    rows: int
    identified: int


def _has_id(row: Any) -> bool:
    return bool(getattr(row, "source_id", None))  # revenue rows name their account's id, not their own


def check_file(
    kind: str,
    opener: Opener,
    progress: Callable[[int], None] | None = None,
    keep: list[Any] | None = None,
) -> Checked:
    """The first pass: every record parsed and every repeat within the file found, with nothing held (the rows
    go to `keep` when one is given). Raises BadFile, or ImportRejected with the first errors by line and the
    total."""
    fmt = FORMATS[kind]
    errors = Errors([c.name for c in fmt.all_columns])
    rows = identified = 0
    with FirstSeen[Repeat]() as seen:

        def repeats() -> None:
            for line, first, (column, value, what) in seen.check():
                errors.append(
                    RowError(line, column, value, f"{what} only once per file (already on line {first})")
                )

        for line, row, row_errors in _parsed(kind, opener, progress):
            if row is None:
                errors.extend(row_errors)
                continue
            rows += 1
            identified += _has_id(row)
            unique = _unique_key(row)
            if unique is not None:
                key, repeat = unique
                seen.add((repeat[2], key), line, repeat)
            if keep is not None:
                keep.append(row)
            if seen.queued >= CHECK_EVERY:
                repeats()
        repeats()
    errors.reject()
    return Checked(rows, identified)


def parse_rows(
    kind: str, data: bytes, progress: Callable[[int], None] | None = None
) -> list[AccountRow] | list[ContactRow] | list[InteractionRow] | list[RevenueRow]:
    """Parse a whole file held in memory (an upload, a test) into typed rows, or raise BadFile /
    ImportRejected (every cell error counted, the first 20 kept)."""
    rows: list[Any] = []
    check_file(kind, lambda: nullcontext(io.BytesIO(data)), progress, keep=rows)
    return rows


def _opener(path: Path) -> Opener:
    @contextmanager
    def opened() -> Iterator[IO[bytes]]:
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            raise BadFile("no such file.") from None
        except IsADirectoryError:
            raise BadFile("this is a directory; give the path of a .csv file.") from None
        except OSError as exc:
            raise BadFile(f"cannot read it ({exc.strerror}).") from None
        with fh:
            yield fh

    return opened


def read_file(kind: str, path: Path, progress: Callable[[int], None] | None = None) -> Reread[Any]:
    """Check a file in a first streamed pass (BadFile or ImportRejected; `progress` is told the rows checked)
    and give its rows, read from the file again each time they are iterated: a file of any size is imported in
    the same memory. A missing or unreadable file is a BadFile with the reason."""
    if kind not in FORMATS:
        raise BadFile(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    opener = _opener(path)
    checked = check_file(kind, opener, progress)

    def again(identified: bool | None) -> Iterator[Any]:
        for line, row, _errors in _parsed(kind, opener):
            if row is None:  # it passed the first pass: the file was changed since
                raise BadFile(f"line {line}: the file changed while it was imported; import it again.")
            if identified is None or _has_id(row) == identified:
                yield row

    return Reread(again, checked.identified, checked.rows - checked.identified)


def count_lines(path: Path) -> int:
    """Rough number of data rows (for a progress bar's total)."""
    with path.open("rb") as fh:
        return max(0, sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1)
