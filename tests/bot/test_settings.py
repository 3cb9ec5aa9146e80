from __future__ import annotations

import pytest

from bot.settings import ConfigError, load_settings
from storage.db import normalize_database_url


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "DATABASE_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_API_URL",
        "KEY_TIER_PERCENT",
        "SLACK_SIGNING_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    s = load_settings()
    assert s.database_url == "sqlite:///accountbot.db"
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.thresholds.key_tier_percent == 25


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://root@127.0.0.1:5432/test", "postgresql+psycopg://root@127.0.0.1:5432/test"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_forms(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


def test_bad_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x@y/z")
    monkeypatch.setenv("KEY_TIER_PERCENT", "many")
    monkeypatch.setenv("SLACK_API_URL", "ftp://example.com")
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    assert "DATABASE_URL" in text and "sqlite or postgresql" in text
    assert "KEY_TIER_PERCENT" in text
    assert "SLACK_API_URL" in text


def test_threshold_override_reaches_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEY_TIER_PERCENT", "20")
    assert load_settings().thresholds.key_tier_percent == 20


def test_env_file_is_read(tmp_path) -> None:
    (tmp_path / ".env").write_text("SLACK_TEAM_ID=T123\n")
    assert load_settings().slack_team_id == "T123"


def test_require_names_missing_settings() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET"):
        load_settings().require("slack_bot_token", "slack_signing_secret")


def test_secrets_are_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    s = load_settings()
    assert "xoxb-secret-value" not in repr(s)
