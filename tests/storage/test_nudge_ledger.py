"""The nudge ledger (storage.nudge_ledger): written by the relay as it marks a nudge sent, exactly once, one row
per account and reason; what followed each nudge read from interactions. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import delete, func, select

from bot.relay import Relay
from storage.models import Account, NudgeSent, OutboxMessage
from storage.nudge_ledger import nudge_records, nudged, recent_nudges, record_delivered
from storage.queues import outbox
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.conftest import Builder

TEAM = "T1"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)  # Slack's ts are real time: reconciliation compares


class Clock:
    def __init__(self) -> None:
        self.now = _now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)

    def monotonic(self) -> float:
        return self.now.timestamp()

    def sleep(self, seconds: float) -> None:
        self.advance(seconds=seconds)


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi(team_id=TEAM) as fake:
        yield fake


def relay_for(sessions: Any, fake: FakeSlackApi, clock: Clock) -> Relay:
    client = WebClient(token="xoxb-test", base_url=fake.base_url, timeout=5, retry_handlers=[])
    return Relay(sessions, client, team_id=TEAM, clock=clock, jitter=lambda: 0.0, monotonic=clock.monotonic,
                 sleep=clock.sleep)  # fmt: skip


def item(account: Account, **extra: Any) -> dict[str, Any]:
    return {"account_id": account.id, "account": account.name, **extra}


def digest_facts(*sections: tuple[str, list[Account]], owner: str = "U1") -> dict[str, Any]:
    return {
        "owner": owner,
        "date": "2026-11-24",
        "sections": {name: {"items": [item(a) for a in accounts], "more": 0} for name, accounts in sections},
    }


def queue(sessions: Any, kind: str, facts: dict[str, Any], recipient: str = "U1", period: str = "p1") -> int:
    with sessions.begin() as s:
        new_id = outbox.enqueue(s, team_id=TEAM, recipient=recipient, kind=kind, facts=facts, period=period,
                                now=_now() - timedelta(seconds=5))  # fmt: skip
    assert new_id is not None
    return new_id


def ledger(sessions: Any) -> list[tuple[int, int, str, str, str]]:
    with sessions() as s:
        rows = s.execute(
            select(
                NudgeSent.outbox_id,
                NudgeSent.account_id,
                NudgeSent.reason,
                NudgeSent.kind,
                NudgeSent.recipient,
            )
            .where(NudgeSent.team_id == TEAM)
            .order_by(NudgeSent.outbox_id, NudgeSent.account_id, NudgeSent.reason)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.fixture
def accounts(sessions: Any) -> list[Account]:
    with sessions.begin() as s:
        b = Builder(s)
        made = [b.account(n) for n in ("Acme", "Beta", "Cora")]
        s.expunge_all()
    return made


def test_ledger_rows_are_written_when_the_nudge_is_sent_one_per_account_and_reason(
    sessions, slack, accounts
) -> None:
    acme, beta, cora = accounts
    clock = Clock()
    digest_id = queue(sessions, "digest", digest_facts(("stale", [acme, beta]), ("checkup_due", [acme])))
    focus_id = queue(sessions, "weekly_focus", {**item(cora), "week": "2026-W48"}, period="p2")
    queue(
        sessions, "tier_change", {**item(acme), "new_tier": "key", "reasons": []}, period="p3"
    )  # not a nudge
    assert ledger(sessions) == []  # queued is not nudged
    stats = relay_for(sessions, slack, clock).drain()
    assert stats.sent == 3
    assert ledger(sessions) == [
        (digest_id, acme.id, "checkup_due", "digest", "U1"),
        (digest_id, acme.id, "stale", "digest", "U1"),
        (digest_id, beta.id, "stale", "digest", "U1"),
        (focus_id, cora.id, "stale", "weekly_focus", "U1"),
    ]
    with sessions() as s:
        sent_at = {r.id: r.sent_at for r in s.scalars(select(OutboxMessage))}
        assert set(s.scalars(select(NudgeSent.sent_at).where(NudgeSent.outbox_id == digest_id))) == {
            sent_at[digest_id]
        }


def test_a_reconciled_message_is_recorded_exactly_once(sessions, slack, accounts) -> None:
    """Slack took the post but its answer was lost (a 500 after posting): the next attempt finds it in the
    history and marks it sent; the ledger has its rows once."""
    acme, beta, _ = accounts
    clock = Clock()
    message_id = queue(sessions, "digest", digest_facts(("stale", [acme, beta])))
    slack.fail_next("chat.postMessage", status=500, processed=True)
    relay = relay_for(sessions, slack, clock)
    assert relay.run_once().retried == 1
    assert ledger(sessions) == []  # it may be in Slack, but nobody has marked it sent yet
    clock.advance(seconds=5)
    stats = relay.run_once()
    assert stats.reconciled == 1 and stats.sent == 0
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert ledger(sessions) == [
        (message_id, acme.id, "stale", "digest", "U1"),
        (message_id, beta.id, "stale", "digest", "U1"),
    ]
    # a second recording of the same delivery (another relay, a retry of the transaction) adds nothing
    with sessions.begin() as s:
        facts = digest_facts(("stale", [acme, beta]))
        again = record_delivered(s, team_id=TEAM, outbox_id=message_id, recipient="U1", kind="digest", facts=facts,
                                 sent_at=clock.now)  # fmt: skip
    assert again == 0 and len(ledger(sessions)) == 2


class DiesAfterPosting(Relay):
    """Posts, then dies before marking the row sent."""

    def _sent(self, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt("killed")


def test_a_relay_dying_after_the_post_records_nothing_and_the_next_one_records_once(
    sessions, slack, accounts
) -> None:
    acme = accounts[0]
    clock = Clock()
    message_id = queue(sessions, "digest", digest_facts(("stale", [acme])))
    client = WebClient(token="xoxb-test", base_url=slack.base_url, timeout=5, retry_handlers=[])
    with pytest.raises(KeyboardInterrupt):
        DiesAfterPosting(sessions, client, team_id=TEAM, clock=clock).run_once()
    assert ledger(sessions) == []
    clock.advance(minutes=3)  # its lease runs out
    assert relay_for(sessions, slack, clock).run_once().reconciled == 1
    assert ledger(sessions) == [(message_id, acme.id, "stale", "digest", "U1")]


def test_a_dead_letter_is_no_nudge(sessions, slack, accounts) -> None:
    queue(sessions, "digest", digest_facts(("stale", accounts[:1])), recipient="U0GONE")
    slack.fail_next("conversations.open", error="user_not_found")
    stats = relay_for(sessions, slack, Clock()).drain()
    assert stats.dead == 1 and ledger(sessions) == []


def test_an_account_deleted_before_delivery_is_left_out_and_the_message_still_sent(
    sessions, slack, accounts
) -> None:
    acme, beta, _ = accounts
    message_id = queue(sessions, "digest", digest_facts(("stale", [acme, beta])))
    with sessions.begin() as s:
        s.execute(delete(Account).where(Account.id == beta.id))
    assert relay_for(sessions, slack, Clock()).drain().sent == 1
    assert ledger(sessions) == [(message_id, acme.id, "stale", "digest", "U1")]


def test_a_ledger_failure_never_costs_the_delivery(sessions, slack, accounts, monkeypatch) -> None:
    from storage import nudge_ledger

    def broken(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import OperationalError

        raise OperationalError("INSERT", {}, Exception("disk full"))

    message_id = queue(sessions, "digest", digest_facts(("stale", accounts[:1])))
    monkeypatch.setattr(nudge_ledger, "conflict_insert", broken)
    assert relay_for(sessions, slack, Clock()).drain().sent == 1
    with sessions() as s:
        assert s.get(OutboxMessage, message_id).status == "sent"  # type: ignore[union-attr]
    assert ledger(sessions) == []


def test_what_a_message_nudges_about() -> None:
    facts = {
        "sections": {
            "stale": {
                "items": [{"account_id": 1}, {"account_id": "2"}, {"account_id": True}, "junk"],
                "more": 3,
            },
            "revenue_drop": {"items": [{"account_id": 1}]},
            "broken": None,
        },
        "covering": [{"owner": "U2", "items": [{"account_id": 5}], "more": 0}],
    }
    assert nudged("digest", facts) == [(1, "stale"), (1, "revenue_drop"), (5, "stale")]
    assert nudged("weekly_focus", {"account_id": 9}) == [(9, "stale")]
    assert nudged("tier_change", {"account_id": 9}) == []
    assert nudged("digest", {"sections": []}) == []


def _record(
    s: Any, team: str, outbox_id: int, account: Account, reason: str, at: datetime, to: str = "U1"
) -> None:
    s.add(NudgeSent(team_id=team, outbox_id=outbox_id, account_id=account.id, recipient=to, kind="digest",
                    reason=reason, sent_at=at))  # fmt: skip
    s.flush()


def test_nudge_records_carry_the_first_touch_after_each_nudge_and_stay_in_their_workspace(session) -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    day = timedelta(days=1)
    b = Builder(session)
    acme = b.account("Acme")
    beta = b.account("Beta")
    other = Builder(session, team="T2")
    theirs = other.account("Acme")
    _record(session, TEAM, 1, acme, "stale", now - 10 * day)
    _record(session, TEAM, 2, acme, "stale", now - 2 * day)
    _record(session, TEAM, 2, beta, "checkup_due", now - 2 * day, to="U1")
    _record(session, "T2", 3, theirs, "stale", now - 10 * day, to="U7")
    b.touch(acme, now - 11 * day)  # before every nudge: answers none
    b.touch(acme, now - 7 * day)  # after the first
    b.touch(acme, now - 6 * day)
    b.touch(beta, now + day)  # dated ahead of now: not yet
    other.touch(theirs, now - 9 * day)
    session.commit()
    records = nudge_records(session, TEAM, since=now - 30 * day, now=now)
    assert [(r.account, r.reason, r.sent_at, r.touched_at) for r in records] == [
        ("Acme", "stale", now - 10 * day, now - 7 * day),
        ("Acme", "stale", now - 2 * day, None),
        ("Beta", "checkup_due", now - 2 * day, None),
    ]
    assert nudge_records(session, TEAM, since=now - 5 * day, now=now)[0].sent_at == now - 2 * day
    assert nudge_records(session, TEAM, since=now - 30 * day, now=now, recipients=["U9"]) == []
    t2 = nudge_records(session, "T2", since=now - 30 * day, now=now)
    assert [(r.owner, r.touched_at) for r in t2] == [("U7", now - 9 * day)]
    recent = recent_nudges(session, TEAM, since=now - 5 * day, now=now)
    assert {a: [(n.outbox_id, n.reason) for n in ns] for a, ns in recent.items()} == {
        acme.id: [(2, "stale")],
        beta.id: [(2, "checkup_due")],
    }
    assert session.scalar(select(func.count()).select_from(NudgeSent)) == 4
