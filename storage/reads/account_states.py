"""Account state as of `now` (accounts.signals.AccountState), for every reader: cards, lists, App Home, the
digest, the weekly focus and single-point-of-failure warnings. A handful of set-based queries over the
stored values (storage.stored); no query runs per account. See docs/data.md#account-state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from accounts.signals import AccountState, ContactTouches
from accounts.thresholds import Thresholds
from storage.models import (
    Account,
    Contact,
    Interaction,
    InteractionContact,
    LatestTouch,
    SlackUser,
    Snooze,
    table_of,
)
from storage.stored.grades import ensure_classified
from storage.stored.rollups import ensure_rollups, scoped

ACCOUNTS = table_of(Account)  # Core statements without ORM bookkeeping
LATEST = table_of(LatestTouch)
AccountIds = Sequence[int] | Select[Any] | None  # which accounts: None means all of the workspace
SEP = "\x1f"  # joins colleague ids in one aggregate (never part of a Slack id or an email)


def _rows(session: Session, stmt: Any) -> list[Any]:
    """Plain rows (Core execution: no ORM bookkeeping per row)."""
    return list(session.connection().execute(stmt).all())


def owners(session: Session, team_id: str) -> dict[str, str | None]:
    """Resolved owners of the workspace's accounts -> their Slack time zone (None when unknown, and for a bot
    or a deactivated user: nobody to nudge)."""
    owner_ids = (
        select(Account.owner_user_id)
        .where(Account.team_id == team_id, Account.owner_user_id.is_not(None))
        .distinct()
        .subquery()
    )
    reachable_tz = case((SlackUser.membership.in_(("bot", "deactivated")), None), else_=SlackUser.tz)
    rows = session.execute(
        select(owner_ids.c.owner_user_id, reachable_tz).outerjoin(
            SlackUser, (SlackUser.team_id == team_id) & (SlackUser.user_id == owner_ids.c.owner_user_id)
        )
    ).all()
    return {user_id: tz for user_id, tz in rows}


def last_touches(
    session: Session, team_id: str, now: datetime, scope: Select[Any] | Sequence[int] | None = None
) -> dict[int, tuple[datetime | None, datetime | None]]:
    """Account id -> (last interaction, last `review` interaction), up to `now`."""
    last_review = func.max(case((Interaction.kind == "review", Interaction.occurred_at), else_=None))
    stmt = (
        select(Interaction.account_id, func.max(Interaction.occurred_at), last_review)
        .where(Interaction.team_id == team_id, Interaction.occurred_at <= now)
        .group_by(Interaction.account_id)
    )
    rows = _rows(session, scoped(stmt, Interaction.account_id, scope))
    return {account_id: (_aware(last), _aware(review)) for account_id, last, review in rows}


def contact_touches(
    session: Session, team_id: str, now: datetime, window_days: int, scope: Select[Any] | None = None
) -> dict[int, tuple[ContactTouches, ...]]:
    """Account id -> interactions per named contact in the window (with the colleagues who met them); a touch
    that involved several contacts counts for each of them (interaction_contacts).

    One row per contact reaches Python, its colleagues joined by SEP: PostgreSQL groups once with
    string_agg(DISTINCT ...); SQLite (whose group_concat(DISTINCT ...) takes no separator) groups per
    colleague first, then per contact."""
    since = now - timedelta(days=window_days)
    in_window = (
        InteractionContact.team_id == team_id,
        InteractionContact.occurred_at > since,
        InteractionContact.occurred_at <= now,
        InteractionContact.contact_id.is_not(None),
    )
    named = (Contact.id == InteractionContact.contact_id) & (Contact.team_id == team_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = scoped(
            select(
                InteractionContact.account_id,
                Contact.name,
                func.count(),
                func.string_agg(InteractionContact.colleague.distinct(), SEP),
            )
            .join(Contact, named)
            .where(*in_window)
            .group_by(InteractionContact.account_id, InteractionContact.contact_id, Contact.name),
            InteractionContact.account_id,
            scope,
        )
    else:
        per_colleague = scoped(
            select(
                InteractionContact.account_id,
                InteractionContact.contact_id,
                InteractionContact.colleague,
                func.count().label("n"),
            )
            .where(*in_window)
            .group_by(
                InteractionContact.account_id, InteractionContact.contact_id, InteractionContact.colleague
            ),
            InteractionContact.account_id,
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
        met: tuple[str, ...] = ()
        if colleagues:
            parts = colleagues.split(SEP)
            if len(parts) > 1:  # most contacts met one colleague in the window: no sort, no filter pass
                parts.sort()
                if not parts[0]:
                    parts = [c for c in parts if c]
            met = tuple(parts) if parts and parts[0] else ()
        per_account.setdefault(account_id, []).append(ContactTouches(name, int(count), met))
    return {account_id: tuple(touches) for account_id, touches in per_account.items()}


def active_snoozes(session: Session, team_id: str, now: datetime) -> dict[int, datetime]:
    """Account id -> end of its latest snooze, for snoozes still running at `now`."""
    rows = session.execute(
        select(Snooze.account_id, func.max(Snooze.until))
        .where(Snooze.team_id == team_id, Snooze.until > now)
        .group_by(Snooze.account_id)
    ).all()
    return {account_id: _aware(until) for account_id, until in rows if until is not None}  # type: ignore[misc]


def nudge_scope(team_id: str) -> Select[Any]:
    """The accounts a nudge can be about, by their stored tier and grade: owned (owner_user_id set) key-tier
    or A accounts, and owned B accounts without a sponsor (sponsor_missing is the only signal a B account
    can raise)."""
    a = ACCOUNTS.c
    unsponsored_b = and_(a.grade == "B", or_(a.sponsor_user_id.is_(None), a.sponsor_user_id == ""))
    return select(a.id).where(
        a.team_id == team_id, a.owner_user_id.is_not(None), or_(_watched(), unsponsored_b)
    )


def _watched() -> Any:
    """Key-tier or grade A by the stored classes: AccountState.watched in SQL."""
    return or_(ACCOUNTS.c.tier == "key", ACCOUNTS.c.grade == "A")


def account_states(
    session: Session, team_id: str, now: datetime, thresholds: Thresholds, ids: AccountIds = None
) -> list[AccountState]:
    """AccountState of the workspace's accounts (`ids`: only these, a list of ids or a SELECT of accounts.id),
    in no particular order. Tier, grade, rollups and latest touches are the stored ones, made current first
    (storage.stored); touches dated after `now` do not count (docs/data.md#account-state). Window touches
    are counted for key-tier and A accounts only, the ones single_point_of_failure concerns."""
    th = thresholds
    ensure_classified(session, team_id, th)
    ensure_rollups(session, team_id, now, th)
    a, t = ACCOUNTS.c, LATEST.c
    scope: Select[Any] | list[int] | None
    if ids is None:
        scope, window_scope = None, select(a.id).where(a.team_id == team_id, _watched())
    elif isinstance(ids, Select):
        scope, window_scope = ids, ids.where(_watched())
    else:
        scope = sorted(set(ids))
        window_scope = select(a.id).where(a.team_id == team_id, _watched(), a.id.in_(scope))
    stmt = (
        select(
            a.id,
            a.name,
            a.tier,
            a.grade,
            a.owner_user_id,
            a.annual_revenue,
            a.sponsor_user_id,
            a.sponsor_level,
            a.decision_makers,
            a.sole_decision_maker,
            a.revenue_recent,
            a.revenue_prior,
            t.last_touch_at,
            t.last_review_at,
        )
        .outerjoin(LATEST, t.account_id == a.id)
        .where(a.team_id == team_id)
    )
    if isinstance(scope, Select) and scope.whereclause is not None and scope.get_final_froms() == [ACCOUNTS]:
        stmt = stmt.where(scope.whereclause)  # a SELECT of accounts: its filter, so a plain accounts scan
    elif scope is not None:
        stmt = stmt.where(a.id.in_(scope))
    rows = _rows(session, stmt)
    # The stored latest touches count every interaction; one after `now` (a run as of an earlier instant, a
    # touch dated ahead) sends this read to the aggregate of those up to `now`.
    ahead = any((r[12] is not None and r[12] > now) or (r[13] is not None and r[13] > now) for r in rows)
    touches = last_touches(session, team_id, now, scope) if ahead else None
    window = contact_touches(session, team_id, now, th.spof_window_days, window_scope)
    snoozes = active_snoozes(session, team_id, now)
    states = []
    get_window, get_snooze = window.get, snoozes.get
    no_touch = (None, None)
    # Rows unpacked as plain tuples: named access on a Row costs more than building the state.
    for (
        account_id,
        name,
        tier,
        grade,
        owner,
        annual_revenue,
        sponsor,
        sponsor_level,
        n_dm,
        sole,
        recent,
        prior,
        last,
        review,
    ) in rows:
        if touches is not None:
            last, review = touches.get(account_id, no_touch)
        states.append(
            AccountState(
                id=account_id,
                name=name,
                tier=tier,
                grade=grade,
                owner=owner,
                annual_revenue=annual_revenue,
                sponsor_user_id=sponsor,
                sponsor_level=sponsor_level,
                last_touch=last,
                last_review=review,
                decision_makers=n_dm,
                sole_decision_maker=sole,
                window_touches=get_window(account_id, ()),
                revenue_recent=recent,
                revenue_prior=prior,
                snoozed_until=get_snooze(account_id),
            )
        )
    return states


def watched_states(session: Session, team_id: str, now: datetime, th: Thresholds) -> list[AccountState]:
    """AccountState of every account a nudge can be about (`nudge_scope`): the digest's and weekly focus's read."""
    return account_states(session, team_id, now, th, nudge_scope(team_id))


def by_owner(states: Iterable[AccountState]) -> dict[str, list[AccountState]]:
    grouped: dict[str, list[AccountState]] = {}
    for s in states:
        if s.owner:
            grouped.setdefault(s.owner, []).append(s)
    return grouped


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates over UTCDateTime columns come back aware already; be safe for backends that do not."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
