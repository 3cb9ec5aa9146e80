"""`user_change` over signed HTTP: a known person's new time zone is stored at once (the next digest follows
it); a person the bot does not know is not stored; a deactivated owner stops being due."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import select

from accounts.thresholds import Thresholds
from jobs import digest
from storage.models import SlackUser
from tests.bot.conftest import BotHarness
from tests.jobs.conftest import Builder

MONDAY_TOKYO_10 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo, 20:00 Sunday in New York


def _user(user_id: str, team: str, tz: str, **flags: object) -> dict[str, object]:
    return {"id": user_id, "team_id": team, "tz": tz, "real_name": user_id, "profile": {}, **flags}


def _stored_tz(bot: BotHarness, user_id: str) -> str | None:
    with bot.sessions() as s:
        return s.scalar(
            select(SlackUser.tz).where(SlackUser.team_id == bot.team_id, SlackUser.user_id == user_id)
        )


def _wait_for_tz(bot: BotHarness, user_id: str, tz: str) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _stored_tz(bot, user_id) != tz:
        time.sleep(0.05)
    assert _stored_tz(bot, user_id) == tz


def test_a_known_owner_moving_zone_is_due_in_the_new_zone(bot: BotHarness) -> None:
    with bot.sessions.begin() as s:
        b = Builder(s, team=bot.team_id)
        b.account("Tokyo Trade", owner="UMOVER", revenue=9e6, profitability="high")
        b.user("UMOVER", tz="America/New_York")
        b.filler(5)
    th = Thresholds()
    with bot.sessions() as s:
        assert digest.run(s, MONDAY_TOKYO_10, th, dry_run=True, team_id=bot.team_id).messages == []
    event = {"type": "user_change", "user": _user("UMOVER", bot.team_id, "Asia/Tokyo")}
    assert bot.post_event(event).status_code == 200
    _wait_for_tz(bot, "UMOVER", "Asia/Tokyo")
    with bot.sessions() as s:
        due = digest.run(s, MONDAY_TOKYO_10, th, dry_run=True, team_id=bot.team_id).for_recipients()
    assert [m.recipient for m in due] == ["UMOVER"]


def test_an_unknown_person_is_not_stored_and_a_deactivated_owner_is_not_due(bot: BotHarness) -> None:
    with bot.sessions.begin() as s:
        b = Builder(s, team=bot.team_id)
        b.account("Left Co", owner="ULEFT", revenue=9e6, profitability="high")
        b.user("ULEFT", tz="Asia/Tokyo")
        b.filler(5)
    assert (
        bot.post_event({"type": "user_change", "user": _user("USTRANGER", bot.team_id, "UTC")}).status_code
        == 200
    )
    gone = {"type": "user_change", "user": _user("ULEFT", bot.team_id, "Europe/Paris", deleted=True)}
    assert bot.post_event(gone).status_code == 200
    _wait_for_tz(bot, "ULEFT", "Europe/Paris")
    assert _stored_tz(bot, "USTRANGER") is None
    with bot.sessions() as s:
        assert s.scalar(select(SlackUser.membership).where(SlackUser.user_id == "ULEFT")) == "deactivated"
        monday_paris_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        assert digest.run(s, monday_paris_10, Thresholds(), dry_run=True, team_id=bot.team_id).messages == []
