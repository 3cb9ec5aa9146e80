"""manifest.yml parses and declares what the bot uses (and no more scopes than needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
# im:history: the outbox relay reads the bot's own DM history to tell whether a post whose answer was lost
# went through (message metadata), instead of posting it twice.
EXPECTED_SCOPES = {
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "users:read",
    "users:read.email",
    "files:write",
}


def load() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_manifest_declares_command_events_scopes_and_socket_mode() -> None:
    m = load()
    assert m["display_information"]["name"] == "accountbot"
    assert len(m["display_information"]["description"]) <= 140  # Slack's limit for the short description
    assert len(m["display_information"]["long_description"]) >= 174  # Slack's minimum
    (command,) = m["features"]["slash_commands"]
    assert command["command"] == "/account"
    assert command["description"] and command["usage_hint"]
    assert command["should_escape"] is True  # mentions arrive as <@U...> ids (set NAME owner @user)
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["features"]["bot_user"]["display_name"]
    assert set(m["oauth_config"]["scopes"]["bot"]) == EXPECTED_SCOPES
    assert m["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is True
