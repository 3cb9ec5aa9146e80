"""The installation store on the real databases (SQLite and PostgreSQL): tokens are Fernet ciphertext at rest,
read back in clear, rotatable to a new key; a token no key opens is no installation (and is not logged)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine, select

from bot.installations import EncryptedInstallationStore, TokenCipher, state_store
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS

BOT_TOKEN = "xoxb-1111-2222-secretbottoken"
REFRESH = "xoxe-1-refreshsecret"


def installation(team: str = "T0ONE", token: str = BOT_TOKEN) -> Installation:
    return Installation(app_id="A0APP", team_id=team, team_name="One", bot_token=token, bot_id="B0BOT",
                        bot_user_id="U0BOT", bot_scopes="commands,chat:write", bot_refresh_token=REFRESH,
                        user_id="U0INSTALLER", installed_at=datetime.now(UTC).timestamp())  # fmt: skip


def test_tokens_are_ciphertext_at_rest_and_clear_when_read(engine: Engine) -> None:
    store = EncryptedInstallationStore("111.222", engine, TokenCipher(Fernet.generate_key().decode()))
    store.save(installation())
    with engine.connect() as conn:
        stored = conn.execute(select(SLACK_BOTS.c.bot_token, SLACK_BOTS.c.bot_refresh_token)).one()
        raw = conn.execute(select(SLACK_INSTALLATIONS.c.bot_token)).scalar_one()
    assert BOT_TOKEN not in (stored[0], raw) and REFRESH != stored[1]
    assert stored[0].startswith("gAAAA")  # Fernet
    bot = store.find_bot(enterprise_id=None, team_id="T0ONE")
    assert bot is not None and bot.bot_token == BOT_TOKEN and bot.bot_refresh_token == REFRESH
    found = store.find_installation(enterprise_id=None, team_id="T0ONE")
    assert found is not None and found.bot_token == BOT_TOKEN and found.user_id == "U0INSTALLER"
    assert store.find_bot(enterprise_id=None, team_id="T0OTHER") is None


def test_keys_rotate_and_a_token_no_key_opens_is_no_installation(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    EncryptedInstallationStore("111.222", engine, TokenCipher(old)).save(installation())
    both = EncryptedInstallationStore("111.222", engine, TokenCipher(f"{new},{old}"))
    assert both.rotate_keys() == 2  # the installation row and the bot row
    only_new = EncryptedInstallationStore("111.222", engine, TokenCipher(new))
    bot = only_new.find_bot(enterprise_id=None, team_id="T0ONE")
    assert bot is not None and bot.bot_token == BOT_TOKEN
    caplog.set_level(logging.INFO)
    assert (
        EncryptedInstallationStore("111.222", engine, TokenCipher(old)).find_bot(
            enterprise_id=None, team_id="T0ONE"
        )
        is None
    )
    assert "installation_token_undecryptable team=T0ONE" in caplog.text and BOT_TOKEN not in caplog.text


def test_a_bad_key_is_refused_with_how_to_make_one() -> None:
    with pytest.raises(ValueError, match="accountbot tokens new-key"):
        TokenCipher("not-a-key")
    with pytest.raises(ValueError, match="empty"):
        TokenCipher(" , ")


def test_oauth_state_is_one_time(engine: Engine) -> None:
    states = state_store(engine)
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False
