"""`accountbot demo`: the product in one command, offline, on a temporary SQLite database.

`load_sample` shifts the sample data so it ends today and imports it like `accountbot import`; the demo is a
list of sections, extended with `add_section(title, fn)` and `add_nudge_preview(fn)`.
See docs/data.md#the-demo-and-its-sample-data.
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from rich import box
from rich.columns import Columns
from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from accountbot.gradecard import grade_card, portfolio_order
from accountbot.sample_data.generate import EXECUTIVES, REFERENCE_DATE, SPONSORS, STORY, TEAM
from accounts.model import AccountFacts, Assessment
from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds
from storage.db import ensure_schema, ensure_workspace, make_engine, session_factory
from storage.importing.files import import_file
from storage.importing.rows import ImportResult
from storage.reads.accounts import find_account
from storage.reads.assessments import assess_workspace, load_facts
from storage.writes.edits import set_field
from storage.writes.slack_users import remember_slack_user

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"
DEMO_TEAM = "TDEMO0001"
DEMO_ADMIN = "U01AMARA"  # who "made" the demo's Slack-side changes (sponsors) in the audit trail
CARD_ACCOUNT = "Mercury Freight Lines"  # a key account whose card shows a story (one person on each side)


# ------------------------------------------------------------------------------------------- loading


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + (later.month - earlier.month)


def shift_month(text: str, months: int) -> str:
    year, month = (int(p) for p in text.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def shift_when(text: str, days: int) -> str:
    if "T" in text or " " in text.strip():
        return (datetime.fromisoformat(text) + timedelta(days=days)).isoformat(timespec="minutes")
    return (date.fromisoformat(text) + timedelta(days=days)).isoformat()


def shifted_csv(kind: str, today: date, source: Path = SAMPLE_DIR) -> bytes:
    """A sample file with its dates moved so that REFERENCE_DATE becomes `today`."""
    text = (source / f"{kind}.csv").read_text(encoding="utf-8")
    if kind not in ("interactions", "revenue"):
        return text.encode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    days = (today - REFERENCE_DATE).days
    months = months_between(REFERENCE_DATE, today)
    for row in rows:
        if kind == "interactions":
            row["date"] = shift_when(row["date"], days)
        else:
            row["month"] = shift_month(row["month"], months)
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def load_sample(
    session: Session, team_id: str, now: datetime, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> dict[str, ImportResult]:
    """Import the four sample files (dates shifted to end today), the demo team's Slack users and sponsors."""
    ensure_workspace(session, team_id, name="Demo workspace")
    for user_id, real_name in (TEAM | EXECUTIVES).items():
        email = f"{real_name.split()[0].lower()}@example.com"
        remember_slack_user(
            session,
            team_id=team_id,
            user_id=user_id,
            is_admin=False,
            now=now,
            tz="UTC",
            real_name=real_name,
            email=email,
        )
    results = {}
    for kind in ("accounts", "contacts", "interactions", "revenue"):
        results[kind] = import_file(session, team_id, kind, shifted_csv(kind, now.date()), now, thresholds)
    for name, (sponsor, level) in SPONSORS.items():
        account = find_account(session, team_id, name).account
        if account is None:
            raise LookupError(f"sample data: SPONSORS names {name!r}, which is not in accounts.csv")
        for field_name, value in (("sponsor", sponsor), ("sponsor_level", level)):
            set_field(
                session,
                team_id=team_id,
                account_id=account.id,
                field=field_name,
                value=value,
                user_id=DEMO_ADMIN,
                now=now,
            )
    return results


# ------------------------------------------------------------------------------------------- sections


@dataclass
class DemoContext:
    console: Console
    sessions: sessionmaker[Session]
    team_id: str
    now: datetime
    thresholds: Thresholds
    verdicts: dict[int, Assessment] = field(default_factory=dict)  # account id -> verdict, computed once
    facts: dict[int, AccountFacts] = field(default_factory=dict)  # account id -> what the rules saw
    out_dir: Path | None = None  # where sections that write files (the portfolio charts) put them


Section = Callable[[DemoContext], None]


@dataclass(frozen=True)
class NudgePreview:
    """One message the bot would send today: who gets it, and its text as it reads in Slack."""

    title: str  # e.g. "Daily digest for @Amara"
    text: str


NudgePreviewer = Callable[[DemoContext], list[NudgePreview]]
NUDGE_PREVIEWS: list[NudgePreviewer] = []


def add_nudge_preview(previewer: NudgePreviewer) -> None:
    """Hook: show this previewer's messages under "What the bot would say today"."""
    NUDGE_PREVIEWS.append(previewer)


