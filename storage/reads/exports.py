"""What `accountbot export` writes: a workspace's accounts, contacts, interactions or revenue as rows of
the import format (storage.importing.csv_formats), so that importing an export changes nothing.

Every query is scoped by team_id and streamed (`yield_per`: a server-side cursor on PostgreSQL), so memory
stays flat whatever the workspace holds; rows come out in a stable order, so two exports of the same data
are byte-identical. Cells are strings: numbers written exactly (the shortest text that reads back as the
same float), moments as ISO 8601 in UTC (`2026-03-01T14:30:00+00:00`), text that a spreadsheet would run
as a formula behind an apostrophe (the import removes it). See docs/data.md#export.

Identity columns: `source` and `source_id` are the record's own; `account_source_id` (contacts,
interactions) and `contact_source_id` (interactions) are written only when the account or contact comes
from the same source as the row, since an id means something only in its source. In a revenue export
`source` and `source_id` are the account's (a revenue month has no id of its own).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TextIO, cast

from sqlalchemy import ColumnElement, Select, Table, func, null, select, union
from sqlalchemy.orm import Session

from accounts.grading import PortfolioGrader
from accounts.model import AccountFacts
from accounts.thresholds import Thresholds
from storage.importing.csv_formats import FORMATS, FORMULA_START
from storage.models import Account, Base, Contact, Interaction, RevenueMonth, table_of
from storage.reads.assessments import PAIRS_CHUNK, engagement_pairs

EXPORT_KINDS = ("accounts", "contacts", "interactions", "revenue")
COMPUTED = ("tier", "grade", "score", "quadrant")  # accounts only; the import ignores them
CHUNK = 1000  # rows fetched at a time


def columns(kind: str) -> list[str]:
    """The header of an export of `kind`: the import columns, the identity columns, (accounts) the computed ones."""
    fmt = FORMATS[kind]
    names = [*fmt.names, *(c.name for c in fmt.identity)]
    return [*names, *COMPUTED] if kind == "accounts" else names


# ----------------------------------------------------------------------------------------------- cells


def spreadsheet_safe(value: str) -> str:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (the import removes it); so
    does text that already starts with an apostrophe before such a character, so it reads back unchanged."""
    if value[:1] in FORMULA_START or (value[:1] == "'" and value[1:2] in FORMULA_START):
        return "'" + value
    return value


def safe(value: str | None) -> str:
    return "" if value is None else spreadsheet_safe(value)


