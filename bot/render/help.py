"""`/account help`: every subcommand with an example, and who may change what.

The lines come from the subcommands themselves (bot.commands.registry.HELP_LINES); this module only lays
them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from slack_sdk.models.blocks import Block

from bot.render.blocks import Message, context, header, section


class HelpLine(NamedTuple):
    """One entry of the help: its first word is the subcommand (`help WORD` shows that word's lines)."""

    usage: str
    what: str
    example: str


RIGHTS = (
    "*Who may change what*: anyone in the workspace may look things up, log touches and edit contacts. "
    "Only the account's owner or a workspace admin may `set` fields or snooze it; only admins add workspace feeds. "
    "Every change is recorded (who, when, old -> new)."
)


def render_help(lines: Sequence[HelpLine], topic: str | None = None) -> Message:
    entries = [c for c in lines if topic and c.usage.split()[0] == topic] or list(lines)
    blocks: list[Block] = [header("/account: key accounts in Slack")]
    shown = [f"*`{usage}`*\n{what}\n_e.g._ `{example}`" for usage, what, example in entries]
    for i in range(0, len(shown), 4):
        blocks.append(section("\n\n".join(shown[i : i + 4])))
    blocks.append(section(RIGHTS))
    blocks.append(
        context("Names are matched without case, then by alias; a near miss suggests up to three names.")
    )
    return Message(text="/account commands: " + ", ".join(c.usage.split()[0] for c in entries), blocks=blocks)
