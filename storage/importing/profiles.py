"""Which export a table is: its source (accountbot, HubSpot, Salesforce, Pipedrive) and kind, from its header.

The profiles are data (profiles.toml next to this file): per profile the header labels it knows and the
canonical field each feeds (the vocabulary of docs/design of issue 12), the fields a header must have
(`signature`), constants the file implies and the zone of offset-less date-times. `detect` picks the
qualifying profile that knows the most header cells; a tie or no match is a BadFile naming --from/--kind.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from storage.importing.csv_formats import FORMATS, BadFile, header_key

SOURCES = ("accountbot", "hubspot", "salesforce", "pipedrive")
KINDS = ("users", "accounts", "contacts", "activities", "deals", "interactions", "revenue")
FIELDS: dict[str, tuple[str, ...]] = {
    "users": ("id", "name", "first_name", "last_name", "email", "active", "user_type", "manager"),
    "accounts": (
        "id", "name", "owner", "owner_id", "type", "lifecycle_stage", "label", "website", "domain", "industry",
        "company_revenue", "company_revenue_currency", "wallet_share", "profit_margin", "profitability",
        "strategic_value", "pain_factor", "prospect_fit", "aliases", "news_feed", "engagement", "potential",
    ),
    "contacts": (
        "id", "name", "first_name", "last_name", "email", "title", "account_id", "account_ids", "account_name",
        "role", "active", "owner", "owner_id",
    ),
    "activities": (
        "id", "activity_type", "subject", "occurred_at", "date", "time", "status", "outcome", "call_status", "done",
        "location", "account_id", "account_ids", "account_name", "contact_id", "contact_ids", "contact_name",
        "contact_names", "owner", "owner_id", "note",
    ),
    "deals": (
        "id", "name", "deal_stage", "deal_status", "is_won", "is_closed", "close_date", "amount", "currency",
        "account_id", "account_ids", "account_name", "owner", "owner_id",
    ),
}  # fmt: skip
SAME_KIND = {"interactions": "activities"}  # --kind interactions and activities name the same files


@dataclass(frozen=True)
class Profile:
    source: str  # accountbot | hubspot | salesforce | pipedrive
    name: str  # "hubspot-companies", "salesforce-report-contacts", "salesforce-dataloader-task", ...
    kind: str  # users | accounts | contacts | activities | deals | revenue | interactions (accountbot)
    fields: dict[str, str]  # header label (as header_label() gives it) -> canonical field
    constants: dict[str, str]
    zone: str | None  # "utc" or None
    signature: tuple[str, ...] = ()  # canonical fields the header must have columns for
    ignored: frozenset[str] = field(default_factory=frozenset)  # labels known and not read (accountbot's)
    shown: dict[str, str] = field(default_factory=dict)  # canonical field -> its first label as written

    @property
    def strict(self) -> bool:
        """accountbot's own formats: every header cell must be one of their columns."""
        return self.source == "accountbot"

    def key(self, cell: str) -> str:
        """How this profile compares a header cell: accountbot's formats also equate spaces and underscores."""
        label = header_label(cell)
        return header_key(label) if self.strict else label

    def label_of(self, canonical: str) -> str:
        """The first header label the profile knows for a canonical field (for messages)."""
        if canonical in self.shown:
            return self.shown[canonical]
        return next((label for label, name in self.fields.items() if name == canonical), canonical)


@dataclass(frozen=True)
class Detected:
    profile: Profile
    columns: list[
        str | None
    ]  # per header cell: its canonical field, or None (unknown column: ignored, one warning)
    unknown: list[str]  # raw labels of the unknown columns


def header_label(cell: str) -> str:
    """A header cell compared: BOM and surrounding space off, case folded, inner whitespace collapsed."""
    return " ".join(cell.replace("\ufeff", "").split()).casefold()


# ------------------------------------------------------------------------------------------- loading


def _native(kind: str) -> tuple[dict[str, str], tuple[str, ...], frozenset[str]]:
    fmt = FORMATS[kind]
    columns = {header_key(c.name): c.name for c in fmt.all_columns}
    required = tuple(c.name for c in fmt.all_columns if c.required)
    return columns, required, frozenset(header_key(name) for name in fmt.ignored)


def parse_profiles(data: Mapping[str, Any], where: str = "profiles.toml") -> tuple[Profile, ...]:
    """Profiles from the parsed TOML; ValueError naming the profile and key when one is malformed."""
    out: list[Profile] = []
    for name, spec in data.items():
        if not isinstance(spec, dict):
            raise ValueError(f"{where}: [{name}] must be a table")
        source, kind = spec.get("source"), spec.get("kind")
        if source not in SOURCES:
            raise ValueError(f"{where}: [{name}] source {source!r} is not one of {', '.join(SOURCES)}")
        if kind not in KINDS:
            raise ValueError(f"{where}: [{name}] kind {kind!r} is not one of {', '.join(KINDS)}")
        zone = spec.get("zone")
        if zone not in (None, "utc"):
            raise ValueError(f'{where}: [{name}] zone must be "utc" or absent')
        if "native" in spec:
            if spec["native"] not in FORMATS or spec["native"] != kind:
                raise ValueError(f"{where}: [{name}] native must be its kind, one of {', '.join(FORMATS)}")
            fields, signature, ignored = _native(kind)
            out.append(Profile(source, name, kind, fields, {}, zone, signature, ignored))
            continue
        vocabulary = FIELDS.get(kind, ())
        fields = {}
        shown: dict[str, str] = {}
        for label, canonical in spec.get("columns", {}).items():
            shown.setdefault(canonical, label)
            if canonical not in vocabulary:
                raise ValueError(f"{where}: [{name}.columns] {label!r} = {canonical!r} is not a {kind} field")
            fields.setdefault(header_label(label), canonical)
        constants = {str(k): str(v) for k, v in spec.get("constants", {}).items()}
        for canonical in [*constants, *spec.get("signature", [])]:
            if canonical not in vocabulary:
                raise ValueError(f"{where}: [{name}] {canonical!r} is not a {kind} field")
        signature = tuple(spec.get("signature", []))
        unfed = [s for s in signature if s not in fields.values()]
        if unfed:
            raise ValueError(f"{where}: [{name}] signature field(s) {', '.join(unfed)} have no column")
        ignored = frozenset(header_label(label) for label in spec.get("ignored", []))
        out.append(Profile(source, name, kind, fields, constants, zone, signature, ignored, shown))
    return tuple(out)


