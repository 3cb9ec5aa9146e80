"""Cell values of CRM exports: dates and date-times, amounts, websites, HTML notes, multi-valued cells,
Salesforce ids, optional emails. Pure: strings in, values out; no database, no clock.

A cell that does not parse raises `Invalid` (storage.importing.csv_formats.Invalid). A problem that only an
option can fix (the zone of offset-less date-times, the order of numeric dates) raises `NeedOption` naming it.

Dates are read in two passes. The first feeds every raw date cell of a file to a `DateSniffer`, which learns
whether any date-time lacks an offset (so `--tz` is needed) and which numeric date orders fit every value;
`settle_order` turns that into one order or a `NeedOption("--dates", ...)`. The second pass parses each cell
with `Moments(order, tz, zone)`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from storage.importing.csv_formats import Invalid, email, unquote_formula
from storage.importing.csv_formats import domain as valid_domain

__all__ = [
    "ORDERS",
    "DateSniffer",
    "Invalid",
    "Moments",
    "NeedOption",
    "domain_of",
    "optional_email",
    "parse_amount",
    "salesforce_id",
    "settle_order",
    "split_multi",
    "strip_html",
]

ORDERS = ("ymd", "mdy", "dmy")


class NeedOption(Exception):
    """The file as a whole needs an option to be read right; `option` names it ("--tz", "--dates")."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option
        self.message = message


# ------------------------------------------------------------------------------------------- date shapes

# Time of day: "14:30", "14:30:05", "14:30:05.123456", "2:30 PM", "2:30pm", "2 PM", "2:30 p.m."
_TIME = r"""
    (?P<hour>\d{1,2})
    (?: :(?P<minute>\d{2}) (?: :(?P<second>\d{2}) (?:[.,](?P<fraction>\d{1,9}))? )? )?
    (?: \s*(?P<ampm>[AaPp])\.?[Mm]\.? )?
"""
# Offset: "Z", "+01:00", "+0100", "+01", " UTC", " GMT", "UTC+01:00"
_OFFSET = r"""
    (?P<offset>
        \s*(?:Z|z)
      | \s*(?:UTC|GMT)?\s*[+-]\d{2}(?::?\d{2})?
      | \s+(?:UTC|GMT)
    )
"""
_ISO = re.compile(
    rf"""^(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})
         (?: (?:T|\s+) {_TIME} {_OFFSET}? )?$""",
    re.VERBOSE,
)
# Numeric dates with a separator: "3/1/2026", "01.03.2026", "1-3-26", "2026/03/01"; then an optional time,
# after a space, a comma or "T".
_NUMERIC = re.compile(
    rf"""^(?P<a>\d{{1,4}})(?P<sep>[./-])(?P<b>\d{{1,2}})(?P=sep)(?P<c>\d{{1,4}})\.?
         (?: (?:\s*,\s*|\s+|T) {_TIME} {_OFFSET}? )?$""",
    re.VERBOSE,
)
# Dates with an English month name, which need no order: "1 Mar 2026", "01-Mar-26", "1. March 2026",
# "Mar 1, 2026", "Sun, March 1st 2026"; then an optional time as above.
_DAY_MONTH = re.compile(
    rf"""^(?:[A-Za-z]{{3,9}},?\s+)??(?P<d>\d{{1,2}})\.?[\s-]+(?P<mon>[A-Za-z]{{3,9}})\.?[\s-]+(?P<y>\d{{4}}|\d{{2}})
         (?: (?:\s*,\s*|\s+|T) {_TIME} {_OFFSET}? )?$""",
    re.VERBOSE,
)
_MONTH_DAY = re.compile(
    rf"""^(?:[A-Za-z]{{3,9}},?\s+)?(?P<mon>[A-Za-z]{{3,9}})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})
         (?: (?:\s*,\s*|\s+|T|\s+at\s+) {_TIME} {_OFFSET}? )?$""",
    re.VERBOSE,
)
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
)  # fmt: skip


