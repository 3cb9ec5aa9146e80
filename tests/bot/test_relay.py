"""The outbox relay against the loopback fake Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from accounts.thresholds import Thresholds
from bot.relay import METADATA_EVENT, Relay
from jobs import digest
from storage import holds
from storage.db import ensure_workspace
from storage.models import OutboxMessage
from storage.queues import outbox
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.conftest import NOW, Builder

TEAM = "T1"


def _real_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Clock:
    """Test time, starting at the real time (Slack's ts values are real time; reconciliation compares)."""

    now: datetime = field(default_factory=_real_now)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)

    def monotonic(self) -> float:
        return self.now.timestamp()

    def sleep(self, seconds: float) -> None:
        self.advance(seconds=seconds)


@pytest.fixture
def slack():
    with FakeSlackApi(rate_per_channel=1, team_id=TEAM) as fake:
        yield fake


def client_for(fake: FakeSlackApi, cls: type[WebClient] = WebClient) -> WebClient:
    return cls(token="xoxb-test", base_url=fake.base_url, timeout=5, retry_handlers=[])


def make_relay(
    sessions, fake: FakeSlackApi, clock: Clock, client: WebClient | None = None, **kw: Any
) -> Relay:
    """A relay on the test clock (pace included) unless monotonic/sleep are given."""
    kw.setdefault("monotonic", clock.monotonic)
    kw.setdefault("sleep", clock.sleep)
    return Relay(sessions, client or client_for(fake), team_id=TEAM, clock=clock, jitter=lambda: 0.0, **kw)


def enqueue_one(
    sessions,
    recipient: str = "U1",
    period: str = "p1",
    kind: str = "tier_change",
    now: datetime | None = None,
) -> int:
    facts = {
        "account": "Acme",
        "old_tier": "secondary",
        "new_tier": "key",
        "old_grade": "B",
        "new_grade": "A",
        "reasons": ["r"],
    }
    with sessions.begin() as s:
        ensure_workspace(s, TEAM)
        new_id = outbox.enqueue(
            s,
            team_id=TEAM,
            recipient=recipient,
            kind=kind,
            facts=facts,
            period=period,
            now=now or _real_now() - timedelta(seconds=5),
        )
    assert new_id is not None
    return new_id


def row(sessions, message_id: int) -> OutboxMessage:
    with sessions() as s:
        found = s.get(OutboxMessage, message_id)
        assert found is not None
        return found


def posts(fake: FakeSlackApi) -> list:
    return [c for c in fake.calls_to("chat.postMessage") if c.ok]


def test_digest_run_posts_one_dm_per_owner_and_second_run_nothing(sessions, slack) -> None:
    clock = Clock(NOW)
    with sessions.begin() as s:
        b = Builder(s)
        for name, owner, revenue in [("Ayla", "U1", 5e6), ("Bolt", "U2", 4e6), ("Cora", "U1", 3e6)]:
            b.account(name, owner=owner, revenue=revenue, profitability="high")
        b.filler(9)
    with sessions() as s:
        assert digest.run(s, NOW, Thresholds()).enqueued == 2
    relay = make_relay(sessions, slack, clock)
    stats = relay.drain()
    assert stats.sent == 2 and stats.dead == 0
    sent = posts(slack)
    assert sorted(c.params["channel"] for c in sent) == ["D1", "D2"]  # the DMs conversations.open gave
    for call in sent:
        assert call.params["metadata"]["event_type"] == METADATA_EVENT
        assert call.params["blocks"] and call.params["text"].startswith("Your accounts today")
    with sessions() as s:
        rows = list(s.scalars(select(OutboxMessage)))
        assert all(r.status == "sent" and r.slack_ts and r.channel for r in rows)
        assert {r.id for r in rows} == {c.params["metadata"]["event_payload"]["outbox_id"] for c in sent}
    # second run the same day: nothing new to post
    with sessions() as s:
        assert digest.run(s, NOW + timedelta(hours=3), Thresholds()).enqueued == 0
    assert relay.drain().claimed == 0
    assert len(posts(slack)) == 2
    assert len(slack.calls_to("conversations.open")) == 2  # DM channels are cached


