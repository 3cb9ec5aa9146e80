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
    "app_mentions:read",
    "channels:read",
    "groups:read",
    "users:read",
    "users:read.email",
    "files:write",
    "channels:history",  # linked channels: message events of channels linked with /account link
    "groups:history",
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
    assert m["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "app_mention",
        "message.im",
        "message.channels",
        "message.groups",
        "app_uninstalled",
        "tokens_revoked",
        "user_change",
    ]
    assert m["features"]["app_home"]["messages_tab_enabled"] is True
    assert m["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is True


def test_every_scope_is_justified_in_the_set_up_doc_and_the_doc_path_exists() -> None:
    import re

    text = MANIFEST.read_text(encoding="utf-8")
    for path in re.findall(r"docs/[\w./-]+\.md", text):
        assert (MANIFEST.parent / path).is_file(), f"manifest.yml points to {path}, which does not exist"
    doc = (MANIFEST.parent / "docs" / "slack-setup.md").read_text(encoding="utf-8")
    table = doc[doc.index("#### Scopes and why") :]
    table = table[: table.index("\n\n", table.index("|---|"))]
    rows = dict(re.findall(r"^\| `([^`]+)` \| (.+) \|$", table, flags=re.M))
    assert set(rows) == set(load()["oauth_config"]["scopes"]["bot"])
    assert all(len(why) > 10 for why in rows.values())


def test_an_oauth_install_asks_for_the_manifest_s_scopes() -> None:
    from bot.installations import BOT_SCOPES

    assert set(BOT_SCOPES) == set(load()["oauth_config"]["scopes"]["bot"])