@cache
def profiles() -> tuple[Profile, ...]:
    """The shipped profiles, in the order of profiles.toml."""
    text = resources.files("storage.importing").joinpath("profiles.toml").read_text(encoding="utf-8")
    return parse_profiles(tomllib.loads(text))


# ------------------------------------------------------------------------------------------- detection


@dataclass
class _Fit:
    profile: Profile
    columns: list[str | None]
    known: int  # header cells the profile (or the mapping file) knows
    strangers: list[str]  # raw labels it does not know
    missing: list[str]  # signature fields without a column

    @property
    def qualifies(self) -> bool:
        return not self.missing and not (self.profile.strict and self.strangers)


def _fit(profile: Profile, header: list[str], extra: Mapping[str, str]) -> _Fit:
    columns: list[str | None] = []
    known = 0
    strangers: list[str] = []
    for cell in header:
        key = profile.key(cell)
        canonical = extra.get(header_label(cell)) or profile.fields.get(key)
        if canonical is not None or key in profile.ignored:
            known += 1
        elif key:  # an empty header cell is neither known nor worth a warning by name
            strangers.append(cell.strip())
        columns.append(canonical)
    present = {c for c in columns if c}
    missing = [s for s in profile.signature if s not in present]
    return _Fit(profile, columns, known, strangers, missing)


def _extras(extra_fields: Mapping[str, Mapping[str, str]] | None, profile: Profile) -> dict[str, str]:
    """The mapping file's custom labels for the profile's source that name a field of its kind."""
    if not extra_fields:
        return {}
    vocabulary = FIELDS.get(profile.kind, ())
    return {
        header_label(label): canonical
        for label, canonical in (extra_fields.get(profile.source) or {}).items()
        if canonical in vocabulary
    }


def _same_kind(a: str, b: str) -> bool:
    return SAME_KIND.get(a, a) == SAME_KIND.get(b, b)


def _what(profile: Profile) -> str:
    return f"{profile.name} ({profile.source} {profile.kind})"


def detect(
    header: list[str],
    *,
    source: str | None = None,
    kind: str | None = None,
    extra_fields: Mapping[str, Mapping[str, str]] | None = None,
) -> Detected:
    """The profile that fits the header best; BadFile when none qualifies or two fit equally well."""
    if source is not None and source.casefold() not in SOURCES:
        raise BadFile(f"--from {source!r}: use one of {', '.join(SOURCES)}")
    if kind is not None and not any(_same_kind(kind.casefold(), k) for k in KINDS):
        raise BadFile(f"--kind {kind!r}: use one of {', '.join(k for k in KINDS if k != 'interactions')}")
    candidates = [
        p
        for p in profiles()
        if (source is None or p.source == source.casefold())
        and (kind is None or _same_kind(p.kind, kind.casefold()))
    ]
    fits = [_fit(p, header, _extras(extra_fields, p)) for p in candidates]
    qualified = [f for f in fits if f.qualifies]
    if not qualified:
        raise BadFile(_no_match(header, fits, source, kind))
    best = max(f.known for f in qualified)
    top = [f for f in qualified if f.known == best]
    if len(top) > 1:
        raise BadFile(
            "the header fits several exports equally well: "
            + ", ".join(_what(f.profile) for f in top)
            + "; say which with --from SOURCE and --kind KIND"
        )
    winner = top[0]
    unknown = [
        cell.strip() for cell, c in zip(header, winner.columns, strict=True) if c is None and cell.strip()
    ]
    unknown = [u for u in unknown if winner.profile.key(u) not in winner.profile.ignored]
    return Detected(winner.profile, winner.columns, unknown)


def _no_match(header: list[str], fits: list[_Fit], source: str | None, kind: str | None) -> str:
    options = (f" --from {source}" if source else "") + (f" --kind {kind}" if kind else "")
    if not fits:
        return f"no export profile is of{options}; check --from and --kind"
    closest = max(
        fits, key=lambda f: (f.known - len(f.missing), -len(f.strangers) if f.profile.strict else 0)
    )
    shown = ", ".join(repr(c.strip()) for c in header[:6]) + (", ..." if len(header) > 6 else "")
    why = []
    if closest.missing:
        why.append(
            "it needs the column(s) "
            + ", ".join(f"{closest.profile.label_of(m)!r} ({m})" for m in closest.missing)
        )
    if closest.profile.strict and closest.strangers:
        why.append("accountbot's own format has no column(s) " + ", ".join(map(repr, closest.strangers[:10])))
    return (
        f"the header ({shown}) matches no known export{' of' + options if options else ''}; the closest is "
        f"{_what(closest.profile)}: {'; '.join(why)}. Say which export it is with --from SOURCE and --kind KIND, "
        'and name your columns in a --mapping file ([fields.SOURCE] "Your label" = "field").'
    )
