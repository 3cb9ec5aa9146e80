"""Outbox delivery states on SQLite and PostgreSQL: claim with a lease, sent, reschedule, dead, retry."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from storage.db import ensure_workspace, session_factory
from storage.models import OutboxMessage
from storage.queues import outbox
from tests.conftest import NOW

LEASE = timedelta(seconds=60)


def _fill(session, n: int, team: str = "T1", now: datetime = NOW) -> list[int]:
    ensure_workspace(session, team)
    ids = [
        outbox.enqueue(
            session, team_id=team, recipient=f"U{i}", kind="digest", facts={"i": i}, period="d", now=now
        )
        for i in range(n)
    ]
    session.commit()
    return [i for i in ids if i is not None]


def _claim(
    session, worker: str, now: datetime = NOW, limit: int = 50, team: str = "T1"
) -> list[OutboxMessage]:
    rows = outbox.claim_due(session, team_id=team, worker=worker, now=now, lease=LEASE, limit=limit)
    session.commit()
    return rows


def test_claim_leases_due_rows_once(session) -> None:
    ids = _fill(session, 3)
    first = _claim(session, "a", limit=2)
    assert [r.id for r in first] == ids[:2]
    assert all(r.status == "sending" and r.lease_owner == "a" and r.attempts == 1 for r in first)
    second = _claim(session, "b")
    assert [r.id for r in second] == ids[2:]
    assert _claim(session, "c") == []


def test_claim_respects_due_time_and_workspace(session) -> None:
    _fill(session, 1, now=NOW + timedelta(minutes=5))
    _fill(session, 1, team="T2")
    assert _claim(session, "a") == []
    assert len(_claim(session, "a", now=NOW + timedelta(minutes=5))) == 1


def test_expired_lease_is_claimed_again(session) -> None:
    _fill(session, 1)
    (row,) = _claim(session, "dead")
    assert _claim(session, "b", now=NOW + LEASE) == []
    (again,) = _claim(session, "b", now=NOW + LEASE + timedelta(seconds=1))
    assert again.id == row.id and again.attempts == 2 and again.lease_owner == "b"
    # the dead relay's late write is refused
    assert not outbox.mark_sent(
        session, team_id="T1", message_id=row.id, worker="dead", channel="D1", ts="1.0", now=NOW
    )


def test_sent_reschedule_dead_and_retry(session) -> None:
    a, b, c = _fill(session, 3)
    _claim(session, "w")
    assert outbox.set_channel(session, team_id="T1", message_id=a, worker="w", channel="D1")
    assert outbox.mark_sent(
        session, team_id="T1", message_id=a, worker="w", channel="D1", ts="123.456", now=NOW
    )
    assert outbox.reschedule(
        session,
        team_id="T1",
        message_id=b,
        worker="w",
        at=NOW + timedelta(seconds=30),
        error="rate_limited",
        count_attempt=False,
    )
    assert outbox.mark_dead(session, team_id="T1", message_id=c, worker="w", reason="channel_not_found")
    session.commit()
    rows = {r.id: r for r in session.scalars(select(OutboxMessage))}
    assert rows[a].status == "sent" and rows[a].slack_ts == "123.456" and rows[a].channel == "D1"
    assert rows[b].status == "pending" and rows[b].attempts == 0 and rows[b].last_error == "rate_limited"
    assert rows[c].status == "dead" and rows[c].last_error == "channel_not_found"
    assert [r.id for r in outbox.list_messages(session, team_id="T1", status="dead")] == [c]
    assert outbox.count_by_status(session, team_id="T1") == {"sent": 1, "pending": 1, "dead": 1}
    assert _claim(session, "w", now=NOW + timedelta(seconds=29)) == []
    assert [r.id for r in _claim(session, "w", now=NOW + timedelta(seconds=30))] == [b]
    # retry: only dead rows, only in their workspace
    assert outbox.retry(session, team_id="T1", message_id=a, now=NOW) is None
    assert outbox.retry(session, team_id="T2", message_id=c, now=NOW) is None
    revived = outbox.retry(session, team_id="T1", message_id=c, now=NOW)
    session.commit()
    assert revived is not None and revived.status == "pending" and revived.attempts == 0


def test_concurrent_claims_never_share_a_row(engine) -> None:
    sessions = session_factory(engine)
    with sessions() as s:
        _fill(s, 200)
    got: dict[str, list[int]] = {}

    def worker(name: str) -> None:
        mine: list[int] = []
        with sessions() as s:
            while True:
                rows = outbox.claim_due(s, team_id="T1", worker=name, now=NOW, lease=LEASE, limit=7)
                s.commit()
                if not rows:
                    break
                mine.extend(r.id for r in rows)
        got[name] = mine

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for ids in got.values() for i in ids]
    assert len(claimed) == 200 and len(set(claimed)) == 200


def test_enqueue_many_is_idempotent_and_matches_enqueue(session) -> None:
    ensure_workspace(session, "T1")
    msgs = [outbox.NewMessage("T1", f"U{i}", "digest", {"i": i}, "2026-11-24") for i in range(450)]
    assert outbox.enqueue_many(session, msgs, now=NOW) == 450
    assert (
        outbox.enqueue_many(
            session, msgs + [outbox.NewMessage("T1", "U999", "digest", {}, "2026-11-24")], now=NOW
        )
        == 1
    )
    # the single-row form uses the same dedup key
    assert (
        outbox.enqueue(
            session, team_id="T1", recipient="U1", kind="digest", facts={}, period="2026-11-24", now=NOW
        )
        is None
    )
    session.commit()
    assert len(session.scalars(select(OutboxMessage)).all()) == 451