def test_after_429_and_500_the_message_arrives_exactly_once(sessions, slack) -> None:
    clock = Clock()
    message_id = enqueue_one(sessions)
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    slack.fail_next("chat.postMessage", status=500)
    relay = make_relay(sessions, slack, clock)

    assert relay.run_once().retried == 1
    r = row(sessions, message_id)
    assert r.status == "pending" and r.attempts == 0 and r.next_attempt_at == clock.now + timedelta(seconds=7)
    assert relay.run_once().claimed == 0  # not before Retry-After
    clock.advance(seconds=7)
    assert relay.run_once().retried == 1  # the 500
    r = row(sessions, message_id)
    assert r.status == "pending" and r.last_error.startswith("retryable") and r.attempts == 1
    assert r.next_attempt_at == clock.now + timedelta(seconds=1)  # backoff 2 s with jitter in [1, 2]
    clock.advance(seconds=1)
    stats = relay.run_once()
    assert stats.sent == 1
    channel = row(sessions, message_id).channel
    assert len(slack.messages[channel]) == 1
    assert len(slack.calls_to("conversations.history")) == 1  # a 5xx may have posted: checked first
    assert row(sessions, message_id).slack_ts == slack.messages[channel][0]["ts"]


def test_backoff_grows_and_gives_up(sessions, slack) -> None:
    clock = Clock()
    message_id = enqueue_one(sessions)
    relay = make_relay(sessions, slack, clock, max_attempts=3)
    slack.fail_next("chat.postMessage", status=503, times=3)
    delays = []
    for _ in range(3):
        relay.run_once()
        r = row(sessions, message_id)
        if r.status == "dead":
            break
        delays.append((r.next_attempt_at - clock.now).total_seconds())
        clock.now = r.next_attempt_at
    assert delays == [1.0, 2.0]
    r = row(sessions, message_id)
    assert r.status == "dead" and "gave up after 3 attempts" in r.last_error
    assert posts(slack) == []


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "invalid_blocks", "is_archived"])
def test_permanent_errors_dead_letter_and_retry_revives(sessions, slack, error: str) -> None:
    clock = Clock()
    message_id = enqueue_one(sessions)
    slack.fail_next("chat.postMessage", error=error)
    relay = make_relay(sessions, slack, clock)
    assert relay.run_once().dead == 1
    r = row(sessions, message_id)
    assert r.status == "dead" and r.last_error == error
    assert relay.run_once().claimed == 0
    with sessions.begin() as s:
        assert [m.id for m in outbox.list_messages(s, team_id=TEAM, status="dead")] == [message_id]
        assert outbox.retry(s, team_id=TEAM, message_id=message_id, now=clock.now) is not None
    assert relay.run_once().sent == 1
    assert len(posts(slack)) == 1


@pytest.mark.parametrize("lanes", [1, 4])
@pytest.mark.parametrize(("method", "error"), [("chat.postMessage", "token_revoked"),
                                               ("conversations.open", "account_inactive")])  # fmt: skip
def test_a_refused_token_holds_the_workspace_and_dead_letters_nothing(
    sessions, slack, method, error, lanes
) -> None:
    clock = Clock()
    ids = [enqueue_one(sessions, recipient=f"U{i}", period=f"p{i}") for i in range(3)]
    slack.fail_next(method, error=error, times=3)  # a revoked token fails every call
    relay = make_relay(sessions, slack, clock, concurrency=lanes)
    first = relay.run_once()
    assert (first.claimed, first.dead, first.sent) == (3, 0, 0)
    if lanes == 1:
        assert len(slack.calls_to(method)) == 1  # the other two were not attempted
    slack.clear_failures()
    for message_id in ids:
        r = row(sessions, message_id)
        assert r.status == "pending" and r.attempts == 0 and r.last_error is None
    with sessions() as s:
        on_hold = holds.held(s, team_id=TEAM)
    assert on_hold is not None and error in on_hold.reason and "OAuth & Permissions" in on_hold.reason
    assert relay.run_once().claimed == 0 and slack.calls_to("auth.test") == []  # not re-checked at once
    clock.advance(seconds=61)
    slack.fail_next("auth.test", error=error)
    assert relay.run_once().claimed == 0  # still refused: still held
    clock.advance(seconds=61)
    assert relay.drain().sent == 3  # the token works again: released, each sent once
    assert len(slack.calls_to("auth.test")) == 2 and len(posts(slack)) == 3
    with sessions() as s:
        assert holds.held(s, team_id=TEAM) is None


