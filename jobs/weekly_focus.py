"""weekly_focus: once a week, at the first tick of the owner's week within their window (by default 09:00-18:00
local time on Monday, unless they were not due then), one key account for each owner to focus on. It follows
the owner's rhythm (storage.preferences): their days and time, nothing while paused (the first of their days
back that week sends it) and nothing when their digest frequency is off. An account escalated lately and not
touched since is not picked (jobs.escalation.leave_out_escalated, the digest's read): the manager has it.

The most valuable overdue one, never the same account twice within 4 weeks (past weekly_focus outbox rows
are the memory); period "<owner user id>:<ISO week>" in the owner's zone. See docs/rules.md#nudge-signals.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

from accounts.facts import WeeklyFocusFacts
from accounts.signals import choose_focus, focus_lookback_start, zone
from accounts.timing import OFF, due_week
from jobs.escalation import leave_out_escalated
from jobs.runner import Outgoing, TeamRun, per_team_job
from storage.preferences import team_prefs
from storage.queues.outbox import sent_history
from storage.reads.account_states import by_owner, owners, watched_states

NAME = "weekly_focus"
KIND = "weekly_focus"


def _team(job: TeamRun) -> None:
    """The focus account of each of one workspace's owners whose week has begun."""
    session, now, th = job.session, job.now, job.th
    tz_of = owners(session, job.team_id)
    rhythm = team_prefs(session, job.team_id).rhythm
    due: dict[str, tuple[str, str, date]] = {}
    for owner, tz in tz_of.items():
        mine = rhythm(owner)
        week = None if mine.frequency == OFF else due_week(now, tz, mine)
        if week is not None:
            due[f"{owner}:{week[0]}"] = (owner, week[0], week[1])

    def compute(held: set[str]) -> list[Outgoing]:
        grouped, _escalated = leave_out_escalated(
            session, job.team_id, now, by_owner(watched_states(session, job.team_id, now, th))
        )
        history = sent_history(session, team_id=job.team_id, kind=KIND, since=now - timedelta(weeks=5))
        out = []
        for period in sorted(held):
            owner, week, monday = due[period]
            tz = zone(tz_of.get(owner))
            start = focus_lookback_start(monday)
            recent = {
                account_id
                for recipient, account_id, created in history
                if recipient == owner and created.astimezone(tz).date() >= start
            }
            focus = choose_focus(grouped.get(owner, ()), now, recent, th)
            if focus is not None:
                facts = cast(
                    WeeklyFocusFacts, {**focus.to_facts(), "week": week}
                )  # a stale item plus two keys
                out.append(Outgoing(period, owner, KIND, facts, account_id=focus.account_id))
        return out

    job.run_periods(due, compute)


run = per_team_job(NAME, _team)
