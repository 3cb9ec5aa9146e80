"""`accountbot demo`: offline, on a temporary SQLite database filled from the shipped sample data."""

from __future__ import annotations

from pathlib import Path

import typer

from accountbot import demo_charts, demo_nudges
from accountbot.cli.common import console, fail, settings_or_exit
from accountbot.demo import NUDGE_PREVIEWS, SECTIONS, add_nudge_preview, add_section, run_demo
from storage.db import utcnow

CHARTS_SECTION = "Portfolio pictures"
DEFAULT_OUT = Path("demo-output")


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        out: Path = typer.Option(
            DEFAULT_OUT,
            "--out",
            help="Folder for the portfolio charts (quadrant.png, concentration.png); created if missing.",
        ),
    ) -> None:
        """Show the product on sample data: portfolio summary, charts, a grade card, what the bot would say today."""
        settings = settings_or_exit()
        if out.exists() and not out.is_dir():
            raise fail(f"--out {str(out)!r} is a file, not a folder; give a folder for the chart files.")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise fail(
                f"--out {str(out)!r}: cannot create that folder ({exc.strerror or type(exc).__name__})."
            ) from None
        if demo_nudges.previews not in NUDGE_PREVIEWS:
            add_nudge_preview(demo_nudges.previews)
        if all(title != CHARTS_SECTION for title, _s in SECTIONS):
            add_section(CHARTS_SECTION, demo_charts.section, before="Grade card of a key account")
        run_demo(console, utcnow(), settings.thresholds, out_dir=out)