def test_unknown_user_dead_letters_at_conversations_open(sessions, slack) -> None:
    slack.fail_next("conversations.open", error="user_not_found")
    message_id = enqueue_one(sessions, recipient="UGONE")
    assert make_relay(sessions, slack, Clock()).run_once().dead == 1
    assert row(sessions, message_id).last_error == "conversations.open: user_not_found"


def test_unknown_kind_dead_letters(sessions, slack) -> None:
    message_id = enqueue_one(sessions, kind="no_such_kind")
    assert make_relay(sessions, slack, Clock()).run_once().dead == 1
    assert row(sessions, message_id).last_error.startswith("render_failed")
    assert posts(slack) == []


def test_relay_dead_between_claim_and_post_loses_nothing(sessions, slack) -> None:
    clock = Clock()
    message_id = enqueue_one(sessions)
    with sessions.begin() as s:  # a relay claims... and dies
        assert (
            len(outbox.claim_due(s, team_id=TEAM, worker="dead", now=clock.now, lease=timedelta(minutes=2)))
            == 1
        )
    relay = make_relay(sessions, slack, clock)
    assert relay.run_once().claimed == 0  # its lease still holds
    clock.advance(minutes=2, seconds=1)
    assert relay.run_once().sent == 1
    assert len(posts(slack)) == 1
    assert row(sessions, message_id).status == "sent"


class DiesAfterPosting(Relay):
    """Posts, then dies before recording the ts (the worst moment)."""

    def _sent(self, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt("killed")


def test_relay_dead_between_post_and_mark_does_not_post_twice(sessions, slack) -> None:
    clock = Clock()
    message_id = enqueue_one(sessions)
    dying = DiesAfterPosting(sessions, client_for(slack), team_id=TEAM, clock=clock)
    with pytest.raises(KeyboardInterrupt):
        dying.run_once()
    r = row(sessions, message_id)
    assert r.status == "sending" and r.channel
    assert len(posts(slack)) == 1
    clock.advance(minutes=3)
    stats = make_relay(sessions, slack, clock).run_once()
    assert stats.reconciled == 1 and stats.sent == 0
    assert len(posts(slack)) == 1
    assert row(sessions, message_id).slack_ts == posts(slack)[0].answer["ts"]


class AnswerLost(WebClient):
    """The post reaches Slack but the answer never comes back (timeout after sending)."""

    lost = 0

    def chat_postMessage(self, **kwargs: Any):  # type: ignore[override]
        super().chat_postMessage(**kwargs)
        if AnswerLost.lost == 0:
            AnswerLost.lost += 1
            raise TimeoutError("read timed out")
        raise AssertionError("the relay must not post again")


def test_timeout_after_sending_is_reconciled_not_reposted(sessions, slack) -> None:
    clock = Clock()
    AnswerLost.lost = 0
    message_id = enqueue_one(sessions)
    relay = make_relay(sessions, slack, clock, client=client_for(slack, AnswerLost))
    assert relay.run_once().retried == 1
    r = row(sessions, message_id)
    assert r.status == "pending" and r.last_error.startswith("ambiguous")
    clock.advance(minutes=1)
    assert relay.run_once().reconciled == 1
    assert len(posts(slack)) == 1 and row(sessions, message_id).status == "sent"


def test_at_most_one_post_per_second_per_channel(sessions, slack) -> None:
    clock = Clock()
    for i in range(3):
        enqueue_one(sessions, recipient="U1", period=f"p{i}")
    enqueue_one(sessions, recipient="U2", period="p0")
    stats = make_relay(sessions, slack, clock, monotonic=time.monotonic, sleep=time.sleep).drain()
    assert stats.sent == 4
    assert all(c.status == 200 for c in slack.calls_to("chat.postMessage")), "the fake saw no 429"
    u1 = [c.at for c in posts(slack) if c.answer["channel"] == row(sessions, 1).channel]
    assert len(u1) == 3 and all(b - a >= 1.0 for a, b in zip(u1, u1[1:], strict=False))


def test_client_with_retry_handlers_is_refused(sessions, slack) -> None:
    with pytest.raises(ValueError, match="without retry handlers"):
        Relay(sessions, WebClient(token="x", base_url=slack.base_url), team_id=TEAM)


def test_other_workspace_rows_are_not_sent(sessions, slack) -> None:
    with sessions.begin() as s:
        ensure_workspace(s, "T2")
        outbox.enqueue(
            s, team_id="T2", recipient="U1", kind="tier_change", facts={"account": "X"}, period="p", now=NOW
        )
    assert make_relay(sessions, slack, Clock()).run_once().claimed == 0


def test_start_relay_delivers_in_the_background_and_stops(sessions, slack) -> None:
    from bot.relay import start_relay

    message_id = enqueue_one(sessions)
    with sessions.begin() as s:
        Builder(s).account("Acme", owner="U1")

    class Settings:
        slack_team_id = None

        def listed_admins(self, team: str) -> frozenset[str]:
            return frozenset()

    service = start_relay(sessions, Settings(), client=client_for(slack), team_id=TEAM)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and row(sessions, message_id).status != "sent":
            time.sleep(0.05)
        assert row(sessions, message_id).status == "sent"
        assert service.running
    finally:
        service.stop()
    assert not service.running
    assert slack.calls_to("users.info"), "the directory sync ran in the same loop"


def test_pace_deferral_keeps_the_reason_to_reconcile(sessions, slack) -> None:
    clock = Clock()
    first = enqueue_one(sessions, period="a")
    second = enqueue_one(sessions, period="b")
    client = client_for(slack)
    # An earlier attempt of `first` reached Slack, but its answer was lost.
    posted = client.chat_postMessage(
        channel="D1", text="x", metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_id": first}}
    )
    with sessions.begin() as s:
        s.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.id == first)
            .values(channel="D1", attempts=1, last_error="ambiguous: TimeoutError")
        )
    relay = make_relay(sessions, slack, clock, client=client)
    relay.pace.used("D1", clock.monotonic(), extra=10)  # the channel is busy for 10 s
    stats = relay.run_once()
    assert stats.claimed == 2 and stats.retried == 2 and stats.sent == 0
    assert row(sessions, first).last_error == "ambiguous: TimeoutError"
    clock.advance(seconds=11)
    time.sleep(1.05)  # the fake's real-time limit: one post per second into D1
    stats = relay.drain()
    assert stats.reconciled == 1 and stats.sent == 1
    assert row(sessions, first).slack_ts == posted["ts"]
    assert len(slack.messages["D1"]) == 2  # the earlier post and `second`; `first` not doubled
    assert row(sessions, second).status == "sent"


