"""`accountbot import accounts|contacts|interactions|revenue FILE` (`accountbot export` is in exporting.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

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
from storage.importing.batch import ImportOptions, Refused, import_batch, parse_rate
from storage.importing.csv_formats import BadFile, count_lines
from storage.importing.files import import_file
from storage.importing.report import Report
from storage.importing.rows import ImportRejected, ImportResult

INVALID_INPUT = 2  # exit status when the file is refused
TEAM_ID = re.compile(r"[A-Za-z0-9]{1,32}")


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


class Source(StrEnum):
    hubspot = "hubspot"
    salesforce = "salesforce"
    pipedrive = "pipedrive"
    accountbot = "accountbot"


class DateOrder(StrEnum):
    mdy = "mdy"
    dmy = "dmy"
    ymd = "ymd"


LEGACY_KINDS = ("accounts", "contacts", "interactions", "revenue")
KIND_WORDS = (*LEGACY_KINDS, "users", "activities", "deals", "opportunities")


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


def _legacy_import(kind: str, file: Path, team: str | None) -> None:
    """`accountbot import KIND FILE`: one file of accountbot's own format, with today's output."""
    rt = open_runtime()
    try:
        with rt.sessions.begin() as session:
            team_id = _team(session, rt, team)
            result = run_import(session, team_id, kind, file, rt.settings.thresholds)
    except BadFile as exc:
        say_error(f"{file}: {exc}")
        raise typer.Exit(INVALID_INPUT) from None
    except ImportRejected as exc:
        report_rejection(file, exc)
        raise typer.Exit(INVALID_INPUT) from None
    except OperationalError as exc:  # locked, unreachable, disk full: the transaction was rolled back
        raise fail(
            f"the database refused the import ({_reason(exc)}); nothing was imported. Try again."
        ) from None
    _count_rows(result, rt.settings)
    console.print(
        f"{result.kind}: {result.rows} row(s) read from {file} - {result.created} created, "
        f"{result.updated} updated, {result.unchanged} unchanged (workspace {team_id}).",
        highlight=False,
        soft_wrap=True,
        markup=False,  # the file name is shown as typed
    )
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False, markup=False)


def _count_rows(result: ImportResult | Report, settings: Any) -> None:
    """Rows imported by outcome (bot.metrics), pushed to METRICS_PUSHGATEWAY when set: the command ends
    before any scrape. A push that fails is a warning, never a failed import."""
    from bot import metrics

    metrics.count_import(result)
    if settings.metrics_pushgateway:
        try:
            metrics.push_import(settings.metrics_pushgateway)
        except Exception as exc:
            err_console.print(f"warning: could not push the metrics ({type(exc).__name__}).", markup=False)


def _team(session: Session, rt: Any, team: str | None) -> str:
    team_id = resolve_team(session, rt.settings, team, create=True)
    if not TEAM_ID.fullmatch(team_id):
        raise fail(f"{team_id!r} is not a Slack team id: use 1 to 32 letters or digits, such as T0123ABCD.")
    ensure_workspace(session, team_id)
    return team_id


def _reason(exc: OperationalError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__


@contextmanager
def _row_counter(enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A live count of the rows read, on a terminal only."""
    if not enabled or not err_console.is_terminal:
        yield None
        return
    columns = (
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("importing", total=None)
        yield lambda n: bar.advance(task, n)


def _batch_import(paths: list[Path], options: ImportOptions, team: str | None, as_json: bool) -> None:
    """Run the batch in one transaction: commit, or roll back for --dry-run and on refusal."""
    rt = open_runtime()
    try:
        with rt.sessions() as session:
            team_id = _team(session, rt, team)
            try:
                with _row_counter(not as_json) as progress:
                    report = import_batch(
                        session, team_id, paths, options, utcnow(), rt.settings.thresholds, progress
                    )
            except Refused as exc:
                session.rollback()
                if as_json:
                    print(json.dumps({"error": str(exc), "dry_run": options.dry_run}, ensure_ascii=False))
                say_error(f"{exc} Nothing was imported.")
                raise typer.Exit(INVALID_INPUT) from None
            if options.dry_run:
                session.rollback()
            else:
                session.commit()
    except OperationalError as exc:
        raise fail(
            f"the database refused the import ({_reason(exc)}); nothing was imported. Try again."
        ) from None
    if not options.dry_run:
        _count_rows(report, rt.settings)
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
        return
    for line in report.summary():
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    verb = "would be imported (dry run: nothing written)" if options.dry_run else "imported"
    console.print(f"workspace {team_id}: {verb}.", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_cmd(
        args: list[str] = typer.Argument(
            ...,
            metavar="FILE...",
            help="Export files (CSV, XLSX or ZIP) of any source and kind, in any order; or the old form KIND FILE.",
        ),
        source: Source | None = typer.Option(
            None, "--from", help="The CRM the files come from (default: detected)."
        ),
        kind: str | None = typer.Option(
            None,
            "--kind",
            help="users, accounts, contacts, activities, deals or revenue (default: detected).",
        ),
        tz: str | None = typer.Option(
            None, "--tz", help="Time zone of date-times without an offset, e.g. Europe/Berlin."
        ),
        dates: DateOrder | None = typer.Option(
            None, "--dates", help="Order of numeric dates: mdy, dmy or ymd."
        ),
        encoding: str | None = typer.Option(
            None, "--encoding", help="Encoding of files that are not UTF-8, e.g. latin-1."
        ),
        owners: Path | None = typer.Option(
            None, "--owners", help="Owner directory: names or CRM user ids -> emails."
        ),
        mapping: Path | None = typer.Option(
            None, "--mapping", help="TOML mapping file (docs/data.md#the-mapping-file)."
        ),
        currency: str = typer.Option("USD", "--currency", help="The workspace currency."),
        rate: list[str] = typer.Option(
            [], "--rate", help="CUR=RATE: 1 CUR is worth RATE of the workspace currency."
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Read everything, write nothing, report."),
        strict: bool = typer.Option(
            False, "--strict", help="Refuse the batch if any data row would be skipped."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
        team: str | None = TeamOption,
    ) -> None:
        """Import CRM exports (HubSpot, Salesforce, Pipedrive) or accountbot CSV files: all or nothing, safe to repeat.

        Exit status: 0 imported (or importable with --dry-run), 2 refused (nothing written), 1 other errors."""
        legacy = len(args) == 2 and args[0] in LEGACY_KINDS and not Path(args[0]).is_file()
        if legacy and not (source or kind or tz or dates or encoding or owners or mapping or rate or dry_run
                           or strict or as_json or currency != "USD"):  # fmt: skip
            _legacy_import(args[0], Path(args[1]), team)
            return
        if args[0] in LEGACY_KINDS and not Path(args[0]).is_file():
            kind, args = kind or args[0], args[1:]
            source = source or Source.accountbot
        for arg in args:
            if not Path(arg).exists():
                hint = f" (to say what a file holds, use --kind {arg})" if arg in KIND_WORDS else ""
                raise fail(f"{arg}: no such file{hint}.", INVALID_INPUT)
        try:
            rates = dict(parse_rate(r) for r in rate)
        except ValueError as exc:
            raise fail(str(exc), INVALID_INPUT) from None
        if not re.fullmatch(r"[A-Za-z]{3}", currency):
            raise fail(
                f"--currency {currency!r}: use a three-letter ISO code such as USD or EUR.", INVALID_INPUT
            )
        options = ImportOptions(
            source=source.value if source else None, kind=kind, tz=tz, dates=dates.value if dates else None,
            encoding=encoding, owners=owners, mapping=mapping, currency=currency.upper(), rates=rates,
            dry_run=dry_run, strict=strict,
        )  # fmt: skip
        _batch_import([Path(a) for a in args], options, team, as_json)
