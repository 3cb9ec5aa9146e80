"""The render toolkit: Message, Slack's limits, safe mrkdwn text, number formats and Block Kit builders.

Every renderer builds its blocks here, so user text is always escaped (& < >), links are http(s) only and
every text is capped to its Slack limit. Money and percentages have one format each (`money`, `percent`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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

from news.links import http_url

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FALLBACK_TEXT = 4000  # well under Slack's 40,000; fallback is for notifications
MAX_BUTTON_TEXT = 75
MAX_ACTION_VALUE = 2000
MAX_CONTEXT_TEXT = 2000
MAX_FIELD_TEXT = 2000
MAX_NAME_SHOWN = 120
ELLIPSIS = "…"


@dataclass
class Message:
    """A rendered message: fallback text plus Block Kit blocks (slack_sdk models)."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def blocks_json(self) -> list[dict[str, Any]]:
        return [b.to_dict() for b in self.blocks]

    def payload(self) -> dict[str, Any]:
        return {"text": truncate(self.text, MAX_FALLBACK_TEXT), "blocks": self.blocks_json()}


# --- text ------------------------------------------------------------------------------------------------

# C0 and C1 control characters except the newline: invisible in Slack, and a way to smuggle odd text.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: object) -> str:
    return _CONTROL.sub("", str(text))


def user_text(text: object) -> str:
    """Make user-supplied text (a person's or a feed's) safe for mrkdwn: control characters dropped, then
    Slack's three markup characters (& < >) escaped."""
    return strip_controls(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Never cut an escape sequence such as "&amp;" in half.
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:] and len(cut) - amp < 6:
        cut = cut[:amp]
    return cut + ELLIPSIS


def name(text: str) -> str:
    """An account or contact name for mrkdwn: one line, shortened, escaped."""
    return user_text(truncate(" ".join(str(text).split()), MAX_NAME_SHOWN))


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL that cannot break mrkdwn; else None."""
    return http_url(url)


def link(url: str | None, label: str) -> str:
    """A mrkdwn link when the URL is safe, else the escaped label alone."""
    safe = safe_url(url)
    text = user_text(label).replace("|", "¦")
    return f"<{safe}|{text}>" if safe else text


def user_mention(user_id: str | None) -> str:
    if user_id and user_id.isalnum() and user_id[:1] in ("U", "W"):
        return f"<@{user_id}>"
    return user_text(user_id or "nobody")


def person(value: str | None) -> str:
    """A Slack user id as a mention; anything else (an imported email) as escaped text; nobody if empty."""
    if not value:
        return "nobody"
    if value[:1] in ("U", "W") and value.isalnum():
        return user_mention(value)
    return user_text(value)


# --- numbers and dates -------------------------------------------------------------------------------------


def number(value: float) -> str:
    """A whole amount with thousands separators: 1234567.8 -> "1,234,568"."""
    return f"{value:,.0f}"


def money(amount: float | None, *, exact: bool = False, unknown: str = "unknown") -> str:
    """Dollars, short ("$1.2M", "$850k", "$999") or `exact` ("$1,234,568"); `unknown` when there is none."""
    if amount is None:
        return unknown
    if not exact:
        if abs(amount) >= 1_000_000:
            return f"${amount / 1_000_000:,.1f}M"
        if abs(amount) >= 1_000:
            return f"${amount / 1_000:,.0f}k"
    return "$" + number(amount)


def percent(value: float | None, *, unknown: str = "unknown") -> str:
    """A percentage as given, without trailing zeros ("12.5%", "80%"); `unknown` when there is none."""
    if value is None:
        return unknown
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


# --- blocks ----------------------------------------------------------------------------------------------


def section(text: str, accessory: ButtonElement | None = None, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=truncate(text, MAX_SECTION_TEXT)), accessory=accessory, block_id=block_id
    )


def fields_section(fields: Iterable[str]) -> SectionBlock:
    items = [MarkdownTextObject(text=truncate(f, MAX_FIELD_TEXT)) for f in fields][:10]
    return SectionBlock(fields=items)


def header(text: str, *, one_line: bool = True) -> HeaderBlock:
    """A plain-text header; `one_line` folds runs of white space into one space (the nudges keep theirs)."""
    clean = strip_controls(" ".join(text.split()) if one_line else text) or "-"
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
