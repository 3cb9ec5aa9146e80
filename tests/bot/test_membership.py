"""bot.membership: how a users.info answer classifies a user for a workspace (pure, no I/O)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.membership import BOT, GUEST, MEMBER, OUTSIDER, admin_of, membership_of
from bot.permissions import is_admin
from bot.render.replies import NOT_FOR_YOU, UNCHECKED
from storage.db import ensure_workspace
from storage.models import Account, AccountChange, Interaction, SlackUser, Snooze
from tests.bot.conftest import BotFactory, BotHarness
from tests.bot.seed import NOW, OWNER, STRANGER, account, all_text, portfolio
from tests.fakes.slack_signing import block_actions_payload, input_date, input_select

TEAM = "T0HOME"


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ({"id": "U1", "team_id": TEAM}, MEMBER),
        ({"id": "U1"}, MEMBER),  # no team in the answer says nothing against it
        ({"id": "U1", "team_id": TEAM, "is_restricted": True}, GUEST),
        ({"id": "U1", "team_id": TEAM, "is_restricted": True, "is_ultra_restricted": True}, GUEST),
        ({"id": "U1", "team_id": TEAM, "is_ultra_restricted": True}, GUEST),
        ({"id": "U1", "team_id": "T0PARTNER"}, OUTSIDER),
        ({"id": "U1", "team_id": "T0PARTNER", "is_restricted": True}, OUTSIDER),
        ({"id": "U1", "team_id": TEAM, "is_stranger": True}, OUTSIDER),
        ({"id": "W1", "team_id": "T0SIBLING", "enterprise_user": {"teams": ["T0SIBLING", TEAM]}}, MEMBER),
        ({"id": "W1", "team_id": "T0SIBLING", "enterprise_user": {"teams": ["T0SIBLING"]}}, OUTSIDER),
        ({"id": "U1", "team_id": TEAM, "is_bot": True}, BOT),
        ({"id": "USLACKBOT", "team_id": TEAM}, BOT),
    ],
)
def test_membership_of(user: dict[str, Any], expected: str) -> None:
    assert membership_of(user, TEAM) == expected


def test_admin_only_for_full_members_of_their_home_workspace() -> None:
    assert admin_of({"id": "U1", "team_id": TEAM, "is_admin": True}, TEAM)
    assert admin_of({"id": "U1", "team_id": TEAM, "is_primary_owner": True}, TEAM)
    assert not admin_of({"id": "U1", "team_id": "T0PARTNER", "is_admin": True}, TEAM)
    assert not admin_of({"id": "U1", "team_id": TEAM, "is_owner": True, "is_restricted": True}, TEAM)
    assert not admin_of(
        {"id": "W1", "team_id": "T0SIBLING", "is_admin": True, "enterprise_user": {"teams": [TEAM]}}, TEAM
    )


# ----------------------------------------------------------------------------------------------------
# Workspace data is for the workspace's own full members; admin rights are never assumed.
# - Guests (multi- and single-channel), users of another organisation reaching us through Slack Connect and
#   bots get one polite refusal and nothing else, from `/account`, App Home, buttons and modal submissions.
# - A stale cached admin flag is not trusted while users.info fails (the refusal says the check failed).
# - ADMIN_USER_IDS grants admin only in SLACK_TEAM_ID's workspace when that is set.
#
# All over real HTTP: signed requests into the bot, answers to the loopback fake Slack; SQLite and PostgreSQL.

GUEST_USER = "U0GUEST01"
SINGLE = "U0GUEST02"
PARTNER = "U0PARTNER"  # a Slack Connect user whose home is another organisation's workspace
ROBOT = "U0ROBOT01"
ADMIN = "U0ADMIN01"
OTHER = "T0OTHERWS"
NAMES = ("Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Jane Doe")


@pytest.fixture
def bot(bot: BotHarness) -> BotHarness:
    """The seeded bot (tests/bot/conftest.py), with guests, a Slack Connect user and a bot user in Slack."""
    bot.fake_slack.add_user(GUEST_USER, is_restricted=True)
    bot.fake_slack.add_user(SINGLE, is_ultra_restricted=True)
    bot.fake_slack.add_user(PARTNER, team_id="T0PARTNER", is_admin=True)
    bot.fake_slack.add_user(ROBOT, is_bot=True)
    return bot


def ask(bot: BotHarness, text: str, **kw: Any) -> dict[str, Any]:
    resp = bot.post_command(text, **kw)
    assert resp.status_code == 200 and bot.ack_json(resp) is None  # the ack stays an empty 200
    return bot.followup(resp).params  # type: ignore[no-any-return]


def assert_refused(text: str, expected: str = NOT_FOR_YOU) -> None:
    assert expected in text
    leaked = [n for n in NAMES if n.casefold() in text.casefold()]
    assert not leaked, f"account data leaked to a non-member: {leaked}"
    assert "Traceback" not in text and "Error" not in text


def audit(bot: BotHarness) -> list[Any]:
    with bot.sessions() as s:
        return list(s.scalars(select(AccountChange)).all())


@pytest.mark.slow
@pytest.mark.parametrize("user", [GUEST_USER, SINGLE, PARTNER, ROBOT])
def test_non_members_get_the_refusal_and_no_data(bot: BotHarness, user: str) -> None:
    for text in ("grade Acme", "grade Acme Corp", "list", "contacts Acme Corp", "focus", "feeds", "help"):
        reply = ask(bot, text, user_id=user)
        assert_refused(all_text(reply))
        assert reply["response_type"] == "ephemeral"
        assert reply["text"] == NOT_FOR_YOU
    # writes are refused too, and leave nothing behind
    assert_refused(all_text(ask(bot, "log Acme Corp call", user_id=user)))
    assert_refused(all_text(ask(bot, 'contact add Acme Corp "Eve Intruder"', user_id=user)))
    with bot.sessions() as s:
        assert s.scalars(select(Interaction).where(Interaction.created_by == user)).all() == []
    assert audit(bot) == []


@pytest.mark.slow
def test_a_member_still_gets_the_card(bot: BotHarness) -> None:
    card = all_text(ask(bot, "grade Acme", user_id=STRANGER))
    assert "Acme Corp" in card and NOT_FOR_YOU not in card
    assert "Globex" in all_text(ask(bot, "list", user_id=STRANGER))


@pytest.mark.slow
def test_the_guest_fact_is_remembered_and_users_info_asked_once(bot: BotHarness) -> None:
    assert_refused(all_text(ask(bot, "grade Acme Corp", user_id=GUEST_USER)))
    assert_refused(all_text(ask(bot, "list", user_id=GUEST_USER)))
    asked = [c for c in bot.fake_slack.calls_to("users.info") if c.params.get("user") == GUEST_USER]
    assert len(asked) == 1  # the second request was decided by slack_users
    with bot.sessions() as s:
        row = s.scalar(select(SlackUser).where(SlackUser.user_id == GUEST_USER))
        assert row is not None and row.membership == "guest" and row.is_admin is False


@pytest.mark.slow
def test_slack_connect_user_named_by_the_payload_is_refused_without_a_web_api_call(bot: BotHarness) -> None:
    payload = block_actions_payload(
        "open_grade",
        "Acme Corp",
        team_id=bot.team_id,
        user_id="U0CONNECT",
        response_url=bot.fake_slack.response_url("connect"),
    )
    payload["user"]["team_id"] = "T0PARTNER"  # Slack says: this user belongs to another team
    assert bot.client.post_payload(payload).status_code == 200
    reply = bot.fake_slack.wait_for("response", where=lambda c: c.path.endswith("/connect"))[0].params
    assert_refused(all_text(reply))
    assert [c for c in bot.fake_slack.calls_to("users.info") if c.params.get("user") == "U0CONNECT"] == []


@pytest.mark.slow
@pytest.mark.parametrize("user", [GUEST_USER, PARTNER])
def test_app_home_of_a_non_member_is_the_refusal_only(bot: BotHarness, user: str) -> None:
    assert bot.open_home(user_id=user).status_code == 200
    call = bot.fake_slack.wait_for("views.publish")[-1]
    assert call.params["user_id"] == user
    view = call.params["view"]
    assert view["type"] == "home"
    assert_refused(all_text(view))


@pytest.mark.slow
def test_app_home_of_a_member_is_unchanged(bot: BotHarness) -> None:
    bot.open_home(user_id=OWNER)
    text = all_text(bot.fake_slack.wait_for("views.publish")[-1].params["view"])
    assert "Acme Corp" in text and NOT_FOR_YOU not in text


@pytest.mark.slow
@pytest.mark.parametrize("action", ["open_grade", "share_card", "snooze_week", "log_touch"])
def test_button_click_by_a_guest_is_refused(bot: BotHarness, action: str) -> None:
    reply = bot.followup(bot.post_action(action, value="Acme Corp", user_id=GUEST_USER)).params
    assert_refused(all_text(reply))
    assert reply.get("response_type") != "in_channel"
    assert bot.fake_slack.calls_to("views.open") == []  # no Log-touch form, no card modal
    with bot.sessions() as s:
        assert s.scalars(select(Snooze)).all() == []


@pytest.mark.slow
def test_list_page_click_by_an_outsider_is_refused(bot: BotHarness) -> None:
    reply = bot.followup(bot.post_action("list_page", value="all:1", user_id=PARTNER)).params
    assert_refused(all_text(reply))


@pytest.mark.slow
def test_button_click_inside_app_home_by_a_guest(bot: BotHarness) -> None:
    bot.post_action(
        "open_grade", value="Acme Corp", user_id=GUEST_USER, view={"id": "V0HOME", "type": "home"}
    )
    home = bot.fake_slack.wait_for("views.publish")[-1].params
    assert home["user_id"] == GUEST_USER
    assert_refused(all_text(home["view"]))
    shown = bot.fake_slack.wait_for("views.open")[-1].params["view"]  # the click gets an answer, not a card
    assert_refused(all_text(shown))


@pytest.mark.slow
def test_modal_submission_by_a_known_guest_is_refused_in_the_ack(bot: BotHarness) -> None:
    ask(bot, "grade Acme Corp", user_id=GUEST_USER)  # the guest is now known as one
    with bot.sessions() as s:
        acme = s.scalar(select(Account.id).where(Account.name == "Acme Corp"))
    resp = bot.post_view_submission(
        "log_touch_modal",
        {"kind": {"kind": input_select("call")}, "date": {"date": input_date(NOW.date().isoformat())}},
        private_metadata=f'{{"account_id": {acme}}}',
        user_id=GUEST_USER,
    )
    ack = bot.ack_json(resp)
    assert ack is not None and ack["response_action"] == "errors"
    assert NOT_FOR_YOU in str(ack["errors"])
    with bot.sessions() as s:
        assert s.scalars(select(Interaction).where(Interaction.created_by == GUEST_USER)).all() == []


def _stale_admin(bot: BotHarness, user: str) -> None:
    with bot.sessions.begin() as s:
        ensure_workspace(s, bot.team_id)
        s.add(
            SlackUser(
                team_id=bot.team_id,
                user_id=user,
                is_admin=True,
                membership="member",
                refreshed_at=NOW - timedelta(days=3),
            )
        )


@pytest.mark.slow
@pytest.mark.parametrize(
    "failure", [{"status": 500}, {"error": "internal_error"}], ids=["http500", "ok_false"]
)
def test_stale_admin_flag_is_not_trusted_while_users_info_fails(
    bot: BotHarness, failure: dict[str, Any]
) -> None:
    _stale_admin(bot, ADMIN)
    bot.fake_slack.fail_next("users.info", times=20, **failure)
    reply = all_text(ask(bot, "set Acme Corp pain_factor high", user_id=ADMIN))
    assert "couldn't check whether you are a workspace admin" in reply
    assert "changed" not in reply
    assert audit(bot) == []
    reply = all_text(ask(bot, "feeds add https://example.com/all.rss", user_id=ADMIN))
    assert "couldn't check whether you are a workspace admin" in reply
    # reading still works: the (stale) cached membership says member
    assert "Acme Corp" in all_text(ask(bot, "grade Acme Corp", user_id=ADMIN))
    assert not is_admin(bot.ctx, bot.app.client, bot.team_id, ADMIN)


@pytest.mark.slow
def test_stale_admin_flag_is_refreshed_when_users_info_answers(bot: BotHarness) -> None:
    _stale_admin(bot, ADMIN)  # users.info answers: a plain member now
    reply = all_text(ask(bot, "set Acme Corp pain_factor high", user_id=ADMIN))
    assert "Only its owner" in reply and "couldn't check" not in reply


@pytest.mark.slow
def test_unknown_user_while_users_info_fails(bot: BotHarness) -> None:
    bot.fake_slack.fail_next("users.info", error="internal_error", times=20)
    # a slash command says nothing against the user: let through (documented)
    assert "Acme Corp" in all_text(ask(bot, "grade Acme Corp", user_id="U0NEWBIE"))
    # an org-wide (Enterprise Grid) install: the payload cannot vouch for the user's workspace
    payload = block_actions_payload(
        "open_grade",
        "Acme Corp",
        team_id=bot.team_id,
        user_id="U0NEWBIE2",
        response_url=bot.fake_slack.response_url("grid"),
    )
    payload["is_enterprise_install"] = True
    bot.client.post_payload(payload)
    reply = bot.fake_slack.wait_for("response", where=lambda c: c.path.endswith("/grid"))[0].params
    assert_refused(all_text(reply), UNCHECKED)


def _two_workspaces(h: BotHarness) -> None:
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
        account(s, "Other Co", team=OTHER, owner_user_id=STRANGER)
    h.fake_slack.add_user(ADMIN)  # a plain member in Slack's eyes


@pytest.mark.slow
def test_admin_user_ids_only_in_slack_team_id_workspace(make_bot_server: BotFactory, db_url: str) -> None:
    h = make_bot_server(db_url, clock=lambda: NOW, admin_user_ids=ADMIN, slack_team_id="T0FAKE")
    _two_workspaces(h)
    assert "changed" in all_text(ask(h, "set Initech pain_factor low", user_id=ADMIN))
    assert is_admin(h.ctx, None, "T0FAKE", ADMIN)
    # in another workspace ADMIN_USER_IDS means nothing: users.info decides (a member of OTHER, not an admin)
    h.fake_slack.add_user(ADMIN, team_id=OTHER)
    reply = all_text(ask(h, "set Other Co pain_factor low", user_id=ADMIN, team_id=OTHER))
    assert "Only its owner" in reply and "changed" not in reply
    assert not is_admin(h.ctx, None, OTHER, ADMIN)


@pytest.mark.slow
def test_admin_user_ids_everywhere_without_slack_team_id(make_bot_server: BotFactory, db_url: str) -> None:
    h = make_bot_server(db_url, clock=lambda: NOW, admin_user_ids=ADMIN)
    _two_workspaces(h)
    assert "changed" in all_text(ask(h, "set Initech pain_factor low", user_id=ADMIN))
    assert "changed" in all_text(ask(h, "set Other Co pain_factor low", user_id=ADMIN, team_id=OTHER))
