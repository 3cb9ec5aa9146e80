"""The job-run ledger: one row per (workspace, job, period); whoever inserts it first runs that period. A
claim commits on its own with a lease; the work then writes its outbox rows and marks it `done` in one
transaction. Claims go in batches of periods. See docs/data.md#queues-outbox-and-ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Update, and_, or_, select, update
from sqlalchemy.orm import Session

from storage.models import JobRun, table_of
from storage.upsert import conflict_insert

JOB_RUNS = table_of(JobRun)

DEFAULT_LEASE = timedelta(minutes=10)
_CHUNK = 500


def _chunks(values: list[str], size: int = _CHUNK) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _insert_new(session: Session) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING period: executed with many parameter sets, SQLAlchemy
    batches them into multi-row statements compiled once ("insertmanyvalues")."""
    return (
        conflict_insert(session, JOB_RUNS)
        .on_conflict_do_nothing(index_elements=["team_id", "job", "period"])
        .returning(JOB_RUNS.c.period)
    )


def _of_periods(team_id: str, job: str, periods: list[str]) -> tuple[ColumnElement[bool], ...]:
    """The ledger rows of this workspace's job for these periods (conditions for a WHERE)."""
    return JobRun.team_id == team_id, JobRun.job == job, JobRun.period.in_(periods)


def _settle(
    team_id: str, job: str, periods: list[str], worker: str, status: str, now: datetime, detail: Any
) -> Update:
    """UPDATE of the periods among these that `worker` still holds (running, claimed by it): they end with
    `status` at `now`, lease released, `detail` kept."""
    return (
        update(JobRun)
        .where(*_of_periods(team_id, job, periods), JobRun.status == "running", JobRun.claimed_by == worker)
        .values(status=status, finished_at=now, lease_until=None, detail=detail)
        .execution_options(synchronize_session=False)
    )


def claim(
    session: Session,
    *,
    team_id: str,
    job: str,
    periods: Iterable[str],
    worker: str,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
) -> set[str]:
    """Claim the given periods; returns the ones this worker now holds.

    New periods are inserted (insert ... on conflict do nothing); periods left `running` by a worker whose
    lease expired are taken over with a conditional update. `done` periods and live leases are left alone.
    Runs in the caller's transaction: commit it before doing the work, so others see the claim."""
    wanted = sorted(set(periods))
    if not wanted:
        return set()
    until = now + lease
    held: set[str] = set()
    for part in _chunks(wanted):
        rows = [
            dict(
                team_id=team_id,
                job=job,
                period=p,
                status="running",
                claimed_by=worker,
                lease_until=until,
                started_at=now,
            )
            for p in part
        ]
        held.update(session.scalars(_insert_new(session), rows))
        rest = [p for p in part if p not in held]
        if rest:
            taken = session.scalars(
                update(JobRun)
                .where(
                    *_of_periods(team_id, job, rest),
                    or_(
                        and_(JobRun.status == "running", JobRun.lease_until < now), JobRun.status == "failed"
                    ),
                )
                .values(
                    status="running", claimed_by=worker, lease_until=until, started_at=now, finished_at=None
                )
                .returning(JobRun.period)
                .execution_options(synchronize_session=False)
            )
            held.update(taken)
    return held


def finish(
    session: Session,
    *,
    team_id: str,
    job: str,
    periods: Iterable[str],
    worker: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> set[str]:
    """Mark the worker's claims `done`; returns the periods it still held (a claim taken over after its lease
    expired is not ours any more: the caller must roll back its work for those). Call in the same
    transaction as the work's outbox rows."""
    wanted = sorted(set(periods))
    done: set[str] = set()
    for part in _chunks(wanted):
        done.update(
            session.scalars(_settle(team_id, job, part, worker, "done", now, detail).returning(JobRun.period))
        )
    return done


def fail(
    session: Session,
    *,
    team_id: str,
    job: str,
    periods: Iterable[str],
    worker: str,
    now: datetime,
    error: str,
) -> None:
    """The work raised: mark our claims `failed` (in a fresh transaction) so the next tick runs them again."""
    for part in _chunks(sorted(set(periods))):
        session.execute(_settle(team_id, job, part, worker, "failed", now, {"error": error[:500]}))


def done_periods(session: Session, *, team_id: str, job: str, periods: Iterable[str]) -> set[str]:
    """Which of these periods are already done (used by dry runs to apply the once-per-period rule)."""
    wanted = sorted(set(periods))
    found: set[str] = set()
    for part in _chunks(wanted):
        found.update(
            session.scalars(
                select(JobRun.period).where(*_of_periods(team_id, job, part), JobRun.status == "done")
            )
        )
    return found


def leased(
    session: Session, *, team_id: str, job: str, periods: Iterable[str], now: datetime
) -> list[tuple[str, str | None, datetime | None]]:
    """(period, claimed_by, lease_until) of these periods that another run holds: `running` with a live lease.
    A run that died (its database dropped before it could mark its claims failed) holds them until then."""
    found: list[tuple[str, str | None, datetime | None]] = []
    for part in _chunks(sorted(set(periods))):
        rows = session.execute(
            select(JobRun.period, JobRun.claimed_by, JobRun.lease_until)
            .where(*_of_periods(team_id, job, part), JobRun.status == "running", JobRun.lease_until >= now)
            .order_by(JobRun.period)
        )
        found.extend((p, by, until) for p, by, until in rows)
    return found


def recent_runs(session: Session, *, team_id: str, job: str | None = None, limit: int = 20) -> list[JobRun]:
    """The latest ledger rows of a workspace, newest first."""
    stmt = select(JobRun).where(JobRun.team_id == team_id)
    if job is not None:
        stmt = stmt.where(JobRun.job == job)
    return list(session.scalars(stmt.order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)))
