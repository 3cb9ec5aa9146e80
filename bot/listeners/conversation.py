"""@mentions and direct messages to the bot: the same commands as `/account` (`grade Acme`, `help`, ...),
from the same registry (bot.commands.registry), answered in a thread under the message. In a channel the
answer is seen by the channel, as the question was; `/account` stays the private way to ask.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from slack_sdk import WebClient

from bot.commands.registry import answer_text, subcommand_of
from bot.commands.types import Request
from bot.context import BotContext
from bot.listeners.commands import COMMAND, safely
from bot.listeners.guard import Body, member_only
from bot.render.blocks import Message
from bot.slack_client import classify

log = logging.getLogger("accountbot.conversation")

LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")


def command_text(event: dict[str, Any]) -> str | None:
    """The command a mention or DM asks for, or None for a message that is not a question to the bot: an edit,
    a deletion, a join, another bot, a message in a channel without a mention (only DMs are read that way)."""
    if event.get("subtype") or event.get("bot_id"):
        return None
    if event.get("type") == "message" and event.get("channel_type") != "im":
        return None
    text = LEADING_MENTION.sub("", str(event.get("text") or ""), count=1).strip()
    if text.lower().startswith(COMMAND):  # "/account grade Acme" typed into a DM
        text = text[len(COMMAND) :].strip()
    return text


def send_in_thread(ctx: BotContext, req: Request, body: Body, client: WebClient, message: Message) -> None:
    event = body.get("event") or {}
    try:
        client.chat_postMessage(
            channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"], **message.payload()
        )
        delivered = True
    except Exception as exc:  # logged without the text; nothing else to tell the asker through
        log.warning("conversation_reply_failed team=%s error=%s", req.team_id, classify(exc).error)
        delivered = False
    log.info(
        "conversation_answered team=%s user=%s sub=%s delivered=%s ms=%d",
        req.team_id,
        req.user_id,
        subcommand_of(command_text(event)),
        delivered,
        (time.perf_counter() - req.started) * 1000,
    )


def on_message(ctx: BotContext, body: Body, client: WebClient, context: Any) -> None:
    """A mention or a DM: answered if it asks something (see `command_text`), else left alone."""
    if command_text(body.get("event") or {}) is None:
        return
    _answer(ctx, body, client, context)


@member_only(send_in_thread)  # guests and outsiders get the refusal in the thread, and nothing else
def _answer(ctx: BotContext, req: Request, body: Body, client: WebClient) -> None:
    text = command_text(body.get("event") or {})
    send_in_thread(ctx, req, body, client, safely(ctx, lambda: answer_text(ctx, req, text), req.team_id))