def number(value: float | None) -> str:
    """Exact and plain: 5000000.0 -> "5000000", 12.5 -> "12.5", 0.1 -> "0.1" (never 1e+22 or 0.1000000001)."""
    if value is None:
        return ""
    text = format(Decimal(repr(float(value))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def moment(value: datetime) -> str:
    """ISO 8601 in UTC, as the import reads it back: 2026-03-01T14:30:00+00:00 (microseconds when there are)."""
    return value.astimezone(UTC).isoformat()


def month(value: date) -> str:
    return value.strftime("%Y-%m")


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


# --------------------------------------------------------------------------------------------- queries


def optional_column(table: Table, name: str) -> ColumnElement[Any]:
    """`table.name`, or NULL while the schema has no such column (the CRM identity columns arrive with
    their migration; until then every record is accountbot's own)."""
    column = table.c.get(name)
    return column.label(name) if column is not None else null().label(name)


def _stream(session: Session, stmt: Select[Any]) -> Iterator[Any]:
    """Rows of `stmt`, CHUNK at a time (a server-side cursor on PostgreSQL)."""
    result = session.execute(stmt, execution_options={"yield_per": CHUNK})
    for partition in result.partitions():
        yield from partition


def _same_source(source: str | None, other_source: str | None, other_id: str | None) -> str:
    """An id of a related record, written only when it is in the row's own source."""
    return safe(other_id) if source is not None and other_source == source and other_id else ""


def account_rows(session: Session, team_id: str, now: datetime, th: Thresholds) -> Iterator[list[str]]:
    """Every account of the workspace (ordered by name key, then id), with its tier, grade, score, quadrant.

    The grades rank each account among the whole workspace, so the grader is built from every account's
    stage and revenue (two values each); the accounts themselves are streamed and assessed CHUNK at a time.
    A malformed rating raises ValueError naming the account, as the grading commands do."""
    accounts = table_of(Account)
    population = session.execute(
        select(Account.stage, Account.annual_revenue).where(Account.team_id == team_id)
    ).all()
    grader = PortfolioGrader(cast(Sequence[AccountFacts], population), th)
    fact_fields = (
        "name", "stage", "annual_revenue", "wallet_share", "profit_margin", "profitability",
        "strategic_value", "pain_factor", "engagement", "potential", "prospect_fit",
    )  # fmt: skip
    stmt = (
        select(
            accounts,
            optional_column(accounts, "source").label("x_source"),
            optional_column(accounts, "source_id").label("x_source_id"),
        )
        .where(accounts.c.team_id == team_id)
        .order_by(accounts.c.name_key, accounts.c.id)
    )
    result = session.execute(stmt, execution_options={"yield_per": CHUNK})
    for chunk in result.partitions():
        pairs = _pairs(session, team_id, now, th, [a.id for a in chunk])
        for acc in chunk:
            facts = AccountFacts(
                id=acc.id, **{f: getattr(acc, f) for f in fact_fields}, engagement_pairs=pairs.get(acc.id, 0)
            )
            verdict = grader.assess(facts)
            yield [
                safe(acc.name),
                safe(acc.owner),
                acc.stage or "",
                number(acc.annual_revenue),
                number(acc.wallet_share),
                number(acc.profit_margin),
                acc.profitability or "",
                acc.strategic_value or "",
                acc.pain_factor or "",
                acc.engagement or "",
                acc.potential or "",
                safe(acc.industry),
                safe(";".join(acc.aliases or [])),
                safe(acc.domain),
                safe(acc.news_feed),
                acc.prospect_fit or "",
                acc.x_source or "",
                safe(acc.x_source_id),
                str(verdict.tier),
                verdict.grade or "",
                "" if verdict.score is None else str(verdict.score),
                str(verdict.quadrant),
            ]


def _pairs(session: Session, team_id: str, now: datetime, th: Thresholds, ids: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for start in range(0, len(ids), PAIRS_CHUNK):
        out.update(
            engagement_pairs(
                session, team_id, now, th.engagement_window_days, ids[start : start + PAIRS_CHUNK]
            )
        )
    return out


def contact_rows(session: Session, team_id: str) -> Iterator[list[str]]:
    """Every contact of the workspace, ordered by account name key, account id, contact name key, contact id."""
    contacts, accounts = table_of(Contact), table_of(Account)
    stmt = (
        select(
            accounts.c.name.label("account"),
            optional_column(accounts, "source").label("account_source"),
            optional_column(accounts, "source_id").label("account_source_id"),
            contacts.c.name,
            contacts.c.title,
            contacts.c.email,
            contacts.c.role,
            contacts.c.active,
            optional_column(contacts, "source"),
            optional_column(contacts, "source_id"),
        )
        .join_from(contacts, accounts, accounts.c.id == contacts.c.account_id)
        .where(contacts.c.team_id == team_id, accounts.c.team_id == team_id)
        .order_by(accounts.c.name_key, accounts.c.id, contacts.c.name_key, contacts.c.id)
    )
    for c in _stream(session, stmt):
        yield [
            safe(c.account),
            safe(c.name),
            safe(c.title),
            safe(c.email),
            c.role or "",
            yes_no(c.active),
            c.source or "",
            safe(c.source_id),
            _same_source(c.source, c.account_source, c.account_source_id),
        ]


def _touch_contacts(team_id: str) -> Any:
    """(interaction_id, contact_id) of every contact of every touch: the touch's own contact_id, and the
    interaction_contacts rows where the schema has them (a touch that involved several contacts)."""
    interactions = table_of(Interaction)
    own = select(
        interactions.c.id.label("interaction_id"), interactions.c.contact_id.label("contact_id")
    ).where(interactions.c.team_id == team_id, interactions.c.contact_id.is_not(None))
    links = Base.metadata.tables.get("interaction_contacts")
    if links is None:
        return own.subquery("touch_contacts")
    more = select(links.c.interaction_id, links.c.contact_id).where(links.c.team_id == team_id)
    return union(own, more).subquery("touch_contacts")


def _not_channel_touches(interactions: Table, team_id: str) -> tuple[ColumnElement[bool], ...]:
    """Leave out the touches counted in linked channels: they belong to their link (unlinking deletes them),
    so a file must not carry them back in as touches nobody owns."""
    channel_touches = Base.metadata.tables.get("channel_touches")
    if channel_touches is None:
        return ()
    counted = select(channel_touches.c.interaction_id).where(
        channel_touches.c.team_id == team_id, channel_touches.c.interaction_id == interactions.c.id
    )
    return (~counted.exists(),)


def interaction_rows(session: Session, team_id: str) -> Iterator[list[str]]:
    """Every touch of the workspace but those counted in linked channels, ordered by time then id; its contacts in one cell (`;`-separated), the
    touch's own contact first, then the others by name key and id."""
    interactions, accounts, contacts = table_of(Interaction), table_of(Account), table_of(Contact)
    linked = _touch_contacts(team_id)
    primary = (contacts.c.id == interactions.c.contact_id).label("is_primary")
    stmt = (
        select(
            interactions.c.id,
            accounts.c.name.label("account"),
            optional_column(accounts, "source").label("account_source"),
            optional_column(accounts, "source_id").label("account_source_id"),
            interactions.c.occurred_at,
            interactions.c.kind,
            interactions.c.colleague,
            interactions.c.note,
            optional_column(interactions, "source"),
            optional_column(interactions, "source_id"),
            contacts.c.name.label("contact_name"),
            contacts.c.email.label("contact_email"),
            optional_column(contacts, "source").label("contact_source"),
            optional_column(contacts, "source_id").label("contact_source_id"),
        )
        .join_from(interactions, accounts, accounts.c.id == interactions.c.account_id)
        .outerjoin(linked, linked.c.interaction_id == interactions.c.id)
        .outerjoin(contacts, contacts.c.id == linked.c.contact_id)
        .where(interactions.c.team_id == team_id, *_not_channel_touches(interactions, team_id))
        .order_by(
            interactions.c.occurred_at,
            interactions.c.id,
            func.coalesce(primary, False).desc(),
            contacts.c.name_key,
            contacts.c.id,
        )
    )
    for _id, group in itertools.groupby(_stream(session, stmt), key=lambda r: r.id):
        rows = list(group)
        touch = rows[0]
        people = [r for r in rows if r.contact_name is not None]
        ids = [r.contact_source_id if r.contact_source == touch.source else None for r in people]
        yield [
            safe(touch.account),
            moment(touch.occurred_at),
            touch.kind,
            safe(";".join(_contact_ref(r.contact_name, r.contact_email) for r in people)),
            safe(touch.colleague),
            safe(touch.note),
            touch.source or "",
            safe(touch.source_id),
            _same_source(touch.source, touch.account_source, touch.account_source_id),
            safe(";".join(i or "" for i in ids)) if touch.source is not None and any(ids) else "",
        ]


def _contact_ref(name: str, email: str | None) -> str:
    """How a touch names a contact: by name, or by email where the name would read as an email or as
    several contacts (the import splits the cell at ';')."""
    if email and (";" in name or "@" in name):
        return email
    return name


def revenue_rows(session: Session, team_id: str) -> Iterator[list[str]]:
    """One row per account and month, ordered by account name key, account id, month; `source` and
    `source_id` are the account's."""
    revenue, accounts = table_of(RevenueMonth), table_of(Account)
    months = (
        select(revenue.c.account_id, revenue.c.month, func.sum(revenue.c.amount).label("amount"))
        .where(revenue.c.team_id == team_id)
        .group_by(revenue.c.account_id, revenue.c.month)
        .subquery("months")
    )
    stmt = (
        select(
            accounts.c.name,
            months.c.month,
            months.c.amount,
            optional_column(accounts, "source"),
            optional_column(accounts, "source_id"),
        )
        .join_from(months, accounts, accounts.c.id == months.c.account_id)
        .where(accounts.c.team_id == team_id)
        .order_by(accounts.c.name_key, accounts.c.id, months.c.month)
    )
    for r in _stream(session, stmt):
        yield [safe(r.name), month(r.month), number(r.amount), r.source or "", safe(r.source_id)]


def export_rows(
    session: Session, team_id: str, kind: str, now: datetime, th: Thresholds
) -> Iterator[list[str]]:
    """The rows of an export of `kind`, each a list of cells in `columns(kind)` order, streamed."""
    if kind == "accounts":
        return account_rows(session, team_id, now, th)
    if kind == "contacts":
        return contact_rows(session, team_id)
    if kind == "interactions":
        return interaction_rows(session, team_id)
    if kind == "revenue":
        return revenue_rows(session, team_id)
    raise ValueError(f"unknown export kind {kind!r}; use one of: {', '.join(EXPORT_KINDS)}")


def write_csv(fh: TextIO, kind: str, rows: Iterable[list[str]]) -> int:
    """The header of `kind` and its rows as CSV to `fh`; returns the number of rows written."""
    return write_table(fh, columns(kind), rows)


def write_table(fh: TextIO, header: list[str], rows: Iterable[list[str]]) -> int:
    """CSV with "\n" line ends and quotes only where needed; returns the number of rows written. A row with
    a bare carriage return in a cell is written fully quoted, since the csv module's minimal quoting leaves
    a lone \r unquoted when lines end with \n, and the file would not read back."""
    plain = csv.writer(fh, lineterminator="\n")
    quoted = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)
    plain.writerow(header)
    n = 0
    for row in rows:
        (quoted if any("\r" in cell for cell in row) else plain).writerow(row)
        n += 1
    return n
