"""The mapping file (`--mapping FILE`, TOML) and the shipped value tables (defaults.toml, same schema).

```toml
[source.hubspot]          # per source: the zone of offset-less date-times and the order of numeric dates
tz = "Europe/Berlin"      # (--tz and --dates override these)
dates = "dmy"

[fields.hubspot]          # custom columns -> canonical fields (header labels, any case)
"Share of Wallet" = "wallet_share"

[values.hubspot.type]     # values.<source>.<canonical field>: cell value (any case/spacing) -> token
"customer" = "client"
```

`load_mapping(path)` merges the user's file over the defaults (per source, per table, per key) and checks
everything: a problem raises `MappingError` naming the file, the line and the key, with a suggestion where
one is close. `Mapping.value(source, field, raw)` gives a cell's token, or None when the table has no entry
for it: the normaliser never guesses, it skips the row and warns with the unmapped value.
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from rapidfuzz import fuzz, process

SOURCES = ("accountbot", "hubspot", "salesforce", "pipedrive")
DATE_ORDERS = ("ymd", "mdy", "dmy")
SOURCE_KEYS = ("tz", "dates")
TOP_LEVEL = ("source", "fields", "values")

RATING_INPUTS = (
    "wallet_share", "profit_margin", "profitability", "strategic_value", "pain_factor", "prospect_fit",
    "aliases", "news_feed", "engagement", "potential",
)  # fmt: skip

# The canonical fields of each kind of file (docs/data.md; the vocabulary shared with the profiles).
CANONICAL_FIELDS: dict[str, tuple[str, ...]] = {
    "users": ("id", "name", "first_name", "last_name", "email", "active", "user_type", "manager"),
    "accounts": (
        "id", "name", "owner", "owner_id", "type", "lifecycle_stage", "label", "website", "domain", "industry",
        "company_revenue", "company_revenue_currency", *RATING_INPUTS,
    ),
    "contacts": (
        "id", "name", "first_name", "last_name", "email", "title", "account_id", "account_ids", "account_name",
        "role", "active", "owner", "owner_id",
    ),
    "activities": (
        "id", "activity_type", "subject", "occurred_at", "date", "time", "status", "outcome", "call_status",
        "done", "location", "account_id", "account_ids", "account_name", "contact_id", "contact_ids",
        "contact_name", "contact_names", "owner", "owner_id", "note",
    ),
    "deals": (
        "id", "name", "deal_stage", "deal_status", "is_won", "is_closed", "close_date", "amount", "currency",
        "account_id", "account_ids", "account_name", "owner", "owner_id",
    ),
}  # fmt: skip
ALL_FIELDS = tuple(dict.fromkeys(f for fields in CANONICAL_FIELDS.values() for f in fields))

_STAGE = ("client", "prospect", "skip")
_OUTCOME = ("done", "not_done", "not_connected", "cancelled")
_DEAL = ("won", "lost", "open")
# The fields that have value tables, and the tokens each may map to.
TOKENS: dict[str, tuple[str, ...]] = {
    "type": _STAGE,
    "lifecycle_stage": _STAGE,
    "label": _STAGE,
    "role": ("decision_maker", "influencer", "user"),
    "activity_type": ("meeting", "call", "video", "email", "visit", "review", "other", "task"),
    "outcome": _OUTCOME,
    "status": _OUTCOME,
    "call_status": _OUTCOME,
    "done": _OUTCOME,
    "deal_stage": _DEAL,
    "deal_status": _DEAL,
    "is_won": _DEAL,
    "is_closed": ("closed", "open"),  # closed and not won is lost; see defaults.toml
}

DEFAULTS = Path(__file__).with_name("defaults.toml")


class MappingError(Exception):
    """The mapping file (or the defaults) cannot be used; the message names the file, line and key."""


@lru_cache(maxsize=8192)
def normalise(value: str) -> str:
    """A cell value as the value tables key it: NFKC, casefolded, inner whitespace collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())  # cached: cells repeat a lot


@dataclass(frozen=True)
class Mapping:
    """The merged tables. All keyed by source ("hubspot", ...).

    - `fields[source]`: header label (as written in the file) -> canonical field;
    - `values[source][field]`: normalised cell value -> token;
    - `tz[source]`: a zone name (ZoneInfo key); `dates[source]`: "ymd", "mdy" or "dmy";
    - `files`: the files merged, defaults first (for messages such as "add it to FILE").
    """

    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    tz: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    def value(self, source: str, field: str, raw: str) -> str | None:
        """The token for a cell (any case and spacing), or None when the table has no entry for it."""
        return self.values.get(source, {}).get(field, {}).get(normalise(raw))

    def table(self, source: str, field: str) -> dict[str, str]:
        """One value table (normalised value -> token); empty when there is none."""
        return dict(self.values.get(source, {}).get(field, {}))

    def zone(self, source: str) -> ZoneInfo | None:
        """The mapping file's zone for a source's offset-less date-times, or None."""
        name = self.tz.get(source)
        return ZoneInfo(name) if name else None

    def date_order(self, source: str) -> str | None:
        return self.dates.get(source)

    def rating_fields(self, source: str) -> dict[str, str]:
        """The custom columns the mapping file points at rating inputs: label -> rating input."""
        return {label: f for label, f in self.fields.get(source, {}).items() if f in RATING_INPUTS}


