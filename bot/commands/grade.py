"""`/account grade NAME` (or just `/account NAME`): the account's grade card."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.commands.lookup import resolve
from bot.commands.text import Token, join_name
from bot.commands.types import Grade, Refused, Request
from bot.context import BotContext
from bot.render.blocks import Message
from bot.render.card import render_card
from bot.render.help import HelpLine
from bot.render.replies import render_problem
from storage.reads.cards import AccountCard, account_card

USAGE = "/account grade Acme Corp"
HELP = (
    HelpLine(
        "grade NAME",
        "the grade card: tier, grade, ratings and why, next step, treatment, last touch",
        "/account grade Acme Corp   (or just /account Acme Corp)",
    ),
)

# For `/account WORD ...` read as a name: the subcommand WORD probably stands for, and its usage.
Suggest = Callable[[str], tuple[str, str | None] | None]


def parse(args: list[Token], today: date) -> Grade:
    return Grade(join_name(args, usage=USAGE))


def card_of(ctx: BotContext, team_id: str, typed: str) -> AccountCard | Message:
    """The card data for an account name (or the reply explaining why there is none)."""
    with ctx.sessions.begin() as session:
        try:
            acc = resolve(session, team_id, typed)
        except Refused as stop:
            return stop.message
        card = account_card(session, team_id, acc.id, ctx.now(), ctx.thresholds)
        assert card is not None  # resolved in this workspace a moment ago, same session
        return card


def handle(ctx: BotContext, req: Request, cmd: Grade, suggest: Suggest | None = None) -> Message:
    found = card_of(ctx, req.team_id, cmd.name)
    if isinstance(found, AccountCard):
        return render_card(found)
    first = cmd.name.split()[0]
    meant = suggest(first) if cmd.implicit and suggest is not None else None
    if meant is None:
        return found
    word, usage = meant
    return render_problem(
        f"`{first}` is not a command, and no account is named {cmd.name}. Did you mean `{word}`?", usage
    )
