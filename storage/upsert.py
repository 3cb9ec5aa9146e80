"""One INSERT ... ON CONFLICT for both databases: `conflict_insert` picks the dialect's insert, so a statement
can say `on_conflict_do_nothing` / `on_conflict_do_update` the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def conflict_insert(session: Session | Connection, target: Any) -> Any:
    """INSERT into `target` (a model or table) in the session's (or connection's) database's dialect, so the
    statement has `on_conflict_do_nothing` / `on_conflict_do_update` (PostgreSQL and SQLite spell them alike)."""
    dialect = (session.get_bind() if isinstance(session, Session) else session).dialect.name
    if dialect == "postgresql":
        return postgresql.insert(target)
    if dialect == "sqlite":
        return sqlite.insert(target)
    raise RuntimeError(f"unsupported database dialect {dialect!r}")
