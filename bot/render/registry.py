"""Outbox kind -> renderer. The relay renders every outbox row through `render(kind, facts)`.

To add a message kind: write a pure `(facts: dict) -> Message` function in a module of bot/render/ and add
one line to RENDERERS. A kind whose message is followed by files (images) also has an entry in ATTACHMENTS:
`(facts, marker) -> [Png]`; the relay uploads them into the same conversation after the message, with
`marker` (unique to the outbox row) in every file name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.render.blocks import Message
from bot.render.news import render_news_alert
from bot.render.nudges import render_digest, render_tier_change, render_weekly_focus
from bot.render.report import render_portfolio_report, report_pngs
from bot.uploads import Png

Renderer = Callable[[Mapping[str, Any]], Message]

RENDERERS: dict[str, Renderer] = {
    "digest": render_digest,
    "weekly_focus": render_weekly_focus,
    "tier_change": render_tier_change,
    "news_alert": render_news_alert,
    "portfolio_report": render_portfolio_report,
}

Attacher = Callable[[Mapping[str, Any], str], list[Png]]

ATTACHMENTS: dict[str, Attacher] = {
    "portfolio_report": report_pngs,
}


class UnknownKind(LookupError):
    """No renderer for this outbox kind (a permanent failure for that row)."""


def render(kind: str, facts: Mapping[str, Any]) -> Message:
    try:
        renderer = RENDERERS[kind]
    except KeyError:
        raise UnknownKind(
            f"no renderer for message kind {kind!r}; known: {', '.join(sorted(RENDERERS))}"
        ) from None
    return renderer(facts)


def attachments(kind: str, facts: Mapping[str, Any], marker: str) -> list[Png]:
    """The files that follow a message of `kind` ([] for most kinds)."""
    attacher = ATTACHMENTS.get(kind)
    return attacher(facts, marker) if attacher is not None else []
