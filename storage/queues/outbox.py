"""The outbox: nudges as data, written by jobs, delivered by bot.relay.

`enqueue` is idempotent on (team_id, dedup_key): a second insert of the same nudge does nothing.
Row life: pending -> sending (leased to one relay) -> sent (with Slack's ts) | pending again (retry later)
| dead (permanent error; `retry` puts it back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from storage.db import affected
from storage.models import OutboxMessage, table_of
from storage.upsert import conflict_insert

OUTBOX = table_of(OutboxMessage)  # Core inserts: no ORM bookkeeping per row


def dedup_key(kind: str, recipient: str, account_id: int | None, period: str) -> str:
    """Unique per workspace, recipient, kind, account and period."""
    return f"{kind}:{recipient}:{account_id if account_id is not None else '-'}:{period}"


@dataclass(frozen=True, slots=True)
class NewMessage:
    """One outbox row to write (see `enqueue`)."""

    team_id: str
    recipient: str
    kind: str
    facts: Mapping[str, Any]
    period: str
    account_id: int | None = None
    key: str | None = None

    def values(self, now: datetime) -> dict[str, Any]:
        return dict(
            team_id=self.team_id,
            recipient=self.recipient,
            kind=self.kind,
            account_id=self.account_id,
            facts=self.facts,
            dedup_key=self.key or dedup_key(self.kind, self.recipient, self.account_id, self.period),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )


def _insert_ignoring_duplicates(session: Session) -> Any:
    """INSERT ... ON CONFLICT (team_id, dedup_key) DO NOTHING RETURNING id, for one row or many (given many
    parameter sets, SQLAlchemy batches them into multi-row statements compiled once: "insertmanyvalues")."""
    return (
        conflict_insert(session, OUTBOX)
        .on_conflict_do_nothing(index_elements=["team_id", "dedup_key"])
        .returning(OUTBOX.c.id)
    )


def enqueue(
    session: Session,
    *,
    team_id: str,
    recipient: str,
    kind: str,
    facts: Mapping[str, Any],
    period: str,
    now: datetime,
    account_id: int | None = None,
    key: str | None = None,
) -> int | None:
    """Insert one outbox row unless its dedup key exists. Returns the new row's id, or None if it existed.

    Runs inside the caller's transaction (the job's ledger entry commits together with it).
    """
    message = NewMessage(team_id, recipient, kind, facts, period, account_id, key)
    return session.execute(_insert_ignoring_duplicates(session), [message.values(now)]).scalar_one_or_none()


def enqueue_many(session: Session, messages: Sequence[NewMessage], *, now: datetime) -> int:
    """`enqueue` for many rows; returns how many were new.

    The keys already stored are looked up first (one indexed query per workspace and 1,000 keys) and only
    the others are sent, as one executemany without RETURNING: the driver's own batched path, much cheaper
    for a digest run's thousand rows of JSON than RETURNING's single multi-row statement. ON CONFLICT DO
    NOTHING still holds if another writer stores one of the keys in between (the jobs' ledger claims make
    that impossible for their periods; such a row would be counted here, and stored once)."""
    fresh: dict[tuple[str, str], dict[str, Any]] = {}
    for m in messages:
        row = m.values(now)
        fresh.setdefault((row["team_id"], row["dedup_key"]), row)  # a key repeated in the batch counts once
    by_team: dict[str, list[str]] = {}
    for team_id, key in fresh:
        by_team.setdefault(team_id, []).append(key)
    for team_id, keys in by_team.items():
        for start in range(0, len(keys), 1_000):
            stored = session.scalars(
                select(OUTBOX.c.dedup_key).where(
                    OUTBOX.c.team_id == team_id, OUTBOX.c.dedup_key.in_(keys[start : start + 1_000])
                )
            )
            for key in stored:
                fresh.pop((team_id, key), None)
    if fresh:
        insert = conflict_insert(session, OUTBOX).on_conflict_do_nothing(
            index_elements=["team_id", "dedup_key"]
        )
        session.execute(insert, list(fresh.values()))
    return len(fresh)


# -- delivery (bot.relay) ---------------------------------------------------------------------------------

STATUSES = ("pending", "sending", "sent", "dead")


def claim_due(
    session: Session,
    *,
    team_id: str,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int = 50,
) -> list[OutboxMessage]:
    """Lease up to `limit` due rows of one workspace to `worker` and return them (oldest due first).

    Due: `pending` with `next_attempt_at <= now`, or `sending` whose lease expired (its relay died; the row
    may or may not have been posted, see `attempts`/`channel`). One UPDATE ... WHERE id IN (SELECT ...
    FOR UPDATE SKIP LOCKED) on PostgreSQL, so concurrent relays never get the same row; SQLite serialises
    writers. `attempts` is incremented. Commit right after, before talking to Slack."""
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.team_id == team_id,
            or_(
                and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
            ),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    chosen: Any = due.scalar_subquery()
    if session.get_bind().dialect.name == "postgresql":
        # A materialised CTE runs once; an IN (subquery) may be re-scanned and pick other rows among ties.
        cte = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        chosen = select(cte.c.id).scalar_subquery()
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.team_id == team_id, OutboxMessage.id.in_(chosen))
        .values(
            status="sending", lease_owner=worker, lease_until=now + lease, attempts=OutboxMessage.attempts + 1
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    rows = list(session.scalars(stmt))
    rows.sort(key=lambda r: (r.next_attempt_at, r.id))
    return rows


def _held(team_id: str, message_id: int, worker: str) -> Any:
    return and_(
        OutboxMessage.team_id == team_id,
        OutboxMessage.id == message_id,
        OutboxMessage.status == "sending",
        OutboxMessage.lease_owner == worker,
    )


def _update_held(session: Session, team_id: str, message_id: int, worker: str, **values: Any) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(_held(team_id, message_id, worker))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(affected(result))


def release(session: Session, *, team_id: str, message_ids: Sequence[int], worker: str) -> int:
    """Hand back rows a relay claimed but never started (its pass failed first): due again at once for any
    relay, their claim not counted as an attempt. Returns how many."""
    if not message_ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.id.in_(list(message_ids)),
            OutboxMessage.status == "sending",
            OutboxMessage.lease_owner == worker,
        )
        .values(status="pending", lease_owner=None, lease_until=None, attempts=OutboxMessage.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return affected(result)


def set_channel(session: Session, *, team_id: str, message_id: int, worker: str, channel: str) -> bool:
    """Remember the conversation a row goes to (the DM opened for a user) before posting into it."""
    return _update_held(session, team_id, message_id, worker, channel=channel)


def note_posted(
    session: Session, *, team_id: str, message_id: int, worker: str, channel: str, ts: str
) -> bool:
    """The first part of a message with several parts (a report's text, before its images) is in Slack:
    remember its ts while the row stays `sending`, so a later attempt goes on with the rest instead of
    posting it again. False if the lease was no longer ours."""
    return _update_held(session, team_id, message_id, worker, channel=channel, slack_ts=ts)


def mark_sent(
    session: Session, *, team_id: str, message_id: int, worker: str, channel: str, ts: str, now: datetime
) -> bool:
    """The post went through: store Slack's ts. False if the lease was no longer ours."""
    return _update_held(
        session,
        team_id,
        message_id,
        worker,
        status="sent",
        channel=channel,
        slack_ts=ts,
        sent_at=now,
        lease_owner=None,
        lease_until=None,
        last_error=None,
    )


def reschedule(
    session: Session,
    *,
    team_id: str,
    message_id: int,
    worker: str,
    at: datetime,
    error: str | None,
    count_attempt: bool = True,
) -> bool:
    """Back to `pending`, due again at `at`, remembering why (`error=None` keeps the previous reason).
    `count_attempt=False` gives the attempt back (a rate limit, or a pause for the channel's pace, is not
    the message's fault)."""
    values: dict[str, Any] = dict(status="pending", next_attempt_at=at, lease_owner=None, lease_until=None)
    if error is not None:
        values["last_error"] = error
    if not count_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    return _update_held(session, team_id, message_id, worker, **values)


def mark_dead(
    session: Session, *, team_id: str, message_id: int, worker: str, reason: str, now: datetime | None = None
) -> bool:
    """Give up on a row: it is listed by `accountbot outbox --dead` until retried, and counted in the admins'
    daily report (jobs.dead_letters) from `now`."""
    return _update_held(
        session,
        team_id,
        message_id,
        worker,
        status="dead",
        last_error=reason,
        lease_owner=None,
        lease_until=None,
        dead_at=now,
    )


def dead_since(session: Session, *, team_id: str, since: datetime, until: datetime) -> list[tuple[str, str]]:
    """(kind, reason) of the workspace's messages given up in [since, until)."""
    rows = session.execute(
        select(OutboxMessage.kind, OutboxMessage.last_error).where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.status == "dead",
            OutboxMessage.dead_at >= since,
            OutboxMessage.dead_at < until,
        )
    )
    return [(kind, reason or "") for kind, reason in rows]


