"""Stored rollups (accounts.decision_makers, sole_decision_maker, revenue_recent, revenue_prior): refreshed by
`ensure_rollups` when a change is recorded (`rollup_changes`, by the session hooks `install` registers or by
`invalidate`) or the month or revenue window moved (`workspaces.rollups_for`).
See docs/data.md#stored-rollups-and-latest-touches.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, case, delete, event, func, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from accounts.thresholds import Thresholds
from storage.models import Account, Contact, RevenueMonth, RollupChange, Workspace, table_of
from storage.stored.grades import lock_workspace

ACCOUNTS = table_of(Account)
WORKSPACES = table_of(Workspace)
CHANGES = table_of(RollupChange)
SOURCES = (table_of(Contact).name, table_of(RevenueMonth).name)  # the tables the rollups are computed from
# The columns of those rows the rollups read: a change elsewhere (a contact's title, email) keeps them valid.
INPUTS: dict[type, tuple[str, ...]] = {
    Contact: ("team_id", "account_id", "account", "name", "role", "active"),
    RevenueMonth: ("team_id", "account_id", "month", "amount"),
}


def scoped(stmt: Any, column: Any, scope: Select[Any] | Sequence[int] | None) -> Any:
    """`stmt` for the whole workspace, or only for the account ids `scope` selects (or lists)."""
    return stmt if scope is None else stmt.where(column.in_(scope))


def decision_makers(
    session: Session, team_id: str, scope: Select[Any] | None = None
) -> dict[int, tuple[int, str | None]]:
    """Account id -> (active decision makers, the name when there is exactly one)."""
    stmt = (
        select(Contact.account_id, func.count(), func.min(Contact.name))
        .where(Contact.team_id == team_id, Contact.role == "decision_maker", Contact.active.is_(True))
        .group_by(Contact.account_id)
    )
    rows = session.connection().execute(scoped(stmt, Contact.account_id, scope)).all()
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
        .where(
            RevenueMonth.team_id == team_id, RevenueMonth.month >= prior_from, RevenueMonth.month < this_month
        )
        .group_by(RevenueMonth.account_id)
    )
    latest = session.scalar(
        select(func.max(RevenueMonth.month)).where(
            RevenueMonth.team_id == team_id, RevenueMonth.month < this_month
        )
    )
    if latest is None or latest < recent_from:
        # The workspace's revenue history stops before the recent window (not imported yet): no signal,
        # rather than "every account dropped to zero".
        return {}
    rows = session.connection().execute(scoped(stmt, RevenueMonth.account_id, scope)).all()
    return {
        account_id: (float(recent) if n_recent else None, float(prior) if n_prior else None)
        for account_id, recent, n_recent, prior, n_prior in rows
    }


def rollups_key(now: datetime, th: Thresholds) -> str:
    """What stored rollups were computed for: the month of `now` and the revenue window."""
    return f"{month_start(now.date()).isoformat()[:7]}/{th.revenue_drop_months}"


def invalidate(session: Session, team_id: str | None) -> None:
    """Record that the workspace's stored rollups are out of date (a contact or revenue month changed);
    None: every workspace's (a statement whose workspaces are not to be seen)."""
    if team_id is not None:
        session.connection().execute(CHANGES.insert().values(team_id=team_id))
    else:
        session.connection().execute(CHANGES.insert().from_select(["team_id"], select(WORKSPACES.c.team_id)))


def install(factory: sessionmaker[Session]) -> None:
    """Record rollup changes for every session `factory` makes (storage.db does this)."""
    event.listen(factory, "before_flush", _stale_when_sources_change)
    event.listen(factory, "do_orm_execute", _stale_when_statements_change_sources)


def current(session: Session, team_id: str, wanted: str) -> bool:
    """Whether the stored rollups are the wanted ones with no change recorded since."""
    pending = select(CHANGES.c.id).where(CHANGES.c.team_id == team_id).exists()
    row = session.execute(
        select(WORKSPACES.c.rollups_for, pending).where(WORKSPACES.c.team_id == team_id)
    ).one_or_none()
    return row is not None and row[0] == wanted and not row[1]


