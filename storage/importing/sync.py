"""The live CRM sync's writes (issue 16): a page of API records through the file import's own path.

A synced record's `fields` are the columns of its kind's API-name import profile (`hubspot-api-*`,
`salesforce-dataloader-*` in profiles.toml; tests/crm/test_fields.py holds crm.fields equal to them). So a
page is written exactly as a file of those columns would be: its records become cells under a header of the
API names (`record_table`), the profile maps the header (`Detected`), storage.importing.normalise turns each
record into rows or a skipped row with its reason code, and the writers of the batch import (`WRITERS`)
upsert them by identity (source and source id). A record synced and later imported from a file, or the other
way round, is the same record.

- **Associations** (HubSpot's associated companies and contacts) are two more columns, labelled as HubSpot's
  own exports label them ("Associated Company IDs", "Associated Contact IDs", ids joined by ";"); the profiles
  map them to `account_ids` and `contact_ids`. Salesforce names them in its fields (AccountId, WhoId).
- **Date-times**: both APIs write UTC with an offset (`...Z`, `...+0000`), so the sync reads them with
  zone "utc" (a file of offset-less local times needs --tz; an API record never has one).
- **Deleted records** (HubSpot archived, Salesforce IsDeleted): the file import has no notion of a record
  gone, so the sync adds the least one. A deleted contact is written as having left (`active` false, as
  `/account contact left` does); a deleted owner is an inactive user of the owner directory. A deleted
  account, touch or deal is **not written, and nothing stored is removed**: it counts as skipped with the
  sync's own reason `deleted` (touches are history; an account's removal is an admin's decision). A record
  deleted before it was ever synced is therefore never created.
- **Touches dated in the future** are skipped with the import's reason `future`, as in a file. A file is
  imported again later; a synced record is read again only once it changes, so the pass remembers the earliest
  modification time of such a record (`Synced.hold`) and jobs.crm_sync stores the next watermark no later than
  it: later passes read it again until its time has come, and then write it.
- **Owners** (`users`): the owner directory the other kinds resolve owner ids with. The sync reads them in
  full on every run (they are few), so the directory is whole even when a run resumes half-way.

The caller owns the transaction: one page, one transaction, with the page's watermark (jobs.crm_sync).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.importing.batch import WRITERS
from storage.importing.mapping import Mapping as ImportMapping
from storage.importing.normalise import Context, Skipped, normalised
from storage.importing.owners import OwnerDirectory
from storage.importing.profiles import Detected, Profile, profiles
from storage.importing.rows import ContactRow
from storage.importing.values import Moments

ASSOCIATION_COLUMNS = {"companies": "Associated Company IDs", "contacts": "Associated Contact IDs"}
DELETED = "deleted"  # the sync's reason for a deleted record it does not write (not a file's reason code)
FUTURE = "future"  # a touch dated after now: skipped, and read again by later passes until its time has come


@dataclass
class Synced:
    """What one object's pass did (summed over its pages)."""

    obj: str
    kind: str = ""  # users | accounts | contacts | activities | deals
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> records
    requests: int = 0
    pages: int = 0
    watermark: datetime | None = None
    hold: datetime | None = None  # the earliest modification time of a record skipped as `future` this pass
    warnings: list[str] = field(default_factory=list)
    unresolved: Counter[tuple[str, str]] = field(default_factory=Counter)  # (owner as written, reason)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


def profile_named(name: str) -> Profile:
    for p in profiles():
        if p.name == name:
            return p
    raise KeyError(f"no import profile {name!r} in profiles.toml")


