"""digest: each owner hears, once per local working day, at the first tick from 09:00 (until 18:00) in their
Slack time zone, about the accounts that need them (accounts.signals). Nothing is sent when there is nothing
to say.

Period: "<owner user id>:<local date>". An owner whose time zone is not known yet is not due (accounts.timing).
"""

from __future__ import annotations

from datetime import date

from accounts.signals import SECTIONS, build_digest
from accounts.timing import due_day
from jobs.runner import JobResult, Outgoing, TeamRun, per_team_job
from storage.reads.account_states import by_owner, owners, watched_states

NAME = "digest"
KIND = "digest"


def _team(job: TeamRun) -> None:
    """Digests of one workspace's owners whose local 09:00 has come today."""
    session, now, th = job.session, job.now, job.th
    due: dict[str, tuple[str, date]] = {}
    for owner, tz in owners(session, job.team_id).items():
        local_day = due_day(now, tz)
        if local_day is not None:
            due[f"{owner}:{local_day.isoformat()}"] = (owner, local_day)

    def compute(held: set[str]) -> list[Outgoing]:
        grouped = by_owner(watched_states(session, job.team_id, now, th))
        out = []
        for period in sorted(held):
            owner, local_day = due[period]
            digest = build_digest(owner, local_day, grouped.get(owner, ()), now, th)
            if digest is not None:
                out.append(Outgoing(period, owner, KIND, digest.to_facts()))
        return out

    job.run_periods(due, compute)


run = per_team_job(NAME, _team)


def dry_run_json(result: JobResult) -> list[dict[str, object]]:
    """The `jobs run digest --dry-run --json` shape: one object per recipient with account names per
    section (as they would be sent: capped, most urgent first)."""
    rows = []
    for m in sorted(result.for_recipients(), key=lambda m: m.recipient):
        sections = m.facts.get("sections", {})
        row: dict[str, object] = {"recipient": m.recipient}
        for name in SECTIONS:
            row[name] = [i["account"] for i in sections.get(name, {}).get("items", [])]
        rows.append(row)
    return rows