def test_start_relay_refuses_a_workspace_that_is_not_the_tokens(sessions, slack) -> None:
    """SLACK_TEAM_ID pointing at another workspace would post its nudges with this token: refused at start."""
    from bot.relay import start_relay

    class Settings:
        slack_team_id = "T0THER"

    with pytest.raises(
        RuntimeError,
        match=f"SLACK_TEAM_ID is T0THER but SLACK_BOT_TOKEN belongs to workspace {slack.team_id}",
    ):
        start_relay(sessions, Settings(), client=client_for(slack))


def test_a_news_channel_the_bot_left_pauses_the_feed_and_tells_its_admin_once(sessions, slack) -> None:
    from storage.feeds import add_feed, list_feeds

    clock = Clock()
    slack.add_channel("C0GONE", member=False)
    with sessions.begin() as s:
        ensure_workspace(s, TEAM)
        feed = add_feed(s, team_id=TEAM, url="http://127.0.0.1:9/news.rss", channel="C0GONE", added_by="U0ADMIN",
                        allowed_hosts=frozenset({"127.0.0.1"}), now=clock.now)  # fmt: skip
        feed_id = feed.id
        for n in (1, 2):  # two stories: the second must not tell the admin again
            facts = {"account": "Acme", "account_id": None, "tier": "key", "grade": "A", "title": f"Story {n}",
                     "link": f"https://news.example/{n}", "source": "Wire", "published": None, "mention_id": n,
                     "feed_id": feed_id}  # fmt: skip
            outbox.enqueue(s, team_id=TEAM, recipient="C0GONE", kind="news_alert", facts=facts, period=f"m{n}",
                           now=clock.now - timedelta(seconds=5))  # fmt: skip
    relay = make_relay(sessions, slack, clock)
    dead = relay.drain().dead
    clock.advance(seconds=10)  # the second story waited for the channel's pace,
    time.sleep(1.05)  # and the fake allows one post per second per channel
    assert dead + relay.drain().dead == 2
    dms = [c.params for c in posts(slack) if c.params["channel"] == "D0ADMIN"]
    assert len(dms) == 1 and "paused" in dms[0]["text"] and "not in that channel" in dms[0]["text"]
    assert "/invite @accountbot" in str(dms[0]["blocks"])
    with sessions.begin() as s:
        (view,) = list_feeds(s, team_id=TEAM)
        assert view.alerts_paused == "not_in_channel in <#C0GONE>"
        add_feed(s, team_id=TEAM, url="http://127.0.0.1:9/news.rss", channel="C0GONE",
                 allowed_hosts=frozenset({"127.0.0.1"}), now=clock.now)  # fmt: skip  # added again: resumed
    with sessions() as s:
        assert list_feeds(s, team_id=TEAM)[0].alerts_paused is None


