"""Installations for many workspaces (OAuth v2): slack_sdk's SQLAlchemy installation store and OAuth state store
on the project's own database (their tables are created by Alembic, migration 0011), with every token
encrypted at rest.

- Tokens (bot, user, refresh) are Fernet-encrypted with the first key of TOKEN_ENCRYPTION_KEYS before they
  are written, and decrypted with any of the keys when read (MultiFernet): to rotate, put a new key first,
  keep the old one after it, run `accountbot tokens rotate`, then drop the old key.
- A token is never logged; a stored value that no key decrypts is reported as "no installation" with a log
  line naming the workspace, never the value.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from cryptography.fernet import InvalidToken
from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from storage.crypto import TokenCipher

log = logging.getLogger("accountbot.installations")

INSTALLATIONS, BOTS, STATES = "slack_installations", "slack_bots", "slack_oauth_states"
INSTALL_PATH, REDIRECT_PATH = "/slack/install", "/slack/oauth_redirect"
# The bot scopes an install asks for: manifest.yml's (tests/bot/test_manifest.py checks they agree)
BOT_SCOPES = (
    "commands", "chat:write", "im:write", "im:history", "app_mentions:read", "channels:read", "groups:read",
    "users:read", "users:read.email", "files:write",
    "channels:history", "groups:history",  # linked channels (bot.listeners.linked_channels)
)  # fmt: skip
BOT_TOKEN_FIELDS = ("bot_token", "bot_refresh_token")
INSTALLATION_TOKEN_FIELDS = (*BOT_TOKEN_FIELDS, "user_token", "user_refresh_token")
STATE_EXPIRATION_SECONDS = 600


def _with(entity: Any, fields: tuple[str, ...], change: Any) -> None:
    for name in fields:
        setattr(entity, name, change(getattr(entity, name, None)))


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store; tokens pass through `cipher` on the way in and out."""

    def __init__(self, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=engine, installations_table_name=INSTALLATIONS,
                         bots_table_name=BOTS, logger=log)  # fmt: skip
        self.cipher = cipher
        self._local = threading.local()

    def save(self, installation: Installation) -> None:
        """Raises BoltError when the database fails: Bolt's OAuth flow then shows the installer its failure page
        (the reason, and a link to try again) instead of a bare 500."""
        _with(installation, INSTALLATION_TOKEN_FIELDS, self.cipher.encrypt)
        self._local.sealed = True  # super().save() saves its bot too, with these tokens: sealed already
        try:
            super().save(installation)
        except SQLAlchemyError as exc:
            cause = type(getattr(exc, "orig", None) or exc).__name__
            log.error("installation_save_failed team=%s error=%s cause=database", installation.team_id, cause)
            raise BoltError("the database did not answer while the installation was saved") from None
        finally:
            self._local.sealed = False
            _with(installation, INSTALLATION_TOKEN_FIELDS, self.cipher.decrypt)

    def save_bot(self, bot: Bot) -> None:
        if getattr(self._local, "sealed", False):
            super().save_bot(bot)
            return
        _with(bot, BOT_TOKEN_FIELDS, self.cipher.encrypt)
        try:
            super().save_bot(bot)
        finally:
            _with(bot, BOT_TOKEN_FIELDS, self.cipher.decrypt)

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
                 ) -> Bot | None:  # fmt: skip
        bot = super().find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return self._opened(bot, BOT_TOKEN_FIELDS, team_id)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = super().find_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
                                          is_enterprise_install=is_enterprise_install)  # fmt: skip
        return self._opened(found, INSTALLATION_TOKEN_FIELDS, team_id)

    def installed(self) -> list[tuple[str | None, str]]:
        """(enterprise id, team id) of every workspace with a bot installed."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(self.bots.c.enterprise_id, self.bots.c.team_id).distinct())
            return sorted(((e, t) for e, t in rows if t), key=lambda pair: pair[1])

    def _opened(self, entity: Any, fields: tuple[str, ...], team_id: str | None) -> Any:
        if entity is None:
            return None
        try:
            _with(entity, fields, self.cipher.decrypt)
        except InvalidToken:
            log.error("installation_token_undecryptable team=%s (check TOKEN_ENCRYPTION_KEYS)", team_id)
            return None
        return entity

    def rotate_keys(self) -> int:
        """Re-encrypt every stored token with the first key; returns how many rows changed."""
        changed = 0
        with self.engine.begin() as conn:
            for table, fields in (
                (self.installations, INSTALLATION_TOKEN_FIELDS),
                (self.bots, BOT_TOKEN_FIELDS),
            ):
                for row in conn.execute(select(table.c.id, *[table.c[f] for f in fields])).mappings():
                    values = {f: self.cipher.rotate(row[f]) for f in fields if row[f] is not None}
                    if values:
                        conn.execute(update(table).where(table.c.id == row["id"]).values(**values))
                        changed += 1
        return changed


def state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    """OAuth state (CSRF) for the install flow, one-time and valid STATE_EXPIRATION_SECONDS."""
    return SQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine, table_name=STATES,
                                     logger=log)  # fmt: skip


def installation_store(settings: Any, engine: Engine) -> EncryptedInstallationStore:
    """The store for `settings` (bot.settings.Settings in OAuth mode: client id and encryption keys set)."""
    keys = settings.token_encryption_keys.get_secret_value() if settings.token_encryption_keys else ""
    return EncryptedInstallationStore(settings.slack_client_id, engine, TokenCipher(keys))


def oauth_settings(settings: Any, engine: Engine) -> Any:
    """Bolt's OAuthSettings: install at INSTALL_PATH, Slack returns to REDIRECT_PATH; the state is one-time."""
    from slack_bolt.oauth.oauth_settings import OAuthSettings

    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        installation_store=installation_store(settings, engine),
        state_store=state_store(engine),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store_bot_only=True,
    )
