"""Review: a modal submission that fails on our side must not close the modal as if it had been saved.

Before: an exception while handling a view submission (the database refusing the write, say) was answered
with an empty 200 - which Slack takes as "close the modal" - so the person believed the touch was logged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.app import NOT_SAVED, SORRY
from bot.render.modal import render_log_touch_modal
from storage.models import Account, Interaction
from tests.bot.conftest import BotFactory, BotHarness
from tests.bot.seed import NOW, OWNER, all_text, portfolio
from tests.fakes.slack_signing import input_date, input_select, input_text, view_submission_payload

pytestmark = pytest.mark.slow


@pytest.fixture
def bot(make_bot_server: BotFactory) -> Iterator[BotHarness]:
    h = make_bot_server(clock=lambda: NOW)
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
    yield h


def _touches(bot: BotHarness) -> int:
    with bot.sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(Interaction)) or 0)


def test_failed_log_touch_submission_keeps_the_modal_open_with_an_apology(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    with bot.sessions.begin() as s:
        acme = s.scalar(select(Account.id).where(Account.name == "Acme Corp"))
    before = _touches(bot)

    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("database went away")

    monkeypatch.setattr("bot.listeners.views.log_touch_at", broken)
    resp = bot.post_view_submission(
        "log_touch_modal",
        {
            "kind": {"kind": input_select("call")},
            "date": {"date": input_date(NOW.date().isoformat())},
            "note": {"note": input_text("budget talk")},
        },
        private_metadata=json.dumps({"account_id": acme}),
        user_id=OWNER,
    )
    assert resp.status_code == 200
    ack = bot.ack_json(resp)
    assert ack is not None, "an empty ack closes the modal: the person would think the touch was logged"
    assert ack["response_action"] == "update"  # this payload carries no blocks: the apology replaces the form
    shown = all_text(ack["view"])
    assert "Sorry" in shown and "nothing was saved" in shown
    assert "RuntimeError" not in shown and "Traceback" not in shown
    assert _touches(bot) == before


def test_failed_submission_of_the_real_form_keeps_what_was_typed(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the form's blocks in the payload (as Slack sends them) the apology sits next to its first input."""
    with bot.sessions.begin() as s:
        acme = s.scalar(select(Account.id).where(Account.name == "Acme Corp"))
    form = render_log_touch_modal(acme, "Acme Corp", [], NOW.date()).to_dict()

    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("database went away")

    monkeypatch.setattr("bot.listeners.views.log_touch_at", broken)
    payload = view_submission_payload(
        "log_touch_modal",
        {"kind": {"kind": input_select("call")}, "date": {"date": input_date(NOW.date().isoformat())}},
        private_metadata=form["private_metadata"],
        team_id=bot.team_id,
        user_id=OWNER,
        blocks=form["blocks"],
    )
    ack = bot.ack_json(bot.client.post_payload(payload))
    assert ack == {"response_action": "errors", "errors": {"kind": NOT_SAVED}}


def test_failed_exclusion_submission_says_nothing_was_saved(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    with bot.sessions.begin() as s:
        acme = s.scalar(select(Account.id).where(Account.name == "Acme Corp"))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr("storage.mentions.account_brief", broken)
    resp = bot.post_view_submission(
        "news_exclusion",
        {"phrase": {"phrase": input_text("shell company")}},
        private_metadata=json.dumps({"account_id": acme, "mention_id": 1}),
        user_id=OWNER,
    )
    ack = bot.ack_json(resp)
    assert ack is not None and ack["response_action"] == "update"
    assert "nothing was saved" in all_text(ack["view"]) and SORRY not in all_text(ack["view"])
