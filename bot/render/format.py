"""Formatting and block helpers shared by the command renderers (card, list, contacts, home, replies).

Everything user-supplied goes through kit.escape before it lands in mrkdwn; every text is capped to its
Slack limit here, so the renderers cannot forget.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.render.kit import (
    MAX_ACTION_VALUE,
    MAX_BUTTON_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    escape,
    strip_controls,
    truncate,
    user_mention,
)

MAX_CONTEXT_TEXT = 2000
MAX_FIELD_TEXT = 2000
MAX_NAME_SHOWN = 120


no_controls = strip_controls
user_text = escape  # text that came from a person (or a feed), made safe for mrkdwn


def name(text: str) -> str:
    """An account or contact name for mrkdwn: one line, shortened, escaped."""
    return user_text(truncate(" ".join(str(text).split()), MAX_NAME_SHOWN))


def person(value: str | None) -> str:
    """A Slack user id as a mention; anything else (an imported email) as escaped text; nobody if empty."""
    if not value:
        return "nobody"
    if value[:1] in ("U", "W") and value.isalnum():
        return user_mention(value)
    return user_text(value)


def money(amount: float | None) -> str:
    if amount is None:
        return "unknown"
    if abs(amount) >= 1_000_000:
        return f"${amount / 1_000_000:,.1f}M"
    if abs(amount) >= 1_000:
        return f"${amount / 1_000:,.0f}k"
    return f"${amount:,.0f}"


def percent(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:g}%"


def level(value: str | None) -> str:
    return value if value else "unknown"


def days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def days_ago(n: int | None) -> str:
    if n is None:
        return "never"
    if n == 0:
        return "today"
    return f"{days(n)} ago"


def day(when: datetime | None) -> str:
    return when.date().isoformat() if when else "never"


def section(text: str, accessory: ButtonElement | None = None, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=truncate(text, MAX_SECTION_TEXT)), accessory=accessory, block_id=block_id
    )


def fields_section(fields: Iterable[str]) -> SectionBlock:
    items = [MarkdownTextObject(text=truncate(f, MAX_FIELD_TEXT)) for f in fields][:10]
    return SectionBlock(fields=items)


def header(text: str) -> HeaderBlock:
    clean = strip_controls(" ".join(text.split())) or "-"
    return HeaderBlock(text=PlainTextObject(text=truncate(clean, MAX_HEADER_TEXT), emoji=True))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, MAX_CONTEXT_TEXT))])


def button(text: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    label = strip_controls(" ".join(text.split())) or "-"
    return ButtonElement(
        text=PlainTextObject(text=truncate(label, MAX_BUTTON_TEXT), emoji=True),
        action_id=action_id,
        value=truncate(value, MAX_ACTION_VALUE),
        style=style,
    )


def actions(*buttons: ButtonElement, block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(elements=list(buttons)[:25], block_id=block_id)


def chunk_lines(lines: list[str], max_blocks: int, more: str = "and {n} more") -> list[Block]:
    """Pack mrkdwn lines into as few sections as fit (each under Slack's 3,000 characters), at most
    `max_blocks` blocks; lines that do not fit are summarised as "and N more"."""
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    shown = 0
    for line in lines:
        line = truncate(line, 1000)
        if current and size + len(line) + 1 > MAX_SECTION_TEXT - 100:
            if len(blocks) + 1 >= max_blocks:
                break
            blocks.append(section("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
        shown += 1
    rest = len(lines) - shown
    if rest > 0:
        current.append("_" + more.format(n=rest) + "_")
    if current:
        blocks.append(section("\n".join(current)))
    return blocks
