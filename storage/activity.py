"""What the nudge jobs need to know about a workspace's accounts, in a handful of set-based queries.

No query runs per account: each one aggregates many accounts at once (grouped by account) and the results
are joined in Python into `accounts.signals.AccountState` values. The aggregates take an optional scope, a
SELECT of account ids: the nudge jobs ask only about the accounts a signal can concern (owned key-tier and
A accounts, by their stored tier and grade), which lets both databases read just those accounts' index
ranges without a single id travelling through Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from accounts.signals import AccountState, ContactTouches
from accounts.thresholds import Thresholds
from storage.classes import ensure_classified, lock_workspace
from storage.models import Account, Contact, Interaction, RevenueMonth, SlackUser, Snooze, table_of

ACCOUNTS = table_of(Account)  # Core statements without ORM bookkeeping
SEP = "\x1f"  # joins colleague ids in one aggregate (never part of a Slack id or an email)


def _scoped(stmt: Any, column: Any, scope: Select[Any] | None) -> Any:
    """`stmt` for the whole workspace, or only for the account ids `scope` selects."""
    return stmt if scope is None else stmt.where(column.in_(scope))


def _rows(session: Session, stmt: Any) -> list[Any]:
    """Plain rows (Core execution: no ORM bookkeeping per row)."""
    return list(session.connection().execute(stmt).all())


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
    session: Session, team_id: str, now: datetime, scope: Select[Any] | None = None
) -> dict[int, tuple[datetime | None, datetime | None]]:
    """Account id -> (last interaction, last `review` interaction), up to `now`."""
    last_review = func.max(case((Interaction.kind == "review", Interaction.occurred_at), else_=None))
    stmt = (
        select(Interaction.account_id, func.max(Interaction.occurred_at), last_review)
        .where(Interaction.team_id == team_id, Interaction.occurred_at <= now)
        .group_by(Interaction.account_id)
    )
    rows = _rows(session, _scoped(stmt, Interaction.account_id, scope))
    return {account_id: (_aware(last), _aware(review)) for account_id, last, review in rows}


def contact_touches(
    session: Session, team_id: str, now: datetime, window_days: int, scope: Select[Any] | None = None
) -> dict[int, tuple[ContactTouches, ...]]:
    """Account id -> interactions per named contact in the window (with the colleagues who met them).

    One row per contact reaches Python, its colleagues joined by SEP: PostgreSQL groups once with
    string_agg(DISTINCT ...); SQLite (whose group_concat(DISTINCT ...) takes no separator) groups per
    colleague first, then per contact."""
    since = now - timedelta(days=window_days)
    in_window = (
        Interaction.team_id == team_id,
        Interaction.occurred_at > since,
        Interaction.occurred_at <= now,
        Interaction.contact_id.is_not(None),
    )
    named = (Contact.id == Interaction.contact_id) & (Contact.team_id == team_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = _scoped(
            select(
                Interaction.account_id,
                Contact.name,
                func.count(),
                func.string_agg(Interaction.colleague.distinct(), SEP),
            )
            .join(Contact, named)
            .where(*in_window)
            .group_by(Interaction.account_id, Interaction.contact_id, Contact.name),
            Interaction.account_id,
            scope,
        )
    else:
        per_colleague = _scoped(
            select(Interaction.account_id, Interaction.contact_id, Interaction.colleague, func.count().label("n"))
            .where(*in_window)
            .group_by(Interaction.account_id, Interaction.contact_id, Interaction.colleague),
            Interaction.account_id,
            scope,
        ).subquery()
        pc = per_colleague.c
        stmt = (
            select(pc.account_id, Contact.name, func.sum(pc.n), func.group_concat(pc.colleague, SEP))
            .join(Contact, (Contact.id == pc.contact_id) & (Contact.team_id == team_id))
            .group_by(pc.account_id, pc.contact_id, Contact.name)
        )
    per_account: dict[int, list[ContactTouches]] = {}
    for account_id, name, count, colleagues in _rows(session, stmt):
        met = tuple(sorted(c for c in colleagues.split(SEP) if c)) if colleagues else ()
        per_account.setdefault(account_id, []).append(ContactTouches(name, int(count), met))
    return {account_id: tuple(touches) for account_id, touches in per_account.items()}


def decision_makers(
    session: Session, team_id: str, scope: Select[Any] | None = None
) -> dict[int, tuple[int, str | None]]:
    """Account id -> (active decision makers, the name when there is exactly one)."""
    stmt = (
        select(Contact.account_id, func.count(), func.min(Contact.name))
        .where(Contact.team_id == team_id, Contact.role == "decision_maker", Contact.active.is_(True))
        .group_by(Contact.account_id)
    )
    rows = _rows(session, _scoped(stmt, Contact.account_id, scope))
    return {account_id: (n, name if n == 1 else None) for account_id, n, name in rows}


def month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def revenue_windows(
    session: Session, team_id: str, now: datetime, months: int, scope: Select[Any] | None = None
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
    rows = _rows(session, _scoped(stmt, RevenueMonth.account_id, scope))
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
    and B accounts without a sponsor (sponsor_missing is the only signal a B account can raise), in name order.

    Tier and grade are the stored ones (storage.classes, made current first), so one accounts query selects
    just these accounts; the interaction, contact and revenue aggregates then ask only about the key-tier
    and A accounts (the only ones their signals concern)."""
    ensure_classified(session, team_id, th)
    a = ACCOUNTS.c
    key_or_a = or_(a.tier == "key", a.grade == "A")
    unsponsored_b = and_(a.grade == "B", or_(a.sponsor_user_id.is_(None), a.sponsor_user_id == ""))
    watched = session.connection().execute(
        select(a.id, a.name, a.tier, a.grade, a.owner_user_id, a.annual_revenue, a.sponsor_user_id, a.sponsor_level)
        .where(a.team_id == team_id, a.owner_user_id.is_not(None), or_(key_or_a, unsponsored_b))
        .order_by(a.name_key)
    ).all()
    scope = select(a.id).where(a.team_id == team_id, a.owner_user_id.is_not(None), key_or_a)
    touches = last_touches(session, team_id, now, scope)
    window = contact_touches(session, team_id, now, th.spof_window_days, scope)
    deciders = decision_makers(session, team_id, scope)
    revenue = revenue_windows(session, team_id, now, th.revenue_drop_months, scope)
    snoozes = active_snoozes(session, team_id, now)
    states = []
    get_touches, get_deciders, get_revenue, get_window, get_snooze = (
        touches.get, deciders.get, revenue.get, window.get, snoozes.get
    )
    no_touch, no_deciders, no_revenue = (None, None), (0, None), (None, None)
    # Rows unpacked as plain tuples: named access on a Row costs more than building the state.
    for account_id, name, tier, grade, owner, annual_revenue, sponsor, sponsor_level in watched:
        last, review = get_touches(account_id, no_touch)
        n_dm, sole = get_deciders(account_id, no_deciders)
        recent, prior = get_revenue(account_id, no_revenue)
        states.append(
            AccountState(
                id=account_id, name=name, tier=tier, grade=grade, owner=owner, annual_revenue=annual_revenue,
                sponsor_user_id=sponsor, sponsor_level=sponsor_level, last_touch=last, last_review=review,
                decision_makers=n_dm, sole_decision_maker=sole, window_touches=get_window(account_id, ()),
                revenue_recent=recent, revenue_prior=prior, snoozed_until=get_snooze(account_id),
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
    """Remember the tier and grade now in force, so a change is announced once.

    The workspace row's lock first (storage.classes.lock_workspace): these rows go in name order, an
    accounts import's in the file's order; without the lock each could hold a row the other waits for."""
    if not changes:
        return
    lock_workspace(session, team_id)
    session.execute(
        update(ACCOUNTS)
        .where(ACCOUNTS.c.team_id == team_id, ACCOUNTS.c.id == bindparam("aid"))
        .values(last_tier=bindparam("announced_tier"), last_grade=bindparam("announced_grade")),
        [{"aid": aid, "announced_tier": tier, "announced_grade": grade} for aid, (tier, grade) in changes.items()],
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
