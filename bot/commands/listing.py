"""`/account list [FILTER] [PAGE]`: the workspace's accounts, 20 a page (the page buttons come back here)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from accounts import numbers
from bot.commands.text import Token, plain
from bot.commands.types import LIST_FILTERS, CommandError, ListAccounts, Request, in_session
from bot.context import BotContext
from bot.render.blocks import Message
from bot.render.help import HelpLine
from bot.render.list import render_list
from storage.reads.summaries import list_accounts

USAGE = "/account list key   (or: secondary, a, b, c, mine, stale, prospects, growth, maintenance, service)"
HELP = (
    HelpLine(
        "list [FILTER] [PAGE]",
        "accounts, 20 a page; filters: key, secondary, a, b, c, mine, stale, prospects, "
        "growth, maintenance, service",
        "/account list stale",
    ),
)


def parse(args: list[Token], today: date) -> ListAccounts:
    words = [t.word for t in args]
    page = 1
    typed = numbers.whole(words[-1], low=1, high=10_000, clamp=True) if words else None  # ASCII digits only
    if typed is not None:
        words.pop()
        page = typed
        if words and words[-1] == "page":
            words.pop()
    if not words:
        return ListAccounts(None, page)
    if len(words) > 1 or words[0] not in LIST_FILTERS:
        shown = plain(" ".join(words))[:40]
        raise CommandError(f"`{shown}` is not a list filter.", USAGE)
    return ListAccounts(words[0], page)


@in_session
def handle(ctx: BotContext, req: Request, session: Session, cmd: ListAccounts) -> Message:
    rows = list_accounts(session, req.team_id, ctx.now(), ctx.thresholds, cmd.filter, req.user_id)
    return render_list(rows, cmd.filter, cmd.page)
