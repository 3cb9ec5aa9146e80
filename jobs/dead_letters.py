"""dead_letters: each workspace admin hears once a day, from 09:00 to 18:00 local, how many messages were given up in the
past day and why, with the fix for each reason (accounts.dead_letters). Nothing is sent on a day without any.

Period "<admin>:<local date>"; the admins are Slack's (slack_users.is_admin) and the ADMIN_USER_IDS that count
there. Jobs never talk to Slack.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, timedelta

from accounts.dead_letters import summarize
from accounts.timing import DAILY_RHYTHM, due_day
from jobs.portfolio_report import no_listed_admins
from jobs.runner import Outgoing, TeamRun, per_team_job
from storage.queues.outbox import dead_since
from storage.reads.reports import report_admins

NAME = "dead_letters"
KIND = "dead_letters"
WINDOW = timedelta(days=1)


def _team(job: TeamRun, listed_admins: Callable[[str], Collection[str]] = no_listed_admins) -> None:
    session, now = job.session, job.now
    due: dict[str, tuple[str, date]] = {}
    for admin, tz in report_admins(session, job.team_id, listed_admins(job.team_id)).items():
        local_day = due_day(now, tz, DAILY_RHYTHM)
        if local_day is not None:
            due[f"{admin}:{local_day.isoformat()}"] = (admin, local_day)

    def compute(held: set[str]) -> list[Outgoing]:
        facts = summarize(now.date().isoformat(), dead_since(session, team_id=job.team_id, since=now - WINDOW,
                                                              until=now))  # fmt: skip
        if facts is None:
            return []
        return [Outgoing(period, due[period][0], KIND, {**facts, "day": due[period][1].isoformat()})
                for period in sorted(held)]  # fmt: skip

    job.run_periods(due, compute)


run = per_team_job(NAME, _team)