def list_messages(
    session: Session, *, team_id: str, status: str | None = None, limit: int = 50
) -> list[OutboxMessage]:
    """Newest first; `status` one of STATUSES or None for all."""
    stmt = select(OutboxMessage).where(OutboxMessage.team_id == team_id)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(limit)))


def count_by_status(session: Session, *, team_id: str) -> dict[str, int]:
    rows = session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.team_id == team_id)
        .group_by(OutboxMessage.status)
    ).all()
    return {status: n for status, n in rows}


def retry(session: Session, *, team_id: str, message_id: int, now: datetime) -> OutboxMessage | None:
    """Put a dead row back in the queue (attempts reset, due now). None if the workspace has no dead row
    with that id."""
    row = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.team_id == team_id, OutboxMessage.id == message_id, OutboxMessage.status == "dead"
        )
    )
    if row is None:
        return None
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = now
    row.lease_owner = None
    row.lease_until = None
    session.flush()
    return row


def by_keys(session: Session, *, team_id: str, keys: Sequence[str]) -> list[OutboxMessage]:
    """The workspace's rows with these dedup keys (what one job run queued), by id."""
    rows: list[OutboxMessage] = []
    for start in range(0, len(keys), 1_000):
        rows.extend(
            session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.team_id == team_id, OutboxMessage.dedup_key.in_(keys[start : start + 1_000])
                )
            )
        )
    return sorted(rows, key=lambda r: r.id)


