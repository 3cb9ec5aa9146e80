"""What the nudge jobs need to know about a workspace's accounts, in a handful of set-based queries.

No query runs per account: each one aggregates many accounts at once (grouped by account) and the results
are joined in Python into `accounts.signals.AccountState` values. The aggregates take an optional set of
account ids: the nudge jobs ask only about the accounts a signal can concern (key-tier and A), in chunks
of CHUNK ids, which lets both databases read just those accounts' index ranges.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, any_, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from accounts.signals import AccountState, ContactTouches
from accounts.thresholds import Thresholds
from storage.models import Account, Contact, Interaction, RevenueMonth, SlackUser, Snooze, table_of
from storage.portfolio import classify_workspace

CHUNK = 2000


ACCOUNTS = table_of(Account)  # Core updates without ORM bookkeeping

def _scoped_rows(session: Session, stmt: Any, column: Any, account_ids: Collection[int] | None) -> list[Any]:
    """Run `stmt` for the whole workspace, or only for `account_ids`: one `= ANY(array)` query on
    PostgreSQL, chunks of CHUNK ids on SQLite. Plain rows (Core execution: no ORM bookkeeping per row)."""
    conn = session.connection()
    if account_ids is None:
        return list(conn.execute(stmt).all())
    ids = sorted(set(account_ids))
    if conn.dialect.name == "postgresql":
        scope = bindparam("scope_ids", ids, type_=postgresql.ARRAY(BigInteger))
        return list(conn.execute(stmt.where(column == any_(scope))).all())
    # One expanding parameter: the statement compiles once, and no id goes through SQL coercion.
    scoped = stmt.where(column.in_(bindparam("scope_ids", expanding=True)))
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        rows.extend(conn.execute(scoped, {"scope_ids": ids[start : start + CHUNK]}).all())
    return rows


def owners(session: Session, team_id: str) -> dict[str, str | None]:
    """Resolved owners of the workspace's accounts -> their Slack time zone (None when unknown)."""
    owner_ids = select(Account.owner_user_id).where(
        Account.team_id == team_id, Account.owner_user_id.is_not(None)
    ).distinct().subquery()
    rows = session.execute(
        select(owner_ids.c.owner_user_id, SlackUser.tz).outerjoin(
            SlackUser, (SlackUser.team_id == team_id) & (SlackUser.user_id == owner_ids.c.owner_user_id)
        )
    ).all()
    return {user_id: tz for user_id, tz in rows}


def last_touches(
    session: Session, team_id: str, now: datetime, account_ids: Collection[int] | None = None
) -> dict[int, tuple[datetime | None, datetime | None]]:
    """Account id -> (last interaction, last `review` interaction), up to `now`."""
    last_review = func.max(case((Interaction.kind == "review", Interaction.occurred_at), else_=None))
    stmt = (
        select(Interaction.account_id, func.max(Interaction.occurred_at), last_review)
        .where(Interaction.team_id == team_id, Interaction.occurred_at <= now)
        .group_by(Interaction.account_id)
    )
    rows = _scoped_rows(session, stmt, Interaction.account_id, account_ids)
    return {account_id: (_aware(last), _aware(review)) for account_id, last, review in rows}


def contact_touches(
    session: Session, team_id: str, now: datetime, window_days: int, account_ids: Collection[int] | None = None
) -> dict[int, tuple[ContactTouches, ...]]:
    """Account id -> interactions per named contact in the window (with the colleagues who met them)."""
    since = now - timedelta(days=window_days)
    stmt = (
        select(Interaction.account_id, Interaction.contact_id, Contact.name, Interaction.colleague, func.count())
        .join(Contact, Contact.id == Interaction.contact_id)
        .where(
            Interaction.team_id == team_id,
            Interaction.occurred_at > since,
            Interaction.occurred_at <= now,
        )
        .group_by(Interaction.account_id, Interaction.contact_id, Contact.name, Interaction.colleague)
    )
    rows = _scoped_rows(session, stmt, Interaction.account_id, account_ids)
    per_contact: dict[int, dict[int, tuple[str, int, list[str]]]] = {}
    for account_id, contact_id, name, colleague, count in rows:
        contacts = per_contact.setdefault(account_id, {})
        prev = contacts.get(contact_id)
        if prev is None:
            prev = (name, 0, [])
        colleagues = prev[2]
        if colleague:
            colleagues.append(colleague)
        contacts[contact_id] = (name, prev[1] + count, colleagues)
    return {
        account_id: tuple(
            ContactTouches(name, count, tuple(sorted(set(colleagues)))) for name, count, colleagues in contacts.values()
        )
        for account_id, contacts in per_contact.items()
    }


def decision_makers(
    session: Session, team_id: str, account_ids: Collection[int] | None = None
) -> dict[int, tuple[int, str | None]]:
    """Account id -> (active decision makers, the name when there is exactly one)."""
    stmt = (
        select(Contact.account_id, func.count(), func.min(Contact.name))
        .where(Contact.team_id == team_id, Contact.role == "decision_maker", Contact.active.is_(True))
        .group_by(Contact.account_id)
    )
    rows = _scoped_rows(session, stmt, Contact.account_id, account_ids)
    return {account_id: (n, name if n == 1 else None) for account_id, n, name in rows}


