"""Preferences (storage.models.Preference) as accounts.timing.Prefs: each person's digest rhythm per
workspace, the workspace defaults (the row of DEFAULTS_USER), pauses and backups, and what changed on an
owner's accounts while they were away. Every query names its workspace; writes run in the caller's unit
of work and never commit. The rules are in accounts.timing; docs/nudges.md#each-persons-own-rhythm.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from accounts.facts import AwayFacts, AwayMoveFacts
from accounts.timing import Prefs, Rhythm, rhythm_of
from storage.db import ensure_workspace
from storage.models import Account, Interaction, OutboxMessage, Preference, SlackUser, table_of
from storage.upsert import conflict_insert

DEFAULTS_USER = "*"  # the workspace defaults' row (never a Slack user id)
PREFS = table_of(Preference)
AWAY_NAMES = 5  # accounts and moves named in "while you were away"

# Prefs field -> column, for the settings a person or the workspace defaults may set.
COLUMNS: dict[str, str] = {
    "at": "digest_at",
    "days": "days",
    "frequency": "frequency",
    "weekly_day": "weekly_day",
    "quiet": "quiet",
    "paused_until": "paused_until",
    "backup": "backup_user_id",
}
RHYTHM_FIELDS = ("at", "days", "frequency", "weekly_day", "quiet")  # what `reset` and the defaults cover


def day_bits(days: Iterable[int]) -> int:
    """Weekdays (0 = Monday) as the stored bit set: 1 = Monday ... 64 = Sunday."""
    return sum(1 << d for d in set(days) if 0 <= d < 7)


def bit_days(bits: int | None) -> frozenset[int] | None:
    if not bits:
        return None
    return frozenset(d for d in range(7) if bits & (1 << d))


def _prefs(row: Any) -> Prefs:
    return Prefs(
        at=row.digest_at,
        days=bit_days(row.days),
        frequency=row.frequency,
        weekly_day=row.weekly_day,
        quiet=row.quiet,
        paused_until=row.paused_until,
        paused_since=row.paused_since,
        backup=row.backup_user_id,
    )


@dataclass
class TeamPrefs:
    """A workspace's preferences as one read: the defaults' row and everyone who set something."""

    workspace: Prefs | None = None
    people: Mapping[str, Prefs] = field(default_factory=dict)

    def of(self, user_id: str) -> Prefs | None:
        return self.people.get(user_id)

    def rhythm(self, user_id: str) -> Rhythm:
        mine = self.people.get(user_id)
        return self.default_rhythm if mine is None else rhythm_of(mine, self.workspace)

    @cached_property
    def default_rhythm(self) -> Rhythm:
        """The rhythm of everyone who set nothing (most people: built once per tick)."""
        return rhythm_of(None, self.workspace)

    def backups(self) -> dict[str, list[str]]:
        """Backup user id -> the people who named them and have a pause set (paused now or later: the
        caller checks the date in the owner's zone)."""
        out: dict[str, list[str]] = {}
        for user_id, p in self.people.items():
            if p.backup and p.paused_until is not None and p.backup != user_id:
                out.setdefault(p.backup, []).append(user_id)
        for owners in out.values():
            owners.sort()
        return out


def team_prefs(session: Session, team_id: str) -> TeamPrefs:
    """Every preferences row of the workspace, in one query (a digest tick's read)."""
    rows = session.connection().execute(select(PREFS).where(PREFS.c.team_id == team_id)).all()
    workspace = None
    people: dict[str, Prefs] = {}
    for row in rows:
        if row.user_id == DEFAULTS_USER:
            workspace = _prefs(row)
        else:
            people[row.user_id] = _prefs(row)
    return TeamPrefs(workspace, people)


def prefs_of(session: Session, team_id: str, user_id: str) -> Prefs | None:
    """One person's own preferences (DEFAULTS_USER: the workspace defaults), or None when nothing is set."""
    row = (
        session.connection()
        .execute(select(PREFS).where(PREFS.c.team_id == team_id, PREFS.c.user_id == user_id))
        .first()
    )
    return None if row is None else _prefs(row)


def _upsert(
    session: Session, team_id: str, user_id: str, values: dict[str, Any], now: datetime, by: str
) -> None:
    ensure_workspace(session, team_id)
    stamp = {"updated_at": now, "updated_by": by}
    session.execute(
        conflict_insert(session, Preference)
        .values(team_id=team_id, user_id=user_id, **values, **stamp)
        .on_conflict_do_update(index_elements=["team_id", "user_id"], set_={**values, **stamp})
    )


def save(session: Session, team_id: str, user_id: str, *, now: datetime, by: str, **settings: Any) -> None:
    """Set some of a person's (or, for DEFAULTS_USER, the workspace's) settings, by Prefs field name; None
    clears one (the next level decides again). `days` is a set of weekdays."""
    values: dict[str, Any] = {}
    for name, value in settings.items():
        if name not in COLUMNS:
            raise ValueError(f"not a preference: {name}")
        values[COLUMNS[name]] = day_bits(value) if name == "days" and value is not None else value
    _upsert(session, team_id, user_id, values, now, by)


def reset(session: Session, team_id: str, user_id: str, *, now: datetime, by: str) -> None:
    """A person's time, days, frequency and quiet setting cleared: the workspace defaults apply again (a
    pause and a backup stay)."""
    save(session, team_id, user_id, now=now, by=by, **dict.fromkeys(RHYTHM_FIELDS))


def pause(session: Session, team_id: str, user_id: str, until: date, *, now: datetime, by: str) -> None:
    """Pause a person's digests and weekly focus until `until` (their first local date back). A pause set
    again keeps its start, so the digest after it tells everything since the first one."""
    ensure_workspace(session, team_id)
    stamp = {"updated_at": now, "updated_by": by}
    session.execute(
        conflict_insert(session, Preference)
        .values(team_id=team_id, user_id=user_id, paused_until=until, paused_since=now, **stamp)
        .on_conflict_do_update(
            index_elements=["team_id", "user_id"],
            set_={"paused_until": until, "paused_since": func.coalesce(PREFS.c.paused_since, now), **stamp},
        )
    )


def unpause(session: Session, team_id: str, user_id: str, *, now: datetime, by: str) -> None:
    """End a pause now. Its start is kept: the next digest still tells what changed since then."""
    session.execute(
        update(PREFS)
        .where(PREFS.c.team_id == team_id, PREFS.c.user_id == user_id)
        .values(paused_until=None, updated_at=now, updated_by=by)
    )


def welcomed_back(session: Session, team_id: str, user_ids: Collection[str]) -> None:
    """These people got the digest after their pause (it told what changed): forget the pause. A pause that
    has not ended (set again meanwhile, for a later date) is kept; `user_ids` are only those back today."""
    if not user_ids:
        return
    session.execute(
        update(PREFS)
        .where(
            PREFS.c.team_id == team_id,
            PREFS.c.user_id.in_(sorted(user_ids)),
            PREFS.c.paused_since.is_not(None),
        )
        .values(paused_since=None, paused_until=None)
    )


def zones_of(session: Session, team_id: str, user_ids: Collection[str]) -> dict[str, str | None]:
    """User id -> their Slack time zone, for people who may own no account (a backup): None when unknown,
    and for a bot or a deactivated user (storage.reads.account_states.owners' rule)."""
    if not user_ids:
        return {}
    reachable = case((SlackUser.membership.in_(("bot", "deactivated")), None), else_=SlackUser.tz)
    rows = session.execute(
        select(SlackUser.user_id, reachable).where(
            SlackUser.team_id == team_id, SlackUser.user_id.in_(sorted(user_ids))
        )
    ).all()
    found = {user_id: tz for user_id, tz in rows}
    return {user_id: found.get(user_id) for user_id in user_ids}


def away_changes(
    session: Session, team_id: str, owner: str, since: datetime, now: datetime, backup: str | None = None
) -> AwayFacts:
    """What happened on `owner`'s accounts from `since` (their pause) until `now`: the touches logged or
    imported, on which accounts, and the tier and grade changes announced to them meanwhile."""
    touched_rows = session.execute(
        select(Account.name, func.count())
        .join(Interaction, (Interaction.account_id == Account.id) & (Interaction.team_id == team_id))
        .where(
            Account.team_id == team_id,
            Account.owner_user_id == owner,
            Interaction.occurred_at >= since,
            Interaction.occurred_at <= now,
        )
        .group_by(Account.id, Account.name)
    ).all()
    touched = sorted(touched_rows, key=lambda r: (-int(r[1]), str(r[0]).casefold()))
    moves_rows = session.execute(
        select(OutboxMessage.facts)
        .where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.recipient == owner,
            OutboxMessage.kind == "tier_change",
            OutboxMessage.created_at >= since,
            OutboxMessage.created_at <= now,
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    ).all()
    moves: list[AwayMoveFacts] = []
    for (facts,) in moves_rows[:AWAY_NAMES]:
        facts = facts or {}
        moves.append(
            {
                "account": str(facts.get("account", "")),
                "old_tier": facts.get("old_tier"),
                "new_tier": facts.get("new_tier"),
                "old_grade": facts.get("old_grade"),
                "new_grade": facts.get("new_grade"),
            }
        )
    return {
        "since": since.isoformat(),
        "touches": sum(int(n) for _, n in touched),
        "touched_accounts": len(touched),
        "touched": [str(name) for name, _ in touched[:AWAY_NAMES]],
        "moves": moves,
        "moves_total": len(moves_rows),
        "backup": backup,
    }
