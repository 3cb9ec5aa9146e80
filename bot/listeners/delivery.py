"""Sending follow-ups: response_url posts through a WebhookClient with the Web API's 429/5xx retry
handlers, and a short ephemeral apology when Slack still will not take them (never logging the URL).
See docs/slack-commands.md#how-replies-and-files-are-delivered.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.commands.types import Request
from bot.render.blocks import Message
from bot.render.replies import render_slack_failed
from bot.slack_client import classify, retry_handlers

log = logging.getLogger("accountbot.delivery")


def reply(
    response_url: str | None,
    message: Message,
    *,
    in_channel: bool = False,
    replace_original: bool = False,
    team_id: str | None = None,
) -> bool:
    """Post `message` to a response_url (ephemeral unless `in_channel`). True when Slack accepted it."""
    if not response_url:
        return False
    body: dict[str, Any] = message.payload()
    body["response_type"] = "in_channel" if in_channel else "ephemeral"
    body["replace_original"] = replace_original
    try:
        answer = WebhookClient(response_url, timeout=10, retry_handlers=retry_handlers()).send_dict(body)
    except Exception as exc:  # connection refused, timeout, ...
        log.warning("reply_failed team=%s error=%s", team_id, type(exc).__name__)
        return False
    if answer.status_code != 200:
        log.warning(
            "reply_refused team=%s status=%s body=%s", team_id, answer.status_code, (answer.body or "")[:200]
        )
        return False
    return True


def apologise(
    client: WebClient | None, channel_id: str | None, user_id: str | None, what: str, team_id: str | None
) -> None:
    """Best effort: tell the user Slack refused `what`, by an ephemeral message in the channel."""
    if client is None or not channel_id or not user_id:
        return
    message = render_slack_failed(what)
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, **message.payload())
    except Exception as exc:
        log.warning(
            "apology_failed team=%s error=%s",
            team_id,
            classify(exc).error if isinstance(exc, Exception) else "?",
        )


def reply_or_apologise(
    response_url: str | None,
    message: Message,
    *,
    req: Request,
    client: WebClient | None,
    what: str = "the answer",
    in_channel: bool = False,
) -> bool:
    """`reply`, else `apologise` to the one who asked, in the channel they asked from. True when replied."""
    if reply(response_url, message, in_channel=in_channel, team_id=req.team_id):
        return True
    apologise(client, req.channel_id, req.user_id, what, req.team_id)
    return False
