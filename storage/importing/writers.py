"""Bulk writes of parsed import rows: all or nothing, idempotent, one transaction, a few statements per
chunk. Rows stream through, CHUNK at a time, each chunk's current rows read by key, so memory does not grow with
the file (docs/data.md#memory). What only the database can tell (does that account exist?) is checked as the
rows go; after the first problem nothing more is written, the rest is still checked, and `ImportRejected`
(the caller rolls the transaction back) says every problem. Unchanged rows are not sent, so a repeated import
changes nothing. See docs/data.md#all-or-nothing-and-safe-to-repeat.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import JSON, ColumnElement, Table, Text, cast, or_, select
from sqlalchemy.orm import Session

from storage.db import ensure_workspace
from storage.importing.bounded import Errors, FirstSeen, Reread
from storage.importing.records import (
    Accounts,
    Planner,
    chunked,
    link_contacts,
    write_accounts,
    write_contacts,
    write_deals,
    write_interactions,
)
from storage.importing.rows import (
    AccountRow,
    ContactRow,
    DealRow,
    ImportResult,
    InteractionRow,
    RevenueRow,
    RowError,
    SkipSink,
)
from storage.models import (
    Account,
    Contact,
    Interaction,
    InteractionContact,
    RevenueMonth,
    SlackUser,
    table_of,
)
from storage.reads.accounts import name_key
from storage.stored import latest_touch, rollups
from storage.stored.grades import invalidate
from storage.upsert import conflict_insert
from storage.writes.edits import touch_dedup_key

CHUNK = 5000
ANALYZE_AFTER = 4 * CHUNK  # rows a native writer writes before its first ANALYZE (a large file only)
Progress = Callable[[int], None]  # called with the number of rows just written
T = TypeVar("T")

# Columns of `accounts` an import may set (besides name); "owner" also sets owner_user_id.
ACCOUNT_FIELDS = (
    "owner", "stage", "annual_revenue", "wallet_share", "profit_margin", "profitability", "strategic_value",
    "pain_factor", "engagement", "potential", "industry", "aliases", "domain", "news_feed", "prospect_fit",
)  # fmt: skip
CONTACT_FIELDS = ("title", "email", "role", "active")


# ---------------------------------------------------------------------------------------------- helpers


def _planner(session: Session, *tables: Table) -> Planner:
    """storage.importing.records.Planner for a native writer, whose chunks are looked up by key: PostgreSQL
    plans those lookups from statistics that do not count the transaction's own rows, and past some 50,000 rows
    of one workspace it filters every row written so far (quadratic). Its first ANALYZE comes only once
    ANALYZE_AFTER rows are written: an ordinary import takes no ANALYZE lock (held to commit, it would make a
    concurrent import's ANALYZE wait)."""
    planner = Planner(session, *tables)
    planner.next_at = ANALYZE_AFTER
    return planner


def _chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Lists of `size` items, taken from `items` as they come."""
    return chunked(items, size)


def _differs(table: Table, excluded: Any, columns: Sequence[str]) -> ColumnElement[bool]:
    """SQL: some of `columns` would change (NULL-safe; JSON compared as text, PostgreSQL has no json =)."""
    tests = []
    for col in columns:
        current: ColumnElement[Any] = table.c[col]
        incoming: ColumnElement[Any] = excluded[col]
        if isinstance(current.type, JSON):
            current, incoming = cast(current, Text), cast(incoming, Text)
        tests.append(current.is_distinct_from(incoming))
    return or_(*tests)


@dataclass
class _Written:
    created: int = 0
    updated: int = 0


def _upsert(
    session: Session,
    team_id: str,
    table: Table,
    chunk: Sequence[dict[str, Any]],
    conflict: list[str],
    update: list[str],
    touch: dict[str, Any],
    written: _Written,
    planner: Planner,
    native_only: bool = False,
) -> None:
    """INSERT ... ON CONFLICT DO UPDATE for the chunk's rows that are new or differ; unchanged rows are not sent.

    The chunk's current values are read first (one query, scoped by team_id and by the chunk's values of the
    conflict columns) to tell created / updated / unchanged; the statement still carries WHERE ... IS DISTINCT
    FROM, so a concurrent writer cannot be overwritten with identical values. Plain executemany (no
    RETURNING): the fast path on both drivers.
    """
    if not chunk:
        return
    scope = [table.c.team_id == team_id, *([table.c.source_id.is_(None)] if native_only else [])]
    scope += [table.c[c].in_(list({row[c] for row in chunk})) for c in conflict if c != "team_id"]
    current = {
        tuple(r[: len(conflict)]): tuple(r[len(conflict) :])
        for r in session.execute(
            select(*[table.c[c] for c in conflict], *[table.c[c] for c in update]).where(*scope)
        )
    }
    stmt = conflict_insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=conflict,
        index_where=table.c.source_id.is_(None) if native_only else None,
        set_={col: stmt.excluded[col] for col in update} | touch,
        where=_differs(table, stmt.excluded, update),
    )
    send: list[dict[str, Any]] = []
    for row in chunk:
        before = current.get(tuple(row[c] for c in conflict))
        if before is None:
            written.created += 1
            send.append(row)
        elif before != tuple(row[c] for c in update):
            written.updated += 1
            send.append(row)
    if send:
        session.execute(stmt, send)
    planner.wrote(sum(1 for row in chunk if tuple(row[c] for c in conflict) not in current))


def _account_ids(session: Session, team_id: str) -> tuple[dict[str, int], dict[str, list[int]]]:
    """name_key -> id, and alias key -> ids, for one workspace."""
    by_name: dict[str, int] = {}
    by_alias: dict[str, list[int]] = {}
    for acc_id, key, aliases in session.execute(
        select(Account.id, Account.name_key, Account.aliases).where(Account.team_id == team_id)
    ):
        by_name[key] = -1 if key in by_name else acc_id  # -1: a name several accounts share
        for alias in aliases or []:
            ids = by_alias.setdefault(name_key(alias), [])
            if acc_id not in ids:
                ids.append(acc_id)
    return by_name, by_alias


class _AccountResolver:
    """Turns the `account` column of contacts/interactions/revenue rows into account ids (name, then alias)."""

    def __init__(self, session: Session, team_id: str) -> None:
        self.by_name, self.by_alias = _account_ids(session, team_id)
        self.by_identity = Accounts(session, team_id).by_identity

    def resolve(
        self,
        line: int,
        typed: str,
        errors: Errors,
        source: str | None = None,
        source_id: str | None = None,
    ) -> int | None:
        if source_id:
            found = self.by_identity.get((source or "", source_id))
            if found is None:
                errors.append(
                    RowError(
                        line,
                        "account_source_id",
                        source_id,
                        f"the id of a {source} account in this workspace",
                    )
                )
            return found
        key = name_key(typed)
        if self.by_name.get(key) == -1:
            errors.append(
                RowError(
                    line,
                    "account",
                    typed,
                    "a name only one account has (several share it: give account_source_id)",
                )
            )
            return None
        if key in self.by_name:
            return self.by_name[key]
        ids = self.by_alias.get(key, [])
        if len(ids) == 1:
            return ids[0]
        if ids:
            errors.append(
                RowError(
                    line,
                    "account",
                    typed,
                    "one account, but that alias is shared; use the account's full name",
                )
            )
        else:
            errors.append(
                RowError(line, "account", typed, "the name of an existing account (import accounts first)")
            )
        return None


def slack_ids_by_email(session: Session, team_id: str) -> dict[str, str]:
    """Known Slack users of the workspace: lower-cased email -> user id."""
    rows = session.execute(
        select(SlackUser.email, SlackUser.user_id).where(
            SlackUser.team_id == team_id, SlackUser.email.is_not(None)
        )
    )
    return {email.lower(): user_id for email, user_id in rows if email}


def person_key(value: str | None, known: dict[str, str]) -> str | None:
    """A colleague as stored: Slack user id as typed, email mapped to its Slack id when known, else lower-cased."""
    if value is None:
        return None
    if "@" in value:
        return known.get(value.lower(), value.lower())
    return value


def _present(rows: Sequence[AccountRow] | Sequence[ContactRow], allowed: Sequence[str]) -> list[str]:
    """The optional columns a chunk's rows carry (the file's columns); a programming error if not allowed."""
    present = sorted({col for row in rows for col in row.fields})
    unknown = set(present) - set(allowed)
    if unknown:
        raise ValueError(f"not importable columns: {sorted(unknown)}; allowed: {list(allowed)}")
    return present


def _counted(result: ImportResult, written: _Written) -> ImportResult:
    result.created, result.updated = written.created, written.updated
    result.unchanged = result.rows - written.created - written.updated
    return result


# ---------------------------------------------------------------------------------------------- imports


def _account_values(
    team_id: str, row: AccountRow, present: list[str], emails: dict[str, str], now: datetime
) -> dict[str, Any]:
    v: dict[str, Any] = {"team_id": team_id, "name": row.name, "name_key": name_key(row.name)}
    for col in present:
        v[col] = row.fields.get(col)
    if "stage" in v and v["stage"] is None:
        v["stage"] = "client"
    if "aliases" in v and v["aliases"] is None:
        v["aliases"] = []
    if "owner" in present:
        owner = v["owner"]
        v["owner_user_id"] = None if owner is None else (emails.get(owner.lower()) if "@" in owner else owner)
    v["created_at"] = now
    v["updated_at"] = now
    return v


def _native_accounts(
    session: Session,
    team_id: str,
    rows: Iterable[AccountRow],
    now: datetime,
    progress: Progress | None = None,
    created: set[tuple[str, str]] | None = None,
    skip: SkipSink | None = None,
) -> ImportResult:
    """Upsert accounts by name (case-insensitive), CHUNK rows at a time; only the columns present in the rows
    are set. A name only a CRM account has updates that account (`_onto_crm_accounts`)."""
    ensure_workspace(session, team_id)
    invalidate(session, team_id)  # first: the workspace lock, then the account rows (storage.stored.grades)
    result = ImportResult("accounts")
    errors = Errors()
    written = _Written()
    by_name_rows = 0
    emails: dict[str, str] | None = None
    table = table_of(Account)
    planner = _planner(session, table)
    for batch in _chunks(rows):
        result.rows += len(batch)
        by_name, onto_crm = _onto_crm_accounts(session, team_id, batch, created or set(), errors)
        if errors:
            continue  # refused: the rest is only checked
        present = _present(by_name, ACCOUNT_FIELDS)
        if "owner" in present and emails is None:
            emails = slack_ids_by_email(session, team_id)
        _upsert(
            session,
            team_id,
            table,
            [_account_values(team_id, row, present, emails or {}, now) for row in by_name],
            ["team_id", "name_key"],
            ["name", *present] + (["owner_user_id"] if "owner" in present else []),
            {"updated_at": now},
            written,
            planner,
            native_only=True,
        )
        by_name_rows += len(by_name)
        if onto_crm:
            onto = write_accounts(session, team_id, onto_crm, now, _sink(skip, errors))
            result.created += onto.created
            result.updated += onto.updated
            result.unchanged += onto.unchanged
            result.skipped += onto.skipped
            result.notes.extend(onto.notes)
        if progress:
            progress(len(batch))
    errors.reject()
    result.created += written.created
    result.updated += written.updated
    result.unchanged += by_name_rows - written.created - written.updated
    return result


def _native_contacts(
    session: Session,
    team_id: str,
    rows: Iterable[ContactRow],
    now: datetime,
    progress: Progress | None = None,
) -> ImportResult:
    """Upsert contacts by (account, name), CHUNK rows at a time. Rows naming an unknown account are errors."""
    ensure_workspace(session, team_id)
    rollups.invalidate(session, team_id)  # Core writes below bypass the hooks (storage.stored.rollups)
    result = ImportResult("contacts")
    accounts = _AccountResolver(session, team_id)
    errors = Errors()
    written = _Written()
    table = table_of(Contact)
    planner = _planner(session, table)
    with FirstSeen[str]() as seen:  # (account id, name key): two spellings of one account in one file
        for batch in _chunks(rows):
            result.rows += len(batch)
            present = _present(batch, CONTACT_FIELDS)
            values: list[dict[str, Any]] = []
            for row in batch:
                account_id = accounts.resolve(
                    row.line, row.account, errors, row.source, row.account_source_id
                )
                if account_id is None:
                    continue
                key = name_key(row.name)
                seen.add((account_id, key), row.line, row.name)
                v: dict[str, Any] = {
                    "team_id": team_id,
                    "account_id": account_id,
                    "name": row.name,
                    "name_key": key,
                }
                for col in present:
                    v[col] = row.fields.get(col)
                if "role" in v and v["role"] is None:
                    v["role"] = "user"
                if "active" in v and v["active"] is None:
                    v["active"] = True
                values.append(v)
            for line, first, name in seen.check():
                errors.append(
                    RowError(line, "name", name, f"one row per contact (same contact as line {first})")
                )
            if errors:
                continue  # refused: the rest is only checked
            _upsert(
                session,
                team_id,
                table,
                values,
                ["account_id", "name_key"],
                ["name", *present],
                {},
                written,
                planner,
                native_only=True,
            )
            if progress:
                progress(len(batch))
    errors.reject()
    return _counted(result, written)


def _native_interactions(
    session: Session,
    team_id: str,
    rows: Iterable[InteractionRow],
    now: datetime,
    progress: Progress | None = None,
) -> ImportResult:
    """Insert touches unless already there (dedup key), CHUNK rows at a time. Unknown accounts and contacts are
    errors; a row that repeats an earlier one (same key) counts once."""
    ensure_workspace(session, team_id)
    result = ImportResult("interactions")
    accounts = _AccountResolver(session, team_id)
    contacts: dict[tuple[int, str], int] = {}
    for cid, acc_id, key, email in session.execute(
        select(Contact.id, Contact.account_id, Contact.name_key, Contact.email).where(
            Contact.team_id == team_id
        )
    ):
        contacts[(acc_id, key)] = cid
        if email:
            contacts.setdefault((acc_id, email.lower()), cid)
    people = slack_ids_by_email(session, team_id)
    errors = Errors()
    repeats = 0
    table = table_of(Interaction)
    stmt = conflict_insert(session, table).on_conflict_do_nothing(index_elements=["team_id", "dedup_key"])
    planner = _planner(session, table, table_of(InteractionContact))
    with FirstSeen[str]() as seen, latest_touch.deferred(session.connection()):  # latest touches at the end
        for batch in _chunks(rows):
            result.rows += len(batch)
            touches: dict[
                str, tuple[int, dict[str, Any], list[int]]
            ] = {}  # key -> its first row of the chunk
            for row in batch:
                account_id = accounts.resolve(
                    row.line, row.account, errors, row.source, row.account_source_id
                )
                if account_id is None:
                    continue
                involved: list[int] = []
                for ref in ([row.contact] if row.contact is not None else []) + list(row.contacts):
                    typed = ref.lower() if "@" in ref else name_key(ref)
                    found = contacts.get((account_id, typed))
                    if found is None:
                        errors.append(
                            RowError(
                                row.line, "contact", ref,
                                f"the name or email of a contact of {row.account} (import contacts first)",
                            )
                        )  # fmt: skip
                    elif found not in involved:
                        involved.append(found)
                if len(involved) < len(row.contacts) + (row.contact is not None):
                    continue
                contact_id = involved[0] if involved else None
                colleague = person_key(row.colleague, people)
                when = row.occurred_at.astimezone(UTC)  # as the database returns it, so Slack and CSV agree
                key = touch_dedup_key(account_id, when, row.kind, contact_id, colleague, row.note)
                seen.add(key, row.line, key)
                if key not in touches:
                    touches[key] = (
                        row.line,
                        {
                            "team_id": team_id,
                            "account_id": account_id,
                            "occurred_at": row.occurred_at,
                            "kind": row.kind,
                            "contact_id": contact_id,
                            "colleague": colleague,
                            "note": row.note,
                            "dedup_key": key,
                        },
                        involved,
                    )
            for line, _first, key in seen.check():
                repeats += 1
                if (
                    key in touches and touches[key][0] == line
                ):  # its first row in the chunk repeats an earlier chunk
                    del touches[key]
            if errors:
                continue  # refused: the rest is only checked
            known = set(
                session.scalars(
                    select(Interaction.dedup_key).where(
                        Interaction.team_id == team_id, Interaction.dedup_key.in_(list(touches))
                    )
                )
            ) if touches else set()  # fmt: skip
            new = {key: (v, involved) for key, (_line, v, involved) in touches.items() if key not in known}
            if new:
                session.execute(stmt, [v for v, _ in new.values()])
                link_contacts(session, team_id, new)
                planner.wrote(len(new))
            result.created += len(new)
            if progress:
                progress(len(batch))
    errors.reject()
    result.unchanged = result.rows - result.created
    if repeats:
        result.notes.append(f"{repeats} row(s) repeat another row of the file and count once")
    return result


def _native_revenue(
    session: Session,
    team_id: str,
    rows: Iterable[RevenueRow],
    now: datetime,
    progress: Progress | None = None,
) -> ImportResult:
    """Upsert monthly revenue by (account, month), CHUNK rows at a time. Unknown accounts are errors."""
    ensure_workspace(session, team_id)
    rollups.invalidate(session, team_id)  # Core writes below bypass the hooks (storage.stored.rollups)
    result = ImportResult("revenue")
    accounts = _AccountResolver(session, team_id)
    errors = Errors()
    written = _Written()
    table = table_of(RevenueMonth)
    planner = _planner(session, table)
    with FirstSeen[str]() as seen:  # (account id, month): two spellings of one account in one file
        for batch in _chunks(rows):
            result.rows += len(batch)
            values: list[dict[str, Any]] = []
            for row in batch:
                account_id = accounts.resolve(
                    row.line, row.account, errors, row.source, row.account_source_id
                )
                if account_id is None:
                    continue
                seen.add((account_id, row.month), row.line, row.month.strftime("%Y-%m"))
                values.append(
                    {"team_id": team_id, "account_id": account_id, "month": row.month, "amount": row.amount}
                )
            for line, first, month in seen.check():
                errors.append(
                    RowError(line, "month", month, f"one row per account and month (same as line {first})")
                )
            if errors:
                continue  # refused: the rest is only checked
            _upsert(
                session, team_id, table, values, ["account_id", "month"], ["amount"], {}, written, planner
            )
            if progress:
                progress(len(batch))
    errors.reject()
    return _counted(result, written)


# ---------------------------------------------------------------------------------------------- entry points
# Rows with a CRM identity (source_id) go to storage.importing.records; the others keep accountbot's own rules.
# With a skip sink, rows that cannot be joined are reported to it and dropped; without one they refuse the import.


def _sink(skip: SkipSink | None, errors: Errors) -> SkipSink:
    if skip is not None:
        return skip

    def refuse(line: int, reason: str, value: str) -> None:
        expected = {
            "no_account": "the id or name of an account in this workspace (import accounts first)",
            "duplicate": "one row per record, and a name only one account has (use the id)",
        }.get(reason, reason)
        errors.append(RowError(line, "account" if reason == "no_account" else "source_id", value, expected))

    return refuse


def _merged(kind: str, parts: Sequence[ImportResult]) -> ImportResult:
    out = ImportResult(kind)
    for part in parts:
        out.rows += part.rows
        out.created += part.created
        out.updated += part.updated
        out.unchanged += part.unchanged
        out.skipped += part.skipped
        out.notes.extend(part.notes)
    return out


R = TypeVar("R", AccountRow, ContactRow, InteractionRow)


def _crm_rows(rows: Iterable[R], native: list[R]) -> Iterator[R]:
    """The rows with a CRM identity, streamed; the others are kept in `native` (written after them)."""
    for row in rows:
        if row.source_id:
            yield row
        else:
            native.append(row)


def _split(rows: Iterable[R]) -> tuple[Iterable[R], Iterable[R]]:
    """The rows with a CRM identity (written first) and the others, in file order. Rows a checked file gives
    again (Reread) are read from it once per kind it holds, a sequence is walked twice: neither is held. A
    one-time stream is read once: its CRM rows stream, the others are held and written after them."""
    if isinstance(rows, Reread):
        return rows.only(True), rows.only(False)
    if isinstance(rows, Iterator):
        held: list[R] = []
        return _crm_rows(rows, held), held
    return (r for r in rows if r.source_id), (r for r in rows if not r.source_id)


def _first(rows: Iterable[R]) -> Iterator[R] | None:
    """The rows again, or None when there are none."""
    stream = iter(rows)
    first = next(stream, None)
    return None if first is None else chain([first], stream)


def import_accounts(
    session: Session,
    team_id: str,
    rows: Iterable[AccountRow],
    now: datetime,
    progress: Progress | None = None,
    *,
    skip: SkipSink | None = None,
) -> ImportResult:
    """Upsert accounts: CRM rows (streamed) by identity, then the others (streamed after them) by name
    (case-insensitive)."""
    errors = Errors()
    identified, others = _split(rows)
    # The CRM identities this import creates, for the rows after them (when there may be any).
    created: set[tuple[str, str]] | None = None if isinstance(rows, Reread) and not rows.others else set()
    crm = write_accounts(session, team_id, identified, now, _sink(skip, errors), created)
    errors.reject()
    native = _first(others)
    parts = [crm] if crm.rows else []
    if native is not None or not crm.rows:
        parts.append(_native_accounts(session, team_id, native or (), now, progress, created, skip))
    return _merged("accounts", parts)


def _onto_crm_accounts(
    session: Session,
    team_id: str,
    rows: list[AccountRow],
    created: set[tuple[str, str]],
    errors: Errors,
) -> tuple[list[AccountRow], list[AccountRow]]:
    """Rows of accountbot's own format that name an account only an earlier CRM import created: (rows for the
    name upsert, rows given that account's identity). A name no accountbot account has but exactly one CRM
    account has updates that account (no same-named twin); a name several CRM accounts share is an error. The
    CRM accounts this same file `created` do not count: an export's same-named twins stay twins. (A file names
    each account once, so a chunk's rows are decided by what the database held before the import's own rows
    without an identity.)"""
    if not rows:
        return [], []
    native: set[str] = set()
    crm: dict[str, list[tuple[str, str]]] = defaultdict(list)
    keys = sorted({name_key(row.name) for row in rows})
    for batch in _chunks(keys):
        for key, source, source_id in session.execute(
            select(Account.name_key, Account.source, Account.source_id).where(
                Account.team_id == team_id, Account.name_key.in_(batch)
            )
        ):
            if source_id is None:
                native.add(key)
            elif (source or "", source_id) not in created:
                crm[key].append((source or "", source_id))
    by_name: list[AccountRow] = []
    onto: list[AccountRow] = []
    for row in rows:
        key = name_key(row.name)
        found = crm.get(key, []) if key not in native else []
        if not found:
            by_name.append(row)
        elif len(found) == 1:
            fields = dict(row.fields)
            if "stage" in fields and fields["stage"] is None:
                fields["stage"] = "client"
            onto.append(AccountRow(row.line, row.name, fields, *found[0]))
        else:
            errors.append(
                RowError(
                    row.line,
                    "name",
                    row.name,
                    f"a name only one account has: {len(found)} CRM accounts share it (add the columns source "
                    "and source_id, as `accountbot export accounts` writes them)",
                )
            )
    return by_name, onto


def import_contacts(
    session: Session,
    team_id: str,
    rows: Iterable[ContactRow],
    now: datetime,
    progress: Progress | None = None,
    *,
    skip: SkipSink | None = None,
) -> ImportResult:
    """Upsert contacts: CRM rows by identity on the account they name by id, then the others by (account, name)."""
    errors = Errors()
    identified, others = _split(rows)
    crm = write_contacts(session, team_id, identified, now, _sink(skip, errors))
    errors.reject()
    native = _first(others)
    parts = [crm] if crm.rows else []
    if native is not None or not crm.rows:
        parts.append(_native_contacts(session, team_id, native or (), now, progress))
    return _merged("contacts", parts)


def import_interactions(
    session: Session,
    team_id: str,
    rows: Iterable[InteractionRow],
    now: datetime,
    progress: Progress | None = None,
    *,
    skip: SkipSink | None = None,
) -> ImportResult:
    """Insert touches: CRM rows (streamed) by (source, source id, account), then the others (streamed after
    them) by their dedup key."""
    errors = Errors()
    identified, others = _split(rows)
    crm = write_interactions(session, team_id, identified, now, _sink(skip, errors), progress)
    errors.reject()
    native = _first(others)
    parts = [crm] if crm.rows else []
    if native is not None or not crm.rows:
        parts.append(_native_interactions(session, team_id, native or (), now, progress))
    return _merged("interactions", parts)


def import_revenue(
    session: Session,
    team_id: str,
    rows: Iterable[RevenueRow],
    now: datetime,
    progress: Progress | None = None,
    *,
    skip: SkipSink | None = None,
) -> ImportResult:
    """Upsert monthly revenue by (account, month), streamed; an account named by its CRM id is joined by that id."""
    return _native_revenue(session, team_id, rows, now, progress)


def import_deals(
    session: Session,
    team_id: str,
    rows: Iterable[DealRow],
    now: datetime,
    progress: Progress | None = None,
    *,
    skip: SkipSink | None = None,
) -> ImportResult:
    """Upsert CRM deals by identity; closed-won ones become the account's revenue months and annual revenue."""
    errors = Errors()
    result = write_deals(session, team_id, rows, now, _sink(skip, errors))
    errors.reject()
    return result
