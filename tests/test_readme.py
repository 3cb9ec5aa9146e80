"""The README is the newcomer's contract: the two commands first, and every setting documented."""

from __future__ import annotations

from pathlib import Path

from accountbot.cli import COMMAND_MODULES
from bot.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_two_commands_come_first() -> None:
    quick_start = README.index("## Quick start")
    assert README.index("make demo") > quick_start
    assert README.index("make test") > quick_start
    assert README.index("make demo") < README.index("## Setting it up in Slack")


def test_every_setting_is_in_the_configuration_table() -> None:
    table = README[README.index("## Configuration") :]
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in table]
    assert not missing, f"settings missing from README's configuration table: {missing}"


def test_every_command_area_is_in_the_cli_reference() -> None:
    reference = README[README.index("## CLI reference") : README.index("## CSV formats")]
    words = {
        "db": "accountbot db",
        "grading": "accountbot grade",
        "importing": "accountbot import",
        "exporting": "accountbot export",
        "demo": "accountbot demo",
        "run": "accountbot run",
        "jobs": "accountbot jobs",
        "outbox": "accountbot outbox",
        "news": "accountbot news scan",
        "workspaces": "accountbot workspace purge",
        "crm": "accountbot crm sync",
        "reports": "accountbot report nudges",
        "escalation": "accountbot escalation enable",
    }
    assert set(words) == set(COMMAND_MODULES)
    assert all(words[m] in reference for m in COMMAND_MODULES)


def test_the_slack_setup_counts_the_scopes_the_bot_asks_for() -> None:
    from bot.installations import BOT_SCOPES

    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve", "thirteen", "fourteen", "fifteen", "sixteen"]  # fmt: skip
    setup = README[README.index("## Setting it up in Slack") :]
    assert f"{words[len(BOT_SCOPES)]} bot scopes" in setup, (
        f"the README should say {len(BOT_SCOPES)} bot scopes"
    )