# ------------------------------------------------------------------------------------------- loading


def load_mapping(path: Path | None = None) -> Mapping:
    """The shipped defaults, with the user's file (if any) merged over them per source, table and key."""
    mapping = _merge(Mapping(), _read(DEFAULTS))
    if path is not None:
        mapping = _merge(mapping, _read(Path(path)))
    return mapping


@dataclass
class _Parsed:
    file: str
    fields: dict[str, dict[str, str]]
    values: dict[str, dict[str, dict[str, str]]]
    tz: dict[str, str]
    dates: dict[str, str]


def _merge(base: Mapping, top: _Parsed) -> Mapping:
    fields = {s: dict(t) for s, t in base.fields.items()}
    for source, table in top.fields.items():
        merged = fields.setdefault(source, {})
        for label, canonical in table.items():
            for old in [k for k in merged if normalise(k) == normalise(label)]:
                del merged[old]
            merged[label] = canonical
    values = {s: {f: dict(t) for f, t in tables.items()} for s, tables in base.values.items()}
    for source, tables in top.values.items():
        for name, table in tables.items():
            values.setdefault(source, {}).setdefault(name, {}).update(table)
    return Mapping(
        fields=fields,
        values=values,
        tz={**base.tz, **top.tz},
        dates={**base.dates, **top.dates},
        files=(*base.files, top.file),
    )