def _month_number(name: str) -> int | None:
    """An English month name or its abbreviation of three letters or more ("Mar", "Sept", "March")."""
    key = name.casefold()
    for number, full in enumerate(_MONTHS, start=1):
        if len(key) >= 3 and full.startswith(key):
            return number
    return None


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the text of a date cell says, before an order is applied."""

    parts: tuple[str, str, str]  # the three date parts as written
    year_first: (
        bool  # a four-digit first part (ISO and "2026/03/01"): read as year-month-day, whatever --dates
    )
    has_time: bool
    has_offset: bool


def _shape(raw: str) -> tuple[_Shape, re.Match[str]] | None:
    text = raw.strip()
    for pattern, year_first in ((_ISO, True), (_NUMERIC, None)):
        m = pattern.match(text)
        if m:
            if pattern is _ISO:
                parts = (m["y"], m["m"], m["d"])
            else:
                parts = (m["a"], m["b"], m["c"])
                year_first = len(m["a"]) == 4
                if not year_first and len(m["a"]) > 2:
                    return None  # "202/3/1": no order reads that
                if not year_first and len(m["c"]) not in (2, 4):
                    return None  # the year is two or four digits
                if year_first and len(m["c"]) > 2:
                    return None
            shape = _Shape(parts, bool(year_first), m["hour"] is not None, m["offset"] is not None)
            return shape, m
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        m = pattern.match(text)
        if m:
            month = _month_number(m["mon"])
            if month is None:
                return None
            parts = (str(_year(m["y"])), str(month), m["d"])  # named months need no order: year-first
            return _Shape(parts, True, m["hour"] is not None, m["offset"] is not None), m
    return None


# ------------------------------------------------------------------------------------------- first pass


@dataclass
class DateSniffer:
    """Fed every raw date or date-time cell of one file (`feed`), it tells what the file needs.

    - `needs_tz`: a date-time without an offset was seen (`naive_example`, `naive_line`): without `--tz` (or a
      source documented as writing UTC) its moment is unknown.
    - `orders()`: the numeric date orders consistent with every day/month-first date seen ("3/1/2026",
      "01.03.2026", "1-3-26"): a first part above 12 rules out month-first, a second part above 12 rules out
      day-first. Year-first dates ("2026-03-01", "2026/03/01") are read year-month-day whatever the order and
      are consistent with all three; "ymd" itself is consistent only while no day/month-first date was seen.
    - `ambiguous`: day/month-first dates were seen and none has a part above 12 (`example`, `example_line`).

    Values that are no date at all, or impossible under every order ("13/13/2026"), are left to `Moments`,
    which rejects them row by row.
    """

    needs_tz: bool = False
    naive_example: str | None = None
    naive_line: int | None = None
    example: str | None = None  # the first day/month-first date seen
    example_line: int | None = None
    short_dates: int = 0  # how many day/month-first dates were seen
    # the first value (and its line) that rules each order out
    ruled_out: dict[str, tuple[str, int | None]] = field(default_factory=dict)

    def feed(self, raw: str, line: int | None = None) -> None:
        found = _shape(raw)
        if found is None:
            return
        shape, _ = found
        if shape.has_time and not shape.has_offset and not self.needs_tz:
            self.needs_tz = True
            self.naive_example = raw.strip()
            self.naive_line = line
        if shape.year_first:
            return
        first, second = int(shape.parts[0]), int(shape.parts[1])
        if not (1 <= first <= 31 and 1 <= second <= 31) or (first > 12 and second > 12):
            return  # not a date under any order: Moments rejects it
        self.short_dates += 1
        if self.example is None:
            self.example, self.example_line = raw.strip(), line
        self.ruled_out.setdefault("ymd", (raw.strip(), line))
        if first > 12:
            self.ruled_out.setdefault("mdy", (raw.strip(), line))
        if second > 12:
            self.ruled_out.setdefault("dmy", (raw.strip(), line))

    def feed_pair(self, date_raw: str, time_raw: str, line: int | None = None) -> None:
        """A date cell and a time-of-day cell read together (Moments.combine), such as Pipedrive's "Due date"
        and "Due time"."""
        date_raw, time_raw = date_raw.strip(), time_raw.strip()
        self.feed(f"{date_raw} {time_raw}" if date_raw and time_raw else date_raw, line)

    def orders(self) -> set[str]:
        return {order for order in ORDERS if order not in self.ruled_out}

    @property
    def ambiguous(self) -> bool:
        return self.short_dates > 0 and {"mdy", "dmy"} <= self.orders()


def _where(value: str, line: int | None) -> str:
    return f"{value!r}" + (f" (line {line})" if line is not None else "")


_ORDER_WORDS = {"ymd": "year-first", "mdy": "month-first", "dmy": "day-first"}


def settle_order(sniffer: DateSniffer, explicit: str | None) -> str:
    """The date order to read the file with: `explicit` (--dates or the mapping file) if given and consistent
    with the file, else the one order the file allows. Raises NeedOption("--dates", ...) when the file's dates
    could be read either way, contradict each other, or contradict `explicit`."""
    if explicit is not None:
        if explicit not in ORDERS:
            raise NeedOption("--dates", f"--dates must be one of {', '.join(ORDERS)}, not {explicit!r}")
        if explicit in sniffer.ruled_out:
            value, line = sniffer.ruled_out[explicit]
            raise NeedOption(
                "--dates",
                f"--dates {explicit} does not fit the file: the date {_where(value, line)} is not "
                f"{_ORDER_WORDS[explicit]}; check --dates",
            )
        return explicit
    if not sniffer.short_dates:
        return "ymd"
    possible = sniffer.orders() & {"mdy", "dmy"}
    if len(possible) == 1:
        return possible.pop()
    if not possible:
        mdy_value, mdy_line = sniffer.ruled_out["mdy"]
        dmy_value, dmy_line = sniffer.ruled_out["dmy"]
        raise NeedOption(
            "--dates",
            f"the file's dates contradict each other: {_where(mdy_value, mdy_line)} can only be day-first and "
            f"{_where(dmy_value, dmy_line)} only month-first; fix the file or pass --dates mdy or --dates dmy "
            "and let the other rows be skipped as invalid",
        )
    raise NeedOption(
        "--dates",
        f"dates such as {_where(sniffer.example or '', sniffer.example_line)} could be month-first or day-first "
        "and nothing in the file tells; pass --dates mdy or --dates dmy",
    )


# ------------------------------------------------------------------------------------------- second pass


def _year(text: str) -> int:
    """Four digits as written; two digits as POSIX strptime's %y reads them: 69-99 -> 19xx, 00-68 -> 20xx."""
    year = int(text)
    if len(text) == 2:
        return year + (1900 if year >= 69 else 2000)
    return year