def test_an_archived_channel_is_checked_before_posting_and_nothing_is_posted_there(sessions, slack) -> None:
    from storage.feeds import add_feed, list_feeds

    clock = Clock()
    slack.add_channel("C0OLD", archived=True)
    with sessions.begin() as s:
        ensure_workspace(s, TEAM)
        feed = add_feed(s, team_id=TEAM, url="http://127.0.0.1:9/old.rss", channel="C0OLD", added_by="U0ADMIN",
                        allowed_hosts=frozenset({"127.0.0.1"}), now=clock.now)  # fmt: skip
        facts = {"account": "Acme", "account_id": None, "tier": "key", "grade": "A", "title": "Story",
                 "link": "https://news.example/1", "source": "Wire", "published": None, "mention_id": 1,
                 "feed_id": feed.id}  # fmt: skip
        outbox.enqueue(s, team_id=TEAM, recipient="C0OLD", kind="news_alert", facts=facts, period="m1",
                       now=clock.now - timedelta(seconds=5))  # fmt: skip
    assert make_relay(sessions, slack, clock).drain().dead == 1
    assert [c.params["channel"] for c in slack.calls_to("chat.postMessage")] == [
        "D0ADMIN"
    ]  # only the admin's DM
    assert len(slack.calls_to("conversations.info")) == 1
    with sessions() as s:
        assert list_feeds(s, team_id=TEAM)[0].alerts_paused == "is_archived in <#C0OLD>"


def test_no_token_reaches_the_outbox_rows_the_logs_or_the_cli(
    sessions, slack, caplog, db_url, monkeypatch
) -> None:
    """A token inside Slack's error text or a renderer's exception is redacted before it is stored."""
    from typer.testing import CliRunner

    from accountbot.cli import app
    from bot.redaction import install_redaction
    from bot.render import registry

    install_redaction()  # as `accountbot run` does: logs are scrubbed (tracebacks too)
    secret = "xoxb-4242-4242-leakedsecrettoken"
    clock = Clock()
    caplog.set_level(logging.INFO)
    slack.fail_next("chat.postMessage", error=f"weird_error {secret}")
    first = enqueue_one(sessions, recipient="U1", period="p1")
    second = enqueue_one(sessions, recipient="U2", period="p2", kind="boom")
    monkeypatch.setitem(
        registry.RENDERERS, "boom", lambda facts: (_ for _ in ()).throw(RuntimeError(f"bad {secret}"))
    )
    assert make_relay(sessions, slack, clock).drain().dead == 2
    for message_id in (first, second):
        assert secret not in (row(sessions, message_id).last_error or "")
    with sessions() as s:
        dump = str([(m.last_error, m.facts) for m in s.scalars(select(OutboxMessage))])
    assert secret not in dump and "[redacted]" in dump
    result = CliRunner().invoke(app, ["outbox", "--dead", "--json", "--team", TEAM],
                                env={"DATABASE_URL": db_url, "SLACK_TEAM_ID": None})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert secret not in result.output and secret not in caplog.text


