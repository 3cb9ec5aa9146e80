"""Each Slack event is handled once: Slack resends an event it got no quick 200 for (`X-Slack-Retry-Num`,
Socket Mode's `retry_attempt`), and with several replicas any of them may get the copy. The first insert of
(team id, event id) wins, through the database, so it holds across replicas. Rows older than KEEP are
pruned as new ones arrive (Slack retries within minutes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage.models import SeenEvent, table_of
from storage.upsert import conflict_insert

KEEP = timedelta(days=1)
PRUNE_EVERY = 500  # every 500th new event deletes the workspace's rows older than KEEP
SEEN = table_of(SeenEvent)


def first_time(session: Session, *, team_id: str, event_id: str, now: datetime) -> bool:
    """Record the event; True if no one handled it before."""
    new_id = session.execute(
        conflict_insert(session, SEEN)
        .values(team_id=team_id, event_id=event_id[:64], seen_at=now)
        .on_conflict_do_nothing(index_elements=["team_id", "event_id"])
        .returning(SEEN.c.id)
    ).scalar_one_or_none()
    if new_id is None:
        return False
    if new_id % PRUNE_EVERY == 0:
        session.execute(delete(SEEN).where(SEEN.c.team_id == team_id, SEEN.c.seen_at < now - KEEP))
    return True
