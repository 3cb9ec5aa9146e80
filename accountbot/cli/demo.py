"""`accountbot demo`: offline, on a temporary SQLite database filled from the shipped sample data."""

from __future__ import annotations

import typer

from accountbot.cli.common import console, settings_or_exit
from accountbot.demo import run_demo
from storage.db import utcnow


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd() -> None:
        """Show the product on sample data: portfolio summary, a grade card, what the bot would say today."""
        settings = settings_or_exit()
        run_demo(console, utcnow(), settings.thresholds)
