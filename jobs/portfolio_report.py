"""portfolio_report: each Monday from 09:00 in each admin's time zone, one report per admin.

A five-line summary plus the data of both portfolio charts (drawn by the relay when it delivers the row);
period "<admin>:<ISO week>", due on that Monday only; the admins are passed in (`listed_admins(team_id)`).
See docs/nudges.md#weekly-portfolio-report. Jobs never talk to Slack.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from datetime import date, timedelta

from accounts.charts import REPORT_MAX_POINTS, ChartAccount, concentration_chart, quadrant_chart
from accounts.facts import MoveFacts, PortfolioReportFacts
from accounts.thresholds import Thresholds
from accounts.timing import due_monday
from jobs.runner import Outgoing, TeamRun, due_weeks, per_team_job
from storage.reads.charts import chart_accounts, concentration_inputs
from storage.reads.reports import recent_moves, report_admins

NAME = "portfolio_report"
KIND = "portfolio_report"
MOVES_WINDOW = timedelta(days=7)
MAX_MOVES = 15  # listed in the facts; the summary says how many more
TIERS = ("key", "secondary", "prospect")
GRADES = ("A", "B", "C")


def summary_facts(
    accounts: list[ChartAccount], th: Thresholds, moves: list[MoveFacts], week: str, monday: date
) -> PortfolioReportFacts:
    """Everything the report says, as JSON-safe facts (the relay renders text and charts from them)."""
    tiers = Counter(a.tier for a in accounts)
    grades = Counter(a.grade for a in accounts if a.grade)
    revenues, key_count = concentration_inputs(accounts)
    concentration = concentration_chart(revenues, key_count)
    quadrant = quadrant_chart(accounts, th, max_points=REPORT_MAX_POINTS)
    return {
        "week": week,
        "monday": monday.isoformat(),
        "accounts": len(accounts),
        "tiers": {t: tiers.get(t, 0) for t in TIERS},
        "grades": {g: grades.get(g, 0) for g in GRADES},
        "quadrants": quadrant.counts(),
        "concentration": {
            "headline": concentration.headline,
            "key_count": concentration.key_count,
            "key_share": concentration.key_share,
            "clients": concentration.n,
        },
        "moves": moves[:MAX_MOVES],
        "moves_total": len(moves),
        "quadrant_chart": quadrant.to_facts(),
        "concentration_chart": concentration.to_facts(),
    }


def no_listed_admins(team_id: str) -> Collection[str]:
    return ()


def _team(job: TeamRun, listed_admins: Callable[[str], Collection[str]] = no_listed_admins) -> None:
    """The reports of one workspace's admins whose Monday 09:00 has come."""
    session, now, th = job.session, job.now, job.th
    admins = report_admins(session, job.team_id, listed_admins(job.team_id))
    due = due_weeks(admins, now, due_monday)

    def compute(held: set[str]) -> list[Outgoing]:
        accounts = chart_accounts(session, job.team_id, now, th)
        moves = [m.to_facts() for m in recent_moves(session, job.team_id, now - MOVES_WINDOW, now)]
        out = []
        cache: dict[tuple[str, date], PortfolioReportFacts] = {}
        for period in sorted(held):
            admin, week, monday = due[period]
            if (week, monday) not in cache:
                cache[(week, monday)] = summary_facts(accounts, th, moves, week, monday)
            out.append(Outgoing(period, admin, KIND, cache[(week, monday)]))
        return out

    job.run_periods(due, compute)


run = per_team_job(NAME, _team)
