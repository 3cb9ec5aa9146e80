"""Small, shared helpers that keep every message within Slack's rules.

- user text is escaped (& < >) before it goes into mrkdwn;
- links are http/https only;
- section text is capped below Slack's 3,000 characters, fallback text below 40,000, at most 50 blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block

from news.links import http_url

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FALLBACK_TEXT = 4000  # well under Slack's 40,000; fallback is for notifications
MAX_BUTTON_TEXT = 75
MAX_ACTION_VALUE = 2000
ELLIPSIS = "…"


# C0 and C1 control characters except the newline: invisible in Slack, and a way to smuggle odd text.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: object) -> str:
    return _CONTROL.sub("", str(text))


def escape(text: object) -> str:
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


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL that cannot break mrkdwn; else None."""
    return http_url(url)


def link(url: str | None, label: str) -> str:
    """A mrkdwn link when the URL is safe, else the escaped label alone."""
    safe = safe_url(url)
    text = escape(label).replace("|", "¦")
    return f"<{safe}|{text}>" if safe else text


def user_mention(user_id: str | None) -> str:
    if user_id and user_id.isalnum() and user_id[:1] in ("U", "W"):
        return f"<@{user_id}>"
    return escape(user_id or "nobody")


@dataclass
class Message:
    """A rendered message: fallback text plus Block Kit blocks (slack_sdk models)."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def blocks_json(self) -> list[dict[str, Any]]:
        return [b.to_dict() for b in self.blocks]

    def payload(self) -> dict[str, Any]:
        return {"text": truncate(self.text, MAX_FALLBACK_TEXT), "blocks": self.blocks_json()}
