"""A rendered message as it reads in Slack, in plain text: for the demo and the CLI (no Slack needed)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.render.blocks import Message

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")
_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)>")
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")


def mrkdwn_as_text(text: str, names: Mapping[str, str] | None = None) -> str:
    """Links become "label (url)", mentions "@Name", Slack's escapes are undone."""
    names = names or {}
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    text = _USER.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _element_text(element: Mapping[str, Any], names: Mapping[str, str]) -> str:
    text = element.get("text")
    if isinstance(text, Mapping):
        return mrkdwn_as_text(str(text.get("text", "")), names)
    return mrkdwn_as_text(str(text or ""), names)


def message_as_text(message: Message, names: Mapping[str, str] | None = None) -> str:
    names = names or {}
    lines: list[str] = []
    for block in message.blocks_json():
        kind = block.get("type")
        if kind == "header":
            lines.append(_element_text(block, names).upper())
        elif kind == "section":
            if block.get("text"):
                lines.append(_element_text(block, names))
            for f in block.get("fields") or []:
                lines.append("  " + _element_text({"text": f}, names))
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button":
                lines.append(f"  [{_element_text(accessory, names)}]")
        elif kind == "context":
            parts = [_element_text({"text": e}, names) for e in block.get("elements", []) if e.get("text")]
            lines.append("  " + " · ".join(parts))
        elif kind == "actions":
            buttons = [
                f"[{_element_text(e, names)}]" for e in block.get("elements", []) if e.get("type") == "button"
            ]
            if buttons:
                lines.append("  " + " ".join(buttons))
        elif kind == "divider":
            lines.append("  " + "-" * 40)
    return "\n".join(lines) if lines else mrkdwn_as_text(message.text, names)