def portfolio_summary(ctx: DemoContext) -> None:
    verdicts = list(ctx.verdicts.values())
    tiers: Counter[str] = Counter(v.tier for v in verdicts)
    grades: Counter[tuple[str, str]] = Counter((v.tier, v.grade) for v in verdicts if v.grade)
    quadrants: Counter[str] = Counter(v.quadrant for v in verdicts)

    by_tier = Table(
        "Tier", "Accounts", "A", "B", "C", box=box.SIMPLE_HEAD, title="Accounts per tier and grade"
    )
    for tier in ("key", "secondary", "prospect"):
        cells = [str(grades[(tier, g)]) if tier != "prospect" else "-" for g in "ABC"]
        by_tier.add_row(tier, str(tiers[tier]), *cells)
    by_quadrant = Table("Quadrant", "Accounts", box=box.SIMPLE_HEAD, title="Engagement x potential")
    for quadrant, label in (("key", "key (high, high)"), ("maintenance", "maintenance (high, low)"),
                            ("growth", "growth (low, high)"), ("service", "service (low, low)")):  # fmt: skip
        by_quadrant.add_row(label, str(quadrants[quadrant]))
    ctx.console.print(Columns([by_tier, by_quadrant], padding=(0, 4)))

    revenue = {acc_id: f.annual_revenue or 0.0 for acc_id, f in ctx.facts.items()}
    clients = [v for v in verdicts if v.tier != "prospect"]
    total = sum(revenue[v.id] for v in clients if v.id is not None)
    key = sum(revenue[v.id] for v in clients if v.tier == "key" and v.id is not None)
    share = 100 * key / total if total else 0.0
    ctx.console.print(
        f"Revenue concentration: the {tiers['key']} key accounts earn [bold]{share:.0f}%[/] of "
        f"${total:,.0f} annual client revenue ({len(clients)} clients)."
    )
    flagged = [v for v in portfolio_order(verdicts) if v.flags]
    if flagged:
        ctx.console.print(
            "Flagged: " + "; ".join(f"{v.name} ({', '.join(v.flags)})" for v in flagged), highlight=False
        )


def key_account_card(ctx: DemoContext) -> None:
    key = [v for v in portfolio_order(list(ctx.verdicts.values())) if v.tier == "key"]
    if not key:
        ctx.console.print("No key accounts.")
        return
    chosen = next((v for v in key if v.name == CARD_ACCOUNT), key[0])
    ctx.console.print(grade_card(chosen))
    ctx.console.print(
        f"Try it yourself: accountbot grade {chosen.name!r} --json", style="dim", highlight=False
    )


def bot_would_say(ctx: DemoContext) -> None:
    previews = [p for previewer in NUDGE_PREVIEWS for p in previewer(ctx)]
    if not previews:
        ctx.console.print(
            "No nudge previews are registered (see accountbot.demo.add_nudge_preview). The story the sample "
            "data tells, for the nudges to find:",
            style="dim",
        )
        for theme, names in STORY.items():
            ctx.console.print(f"  - {theme}: {', '.join(names)}", highlight=False)
        return
    for preview in previews:
        ctx.console.print(Rule(preview.title, align="left", style="cyan"))
        ctx.console.print(preview.text, markup=False, highlight=False)


SECTIONS: list[tuple[str, Section]] = [
    ("Portfolio summary", portfolio_summary),
    ("Grade card of a key account", key_account_card),
    ("What the bot would say today", bot_would_say),
]


def add_section(title: str, section: Section, *, before: str | None = None) -> None:
    """Hook: add a section at the end, or before the section titled `before`."""
    index = next((i for i, (t, _s) in enumerate(SECTIONS) if t == before), len(SECTIONS))
    SECTIONS.insert(index, (title, section))


# ------------------------------------------------------------------------------------------- running


def run_demo(
    console: Console,
    now: datetime,
    thresholds: Thresholds,
    workdir: Path | None = None,
    out_dir: Path | None = None,
) -> DemoContext:
    """Build the demo database in `workdir` (a temporary directory if None), then print every section.
    Sections that write files (the portfolio charts) write them into `out_dir`."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="accountbot-demo-") as tmp:
        db = (workdir or Path(tmp)) / "demo.db"
        engine = make_engine(f"sqlite:///{db}")
        try:
            ensure_schema(engine)
            sessions = session_factory(engine)
            with sessions.begin() as session:
                loaded = load_sample(session, DEMO_TEAM, now, thresholds)
            ctx = DemoContext(console, sessions, DEMO_TEAM, now, thresholds, out_dir=out_dir)
            with sessions.begin() as session:
                ctx.facts = {
                    f.id: f for f in load_facts(session, DEMO_TEAM, now, thresholds) if f.id is not None
                }
                ctx.verdicts = assess_workspace(session, DEMO_TEAM, now, thresholds)
            counts = ", ".join(f"{r.rows} {kind}" for kind, r in loaded.items())
            console.print(
                f"[bold]accountbot demo[/] - sample workspace {DEMO_TEAM}: {counts} "
                f"(dates shifted to end {now.date().isoformat()}).",
                highlight=False,
            )
            for title, section in SECTIONS:
                console.print()
                console.print(Rule(f"[bold]{title}", align="left"))
                section(ctx)
        finally:
            engine.dispose()
    console.print()
    console.print(f"Done in {time.perf_counter() - started:.1f} s. The database was temporary.", style="dim")
    return ctx
