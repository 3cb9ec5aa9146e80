"""Scenarios 1 and 4 with the database cut: an OAuth install (real HTTP, the fake Slack's oauth.v2.access) whose
write of the bot's token is cut by the fault proxy.

The installing admin is told: Slack's failure page with the reason and a link to try again, not a bare "internal
server error". The token is never stored nor logged in clear, also not in the failed statement's parameters that
the error carries; the workspace is not served with half an installation (no bot row); the admin's second try
installs it, its token stored as ciphertext, and the bot answers there with that token, once.
"""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import SLACK_BOTS
from tests.bot.conftest import BotFactory, BotHarness
from tests.bot.seed import NOW
from tests.fakes.slack_signing import app_home_opened_event
from tests.faults.db_proxy import DbProxy

pytestmark = pytest.mark.postgres

TEAM, MEMBER = "T0ONE", "U0ONEMEMBER"


@pytest.fixture
def multi(make_bot_server: BotFactory, proxied_url: str) -> BotHarness:
    h = make_bot_server(proxied_url, clock=lambda: NOW, slack_bot_token=None, slack_client_id="111.222",
                        slack_client_secret="oauth-client-secret", token_encryption_keys=Fernet.generate_key().decode())  # fmt: skip
    h.fake_slack.add_user(MEMBER, team_id=TEAM)
    return h


def install(web: httpx.Client) -> httpx.Response:
    """The admin's install: the install page (its state and cookie), then Slack's redirect back with a code."""
    page = web.get("/slack/install")
    assert page.status_code == 200, page.text
    state = re.search(r"state=([^&\"']+)", page.text)
    assert state is not None
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    return web.get(
        "/slack/oauth_redirect",
        params={"code": f"code-{TEAM}", "state": state.group(1)},
        headers={"Cookie": cookie},
    )


def stored_text(sessions: sessionmaker[Session]) -> str:
    """Every value in the installation tables, as one text to search."""
    tables = [SLACK_BOTS.metadata.tables[name] for name in ("slack_installations", "slack_bots")]
    with sessions() as s:
        return repr([s.execute(select(table)).all() for table in tables])


def test_an_install_whose_token_write_is_cut_tells_the_admin_and_never_stores_the_token_in_clear(
    multi: BotHarness,
    db_proxy: DbProxy,
    pg_sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with httpx.Client(base_url=multi.url) as web:
        db_proxy.cut_when(b"INSERT INTO slack_bots")  # once: the bot's row, with its encrypted token
        failed = install(web)
        assert db_proxy.cuts == 1
        first_token = next(t for t, team in multi.fake_slack.installed.items() if team == TEAM)
        # the admin is told: Slack's failure page, why, and where to try again; not a bare 500
        assert failed.status_code == 500
        assert "Something Went Wrong" in failed.text and "storage_error" in failed.text, failed.text
        assert 'href="/slack/install"' in failed.text
        with pg_sessions() as s:
            assert s.execute(select(SLACK_BOTS.c.team_id)).all() == []  # not served with half an installation
        assert first_token not in stored_text(pg_sessions) and first_token not in caplog.text

        done = install(web)  # the admin's second try
        assert done.status_code == 200, done.text
    token = next(t for t, team in multi.fake_slack.installed.items() if team == TEAM and t != first_token)
    with pg_sessions() as s:
        bots = s.execute(select(SLACK_BOTS.c.team_id, SLACK_BOTS.c.bot_token)).all()
    assert [team for team, _ in bots] == [TEAM] and token not in bots[0][1]  # stored once, as ciphertext
    assert token not in stored_text(pg_sessions) and first_token not in stored_text(pg_sessions)
    assert token not in caplog.text and first_token not in caplog.text

    assert multi.post_event(app_home_opened_event(MEMBER), team_id=TEAM).status_code == 200
    published = multi.fake_slack.wait_for("views.publish", where=lambda c: c.params["user_id"] == MEMBER)
    assert len(published) == 1 and published[0].token == token
