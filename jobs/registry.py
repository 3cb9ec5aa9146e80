"""The scheduled jobs by name: what `accountbot jobs list|run` and the scheduler know about."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from accounts.thresholds import Thresholds
from jobs import crm_sync, dead_letters, digest, escalation, portfolio_report, tier_watch, weekly_focus
from jobs.runner import JobResult

JobFunction = Callable[..., JobResult]  # (session, now, th, *, team_id, worker, dry_run) -> JobResult


@dataclass(frozen=True, slots=True)
class JobSpec:
    name: str
    run: JobFunction
    cron: dict[str, str]  # APScheduler CronTrigger fields, UTC
    schedule: str  # for people
    description: str
    wants_listed_admins: bool = False  # told which ADMIN_USER_IDS count per workspace; others never see them
    wants_cipher: bool = False  # given the TOKEN_ENCRYPTION_KEYS cipher (crm_sync: the saved connections)

    def __call__(
        self,
        session: Session,
        now: datetime,
        th: Thresholds,
        *,
        listed_admins: Callable[[str], Collection[str]] | None = None,
        cipher: object | None = None,
        **kwargs: object,
    ) -> JobResult:
        if self.wants_listed_admins and listed_admins is not None:
            kwargs["listed_admins"] = listed_admins
        if self.wants_cipher and cipher is not None:
            kwargs["cipher"] = cipher
        return self.run(session, now, th, **kwargs)


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            digest.NAME,
            digest.run,
            {"minute": "0"},
            "hourly; each owner in their rhythm (default Mon-Fri 09:00-18:00 local)",
            "Daily digest per owner: stale, single point of failure, check-up due, sponsor missing, revenue drop.",
        ),
        JobSpec(
            weekly_focus.NAME,
            weekly_focus.run,
            {"minute": "0"},
            "hourly; each owner once a week, first working day from 09:00 local",
            "One key account per owner to focus on this week: the most valuable overdue one, not repeated within 4 weeks.",
        ),
        JobSpec(
            tier_watch.NAME,
            tier_watch.run,
            {"hour": "2", "minute": "0"},
            "nightly at 02:00 UTC",
            "Tells an owner once when one of their accounts changes tier or grade, with the reasons.",
        ),
        JobSpec(
            portfolio_report.NAME,
            portfolio_report.run,
            {"minute": "0"},
            "hourly; each admin once a week, Mondays 09:00-18:00 local",
            "Weekly portfolio report to admins: tiers, concentration, grade mix, moves, and both portfolio charts.",
            wants_listed_admins=True,
        ),
        JobSpec(
            dead_letters.NAME,
            dead_letters.run,
            {"minute": "0"},
            "hourly; each admin once a day 09:00-18:00 local, on a day with dead letters",
            "Tells admins how many messages were given up in the past day, by reason, with the fix for each.",
            wants_listed_admins=True,
        ),
        JobSpec(
            escalation.NAME,
            escalation.run,
            {"minute": "0"},
            "hourly; each account at most once a week, in its owner's working week (off unless enabled)",
            "Tells the owner's manager (else the escalation channel) about a key or A account whose nudges go "
            "unanswered: 3 since its last touch, or overdue by twice its cadence.",
        ),
        JobSpec(
            crm_sync.NAME,
            crm_sync.run,
            {"minute": "*/5"},
            "every 5 minutes; each saved CRM connection once per its interval (default hourly)",
            "Syncs each workspace's saved CRM connections from their watermarks; tells admins once when one "
            "stops for a reason only they can fix.",
            wants_listed_admins=True,
            wants_cipher=True,
        ),
    )
}


def get(name: str) -> JobSpec | None:
    return JOBS.get(name)
