"""tier_watch: nightly, announce each account's change of tier or grade once to its owner, with the reasons.

Compares with Account.last_tier / last_grade and records the new classification in the same transaction;
a first sighting is only recorded; period: the UTC date. See docs/nudges.md#what-people-receive-and-when.
"""

from __future__ import annotations

from accounts.signals import tier_change
from jobs.runner import Outgoing, TeamRun, per_team_job
from storage.models import Account
from storage.reads.assessments import assess_rows, classify_workspace
from storage.stored.grades import record_classes
from storage.stored.rollups import ensure_rollups

NAME = "tier_watch"
KIND = "tier_change"


def _team(job: TeamRun) -> None:
    """Tonight's tier and grade changes of one workspace's accounts."""
    session, team, now, th = job.session, job.team_id, job.now, job.th
    period = now.date().isoformat()
    updates: dict[int, tuple[str, str | None]] = {}

    def compute(held: set[str]) -> list[Outgoing]:
        classified = classify_workspace(
            session, team, th, Account.owner_user_id, Account.last_tier, Account.last_grade
        )
        announce = []
        for verdict, r in classified.accounts:
            if (r.last_tier, r.last_grade) == (verdict.tier, verdict.grade):
                continue
            updates[r.id] = (verdict.tier, verdict.grade)
            if r.last_tier is not None and r.owner_user_id:  # a first sighting is only recorded
                announce.append(r)
        # Only the accounts whose change is announced are assessed in full (for the reasons).
        assessments = assess_rows(session, team, now, th, classified.grader, announce)
        out = []
        for r in announce:
            change = tier_change(r.id, r.last_tier, r.last_grade, assessments[r.id])
            if change is not None:
                out.append(Outgoing(period, r.owner_user_id, KIND, change.to_facts(), account_id=r.id))
        return out

    def record(held: set[str]) -> None:
        if held:
            record_classes(session, team, updates)
            # Nightly housekeeping: the contact and revenue rollups brought up to date, so the changes
            # recorded for a workspace whose digests nobody reads do not pile up (storage.stored.rollups).
            ensure_rollups(session, team, now, th)

    job.run_periods({period: None}, compute, after=record)


run = per_team_job(NAME, _team)
