"""The outbox: nudges as data, written by jobs, delivered by bot.relay.

`enqueue` is idempotent on (team_id, dedup_key): a second insert of the same nudge does nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import OutboxMessage


def dedup_key(kind: str, recipient: str, account_id: int | None, period: str) -> str:
    """Unique per workspace, recipient, kind, account and period."""
    return f"{kind}:{recipient}:{account_id if account_id is not None else '-'}:{period}"


def enqueue(
    session: Session,
    *,
    team_id: str,
    recipient: str,
    kind: str,
    facts: dict[str, Any],
    period: str,
    now: datetime,
    account_id: int | None = None,
    key: str | None = None,
) -> int | None:
    """Insert one outbox row unless its dedup key exists. Returns the new row's id, or None if it existed.

    Runs inside the caller's transaction (the job's ledger entry commits together with it).
    """
    values = dict(
        team_id=team_id,
        recipient=recipient,
        kind=kind,
        account_id=account_id,
        facts=facts,
        dedup_key=key or dedup_key(kind, recipient, account_id, period),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(OutboxMessage).values(**values).on_conflict_do_nothing(
            index_elements=["team_id", "dedup_key"]
        )
    elif dialect == "sqlite":
        stmt = sqlite.insert(OutboxMessage).values(**values).on_conflict_do_nothing(
            index_elements=["team_id", "dedup_key"]
        )
    else:
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    return session.execute(stmt.returning(OutboxMessage.id)).scalar_one_or_none()
