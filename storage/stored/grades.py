"""Stored tier and grade (accounts.tier, accounts.grade): written by `ensure_classified` when the workspace's
fingerprint (rules version and thresholds) is out of date, marked stale by the session hooks `install`
registers (and by `invalidate`). Also the announced classes tier_watch records (`record_classes`).
See docs/data.md#stored-tier-and-grade for the lock order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from accounts.grading import RULES_VERSION
from accounts.thresholds import Thresholds
from storage.models import Account, Workspace, table_of
from storage.reads.assessments import classify_in_batches

ACCOUNTS = table_of(Account)
WORKSPACES = table_of(Workspace)
# The account columns tier and grade are computed from (explicit engagement and potential are checked).
RULE_INPUTS = (
    "stage",
    "annual_revenue",
    "wallet_share",
    "profit_margin",
    "profitability",
    "strategic_value",
    "pain_factor",
    "engagement",
    "potential",
    "prospect_fit",
)


def fingerprint(th: Thresholds) -> str:
    """Identifies the rules a stored classification was made with (rules version and every threshold)."""
    blob = json.dumps({"rules": RULES_VERSION, "thresholds": asdict(th)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def install(factory: sessionmaker[Session]) -> None:
    """Keep the stored classification honest for every session `factory` makes (storage.db does this)."""
    event.listen(factory, "before_flush", _stale_when_accounts_change)
    event.listen(factory, "do_orm_execute", _stale_when_statements_change_accounts)


def invalidate(session: Session, team_id: str) -> None:
    """The workspace's stored classification is out of date (an account's rule inputs changed)."""
    session.connection().execute(
        update(WORKSPACES).where(WORKSPACES.c.team_id == team_id).values(classified_with=None)
    )


def _stale_when_accounts_change(session: Session, _context: Any, _instances: Any) -> None:
    """ORM writes: an account added, deleted or with a changed rule input makes its workspace's stored
    classification stale. Runs before the flush writes the account rows (lock order: workspace first)."""
    teams = {obj.team_id for obj in (*session.new, *session.deleted) if isinstance(obj, Account)}
    for obj in session.dirty:
        if not isinstance(obj, Account):
            continue
        attrs = inspect(obj).attrs
        moved = attrs.team_id.history
        if moved.has_changes():  # it leaves one workspace's ranking and joins another's
            teams.update(t for t in (*moved.deleted, *moved.added) if isinstance(t, str))
        elif obj.team_id not in teams and any(attrs[name].history.has_changes() for name in RULE_INPUTS):
            teams.add(obj.team_id)
    for team_id in sorted(t for t in teams if t):
        invalidate(session, team_id)


def _stale_when_statements_change_accounts(state: ORMExecuteState) -> None:
    """INSERT, UPDATE and DELETE statements on accounts run with `Session.execute` (ORM bulk or Core)
    bypass the flush and its hook: the workspaces whose accounts they may change are marked stale first.
    UPDATEs that set no rule input (owners, tier and grade, last announced classes) leave them valid.
    (`session.connection().execute` bypasses this too: Core writes there call `invalidate` themselves.)"""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    stmt: Any = state.statement
    if getattr(getattr(stmt, "table", None), "name", None) != ACCOUNTS.name:
        return
    given: Any = state.parameters
    params: list[Mapping[str, Any]] = list(given) if isinstance(given, list) else [given or {}]
    assigned = {getattr(k, "key", k) for k in (getattr(stmt, "_values", None) or {})}
    assigned |= {getattr(k, "key", k) for k, _ in (getattr(stmt, "_ordered_values", None) or ())}
    assigned |= {k for p in params for k in p}
    connection = state.session.connection()
    everywhere = update(WORKSPACES).values(classified_with=None)
    if state.is_insert:
        teams = {p.get("team_id") for p in params} | {
            v.value
            for k, v in (getattr(stmt, "_values", None) or {}).items()
            if getattr(k, "key", k) == "team_id" and hasattr(v, "value")
        }
        if not teams or any(not isinstance(t, str) for t in teams):  # a team not to be seen: every workspace
            connection.execute(everywhere)
        else:
            for team_id in sorted(str(t) for t in teams):
                invalidate(state.session, team_id)
        return
    if state.is_update and not assigned & {*RULE_INPUTS, "team_id"}:
        return
    if "team_id" in assigned:  # accounts moved: the workspaces they join are unknown here
        connection.execute(everywhere)
        return
    touched = select(ACCOUNTS.c.team_id).distinct()
    if stmt.whereclause is not None:
        touched = touched.where(
            stmt.whereclause
        )  # its bound names, if any, are filled from each parameter set
    elif any("id" in p for p in params):  # ORM bulk UPDATE by primary key
        touched = touched.where(ACCOUNTS.c.id == bindparam("id"))
    stale = everywhere.where(WORKSPACES.c.team_id.in_(touched.scalar_subquery()))
    if any(params):
        connection.execute(stale, [p for p in params if p])
    else:
        connection.execute(stale)


def lock_workspace(session: Session, team_id: str, column: Any = WORKSPACES.c.classified_with) -> str | None:
    """Take the workspace row's lock (until commit) and read `column` under it (the classification's
    fingerprint unless told). Whoever writes many account rows of a workspace takes it first (the classifier,
    storage.stored.rollups, tier_watch's record of announced classes; the import's `invalidate` takes it by its
    UPDATE), so they never lock account rows in crossing orders.

    On PostgreSQL: FOR NO KEY UPDATE, the lock an UPDATE of the row takes: it waits for, and holds off, a
    writer's `invalidate`, but not the many writes that only reference the workspace (touches, snoozes,
    audit rows, outbox, ledger): FOR UPDATE blocked them all for the whole classification, and deadlocked
    with an edit outside the rules (the edit's account row, then its audit row's reference to the
    workspace; the classifier the other way round)."""
    stmt = select(column).where(WORKSPACES.c.team_id == team_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(key_share=True)
    else:
        # SQLite has no row locks, and its driver begins a transaction only at the first write: without
        # one the classification reads with no lock at all, an edit commits meanwhile, and the classifier
        # then stamps its out-of-date verdicts with a fresh fingerprint. A write first takes the database's
        # write lock (held to commit), so writers wait for the classifier, and it reads the latest data.
        session.execute(
            update(WORKSPACES)
            .where(WORKSPACES.c.team_id == team_id)
            .values(classified_with=WORKSPACES.c.classified_with)
        )
    return session.execute(stmt).scalar_one_or_none()


def ensure_classified(session: Session, team_id: str, th: Thresholds) -> int:
    """Make the stored tier and grade of the workspace's accounts current; returns how many rows changed
    (0 when the stored classification was already made with these rules). Runs in the caller's
    transaction; a malformed rating raises ValueError as grading does."""
    wanted = fingerprint(th)
    current = select(WORKSPACES.c.classified_with).where(WORKSPACES.c.team_id == team_id)
    if session.execute(current).scalar_one_or_none() == wanted:
        return 0  # current as of our snapshot: no lock needed to read it
    if lock_workspace(session, team_id) == wanted:
        return 0  # another process classified while we waited for the lock
    return reclassify(session, team_id, th)


def reclassify(session: Session, team_id: str, th: Thresholds) -> int:
    """Classify every account of the workspace and store what changed (the caller holds the lock), a batch of
    accounts at a time: memory does not grow with the workspace beyond its revenue ranking."""
    count = 0
    for classified in classify_in_batches(session, team_id, th, Account.tier, Account.grade):
        changed = [
            {"aid": r.id, "new_tier": verdict.tier, "new_grade": verdict.grade}
            for verdict, r in classified
            if (r.tier, r.grade) != (verdict.tier, verdict.grade)
        ]
        if changed:
            session.execute(
                update(ACCOUNTS)
                .where(ACCOUNTS.c.team_id == team_id, ACCOUNTS.c.id == bindparam("aid"))
                .values(tier=bindparam("new_tier"), grade=bindparam("new_grade")),
                changed,
            )
        count += len(changed)
    session.execute(
        update(WORKSPACES).where(WORKSPACES.c.team_id == team_id).values(classified_with=fingerprint(th))
    )
    return count


def record_classes(session: Session, team_id: str, changes: Mapping[int, tuple[str, str | None]]) -> None:
    """Remember the tier and grade now in force, so a change is announced once.

    The workspace row's lock first (`lock_workspace`): these rows go in name order, an accounts import's in
    the file's order; without the lock each could hold a row the other waits for."""
    if not changes:
        return
    lock_workspace(session, team_id)
    session.execute(
        update(ACCOUNTS)
        .where(ACCOUNTS.c.team_id == team_id, ACCOUNTS.c.id == bindparam("aid"))
        .values(last_tier=bindparam("announced_tier"), last_grade=bindparam("announced_grade")),
        [
            {"aid": aid, "announced_tier": tier, "announced_grade": grade}
            for aid, (tier, grade) in changes.items()
        ],
    )
