"""Hostile input and Slack failures, end to end: a helpful answer every time, never a trace, and the bot
keeps serving."""

from __future__ import annotations

import re

import pytest

from tests.bot.conftest import BotHarness
from tests.bot.seed import OWNER, STRANGER, all_text

pytestmark = pytest.mark.slow

HOSTILE = [
    ("", "/account"),
    ("frobnicate the widgets", "No account named"),
    ("lst stale", "`lst` is not a command, and no account is named lst stale. Did you mean `list`?"),
    ("x" * 4500, "limit is 4,000"),
    ("grade Acme\x00Corp", "control character"),
    ("grade Acme\x1b[2J", "control character"),
    ('contact add Acme Corp "Jane', "never closed"),
    ("<!channel> <!here>", "No account named"),
    ("grade <@U0OWNER01|boss> *bold* _it_ <https://evil.example|click me>", "No account named"),
    ("grade javascript:alert(1)", "No account named"),
    ("grade '; DROP TABLE accounts; --", "No account named"),
    ('grade " OR 1=1 --"', "No account named"),
    ("grade " + "&amp;" * 199, "No account named"),
    ("grade \u202eevil\u202c \u200b\U0001f600", "No account named"),
    ("set Acme Corp wallet_share 1e309", "digits 0-9"),
    ("list " + "9" * 50, "page"),
    ("snooze Acme Corp until 9999-99-99", "not a date"),
    ("log Acme Corp meeting -- " + "n" * 3001, "notes have at most 3,000"),
]

MENTION = re.compile(r"<[@!#][^>]*>")


def _still_serving(bot: BotHarness) -> None:
    resp = bot.post_command("grade Acme Corp")
    assert bot.followup(resp).params["text"].startswith("Acme Corp:")


@pytest.mark.parametrize(("text", "expected"), HOSTILE, ids=[f"h{i}" for i in range(len(HOSTILE))])
def test_hostile_text_gets_a_helpful_answer(bot: BotHarness, text: str, expected: str) -> None:
    resp = bot.post_command(text, user_id=OWNER)
    assert resp.status_code == 200 and bot.ack_json(resp) is None
    reply = bot.followup(resp).params
    body = all_text(reply)
    assert expected in body
    assert "Traceback" not in body and "Error" not in body
    # user text never turns into a live mention, broadcast or link: only our own <@U...> mentions remain
    assert MENTION.findall(body) == []
    assert "<https://evil" not in body and "<!channel>" not in body
    assert len(reply["blocks"]) <= 50
    _still_serving(bot)


def test_response_url_5xx_is_retried(bot: BotHarness) -> None:
    bot.fake_slack.fail_next("response", status=500)
    resp = bot.post_command("grade Acme Corp")
    calls = bot.fake_slack.wait_for("response", count=2)
    assert [c.status for c in calls] == [500, 200]
    assert bot.followup(resp, count=2).params["text"].startswith("Acme Corp:")


def test_response_url_429_waits_and_retries(bot: BotHarness) -> None:
    bot.fake_slack.fail_next("response", status=429, retry_after=1)
    bot.post_command("grade Acme Corp")
    calls = bot.fake_slack.wait_for("response", count=2, timeout=8)
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 0.9  # Retry-After honoured


def test_response_url_keeps_failing_then_apology(bot: BotHarness) -> None:
    bot.fake_slack.fail_next("response", status=503, times=10)
    bot.post_command("grade Acme Corp")
    apology = bot.fake_slack.wait_for("chat.postEphemeral", timeout=10)[0].params
    assert apology["user"] == "U0ALICE" and apology["channel"] == "C0GENERAL"
    assert "Slack did not accept the answer" in apology["text"]


def test_views_open_refused_tells_the_user(bot: BotHarness) -> None:
    bot.fake_slack.fail_next("views.open", error="expired_trigger_id")
    resp = bot.post_action("log_touch", value="Acme Corp")
    reply = bot.followup(resp).params
    assert "Slack did not accept the Log touch form" in reply["text"]
    # the next click works
    bot.post_action("log_touch", value="Acme Corp")
    assert len(bot.fake_slack.wait_for("views.open", count=2)) == 2


def test_views_publish_500_is_retried(bot: BotHarness) -> None:
    bot.fake_slack.fail_next("views.publish", status=500)
    bot.open_home(user_id=OWNER)
    calls = bot.fake_slack.wait_for("views.publish", count=2)
    assert [c.status for c in calls] == [500, 200]


def test_users_info_failure_means_no_admin_rights(bot: BotHarness) -> None:
    bot.fake_slack.fail_next("users.info", error="fatal_error", times=5)
    reply = bot.followup(bot.post_command("set Acme Corp pain_factor high", user_id=STRANGER)).params
    assert "Only its owner" in all_text(reply)
    assert "couldn't check whether you are a workspace admin" in all_text(reply)  # not "you are not an admin"
    _still_serving(bot)


def test_internal_failure_is_apologised_and_logged(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.commands import grade

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database fell over")

    monkeypatch.setattr(grade, "account_card", broken)
    reply = bot.followup(bot.post_command("grade Acme Corp")).params
    assert "Something went wrong on our side" in reply["text"] and "database fell over" not in all_text(reply)
    assert any("command_failed" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    _still_serving(bot)


def test_share_refused_by_slack_gets_an_apology(bot: BotHarness) -> None:
    bot.fake_slack.fail_next("response", error="channel_not_found", status=404, times=5)
    bot.post_action("share_card", value="Acme Corp")
    apology = bot.fake_slack.wait_for("chat.postEphemeral", timeout=10)[0].params
    assert "Slack did not accept the shared card" in apology["text"]


def test_commands_are_logged_without_their_text(bot: BotHarness, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="accountbot.commands")
    bot.followup(bot.post_command("grade Acme Corp"))
    bot.fake_slack.wait_for("response")
    for _ in range(50):
        lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("command_answered")]
        if lines:
            break
        import time

        time.sleep(0.05)
    assert lines and "sub=grade" in lines[0] and "team=T0FAKE" in lines[0] and "delivered=True" in lines[0]
    assert "Acme" not in lines[0]
