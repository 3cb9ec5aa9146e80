"""The directory sync looks up managers named by email (escalation) as it does owners, once, so an escalation can
reach them; until then it goes to the escalation channel."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.directory import Directory
from storage.escalation import managers_of, set_manager, unresolved_manager_emails
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.conftest import Builder

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_a_manager_named_by_email_is_found_in_slack_once(sessions) -> None:
    with sessions.begin() as s:
        Builder(s).account("Acme", owner="U1")
        set_manager(s, "T1", "U1", "Boss@Example.com", now=T0)
        set_manager(s, "T1", "U2", "gone@example.com", now=T0)
    with sessions() as s:
        assert managers_of(s, "T1", ["U1"]) == {}  # not found in Slack yet
        assert unresolved_manager_emails(s, "T1") == ["boss@example.com", "gone@example.com"]
    with FakeSlackApi(auto_users=True, team_id="T1") as fake:
        fake.add_user("U0BOSS", email="boss@example.com", tz="Europe/Berlin")
        client = WebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=[])
        directory = Directory(sessions, client, team_id="T1", clock=lambda: T0)
        directory.sync()
        looked_up = sorted(c.params["email"] for c in fake.calls_to("users.lookupByEmail"))
        assert looked_up == ["boss@example.com", "gone@example.com"]
        with sessions() as s:
            assert managers_of(s, "T1", ["U1"]) == {"U1": "U0BOSS"}
            assert unresolved_manager_emails(s, "T1") == ["gone@example.com"]
        directory.sync()  # the boss is known now; the unknown one is asked again only after a while
        assert len(fake.calls_to("users.lookupByEmail")) == 2
