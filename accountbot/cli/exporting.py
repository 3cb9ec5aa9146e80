"""`accountbot export accounts|contacts|interactions|revenue [--team T] [--output FILE]`: the workspace's
records as CSV in the import format (storage.reads.exports), streamed, so a re-import changes nothing."""

from __future__ import annotations

import os
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TextIO

import typer
from sqlalchemy.orm import Session

from accountbot.cli.common import TeamOption, err_console, fail, open_runtime, resolve_team
from accounts.thresholds import Thresholds
from storage.db import utcnow
from storage.reads.exports import export_rows, write_csv


class ExportKind(StrEnum):
    accounts = "accounts"
    contacts = "contacts"
    interactions = "interactions"
    revenue = "revenue"


WHAT = {
    "accounts": "account(s)",
    "contacts": "contact(s)",
    "interactions": "interaction(s)",
    "revenue": "revenue month(s)",
}


def write_export(fh: TextIO, session: Session, team_id: str, kind: str, thresholds: Thresholds) -> int:
    """The export of `kind` as CSV to `fh` (header first, "\\n" line ends); returns the number of rows."""
    return write_csv(fh, kind, export_rows(session, team_id, kind, utcnow(), thresholds))


def _to_file(output: Path, session: Session, team_id: str, kind: str, thresholds: Thresholds) -> int:
    """Write beside `output` and rename at the end, so a failed export never leaves half a file behind."""
    directory = output.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            n = write_export(fh, session, team_id, kind, thresholds)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_cmd(
        kind: ExportKind = typer.Argument(..., help="What to export."),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write to this file instead of stdout."
        ),
        team: str | None = TeamOption,
    ) -> None:
        """Write accounts, contacts, interactions or revenue as CSV in the import format (re-importable);
        accounts also get the computed tier, grade, score and quadrant (for spreadsheets)."""
        rt = open_runtime()
        try:
            with rt.sessions.begin() as session:
                team_id = resolve_team(session, rt.settings, team)
                if output is None:
                    write_export(sys.stdout, session, team_id, kind.value, rt.settings.thresholds)
                    return
                n = _to_file(output, session, team_id, kind.value, rt.settings.thresholds)
        except OSError as exc:
            raise fail(f"cannot write {output} ({exc.strerror}).") from None
        except ValueError as exc:  # a malformed rating: the grading commands name it too
            raise fail(f"cannot grade the accounts ({exc}).") from None
        err_console.print(f"{n} {WHAT[kind.value]} written to {output}", highlight=False, markup=False)
