"""Enterprise Grid over signed HTTP, with Grid's payload shapes (as bolt-python's own tests have them): a
member whose home is another workspace of the organisation uses the bot on every surface; the organisation's
admins are admins; a Slack Connect user of another organisation is still refused. SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.render.replies import NOT_FOR_YOU
from storage.models import Account, Interaction
from tests.bot.conftest import BotHarness
from tests.bot.seed import NOW, all_text
from tests.fakes.slack_signing import (
    app_home_opened_event,
    block_actions_payload,
    command_body,
    event_callback_body,
    input_date,
    input_select,
    view_submission_payload,
)

ORG, HOME = "E0ORG", "T0HOME"
MEMBER = "W0GRIDMEM"  # home workspace T0HOME, in the same organisation
ORG_ADMIN = "W0GRIDADM"  # an admin of the organisation (not of any one workspace)
PARTNER = "W0PARTNER"  # Slack Connect: another organisation
_keys = itertools.count(1)


@pytest.fixture
def bot(bot: BotHarness) -> BotHarness:
    fake = bot.fake_slack
    fake.add_user(MEMBER, team_id=HOME, enterprise_id=ORG, enterprise_teams=(HOME,))
    fake.add_user(ORG_ADMIN, team_id=HOME, enterprise_id=ORG, enterprise_teams=(HOME,), enterprise_admin=True)
    fake.add_user(PARTNER, team_id="T0ELSEWHERE", enterprise_id="E0OTHER", enterprise_teams=("T0ELSEWHERE",))
    return bot


def in_grid(payload: dict[str, Any], user_home: str = HOME) -> dict[str, Any]:
    """An interaction payload as Grid sends it: the user's own (home) team, the workspace's organisation."""
    payload["user"]["team_id"] = user_home
    payload["team"]["enterprise_id"] = ORG
    payload["team"]["enterprise_name"] = "Org"
    payload["enterprise"] = {"id": ORG, "name": "Org"}
    payload["is_enterprise_install"] = False
    return payload


def command(bot: BotHarness, text: str, user: str) -> str:
    key = f"{user}-{next(_keys)}"
    form = command_body(text, team_id=bot.team_id, user_id=user, enterprise_id=ORG,
                        response_url=bot.fake_slack.response_url(key))  # fmt: skip
    assert bot.client.post_form(form).status_code == 200
    reply = bot.fake_slack.wait_for("response", where=lambda c: c.path.endswith(f"/{key}"))[0]
    return all_text(reply.params)


def click(bot: BotHarness, user: str, key: str) -> str:
    url = bot.fake_slack.response_url(key)
    payload = block_actions_payload(
        "open_grade", "Acme Corp", team_id=bot.team_id, user_id=user, response_url=url
    )
    home = "T0ELSEWHERE" if user == PARTNER else HOME
    assert bot.client.post_payload(in_grid(payload, home)).status_code == 200
    return all_text(bot.fake_slack.wait_for("response", where=lambda c: c.path.endswith(f"/{key}"))[0].params)


def test_a_grid_member_from_another_workspace_of_the_org_uses_commands_and_buttons(bot: BotHarness) -> None:
    assert "Acme Corp" in command(bot, "grade Acme Corp", MEMBER)
    card = click(bot, MEMBER, "grid-click")
    assert "Acme Corp" in card and NOT_FOR_YOU not in card


def test_a_grid_member_saves_the_log_touch_form(bot: BotHarness) -> None:
    with bot.sessions.begin() as s:
        acme = s.scalar(select(Account.id).where(Account.name == "Acme Corp"))
        before = s.scalar(select(func.count()).select_from(Interaction))
    values = {"kind": {"kind": input_select("call")}, "date": {"date": input_date(NOW.date().isoformat())}}
    payload = view_submission_payload("log_touch_modal", values, private_metadata=json.dumps({"account_id": acme}),
                                      team_id=bot.team_id, user_id=MEMBER)  # fmt: skip
    resp = bot.client.post_payload(in_grid(payload))
    ack = bot.ack_json(resp)
    assert ack is not None and ack["response_action"] == "update", resp.text
    with bot.sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == (before or 0) + 1


def test_a_grid_member_opens_app_home(bot: BotHarness) -> None:
    body = event_callback_body(app_home_opened_event(MEMBER), team_id=bot.team_id)
    body["enterprise_id"] = ORG
    body["authorizations"][0]["enterprise_id"] = ORG
    assert bot.client.post_json(body).status_code == 200
    home = bot.fake_slack.wait_for("views.publish", where=lambda c: c.params["user_id"] == MEMBER)[0]
    assert NOT_FOR_YOU not in all_text(home.params)


def test_the_organisation_s_admins_are_admins_here(bot: BotHarness) -> None:
    assert "changed" in command(bot, "set Acme Corp pain_factor high", ORG_ADMIN)
    assert "Only its owner" in command(bot, "set Acme Corp pain_factor low", MEMBER)


def test_a_slack_connect_user_of_another_organisation_is_still_refused(bot: BotHarness) -> None:
    assert NOT_FOR_YOU in click(bot, PARTNER, "partner-click")
    assert NOT_FOR_YOU in command(bot, "grade Acme Corp", PARTNER)


def test_an_org_wide_install_serves_the_organisation_s_members(bot: BotHarness) -> None:
    """An org-wide (is_enterprise_install) app: the payload cannot vouch for anyone, users.info decides."""
    url = bot.fake_slack.response_url("org-wide")
    payload = block_actions_payload(
        "open_grade", "Acme Corp", team_id=bot.team_id, user_id=MEMBER, response_url=url
    )
    payload = in_grid(payload)
    payload["is_enterprise_install"] = True
    assert bot.client.post_payload(payload).status_code == 200
    card = all_text(
        bot.fake_slack.wait_for("response", where=lambda c: c.path.endswith("/org-wide"))[0].params
    )
    assert "Acme Corp" in card and NOT_FOR_YOU not in card
