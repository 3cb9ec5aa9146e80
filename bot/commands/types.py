"""The shapes every subcommand shares: the commands the parsers produce, the Request (who asks, from
where), Refused and CommandError (a reply that ends a command early), and `in_session`, which runs a
handler in one unit of work. Nothing here talks to Slack or the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from typing import TypeVar

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.context import BotContext
from bot.permissions import Standing
from bot.render.blocks import Message
from bot.render.replies import render_problem

TOUCH_KINDS: tuple[str, ...] = ("meeting", "call", "video", "email", "visit", "review", "other")
LIST_FILTERS: tuple[str, ...] = (
    "key",
    "secondary",
    "a",
    "b",
    "c",
    "mine",
    "stale",
    "prospects",
    "growth",
    "maintenance",
    "service",
)


class CommandError(ValueError):
    """The text could not be understood. `str(err)` is the message for the user; `usage` an example."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


# ---------------------------------------------------------------------------------------------- commands


class Command:
    """What a parser returns. Every command is a frozen dataclass subclassing this."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Help(Command):
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class Grade(Command):
    name: str
    implicit: bool = False  # `/account NAME` without the word `grade`: maybe a mistyped subcommand


@dataclass(frozen=True, slots=True)
class ListAccounts(Command):
    filter: str | None = None
    page: int = 1


@dataclass(frozen=True, slots=True)
class LogTouch(Command):
    name: str
    kind: str
    contact: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Contacts(Command):
    name: str


@dataclass(frozen=True, slots=True)
class ContactAdd(Command):
    name: str
    full_name: str
    title: str | None = None
    decision_maker: bool = False


@dataclass(frozen=True, slots=True)
class ContactLeft(Command):
    name: str
    full_name: str


@dataclass(frozen=True, slots=True)
class SetField(Command):
    """`value` is already validated and typed: str | float | list[str] | None (None clears)."""

    name: str
    field: str
    value: object
    sponsor_level: str | None = None


@dataclass(frozen=True, slots=True)
class Snooze(Command):
    name: str
    until: date
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Focus(Command):
    pass


@dataclass(frozen=True, slots=True)
class Feeds(Command):
    action: str = "list"  # list | add
    url: str | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class Chart(Command):
    """`chart quadrant [mine|all] [in #channel]` / `chart concentration [in #channel]`.
    `scope` None means the default (mine when the requester owns accounts, else all); `channel` None means
    the requester's DM."""

    kind: str  # quadrant | concentration
    scope: str | None = None
    channel: str | None = None


# ---------------------------------------------------------------------------------------------- requests


@dataclass
class Request:
    """Who asks, from which workspace and channel. `admin()` answers (and caches) whether they are an admin;
    `standing()` (when set) is the users.info look-up behind it, shared with the membership check.
    `started` (perf_counter) is when the request was read, for the timings in the logs."""

    team_id: str
    user_id: str
    channel_id: str | None
    admin: Callable[[], bool]
    client: WebClient | None = None  # the Web API client of the request (charts upload with it); None offline
    standing: Callable[[], Standing] | None = None
    started: float = field(default_factory=time.perf_counter)
    enterprise_id: str | None = (
        None  # Enterprise Grid: the organisation the request came from (Bolt's context)
    )
    org_wide: bool = False  # an org-wide installation (context.is_enterprise_install)

    def admin_check_failed(self) -> bool:
        """Not an admin only because users.info failed (the refusal then says the check failed)."""
        return self.standing is not None and not self.admin() and self.standing().failed


class Refused(Exception):
    """A reply that ends the command early (not found, ambiguous, not allowed)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.text)
        self.message = message


C = TypeVar("C", bound=Command)
Handler = Callable[[BotContext, Request, C], Message]
SessionHandler = Callable[[BotContext, Request, Session, C], Message]


def in_session(handler: SessionHandler[C]) -> Handler[C]:
    """The handler run in one unit of work; Refused and CommandError become the reply (nothing is written)."""

    def run(ctx: BotContext, req: Request, command: C) -> Message:
        try:
            with ctx.sessions.begin() as session:
                return handler(ctx, req, session, command)
        except Refused as stop:
            return stop.message
        except CommandError as exc:
            return render_problem(exc.message, exc.usage)

    run.__name__ = run.__qualname__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def today(ctx: BotContext) -> date:
    return ctx.now().astimezone(UTC).date()


# The furthest time zone ahead of UTC (Line Islands, UTC+14): its date is the latest "today" anywhere.
EARLIEST_ZONE_AHEAD = timedelta(hours=14)


def latest_today(ctx: BotContext) -> date:
    """The latest date that is today somewhere on Earth: a person ahead of UTC may log a touch on their own
    today before it is today in UTC."""
    return (ctx.now().astimezone(UTC) + EARLIEST_ZONE_AHEAD).date()
