"""A workspace's data as a whole: how many accounts each has, and purging one workspace for good (every table
with a team_id column, its stored Slack tokens included) in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from storage.models import Account, Base, Workspace


def accounts_per_workspace(session: Session) -> dict[str, int]:
    rows = session.execute(select(Account.team_id, func.count()).group_by(Account.team_id))
    return {team: int(n) for team, n in rows}


def _team_tables() -> list[Table]:
    """Every table holding workspace rows, dependants first (so the deletes respect foreign keys)."""
    return [t for t in reversed(Base.metadata.sorted_tables) if "team_id" in t.c]


def rows_of(session: Session, team_id: str) -> dict[str, int]:
    """Table -> how many rows of `team_id` it holds (tables without any left out)."""
    counts = {
        t.name: int(session.scalar(select(func.count()).select_from(t).where(t.c.team_id == team_id)) or 0)
        for t in _team_tables()
    }
    return {name: n for name, n in counts.items() if n}


def purge(session: Session, team_id: str) -> dict[str, int]:
    """Delete every row of `team_id`, the workspace row last; returns what was deleted (as `rows_of`)."""
    counts = rows_of(session, team_id)
    for table in _team_tables():
        if table.name != Workspace.__tablename__:
            session.execute(delete(table).where(table.c.team_id == team_id))
    session.execute(delete(Workspace).where(Workspace.team_id == team_id))
    return counts
