"""Issue 15: "a new install whose directory sync fails sends nothing until it succeeds", on `accountbot run`'s
path: the relay service's start syncs the owner directory before the scheduler's catch-up; with Slack failing
nobody is resolved, so the catch-up queues nothing, and the first sync that succeeds makes the owners due.
(`accountbot jobs run`'s path: tests/cli/test_jobs_deliver.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import delete, select

from accounts.thresholds import Thresholds
from bot.directory import Directory
from bot.relay import Relay, RelayService
from jobs import digest
from storage.models import OutboxMessage, SlackUser
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.conftest import TEAM, Builder

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday, 09:00 in London


def test_a_failing_first_sync_sends_nothing_until_a_sync_succeeds(sessions) -> None:
    with sessions.begin() as s:
        b = Builder(s)
        b.account("Acme", owner="ann@example.com", revenue=9e6, profitability="high")  # an owner by email
        b.account("Beta", owner="U7", revenue=8e6, profitability="high")  # by Slack id, never looked up
        b.filler(6)
        s.execute(delete(SlackUser).where(SlackUser.user_id == "U7"))
    clock = [T0]
    with FakeSlackApi(team_id=TEAM) as fake:
        fake.add_user("U5", email="ann@example.com", tz="Europe/London")
        fake.add_user("U7", tz="Europe/London")
        for method in ("users.lookupByEmail", "users.info"):
            fake.fail_next(method, status=500, times=100)
        client = WebClient(token="xoxb-test", base_url=fake.base_url, timeout=5, retry_handlers=[])
        directory = Directory(sessions, client, team_id=TEAM, clock=lambda: clock[0])
        RelayService(Relay(sessions, client, team_id=TEAM), directory=directory, interval=60).start().stop()
        with sessions() as s:  # the scheduler's catch-up, after the relay's start
            assert digest.run(s, T0, Thresholds(), team_id=TEAM).claimed == 0
            assert s.scalars(select(OutboxMessage)).all() == []
        fake.clear_failures()
        clock[0] = T0 + timedelta(hours=7)  # the relay loop's next syncs (an email not found waits 6 hours)
        directory.sync_all()
        with sessions() as s:
            assert digest.run(s, T0 + timedelta(hours=1), Thresholds(), team_id=TEAM).enqueued == 2
            assert sorted(s.scalars(select(OutboxMessage.recipient))) == ["U5", "U7"]