def _offset(text: str) -> timezone:
    text = text.strip().upper().removeprefix("UTC").removeprefix("GMT").strip()
    if text in ("", "Z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise Invalid("a valid UTC offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _time_of_day(m: re.Match[str]) -> time:
    hour = int(m["hour"])
    minute = int(m["minute"] or 0)
    second = int(m["second"] or 0)
    micro = int((m["fraction"] or "0")[:6].ljust(6, "0"))
    if m["ampm"]:
        if not 1 <= hour <= 12:
            raise Invalid("a time of day (12-hour clock: 1 to 12)")
        hour = hour % 12 + (12 if m["ampm"].lower() == "p" else 0)
    elif m["minute"] is None:
        raise Invalid("a time of day such as 14:30 or 2:30 PM")  # a bare "14" is no time
    if hour > 23 or minute > 59 or second > 59:  # a leap second "23:59:60" is refused too
        raise Invalid("a time of day")
    return time(hour, minute, second, micro)


_ISO_FAST = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?"
)


def _iso_fast(raw: str) -> date | datetime | None:
    """The common ISO shapes ("2026-03-01", "2026-03-01T14:30:00.123+01:00", "...Z") by the C parser; None
    for anything else (the general parser then decides, also on what is invalid)."""
    if not _ISO_FAST.fullmatch(raw):
        return None
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        return datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
    except ValueError:
        return None