def month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def revenue_windows(
    session: Session, team_id: str, now: datetime, months: int, account_ids: Collection[int] | None = None
) -> dict[int, tuple[float | None, float | None]]:
    """Account id -> (sum of the last `months` complete months, sum of the `months` before); None for a
    window without any revenue row. Empty when the workspace has no revenue row at all in the recent window
    (its data is not up to date; a missing month only counts as zero when others have that month)."""
    this_month = month_start(now.date())
    recent_from = month_start(now.date(), months)
    prior_from = month_start(now.date(), 2 * months)
    in_recent = RevenueMonth.month >= recent_from
    stmt = (
        select(
            RevenueMonth.account_id,
            func.sum(case((in_recent, RevenueMonth.amount), else_=0.0)),
            func.count(case((in_recent, 1), else_=None)),
            func.sum(case((in_recent, 0.0), else_=RevenueMonth.amount)),
            func.count(case((in_recent, None), else_=1)),
        )
        .where(RevenueMonth.team_id == team_id, RevenueMonth.month >= prior_from, RevenueMonth.month < this_month)
        .group_by(RevenueMonth.account_id)
    )
    rows = _scoped_rows(session, stmt, RevenueMonth.account_id, account_ids)
    latest = session.scalar(
        select(func.max(RevenueMonth.month)).where(RevenueMonth.team_id == team_id, RevenueMonth.month < this_month)
    )
    if latest is None or latest < recent_from:
        # The workspace's revenue history stops before the recent window (not imported yet): no signal,
        # rather than "every account dropped to zero".
        return {}
    return {
        account_id: (float(recent) if n_recent else None, float(prior) if n_prior else None)
        for account_id, recent, n_recent, prior, n_prior in rows
    }


def active_snoozes(session: Session, team_id: str, now: datetime) -> dict[int, datetime]:
    """Account id -> end of its latest snooze, for snoozes still running at `now`."""
    rows = session.execute(
        select(Snooze.account_id, func.max(Snooze.until))
        .where(Snooze.team_id == team_id, Snooze.until > now)
        .group_by(Snooze.account_id)
    ).all()
    return {account_id: _aware(until) for account_id, until in rows if until is not None}  # type: ignore[misc]


def watched_states(session: Session, team_id: str, now: datetime, th: Thresholds) -> list[AccountState]:
    """AccountState for every owned account (owner_user_id set) a nudge can be about: key-tier or A accounts,
    and B accounts without a sponsor (sponsor_missing is the only signal a B account can raise).

    Tier and grade come from `storage.portfolio.classify_workspace`, whose one accounts query also brings
    the columns an AccountState needs; the interaction, contact and revenue aggregates then ask only about
    the key-tier and A accounts (the only ones their signals concern)."""
    graded = classify_workspace(
        session, team_id, th, Account.owner_user_id, Account.sponsor_user_id, Account.sponsor_level
    ).accounts
    watched = []
    by_interactions = []
    for verdict, r in graded:
        if r.owner_user_id is None:
            continue
        if verdict.tier == "key" or verdict.grade == "A":
            by_interactions.append(r.id)
        elif verdict.grade != "B" or r.sponsor_user_id:
            continue
        watched.append((verdict, r))
    del graded
    touches = last_touches(session, team_id, now, by_interactions)
    window = contact_touches(session, team_id, now, th.spof_window_days, by_interactions)
    deciders = decision_makers(session, team_id, by_interactions)
    revenue = revenue_windows(session, team_id, now, th.revenue_drop_months, by_interactions)
    snoozes = active_snoozes(session, team_id, now)
    states = []
    for verdict, r in watched:
        last, review = touches.get(r.id, (None, None))
        n_dm, sole = deciders.get(r.id, (0, None))
        recent, prior = revenue.get(r.id, (None, None))
        states.append(
            AccountState(
                id=r.id,
                name=r.name,
                tier=verdict.tier,
                grade=verdict.grade,
                owner=r.owner_user_id,
                annual_revenue=r.annual_revenue,
                sponsor_user_id=r.sponsor_user_id,
                sponsor_level=r.sponsor_level,
                last_touch=last,
                last_review=review,
                decision_makers=n_dm,
                sole_decision_maker=sole,
                window_touches=window.get(r.id, ()),
                revenue_recent=recent,
                revenue_prior=prior,
                snoozed_until=snoozes.get(r.id),
            )
        )
    return states


def by_owner(states: Iterable[AccountState]) -> dict[str, list[AccountState]]:
    grouped: dict[str, list[AccountState]] = {}
    for s in states:
        if s.owner:
            grouped.setdefault(s.owner, []).append(s)
    return grouped


def record_classes(session: Session, team_id: str, changes: Mapping[int, tuple[str, str | None]]) -> None:
    """Remember the tier and grade now in force, so a change is announced once."""
    if not changes:
        return
    session.execute(
        update(ACCOUNTS)
        .where(ACCOUNTS.c.team_id == team_id, ACCOUNTS.c.id == bindparam("aid"))
        .values(last_tier=bindparam("tier"), last_grade=bindparam("grade")),
        [{"aid": aid, "tier": tier, "grade": grade} for aid, (tier, grade) in changes.items()],
    )


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates over UTCDateTime columns come back aware already; be safe for backends that do not."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
