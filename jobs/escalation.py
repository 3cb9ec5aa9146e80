"""escalation: once a week, a key-tier or A account whose nudges go unanswered is told to the owner's manager,
or else to the workspace's escalation channel (accounts.escalation; docs/nudges.md#escalation-and-outcomes).

Off unless the workspace switched it on (`accountbot escalation enable`, storage.escalation). Hourly; an
account is due in the owner's week, at the first tick of their working window on one of their days
(accounts.timing.due_week with their rhythm, as the weekly focus), so an escalation never lands on a weekend
or at night for the owner's team. Nothing while the owner is paused (a backup or not), and only the nudges
the owner received count: a backup's covering nudges are not held against the owner once back. Period
"<account id>:<ISO week>": each account at most once a week, and again the next week while its nudges stay
unanswered. The escalation is recorded (storage.escalation.escalations) in the transaction that queues it:
the daily digest then shows it instead of repeating the account, until a touch follows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from accounts.escalation import ESCALATION_MEMORY, Escalation, escalation, split_escalated
from accounts.facts import EscalatedItemFacts
from accounts.signals import AccountState
from accounts.timing import due_week
from jobs.runner import Outgoing, TeamRun, per_team_job
from storage.escalation import (
    NewEscalation,
    escalated_accounts,
    escalation_choice,
    managers_of,
    record_escalations,
)
from storage.nudge_ledger import recent_nudges
from storage.preferences import team_prefs
from storage.reads.account_states import account_states, owners

NAME = "escalation"
KIND = "escalation"
LOOKBACK = timedelta(days=28)  # nudges older than this are not counted (the ledger keeps them for reports)

log = logging.getLogger("accountbot.jobs.escalation")


def _team(job: TeamRun) -> None:
    """This week's escalations of one workspace, if it escalates at all."""
    session, team, now, th = job.session, job.team_id, job.now, job.th
    choice = escalation_choice(session, team)
    if not choice.enabled:
        return
    weeks = {}
    rhythm = team_prefs(session, team).rhythm
    for owner, tz in owners(session, team).items():
        # the owner's working week has begun, it is their working hours on one of their days, not paused
        owner_week = due_week(now, tz, rhythm(owner))
        if owner_week is not None:
            weeks[owner] = owner_week[0]
    if not weeks:
        return
    nudges = recent_nudges(session, team, since=now - LOOKBACK, now=now, owners_only=True)
    if not nudges:
        return
    found: list[Escalation] = []
    for state in account_states(session, team, now, th, sorted(nudges)):
        if state.owner in weeks:
            e = escalation(state, nudges.get(state.id, []), now, th)
            if e is not None:
                found.append(e)
    if not found:
        return
    manager = managers_of(session, team, {e.owner for e in found})
    due: dict[str, tuple[Escalation, str, str, str]] = {}
    for e in found:
        to, to_kind = (manager[e.owner], "manager") if e.owner in manager else (choice.channel, "channel")
        if not to:
            log.info("escalation_nobody team=%s account_id=%s owner=%s", team, e.account_id, e.owner)
            continue  # no manager the bot can reach and no channel: `accountbot escalation` says so
        week = weeks[e.owner]
        due[f"{e.account_id}:{week}"] = (e, to, to_kind, week)

    def compute(held: set[str]) -> list[Outgoing]:
        return [
            Outgoing(period, to, KIND, e.to_facts(week, to_kind), account_id=e.account_id)
            for period in sorted(held)
            for e, to, to_kind, week in (due[period],)
        ]

    def record(held: set[str]) -> None:
        rows = []
        for period in sorted(held):
            e, to, to_kind, week = due[period]
            rows.append(
                NewEscalation(e.account_id, week, e.owner, to, to_kind, e.days_overdue, e.nudges_ignored)
            )
        record_escalations(session, team, rows, now=now)

    job.run_periods(due, compute, after=record)


run = per_team_job(NAME, _team)


def leave_out_escalated(
    session: Session, team_id: str, now: datetime, grouped: Mapping[str, Sequence[AccountState]]
) -> tuple[dict[str, Sequence[AccountState]], dict[str, list[EscalatedItemFacts]]]:
    """Owners' account states without the accounts escalated lately and not touched since, and per owner the
    escalation lines of those (the digest shows them instead; the weekly focus does not pick them)."""
    escalated = escalated_accounts(session, team_id, now - ESCALATION_MEMORY)
    if not escalated:
        return dict(grouped), {}
    kept: dict[str, Sequence[AccountState]] = {}
    notes_of: dict[str, list[EscalatedItemFacts]] = {}
    for person, states in grouped.items():
        kept[person], notes = split_escalated(states, escalated)
        if notes:
            notes_of[person] = notes
    return kept, notes_of
