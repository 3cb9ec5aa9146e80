"""Writes of records that carry a CRM identity (source, source id): companies, contacts, touches and deals from a
CRM export (and accountbot exports of them, re-imported). Identity decides, never the name: a rename updates the
record, two companies may share a name, a re-import changes nothing. A row that cannot be joined is handed to
the skip sink with its reason (`no_account`, `duplicate`) and dropped. storage.importing.writers routes rows
with a source here; docs/data.md#identity has the rules.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from itertools import chain, islice
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from storage.db import ensure_workspace
from storage.importing.rows import AccountRow, ContactRow, DealRow, ImportResult, InteractionRow, SkipSink
from storage.models import (
    Account,
    Contact,
    Deal,
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

CHUNK = 5000
T = TypeVar("T")
ACCOUNTS, CONTACTS, DEALS = table_of(Account), table_of(Contact), table_of(Deal)
INTERACTIONS, LINKS = table_of(Interaction), table_of(InteractionContact)


def chunked(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def crm_touch_key(source: str, source_id: str, account_id: int) -> str:
    """The dedup key of a CRM touch: its identity and the account (a multi-company activity is a touch each)."""
    return hashlib.sha256(
        "\x1f".join(["crm", source, source_id, str(account_id)]).encode("utf-8")
    ).hexdigest()


def _skip(skip: SkipSink | None, result: ImportResult, line: int, reason: str, value: str) -> None:
    result.skipped += 1
    if skip is not None:
        skip(line, reason, value)


class Accounts:
    """Joins to a workspace's accounts: by (source, source id), else by name then alias (never guessed)."""

    def __init__(self, session: Session, team_id: str) -> None:
        self.by_identity: dict[tuple[str, str], int] = {}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_alias: dict[str, list[int]] = defaultdict(list)
        rows = session.execute(
            select(Account.id, Account.source, Account.source_id, Account.name_key, Account.aliases).where(
                Account.team_id == team_id
            )
        )
        for acc_id, source, source_id, key, aliases in rows:
            if source_id is not None:
                self.by_identity[(source or "", source_id)] = acc_id
            self.by_name[key].append(acc_id)
            for alias in aliases or []:
                if acc_id not in self.by_alias[name_key(alias)]:
                    self.by_alias[name_key(alias)].append(acc_id)

    def find(self, source: str | None, source_id: str | None, name: str) -> int | str:
        """The account id, or the skip reason: no_account, duplicate (a name several accounts share)."""
        if source_id:
            return self.by_identity.get((source or "", source_id), "no_account")
        key = name_key(name)
        ids = self.by_name.get(key) or self.by_alias.get(key) or []
        if len(ids) == 1:
            return ids[0]
        return "duplicate" if ids else "no_account"


class Planner:
    """Keeps PostgreSQL's statistics of a table up with one import's own writes. A chunk's lookups by identity
    are planned from statistics, and autovacuum cannot see the rows of an open transaction: without a fresh
    ANALYZE the lookup of (team, source, source id) filters every row written so far instead of seeking the
    unique index, and a large import slows down quadratically. ANALYZE (which counts the transaction's own
    rows) runs after the first chunk and whenever what was written has grown fourfold: a few times per import.
    SQLite plans by its indexes alone: nothing to do there."""

    def __init__(self, session: Session, *tables: Table) -> None:
        self.session, self.tables = session, tables
        self.active = session.get_bind().dialect.name == "postgresql"
        self.written, self.next_at = 0, 1

    def wrote(self, rows: int) -> None:
        self.written += rows
        if self.active and self.written >= self.next_at:
            for table in self.tables:
                self.session.execute(text(f"ANALYZE {table.name}"))
            self.next_at = self.written * 4


