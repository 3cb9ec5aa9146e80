"""Buttons, the Log-touch modal and App Home, end to end over HTTP against the loopback fake Slack."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import NOT_SAVED, SORRY
from bot.listeners.views import read_log_touch
from bot.render.modal import render_log_touch_modal
from storage.models import Account, Contact, Interaction, Snooze
from tests.bot.conftest import BotFactory, BotHarness
from tests.bot.seed import NOW, OWNER, STRANGER, action_ids, all_text, portfolio
from tests.fakes.slack_signing import input_date, input_select, input_text, view_submission_payload

pytestmark = pytest.mark.slow


def _ids(bot: BotHarness) -> tuple[int, int]:
    with bot.sessions.begin() as s:
        acme = s.scalar(select(Account.id).where(Account.name == "Acme Corp"))
        jane = s.scalar(select(Contact.id).where(Contact.name == "Jane Doe"))
        return acme, jane


def open_modal(bot: BotHarness, name: str = "Acme Corp") -> dict:
    resp = bot.post_action("log_touch", value=name, user_id=OWNER)
    assert resp.status_code == 200
    call = bot.fake_slack.wait_for("views.open")[-1]
    return call.params["view"]


def test_modal_flow(bot: BotHarness) -> None:
    view = open_modal(bot)
    assert view["callback_id"] == "log_touch_modal"
    assert [b.get("block_id") for b in view["blocks"]][1:] == [
        "kind",
        "contact",
        "contact_name",
        "date",
        "note",
    ]
    contact_options = next(b for b in view["blocks"] if b.get("block_id") == "contact")["element"]["options"]
    assert [o["text"]["text"] for o in contact_options] == ["Jane Doe (CFO)", "Bob Stone (Buyer)"]
    meta = view["private_metadata"]
    acme, jane = _ids(bot)
    assert json.loads(meta) == {"account_id": acme}

    # errors go back in the ack, shown next to the fields
    bad = bot.post_view_submission(
        "log_touch_modal",
        {
            "kind": {"kind": input_select(None)},
            "date": {"date": input_date("2026-12-25")},
            "contact_name": {"contact_name": input_text("Nobody")},
        },
        private_metadata=meta,
        user_id=OWNER,
    )
    errors = bot.ack_json(bad)
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"kind", "date"}
    unknown = bot.post_view_submission(
        "log_touch_modal",
        {
            "kind": {"kind": input_select("call")},
            "date": {"date": input_date("2026-11-20")},
            "contact_name": {"contact_name": input_text("Nobody")},
        },
        private_metadata=meta,
        user_id=OWNER,
    )
    assert "No contact by that name" in bot.ack_json(unknown)["errors"]["contact_name"]

    good = bot.post_view_submission(
        "log_touch_modal",
        {
            "kind": {"kind": input_select("video")},
            "contact": {"contact": input_select(str(jane))},
            "date": {"date": input_date("2026-11-20")},
            "note": {"note": input_text("QBR <b>prep</b>")},
        },
        private_metadata=meta,
        user_id=OWNER,
    )
    done = bot.ack_json(good)
    assert done["response_action"] == "update"
    assert "Logged a video with Jane Doe at *Acme Corp* on 2026-11-20" in all_text(done["view"])
    with bot.sessions.begin() as s:
        row = s.scalar(select(Interaction).where(Interaction.kind == "video"))
        assert (row.contact_id, row.colleague, row.note) == (jane, OWNER, "QBR <b>prep</b>")
        assert row.occurred_at.isoformat() == "2026-11-20T12:00:00+00:00"


def test_modal_cannot_write_into_another_workspace(bot: BotHarness) -> None:
    acme, _ = _ids(bot)
    resp = bot.post_view_submission(
        "log_touch_modal",
        {"kind": {"kind": input_select("call")}, "date": {"date": input_date("2026-11-20")}},
        private_metadata=json.dumps({"account_id": acme}),
        team_id="T0OTHERWS",
    )
    assert "not in your workspace" in bot.ack_json(resp)["errors"]["kind"]
    with bot.sessions.begin() as s:
        assert (
            s.scalar(
                select(Interaction).where(
                    Interaction.kind == "call", Interaction.occurred_at >= NOW - timedelta(days=5)
                )
            )
            is None
        )


def test_read_log_touch_rejects_forged_metadata() -> None:
    form, errors = read_log_touch({"private_metadata": "not json", "state": {"values": {}}}, NOW.date())
    assert form is None and "out of date" in errors["kind"]


def test_open_grade_and_snooze_buttons(bot: BotHarness) -> None:
    card = bot.followup(bot.post_action("open_grade", value="Globex")).params
    assert card["text"].startswith("Globex:") and "log_touch" in action_ids(card)
    snoozed = bot.followup(bot.post_action("snooze_week", value="Acme Corp", user_id=OWNER)).params
    assert "Snoozed *Acme Corp* until 2026-12-01" in all_text(snoozed)
    month = bot.followup(bot.post_action("snooze_month", value="Umbrella", user_id=OWNER)).params
    assert "until 2026-12-24" in all_text(month)
    refused = bot.followup(bot.post_action("snooze_week", value="Acme Corp", user_id=STRANGER)).params
    assert "Only its owner" in all_text(refused)
    with bot.sessions.begin() as s:
        assert len(s.scalars(select(Snooze)).all()) == 2


def test_buttons_with_superscript_numbers_are_out_of_date(bot: BotHarness) -> None:
    """A forged page or story number such as `²` passed isdigit() and crashed int(); now it is refused."""
    page = bot.followup(bot.post_action("list_page", value="key:\u00b2")).params
    assert "out of date" in all_text(page)
    vote = bot.followup(bot.post_action("news_not_relevant", value="\u00b2")).params
    assert "carries no story" in all_text(vote)


def test_share_in_channel_posts_publicly(bot: BotHarness) -> None:
    shared = bot.followup(bot.post_action("share_card", value="Acme Corp", user_id=STRANGER)).params
    assert shared["response_type"] == "in_channel"
    assert "Shared by <@U0OTHER01>" in all_text(shared)
    assert action_ids(shared) == []  # the public copy carries no buttons


def test_buttons_from_another_workspace_find_nothing(bot: BotHarness) -> None:
    for user in (
        bot.user_id,
        OWNER,
    ):  # full members of that other workspace (else they are refused as outsiders)
        bot.fake_slack.add_user(user, team_id="T0OTHERWS")
    reply = bot.followup(bot.post_action("open_grade", value="Acme Corp", team_id="T0OTHERWS")).params
    assert "No account named" in reply["text"]
    reply = bot.followup(
        bot.post_action("snooze_week", value="Acme Corp", team_id="T0OTHERWS", user_id=OWNER)
    ).params
    assert "No account named" in reply["text"]


def test_app_home(bot: BotHarness) -> None:
    resp = bot.open_home(user_id=OWNER)
    assert resp.status_code == 200
    view = bot.fake_slack.wait_for("views.publish")[-1].params["view"]
    text = all_text(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    for expected in (
        "This week's focus",
        "Acme Corp",
        "Single points of failure",
        "1 active decision maker",
        "Grade A",
        "Grade C",
        "Prospects",
        "overdue",
    ):
        assert expected in text, expected
    assert "Initech" not in text  # not the viewer's
    # snoozing from Home republishes it
    bot.post_action("snooze_week", value="Acme Corp", user_id=OWNER, view={"id": "V0HOME", "type": "home"})
    again = bot.fake_slack.wait_for("views.publish", count=2)[-1].params["view"]
    assert ":zzz: until 2026-12-01" in all_text(again)
    # a refused click in Home is explained in a modal instead of vanishing
    bot.post_action("snooze_week", value="Initech", user_id=OWNER, view={"id": "V0HOME", "type": "home"})
    refusal = bot.fake_slack.wait_for("views.open")[-1].params["view"]
    assert "Only its owner" in all_text(refusal)
    # Open grade from Home opens the card in a modal (there is no response_url there)
    bot.post_action("open_grade", value="Globex", user_id=OWNER, view={"id": "V0HOME", "type": "home"})
    modal = bot.fake_slack.wait_for("views.open", count=2)[-1].params["view"]
    assert modal["type"] == "modal" and "Globex" in all_text(modal)


def test_app_home_of_another_workspace_is_empty(bot: BotHarness) -> None:
    bot.fake_slack.add_user(OWNER, team_id="T0OTHERWS")  # a full member there
    bot.open_home(user_id=OWNER, team_id="T0OTHERWS")  # same user id, another workspace
    view = bot.fake_slack.wait_for("views.publish")[-1].params["view"]
    text = all_text(view)
    assert "You own no accounts yet" in text and "Acme Corp" not in text


def test_app_home_digest_overflow(bot: BotHarness) -> None:
    from tests.bot.seed import account

    with bot.sessions.begin() as s:
        for i in range(60):
            account(s, f"Many {i:02d}", team=bot.team_id, owner_user_id=OWNER, annual_revenue=100 + i)
    bot.open_home(user_id=OWNER)
    view = bot.fake_slack.wait_for("views.publish")[-1].params["view"]
    assert len(view["blocks"]) <= 100
    assert "more: `/account list c`" in all_text(view)


def test_home_of_other_tab_is_ignored(bot: BotHarness) -> None:
    event = {
        "type": "app_home_opened",
        "user": STRANGER,
        "channel": "D1",
        "tab": "messages",
        "event_ts": "1.0",
    }
    assert bot.post_event(event).status_code == 200
    bot.open_home(user_id=OWNER)
    bot.fake_slack.wait_for("views.publish", where=lambda c: c.params.get("user_id") == OWNER)
    with pytest.raises(AssertionError):  # the Messages tab never gets a Home view
        bot.fake_slack.wait_for(
            "views.publish", timeout=0.5, where=lambda c: c.params.get("user_id") == STRANGER
        )


def test_a_person_ahead_of_utc_logs_their_own_today(make_bot_server: BotFactory, db_url: str) -> None:
    """At 20:00 UTC it is already tomorrow in Tonga (UTC+13): that day is not "in the future", and the touch
    is stored as now. The day after it is today nowhere, so it is refused."""
    evening = NOW.replace(hour=20, minute=0)
    h = make_bot_server(db_url, clock=lambda: evening)
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
    meta = open_modal(h)["private_metadata"]
    tomorrow = (evening + timedelta(days=1)).date().isoformat()
    ok = h.post_view_submission(
        "log_touch_modal",
        {"kind": {"kind": input_select("visit")}, "date": {"date": input_date(tomorrow)}},
        private_metadata=meta,
        user_id=OWNER,
    )
    assert h.ack_json(ok)["response_action"] == "update"
    with h.sessions.begin() as s:
        assert s.scalar(select(Interaction.occurred_at).where(Interaction.kind == "visit")) == evening
    later = (evening + timedelta(days=2)).date().isoformat()
    refused = h.post_view_submission(
        "log_touch_modal",
        {"kind": {"kind": input_select("visit")}, "date": {"date": input_date(later)}},
        private_metadata=meta,
        user_id=OWNER,
    )
    assert "in the future" in h.ack_json(refused)["errors"]["date"]


# ----------------------------------------------------------------------------------------------------
# A modal submission that fails on our side must not close the modal as if it had been saved.
# Before: an exception while handling a view submission (the database refusing the write, say) was answered
# with an empty 200 - which Slack takes as "close the modal" - so the person believed the touch was logged.


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


def test_a_form_submitted_twice_saves_one_touch(make_bot_server: BotFactory, db_url: str) -> None:
    """Slack resends a submission whose ack it did not get (a reconnect, a timeout): the same view id saves once,
    although a touch logged for today is stamped with the time of each submission."""
    ticks = iter(range(10_000))
    h = make_bot_server(db_url, clock=lambda: NOW + timedelta(seconds=next(ticks)))
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
        before = s.scalar(select(func.count()).select_from(Interaction)) or 0
    meta = json.dumps({"account_id": _ids(h)[0]})
    values = {"kind": {"kind": input_select("call")}, "date": {"date": input_date(NOW.date().isoformat())}}
    for _ in range(2):
        resp = h.post_view_submission("log_touch_modal", values, private_metadata=meta, user_id=OWNER,
                                      view_id="V0SAMEFORM")  # fmt: skip
        assert h.ack_json(resp)["response_action"] == "update"
    other = h.post_view_submission("log_touch_modal", values, private_metadata=meta, user_id=OWNER,
                                   view_id="V0NEXTFORM")  # fmt: skip
    assert h.ack_json(other)["response_action"] == "update"
    with h.sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == before + 2


def test_admins_see_the_week_s_dead_letters_in_app_home_others_do_not(
    make_bot_server: BotFactory, db_url: str
) -> None:
    from storage.models import OutboxMessage
    from storage.queues.outbox import enqueue
    from tests.bot.seed import ADMIN

    h = make_bot_server(db_url, clock=lambda: NOW, admin_user_ids=ADMIN)
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
        for i in range(2):
            row = s.get(OutboxMessage, enqueue(s, team_id=h.team_id, recipient="C0GONE", kind="news_alert", facts={},
                                               period=f"p{i}", now=NOW - timedelta(days=1)))  # fmt: skip
            row.status, row.last_error, row.dead_at = "dead", "not_in_channel", NOW - timedelta(hours=20)
    for user in (ADMIN, OWNER):
        assert h.open_home(user_id=user).status_code == 200
    admin_home = h.fake_slack.wait_for("views.publish", where=lambda c: c.params["user_id"] == ADMIN)[0]
    owner_home = h.fake_slack.wait_for("views.publish", where=lambda c: c.params["user_id"] == OWNER)[0]
    assert "For admins: 2 message(s) could not be delivered" in all_text(admin_home.params)
    assert "invite the bot" in all_text(admin_home.params)
    assert "For admins" not in all_text(owner_home.params)
