"""`accountbot report nudges`: do nudges work? Per owner and per reason: nudges sent, the share a touch followed
within N days, the median days to that touch, the accounts ignored longest; the response rate per week (and
its chart with --chart FILE.png). See docs/nudges.md#escalation-and-outcomes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from accountbot.cli.common import TeamOption, console, fail, open_runtime, resolve_team
from accounts.outcomes import FOLLOW_UP_DAYS, HOME_WINDOW_DAYS, Outcome, OutcomeReport
from storage.db import utcnow
from storage.nudge_ledger import nudge_outcomes, people_names


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _median(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _since(text: str | None, now: datetime) -> datetime:
    if text is None:
        return now - timedelta(days=HOME_WINDOW_DAYS)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise fail(f"--since {text!r}: give a date as YYYY-MM-DD, such as 2026-11-01.") from None
    since = datetime.combine(day, time(0), UTC)
    if since > now:
        raise fail(f"--since {text}: that is in the future.")
    return since


def _outcome_table(title: str, rows: list[Outcome], label: str, shown: dict[str, str]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=Text(title))
    for col in (
        label,
        "Sent",
        "Followed",
        "Ignored",
        "Pending",
        "Share followed",
        "Median days",
        "Ignored longest",
    ):
        table.add_column(col, justify="left" if col in (label, "Ignored longest") else "right")
    for o in rows:
        longest = ", ".join(f"{i.account} ({i.days} d)" for i in o.ignored_longest[:3])
        table.add_row(Text(shown.get(o.key, o.key)), str(o.sent), str(o.followed), str(o.ignored), str(o.pending),
                      _share(o.share_followed), _median(o.median_days), Text(longest))  # fmt: skip
    return table


def _print(report: OutcomeReport, team_id: str, names: dict[str, str]) -> None:
    t = report.total
    console.print(
        Text(
            f"Nudges of {team_id} from {report.since:%Y-%m-%d} to {report.now:%Y-%m-%d %H:%M} UTC: {t.sent} sent, "
            f"{_share(t.share_followed)} followed by a touch within {report.within_days} days "
            f"({t.followed} of {t.decided} decided; {t.pending} still within the window), "
            f"median {_median(t.median_days)} days to the touch; {report.escalations} escalation(s)."
        )
    )
    if not t.sent:
        console.print(
            "No nudge was delivered in that time (the ledger records each nudge as the relay sends it)."
        )
        return
    owners = {o.key: f"{names[o.key]} ({o.key})" if o.key in names else o.key for o in report.owners}
    console.print(_outcome_table("By owner", report.owners, "Owner", owners))
    console.print(_outcome_table("By reason", report.reasons, "Reason", {}))
    if t.ignored_longest:
        table = Table("Account", "Owner", "Ignored since", "Days", "Nudges", box=box.SIMPLE_HEAD,
                      title=Text("Ignored longest (no touch since the nudge)"))  # fmt: skip
        for i in t.ignored_longest:
            table.add_row(Text(i.account), Text(owners.get(i.owner, i.owner)), f"{i.since:%Y-%m-%d}", str(i.days),
                          str(i.nudges))  # fmt: skip
        console.print(table)
    weeks = Table("Week", "Sent", "Followed", "Decided", "Response rate", box=box.SIMPLE_HEAD,
                  title=Text("Response rate per week"))  # fmt: skip
    for w in report.weeks:
        weeks.add_row(w.week, str(w.sent), str(w.followed), str(w.decided), _share(w.rate))
    console.print(weeks)


def register(app: typer.Typer) -> None:
    report_app = typer.Typer(help="Reports: do nudges work?", no_args_is_help=True)

    @report_app.command("nudges")
    def nudges(
        team: str | None = TeamOption,
        since: str | None = typer.Option(
            None,
            "--since",
            help=f"From this date (YYYY-MM-DD, UTC); default the last {HOME_WINDOW_DAYS} days.",
        ),
        within: int = typer.Option(
            FOLLOW_UP_DAYS, "--within", min=1, max=90, help="A touch this many days after a nudge follows it."
        ),
        chart: Path | None = typer.Option(
            None, "--chart", help="Also draw the response rate per week as a PNG."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Nudges sent per owner and reason, the share a touch followed, the median days to it, the accounts
        ignored longest, and the response rate per week."""
        now = utcnow()
        start = _since(since, now)
        if chart is not None and chart.suffix.lower() != ".png":
            raise fail(f"--chart {chart}: the chart is a PNG; name the file *.png.")
        rt = open_runtime()
        with rt.sessions() as session:
            team_id = resolve_team(session, rt.settings, team)
            report = nudge_outcomes(session, team_id, since=start, now=now, within_days=within)
            names = people_names(session, team_id, [o.key for o in report.owners])
        if chart is not None:
            from bot.render.outcomes_chart import response_rate_alt_text, response_rate_png

            try:
                chart.write_bytes(response_rate_png(report.weeks, title=f"Do nudges work? {team_id}",
                                                    within_days=within))  # fmt: skip
            except OSError as exc:
                raise fail(f"--chart {chart}: cannot write it ({exc.strerror or exc}).") from None
            note = f"chart written to {chart}: {response_rate_alt_text(report.weeks, within)}"
            if as_json:
                typer.echo(note, err=True)
            else:
                console.print(Text(note))
        if as_json:
            data = report.to_json()
            data["team"] = team_id
            data["names"] = names
            typer.echo(json.dumps(data, indent=2))
            return
        _print(report, team_id, names)

    app.add_typer(report_app, name="report")