@dataclass(frozen=True)
class Moments:
    """Parses a file's date and date-time cells once the order is settled.

    - `order`: "ymd", "mdy" or "dmy", applied to dates whose first part is not a four-digit year.
    - `tz`: the zone of date-times without an offset (--tz or the mapping file), or None.
    - `zone`: "utc" where the source documents offset-less date-times as UTC (a profile's `zone`); used only
      when `tz` is None. With neither, an offset-less date-time raises NeedOption("--tz", ...).

    `parse(raw)` gives a `date` for a date-only cell and an aware `datetime` in UTC for a date-time.
    Accepted: ISO 8601 ("2026-03-01", "2026-03-01T14:30", "2026-03-01 14:30:05.123Z", "+01:00", "+0100"),
    numeric dates in the settled order with "/", "." or "-" ("3/1/2026", "01.03.2026", "1-3-26") and an
    optional time after a space or comma ("3/1/2026, 2:30 PM", "01.03.2026 14:30"), English month names
    ("1 Mar 2026", "01-Mar-26", "Mar 1, 2026 2:30 PM", whatever the order), 12- and 24-hour clocks,
    two-digit years (69-99 -> 19xx, 00-68 -> 20xx), and a trailing "UTC"/"GMT".

    Local times that a DST change skips or repeats follow zoneinfo with fold=0: a skipped time (02:30 on the
    night clocks go forward) is read with the offset in force before the change, so it lands one hour later
    on the wall clock (03:30 summer time); a repeated time (02:30 on the night clocks go back) is its first
    occurrence (summer time).
    """

    order: str = "ymd"
    tz: ZoneInfo | None = None
    zone: str | None = None

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, not {self.order!r}")

    def _date(self, shape: _Shape) -> date:
        a, b, c = shape.parts
        if shape.year_first:
            year, month, day = int(a), int(b), int(c)
        elif self.order == "mdy":
            year, month, day = _year(c), int(a), int(b)
        elif self.order == "dmy":
            year, month, day = _year(c), int(b), int(a)
        else:  # ymd with a short first part: "26-03-01"
            if len(a) != 2 or len(c) != 2:
                raise Invalid("a year-first date such as 2026-03-01")
            year, month, day = _year(a), int(b), int(c)
        try:
            return date(year, month, day)
        except ValueError:
            raise Invalid("a real calendar date") from None

    def parse(self, raw: str) -> date | datetime:
        fast = _iso_fast(raw)
        if fast is not None:
            if isinstance(fast, datetime):
                if fast.tzinfo is None:
                    return self._localise(fast, raw)
                return fast.astimezone(UTC)
            return fast
        found = _shape(raw)
        if found is None:
            raise Invalid("a date such as 2026-03-01 or a date-time such as 2026-03-01 14:30")
        shape, m = found
        day = self._date(shape)
        if not shape.has_time:
            return day
        local = datetime.combine(day, _time_of_day(m))
        if shape.has_offset:
            return local.replace(tzinfo=_offset(m["offset"])).astimezone(UTC)
        return self._localise(local, raw)

    def _localise(self, local: datetime, raw: str) -> datetime:
        if self.tz is not None:
            return local.replace(tzinfo=self.tz, fold=0).astimezone(UTC)
        if self.zone == "utc":
            return local.replace(tzinfo=UTC)
        raise NeedOption(
            "--tz",
            f"the date-time {raw.strip()!r} has no UTC offset and nothing says which zone it is in; "
            "pass --tz ZONE (such as --tz Europe/Berlin)",
        )

    def combine(self, date_raw: str, time_raw: str) -> date | datetime:
        """Two cells, a date and a time of day (Pipedrive's "Due date" and "Due time"): the moment they make
        together, or the date alone when the time cell is empty."""
        date_raw, time_raw = date_raw.strip(), time_raw.strip()
        if not time_raw:
            return self.parse(date_raw)
        found = _shape(date_raw)
        if found is None or found[0].has_time:
            raise Invalid("a date such as 2026-03-01")
        return self.parse(f"{date_raw} {time_raw}")


# ------------------------------------------------------------------------------------------- amounts

# Currency symbols that name one currency. "$" alone does not (USD, CAD, AUD, MXN...): the caller takes the
# currency column, else the workspace currency. "¥" is read as JPY (CNY exports write "CN¥" or "CNY").
_SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "￥": "JPY",
    "CN¥": "CNY",
    "US$": "USD",
    "CA$": "CAD",
    "C$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "NZ$": "NZD",
    "HK$": "HKD",
    "S$": "SGD",
    "R$": "BRL",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "zł": "PLN",
    "CHF": "CHF",
    "$": "",
}
_SYMBOL_PATTERN = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_AMOUNT = re.compile(
    rf"""^(?P<neg1>[-−(])?\s*
         (?: (?P<code1>[A-Za-z]{{3}}) \s* | (?P<sym1>{_SYMBOL_PATTERN}) \s* )?
         (?P<neg2>[-−])?\s*
         (?P<number>\d[\d.,'’\s\u00a0\u202f]*)
         \s* (?: (?P<sym2>{_SYMBOL_PATTERN}) | (?P<code2>[A-Za-z]{{3}}) )? \s*
         (?P<close>\))?$""",
    re.VERBOSE,
)
_SPACES = re.compile(r"[\s\u00a0\u202f'’]")


def _groups_ok(groups: list[str]) -> bool:
    """Digit groups split at a thousands separator: a first group of 1-3 digits, then groups of three
    (or India's lakh grouping: twos, then a last three)."""
    head, rest = groups[0], groups[1:]
    if not rest or not (1 <= len(head) <= 3) or not all(g.isdigit() for g in groups):
        return False
    if all(len(g) == 3 for g in rest):
        return True
    return len(head) <= 2 and len(rest[-1]) == 3 and all(len(g) == 2 for g in rest[:-1])