def _stale_when_sources_change(session: Session, _context: Any, _instances: Any) -> None:
    """ORM writes: a contact or revenue month added, deleted or changed makes its workspace's rollups stale.
    Runs before the flush writes the rows (lock order: workspace first, as storage.stored.grades)."""
    teams = {
        obj.team_id for obj in (*session.new, *session.deleted) if isinstance(obj, Contact | RevenueMonth)
    }
    for obj in session.dirty:
        if isinstance(obj, Account):
            attrs = inspect(obj).attrs
            if attrs.contacts.history.has_changes():
                # contacts moved to or orphaned from this account through the relationship: the flush sets
                # their account_id, or deletes them, only later
                teams.add(obj.team_id)
            moved = attrs.team_id.history  # the account, its rollups with it, changes workspace
            if moved.has_changes():
                teams.update(t for t in (*moved.deleted, *moved.added) if isinstance(t, str))
            continue
        inputs = INPUTS.get(type(obj))
        if inputs is None:
            continue
        attrs = inspect(obj).attrs
        for name in inputs:
            history = attrs[name].history
            if history.has_changes():
                teams.add(obj.team_id)
                if name == "team_id":  # it leaves one workspace and joins another
                    teams.update(t for t in history.deleted if isinstance(t, str))
    for team_id in sorted(t for t in teams if isinstance(t, str) and t):
        invalidate(session, team_id)


def _stale_when_statements_change_sources(state: ORMExecuteState) -> None:
    """INSERT, UPDATE and DELETE statements on contacts or revenue months run with `Session.execute` bypass
    the flush: the workspaces named by their parameters are marked stale first, every workspace when none is
    named. (`session.connection().execute` bypasses this too: Core writes there call `invalidate`.)"""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    if getattr(getattr(state.statement, "table", None), "name", None) not in SOURCES:
        return
    given: Any = state.parameters
    params: list[Mapping[str, Any]] = list(given) if isinstance(given, list) else [given or {}]
    teams = {p.get("team_id") for p in params}
    named = sorted(t for t in teams if isinstance(t, str))
    if state.is_insert and named and len(named) == len(teams):
        for team_id in named:
            invalidate(state.session, team_id)
    else:  # an UPDATE or DELETE selects its rows by its WHERE clause: any workspace's
        invalidate(state.session, None)


def ensure_rollups(session: Session, team_id: str, now: datetime, th: Thresholds) -> int:
    """Make the workspace's stored rollups current for `now`'s month; returns how many account rows changed
    (0 when they already were). Runs in the caller's transaction."""
    wanted = rollups_key(now, th)
    if current(session, team_id, wanted):
        return 0  # current as of our snapshot: no lock needed to read it
    lock_workspace(session, team_id, WORKSPACES.c.rollups_for)
    if current(session, team_id, wanted):
        return 0  # another process refreshed them while we waited for the lock
    return refresh(session, team_id, now, th)


def _same(a: float | None, b: float | None) -> bool:
    """Equal sums: a parallel aggregate adds in any order, so the last bits of a float may differ."""
    return a == b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9))


def refresh(session: Session, team_id: str, now: datetime, th: Thresholds) -> int:
    """Compute every account's rollups and store what changed (the caller holds the workspace lock)."""
    seen = list(
        session.connection().execute(select(CHANGES.c.id).where(CHANGES.c.team_id == team_id)).scalars()
    )
    deciders = decision_makers(session, team_id)
    revenue = revenue_windows(session, team_id, now, th.revenue_drop_months)
    a = ACCOUNTS.c
    stored = session.connection().execute(
        select(a.id, a.decision_makers, a.sole_decision_maker, a.revenue_recent, a.revenue_prior).where(
            a.team_id == team_id
        )
    )
    no_deciders, no_revenue = (0, None), (None, None)
    changed = []
    for account_id, n_was, sole_was, recent_was, prior_was in stored:
        n, sole = deciders.get(account_id, no_deciders)
        recent, prior = revenue.get(account_id, no_revenue)
        if (n, sole) != (n_was, sole_was) or not (_same(recent, recent_was) and _same(prior, prior_was)):
            changed.append({"aid": account_id, "n": n, "sole": sole, "recent": recent, "prior": prior})
    if changed:
        session.connection().execute(
            update(ACCOUNTS)
            .where(a.team_id == team_id, a.id == bindparam("aid"))
            .values(
                decision_makers=bindparam("n"),
                sole_decision_maker=bindparam("sole"),
                revenue_recent=bindparam("recent"),
                revenue_prior=bindparam("prior"),
            ),
            changed,
        )
    for start in range(0, len(seen), 5_000):  # what this refresh covered; changes committed since stay
        session.connection().execute(
            delete(CHANGES).where(CHANGES.c.team_id == team_id, CHANGES.c.id.in_(seen[start : start + 5_000]))
        )
    session.connection().execute(
        update(WORKSPACES).where(WORKSPACES.c.team_id == team_id).values(rollups_for=rollups_key(now, th))
    )
    return len(changed)