def test_rows_a_failed_pass_never_started_are_released_at_once(sessions, slack, monkeypatch) -> None:
    """The database drops while the relay works through its claimed rows: the ones it never started are due
    again at once (not after the 2-minute lease), their claim not counted; the one in hand waits its lease."""
    from sqlalchemy.exc import OperationalError

    clock = Clock()
    ids = [enqueue_one(sessions, recipient=f"U{i}", period=f"p{i}") for i in range(4)]
    relay = make_relay(sessions, slack, clock)
    real = relay._deliver
    calls = []

    def deliver(row: Any, stats: Any) -> None:
        calls.append(row.id)
        if len(calls) == 2:
            raise OperationalError("UPDATE outbox ...", {}, ConnectionResetError())
        real(row, stats)

    monkeypatch.setattr(relay, "_deliver", deliver)
    with pytest.raises(OperationalError):
        relay.run_once()
    in_hand = calls[1]
    untouched = [i for i in ids if i not in calls]
    assert len(untouched) == 2
    for message_id in untouched:
        r = row(sessions, message_id)
        assert (r.status, r.lease_owner, r.attempts) == ("pending", None, 0)
    assert (
        row(sessions, in_hand).status == "sending"
    )  # it may have been posted: its lease and reconcile decide
    monkeypatch.setattr(relay, "_deliver", real)
    assert relay.run_once().sent == 2  # the released ones, right away


def test_a_message_failing_with_500_to_its_last_attempt_is_dead_and_the_admin_is_told(
    sessions, slack
) -> None:
    """Slack answers 500 to every attempt: the message ends dead-lettered (never retried forever), and the next
    morning the workspace's admin gets the day's count with what to do; the count itself is then delivered."""
    from accounts.thresholds import Thresholds
    from jobs import dead_letters
    from storage.models import SlackUser

    clock = Clock()
    message_id = enqueue_one(sessions)
    with sessions.begin() as s:
        s.add(SlackUser(team_id=TEAM, user_id="U0ADMIN", tz="UTC", is_admin=True, refreshed_at=clock.now))
    relay = make_relay(sessions, slack, clock, max_attempts=4)
    slack.fail_next("chat.postMessage", status=500, error="internal_error", times=4)
    for _ in range(4):
        relay.run_once()
        r = row(sessions, message_id)
        if r.status == "dead":
            break
        clock.now = r.next_attempt_at
    r = row(sessions, message_id)
    assert r.status == "dead" and r.attempts == 4 and "gave up after 4 attempts" in (r.last_error or "")
    morning = clock.now.replace(hour=9, minute=30) + timedelta(days=1 if clock.now.hour >= 9 else 0)
    with sessions() as s:
        assert dead_letters.run(s, morning, Thresholds()).enqueued == 1
    clock.now = morning
    assert relay.drain().sent == 1
    told = [c.params for c in posts(slack) if c.params["channel"] == "D0ADMIN"]
    assert len(told) == 1 and "1 message could not be delivered" in str(told[0]["blocks"])
    assert "gave_up" in str(told[0]["blocks"]) and "status.slack.com" in str(told[0]["blocks"])


HANG = 4.0  # below the client's 5 s timeout


@pytest.mark.parametrize("lanes", [1, 4])
def test_a_hanging_call_holds_up_only_its_own_channel(sessions, lanes) -> None:
    """Slack takes 4 s to answer one post to C1: the posts to C2-C4 go out meanwhile (with 4 lanes), and every
    row is posted exactly once. With one lane they wait behind it: the 1-lane case shows the test can fail."""
    with FakeSlackApi(team_id=TEAM) as fake:
        ids = [enqueue_one(sessions, recipient=f"C{i}", period=f"p{i}") for i in range(1, 5)]
        fake.hang_next("chat.postMessage", HANG, channel="C1")
        stats = Relay(sessions, client_for(fake), team_id=TEAM, concurrency=lanes).run_once()
        assert (stats.claimed, stats.sent, stats.dead) == (4, 4, 0)
        by_channel = {c.params["channel"]: c for c in posts(fake)}
        assert sorted(by_channel) == ["C1", "C2", "C3", "C4"] and len(posts(fake)) == 4
        hung = by_channel["C1"]
        others = [c.at for ch, c in by_channel.items() if ch != "C1"]
        if lanes == 1:
            assert min(others) >= hung.at + HANG  # claim order: C1 first, the others only after its answer
        else:
            assert max(others) < hung.at + HANG  # all three went out while C1 waited for its answer
        for message_id in ids:
            assert row(sessions, message_id).status == "sent"
