"""Review: the owner directory must not make a user of another workspace an admin here.

permissions.is_admin refuses users.info answers for users of another workspace (Slack Connect), but the
directory sync - which caches the same admin flag for owners, from users.lookupByEmail and users.info - took
`is_admin` at face value. An external owner who is an admin of their own workspace was then cached as an
admin of this one, and is_admin trusts that cache: they could change any account and add workspace feeds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.context import BotContext
from bot.directory import Directory
from bot.permissions import is_admin
from bot.settings import load_settings
from storage.models import SlackUser
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.conftest import TEAM, Builder

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


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
