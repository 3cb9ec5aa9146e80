"""OAuth v2 for many workspaces, end to end over real HTTP against the fake Slack's oauth.v2.access, on SQLite
and PostgreSQL: two workspaces install; each is answered with its own token; tokens are ciphertext at rest;
a forged or reused state installs nothing; a member of one workspace cannot reach the other's accounts."""

from __future__ import annotations

import re

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from storage.models import SLACK_BOTS
from tests.bot.conftest import BotFactory, BotHarness
from tests.bot.seed import NOW, account
from tests.fakes.slack_signing import app_home_opened_event, command_body

TEAMS = ("T0ONE", "T0TWO")
MEMBERS = {"T0ONE": "U0ONEMEMBER", "T0TWO": "U0TWOMEMBER"}


@pytest.fixture
def multi(make_bot_server: BotFactory, db_url: str) -> BotHarness:
    h = make_bot_server(db_url, clock=lambda: NOW, slack_bot_token=None, slack_client_id="111.222",
                        slack_client_secret="oauth-client-secret", token_encryption_keys=Fernet.generate_key().decode())  # fmt: skip
    for team in TEAMS:
        h.fake_slack.add_user(MEMBERS[team], team_id=team)
    return h


def start(web: httpx.Client) -> tuple[str, dict[str, str]]:
    """The install page: the state in its Add-to-Slack link, and the browser cookie it set (Secure, so a
    browser sends it over HTTPS only; here it is sent by hand)."""
    page = web.get("/slack/install")
    assert page.status_code == 200, page.text
    state = re.search(r"state=([^&\"']+)", page.text)
    assert state and "client_id=111.222" in page.text
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    return state.group(1), {"Cookie": cookie}


def install(h: BotHarness, web: httpx.Client, team: str) -> httpx.Response:
    state, cookie = start(web)
    return web.get("/slack/oauth_redirect", params={"code": f"code-{team}", "state": state}, headers=cookie)


def token_of(h: BotHarness, team: str) -> str:
    return next(t for t, owner in h.fake_slack.installed.items() if owner == team)


def test_two_workspaces_install_and_each_is_answered_with_its_own_token(multi: BotHarness) -> None:
    with httpx.Client(base_url=multi.url) as web:
        for team in TEAMS:
            done = install(multi, web, team)
            assert done.status_code == 200, done.text
    with multi.engine.connect() as conn:
        stored = dict(conn.execute(select(SLACK_BOTS.c.team_id, SLACK_BOTS.c.bot_token)).all())
    assert set(stored) == set(TEAMS)
    assert all(token_of(multi, team) not in stored[team] for team in TEAMS)  # ciphertext at rest
    for team in TEAMS:
        user = MEMBERS[team]
        assert multi.post_event(app_home_opened_event(user), team_id=team).status_code == 200
        published = multi.fake_slack.wait_for(
            "views.publish", where=lambda c, u=user: c.params["user_id"] == u
        )
        assert published[0].token == token_of(multi, team)


def test_a_forged_or_reused_state_installs_nothing(multi: BotHarness) -> None:
    def back(code: str, state: str, headers: dict[str, str] | None = None) -> int:
        return web.get(
            "/slack/oauth_redirect", params={"code": code, "state": state}, headers=headers
        ).status_code

    with httpx.Client(base_url=multi.url) as web:
        state, cookie = start(web)
        assert back("code-T0ONE", "forged", cookie) >= 400
        assert back("code-T0ONE", state) >= 400  # not the browser that started the install
        state, cookie = start(web)
        assert back("code-T0ONE", state, cookie) == 200
        assert back("code-T0TWO", state, cookie) >= 400  # a state works once
    with multi.engine.connect() as conn:
        assert conn.execute(select(SLACK_BOTS.c.team_id)).scalars().all() == ["T0ONE"]


def test_a_member_of_one_workspace_cannot_reach_the_others_accounts(multi: BotHarness) -> None:
    with httpx.Client(base_url=multi.url) as web:
        for team in TEAMS:
            assert install(multi, web, team).status_code == 200
    with multi.sessions.begin() as s:
        account(s, "Acme Corp", team="T0ONE")
    form = command_body("grade Acme Corp", team_id="T0TWO", user_id="U0TWOMEMBER",
                        response_url=multi.fake_slack.response_url("two"))  # fmt: skip
    assert multi.client.post_form(form).status_code == 200
    answer = multi.fake_slack.wait_for("response", where=lambda c: c.path.endswith("/two"))[0]
    assert "No account named" in str(answer.params) and "Did you mean" not in str(
        answer.params
    )  # not suggested
    write = command_body("log Acme Corp call", team_id="T0TWO", user_id="U0TWOMEMBER",
                         response_url=multi.fake_slack.response_url("two-write"))  # fmt: skip
    assert multi.client.post_form(write).status_code == 200
    answer = multi.fake_slack.wait_for("response", where=lambda c: c.path.endswith("/two-write"))[0]
    assert "No account named" in str(answer.params)  # nor changed


