"""`accountbot grade NAME` and `accountbot grade --all`: the verdict with its reasons, as rich text or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

import typer
from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from accountbot.cli.common import TeamOption, console, fail, open_runtime, resolve_team, session_scope
from accounts.model import Assessment
from storage.accounts import find_account
from storage.db import utcnow
from storage.portfolio import assess_workspace

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


def miss_message(name: str, suggestions: Sequence[str]) -> str:
    message = f"no account named {name!r}"
    if suggestions:
        message += f"; did you mean {', '.join(suggestions)}?"
    else:
        message += " (accountbot grade --all lists every account)."
    return message


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
    parts: list[object] = [head, ratings]
    if v.flags:
        parts.append(Text("Flags: " + ", ".join(v.flags), style="bold red"))
    if v.reasons:
        parts.append(Text("Why:", style="bold"))
        parts.extend(Text(f"  - {reason}") for reason in v.reasons)
    if v.next_step:
        parts.append(Text.assemble(("Next step: ", "bold"), v.next_step))
    if v.treatment:
        parts.append(Text.assemble(("Treatment: ", "bold"), v.treatment))
    return Panel(Group(*parts), title=Text(v.name, style="bold"), title_align="left", expand=False)  # type: ignore[arg-type]


def portfolio_table(verdicts: Sequence[Assessment]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=f"{len(verdicts)} account(s)")
    for col, justify in (("Account", "left"), ("Tier", "left"), ("Grade", "center"), ("Score", "right"), ("Quadrant", "left"), ("Flags", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
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


def print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    @app.command("grade")
    def grade_cmd(
        name: str | None = typer.Argument(None, help="Account name or alias (case-insensitive)."),
        all_: bool = typer.Option(False, "--all", help="Grade every account of the workspace."),
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
        team: str | None = TeamOption,
    ) -> None:
        """Show an account's tier, grade, quadrant and the reasons behind them (or all accounts with --all)."""
        if all_ == (name is not None):
            raise fail("give an account NAME or --all (not both, not neither). Example: accountbot grade 'Acme Corp'")
        rt = open_runtime()
        with session_scope(rt) as session:
            team_id = resolve_team(session, rt.settings, team)
            target = None
            if name is not None:
                lookup = find_account(session, team_id, name)
                if lookup.ambiguous:
                    names = ", ".join(c.name for c in lookup.candidates)
                    raise fail(f"{name!r} matches several accounts ({names}); use the full name.")
                if lookup.account is None:
                    raise fail(miss_message(name, lookup.suggestions))
                target = lookup.account.id
            verdicts = assess_workspace(session, team_id, utcnow(), rt.settings.thresholds)
        if target is not None:
            verdict = verdicts[target]
            if as_json:
                print_json(verdict.to_dict())
            else:
                console.print(grade_card(verdict))
            return
        ordered = portfolio_order(list(verdicts.values()))
        if as_json:
            print_json([v.to_dict() for v in ordered])
        elif not ordered:
            console.print(f"workspace {team_id} has no accounts yet: accountbot import accounts FILE")
        else:
            console.print(portfolio_table(ordered))

