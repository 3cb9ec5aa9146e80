"""The shape every job shares: claim periods in the ledger, compute, write outbox rows, finish the claims.

A job's `run(session, now, th, *, team_id=None, worker=..., dry_run=False) -> JobResult` goes through
`run_periods`, which owns the transaction boundaries (see docs/nudges.md#how-a-job-runs).
"""

from __future__ import annotations

import gc
import logging
import os
import socket
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds
from storage.db import workspace_ids
from storage.holds import held_workspaces
from storage.queues import ledger
from storage.queues.outbox import NewMessage, enqueue_many

log = logging.getLogger("accountbot.jobs")


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a job computes its messages.

    A digest run allocates a few hundred thousand short-lived, acyclic objects (rows, account states, items);
    each allocation burst triggers full collections that scan every live object and cost about a fifth of
    the run without freeing anything (reference counting frees them). The pause is bounded by the compute
    step and the previous state is restored, so nothing long-running keeps the collector off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def default_worker() -> str:
    """Who holds a claim: host and process id (enough to tell replicas apart in the ledger)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message a job wants sent: the period it belongs to and the outbox row to write."""

    period: str
    recipient: str
    kind: str
    facts: Mapping[str, Any]  # one of accounts.facts' TypedDicts
    account_id: int | None = None


@dataclass
class JobResult:
    job: str
    now: datetime
    dry_run: bool = False
    claimed: int = 0  # periods this run held
    messages: list[tuple[str, Outgoing]] = field(default_factory=list)  # (team_id, message)
    enqueued: int = 0
    # (team_id, period, claimed_by, lease_until): due periods another run holds, so this one skipped them
    held_elsewhere: list[tuple[str, str, str | None, datetime | None]] = field(default_factory=list)

    def for_recipients(self) -> list[Outgoing]:
        return [m for _, m in self.messages]


def team_ids(session: Session, team_id: str | None) -> list[str]:
    """The workspaces a scheduled run covers: all but those on hold (uninstalled, or Slack refused the token:
    storage.holds), whose nudges could not go out; a run asked for one workspace covers it anyway."""
    if team_id:
        return [team_id]
    teams = workspace_ids(session)
    held = held_workspaces(session, team_ids=teams)
    return [t for t in teams if t not in held]


@dataclass(frozen=True)
class TeamRun:
    """One job run for one workspace: what a job's per-workspace step needs."""

    session: Session
    team_id: str
    now: datetime
    th: Thresholds
    result: JobResult
    worker: str

    def run_periods(
        self,
        periods: Mapping[str, Any],
        compute: Callable[[set[str]], list[Outgoing]],
        after: Callable[[set[str]], None] | None = None,
    ) -> None:
        run_periods(
            self.session,
            result=self.result,
            team_id=self.team_id,
            periods=periods,
            worker=self.worker,
            now=self.now,
            compute=compute,
            after=after,
        )


def due_weeks(
    people: Mapping[str, str | None],
    now: datetime,
    week_of: Callable[[datetime, str | None], tuple[str, date] | None],
) -> dict[str, tuple[str, str, date]]:
    """The weekly periods that have come: "<person>:<ISO week>" -> (person, ISO week, its Monday), for each
    person (user id -> time zone) whose week `week_of` says is due at `now`."""
    due: dict[str, tuple[str, str, date]] = {}
    for person, tz in people.items():
        week = week_of(now, tz)
        if week is not None:
            due[f"{person}:{week[0]}"] = (person, week[0], week[1])
    return due


def per_team_job(name: str, step: Callable[..., None]) -> Callable[..., JobResult]:
    """A job's `run(session, now, th, *, team_id=None, worker=None, dry_run=False, served=None, **options)`:
    `step(job, **options)` once per workspace (or only `team_id`; among `served` when given: the workspaces
    this bot has a token for), all into one JobResult."""

    def run(
        session: Session,
        now: datetime,
        th: Thresholds = DEFAULT_THRESHOLDS,
        *,
        team_id: str | None = None,
        worker: str | None = None,
        dry_run: bool = False,
        served: Collection[str] | None = None,
        **options: Any,
    ) -> JobResult:
        result = JobResult(name, now, dry_run)
        worker = worker or default_worker()
        for team in team_ids(session, team_id):
            if served is not None and team not in served:
                continue  # no token here for it: its nudges would wait forever
            step(TeamRun(session, team, now, th, result, worker), **options)
        return result

    run.__doc__ = step.__doc__
    return run


def failure_text(exc: BaseException) -> str:
    """What a failed run stores in the ledger: the error's class and the first line of the driver's message.
    Never the SQL or its parameters (a SQLAlchemy error's text carries both)."""
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:500]


def run_periods(
    session: Session,
    *,
    result: JobResult,
    team_id: str,
    periods: Mapping[str, Any],
    worker: str,
    now: datetime,
    compute: Callable[[set[str]], list[Outgoing]],
    after: Callable[[set[str]], None] | None = None,
) -> None:
    """Claim `periods` (period -> anything), compute for the held ones, enqueue and finish atomically.

    `after(held)` runs inside the final transaction (tier_watch records the classes it announced)."""
    job = result.job
    if not periods:
        return
    if result.dry_run:
        held = set(periods) - ledger.done_periods(session, team_id=team_id, job=job, periods=periods)
        session.rollback()
    else:
        held = ledger.claim(session, team_id=team_id, job=job, periods=periods, worker=worker, now=now)
        if len(held) < len(periods):
            others = ledger.leased(session, team_id=team_id, job=job, periods=set(periods) - held, now=now)
            result.held_elsewhere.extend((team_id, *row) for row in others)
        session.commit()
    if not held:
        return
    result.claimed += len(held)
    try:
        with cyclic_gc_paused():
            outgoing = compute(held)
        if result.dry_run:
            result.messages.extend((team_id, m) for m in outgoing)
            session.rollback()
            return
        still = ledger.finish(
            session,
            team_id=team_id,
            job=job,
            periods=held,
            worker=worker,
            now=now,
            detail={"messages": sum(1 for m in outgoing if m.period in held)},
        )
        kept = [m for m in outgoing if m.period in still]
        result.enqueued += enqueue_many(
            session,
            [NewMessage(team_id, m.recipient, m.kind, m.facts, m.period, m.account_id) for m in kept],
            now=now,
        )
        result.messages.extend((team_id, m) for m in kept)
        if after is not None:
            after(still)
        session.commit()
    except Exception as exc:
        session.rollback()
        ledger.fail(
            session, team_id=team_id, job=job, periods=held, worker=worker, now=now, error=failure_text(exc)
        )
        session.commit()
        # One line: the caller reports the exception (the scheduler's job_tick_failed with its traceback, the
        # CLI's one line); a traceback here put SQL on the terminal of `accountbot jobs run`.
        log.info("job_failed job=%s team=%s periods=%d error=%s", job, team_id, len(held), type(exc).__name__)
        raise
    log.info(
        "job_done job=%s team=%s periods=%d messages=%d enqueued=%d",
        job,
        team_id,
        len(held),
        len(result.messages),
        result.enqueued,
    )
