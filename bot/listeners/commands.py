"""`/account`: ack at once (an empty 200), then answer through the response_url on Bolt's lazy runner.

Lazy listeners work the same under HTTP (with or without process_before_response) and Socket Mode, and
keep the ack path as cheap as a bare Bolt app's.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.command_parser import SUBCOMMANDS
from bot.context import BotContext
from bot.listeners.answers import answer_text
from bot.listeners.delivery import reply_or_apologise
from bot.listeners.requests import make_request, refusal
from bot.render.blocks import Message
from bot.render.replies import render_problem

log = logging.getLogger("accountbot.commands")

COMMAND = "/account"
OOPS = "Something went wrong on our side while answering. Please try again in a minute."


def ack_now(ack: Ack) -> None:
    ack()


def safely(ctx: BotContext, work: Any, team_id: str | None) -> Message:
    """Run `work()`; an unexpected failure is logged (type only in the line, trace attached) and apologised for."""
    try:
        return work()
    except Exception as exc:
        log.error("command_failed team=%s error=%s", team_id, type(exc).__name__, exc_info=exc)
        return render_problem(OOPS)


def subcommand_of(text: str | None) -> str:
    """For logs: the subcommand word (never the rest of the text, which may name people)."""
    words = (text or "").split()
    if not words:
        return "help"
    return words[0].casefold() if words[0].casefold() in SUBCOMMANDS else "grade"


def register(app: App, ctx: BotContext) -> None:
    def answer(body: dict[str, Any], client: WebClient, context: Any) -> None:
        started = time.perf_counter()
        req = make_request(ctx, client, body, context)
        stop = refusal(ctx, client, body, req)  # guests and outsiders get the refusal and nothing else
        message = stop or safely(ctx, lambda: answer_text(ctx, req, body.get("text")), req.team_id)
        delivered = reply_or_apologise(
            body.get("response_url"),
            message,
            client=client,
            channel_id=req.channel_id,
            user_id=req.user_id,
            team_id=req.team_id,
        )
        log.info(
            "command_answered team=%s user=%s sub=%s delivered=%s ms=%d",
            req.team_id,
            req.user_id,
            subcommand_of(body.get("text")),
            delivered,
            (time.perf_counter() - started) * 1000,
        )

    app.command(COMMAND)(ack=ack_now, lazy=[answer])
