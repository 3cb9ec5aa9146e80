"""The APScheduler ticker: catch-up at start, ticks through the ledger, registry of jobs."""

from __future__ import annotations

import time
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from accounts.thresholds import Thresholds
from jobs.registry import JOBS, JobSpec
from jobs.scheduler import JobScheduler, start_scheduler
from storage.models import JobRun, OutboxMessage
from tests.jobs.conftest import NOW, Builder


def _seed(sessions) -> None:
    with sessions.begin() as s:
        b = Builder(s)
        b.account("Alpha", owner="U1", revenue=5e6, profitability="high")
        b.account("Beta", owner="U2", revenue=4e6, profitability="high")
        b.filler(6)


def test_registry_and_cron_fields_are_valid() -> None:
    assert list(JOBS) == [
        "digest",
        "weekly_focus",
        "tier_watch",
        "portfolio_report",
        "dead_letters",
        "escalation",
        "crm_sync",
    ]
    for spec in JOBS.values():
        CronTrigger(**spec.cron)  # raises on a bad field
        assert spec.description and spec.schedule


def test_catch_up_runs_each_due_period_once_across_replicas(sessions) -> None:
    _seed(sessions)
    clock = lambda: NOW  # noqa: E731 - Tuesday 09:00 UTC
    replicas = [JobScheduler(sessions, Thresholds(), clock=clock, worker=f"r{i}") for i in range(3)]
    results = [r.catch_up() for r in replicas]
    assert results[0]["digest"].enqueued == 2  # the first replica did the work...
    assert all(res["digest"].claimed == 0 for res in results[1:])  # ...the others found it done
    with sessions() as s:
        kinds = dict(s.execute(select(OutboxMessage.kind, func.count()).group_by(OutboxMessage.kind)).all())
        jobs = dict(s.execute(select(JobRun.job, func.count()).group_by(JobRun.job)).all())
    # digest: both owners; weekly_focus: this week's period (Tuesday is after Monday 09:00); tier_watch: tonight
    assert kinds == {"digest": 2, "weekly_focus": 2}
    assert jobs == {"digest": 2, "weekly_focus": 2, "tier_watch": 1}


def test_a_failing_job_does_not_stop_the_ticker(sessions) -> None:
    _seed(sessions)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    jobs = {**JOBS, "digest": JobSpec("digest", broken, {"minute": "0"}, "hourly", "always fails")}
    sched = JobScheduler(sessions, Thresholds(), clock=lambda: NOW, jobs=jobs)
    results = sched.catch_up()
    assert results["digest"] is None
    assert results["tier_watch"] is not None and results["tier_watch"].claimed == 1


def test_started_scheduler_catches_up_then_stops(sessions) -> None:
    _seed(sessions)

    class Settings:
        thresholds = Thresholds()
        allowed_news_hosts: frozenset[str] = frozenset()
        news_channel = None

    sched = start_scheduler(sessions, Settings(), clock=lambda: NOW + timedelta(hours=1))
    try:
        assert sched.running
        assert set(sched.next_runs()) >= {"digest", "weekly_focus", "tier_watch", "news_poll"}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with sessions() as s:
                done = s.scalar(select(func.count()).select_from(JobRun).where(JobRun.status == "done"))
            if done == 5:
                break
            time.sleep(0.1)
        assert done == 5
        while "news_poll" not in sched.last_poll and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sched.last_poll["news_poll"] is not None  # a poll ran (no feeds: an empty report)
    finally:
        sched.stop()
    assert not sched.running


def test_jobs_run_only_for_the_workspaces_the_bot_has_a_token_for(sessions) -> None:
    """One token serves one workspace: the others' digests would wait in the outbox forever, unsent."""
    _seed(sessions)  # workspace T1
    with sessions.begin() as s:
        b = Builder(s, team="T0NOTOKEN")
        b.account("Gamma", owner="U9", revenue=5e6, profitability="high")
        b.filler(6)
    served = JobScheduler(sessions, Thresholds(), clock=lambda: NOW, served=lambda: ["T1"]).catch_up()
    assert served["digest"].enqueued == 2
    with sessions() as s:
        teams = set(s.scalars(select(OutboxMessage.team_id).distinct()))
    assert teams == {"T1"}
    everyone = JobScheduler(sessions, Thresholds(), clock=lambda: NOW).catch_up()  # no token named: all
    assert everyone["digest"].enqueued == 1
