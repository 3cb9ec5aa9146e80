"""Settings from environment variables (and `.env`), validated once at start-up.

Every rule threshold of `accounts.thresholds.Thresholds` can be overridden with an environment variable of
the same name in capitals (for example `KEY_TIER_PERCENT=20`).
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from accounts.thresholds import Thresholds

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and says what is expected."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default="sqlite:///accountbot.db",
        description="SQLAlchemy or plain postgresql:// URL; default: SQLite file accountbot.db in the working directory",
    )
    slack_bot_token: SecretStr | None = Field(default=None, description="Bot token (xoxb-...)")
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="Signing secret of the Slack app"
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="App-level token (xapp-...) for Socket Mode"
    )
    slack_api_url: str = Field(default=DEFAULT_SLACK_API_URL, description="Slack Web API base URL")
    slack_client_id: str | None = Field(
        default=None,
        description="OAuth: the app's Client ID; with SLACK_CLIENT_SECRET, installs into many workspaces",
    )
    slack_client_secret: SecretStr | None = Field(default=None, description="OAuth: the app's Client Secret")
    token_encryption_keys: SecretStr | None = Field(
        default=None,
        description="OAuth: comma-separated Fernet keys for the stored tokens, newest first (`accountbot tokens new-key`)",
    )
    slack_team_id: str | None = Field(
        default=None,
        description="Default workspace (team id) for the CLI; when set, ADMIN_USER_IDS counts only in this workspace",
    )
    admin_user_ids: str = Field(
        default="",
        description=(
            "Comma-separated Slack user ids allowed to change any account: in SLACK_TEAM_ID's workspace only when "
            "that is set, in every workspace the bot serves when it is not"
        ),
    )
    news_channel: str | None = Field(default=None, description="Default channel id for news alerts")
    news_allowed_hosts: str = Field(
        default="",
        description="Comma-separated host:port entries (or bare hosts: any port) the feed fetcher may reach even if private",
    )
    log_level: str = Field(default="INFO", description="Python logging level")
    log_format: Literal["text", "json"] = Field(
        default="text", description="text (key=value lines) or json (one JSON object per line)"
    )
    metrics_pushgateway: str | None = Field(
        default=None,
        description="Prometheus Pushgateway URL: `accountbot import` pushes its row counts there",
    )

    # The live CRM sync (issue 16, docs/crm-sync.md): `accountbot crm connect|sync`.
    hubspot_token: SecretStr | None = Field(
        default=None,
        description="HubSpot: a Service Key or a legacy private app's access token (read scopes)",
    )
    hubspot_base_url: str = Field(default="https://api.hubapi.com", description="HubSpot API base URL")
    salesforce_login_url: str = Field(
        default="https://login.salesforce.com",
        description="Salesforce login URL (https://test.salesforce.com for a sandbox, or the org's My Domain)",
    )
    salesforce_consumer_key: str | None = Field(
        default=None, description="Salesforce: the connected app's consumer key (JWT bearer flow)"
    )
    salesforce_username: str | None = Field(default=None, description="Salesforce: the integration user")
    salesforce_private_key_file: str | None = Field(
        default=None,
        description="Salesforce: the private key (PEM) whose certificate the connected app holds",
    )
    crm_sync_interval_minutes: int = Field(
        default=60,
        ge=5,
        le=1440,
        description="The scheduled crm_sync job: minutes between syncs of a saved connection (its default)",
    )

    # Rule thresholds (accounts.thresholds.Thresholds); None means the built-in default.
    key_tier_percent: int | None = Field(default=None, ge=1, le=100)
    revenue_high_percent: int | None = Field(default=None, ge=1, le=100)
    revenue_medium_percent: int | None = Field(default=None, ge=1, le=100)
    wallet_share_high_above: float | None = Field(default=None, ge=0, le=100)
    wallet_share_medium_from: float | None = Field(default=None, ge=0, le=100)
    margin_high_from: float | None = Field(default=None)
    margin_medium_from: float | None = Field(default=None)
    grade_a_from: int | None = Field(default=None)
    grade_b_from: int | None = Field(default=None)
    engagement_pairs_high: int | None = Field(default=None, ge=1)
    engagement_window_days: int | None = Field(default=None, ge=1)
    cadence_a_days: int | None = Field(default=None, ge=1)
    cadence_b_days: int | None = Field(default=None, ge=1)
    cadence_c_days: int | None = Field(default=None, ge=1)
    cadence_key_max_days: int | None = Field(default=None, ge=1)
    checkup_days: int | None = Field(default=None, ge=1)
    # Nudge signals (accounts.signals).
    spof_min_decision_makers: int | None = Field(default=None, ge=1)
    spof_concentration_percent: int | None = Field(default=None, ge=1, le=100)
    spof_window_days: int | None = Field(default=None, ge=1)
    revenue_drop_months: int | None = Field(default=None, ge=1, le=24)
    revenue_drop_percent: int | None = Field(default=None, ge=1, le=100)
    digest_section_limit: int | None = Field(default=None, ge=1, le=10)

    @field_validator("database_url")
    @classmethod
    def _normalize_db_url(cls, value: str) -> str:
        from storage.db import normalize_database_url

        return normalize_database_url(value)

    @field_validator("slack_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _check_thresholds(self) -> Settings:
        problems = self.thresholds.problems()
        if problems:  # ConfigError passes through pydantic unchanged, so the message stays as written
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
        return self

    @cached_property
    def thresholds(self) -> Thresholds:
        overrides = {
            name: getattr(self, name)
            for name in Thresholds.__dataclass_fields__
            if name in type(self).model_fields and getattr(self, name) is not None
        }
        return Thresholds(**overrides)

    @property
    def oauth(self) -> bool:
        """Installed by OAuth into any number of workspaces (tokens in the installation store), rather than one
        workspace's SLACK_BOT_TOKEN."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.admin_user_ids.split(",") if part.strip())

    def listed_admins(self, team_id: str) -> frozenset[str]:
        """The ADMIN_USER_IDS that count in `team_id`: all of them in SLACK_TEAM_ID's workspace when that is
        set, none elsewhere; in every workspace when it is not (a single-workspace install)."""
        home = self.slack_team_id
        return self.admin_ids if not home or home == team_id else frozenset()

    @property
    def allowed_news_hosts(self) -> frozenset[str]:
        return frozenset(p.strip().lower() for p in self.news_allowed_hosts.split(",") if p.strip())

    def require(self, *names: str) -> None:
        """Raise ConfigError naming every missing setting among `names` (field names)."""
        missing = [n.upper() for n in names if not getattr(self, n)]
        if missing:
            raise ConfigError(
                f"missing setting(s): {', '.join(missing)}. Set them in the environment or in .env "
                "(see the configuration table in README.md)."
            )


# the password runs to the last "@" of the URL (an unencoded "@" in a password is a common mistake)
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s'\"]*:)[^/\s'\"]*@")


def redact_url(value: object) -> object:
    """A text with the password of any URL in it (scheme://user:PASSWORD@host) replaced by ***, so a
    DATABASE_URL is never echoed with its password. Anything that is not a str is returned unchanged."""
    if not isinstance(value, str):
        return value
    return _URL_PASSWORD.sub(lambda m: m.group("head") + "***@", value)


def load_settings(**overrides: object) -> Settings:
    """Load and validate settings; turn pydantic's errors into one readable ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            shown = (
                "<hidden>" if ("TOKEN" in name or "SECRET" in name) else repr(redact_url(err.get("input")))
            )
            lines.append(f"{name}: {err['msg']} (got {shown})")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
