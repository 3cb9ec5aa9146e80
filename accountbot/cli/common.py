"""What every command needs: settings, a database, the workspace to act on, clean error exits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import ConfigError, Settings, load_settings, redact_url
from storage.db import ensure_schema, make_engine, session_factory, workspace_ids
from storage.reads.slack_users import Unreachable

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a clear error (no traceback) and return the Exit to raise. `message` is plain text: names, paths
    and URLs in it are shown as typed, never read as rich markup (a "[/]" in an account name would raise)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
    return typer.Exit(code)


def database_error(exc: BaseException) -> str:
    """`Type: message` for a failed database call, on one line: the driver's own message (SQLAlchemy's text adds
    the statement, its parameters and a link), its line breaks folded, any URL's password hidden."""
    cause = getattr(exc, "orig", None) or exc
    return f"{type(cause).__name__}: {redact_url(' '.join(str(cause).split()))}"


def settings_or_exit(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        raise fail(str(exc)) from None


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]


def open_runtime(settings: Settings | None = None, *, migrate: bool = True) -> Runtime:
    settings = settings or settings_or_exit()
    try:
        engine = make_engine(settings.database_url)
    except (
        Exception
    ) as exc:  # e.g. postgresql+asyncpg:// passes the URL check but its driver is not installed
        raise fail(f"cannot use DATABASE_URL ({type(exc).__name__}: {redact_url(str(exc))}).") from None
    if migrate:
        try:
            ensure_schema(engine)
        except Exception as exc:  # connection refused, bad credentials, ...
            raise fail(f"cannot open the database ({database_error(exc)}). Check DATABASE_URL.") from None
    return Runtime(settings, engine, session_factory(engine))


TEAM_ID = re.compile(r"[A-Za-z0-9]{1,32}")


def resolve_team(session: Session, settings: Settings, team: str | None, *, create: bool = False) -> str:
    """--team, else SLACK_TEAM_ID, else the only workspace in the database; else a clear error."""
    if team or settings.slack_team_id:
        chosen = str(team or settings.slack_team_id)
        if not TEAM_ID.fullmatch(chosen):  # workspaces.team_id holds 32 characters: a longer one would crash
            raise fail(
                f"{chosen!r} is not a Slack team id: use 1 to 32 letters or digits, such as T0123ABCD."
            )
        return chosen
    teams = workspace_ids(session)
    if len(teams) == 1:
        return teams[0]
    if not teams:
        if create:
            raise fail("no workspace yet: pass --team T0123 (your Slack team id) or set SLACK_TEAM_ID.")
        raise fail(
            "the database holds no workspace yet: import accounts first (accountbot import accounts FILE --team T...)."
        )
    raise fail(f"several workspaces in the database ({', '.join(teams)}): pass --team or set SLACK_TEAM_ID.")


MAX_ROW_ID = (
    2**63 - 1
)  # row ids are 64-bit; a larger number is refused by typer instead of overflowing SQLite


def RowIdArgument(help: str) -> Any:  # noqa: N802 - used like typer.Argument (a default value)
    """A required row id argument (outbox message, feed): a positive 64-bit integer."""
    return typer.Argument(..., min=1, max=MAX_ROW_ID, help=help)


TeamOption = typer.Option(
    None, "--team", help="Slack team id (default: SLACK_TEAM_ID, else the only workspace)."
)


def print_unreachable(out: Console, team: str, people: Sequence[Unreachable]) -> None:
    """The owners the nudges cannot reach yet (`accountbot jobs run`, `accountbot outbox`), with why."""
    if not people:
        return
    out.print(Text(f"{team}: {len(people)} owner(s) get no nudge until the directory resolves them:"))
    for person in people:
        out.print(Text(f"  {person.who} ({person.accounts} account(s)): {person.reason}"))
