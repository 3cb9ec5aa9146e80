"""Every `/account` subcommand, once: its word, usage, help lines, parser and handler. The dispatcher
(`parse`, `answer_text`), the usage shown with a problem and `/account help` are all built from SUBCOMMANDS,
so adding a subcommand is one module plus one line here (README.md#adding-a-subcommand).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Generic

from rapidfuzz import fuzz, process
from sqlalchemy.exc import DBAPIError

from bot.commands import chart, contacts, feeds, fields, focus, grade, listing, prefs, snooze, touch
from bot.commands import linked_channels as linking
from bot.commands.text import Token, clean_text, join_name, tokenize
from bot.commands.types import C, Command, CommandError, Grade, Help, Request, today
from bot.context import BotContext
from bot.render.blocks import Message
from bot.render.help import HelpLine, render_help
from bot.render.replies import render_database_down, render_problem


@dataclass(frozen=True, slots=True)
class Subcommand(Generic[C]):
    word: str  # what follows `/account`
    usage: str  # the example shown with a problem
    help: tuple[HelpLine, ...]  # its lines in `/account help`, each starting with `word`
    parse: Callable[[list[Token], date], C]  # the tokens after the word -> the command, or CommandError
    handle: Callable[[BotContext, Request, C], Message]  # the command -> the reply (never raises for users)
    read_only: bool = False  # changes nothing: tried once more when the database connection dropped


HELP_USAGE = "/account help"


def _parse_help(args: list[Token], today: date) -> Help:
    return Help(topic=args[0].word if args else None)


def _handle_help(ctx: BotContext, req: Request, cmd: Help) -> Message:
    return help_message(cmd.topic)


def _closest(word: str) -> tuple[str, str | None] | None:
    """For `/account WORD ...` read as an account name: the subcommand WORD may stand for, and its usage."""
    meant = close_subcommand(word)
    return (meant, usage_of(meant)) if meant else None


SUBCOMMANDS: tuple[Subcommand[Any], ...] = (
    Subcommand("help", HELP_USAGE, (), _parse_help, _handle_help, read_only=True),
    Subcommand(
        "grade", grade.USAGE, grade.HELP, grade.parse, partial(grade.handle, suggest=_closest), read_only=True
    ),
    Subcommand("list", listing.USAGE, listing.HELP, listing.parse, listing.handle, read_only=True),
    Subcommand("log", touch.USAGE, touch.HELP, touch.parse, touch.handle),
    Subcommand(
        "contacts",
        contacts.CONTACTS_USAGE,
        contacts.CONTACTS_HELP,
        contacts.parse_contacts,
        contacts.handle_contacts,
        read_only=True,
    ),
    Subcommand(
        "contact",
        contacts.CONTACT_ADD_USAGE,
        contacts.CONTACT_HELP,
        contacts.parse_contact,
        contacts.handle_contact,
    ),
    Subcommand("set", fields.USAGE, fields.HELP, fields.parse, fields.handle),
    Subcommand("snooze", snooze.USAGE, snooze.HELP, snooze.parse, snooze.handle),
    Subcommand("focus", focus.USAGE, focus.HELP, focus.parse, focus.handle, read_only=True),
    Subcommand("prefs", prefs.USAGE, prefs.HELP, prefs.parse, prefs.handle),
    Subcommand("feeds", feeds.USAGE, feeds.HELP, feeds.parse, feeds.handle),
    Subcommand("link", linking.LINK_USAGE, linking.LINK_HELP, linking.parse_link, linking.handle_link),
    Subcommand(
        "unlink", linking.UNLINK_USAGE, linking.UNLINK_HELP, linking.parse_unlink, linking.handle_unlink
    ),
    Subcommand(
        "links",
        linking.LINKS_USAGE,
        linking.LINKS_HELP,
        linking.parse_links,
        linking.handle_links,
        read_only=True,
    ),
    Subcommand("chart", chart.USAGE, chart.HELP, chart.parse, chart.handle),
)

log = logging.getLogger("accountbot.commands")

BY_WORD: dict[str, Subcommand[Any]] = {s.word: s for s in SUBCOMMANDS}
WORDS: tuple[str, ...] = tuple(BY_WORD)
HELP_LINES: tuple[HelpLine, ...] = tuple(line for s in SUBCOMMANDS for line in s.help)


def usage_of(word: str) -> str | None:
    found = BY_WORD.get(word)
    return found.usage if found else None


def help_message(topic: str | None = None) -> Message:
    """`/account help [WORD]`: every subcommand's help lines (or only WORD's)."""
    return render_help(HELP_LINES, topic)


def close_subcommand(word: str) -> str | None:
    """The subcommand `word` is probably a typo of (`lst` -> `list`), if any."""
    found = process.extractOne(word.casefold(), list(WORDS), scorer=fuzz.ratio, score_cutoff=70)
    return found[0] if found else None


def dispatch(text: str | None, today: date) -> tuple[Subcommand[Any], Command]:
    """The entry `text` goes to and its command: an empty text is help, an unknown first word a name."""
    cleaned = clean_text(text)
    tokens = tokenize(cleaned) if cleaned else []
    if not tokens:
        return BY_WORD["help"], Help()
    head = tokens[0]
    entry = None if head.quoted else BY_WORD.get(head.word)
    if entry is None:
        if head.word in ("?", "-h", "--help"):
            return BY_WORD["help"], Help()
        # `/account Acme` = `grade Acme`
        return BY_WORD["grade"], Grade(join_name(tokens, usage=grade.USAGE), implicit=True)
    return entry, entry.parse(tokens[1:], today)


def parse(text: str | None, today: date) -> Command:
    """The command for `text` (what follows `/account`); raises CommandError with a helpful message."""
    return dispatch(text, today)[1]


def answer_text(ctx: BotContext, req: Request, text: str | None) -> Message:
    """Parse and run `/account <text>`; every failure becomes a helpful message."""
    try:
        entry, command = dispatch(text, today(ctx))
    except CommandError as exc:
        return render_problem(exc.message, exc.usage)
    for attempt in (1, 2):
        try:
            return entry.handle(ctx, req, command)
        except DBAPIError as exc:  # the database dropped the connection or is down
            log.warning("command_database_error team=%s sub=%s attempt=%d error=%s", req.team_id, entry.word,
                        attempt, type(exc.orig).__name__)  # fmt: skip
            if not (entry.read_only and attempt == 1):
                break  # a write is not repeated: its transaction rolled back, the person may try again
    return render_database_down()


def subcommand_of(text: str | None) -> str:
    """For logs: the subcommand word (never the rest of the text, which may name people)."""
    words = (text or "").split()
    if not words:
        return "help"
    return words[0].casefold() if words[0].casefold() in BY_WORD else "grade"
