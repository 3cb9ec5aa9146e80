"""`accountbot demo`: offline, on a temporary SQLite database filled from the shipped sample data."""

from __future__ import annotations

import typer

from accountbot import demo_nudges
from accountbot.cli.common import console, settings_or_exit
from accountbot.demo import NUDGE_PREVIEWS, add_nudge_preview, run_demo
from storage.db import utcnow


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd() -> None:
        """Show the product on sample data: portfolio summary, a grade card, what the bot would say today."""
        settings = settings_or_exit()
        if demo_nudges.previews not in NUDGE_PREVIEWS:
            add_nudge_preview(demo_nudges.previews)
        run_demo(console, utcnow(), settings.thresholds)
