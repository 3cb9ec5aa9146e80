"""`accountbot grade NAME` and `accountbot grade --all`: the verdict with its reasons, as rich text or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

import typer

from accountbot.cli.common import TeamOption, console, fail, open_runtime, resolve_team
from accountbot.gradecard import grade_card, portfolio_lines, portfolio_order, portfolio_table
from storage.db import utcnow
from storage.reads.accounts import find_account, labels
from storage.reads.assessments import assess_workspace

TABLE_LIMIT = (
    1000  # above this many accounts --all prints plain lines: a rich table of 100,000 rows takes minutes
)


def miss_message(name: str, suggestions: Sequence[str]) -> str:
    message = f"no account named {name!r}"
    if suggestions:
        message += f"; did you mean {', '.join(suggestions)}?"
    else:
        message += " (accountbot grade --all lists every account)."
    return message


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
            raise fail(
                "give an account NAME or --all (not both, not neither). Example: accountbot grade 'Acme Corp'"
            )
        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team)
            target = None
            if name is not None:
                lookup = find_account(session, team_id, name)
                if lookup.ambiguous:
                    shown = labels(lookup.candidates)
                    how = (
                        "the CRM id as shown"
                        if any(c.source_id for c in lookup.candidates)
                        else "the full name"
                    )
                    raise fail(f"{name!r} matches several accounts ({', '.join(shown)}); use {how}.")
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
            console.print(
                f"workspace {team_id} has no accounts yet: accountbot import accounts FILE", markup=False
            )
        elif len(ordered) > TABLE_LIMIT:
            console.print(
                f"{len(ordered):,} account(s); plain listing (use --json for scripts)", highlight=False
            )
            typer.echo("\n".join(portfolio_lines(ordered)))
        else:
            console.print(portfolio_table(ordered))