def _cell(value: Any) -> str:
    """An API value as a file's cell: null -> empty, booleans as Data Loader writes them, numbers as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def record_table(
    profile: Profile, records: list[Mapping[str, Any]]
) -> tuple[Detected, list[tuple[int, list[str]]]]:
    """A page of records as a table of the profile: the header (the fields' API names, then the association
    columns and, for users, `active`), the profile's reading of it, and each record's cells."""
    names: list[str] = []
    for record in records:
        for name in record["fields"]:
            if name not in names:
                names.append(name)
    associated = sorted({t for r in records for t in r.get("associations") or {} if t in ASSOCIATION_COLUMNS})
    header = [*names, *(ASSOCIATION_COLUMNS[t] for t in associated)]
    if profile.kind == "users":
        header.append("active")
    columns = [profile.fields.get(profile.key(label)) for label in header]
    detected = Detected(profile, columns, [])
    rows: list[tuple[int, list[str]]] = []
    for i, record in enumerate(records, start=1):
        cells = [_cell(record["fields"].get(n)) for n in names]
        cells += [";".join(record["associations"].get(t) or []) for t in associated]
        if profile.kind == "users":
            cells.append(_active(record))
        rows.append((i, cells))
    return detected, rows


def _active(record: Mapping[str, Any]) -> str:
    if record.get("deleted"):
        return "false"
    return _cell(record["fields"].get("IsActive", True))


@dataclass
class Writer:
    """Writes pages of one source's records for one workspace, with one mapping and owner directory."""

    source: str
    mapping: ImportMapping
    now: datetime
    currency: str = "USD"
    rates: dict[str, float] = field(default_factory=dict)
    owners: OwnerDirectory = field(default_factory=OwnerDirectory)

    def context(self, detected: Detected, synced: Synced) -> Context:
        def unresolved(shown: str, reason: str, _account: str) -> None:
            synced.unresolved[(shown, reason)] += 1

        return Context(
            detected, self.mapping, Moments("ymd", None, "utc"), self.owners, self.now, self.currency.upper(),
            self.rates, warn=synced.warn, unresolved=unresolved,
        )  # fmt: skip

    def users(self, profile: Profile, records: list[Mapping[str, Any]], synced: Synced) -> None:
        """Owners into the directory (nothing is written: accounts store their owner's email)."""
        synced.kind = "users"
        detected, table = record_table(profile, records)
        synced.read += len(records)
        for _line, out in normalised(self.context(detected, synced), iter(table)):
            if isinstance(out, Skipped):
                synced.skipped[out.reason] += 1
            else:
                self.owners.add(out, self.source)
                synced.unchanged += 1

    def write(
        self,
        session: Session,
        team_id: str,
        profile: Profile,
        records: list[Mapping[str, Any]],
        synced: Synced,
    ) -> None:
        """One page: its records normalised and upserted by identity, in the caller's transaction."""
        kind = profile.kind
        if kind == "users":
            self.users(profile, records, synced)
            return
        synced.kind = kind
        synced.read += len(records)
        live = [r for r in records if not r.get("deleted")]
        gone = [r for r in records if r.get("deleted")] if kind == "contacts" else []
        if len(records) > len(live) + len(gone):
            synced.skipped[DELETED] += len(records) - len(live) - len(gone)
        for group, left in ((live, False), (gone, True)):
            if group:
                self._write(session, team_id, profile, group, synced, left=left)

    def _write(
        self,
        session: Session,
        team_id: str,
        profile: Profile,
        records: list[Mapping[str, Any]],
        synced: Synced,
        *,
        left: bool,
    ) -> None:
        """Records through normalise and the kind's writer. `left`: deleted contacts, written as having left (a
        group of its own: a writer's chunk writes the columns its rows carry, so live rows must not carry
        `active`)."""
        detected, table = record_table(profile, records)
        ctx = self.context(detected, synced)
        skipped_lines: set[int] = set()

        def skip(line: int, reason: str, _value: str) -> None:
            if line not in skipped_lines:
                skipped_lines.add(line)
                synced.skipped[reason] += 1
                if reason == FUTURE:
                    modified = records[line - 1]["modified_at"]
                    synced.hold = modified if synced.hold is None else min(synced.hold, modified)

        def rows() -> Iterator[Any]:
            for line, out in normalised(ctx, iter(table)):
                if isinstance(out, Skipped):
                    skip(line, out.reason, out.value)
                elif isinstance(out, list):
                    yield from out
                elif left and isinstance(out, ContactRow):
                    yield ContactRow(
                        out.line, out.account, out.name, {**out.fields, "active": False}, out.source,
                        out.source_id, out.account_source_id,
                    )  # fmt: skip
                else:
                    yield out

        result = WRITERS[profile.kind](session, team_id, rows(), self.now, skip=skip)
        synced.created += result.created
        synced.updated += result.updated
        synced.unchanged += result.unchanged
        for note in result.notes:
            synced.warn(note)


Progress = Callable[[Synced], None]
