"""`accountbot jobs ...` and `accountbot outbox ...` through the real CLI (typer's runner)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from accountbot.cli import app
from storage.db import make_engine, session_factory
from storage.models import JobRun, OutboxMessage
from tests.jobs.conftest import Builder

runner = CliRunner()


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("SLACK_TEAM_ID", raising=False)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    with sessions.begin() as s:
        b = Builder(s)
        b.user("UDEL", tz="Asia/Kolkata")
        b.account("Chai", owner="UDEL", revenue=5e6, profitability="high")
        b.account("Local", owner="U1", revenue=4e6, profitability="high")
        b.filler(9)
    yield sessions
    engine.dispose()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_dry_run_json_per_recipient_and_records_nothing(cli_db) -> None:
    result = invoke("jobs", "run", "digest", "--at", "2026-11-23T08:30:00Z", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "recipient": "UDEL",
            "stale": ["Chai"],
            "single_point_of_failure": ["Chai"],
            "checkup_due": ["Chai"],
            "sponsor_missing": ["Chai"],
            "revenue_drop": [],
        }
    ]
    with cli_db() as s:
        assert s.scalars(select(OutboxMessage)).all() == [] and s.scalars(select(JobRun)).all() == []
    # once sent, a dry run at the same instant has nobody left to tell
    assert invoke("jobs", "run", "digest", "--at", "2026-11-23T08:30:00Z", "--queue-only").exit_code == 0
    done = invoke("jobs", "run", "digest", "--at", "2026-11-23T08:45:00Z", "--dry-run", "--json")
    assert done.exit_code == 0 and json.loads(done.stdout) == []


def test_run_queues_once_then_outbox_lists_it(cli_db) -> None:
    first = invoke("jobs", "run", "digest", "--at", "2026-11-24T09:00:00Z", "--json", "--queue-only")
    assert first.exit_code == 0, first.output
    assert sorted(r["recipient"] for r in json.loads(first.stdout)) == ["U1", "UDEL"]
    again = invoke("jobs", "run", "digest", "--at", "2026-11-24T10:00:00Z", "--json", "--queue-only")
    assert json.loads(again.stdout) == []
    listed = invoke("outbox", "--json")
    assert listed.exit_code == 0, listed.output
    assert sorted(r["recipient"] for r in json.loads(listed.stdout)) == ["U1", "UDEL"]
    human = invoke("outbox")
    assert "2 pending" in human.stdout


def test_dead_letters_listed_and_retried(cli_db) -> None:
    invoke("jobs", "run", "digest", "--at", "2026-11-24T09:00:00Z", "--queue-only")
    with cli_db.begin() as s:
        row = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        row.status, row.last_error = "dead", "channel_not_found"
        dead_id = row.id
    dead = invoke("outbox", "--dead", "--json")
    assert [(r["id"], r["last_error"]) for r in json.loads(dead.stdout)] == [(dead_id, "channel_not_found")]
    ok = invoke("outbox", "retry", str(dead_id))
    assert ok.exit_code == 0 and "queued again" in ok.stdout
    again = invoke("outbox", "retry", str(dead_id))
    assert again.exit_code == 1 and "not dead" in again.output
    missing = invoke("outbox", "retry", "999999")
    assert missing.exit_code == 1 and "no outbox message 999999" in missing.output


def test_bad_input_is_a_clear_error(cli_db) -> None:
    unknown = invoke("jobs", "run", "nightly")
    assert (
        unknown.exit_code == 1
        and "unknown job 'nightly'" in unknown.output
        and "Traceback" not in unknown.output
    )
    bad_at = invoke("jobs", "run", "digest", "--at", "tomorrow")
    assert bad_at.exit_code == 1 and "ISO 8601" in bad_at.output
    bad_team = invoke("jobs", "run", "digest", "--team", "TNOPE")
    assert bad_team.exit_code == 1 and "no workspace 'TNOPE'" in bad_team.output
    bad_status = invoke("outbox", "--status", "lost")
    assert bad_status.exit_code == 1 and "pending, sending, sent, dead" in bad_status.output


def test_jobs_list_names_every_job(cli_db) -> None:
    invoke("jobs", "run", "tier_watch", "--at", "2026-11-24T02:00:00Z", "--queue-only")
    listed = invoke("jobs", "list")
    assert listed.exit_code == 0
    for name in ("digest", "weekly_focus", "tier_watch"):
        assert name in listed.stdout
    assert "2026-11-24" in listed.stdout  # the tier_watch ledger entry


def test_other_jobs_print_one_object_per_message(cli_db) -> None:
    monday = invoke("jobs", "run", "weekly_focus", "--at", "2026-11-23T09:00:00Z", "--dry-run", "--json")
    assert monday.exit_code == 0, monday.output
    rows = json.loads(monday.stdout)
    assert {(r["recipient"], r["kind"], r["facts"]["account"]) for r in rows} == {
        ("U1", "weekly_focus", "Local"),
        ("UDEL", "weekly_focus", "Chai"),
    }
    assert all(r["team"] == "T1" and r["period"].endswith("2026-W48") for r in rows)


def test_periods_a_dead_run_still_holds_are_named_with_when_to_run_again(cli_db) -> None:
    from datetime import UTC, datetime

    from storage.queues import ledger

    at = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    queued = invoke("jobs", "run", "digest", "--at", at.isoformat(), "--queue-only")
    assert "skipped" not in queued.output, queued.output
    with cli_db.begin() as s:  # what a run that died mid-write leaves: the next day's claim, still running
        period = s.scalars(select(JobRun.period).where(JobRun.job == "digest")).one()
        s.execute(JobRun.__table__.delete())
        held = ledger.claim(s, team_id="T1", job="digest", periods=[period], worker="replica-a:41", now=at)
        assert held == {period}
    again = invoke("jobs", "run", "digest", "--at", at.isoformat(), "--queue-only")
    assert again.exit_code == 0, again.output
    assert "0 period(s) due" in again.output
    assert "1 due period(s) skipped: another run holds them (replica-a:41)" in again.output
    assert "2026-11-23T08:40:00+00:00: run this again then" in again.output and period in again.output
