"""Outbox kind -> renderer (and, for kinds followed by images, attacher). The relay renders every outbox
row through `render(kind, facts)` and uploads `attachments(kind, facts, marker)` after it.

Each renderer takes its kind's TypedDict from accounts.facts; adding a kind is described in docs/nudges.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.render.blocks import Message
from bot.render.crm import render_crm_sync_failed
from bot.render.dead_letters import render_dead_letters
from bot.render.escalation import render_escalation
from bot.render.feeds import render_feed_paused
from bot.render.news import render_news_alert
from bot.render.nudges import render_digest, render_tier_change, render_weekly_focus
from bot.render.report import render_portfolio_report, report_pngs
from bot.uploads import Png

# The stored JSON is not checked at run time: each renderer declares (and mypy checks) the facts it reads.
Renderer = Callable[[Any], Message]

RENDERERS: dict[str, Renderer] = {
    "digest": render_digest,
    "weekly_focus": render_weekly_focus,
    "tier_change": render_tier_change,
    "news_alert": render_news_alert,
    "portfolio_report": render_portfolio_report,
    "feed_paused": render_feed_paused,
    "dead_letters": render_dead_letters,
    "escalation": render_escalation,
    "crm_sync_failed": render_crm_sync_failed,
}

Attacher = Callable[[Any, str], list[Png]]

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
