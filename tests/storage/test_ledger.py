"""The job-run ledger on SQLite and PostgreSQL: claim once, lease, take over, finish, fail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.db import ensure_workspace
from storage.models import JobRun
from storage.queues import ledger
from tests.conftest import NOW

LEASE = timedelta(minutes=10)


def _claim(session, worker: str, periods, now=NOW, team="T1") -> set[str]:
    held = ledger.claim(
        session, team_id=team, job="digest", periods=periods, worker=worker, now=now, lease=LEASE
    )
    session.commit()
    return held


def test_claim_is_exclusive_per_period(session) -> None:
    ensure_workspace(session, "T1")
    assert _claim(session, "a", ["U1:d", "U2:d"]) == {"U1:d", "U2:d"}
    assert _claim(session, "b", ["U1:d", "U2:d", "U3:d"]) == {"U3:d"}
    rows = {r.period: r for r in session.scalars(select(JobRun))}
    assert rows["U1:d"].claimed_by == "a" and rows["U3:d"].claimed_by == "b"
    assert rows["U1:d"].status == "running" and rows["U1:d"].lease_until == NOW + LEASE


def test_claims_are_per_workspace(session) -> None:
    ensure_workspace(session, "T1")
    ensure_workspace(session, "T2")
    assert _claim(session, "a", ["p"], team="T1") == {"p"}
    assert _claim(session, "a", ["p"], team="T2") == {"p"}


def test_expired_lease_is_taken_over_live_one_is_not(session) -> None:
    ensure_workspace(session, "T1")
    _claim(session, "dead", ["p"])
    assert _claim(session, "b", ["p"], now=NOW + LEASE) == set()  # lease_until == now: still alive
    assert _claim(session, "b", ["p"], now=NOW + LEASE + timedelta(seconds=1)) == {"p"}
    # the old claimant can no longer finish it
    assert ledger.finish(session, team_id="T1", job="digest", periods=["p"], worker="dead", now=NOW) == set()
    assert ledger.finish(session, team_id="T1", job="digest", periods=["p"], worker="b", now=NOW) == {"p"}
    session.commit()
    row = session.scalar(select(JobRun))
    assert row.status == "done" and row.lease_until is None and row.finished_at is not None


def test_done_period_never_runs_again(session) -> None:
    ensure_workspace(session, "T1")
    _claim(session, "a", ["p"])
    ledger.finish(session, team_id="T1", job="digest", periods=["p"], worker="a", now=NOW)
    session.commit()
    assert _claim(session, "b", ["p"], now=NOW + timedelta(days=30)) == set()
    assert ledger.done_periods(session, team_id="T1", job="digest", periods=["p", "q"]) == {"p"}


def test_failed_period_is_claimed_again(session) -> None:
    ensure_workspace(session, "T1")
    _claim(session, "a", ["p"])
    ledger.fail(session, team_id="T1", job="digest", periods=["p"], worker="a", now=NOW, error="boom")
    session.commit()
    assert session.scalar(select(JobRun.status)) == "failed"
    assert _claim(session, "b", ["p"], now=NOW + timedelta(minutes=1)) == {"p"}
    assert ledger.finish(session, team_id="T1", job="digest", periods=["p"], worker="b", now=NOW) == {"p"}


def test_many_periods_in_chunks(session) -> None:
    ensure_workspace(session, "T1")
    periods = [f"U{i}:2026-11-24" for i in range(1200)]
    assert len(_claim(session, "a", periods)) == 1200
    assert _claim(session, "b", periods) == set()
    assert (
        len(ledger.finish(session, team_id="T1", job="digest", periods=periods, worker="a", now=NOW)) == 1200
    )