def find_message(session: Session, *, team_id: str, message_id: int) -> OutboxMessage | None:
    return session.scalar(
        select(OutboxMessage).where(OutboxMessage.team_id == team_id, OutboxMessage.id == message_id)
    )


def sent_history(
    session: Session, *, team_id: str, kind: str, since: datetime
) -> list[tuple[str, int, datetime]]:
    """(recipient, account id, created_at) of `kind` rows created since `since`, whatever their status
    (the weekly focus never repeats an account within 4 weeks)."""
    rows = session.execute(
        select(OutboxMessage.recipient, OutboxMessage.account_id, OutboxMessage.created_at).where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.kind == kind,
            OutboxMessage.created_at >= since,
            OutboxMessage.account_id.is_not(None),
        )
    ).all()
    return [(r, a, c) for r, a, c in rows if a is not None]


@dataclass(frozen=True, slots=True)
class Backlog:
    waiting: int  # pending or sending
    oldest_waiting_at: datetime | None  # created_at of the oldest of them


def backlog(session: Session, *, team_ids: Sequence[str]) -> Backlog:
    """Messages not yet delivered in these workspaces (readiness: bot.health), and since when the oldest waits."""
    if not team_ids:
        return Backlog(0, None)
    count, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(
            OutboxMessage.team_id.in_(list(team_ids)), OutboxMessage.status.in_(("pending", "sending"))
        )
    ).one()
    return Backlog(int(count or 0), oldest)


def waiting_by_team(session: Session) -> dict[str, Backlog]:
    """Every workspace's messages not yet delivered (pending or sending), and the oldest's age: the operator's
    view across workspaces (`accountbot outbox`, the hourly backlog warning), counts only."""
    rows = session.execute(
        select(OutboxMessage.team_id, func.count(), func.min(OutboxMessage.created_at))
        .where(OutboxMessage.status.in_(("pending", "sending")))
        .group_by(OutboxMessage.team_id)
    )
    return {team: Backlog(int(n), oldest) for team, n, oldest in rows}
