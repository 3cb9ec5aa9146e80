"""How a verdict looks in a terminal: a grade card and a portfolio table (rich), shared by CLI and demo."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, JustifyMethod, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from accounts.model import Assessment

GRADE_STYLE = {"A": "bold green", "B": "bold yellow", "C": "bold red", None: "dim"}
LEVEL_STYLE = {"high": "green", "medium": "yellow", "low": "red", None: "dim"}
TIER_ORDER = {"key": 0, "secondary": 1, "prospect": 2}
RATING_LABELS = {
    "revenue": "Revenue",
    "wallet_share": "Wallet share",
    "profitability": "Profitability",
    "strategic_value": "Strategic value",
    "pain_factor": "Pain factor",
}


def portfolio_order(verdicts: Sequence[Assessment]) -> list[Assessment]:
    """Key tier first, then secondary, then prospects; within a tier by grade, then score (high first), then name."""
    return sorted(
        verdicts,
        key=lambda v: (TIER_ORDER.get(v.tier, 9), v.grade or "Z", -(v.score or 0), v.name.casefold()),
    )


def grade_card(v: Assessment) -> Panel:
    """One account's verdict: headline, ratings, flags, reasons, next step, treatment."""
    head = Text()
    head.append(f"{v.tier} tier", style="bold cyan" if v.tier == "key" else "cyan")
    head.append("  ·  grade ")
    head.append(v.grade or "-", style=GRADE_STYLE.get(v.grade, "dim"))
    if v.score is not None:
        head.append(f" (score {v.score})")
    head.append(f"  ·  {v.quadrant} quadrant")
    ratings = Table(box=box.SIMPLE, show_header=False, pad_edge=False)
    ratings.add_column("rating")
    ratings.add_column("level")
    for key, label in RATING_LABELS.items():
        level = v.ratings.get(key)
        ratings.add_row(label, Text(level or "unknown", style=LEVEL_STYLE.get(level, "dim")))
    parts: list[RenderableType] = [head, ratings]
    if v.flags:
        parts.append(Text("Flags: " + ", ".join(v.flags), style="bold red"))
    if v.reasons:
        parts.append(Text("Why:", style="bold"))
        parts.extend(Text(f"  - {reason}") for reason in v.reasons)
    if v.next_step:
        parts.append(Text.assemble(("Next step: ", "bold"), v.next_step))
    if v.treatment:
        parts.append(Text.assemble(("Treatment: ", "bold"), v.treatment))
    return Panel(Group(*parts), title=Text(v.name, style="bold"), title_align="left", expand=False)


def portfolio_table(verdicts: Sequence[Assessment]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=f"{len(verdicts)} account(s)")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("Account", "left"),
        ("Tier", "left"),
        ("Grade", "center"),
        ("Score", "right"),
        ("Quadrant", "left"),
        ("Flags", "left"),
    )
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for v in portfolio_order(verdicts):
        table.add_row(
            Text(v.name),
            v.tier,
            Text(v.grade or "-", style=GRADE_STYLE.get(v.grade, "dim")),
            "" if v.score is None else str(v.score),
            v.quadrant,
            Text(", ".join(v.flags), style="red"),
        )
    return table


def portfolio_lines(verdicts: Sequence[Assessment], name_width: int = 40) -> list[str]:
    """The same listing as plain aligned text: fast for very large portfolios (a rich table is not)."""
    ordered = portfolio_order(verdicts)
    width = min(name_width, max((len(v.name) for v in ordered), default=7))
    lines = [f"{'Account':<{width}}  {'Tier':<9}  Grade  Score  {'Quadrant':<11}  Flags"]
    for v in ordered:
        name = v.name if len(v.name) <= width else v.name[: width - 1] + "…"
        score = "" if v.score is None else str(v.score)
        lines.append(
            f"{name:<{width}}  {v.tier:<9}  {v.grade or '-':^5}  {score:>5}  {v.quadrant:<11}  {', '.join(v.flags)}"
        )
    return lines
