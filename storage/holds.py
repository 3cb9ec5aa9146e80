"""A workspace on hold: Slack refused its bot token (revoked, app removed, account inactive). Its outbox waits,
nothing is dead-lettered for it, until the token works again (bot.relay re-checks it); readiness (bot.health)
and `accountbot outbox` show why. Every query is scoped by team id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.db import affected
from storage.models import Workspace

REMOVED = (
    "The app was removed from this workspace"  # how a removal's hold reason starts (bot.listeners.lifecycle)
)


@dataclass(frozen=True, slots=True)
class Hold:
    reason: str
    since: datetime | None


def hold(session: Session, *, team_id: str, reason: str, now: datetime) -> bool:
    """Put the workspace on hold; True if it was not on hold already (the reason of an older hold stays)."""
    result = session.execute(
        update(Workspace)
        .where(Workspace.team_id == team_id, Workspace.held_reason.is_(None))
        .values(held_reason=reason, held_since=now)
    )
    return bool(affected(result))


def release(session: Session, *, team_id: str) -> bool:
    """Take the workspace off hold; True if it was on hold."""
    result = session.execute(
        update(Workspace)
        .where(Workspace.team_id == team_id, Workspace.held_reason.is_not(None))
        .values(held_reason=None, held_since=None)
    )
    return bool(affected(result))


def held(session: Session, *, team_id: str) -> Hold | None:
    row = session.execute(
        select(Workspace.held_reason, Workspace.held_since).where(
            Workspace.team_id == team_id, Workspace.held_reason.is_not(None)
        )
    ).first()
    return None if row is None else Hold(str(row[0]), row[1])


def held_workspaces(session: Session, *, team_ids: Sequence[str]) -> dict[str, Hold]:
    if not team_ids:
        return {}
    rows = session.execute(
        select(Workspace.team_id, Workspace.held_reason, Workspace.held_since).where(
            Workspace.team_id.in_(list(team_ids)), Workspace.held_reason.is_not(None)
        )
    )
    return {team: Hold(str(reason), since) for team, reason, since in rows}
