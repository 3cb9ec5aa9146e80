"""The live CRM sync's positions (issue 16): per workspace, source and object the watermark of the next pass
and the resume position inside the current one (crm.pages explains both), when the last pass finished and why
the last run stopped.

`save` is written in the same transaction as the page it follows, so a kill at any point leaves the position
of the last page that was committed with it. `clear` forgets the positions (`accountbot crm sync --full`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import SyncState
from storage.upsert import conflict_insert

ERROR_LIMIT = 1000


@dataclass(frozen=True)
class Position:
    """Where one object's sync is (the defaults: never synced, so the next pass is a full one)."""

    watermark: datetime | None = None
    resume: str | None = None
    hold: datetime | None = (
        None  # inside a pass: the earliest modification time of a record skipped as future
    )
    last_sync_at: datetime | None = None
    last_error: str | None = None


def load(session: Session, team_id: str, source: str, obj: str) -> Position:
    row = session.scalars(
        select(SyncState).where(
            SyncState.team_id == team_id, SyncState.source == source, SyncState.object == obj
        )
    ).first()
    if row is None:
        return Position()
    return Position(row.watermark, row.resume, row.hold, row.last_sync_at, row.last_error)


def positions(session: Session, team_id: str, source: str) -> dict[str, Position]:
    """Every object's position of one source in one workspace, by object."""
    rows = session.scalars(select(SyncState).where(SyncState.team_id == team_id, SyncState.source == source))
    return {r.object: Position(r.watermark, r.resume, r.hold, r.last_sync_at, r.last_error) for r in rows}


def save(
    session: Session,
    team_id: str,
    source: str,
    obj: str,
    *,
    watermark: datetime | None,
    resume: str | None,
    now: datetime,
    hold: datetime | None = None,
) -> None:
    """Store a page's watermark and resume position (in the page's transaction), and the pass's `hold` so far.
    A page that ends the pass (resume None) also sets last_sync_at and clears last_error."""
    values: dict[str, object] = {"watermark": watermark, "resume": resume, "hold": hold, "updated_at": now}
    if resume is None:
        values.update(last_sync_at=now, last_error=None)
    stmt = conflict_insert(session, SyncState).values(team_id=team_id, source=source, object=obj, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["team_id", "source", "object"], set_=values))


def fail(session: Session, team_id: str, source: str, obj: str, error: str, now: datetime) -> None:
    """Note why a run stopped at `obj`; the watermark and resume position stay as they are."""
    text = " ".join(error.split())[:ERROR_LIMIT]
    stmt = conflict_insert(session, SyncState).values(
        team_id=team_id, source=source, object=obj, last_error=text, updated_at=now
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["team_id", "source", "object"], set_={"last_error": text, "updated_at": now}
        )
    )


def clear(session: Session, team_id: str, source: str) -> int:
    """Forget every position of `source` in the workspace: the next sync is full. Returns the rows removed."""
    result = session.execute(
        delete(SyncState).where(SyncState.team_id == team_id, SyncState.source == source)
    )
    return int(getattr(result, "rowcount", 0) or 0)
