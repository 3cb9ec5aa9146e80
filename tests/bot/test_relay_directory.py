"""Owner emails resolved once via users.lookupByEmail and remembered; time zones refreshed via users.info."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.context import BotContext
from bot.directory import Directory
from bot.permissions import is_admin
from bot.settings import load_settings
from storage.models import Account, SlackUser
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.conftest import TEAM, Builder

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_emails_resolved_once_and_time_zones_refreshed(sessions) -> None:
    with sessions.begin() as s:
        b = Builder(s)
        b.account("Kiwi", owner="Ann@Example.com")
        b.account("Kiwi Two", owner="ann@example.com")
        b.account("Ghost", owner="nobody@example.com")
        b.account("Direct", owner="U7")
    now = [T0]
    with FakeSlackApi(auto_users=True, team_id="T1") as fake:  # the workspace the directory serves
        fake.add_user("U5", email="ann@example.com", tz="Pacific/Auckland", is_admin=True)
        fake.add_user("U7", tz="Pacific/Honolulu")
        client = WebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=[])
        directory = Directory(sessions, client, team_id="T1", clock=lambda: now[0])
        stats = directory.sync()
        assert (
            stats.resolved == 1 and stats.unknown == 1 and stats.refreshed == 1
        )  # U5 fetched by lookup; U7 by info
        with sessions() as s:
            owners = dict(s.execute(select(Account.name, Account.owner_user_id)).all())
            users = {u.user_id: u for u in s.scalars(select(SlackUser))}
        assert owners == {"Kiwi": "U5", "Kiwi Two": "U5", "Ghost": None, "Direct": "U7"}
        assert (
            users["U5"].tz == "Pacific/Auckland"
            and users["U5"].is_admin
            and users["U5"].email == "ann@example.com"
        )
        assert users["U7"].tz == "Pacific/Honolulu"

        lookups = len(fake.calls_to("users.lookupByEmail"))
        assert lookups == 2
        directory.sync()  # nothing new: no lookups (ghost remembered as unknown for a while), no refresh
        assert len(fake.calls_to("users.lookupByEmail")) == lookups
        assert len(fake.calls_to("users.info")) == 1

        # A new account with an already known email is resolved from slack_users, without asking Slack.
        with sessions.begin() as s:
            Builder(s).account("Kiwi Three", owner="ANN@example.com")
        directory.sync()
        assert len(fake.calls_to("users.lookupByEmail")) == lookups
        with sessions() as s:
            assert s.scalar(select(Account.owner_user_id).where(Account.name == "Kiwi Three")) == "U5"

        # A day later profiles are refreshed (tz changes follow the owner), the unknown email asked again.
        fake.add_user("U7", tz="America/Los_Angeles")
        now[0] = T0 + timedelta(days=1, minutes=1)
        directory.sync()
        with sessions() as s:
            assert s.scalar(select(SlackUser.tz).where(SlackUser.user_id == "U7")) == "America/Los_Angeles"
        assert len(fake.calls_to("users.lookupByEmail")) == lookups + 1


def test_slack_failures_do_not_raise(sessions) -> None:
    with sessions.begin() as s:
        Builder(s).account("Kiwi", owner="ann@example.com")
    with FakeSlackApi() as fake:
        fake.fail_next("users.lookupByEmail", status=500)
        client = WebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=[])
        stats = Directory(sessions, client, team_id="T1", clock=lambda: T0).sync()
    assert stats.resolved == 0 and stats.unknown == 1


# ----------------------------------------------------------------------------------------------------
# The owner directory must not make a user of another workspace an admin here.
# permissions.is_admin refuses users.info answers for users of another workspace (Slack Connect), but the
# directory sync - which caches the same admin flag for owners, from users.lookupByEmail and users.info - took
# `is_admin` at face value. An external owner who is an admin of their own workspace was then cached as an
# admin of this one, and is_admin trusts that cache: they could change any account and add workspace feeds.


def test_external_admins_are_not_cached_as_admins(sessions: sessionmaker[Session], db_url: str) -> None:
    with sessions.begin() as s:
        b = Builder(s)
        b.account("Shared Co", owner="U9EXTERN")  # an owner picked in a Slack Connect channel
        b.account("Mail Co", owner="boss@partner.example")
        b.account("Home Co", owner="U5HOME")
    with FakeSlackApi(auto_users=True, team_id=TEAM) as fake:
        team = TEAM
        fake.add_user("U9EXTERN", is_admin=True, team_id="T0PARTNER")
        fake.add_user("U8EXTERN", is_owner=True, email="boss@partner.example", team_id="T0PARTNER")
        fake.add_user("U5HOME", is_admin=True)
        client = WebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=[])
        Directory(sessions, client, team_id=team, clock=lambda: T0).sync()
    with sessions() as s:
        admins = {
            u.user_id: u.is_admin for u in s.scalars(select(SlackUser).where(SlackUser.team_id == team))
        }
    assert admins == {"U9EXTERN": False, "U8EXTERN": False, "U5HOME": True}
    ctx = BotContext(settings=load_settings(database_url=db_url), sessions=sessions, clock=lambda: T0)
    assert not is_admin(ctx, None, team, "U9EXTERN") and not is_admin(ctx, None, team, "U8EXTERN")
    assert is_admin(ctx, None, team, "U5HOME")
