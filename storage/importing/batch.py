"""`accountbot import FILE [FILE ...]`: several exports, any source, imported together in the caller's transaction.

1. Open every file (storage.importing.tables) and detect each table's source and kind from its header
   (storage.importing.profiles).
2. First pass over each CRM table: the order of its numeric dates and whether its date-times need --tz
   (storage.importing.values.DateSniffer). A file that needs an option it was not given refuses the batch.
3. Second pass, in dependency order (users, accounts, contacts, activities, deals, revenue): each record becomes
   rows (storage.importing.normalise) or a skipped row with its reason; the rows stream into the writers.
4. Stored rollups, tiers and grades are brought up to date once, at the end.

A problem with a whole file raises `Refused` (the caller rolls back); skipped rows are reported, and refuse
the batch only with --strict. The caller commits, or rolls back for --dry-run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from accounts.thresholds import Thresholds
from storage.db import ensure_workspace
from storage.escalation import save_directory_managers
from storage.importing.csv_formats import BadFile
from storage.importing.files import import_file
from storage.importing.mapping import RATING_INPUTS, Mapping, MappingError, load_mapping
from storage.importing.normalise import DATE_FIELDS, Context, Skipped, normalised
from storage.importing.owners import OwnerDirectory
from storage.importing.profiles import Detected, detect
from storage.importing.report import FileReport, Report
from storage.importing.rows import ImportRejected, ImportResult, Skip
from storage.importing.tables import Table, open_tables
from storage.importing.values import DateSniffer, Moments, NeedOption, settle_order
from storage.importing.writers import (
    import_accounts,
    import_contacts,
    import_deals,
    import_interactions,
)
from storage.stored.grades import ensure_classified
from storage.stored.rollups import ensure_rollups

ORDER = ("users", "accounts", "contacts", "activities", "interactions", "deals", "revenue")
NATIVE_KINDS = {
    "accounts": "accounts",
    "contacts": "contacts",
    "interactions": "interactions",
    "revenue": "revenue",
}
KIND_ALIASES = {"opportunities": "deals", "interactions": "activities", "organizations": "accounts",
                "companies": "accounts", "people": "contacts", "owners": "users"}  # fmt: skip
WRITTEN = {"accounts": "accounts", "contacts": "contacts", "activities": "interactions", "deals": "deals"}
WRITERS: dict[str, Callable[..., ImportResult]] = {
    "accounts": import_accounts,
    "contacts": import_contacts,
    "activities": import_interactions,
    "deals": import_deals,
}


class Refused(Exception):
    """The batch is refused and nothing may be written; the message says what to do."""


@dataclass
class ImportOptions:
    source: str | None = None  # --from
    kind: str | None = None  # --kind
    tz: str | None = None
    dates: str | None = None
    encoding: str | None = None
    owners: Path | None = None
    mapping: Path | None = None
    currency: str = "USD"
    rates: dict[str, float] = field(default_factory=dict)
    dry_run: bool = False
    strict: bool = False


@dataclass
class Planned:
    table: Table
    detected: Detected
    kind: str
    moments: Moments | None = None
    rows: int = 0

    @property
    def source(self) -> str:
        return self.detected.profile.source


def parse_rate(text: str) -> tuple[str, float]:
    """`EUR=1.08` -> ("EUR", 1.08); ValueError with what is wrong."""
    code, sep, number = text.partition("=")
    code = code.strip().upper()
    if not sep or len(code) != 3 or not code.isalpha():
        raise ValueError(
            f"--rate {text!r}: write CUR=RATE, such as EUR=1.08 (1 EUR is worth 1.08 of the workspace currency)"
        )
    try:
        rate = float(number)
    except ValueError:
        raise ValueError(f"--rate {text!r}: {number!r} is not a number") from None
    if not rate > 0 or rate != rate or rate == float("inf"):
        raise ValueError(f"--rate {text!r}: the rate must be a positive number")
    return code, rate


def _zone(name: str, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise Refused(
            f"{where}: {name!r} is not a time zone; use an IANA name such as Europe/Berlin or America/New_York"
        ) from None


def _kind(kind: str | None) -> str | None:
    if kind is None:
        return None
    return KIND_ALIASES.get(kind, kind)


def plan(paths: list[Path], options: ImportOptions, mapping: Mapping) -> list[Planned]:
    """Every table of every file with its detected profile, in dependency order (stable for equal kinds)."""
    planned: list[Planned] = []
    for path in paths:
        try:
            tables = open_tables(path, options.encoding)
        except BadFile as exc:
            raise Refused(f"{path}: {exc}") from None
        for table in tables:
            try:
                detected = detect(
                    table.header, source=options.source, kind=_kind(options.kind), extra_fields=mapping.fields
                )
            except BadFile as exc:
                raise Refused(f"{table.name}: {exc}") from None
            kind = detected.profile.kind
            planned.append(
                Planned(
                    table,
                    detected,
                    "activities"
                    if kind == "interactions" and detected.profile.source != "accountbot"
                    else kind,
                )
            )
    planned.sort(key=lambda p: ORDER.index(p.kind))
    return planned


def _sniff(p: Planned, options: ImportOptions, mapping: Mapping) -> None:
    """First pass: rows counted, date order settled and the zone of offset-less date-times known, or Refused."""
    columns = [i for i, name in enumerate(p.detected.columns) if name in DATE_FIELDS]
    sniffer = DateSniffer()
    rows = 0
    try:
        for _line, cells in p.table.records():
            rows += 1
            for i in columns:
                if i < len(cells) and cells[i].strip():
                    sniffer.feed(cells[i].strip())
    except BadFile as exc:
        raise Refused(f"{p.table.name}: {exc}") from None
    p.rows = rows
    try:
        order = settle_order(sniffer, options.dates or mapping.dates.get(p.source))
    except NeedOption as exc:
        raise Refused(f"{p.table.name}: {exc}") from None
    tz_name = options.tz or mapping.tz.get(p.source)
    tz = _zone(tz_name, "--tz" if options.tz else f"[source.{p.source}] tz") if tz_name else None
    if sniffer.needs_tz and tz is None and p.detected.profile.zone != "utc":
        raise Refused(
            f"{p.table.name}: date-times such as {sniffer.naive_example!r} carry no time zone and nothing says which "
            f"one {p.source} wrote them in; pass --tz ZONE (the zone of the exporting user, such as Europe/Berlin)"
        )
    p.moments = Moments(order, tz, p.detected.profile.zone)


def import_batch(
    session: Session,
    team_id: str,
    paths: list[Path],
    options: ImportOptions,
    now: datetime,
    thresholds: Thresholds,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Import every file in the caller's transaction; raises Refused (the caller rolls back)."""
    report = Report(dry_run=options.dry_run)
    try:
        mapping = load_mapping(options.mapping)
    except MappingError as exc:
        raise Refused(str(exc)) from None
    planned = plan(paths, options, mapping)
    owners = OwnerDirectory()
    if options.owners is not None:
        for p in plan([options.owners], ImportOptions(kind="users", encoding=options.encoding), mapping):
            _sniff(p, options, mapping)
            _read_users(p, owners, mapping, now, report)
    for p in planned:
        if p.source != "accountbot" or p.kind == "users":
            _sniff(p, options, mapping)
    ensure_workspace(session, team_id)
    for p in planned:
        if p.kind == "users":
            _read_users(p, owners, mapping, now, report)
        elif p.source == "accountbot":
            _native(session, team_id, p, now, thresholds, report)
        else:
            _crm(session, team_id, p, mapping, owners, options, now, report, progress)
    managed = save_directory_managers(session, team_id, owners.managers(), now=now)  # escalation's managers
    if managed:
        report.notes.append(f"{managed} owner(s)' manager recorded from the owner directory (escalation)")
    ensure_rollups(session, team_id, now, thresholds)
    try:
        ensure_classified(session, team_id, thresholds)
    except ValueError:
        pass  # a rating the rules reject leaves the classification stale: the grading commands name it
    unfed = _unfed(planned)
    if unfed:
        report.warn(
            next(p.table.name for p in planned if p.kind == "accounts"),
            "no column feeds the rating inputs "
            + ", ".join(unfed)
            + ", so the grades cannot use them: map the "
            'CRM fields that hold them in a --mapping file ([fields.SOURCE] "Label" = "wallet_share")',
        )
    if options.strict and report.data_skips:
        raise Refused(
            f"--strict: {report.data_skips} data row(s) would be skipped ("
            + ", ".join(f"{r} {n}" for r, n in sorted(report.reasons.items()) if r not in ("blank", "footer"))
            + "); nothing was imported. Fix them or import without --strict."
        )
    return report


