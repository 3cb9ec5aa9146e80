"""weekly_focus (seed 002): on Mondays at 09:00 local time (first tick at or after; later in the same week
if the bot was down), each owner gets one key account to focus on: the most valuable overdue one, never
the same account twice within 4 weeks (past weekly_focus outbox rows are the memory).

Period: "<owner user id>:<ISO week>" in the owner's time zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from accounts.signals import choose_focus, due_week, focus_lookback_start, zone
from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds
from jobs.runner import JobResult, Outgoing, default_worker, run_periods, team_ids
from storage.activity import by_owner, owners, watched_states
from storage.outbox import sent_history

NAME = "weekly_focus"
KIND = "weekly_focus"


def run(
    session: Session,
    now: datetime,
    th: Thresholds = DEFAULT_THRESHOLDS,
    *,
    team_id: str | None = None,
    worker: str | None = None,
    dry_run: bool = False,
) -> JobResult:
    result = JobResult(NAME, now, dry_run)
    worker = worker or default_worker()
    for team in team_ids(session, team_id):
        tz_of = owners(session, team)
        due: dict[str, tuple[str, str, date]] = {}
        for owner, tz in tz_of.items():
            week = due_week(now, tz)
            if week is not None:
                due[f"{owner}:{week[0]}"] = (owner, week[0], week[1])

        def compute(
            held: set[str], team: str = team, due: dict[str, tuple[str, str, date]] = due, tz_of: dict = tz_of
        ) -> list[Outgoing]:
            grouped = by_owner(watched_states(session, team, now, th))
            history = sent_history(session, team_id=team, kind=KIND, since=now - timedelta(weeks=5))
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
                    facts = {**focus.to_facts(), "week": week}
                    out.append(Outgoing(period, owner, KIND, facts, account_id=focus.account_id))
            return out

        run_periods(session, result=result, team_id=team, periods=due, worker=worker, now=now, compute=compute)
    return result
