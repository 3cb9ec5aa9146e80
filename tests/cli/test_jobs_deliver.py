"""`accountbot jobs run` resolves the owner directory itself and delivers what it queued through the relay,
against the loopback fake Slack (issue 15: timing that is never wrong)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from accountbot.cli import app
from storage.db import make_engine, session_factory
from storage.models import OutboxMessage, SlackUser
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.conftest import Builder

TEAM = "T1"
TUESDAY_TOKYO_10 = "2026-11-24T01:00:00Z"  # 10:00 in Tokyo, 01:00 in London: only Tokyo is due
runner = CliRunner()


@pytest.fixture
def fake():
    with FakeSlackApi(team_id=TEAM) as fake:
        fake.add_user("UANN", email="ann@example.com", tz="Asia/Tokyo")
        yield fake


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, fake: FakeSlackApi):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SLACK_API_URL", fake.base_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.delenv("SLACK_TEAM_ID", raising=False)
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    with sessions.begin() as s:
        b = Builder(s)
        b.account("Acme", owner="ann@example.com", revenue=5e6, profitability="high")  # given by email only
        b.account("Local", owner="ULON", revenue=4e6, profitability="high")
        b.user("ULON", tz="Europe/London")
        b.filler(9)
    yield sessions
    engine.dispose()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_jobs_run_resolves_the_owner_and_delivers_the_digest(cli, fake) -> None:
    result = invoke("jobs", "run", "digest", "--at", TUESDAY_TOKYO_10)
    assert result.exit_code == 0, result.output
    assert "sent 1, dead 0, still waiting 0" in result.output and "sent digest -> UANN" in result.output
    posts = [c for c in fake.calls_to("chat.postMessage") if c.ok]
    assert len(posts) == 1 and "Acme" in str(posts[0].params["blocks"])
    with cli() as s:
        (row,) = s.scalars(select(OutboxMessage)).all()
        assert (row.recipient, row.status) == ("UANN", "sent")
        assert s.scalar(select(SlackUser.tz).where(SlackUser.user_id == "UANN")) == "Asia/Tokyo"
    again = invoke("jobs", "run", "digest", "--at", TUESDAY_TOKYO_10)
    assert again.exit_code == 0 and len(fake.calls_to("chat.postMessage")) == 1  # once per period


def test_a_directory_sync_that_fails_sends_nothing_until_it_succeeds(cli, fake) -> None:
    fake.fail_next("users.lookupByEmail", status=500, times=50)
    failed = invoke("jobs", "run", "digest", "--at", TUESDAY_TOKYO_10)
    assert failed.exit_code == 0, failed.output
    assert "ann@example.com (1 account(s)): no Slack user with this email" in failed.output
    assert fake.calls_to("chat.postMessage") == []
    with cli() as s:
        assert s.scalars(select(OutboxMessage)).all() == []
    fake.clear_failures()
    ok = invoke("jobs", "run", "digest", "--at", TUESDAY_TOKYO_10)
    assert ok.exit_code == 0 and "sent 1" in ok.output
    assert len([c for c in fake.calls_to("chat.postMessage") if c.ok]) == 1


def test_an_owner_whose_zone_is_unknown_is_listed_and_not_due(cli, fake) -> None:
    fake.fail_next("users.info", status=500, times=50)
    with cli.begin() as s:
        b = Builder(s)
        b.account("Remote", owner="UNEW", revenue=6e6, profitability="high")
        b.user("UNEW", tz=None)  # known by id, profile never read
    result = invoke("jobs", "run", "digest", "--at", "2026-11-24T10:00:00Z", "--dry-run")  # 10:00 UTC
    assert result.exit_code == 0, result.output
    assert "UNEW (1 account(s)): time zone not known yet" in result.output
    assert "-> UNEW" not in result.output  # never treated as UTC
    listed = invoke("outbox")
    assert "UNEW (1 account(s)): time zone not known yet" in listed.output


def test_without_a_token_it_says_how_to_queue_instead(cli, fake, monkeypatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    refused = invoke("jobs", "run", "digest", "--at", TUESDAY_TOKYO_10)
    assert refused.exit_code == 1 and "--queue-only" in refused.output and "SLACK_BOT_TOKEN" in refused.output
    queued = invoke("jobs", "run", "weekly_focus", "--at", "2026-11-23T10:00:00Z", "--queue-only")
    assert queued.exit_code == 0, queued.output
    assert "Nothing was sent: a running `accountbot run` delivers them" in queued.output
    assert fake.calls_to("chat.postMessage") == []
    with cli() as s:
        assert [r.status for r in s.scalars(select(OutboxMessage))] == ["pending"]  # London's focus


def test_slack_busy_leaves_the_rest_waiting_and_says_so(cli, fake) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=600)
    result = invoke("jobs", "run", "digest", "--at", TUESDAY_TOKYO_10)
    assert result.exit_code == 0, result.output
    assert "still waiting 1" in result.output and "rate_limited" in result.output
