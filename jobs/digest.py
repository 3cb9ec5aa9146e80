"""digest: each owner hears, in their own rhythm (accounts.timing: 09:00 to 18:00 local, Monday to Friday,
daily, unless their preferences or the workspace defaults say otherwise), at the first tick of their window
in their Slack time zone, about the accounts that need them (accounts.signals). Nothing is sent when there
is nothing to say, unless they turned quiet off: then a short "nothing due today" digest.

Preferences (storage.preferences, docs/nudges.md#each-persons-own-rhythm): `weekly` sends one digest per ISO
week on the chosen day, `off` none; a paused owner gets nothing, and their key accounts overdue for a touch go
into the digest of the backup they named (or wait); the first digest after a pause tells what changed on
their accounts meanwhile.

Period: "<user id>:<local date>" (weekly: "<user id>:<ISO week>"). A person whose time zone is not known yet
is not due (accounts.timing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import cast

from accounts.facts import CoveringFacts, DigestFacts, StaleFacts
from accounts.signals import SECTIONS, AccountState, build_digest, is_snoozed, stale
from accounts.thresholds import Thresholds
from accounts.timing import due_digest, local_now
from jobs.escalation import leave_out_escalated
from jobs.runner import JobResult, Outgoing, TeamRun, per_team_job
from storage.preferences import TeamPrefs, away_changes, team_prefs, welcomed_back, zones_of
from storage.reads.account_states import by_owner, owners, watched_states

NAME = "digest"
KIND = "digest"


def covering(
    backup_day: date,
    paused: Sequence[str],
    prefs: TeamPrefs,
    tz_of: Mapping[str, str | None],
    grouped: Mapping[str, Sequence[AccountState]],
    now: datetime,
    th: Thresholds,
) -> list[CoveringFacts]:
    """For a backup's digest: each owner in `paused` (who named them) still paused today in the owner's
    zone (the backup's local date when the owner's is not known), with their key accounts overdue for a
    touch, most overdue first and capped as a section."""
    out: list[CoveringFacts] = []
    limit = th.digest_section_limit
    for owner in paused:
        mine = prefs.of(owner)
        if mine is None or mine.paused_until is None:
            continue
        local = local_now(now, tz_of.get(owner))
        if (local.date() if local is not None else backup_day) >= mine.paused_until:
            continue  # back already: their own digest has it
        items = [
            item
            for a in grouped.get(owner, ())
            if a.tier == "key" and not is_snoozed(a, now) and (item := stale(a, now, th)) is not None
        ]
        if not items:
            continue
        items.sort(key=lambda i: i.urgency)
        out.append(
            {
                "owner": owner,
                "until": mine.paused_until.isoformat(),
                "items": [cast(StaleFacts, i.to_facts()) for i in items[:limit]],
                "more": max(0, len(items) - limit),
            }
        )
    return out


def _team(job: TeamRun) -> None:
    """Digests of one workspace's people whose window has opened today (or this week, weekly)."""
    session, now, th = job.session, job.now, job.th
    team = job.team_id
    tz_of = owners(session, team)
    prefs = team_prefs(session, team)
    backups = prefs.backups() if prefs.people else {}
    missing = [b for b in backups if b not in tz_of]  # a backup who owns no account
    if missing:
        tz_of = {**tz_of, **zones_of(session, team, missing)}
    due: dict[str, tuple[str, date, bool]] = {}  # period -> (person, local date, quiet)
    rhythm = prefs.rhythm
    for person, tz in tz_of.items():
        mine = rhythm(person)
        slot = due_digest(now, tz, mine)
        if slot is not None:
            due[f"{person}:{slot[0]}"] = (person, slot[1], mine.quiet)
    returning: set[str] = set()  # people whose first digest after a pause this run is

    def compute(held: set[str]) -> list[Outgoing]:
        # an escalated account is not repeated: the digest says it was escalated instead
        grouped, notes_of = leave_out_escalated(
            session, team, now, by_owner(watched_states(session, team, now, th))
        )
        out = []
        for period in sorted(held):
            person, local_day, quiet = due[period]
            digest = build_digest(person, local_day, grouped.get(person, ()), now, th)
            facts: DigestFacts = (
                digest.to_facts()
                if digest is not None
                else {"owner": person, "date": local_day.isoformat(), "sections": {}}
            )
            said = digest is not None
            if notes_of.get(person):
                facts["escalated"] = notes_of[person]
                said = True
            if person in backups:
                cover = covering(local_day, backups[person], prefs, tz_of, grouped, now, th)
                if cover:
                    facts["covering"] = cover
                    said = True
            mine = prefs.of(person)
            if mine is not None and mine.paused_since is not None:  # due, so no longer paused: back
                returning.add(person)
                away = away_changes(session, team, person, mine.paused_since, now, mine.backup)
                if away["touches"] or away["moves_total"]:
                    facts["away"] = away
                    said = True
            if said or not quiet:
                out.append(Outgoing(period, person, KIND, facts))
        return out

    def after(still: set[str]) -> None:
        welcomed_back(session, team, {due[p][0] for p in still if due[p][0] in returning})

    job.run_periods(due, compute, after)


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
        if m.facts.get("escalated"):
            row["escalated"] = [n["account"] for n in m.facts["escalated"]]
        rows.append(row)
    return rows
