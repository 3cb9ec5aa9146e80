"""`accountbot import accounts|contacts|interactions|revenue FILE` (`accountbot export` is in exporting.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from accountbot.cli.common import (
    TeamOption,
    console,
    err_console,
    fail,
    open_runtime,
    resolve_team,
)
from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds
from storage.db import ensure_workspace, utcnow
from storage.importing.csv_formats import BadFile, count_lines
from storage.importing.files import import_file
from storage.importing.rows import ImportRejected, ImportResult

INVALID_INPUT = 2  # exit status when the file is refused
TEAM_ID = re.compile(r"[A-Za-z0-9]{1,32}")


class Kind(StrEnum):
    accounts = "accounts"
    contacts = "contacts"
    interactions = "interactions"
    revenue = "revenue"


@contextmanager
def _progress(total: int) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """Two progress callbacks (checking, writing); a rich bar only when stdout is a terminal."""
    if not console.is_terminal:
        yield (lambda _n: None), (lambda _n: None)
        return
    columns = (TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        check = bar.add_task("checking", total=total)
        write = bar.add_task("writing", total=total, start=False)  # its clock starts with the first write

        def wrote(n: int) -> None:
            bar.start_task(write)
            bar.advance(write, n)

        yield (lambda n: bar.advance(check, n)), wrote


def say_error(message: str) -> None:
    """`error: ...` on stderr, never wrapped (so each message stays one line for people and scripts)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def report_rejection(path: Path, exc: ImportRejected) -> None:
    say = err_console.print
    say_error(f"{path}: {exc.total} problem(s); nothing was imported.")
    for error in exc.errors:
        say(f"  {error}", markup=False, highlight=False, soft_wrap=True)
    if exc.total > len(exc.errors):
        say(f"  ... and {exc.total - len(exc.errors)} more", markup=False, highlight=False, soft_wrap=True)
    say("Fix these rows and import the file again.", highlight=False, soft_wrap=True)


def run_import(
    session: Session, team_id: str, kind: str, path: Path, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> ImportResult:
    """Parse and import one file in the caller's transaction; raises BadFile or ImportRejected."""
    try:
        total = count_lines(path) if path.is_file() else 0
    except OSError:  # unreadable: the import explains why, as a BadFile
        total = 0
    with _progress(total) as (checked, written):
        return import_file(
            session, team_id, kind, path, utcnow(), thresholds, checked=checked, written=written
        )


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_cmd(
        kind: Kind = typer.Argument(..., help="What the file holds."),
        file: Path = typer.Argument(..., help="CSV file (UTF-8, comma-separated, header on line 1)."),
        team: str | None = TeamOption,
    ) -> None:
        """Import a CSV file: all rows or none. Importing the same file again changes nothing."""
        rt = open_runtime()
        try:
            with rt.sessions.begin() as session:
                team_id = resolve_team(session, rt.settings, team, create=True)
                if not TEAM_ID.fullmatch(team_id):
                    raise fail(
                        f"{team_id!r} is not a Slack team id: use 1 to 32 letters or digits, such as T0123ABCD."
                    )
                ensure_workspace(session, team_id)
                result = run_import(session, team_id, kind.value, file, rt.settings.thresholds)
        except BadFile as exc:
            say_error(f"{file}: {exc}")
            raise typer.Exit(INVALID_INPUT) from None
        except ImportRejected as exc:
            report_rejection(file, exc)
            raise typer.Exit(INVALID_INPUT) from None
        except OperationalError as exc:  # locked, unreachable, disk full: the transaction was rolled back
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise fail(
                f"the database refused the import ({reason}); nothing was imported. Try again."
            ) from None
        console.print(
            f"{result.kind}: {result.rows} row(s) read from {file} - {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged (workspace {team_id}).",
            highlight=False,
            soft_wrap=True,
            markup=False,  # the file name is shown as typed
        )
        for note in result.notes:
            console.print(f"  note: {note}", highlight=False, markup=False)