def _number(text: str) -> float:
    """The digits of an amount with its separators, read by their shape (see parse_amount)."""
    if _SPACES.search(text):
        # spaces and apostrophes only ever group thousands ("1 200,50", "1'200.50")
        parts = _SPACES.split(text.strip())
        head = parts[0]
        tail_groups = [p for p in parts[1:]]
        last = tail_groups[-1] if tail_groups else ""
        # the decimal part rides on the last group: "1 200,50" -> groups 1 | 200,50
        decimal = ""
        for mark in (",", "."):
            if mark in last:
                last, decimal = last.split(mark, 1)
                decimal = mark + decimal
                break
        groups = [head, *tail_groups[:-1], last] if tail_groups else [head]
        if any(not g for g in groups) or not _groups_ok(groups) or any(c in "".join(groups) for c in ".,"):
            raise Invalid("an amount such as 1 200,50")
        if decimal and not decimal[1:].isdigit():
            raise Invalid("an amount such as 1 200,50")
        return float("".join(groups) + ("." + decimal[1:] if decimal else ""))
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        whole, _, fraction = text.rpartition(decimal_mark)
        if decimal_mark in whole or not fraction.isdigit() or not _groups_ok(whole.split(thousands)):
            raise Invalid("an amount such as 1,200.50 or 1.200,50")
        return float(whole.replace(thousands, "") + "." + fraction)
    if not commas and not dots:
        if not text.isdigit():
            raise Invalid()
        return float(text)
    mark = "," if commas else "."
    groups = text.split(mark)
    if len(groups) > 2:  # repeated: thousands ("1,200,000", "1.200.000")
        if not _groups_ok(groups):
            raise Invalid("an amount such as 1,200,000")
        return float("".join(groups))
    whole, fraction = groups
    if not whole or not fraction.isdigit():
        raise Invalid("an amount such as 1200.50")
    if len(fraction) == 3 and whole.isdigit() and not whole.startswith("0") and len(whole) <= 3:
        # "1,200" or "1.200": a lone separator before exactly three digits groups thousands (amounts with
        # three decimals are rarer than locale-formatted whole amounts); "0.125" stays a decimal
        return float(whole + fraction)
    return float(whole + "." + fraction)


def parse_amount(raw: str) -> tuple[float, str | None]:
    """A money cell -> (amount, ISO currency code the cell names, else None).

    Accepted: "12000", "12000.50", "$1,200.50", "1.200,50 €", "EUR 1.200,00", "1 200,50", "1'200.50",
    "JPY 120000", "¥120,000", "120000 JPY", "USD 1,200.50". Separators are read by their shape: with both "."
    and "," the last one is the decimal mark; a separator repeated ("1,200,000") or before another kind
    ("1.200,50") groups thousands; a lone separator before exactly three digits groups thousands ("1,200" and
    "1.200" are 1200; "0.125" is a fraction); otherwise it is the decimal mark ("1200,5"). Spaces and
    apostrophes group thousands.

    Currency: a three-letter code before or after the number is returned upper-cased; "€" EUR, "£" GBP, "¥"
    JPY, "US$" USD, "C$" CAD and a few more map to their codes; "$" alone names no currency (None: the caller
    uses the currency column or the workspace currency). Negative amounts ("-5", "(5)"), NaN and infinity
    are Invalid; so is an empty cell (callers treat "" and "-" as no amount before calling).
    """
    text = unquote_formula(raw).strip()
    m = _AMOUNT.match(text)
    if not m:
        raise Invalid("an amount such as 1200.50, optionally with a currency (EUR 1.200,00)")
    if m["neg1"] or m["neg2"] or m["close"]:
        raise Invalid("an amount that is not negative")
    codes = [c for c in (m["code1"], m["code2"]) if c]
    symbols = [s for s in (m["sym1"], m["sym2"]) if s]
    if len(codes) + len(symbols) > 1:
        found = {c.upper() for c in codes} | {_SYMBOLS[s] for s in symbols}
        if len(found - {""}) > 1:
            raise Invalid("an amount in one currency")
    currency: str | None = None
    for code in codes:
        currency = code.upper()
    for symbol in symbols:
        currency = currency or _SYMBOLS[symbol] or None
    amount = _number(m["number"].strip())
    if not math.isfinite(amount):
        raise Invalid("a finite amount")
    return amount, currency


