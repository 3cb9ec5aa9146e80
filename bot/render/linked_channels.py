"""`/account links [NAME]`: the channels linked to accounts, whose messages count as touches. Pure."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.render.blocks import Message, chunk_lines, day, days, name, section, user_mention
from storage.linked_channels import LinkView

LINK_EXAMPLE = "/account link Acme #acme-shared"


def channel_mention(channel_id: str) -> str:
    """`<#C123>` for a Slack channel id (anything else is never put into mrkdwn)."""
    return f"<#{channel_id}>" if channel_id.isalnum() else "a channel"


def link_line(view: LinkView) -> str:
    touched = (
        f"{days(view.days_touched)} with a touch, the latest {day(view.last_touch_at)}"
        if view.days_touched
        else "no touch counted yet"
    )
    return (
        f"• *{name(view.account)}* in {channel_mention(view.channel_id)}: linked by "
        f"{user_mention(view.linked_by)} on {day(view.linked_at)}; {touched}"
    )


def render_links(links: list[LinkView], account: str | None = None) -> Message:
    """The linked channels of the workspace (or of `account`), one line each."""
    if not links:
        where = f" to *{name(account)}*" if account else ""
        text = f"No channels are linked{where} yet. Link one (owner or admin): `{LINK_EXAMPLE}`"
        return Message(text=text.replace("*", ""), blocks=[section(text)])
    title = f"*Linked channels of {name(account)}*" if account else "*Linked channels*"
    blocks: list[Block] = [section(f"{title} ({len(links)}): their messages count as touches, once a day")]
    blocks.extend(chunk_lines([link_line(v) for v in links], 40))
    return Message(text=f"{len(links)} linked channels", blocks=blocks)
