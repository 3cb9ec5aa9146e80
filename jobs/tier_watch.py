"""tier_watch: nightly, compare each account's tier and grade with the ones last recorded
(Account.last_tier / last_grade); announce a change once to the account's owner, with the reasons, and
record the new classification in the same transaction. An account seen for the first time is only
recorded (the first run announces nothing).

Period: the UTC date (one run per workspace per night). Snoozes do not hide tier changes: they are news,
not nagging.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from accounts.signals import tier_change
from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds
from jobs.runner import JobResult, Outgoing, default_worker, run_periods, team_ids
from storage.activity import record_classes, recorded_classes
from storage.portfolio import assess_workspace

NAME = "tier_watch"
KIND = "tier_change"


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
    period = now.date().isoformat()
    for team in team_ids(session, team_id):
        updates: dict[int, tuple[str, str | None]] = {}

        def compute(held: set[str], team: str = team, updates: dict = updates) -> list[Outgoing]:
            assessments = assess_workspace(session, team, now, th)
            recorded = recorded_classes(session, team)
            out = []
            for account_id, verdict in assessments.items():
                owner, old_tier, old_grade = recorded.get(account_id, (None, None, None))
                if (old_tier, old_grade) == (verdict.tier, verdict.grade):
                    continue
                updates[account_id] = (verdict.tier, verdict.grade)
                change = tier_change(account_id, old_tier, old_grade, verdict)
                if change is not None and owner:
                    out.append(Outgoing(period, owner, KIND, change.to_facts(), account_id=account_id))
            return out

        def record(held: set[str], team: str = team, updates: dict = updates) -> None:
            if held:
                record_classes(session, team, updates)

        run_periods(
            session, result=result, team_id=team, periods={period: None}, worker=worker, now=now,
            compute=compute, after=record,
        )
    return result
