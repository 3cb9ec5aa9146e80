"""`accountbot demo` end to end (a real process), the shipped sample data and its date shifting."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console

import accountbot.demo as demo
from accountbot.sample_data.generate import REFERENCE_DATE, build, write_sample
from accounts.thresholds import Thresholds

SAMPLE = Path(demo.__file__).resolve().parent / "sample_data"


def test_demo_runs_offline_and_prints_every_section(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SLACK_TEAM_ID")}
    env |= {"COLUMNS": "120", "DATABASE_URL": f"sqlite:///{tmp_path / 'untouched.db'}"}
    proc = subprocess.run(
        [sys.executable, "-c", "from accountbot.cli import main; main()", "demo"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for needle in (
        "Portfolio summary",
        "Accounts per tier and grade",
        "Revenue concentration: the 13 key accounts earn",
        "Grade card of a key account",
        "Mercury Freight Lines",
        "Why:",
        "What the bot would say today",
        "60 accounts, 189 contacts",
        # the real jobs' outbox rows, rendered by the relay's renderers
        "digest - DM to Chloe Nakamura",
        "Atlas Mutual Insurance*: last touch",
        "weekly focus - DM to",
        "tier change - DM to Benoît Laurent",
        "*Mercury Freight Lines* is now a *key account, grade B* (was key account, grade",
        "news alert - #news",
        "[Open grade] [Not relevant]",
    ):
        assert needle in out, needle
    assert not (tmp_path / "untouched.db").exists()  # the demo never touches DATABASE_URL
    assert "Portfolio pictures" in out and "Wrote demo-output/quadrant.png" in out  # the default --out
    assert (tmp_path / "demo-output" / "concentration.png").stat().st_size > 0
    assert "Jaguar Robotics" in out and "Rare jaguar spotted" not in out  # precise news matching
    assert "Traceback" not in out + proc.stderr


def test_shipped_sample_files_are_the_generators_output(tmp_path: Path) -> None:
    written = write_sample(tmp_path)
    for kind, path in written.items():
        assert path.read_bytes() == (SAMPLE / f"{kind}.csv").read_bytes(), kind
    data = build()
    assert len(data.accounts) == 60 and len({a["name"] for a in data.accounts}) == 60


def test_dates_shift_so_the_data_ends_today() -> None:
    today = date(2027, 2, 10)
    touches = list(csv.DictReader(io.StringIO(demo.shifted_csv("interactions", today).decode())))
    original = list(csv.DictReader(io.StringIO((SAMPLE / "interactions.csv").read_text(encoding="utf-8"))))
    last_original = max(datetime.fromisoformat(r["date"]) for r in original).date()
    last_shifted = max(datetime.fromisoformat(r["date"]) for r in touches).date()
    assert (REFERENCE_DATE - last_original) == (today - last_shifted)
    months = [r["month"] for r in csv.DictReader(io.StringIO(demo.shifted_csv("revenue", today).decode()))]
    assert max(months) == "2027-01"  # the last complete month before today
    assert demo.shift_month("2026-12", 1) == "2027-01" and demo.shift_month("2026-01", -1) == "2025-12"


def test_the_story_holds_on_any_day() -> None:
    """Sections see the same portfolio whatever the date (spot-check two days far apart)."""
    seen = []
    for day in (datetime(2026, 11, 24, 9, tzinfo=UTC), datetime(2031, 3, 1, 16, tzinfo=UTC)):
        console = Console(file=io.StringIO(), width=120, color_system=None)
        ctx = demo.run_demo(console, day, Thresholds())
        seen.append(
            sorted((v.name, v.tier, v.grade, v.quadrant, tuple(v.flags)) for v in ctx.verdicts.values())
        )
    assert seen[0] == seen[1]
    by_name = {name: (tier, grade, quadrant, flags) for name, tier, grade, quadrant, flags in seen[0]}
    assert by_name["Mercury Freight Lines"][0] == "key"
    assert "laggard" in by_name["Halcyon Retail Group"][3] and "shed" in by_name["Bluefin Seafoods"][3]
    assert by_name["Lumen Biotech"][:2] == ("prospect", None)
    assert by_name["Northwind Health Systems"][2] == "key"  # engaged and with room to grow


def test_add_section_hook_runs_extra_sections() -> None:
    calls: list[str] = []
    demo.add_section("Extra", lambda ctx: calls.append(ctx.team_id), before="What the bot would say today")
    try:
        titles = [t for t, _ in demo.SECTIONS]
        assert titles.index("Extra") == titles.index("What the bot would say today") - 1
        demo.run_demo(Console(file=io.StringIO()), datetime(2026, 11, 24, tzinfo=UTC), Thresholds())
        assert calls == [demo.DEMO_TEAM]
    finally:
        demo.SECTIONS[:] = [s for s in demo.SECTIONS if s[0] != "Extra"]


def test_the_nudges_find_the_story_in_the_sample_data(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Loaded as the demo loads it, the sample data makes the daily digest name the story's accounts."""
    import json

    from typer.testing import CliRunner

    from accountbot.cli import app
    from storage.db import ensure_schema, make_engine, session_factory

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'story.db'}"
    now = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # owners are in UTC: their digest is due at 09:00
    engine = make_engine(url)
    ensure_schema(engine)
    with session_factory(engine).begin() as session:
        demo.load_sample(session, demo.DEMO_TEAM, now)
    engine.dispose()
    result = CliRunner().invoke(
        app, ["jobs", "run", "digest", "--dry-run", "--json", "--at", now.isoformat()],
        env={"DATABASE_URL": url, "SLACK_TEAM_ID": None},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said: dict[str, set[str]] = {}
    for message in json.loads(result.stdout):
        for section, names in message.items():
            if section != "recipient":
                said.setdefault(section, set()).update(names)
    assert {"Atlas Mutual Insurance", "Summit Savings Bank"} <= said["stale"]
    assert "Mercury Freight Lines" in said["single_point_of_failure"]
    assert said["revenue_drop"] == {"Delta Water Utilities"}
    assert {"Atlas Mutual Insurance", "Summit Savings Bank", "Juniper Learning"} == said["sponsor_missing"]
