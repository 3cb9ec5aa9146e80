"""The `accountbot` command. Each area registers its commands from its own module."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="accountbot",
    help="Key-account management for Slack: tiers, grades, neglect nudges and client news.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Modules under accountbot.cli that define `register(app: typer.Typer) -> None`.
COMMAND_MODULES = (
    "db", "grading", "importing", "exporting", "demo", "run", "jobs", "outbox", "news", "workspaces", "crm",
    "reports", "escalation",
)  # fmt: skip


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"accountbot.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"accountbot.cli.{name}":
                continue  # that area has not landed yet
            raise
        module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> None:
    """The entry point: a database that stops answering mid-command is one line naming it, and exit 1, never a
    traceback with SQL in it."""
    from sqlalchemy.exc import SQLAlchemyError

    from accountbot.cli.common import fail

    try:
        app(argv)
    except SQLAlchemyError as exc:
        cause = type(getattr(exc, "orig", None) or exc).__name__
        raise SystemExit(
            fail(
                f"the database stopped answering ({cause}). Check that it is up and reachable at DATABASE_URL, "
                "then run the command again (each change is all or nothing)."
            ).exit_code
        ) from None
