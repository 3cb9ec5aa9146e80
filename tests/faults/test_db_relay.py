"""Scenario 3 in the outbox relay: its PostgreSQL connection is cut in the middle of a pass, right after the
first message went into Slack (the fake Slack's call recording pulls the trigger), then comes back.

In the end every message is in Slack exactly once (one accepted chat.postMessage per outbox row, the row's
slack_ts that post's), nothing is lost, and the rows the failed pass had claimed but not started are released at
once (due again in the next pass, not after the 2-minute lease) when the database answers the release; when it
does not, they wait for their lease like the one in hand, which is then reconciled from Slack's history rather
than posted again. Checked with one lane (one recipient: the cut lands exactly after the first post) and with the
relay's several lanes (eight recipients).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.relay import METADATA_EVENT, Relay
from storage.db import ensure_workspace, make_engine, session_factory
from storage.models import OutboxMessage
from storage.queues import outbox
from tests.fakes.slack_api import FakeSlackApi, SlackCall
from tests.faults.db_proxy import DbProxy

pytestmark = pytest.mark.postgres

MESSAGES = 8
LEASE = timedelta(minutes=2)  # the relay's default, named here to step past it


@dataclass
class Clock:
    """The relay's time (database instants and its pace), moved by the test; starts at the real time because
    Slack's ts values are real time and reconciliation reads the history from the row's creation on."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.now.timestamp()

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def relay_sessions(proxied_url: str) -> Iterator[sessionmaker[Session]]:
    """The relay's sessions, through the proxy."""
    engine = make_engine(proxied_url)
    yield session_factory(engine)
    engine.dispose()


def enqueue(sessions: sessionmaker[Session], team: str, recipients: list[str], now: datetime) -> list[int]:
    facts = {"account": "Acme", "old_tier": "secondary", "new_tier": "key", "old_grade": "B", "new_grade": "A",
             "reasons": ["r"]}  # fmt: skip
    ids = []
    with sessions.begin() as s:
        ensure_workspace(s, team)
        for i, recipient in enumerate(recipients):
            new_id = outbox.enqueue(s, team_id=team, recipient=recipient, kind="tier_change", facts=facts,
                                    period=f"p{i}", now=now - timedelta(seconds=5))  # fmt: skip
            assert new_id is not None
            ids.append(new_id)
    return ids


def rows(sessions: sessionmaker[Session], ids: list[int]) -> dict[int, OutboxMessage]:
    with sessions() as s:
        return {r.id: r for r in s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}


def posted(fake: FakeSlackApi) -> dict[int, list[SlackCall]]:
    """Accepted chat.postMessage calls by the outbox id in their metadata."""
    out: dict[int, list[SlackCall]] = {}
    for call in fake.calls_to("chat.postMessage"):
        meta = call.params.get("metadata") or {}
        if call.ok and meta.get("event_type") == METADATA_EVENT:
            out.setdefault(int(meta["event_payload"]["outbox_id"]), []).append(call)
    return out


def cut_after_first_post(
    fake: FakeSlackApi, monkeypatch: pytest.MonkeyPatch, pull: Callable[[], object]
) -> None:
    """Call `pull()` once, when the fake records its first accepted chat.postMessage (before the relay hears
    Slack's answer, so the relay's next database step meets the fault)."""
    real = fake._record
    pulled: list[bool] = []

    def record(call: SlackCall) -> None:
        if call.method == "chat.postMessage" and call.ok and not pulled:
            pulled.append(True)
            pull()
        real(call)

    monkeypatch.setattr(fake, "_record", record)


@pytest.mark.parametrize("lanes", ["one-lane", "lanes"])
@pytest.mark.parametrize("fault", ["blip", "outage"])
def test_a_pass_cut_after_its_first_post_loses_nothing_and_posts_each_message_once(
    fake_slack: FakeSlackApi,
    db_proxy: DbProxy,
    relay_sessions: sessionmaker[Session],
    pg_sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    lanes: str,
) -> None:
    caplog.set_level(logging.INFO, logger="accountbot.relay")
    team, clock = fake_slack.team_id, Clock()
    recipients = ["U0OWNER1"] * MESSAGES if lanes == "one-lane" else [f"U0OWNER{i}" for i in range(MESSAGES)]
    ids = enqueue(pg_sessions, team, recipients, clock.now)
    client = WebClient(token="xoxb-test", base_url=fake_slack.base_url, timeout=10, retry_handlers=[])
    relay = Relay(relay_sessions, client, team_id=team, clock=clock, monotonic=clock.monotonic,
                  sleep=clock.sleep, jitter=lambda: 0.0, lease=LEASE)  # fmt: skip
    if fault == "blip":  # the next statement on the outbox is cut, once; the database is back at once
        cut_after_first_post(fake_slack, monkeypatch, lambda: db_proxy.cut_when(b"UPDATE outbox SET"))
    else:  # the database goes away until restore()
        cut_after_first_post(fake_slack, monkeypatch, lambda: db_proxy.cut(refuse=True))

    with pytest.raises(DBAPIError):
        relay.run_once()
    assert db_proxy.cuts == 1
    first = posted(fake_slack)
    assert first and all(len(calls) == 1 for calls in first.values())
    state = rows(pg_sessions, ids)
    released = [i for i, r in state.items() if r.status == "pending"]
    in_hand = [i for i, r in state.items() if r.status == "sending"]
    assert not set(released) & set(first)  # a released row was never posted
    if lanes == "one-lane":  # the cut landed exactly after the first post: the rest never started
        assert list(first) == [ids[0]] and state[ids[0]].status == "sending"
        assert sorted(released) == (ids[1:] if fault == "blip" else [])

    if fault == "blip":
        assert released, "rows the pass never started are handed back"
        for i in released:
            assert (state[i].lease_owner, state[i].attempts) == (None, 0)
        said = re.findall(r"outbox_released team=\S+ rows=(\d+)", caplog.text)
        assert said == [str(len(released))]
        again = relay.run_once()  # the same instant: due now, not after the lease
        assert again.claimed == len(released) and again.sent == len(released)
    else:
        assert released == [] and "outbox_release_failed" in caplog.text  # the release met the dead database
        assert set(in_hand) | {i for i, r in state.items() if r.status == "sent"} == set(ids)
        db_proxy.restore()
        assert relay.run_once().claimed == 0  # every claim is still leased

    clock.now += LEASE + timedelta(seconds=1)  # the leases of the rows in hand expire
    relay.drain()
    final = rows(pg_sessions, ids)
    assert {r.status for r in final.values()} == {"sent"}  # nothing lost
    sent = posted(fake_slack)
    assert sorted(sent) == sorted(ids) and all(
        len(calls) == 1 for calls in sent.values()
    )  # each exactly once
    for message_id, calls in sent.items():
        assert final[message_id].slack_ts == calls[0].answer["ts"]
    assert len([c for c in fake_slack.calls_to("chat.postMessage") if c.ok]) == MESSAGES
    assert relay.run_once().claimed == 0
