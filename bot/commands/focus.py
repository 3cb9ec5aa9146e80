"""`/account focus`: this week's focus account of the requester."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bot.commands.text import Token
from bot.commands.types import CommandError, Focus, Request, in_session
from bot.context import BotContext
from bot.render.blocks import Message
from bot.render.focus import render_focus
from bot.render.help import HelpLine
from storage.reads.home import focus_account

USAGE = "/account focus"
HELP = (HelpLine("focus", "this week's focus account", "/account focus"),)


def parse(args: list[Token], today: date) -> Focus:
    if args:
        raise CommandError("`focus` takes nothing after it.", USAGE)
    return Focus()


@in_session
def handle(ctx: BotContext, req: Request, session: Session, cmd: Focus) -> Message:
    return render_focus(focus_account(session, req.team_id, req.user_id, ctx.now(), ctx.thresholds))