def test_each_workspace_s_nudges_go_with_its_own_token_and_an_uninstall_stops_them(multi: BotHarness) -> None:
    import time

    from bot.installations import installation_store
    from bot.relay import RelayPool
    from jobs.runner import team_ids
    from storage import holds
    from storage.db import ensure_workspace
    from storage.queues import outbox
    from tests.fakes.slack_signing import event_callback_body

    with httpx.Client(base_url=multi.url) as web:
        for team in TEAMS:
            assert install(multi, web, team).status_code == 200
    facts = {"account": "Acme", "old_tier": "secondary", "new_tier": "key", "old_grade": "B", "new_grade": "A",
             "reasons": ["revenue grew"]}  # fmt: skip
    with multi.sessions.begin() as s:
        for team in TEAMS:
            ensure_workspace(s, team)
            outbox.enqueue(s, team_id=team, recipient=MEMBERS[team], kind="tier_change", facts=facts, period="p1",
                           now=NOW)  # fmt: skip
    store = installation_store(multi.ctx.settings, multi.engine)
    pool = RelayPool(multi.sessions, multi.ctx.settings, store, every=3600).start()
    try:
        for team in TEAMS:
            multi.fake_slack.wait_for("chat.postMessage", timeout=15,
                                      where=lambda c, t=team: c.ok and c.token == token_of(multi, t))  # fmt: skip
        removed = event_callback_body({"type": "app_uninstalled"}, team_id="T0ONE")
        assert multi.client.post_json(removed).status_code == 200
        deadline = time.monotonic() + 10
        while store.find_bot(enterprise_id=None, team_id="T0ONE") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.find_bot(enterprise_id=None, team_id="T0ONE") is None
        assert store.find_bot(enterprise_id=None, team_id="T0TWO") is not None
        pool.sync()
        assert set(pool.relays) == {"T0TWO"}
        with multi.sessions() as s:
            on_hold = holds.held(s, team_id="T0ONE")
            assert on_hold is not None and "accountbot workspace purge T0ONE" in on_hold.reason
            assert "T0ONE" not in team_ids(s, None) and "T0TWO" in team_ids(s, None)  # its jobs pause
    finally:
        pool.stop()


def test_a_rotating_token_is_renewed_before_it_expires_and_stored_encrypted(multi: BotHarness) -> None:
    from datetime import UTC, datetime, timedelta

    from slack_sdk.oauth.installation_store import Bot

    from bot.installations import installation_store
    from bot.relay import RelayPool

    multi.fake_slack.installed["xoxe.xoxb-T0ONE-old"] = "T0ONE"
    multi.fake_slack.refresh_tokens["xoxe-1-T0ONE-refresh"] = "T0ONE"
    store = installation_store(multi.ctx.settings, multi.engine)
    soon = datetime.now(UTC) + timedelta(minutes=10)
    store.save_bot(Bot(app_id="A0ACCOUNTBOT", team_id="T0ONE", bot_token="xoxe.xoxb-T0ONE-old", bot_id="B0BOT",
                       bot_user_id="U0BOT", bot_refresh_token="xoxe-1-T0ONE-refresh",
                       bot_token_expires_at=int(soon.timestamp()), installed_at=datetime.now(UTC).timestamp()))  # fmt: skip
    pool = RelayPool(multi.sessions, multi.ctx.settings, store, every=3600)
    try:
        pool.sync()
        token, _relay = pool.relays["T0ONE"]
        assert token.startswith("xoxe.xoxb-T0ONE-") and token != "xoxe.xoxb-T0ONE-old"
        bot = store.find_bot(enterprise_id=None, team_id="T0ONE")
        assert bot is not None and bot.bot_token == token
        with multi.engine.connect() as conn:
            assert token not in str(conn.execute(select(SLACK_BOTS.c.bot_token)).scalars().all())
    finally:
        pool.stop()