def _read_users(p: Planned, owners: OwnerDirectory, mapping: Mapping, now: datetime, report: Report) -> None:
    """An owner directory (--owners, or a users export among the files): its people go to `owners`."""
    fr = FileReport(p.table.name, p.source, "users", rows=p.rows)
    report.files.append(fr)
    ctx = Context(
        p.detected, mapping, p.moments or Moments(), owners, now, "USD", {},
        warn=lambda message: report.warn(p.table.name, message), unresolved=report.unresolved_owner,
    )  # fmt: skip
    for line, out in normalised(ctx, p.table.records()):
        if isinstance(out, Skipped):
            _skipped(report, fr, Skip(p.table.name, line, out.reason, out.value))
        else:
            owners.add(out, p.source)
    fr.imported = fr.rows - fr.skipped


def _skipped(report: Report, fr: FileReport, item: Skip) -> None:
    fr.skipped += 1
    report.skip(item)


def _native(
    session: Session, team_id: str, p: Planned, now: datetime, thresholds: Thresholds, report: Report
) -> None:
    """accountbot's own format: its strict parser and all-or-nothing errors, as `accountbot import KIND FILE`."""
    kind = NATIVE_KINDS[p.detected.profile.kind]
    try:
        result = import_file(session, team_id, kind, Path(p.table.name), now, thresholds)
    except BadFile as exc:
        raise Refused(f"{p.table.name}: {exc}") from None
    except ImportRejected as exc:
        raise Refused(
            f"{p.table.name}: {exc.total} problem(s); nothing was imported:\n"
            + "\n".join(f"  {e}" for e in exc.errors)
            + ("" if exc.total <= len(exc.errors) else f"\n  ... and {exc.total - len(exc.errors)} more")
        ) from None
    report.files.append(FileReport(p.table.name, "accountbot", kind, result.rows, result.rows, 0))
    _count(report, kind, result)