def _update(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """UPDATE ... WHERE id = :id for each row, grouped by the columns each sets."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(k for k in row if k != "id"))].append(row)
    for columns, group in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({c: bindparam("b_" + c) for c in columns})
            .execution_options(synchronize_session=False)
        )
        for batch in chunked(group):
            session.execute(stmt, [{"b_" + k: v for k, v in r.items()} for r in batch])


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    for batch in chunked(rows):
        session.execute(insert(table), batch)


def _fields(rows: Sequence[AccountRow] | Sequence[ContactRow]) -> list[str]:
    return sorted({name for row in rows for name in row.fields})


def slack_ids(session: Session, team_id: str) -> dict[str, str]:
    rows = session.execute(
        select(SlackUser.email, SlackUser.user_id).where(
            SlackUser.team_id == team_id, SlackUser.email.is_not(None)
        )
    )
    return {email.lower(): user_id for email, user_id in rows if email}


# ------------------------------------------------------------------------------------------------ accounts


def write_accounts(
    session: Session,
    team_id: str,
    rows: Iterable[AccountRow],
    now: datetime,
    skip: SkipSink | None = None,
    created: set[tuple[str, str]] | None = None,
) -> ImportResult:
    """Upsert companies by identity, streamed CHUNK rows at a time, each chunk's current values read by identity;
    a new identity adopts the one accountbot account of exactly that name. The identities it creates are added
    to `created` when one is given."""
    result = ImportResult("accounts")
    stream = iter(rows)
    first = next(stream, None)
    if first is None:
        return result
    ensure_workspace(session, team_id)
    invalidate(session, team_id)  # first: the workspace lock, then the account rows (storage.stored.grades)
    native: dict[str, list[int]] = defaultdict(list)
    for acc_id, key in session.execute(
        select(Account.id, Account.name_key).where(Account.team_id == team_id, Account.source_id.is_(None))
    ):
        native[key].append(acc_id)
    emails: dict[str, str] | None = None
    seen: dict[str, set[str]] = defaultdict(set)  # source -> source ids written: a repeat is a duplicate
    adopted: list[str] = []
    planner = Planner(session, ACCOUNTS)
    for batch in chunked(chain([first], stream)):
        result.rows += len(batch)
        present = _fields(batch)
        compared = ["name", *present] + (["owner_user_id"] if "owner" in present else [])
        if "owner" in present and emails is None:
            emails = slack_ids(session, team_id)
        prepared: dict[tuple[str, str], dict[str, Any]] = {}
        for row in batch:
            assert row.source and row.source_id
            if row.source_id in seen[row.source]:
                _skip(skip, result, row.line, "duplicate", row.source_id)
                continue
            seen[row.source].add(row.source_id)
            values: dict[str, Any] = {"name": row.name, **{c: row.fields.get(c) for c in present}}
            if "aliases" in values and values["aliases"] is None:
                values["aliases"] = []
            if "owner" in present:
                owner = values["owner"]
                values["owner_user_id"] = (
                    None if owner is None else (emails or {}).get(owner.lower()) if "@" in owner else owner
                )
            prepared[(row.source, row.source_id)] = values
        current = _current_by_identity(session, team_id, ACCOUNTS, compared, list(prepared))
        adoptions: list[dict[str, Any]] = []
        for (source, source_id), values in list(prepared.items()):
            key = name_key(values["name"])
            candidates = native.get(key, []) if (source, source_id) not in current else []
            if len(candidates) == 1:  # a new identity takes over the one accountbot account of its name
                native[key] = []  # adopted once
                del prepared[(source, source_id)]
                adoptions.append({"id": candidates[0], **values, "name_key": key, "source": source,
                                  "source_id": source_id, "updated_at": now})  # fmt: skip
                adopted.append(values["name"])
                result.updated += 1
        _update(session, ACCOUNTS, adoptions)
        if created is not None:
            created.update(identity for identity in prepared if identity not in current)
        _upsert_chunk(session, team_id, ACCOUNTS, prepared, compared, result, planner, current=current,
                      derived=lambda values: {"name_key": name_key(values["name"]), "updated_at": now},
                      on_insert={"created_at": now})  # fmt: skip
    if adopted:
        result.notes.append(
            f"{len(adopted)} account(s) imported earlier from accountbot's own file now carry their CRM id "
            f"(same name): {', '.join(adopted[:5])}{' ...' if len(adopted) > 5 else ''}"
        )
    return result


def _placed(
    row: ContactRow | DealRow,
    seen: dict[str, set[str]],
    accounts: Accounts,
    skip: SkipSink | None,
    result: ImportResult,
) -> tuple[tuple[str, str], int] | None:
    """The identity of a contact or deal and the account it goes on, or None when the row was skipped: a repeat
    of an identity already written (duplicate), or an account the export names that is not there or not one
    (no_account, duplicate)."""
    assert row.source and row.source_id
    if row.source_id in seen[row.source]:
        _skip(skip, result, row.line, "duplicate", row.source_id)
        return None
    account = accounts.find(row.source, row.account_source_id, row.account)
    if isinstance(account, str):
        _skip(skip, result, row.line, account, row.account_source_id or row.account)
        return None
    seen[row.source].add(row.source_id)
    return (row.source, row.source_id), account


# ------------------------------------------------------------------------------------------------ contacts


def write_contacts(
    session: Session, team_id: str, rows: Iterable[ContactRow], now: datetime, skip: SkipSink | None = None
) -> ImportResult:
    """Upsert contacts by identity, each on the account its export names (by id wherever it has one); streamed
    CHUNK rows at a time, each chunk's current values read by identity."""
    result = ImportResult("contacts")
    stream = iter(rows)
    first = next(stream, None)
    if first is None:
        return result
    ensure_workspace(session, team_id)
    rollups.invalidate(session, team_id)  # Core writes below bypass the hooks (storage.stored.rollups)
    accounts = Accounts(session, team_id)
    seen: dict[str, set[str]] = defaultdict(set)  # source -> source ids written: a repeat is a duplicate
    planner = Planner(session, CONTACTS)
    for batch in chunked(chain([first], stream)):
        result.rows += len(batch)
        present = _fields(batch)
        compared = ["account_id", "name", *present]
        prepared: dict[tuple[str, str], dict[str, Any]] = {}
        for row in batch:
            placed = _placed(row, seen, accounts, skip, result)
            if placed is None:
                continue
            identity, account = placed
            values: dict[str, Any] = {
                "account_id": account,
                "name": row.name,
                **{c: row.fields.get(c) for c in present},
            }
            if "role" in values and values["role"] is None:
                values["role"] = "user"
            if "active" in values and values["active"] is None:
                values["active"] = True
            prepared[identity] = values
        _upsert_chunk(session, team_id, CONTACTS, prepared, compared, result, planner,
                      derived=lambda values: {"name_key": name_key(values["name"])})  # fmt: skip
    return result


def _upsert_chunk(
    session: Session,
    team_id: str,
    table: Table,
    prepared: dict[tuple[str, str], dict[str, Any]],
    compared: Sequence[str],
    result: ImportResult,
    planner: Planner,
    derived: Any = None,
    on_insert: dict[str, Any] | None = None,
    current: dict[tuple[str, str], tuple[int, tuple[Any, ...]]] | None = None,
) -> list[tuple[Any, ...]]:
    """One chunk of records by identity: insert the new ones, update those whose `compared` values changed,
    count the rest unchanged. `derived(values)` adds computed columns to both, `on_insert` columns to new rows
    only; `current` is the chunk's current values when the caller read them already. Returns the updated
    rows' values as they were (their `compared` columns, in order)."""
    if current is None:
        current = _current_by_identity(session, team_id, table, compared, list(prepared))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    before: list[tuple[Any, ...]] = []
    for (source, source_id), values in prepared.items():
        extra = derived(values) if derived else {}
        found = current.get((source, source_id))
        if found is None:
            inserts.append({"team_id": team_id, **values, **extra, **(on_insert or {}), "source": source,
                            "source_id": source_id})  # fmt: skip
            result.created += 1
        elif found[1] != tuple(values[c] for c in compared):
            updates.append({"id": found[0], **values, **extra})
            before.append(found[1])
            result.updated += 1
        else:
            result.unchanged += 1
    _insert(session, table, inserts)
    _update(session, table, updates)
    planner.wrote(len(inserts))
    return before


def _current_by_identity(
    session: Session, team_id: str, table: Table, columns: Sequence[str], identities: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, tuple[Any, ...]]]:
    """(source, source id) -> (row id, values of `columns`) of the workspace's rows with these identities."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, source_id in identities:
        by_source[source].append(source_id)
    current: dict[tuple[str, str], tuple[int, tuple[Any, ...]]] = {}
    for source, ids in by_source.items():
        for r in session.execute(
            select(table.c.id, table.c.source_id, *[table.c[c] for c in columns]).where(
                table.c.team_id == team_id, table.c.source == source, table.c.source_id.in_(ids)
            )
        ):
            current[(source, r[1])] = (r[0], tuple(r[2:]))
    return current


# ------------------------------------------------------------------------------------------------ touches


class Contacts:
    """A workspace's contacts by identity and, per account, by name key and email (loaded only when a touch names
    a contact by name: a CRM export joins by id, and 300k names would cost ~100 MB)."""

    def __init__(self, session: Session, team_id: str) -> None:
        self.session, self.team_id = session, team_id
        self.by_identity: dict[tuple[str, str], tuple[int, int]] = {  # -> (contact id, its account id)
            (source or "", source_id or ""): (cid, acc_id)
            for cid, acc_id, source, source_id in session.execute(
                select(Contact.id, Contact.account_id, Contact.source, Contact.source_id).where(
                    Contact.team_id == team_id, Contact.source_id.is_not(None)
                )
            )
        }
        self._by_ref: dict[tuple[int, str], int] | None = None

    @property
    def by_ref(self) -> dict[tuple[int, str], int]:
        if self._by_ref is None:
            self._by_ref = {}
            for cid, acc_id, key, email in self.session.execute(
                select(Contact.id, Contact.account_id, Contact.name_key, Contact.email).where(
                    Contact.team_id == self.team_id
                )
            ):
                self._by_ref.setdefault((acc_id, key), cid)
                if email:
                    self._by_ref.setdefault((acc_id, email.lower()), cid)
        return self._by_ref

    def of(self, row: InteractionRow, account_id: int) -> tuple[list[int], int]:
        """The contact ids of a touch on this account (first = its main contact), and how many it names that are
        unknown. A contact named by id who works for another company is not this touch's (a multi-company
        activity is a touch each: that contact is on the touch of their own company)."""
        found: list[int] = []
        unknown = 0
        for sid in row.contact_source_ids:
            known = self.by_identity.get((row.source or "", sid))
            if known is None:
                unknown += 1
            elif known[1] == account_id and known[0] not in found:
                found.append(known[0])
        for ref in ([row.contact] if row.contact else []) + list(row.contacts):
            cid = self.by_ref.get((account_id, ref.lower() if "@" in ref else name_key(ref)))
            if cid is None:
                unknown += 1
            elif cid not in found:
                found.append(cid)
        return found, unknown


def link_contacts(
    session: Session, team_id: str, touches: dict[str, tuple[dict[str, Any], list[int]]]
) -> None:
    """interaction_contacts rows for touches just written (dedup key -> (values, contact ids)): every contact."""
    wanted = {k: v for k, v in touches.items() if v[1]}
    if not wanted:
        return
    ids = dict(
        session.execute(
            select(Interaction.dedup_key, Interaction.id).where(
                Interaction.team_id == team_id, Interaction.dedup_key.in_(list(wanted))
            )
        ).all()
    )
    links = [
        {"team_id": team_id, "interaction_id": ids[key], "contact_id": cid, "account_id": values["account_id"],
         "occurred_at": values["occurred_at"], "colleague": values["colleague"]}
        for key, (values, contact_ids) in wanted.items() if key in ids for cid in contact_ids
    ]  # fmt: skip
    if links:
        stmt = conflict_insert(session, LINKS).on_conflict_do_nothing(
            index_elements=["interaction_id", "contact_id"]
        )
        session.execute(stmt, links)


TOUCH_COMPARED = ("occurred_at", "kind", "contact_id", "colleague", "note")


def write_interactions(
    session: Session,
    team_id: str,
    rows: Iterable[InteractionRow],
    now: datetime,
    skip: SkipSink | None = None,
    progress: Any = None,
) -> ImportResult:
    """Touches by (source, source id, account), streamed CHUNK rows at a time; an edit in the CRM updates the touch."""
    result = ImportResult("interactions")
    stream = iter(rows)
    first = next(stream, None)
    if first is None:
        return result
    rows = chain([first], stream)
    ensure_workspace(session, team_id)
    accounts = Accounts(session, team_id)
    contacts = Contacts(session, team_id)
    people = slack_ids(session, team_id)
    seen: set[int] = set()  # the first 64 bits of the batch's dedup keys: a repeat within the batch
    unknown = 0
    planner = Planner(session, INTERACTIONS, LINKS)
    with latest_touch.deferred(session.connection()):
        for batch in chunked(rows):
            result.rows += len(batch)
            prepared: dict[str, tuple[dict[str, Any], list[int]]] = {}
            for row in batch:
                assert row.source and row.source_id
                account = accounts.find(row.source, row.account_source_id, row.account)
                if isinstance(account, str):
                    _skip(skip, result, row.line, account, row.account_source_id or row.account)
                    continue
                key = crm_touch_key(row.source, row.source_id, account)
                prefix = int(key[:16], 16)
                if prefix in seen:
                    _skip(skip, result, row.line, "duplicate", row.source_id)
                    continue
                seen.add(prefix)
                contact_ids, missing = contacts.of(row, account)
                unknown += missing
                colleague = row.colleague
                if colleague and "@" in colleague:
                    colleague = people.get(colleague.lower(), colleague.lower())
                values = {
                    "team_id": team_id, "account_id": account, "occurred_at": row.occurred_at.astimezone(UTC),
                    "kind": row.kind, "contact_id": contact_ids[0] if contact_ids else None, "colleague": colleague,
                    "note": row.note, "dedup_key": key, "source": row.source, "source_id": row.source_id,
                }  # fmt: skip
                prepared[key] = (values, contact_ids)
            _write_touches(session, team_id, prepared, result)
            planner.wrote(len(prepared))
            if progress:
                progress(len(batch))
    if unknown:
        result.notes.append(
            f"{unknown} contact reference(s) of touches matched no imported contact and were left out"
        )
    return result


def _write_touches(
    session: Session,
    team_id: str,
    prepared: dict[str, tuple[dict[str, Any], list[int]]],
    result: ImportResult,
) -> None:
    """Insert the chunk's touches that are new (INSERT ... ON CONFLICT DO NOTHING RETURNING: a first import looks
    nothing up), then compare the ones already there and update those the CRM changed."""
    if not prepared:
        return
    stmt = (
        conflict_insert(session, INTERACTIONS)
        .on_conflict_do_nothing(index_elements=["team_id", "dedup_key"])
        .returning(INTERACTIONS.c.id, INTERACTIONS.c.dedup_key)
    )
    inserted = {key: iid for iid, key in session.execute(stmt, [v for v, _ in prepared.values()])}
    result.created += len(inserted)
    _link(session, team_id, ((inserted[k], v, c) for k, (v, c) in prepared.items() if k in inserted))
    rest = [k for k in prepared if k not in inserted]
    if not rest:
        return
    existing = {
        r.dedup_key: r
        for r in session.execute(
            select(Interaction.id, Interaction.dedup_key, *[INTERACTIONS.c[c] for c in TOUCH_COMPARED]).where(
                Interaction.team_id == team_id, Interaction.dedup_key.in_(rest)
            )
        )
    }
    linked: dict[int, set[int]] = defaultdict(set)
    for iid, cid in session.execute(
        select(InteractionContact.interaction_id, InteractionContact.contact_id).where(
            InteractionContact.interaction_id.in_([r.id for r in existing.values()])
        )
    ):
        linked[iid].add(cid)
    changed: list[dict[str, Any]] = []
    relink: list[tuple[int, dict[str, Any], list[int]]] = []
    for key in rest:
        values, contact_ids = prepared[key]
        before = existing[key]
        same = all(getattr(before, c) == values[c] for c in TOUCH_COMPARED)
        if same and linked[before.id] == set(contact_ids):
            result.unchanged += 1
            continue
        changed.append({"id": before.id, **{c: values[c] for c in TOUCH_COMPARED}})
        relink.append((before.id, values, contact_ids))
        result.updated += 1
    if changed:
        _update(session, INTERACTIONS, changed)
        session.execute(delete(LINKS).where(LINKS.c.interaction_id.in_([c["id"] for c in changed])))
        _link(session, team_id, relink)


def _link(session: Session, team_id: str, touches: Iterable[tuple[int, dict[str, Any], list[int]]]) -> None:
    """interaction_contacts rows for touches whose ids are known: (touch id, its values, its contact ids)."""
    links = [
        {"team_id": team_id, "interaction_id": iid, "contact_id": cid, "account_id": values["account_id"],
         "occurred_at": values["occurred_at"], "colleague": values["colleague"]}
        for iid, values, contact_ids in touches for cid in contact_ids
    ]  # fmt: skip
    for batch in chunked(links):
        session.execute(insert(LINKS), batch)


# ------------------------------------------------------------------------------------------------ deals


def write_deals(
    session: Session, team_id: str, rows: Iterable[DealRow], now: datetime, skip: SkipSink | None = None
) -> ImportResult:
    """Upsert deals by identity, streamed CHUNK rows at a time; then each account with deals gets its revenue
    months from its won deals."""
    result = ImportResult("deals")
    stream = iter(rows)
    first = next(stream, None)
    if first is None:
        return result
    ensure_workspace(session, team_id)
    invalidate(session, team_id)  # annual revenue changes the grades
    rollups.invalidate(session, team_id)
    accounts = Accounts(session, team_id)
    compared = ("account_id", "name", "status", "closed_on", "amount")
    seen: dict[str, set[str]] = defaultdict(set)
    touched: set[int] = set()
    planner = Planner(session, DEALS)
    for batch in chunked(chain([first], stream)):
        result.rows += len(batch)
        prepared: dict[tuple[str, str], dict[str, Any]] = {}
        for row in batch:
            placed = _placed(row, seen, accounts, skip, result)
            if placed is None:
                continue
            identity, account = placed
            prepared[identity] = {"account_id": account, "name": row.name,
                "status": row.status, "closed_on": row.closed_on, "amount": row.amount}  # fmt: skip
            touched.add(account)
        for was in _upsert_chunk(session, team_id, DEALS, prepared, compared, result, planner):
            touched.add(was[0])  # the account it was on, if it moved
    spend_from_deals(session, team_id, sorted(touched), now)
    return result


def _months_back(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def spend_from_deals(session: Session, team_id: str, account_ids: Sequence[int], now: datetime) -> None:
    """The accounts' revenue months are the sums of their won deals by close month; their annual revenue is the
    sum of the last 12 complete months before `now` (lost and open deals are not spend). Only what differs is
    written: a re-import of the same deals changes no row."""
    this_month = date(now.year, now.month, 1)
    since = _months_back(this_month, 12)
    months_table = table_of(RevenueMonth)
    for batch in chunked(account_ids, 1000):
        months: dict[tuple[int, date], float] = defaultdict(float)
        for account_id, closed_on, amount in session.execute(
            select(Deal.account_id, Deal.closed_on, Deal.amount).where(
                Deal.team_id == team_id, Deal.account_id.in_(batch), Deal.status == "won"
            )
        ):
            if closed_on is not None and amount is not None:
                months[(account_id, date(closed_on.year, closed_on.month, 1))] += amount
        stored = {
            (account_id, month): (row_id, amount)
            for row_id, account_id, month, amount in session.execute(
                select(
                    RevenueMonth.id, RevenueMonth.account_id, RevenueMonth.month, RevenueMonth.amount
                ).where(RevenueMonth.team_id == team_id, RevenueMonth.account_id.in_(batch))
            )
        }
        gone = [row_id for key, (row_id, _) in stored.items() if key not in months]
        if gone:
            session.execute(delete(RevenueMonth).where(RevenueMonth.id.in_(gone)))
        _update(
            session,
            months_table,
            [
                {"id": stored[k][0], "amount": v}
                for k, v in months.items()
                if k in stored and stored[k][1] != v
            ],
        )
        _insert(
            session,
            months_table,
            [{"team_id": team_id, "account_id": a, "month": m, "amount": v}
             for (a, m), v in months.items() if (a, m) not in stored],
        )  # fmt: skip
        annual: dict[int, float] = dict.fromkeys(batch, 0.0)
        for (account_id, month), amount in months.items():
            if since <= month < this_month:
                annual[account_id] += amount
        current = dict(
            session.execute(
                select(Account.id, Account.annual_revenue).where(
                    Account.team_id == team_id, Account.id.in_(batch)
                )
            ).all()
        )
        _update(
            session,
            ACCOUNTS,
            [
                {"id": a, "annual_revenue": v, "updated_at": now}
                for a, v in annual.items()
                if current.get(a) != v
            ],
        )
