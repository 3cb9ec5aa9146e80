"""What a job run leaves behind: a dry run nothing at all, a failing compute the collector as it was."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import func, select

from accounts.thresholds import Thresholds
from jobs import digest
from jobs.runner import JobResult, cyclic_gc_paused, run_periods
from storage.models import Account, JobRun, OutboxMessage, Workspace
from tests.jobs.conftest import NOW, TEAM, Builder

TH = Thresholds()


def test_a_dry_run_on_a_stale_workspace_leaves_no_classification_claim_or_message(
    session, build: Builder
) -> None:
    neglected = build.account("Neglected", revenue=5_000_000, profitability="high")
    build.filler(5, owner="U2")
    session.commit()
    assert session.scalar(select(Workspace.classified_with).where(Workspace.team_id == TEAM)) is None
    result = digest.run(session, NOW, TH, dry_run=True)
    assert "U1" in [m.recipient for m in result.for_recipients()]  # computed with the classes...
    session.rollback()
    assert (
        session.scalar(select(Workspace.classified_with).where(Workspace.team_id == TEAM)) is None
    )  # ...not kept
    assert session.scalar(select(Account.tier).where(Account.id == neglected.id)) is None
    assert session.scalar(select(func.count()).select_from(JobRun)) == 0
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_restored_when_compute_raises(session, build: Builder, enabled: bool) -> None:
    build.account("Any", revenue=1.0)
    session.commit()
    seen: list[bool] = []

    def compute(held: set[str]) -> list:  # type: ignore[type-arg]
        seen.append(gc.isenabled())
        raise RuntimeError("boom")

    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(RuntimeError):
            run_periods(
                session,
                result=JobResult("gc_test", NOW),
                team_id=TEAM,
                periods={"p": None},
                worker="w",
                now=NOW,
                compute=compute,
            )
        assert seen == [False]
        assert gc.isenabled() is enabled
        with cyclic_gc_paused(), cyclic_gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert session.scalar(select(JobRun.status).where(JobRun.job == "gc_test")) == "failed"


def test_a_failed_run_stores_the_driver_s_first_line_never_the_sql(session, build) -> None:
    from sqlalchemy.exc import OperationalError

    build.account("Acme", owner="U1")
    session.commit()
    driver = Exception(
        "server closed the connection unexpectedly\n\tThis probably means the server terminated"
    )
    boom = OperationalError(
        "INSERT INTO outbox (facts) VALUES (%(facts)s)", {"facts": "Acme secrets"}, driver
    )

    def compute(held: set[str]) -> list:
        raise boom

    with pytest.raises(OperationalError):
        run_periods(session, result=JobResult("digest", NOW), team_id="T1", periods={"U1:2026-11-24": None},
                    worker="w", now=NOW, compute=compute)  # fmt: skip
    (run,) = session.scalars(select(JobRun)).all()
    assert run.status == "failed"
    assert run.detail == {"error": "OperationalError: server closed the connection unexpectedly"}
