"""@mentions and DMs over signed HTTP, on SQLite and PostgreSQL: the /account commands from the same registry,
answered in a thread; other messages left alone; guests refused."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.bot.conftest import BotHarness
from tests.bot.seed import OWNER, all_text

_ts = itertools.count(1)


def message(text: str, *, kind: str = "app_mention", user: str = OWNER, **extra: Any) -> dict[str, Any]:
    event = {
        "type": kind,
        "user": user,
        "text": text,
        "ts": f"{int(time.time())}.{next(_ts):06d}",
        "channel": "C0SALES" if kind == "app_mention" else "D0OWNER01",
        "event_ts": f"{time.time():.6f}",
    }
    if kind == "message":
        event["channel_type"] = "im"
    event.update(extra)
    return event


def answered(bot: BotHarness, event: dict[str, Any]) -> dict[str, Any]:
    assert bot.post_event(event).status_code == 200
    call = bot.fake_slack.wait_for(
        "chat.postMessage", where=lambda c: c.params.get("thread_ts") == event["ts"]
    )
    return call[0].params


def test_a_mention_is_answered_in_its_thread(bot: BotHarness) -> None:
    event = message("<@UBOTFAKE> grade Acme Corp")
    reply = answered(bot, event)
    assert reply["channel"] == "C0SALES" and "Acme Corp" in all_text(reply)


def test_a_dm_asks_without_a_mention_and_may_type_the_slash_command(bot: BotHarness) -> None:
    assert "/account" in all_text(answered(bot, message("help", kind="message")))
    assert "Acme Corp" in all_text(answered(bot, message("/account grade Acme Corp", kind="message")))


def test_edits_bots_and_channel_chatter_get_no_answer(bot: BotHarness) -> None:
    for event in (
        message("help", kind="message", subtype="message_changed"),
        message("help", kind="message", bot_id="B0OTHER"),
        message("help", kind="message", channel_type="channel", channel="C0SALES"),
    ):
        assert bot.post_event(event).status_code == 200
    probe = message("help", kind="message")  # answered: the ones before it were not
    answered(bot, probe)
    assert [c.params["thread_ts"] for c in bot.fake_slack.calls_to("chat.postMessage")] == [probe["ts"]]


def test_a_guest_is_refused_in_the_thread(bot: BotHarness) -> None:
    bot.fake_slack.add_user("U0GUEST01", is_restricted=True)
    reply = answered(bot, message("<@UBOTFAKE> grade Acme Corp", user="U0GUEST01"))
    assert reply["text"].startswith("accountbot is for members of this workspace")
    assert "Acme" not in reply["text"]
