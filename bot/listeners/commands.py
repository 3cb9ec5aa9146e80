"""`/account`: ack at once (an empty 200), then answer through the response_url on Bolt's lazy runner.

Lazy listeners work the same under HTTP (with or without process_before_response) and Socket Mode, and
keep the ack path as cheap as a bare Bolt app's. What each subcommand does is in bot.commands.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from slack_sdk import WebClient

from bot.commands.registry import answer_text, subcommand_of
from bot.commands.types import Request
from bot.context import BotContext
from bot.listeners.delivery import reply_or_apologise
from bot.listeners.guard import Body, member_only
from bot.render.blocks import Message
from bot.render.replies import render_problem

log = logging.getLogger("accountbot.commands")

COMMAND = "/account"
T = TypeVar("T")

OOPS = "Something went wrong on our side while answering. Please try again in a minute."


def safely(ctx: BotContext, work: Callable[[], T], team_id: str | None) -> T | Message:
    """Run `work()`; an unexpected failure is logged (type only in the line, trace attached) and apologised for."""
    try:
        return work()
    except Exception as exc:
        log.error("command_failed team=%s error=%s", team_id, type(exc).__name__, exc_info=exc)
        return render_problem(OOPS)


def send_answer(ctx: BotContext, req: Request, body: Body, client: WebClient, message: Message) -> None:
    """The answer (or the refusal) on the response_url, and one log line without the command's text."""
    delivered = reply_or_apologise(body.get("response_url"), message, req=req, client=client)
    log.info(
        "command_answered team=%s user=%s sub=%s delivered=%s ms=%d",
        req.team_id,
        req.user_id,
        subcommand_of(body.get("text")),
        delivered,
        (time.perf_counter() - req.started) * 1000,
    )


@member_only(send_answer)  # guests and outsiders get the refusal and nothing else
def answer(ctx: BotContext, req: Request, body: Body, client: WebClient) -> None:
    send_answer(
        ctx, req, body, client, safely(ctx, lambda: answer_text(ctx, req, body.get("text")), req.team_id)
    )
