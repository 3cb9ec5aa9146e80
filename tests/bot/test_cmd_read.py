"""/account read commands end to end: signed HTTP in, respond() out to the loopback fake Slack."""

from __future__ import annotations

import pytest

from tests.bot.conftest import BotHarness
from tests.bot.seed import OWNER, STRANGER, account, action_ids, all_text

pytestmark = pytest.mark.slow

OTHER = "T0OTHERWS"


@pytest.fixture
def bot(bot: BotHarness) -> BotHarness:
    """The seeded bot (tests/bot/conftest.py), plus accounts of another workspace."""
    with bot.sessions.begin() as s:
        account(s, "Secret Partner", team=OTHER, owner_user_id=STRANGER, annual_revenue=9e9)
        account(s, "Acme Holdings", team=OTHER, owner_user_id=STRANGER)
    return bot


def ask(bot: BotHarness, text: str, **kw: object) -> dict:
    resp = bot.post_command(text, **kw)
    assert resp.status_code == 200
    assert bot.ack_json(resp) is None  # an empty ack: the answer follows on the response_url
    call = bot.followup(resp)
    assert call.params["response_type"] == "ephemeral"
    return call.params


def test_grade_card(bot: BotHarness) -> None:
    card = ask(bot, "grade acme corp")
    text = all_text(card)
    assert card["text"].startswith("Acme Corp: key tier, grade A")
    for expected in (
        "Tier",
        "key",
        "Grade",
        "Quadrant",
        "Revenue",
        "$2.0M",
        "Wallet share",
        "40%",
        "Profitability",
        "margin 30%",
        "Strategic value",
        "Pain factor",
        "Why",
        "Next step",
        "Treatment",
        "call with Bob Stone, 20 days ago (2026-11-04)",
        "1 decision maker among 2 active contacts",
        "overdue by 6 days",
    ):
        assert expected in text, expected
    assert action_ids(card) == ["log_touch", "snooze_week", "snooze_month", "share_card"]


def test_plain_name_and_alias(bot: BotHarness) -> None:
    assert ask(bot, "Globex")["text"].startswith("Globex:")
    assert ask(bot, "acme inc")["text"].startswith("Acme Corp:")  # alias


def test_did_you_mean_stays_in_the_workspace(bot: BotHarness) -> None:
    miss = ask(bot, "grade Acme Crop")
    assert "Did you mean" in miss["text"] and "Acme Corp" in miss["text"]
    assert "Acme Holdings" not in all_text(miss)  # another workspace's account is never suggested
    assert action_ids(miss)[0] == "open_grade"
    nothing = ask(bot, "grade Secret Partner")
    assert "No account named" in nothing["text"] and "Did you mean" not in nothing["text"]


def test_another_workspace_sees_only_its_own(bot: BotHarness) -> None:
    bot.fake_slack.add_user(bot.user_id, team_id=OTHER)  # a full member of that workspace
    theirs = ask(bot, "list", team_id=OTHER)
    text = all_text(theirs)
    assert "Secret Partner" in text and "Acme Corp" not in text
    assert "No account named" in ask(bot, "grade Acme Corp", team_id=OTHER)["text"]
    suggested = ask(bot, "grade Acme Holdngs", team_id=OTHER)
    assert "Acme Holdings" in suggested["text"] and "Acme Corp" not in suggested["text"]


def test_ambiguous_alias_lists_candidates(bot: BotHarness) -> None:
    with bot.sessions.begin() as s:
        account(s, "Northwind East", team=bot.team_id, aliases=["Northwind"])
        account(s, "Northwind West", team=bot.team_id, aliases=["northwind"])
    reply = ask(bot, "grade northwind")
    assert "could mean 2 accounts" in reply["text"]
    assert action_ids(reply) == ["open_grade", "open_grade:1"]


def test_list_filters(bot: BotHarness) -> None:
    assert "Hooli" in all_text(ask(bot, "list prospects")) and "Globex" not in all_text(
        ask(bot, "list prospects")
    )
    mine = all_text(ask(bot, "list mine", user_id=STRANGER))
    assert "Initech" in mine and "Acme Corp" not in mine
    stale = ask(bot, "list stale")
    assert "overdue" in all_text(stale) and "Umbrella" not in all_text(stale)
    assert "not a list filter" in ask(bot, "list everything")["text"]


def test_list_paginates_past_twenty(bot: BotHarness) -> None:
    with bot.sessions.begin() as s:
        for i in range(30):
            account(s, f"Zeta {i:02d}", team=bot.team_id, annual_revenue=1000 + i)
    first = ask(bot, "list secondary")
    assert "page 1 of 2" in all_text(first)
    assert action_ids(first).count("open_grade") == 20
    assert "list_page" in action_ids(first)
    value = next(
        e["value"]
        for b in first["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == "list_page"
    )
    resp = bot.post_action("list_page", value=value)
    assert resp.status_code == 200
    second = bot.followup(resp).params
    assert second["replace_original"] is True
    assert "page 2 of 2" in all_text(second) and "list_page:prev" in action_ids(second)


def test_contacts_focus_help(bot: BotHarness) -> None:
    contacts = all_text(ask(bot, "contacts Acme Corp"))
    assert contacts.index("Jane Doe") < contacts.index("Bob Stone") and "decision maker" in contacts
    focus = ask(bot, "focus", user_id=OWNER)
    assert focus["text"] == "This week's focus: Acme Corp"
    assert "nothing pressing" in ask(bot, "focus", user_id=STRANGER)["blocks"][0]["text"]["text"]
    help_text = all_text(ask(bot, "help"))
    for sub in (
        "grade NAME",
        "list",
        "log NAME KIND",
        "contacts NAME",
        "contact add",
        "contact left",
        "set NAME FIELD VALUE",
        "snooze NAME",
        "focus",
        "feeds",
    ):
        assert sub in help_text, sub
    assert ask(bot, "")["blocks"] == ask(bot, "help")["blocks"]  # empty text shows help