# ------------------------------------------------------------------------------------------- text cells


def domain_of(raw: str) -> str:
    """The domain of a website cell: "https://www.Acme.com/about?x=1" -> "acme.com"; "acme.com" stays.
    Scheme, user info, port, path, query and a leading "www." go; letters are lower-cased; an
    internationalised name becomes its ASCII (punycode) form. Raises Invalid when no domain is left."""
    text = raw.strip()
    if not text or any(c.isspace() for c in text) or len(text) > 2000:
        raise Invalid("a website such as https://acme.com or a domain such as acme.com")
    if "://" not in text:
        text = "//" + text.lstrip("/")
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        raise Invalid("a website such as https://acme.com") from None
    host = host.rstrip(".").lower()
    if host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise Invalid("a website such as https://acme.com") from None
    return valid_domain(host)


_BLOCKS = {
    "p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "section", "article", "header", "footer",
}  # fmt: skip
_HIDDEN = {"script", "style", "head", "title"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.at_block = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.out.append("\n")
            self.at_block = False
        elif tag in _BLOCKS:
            self.block()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
            self.at_block = False
        elif tag in _BLOCKS:
            self.block()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.block()

    def block(self) -> None:
        """A block boundary: one line break, however many block tags meet there ("</p><div>")."""
        if not self.at_block:
            self.out.append("\n")
            self.at_block = True

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(data)
            if data.strip():
                self.at_block = False


def strip_html(text: str) -> str:
    """A note's text without its HTML: tags go, <br> and the end of a paragraph or block (p, div, li, ...)
    become line breaks, entities are unescaped (&amp; -> &, &nbsp; -> space), script and style content is
    dropped; whitespace is collapsed within each line, runs of blank lines become one, and the ends are
    trimmed. Plain text passes through with only that whitespace tidying."""
    if "<" in text or "&" in text:
        parser = _Text()
        parser.feed(text)
        parser.close()
        text = "".join(parser.out)
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def split_multi(raw: str) -> list[str]:
    """A multi-valued cell -> its values: split at ";" (HubSpot's and Salesforce's separator for multi-select
    values and associations), each trimmed with inner whitespace collapsed; empty values and repeats
    (case-sensitive, as ids are) are dropped, the first occurrence's order kept."""
    out: list[str] = []
    seen: set[str] = set()
    for part in raw.split(";"):
        value = " ".join(part.split())
        if value and value not in seen:
            seen.add(value)
            out.append(value)
    return out


_SF_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _sf_suffix(id15: str) -> str:
    out = []
    for start in (0, 5, 10):
        bits = sum(1 << i for i, c in enumerate(id15[start : start + 5]) if "A" <= c <= "Z")
        out.append(_SF_SUFFIX[bits])
    return "".join(out)


def salesforce_id(raw: str) -> str:
    """A Salesforce record id in its 18-character form. A 15-character id (case-sensitive, as reports show
    it) gains the three-character suffix that encodes the case of its letters; an 18-character id (as Data
    Loader and the API give it) is checked: its suffix must match its first 15 characters (the suffix
    itself is compared case-insensitively). Anything else is Invalid."""
    text = raw.strip()
    if not _SF_ID.match(text):
        raise Invalid("a Salesforce id of 15 or 18 letters and digits")
    head = text[:15]
    suffix = _sf_suffix(head)
    if len(text) == 18 and text[15:].upper() != suffix:
        raise Invalid("a Salesforce id whose last three characters match the first fifteen")
    return head + suffix


_NO_EMAIL = {
    "", "-", "--", "n/a", "na", "n.a.", "none", "null", "nil", "unknown", "no email", "noemail", "tbd", "?",
    "0", "x",
}  # fmt: skip
_ANGLE = re.compile(r"^[^<>]*<([^<>]+)>\s*$")


def optional_email(raw: str) -> str:
    """An optional email cell -> the address, lower-cased. "Jane Doe <jane@acme.com>" and "mailto:" forms
    give the address. Placeholders ("n/a", "none", "-", "unknown", ...) and anything else that is no address
    raise Invalid, so the caller clears the cell with a warning and keeps the row."""
    text = raw.strip()
    if text.casefold() in _NO_EMAIL:
        raise Invalid("an email address (or an empty cell)")
    m = _ANGLE.match(text)
    if m:
        text = m.group(1).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0]
    try:
        return email(text)
    except Invalid:
        raise Invalid("an email address (or an empty cell)") from None