def _read(path: Path) -> _Parsed:
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise MappingError(f"{name}: no such mapping file (--mapping)") from None
    except IsADirectoryError:
        raise MappingError(f"{name}: is a directory, not a mapping file (--mapping)") from None
    except OSError as exc:
        raise MappingError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise MappingError(f"{name} line {line}: not UTF-8 text; save the mapping file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if m:
            problem = message[: m.start()].strip()
            raise MappingError(f"{name} line {m[1]}, column {m[2]}: {problem} (TOML syntax)") from None
        line = text.count("\n") + 1
        raise MappingError(f"{name} line {line}: {message.split(' (at')[0]} (TOML syntax)") from None
    return _Checker(name, text).check(data)


# ------------------------------------------------------------------------------------------- checking


def _suggest(word: str, choices: Iterable[str]) -> str:
    options = list(choices)
    best = process.extractOne(word, options, scorer=fuzz.ratio, score_cutoff=60)
    if best is None:
        best = process.extractOne(word.casefold(), options, scorer=fuzz.ratio, score_cutoff=60)
    return f"; did you mean {json.dumps(best[0], ensure_ascii=False)}?" if best else ""


def _dotted(path: Iterable[str]) -> str:
    return ".".join(
        p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else json.dumps(p, ensure_ascii=False) for p in path
    )


def _flatten(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, value in data.items():
        if isinstance(value, dict) and value:
            yield from _flatten(value, (*prefix, key))
        else:
            yield (*prefix, key)


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Where each key and table header of a TOML text is written: full key path -> first line (1-based).
    Found by reading each line's header or key with tomllib itself, so quoting and dotted keys count."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            # the header ends at the first "]" that makes it parse (a quoted key may hold a "]")
            for end in [i for i, c in enumerate(stripped) if c == "]"]:
                try:
                    parsed = tomllib.loads(stripped[: end + 1])
                except tomllib.TOMLDecodeError:
                    continue
                table = next(_flatten(parsed), ())
                for depth in range(1, len(table) + 1):
                    lines.setdefault(table[:depth], number)
                break
            continue
        for at in [i for i, c in enumerate(line) if c == "="]:
            try:
                parsed = tomllib.loads(line[:at] + "= 0")
            except tomllib.TOMLDecodeError:
                continue
            for path in _flatten(parsed):
                full = (*table, *path)
                for depth in range(len(table) + 1, len(full) + 1):
                    lines.setdefault(full[:depth], number)
            break
    return lines


class _Checker:
    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self._lines: dict[tuple[str, ...], int] | None = None

    def line(self, path: tuple[str, ...]) -> int | None:
        if self._lines is None:
            self._lines = key_lines(self.text)
        for depth in range(len(path), 0, -1):
            if path[:depth] in self._lines:
                return self._lines[path[:depth]]
        return None

    def fail(self, path: tuple[str, ...], problem: str) -> MappingError:
        line = self.line(path)
        where = f"{self.file} line {line}" if line is not None else self.file
        return MappingError(f"{where}: {_dotted(path)}: {problem}")

    def table(self, value: Any, path: tuple[str, ...], what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(
                path, f"expected a table of {what} ([{_dotted(path)}]), found {type(value).__name__}"
            )
        return value

    def string(self, value: Any, path: tuple[str, ...], what: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected {what} in quotes, found {value!r}")
        return value

    def source(self, name: str, path: tuple[str, ...]) -> str:
        if name not in SOURCES:
            raise self.fail(
                path, f"unknown source {name!r} (one of {', '.join(SOURCES)}){_suggest(name, SOURCES)}"
            )
        return name

    def check(self, data: dict[str, Any]) -> _Parsed:
        parsed = _Parsed(self.file, {}, {}, {}, {})
        for key in data:
            if key not in TOP_LEVEL:
                raise self.fail(
                    (key,),
                    f"unknown table {key!r}; a mapping file has [source.X], [fields.X] and [values.X.FIELD]"
                    f"{_suggest(key, TOP_LEVEL)}",
                )
        for source, settings in self.table(data.get("source", {}), ("source",), "sources").items():
            path = ("source", source)
            self.source(source, path)
            for key, value in self.table(settings, path, "settings").items():
                if key not in SOURCE_KEYS:
                    raise self.fail(
                        (*path, key),
                        f"unknown setting {key!r} (one of tz, dates){_suggest(key, SOURCE_KEYS)}",
                    )
                text = self.string(value, (*path, key), "a zone name" if key == "tz" else "a date order")
                if key == "tz":
                    parsed.tz[source] = self.zone(text, (*path, key))
                elif text not in DATE_ORDERS:
                    raise self.fail(
                        (*path, key),
                        f"unknown date order {text!r} (one of ymd, mdy, dmy){_suggest(text, DATE_ORDERS)}",
                    )
                else:
                    parsed.dates[source] = text
        for source, labels in self.table(data.get("fields", {}), ("fields",), "sources").items():
            path = ("fields", source)
            self.source(source, path)
            out = parsed.fields.setdefault(source, {})
            seen: dict[str, str] = {}
            for label, canonical in self.table(labels, path, "header labels").items():
                at = (*path, label)
                name = self.string(canonical, at, "a canonical field name")
                if name not in ALL_FIELDS:
                    raise self.fail(at, f"unknown field {name!r}{_suggest(name, ALL_FIELDS)}")
                key = normalise(label)
                if not key:
                    raise self.fail(at, "an empty header label")
                if key in seen and seen[key] != label:
                    raise self.fail(
                        at, f"the same header label as {seen[key]!r} (labels are matched in any case)"
                    )
                seen[key] = label
                out[label.strip()] = name
        for source, tables in self.table(data.get("values", {}), ("values",), "sources").items():
            path = ("values", source)
            self.source(source, path)
            for name, table in self.table(tables, path, "fields").items():
                at = (*path, name)
                if name not in TOKENS:
                    raise self.fail(
                        at,
                        f"no value table for field {name!r} (value tables: {', '.join(TOKENS)}){_suggest(name, TOKENS)}",
                    )
                out_table = parsed.values.setdefault(source, {}).setdefault(name, {})
                written: dict[str, str] = {}
                for raw, token in self.table(table, at, "values").items():
                    where = (*at, raw)
                    text = self.string(token, where, "a token")
                    if text not in TOKENS[name]:
                        raise self.fail(
                            where,
                            f"unknown token {text!r} for {name} (one of {', '.join(TOKENS[name])})"
                            f"{_suggest(text, TOKENS[name])}",
                        )
                    key = normalise(raw)
                    if key in out_table and out_table[key] != text:
                        raise self.fail(
                            where,
                            f"{raw!r} is the same value as {written[key]!r} (values are matched in any case and "
                            f"spacing) but maps to {text!r}, not {out_table[key]!r}",
                        )
                    written.setdefault(key, raw)
                    out_table[key] = text
        return parsed

    def zone(self, name: str, path: tuple[str, ...]) -> str:
        try:
            ZoneInfo(name)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError; "Europe" a directory
            zones = sorted(available_timezones())
            raise self.fail(
                path,
                f"unknown time zone {name!r} (an IANA name such as Europe/Berlin){_suggest(name, zones)}",
            ) from None
        return name
