"""`accountbot db upgrade|current`."""

from __future__ import annotations

import typer

from accountbot.cli.common import console, database_error, fail, open_runtime
from storage.db import current_revision, head_revision, upgrade_schema


def register(app: typer.Typer) -> None:
    db = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)

    @db.command("upgrade")
    def upgrade() -> None:
        """Apply all migrations (safe to run again)."""
        rt = open_runtime(migrate=False)
        try:
            upgrade_schema(rt.engine)
        except Exception as exc:
            raise fail(f"migration failed ({database_error(exc)}). Check DATABASE_URL.") from None
        console.print(f"database at revision {current_revision(rt.engine)} (head {head_revision()})")

    @db.command("current")
    def current() -> None:
        """Show the schema revision."""
        rt = open_runtime(migrate=False)
        try:
            revision = current_revision(rt.engine)
        except Exception as exc:  # connection refused, bad credentials, unreadable file, ...
            raise fail(f"cannot read the database ({database_error(exc)}). Check DATABASE_URL.") from None
        console.print(f"current {revision}, head {head_revision()}")

    app.add_typer(db, name="db")