def _count(report: Report, kind: str, result: ImportResult) -> None:
    report.created[kind] += result.created
    report.updated[kind] += result.updated
    report.unchanged[kind] += result.unchanged
    report.notes.extend(result.notes)


def _crm(
    session: Session,
    team_id: str,
    p: Planned,
    mapping: Mapping,
    owners: OwnerDirectory,
    options: ImportOptions,
    now: datetime,
    report: Report,
    progress: Callable[[int], None] | None,
) -> None:
    name = p.table.name
    fr = FileReport(name, p.source, p.kind, rows=p.rows)
    report.files.append(fr)
    if p.detected.unknown:
        report.warn(
            name, f"{len(p.detected.unknown)} column(s) not used: " + ", ".join(p.detected.unknown[:20])
        )
    assert p.moments is not None
    ctx = Context(
        p.detected, mapping, p.moments, owners, now, options.currency.upper(), options.rates,
        warn=lambda message: report.warn(name, message), unresolved=report.unresolved_owner,
    )  # fmt: skip
    skipped_lines: set[int] = set()

    def skip(line: int, reason: str, value: str) -> None:
        if line not in skipped_lines:
            skipped_lines.add(line)
            _skipped(report, fr, Skip(name, line, reason, value))

    def rows() -> Iterator[Any]:
        seen = 0
        for line, out in normalised(ctx, p.table.records()):
            seen += 1
            if progress and seen % 1000 == 0:
                progress(1000)
            if isinstance(out, Skipped):
                skip(line, out.reason, out.value)
            elif isinstance(out, list):
                yield from out
            else:
                yield out
        if progress:
            progress(seen % 1000)

    try:
        result = WRITERS[p.kind](session, team_id, rows(), now, skip=skip)
    except BadFile as exc:  # the file broke during the second pass (changed since the first?)
        raise Refused(f"{name}: {exc}") from None
    fr.imported = fr.rows - fr.skipped
    _count(report, WRITTEN[p.kind], result)


def _unfed(planned: list[Planned]) -> list[str]:
    """The rating inputs no accounts column of the batch feeds (said in the report: grades need them)."""
    fed: set[str] = set()
    accounts = [p for p in planned if p.kind == "accounts"]
    if not accounts:
        return []
    for p in accounts:
        fed.update(c for c in p.detected.columns if c)
    return [name for name in RATING_INPUTS if name not in fed]
