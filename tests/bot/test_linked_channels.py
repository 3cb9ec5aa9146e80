"""Linked channels end to end, on SQLite and PostgreSQL: `/account link|unlink|links` as signed slash commands,
channel messages as signed Events API callbacks, Slack faked on loopback. A message in a linked channel is a
touch of the account (one per link and day), the digest stops calling the account neglected, no text is ever
stored, unlinking deletes what was recorded, and other channels and workspaces count nothing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jobs import digest
from storage.models import (
    Base,
    ChannelLink,
    ChannelTouch,
    ChannelTouchUser,
    Contact,
    Interaction,
    InteractionContact,
    LatestTouch,
    OutboxMessage,
)
from storage.reads.accounts import find_account
from storage.writes.slack_users import remember_slack_user
from tests.bot.conftest import BotHarness
from tests.bot.seed import OWNER, STRANGER, all_text
from tests.conftest import NOW

SHARED = "C0ACMESHR"
CLIENT_TEAM = "T0ACMECO"
JANE = "U0EXTJANE"  # Acme's Jane Doe, from Acme's own Slack organisation
NOBODY = "U0EXTANON"  # an Acme person whose organisation does not share emails
SECRET = "SECRET-renewal-7f3a9"  # message text that must never be stored
_seq = iter(range(1, 10**6))


@pytest.fixture
def h(bot: BotHarness) -> BotHarness:
    bot.fake_slack.add_channel(SHARED, shared=True)
    bot.fake_slack.add_user(JANE, team_id=CLIENT_TEAM, email="Jane.Doe@acme.example")
    bot.fake_slack.add_user(NOBODY, team_id=CLIENT_TEAM, email=None)
    with bot.sessions.begin() as s:
        s.execute(update(Contact).where(Contact.name == "Jane Doe").values(email="jane.doe@acme.example"))
    return bot


def command(h: BotHarness, text: str, user: str = OWNER) -> str:
    resp = h.post_command(text, user_id=user)
    assert resp.status_code == 200
    return all_text(h.followup(resp).params)


def message(
    h: BotHarness, user: str, at: datetime, *, channel: str = SHARED, team_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    event = {
        "type": "message",
        "channel": channel,
        "channel_type": "channel",
        "user": user,
        "text": f"{SECRET} {next(_seq)}",
        "ts": f"{at.timestamp():.6f}",
        "event_ts": f"{at.timestamp():.6f}",
    }
    if user in (JANE, NOBODY):
        event["user_team"] = event["source_team"] = CLIENT_TEAM
    event.update(extra)
    assert h.post_event(event, team_id=team_id).status_code == 200
    return event


def count(h: BotHarness, model: type[Base]) -> int:
    with h.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def eventually(check: Callable[[], bool], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the bot did not record it in time")
        time.sleep(0.05)


def participants(h: BotHarness) -> set[str]:
    with h.sessions() as s:
        return set(s.scalars(select(ChannelTouchUser.user_id)))


def last_touch(s: Session, account_id: int) -> datetime | None:
    row = s.get(LatestTouch, account_id)
    assert row is not None, "the account has no latest touch"
    return row.last_touch_at


def acme(h: BotHarness) -> int:
    with h.sessions() as s:
        found = find_account(s, h.team_id, "Acme Corp").account
        assert found is not None
        return found.id


def dump(h: BotHarness) -> str:
    """Every row of every table, as text (the database as a backup would hold it)."""
    out = []
    with h.sessions() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                out.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(out)


def stale_accounts(h: BotHarness, at: datetime) -> list[str]:
    """The accounts in the owner's digest's "overdue for a touch" section at `at` (the real digest job)."""
    with h.sessions() as s:
        digest.run(s, at, h.ctx.thresholds)
        s.commit()
    with h.sessions() as s:
        row = s.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == OWNER, OutboxMessage.kind == "digest")
            .order_by(OutboxMessage.id.desc())
        ).first()  # fmt: skip
        assert row is not None
        stale = row.facts["sections"].get("stale") or {"items": []}
        return [i["account"] for i in stale["items"]]


def test_a_message_in_a_linked_channel_is_a_touch_and_the_account_is_no_longer_neglected(
    h: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with h.sessions.begin() as s:  # the owner's zone is known, so the digest is due at 09:00 UTC
        remember_slack_user(s, team_id=h.team_id, user_id=OWNER, is_admin=False, now=NOW, tz="UTC",
                            membership="member")  # fmt: skip
    assert "Acme Corp" in stale_accounts(h, NOW)  # last touched 20 days ago

    reply = command(h, f"link Acme Corp <#{SHARED}|acme-shared>")
    assert "Linked" in reply and "never the text" in reply
    assert "not shared" not in reply  # a Slack Connect channel: no warning
    at = NOW - timedelta(hours=2)
    message(h, JANE, at)
    eventually(lambda: count(h, ChannelTouch) == 1)

    with h.sessions() as s:
        touch = s.scalars(select(Interaction).where(Interaction.account_id == acme(h)).order_by(
            Interaction.occurred_at.desc())).first()  # fmt: skip
        assert touch is not None
        jane = s.scalars(select(Contact).where(Contact.name == "Jane Doe")).one()
        assert (touch.occurred_at, touch.kind, touch.note, touch.contact_id, touch.colleague) == (
            at, "other", None, jane.id, None)  # fmt: skip
        assert s.scalars(select(InteractionContact.contact_id).where(
            InteractionContact.interaction_id == touch.id)).all() == [jane.id]  # fmt: skip
        assert s.get(LatestTouch, acme(h)).last_touch_at == at  # type: ignore[union-attr]
    assert participants(h) == {JANE}
    # The email Slack gave is remembered: the next message asks users.info nothing more.
    asked = len(h.fake_slack.calls_to("users.info"))
    message(h, JANE, at + timedelta(minutes=5))
    message(h, OWNER, at + timedelta(minutes=6))
    eventually(lambda: participants(h) == {JANE, OWNER})
    assert JANE not in [c.params["user"] for c in h.fake_slack.calls_to("users.info")[asked:]]

    assert "Acme Corp" not in stale_accounts(h, NOW + timedelta(days=1))  # would be 21 days without it

    assert "channel_message_counted" in caplog.text and SECRET not in caplog.text  # nor in the logs
    text = dump(h)
    assert JANE in text and SHARED in text  # the metadata is there ...
    assert SECRET not in text  # ... and the text nowhere
    if h.engine.dialect.name == "sqlite":  # nor in the file itself (free pages, the journal)
        path = Path(str(h.engine.url.database))
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")):
            if file.exists():
                assert SECRET.encode() not in file.read_bytes()


def test_a_busy_day_is_one_touch_and_the_next_day_another(h: BotHarness) -> None:
    command(h, f"link Acme Corp <#{SHARED}|acme-shared>")
    start = NOW - timedelta(days=1, hours=8)  # 01:00 UTC the day before
    for minutes in range(0, 50, 5):  # ten messages within the hour
        message(h, JANE if minutes % 10 else OWNER, start + timedelta(minutes=minutes))
    eventually(lambda: participants(h) == {JANE, OWNER})
    time.sleep(0.5)  # every one of the ten has been handled
    message(h, NOBODY, start + timedelta(hours=3))  # no email: counts, with no contact
    eventually(lambda: participants(h) == {JANE, OWNER, NOBODY})
    with h.sessions() as s:
        (touch,) = s.scalars(select(ChannelTouch)).all()
        row = s.get(Interaction, touch.interaction_id)
        assert row is not None and row.colleague == OWNER
        assert row.occurred_at == start + timedelta(hours=3)  # moved to the latest message (hours apart)
        assert touch.day == start.date()
    assert count(h, InteractionContact) == 3  # the seeded two and Jane's; the anonymous one matched nobody

    message(h, JANE, start + timedelta(days=1))
    eventually(lambda: count(h, ChannelTouch) == 2)
    with h.sessions() as s:
        days = sorted(t.day for t in s.scalars(select(ChannelTouch)))
    assert days == [start.date(), start.date() + timedelta(days=1)]


def test_unlink_stops_counting_and_deletes_what_was_recorded(h: BotHarness) -> None:
    with h.sessions() as s:
        before = last_touch(s, acme(h))
        interactions = s.scalar(select(func.count()).select_from(Interaction))
    command(h, f"link Acme Corp <#{SHARED}|acme-shared>")
    message(h, JANE, NOW - timedelta(days=2))
    message(h, OWNER, NOW - timedelta(days=1))
    eventually(lambda: count(h, ChannelTouchUser) == 2 and count(h, ChannelTouch) == 2)
    assert "1 linked channels" in command(h, "links", user=STRANGER)
    listed = command(h, "links Acme Corp", user=STRANGER)  # anyone may look
    assert SHARED in listed and "2 days with a touch" in listed

    refused = command(h, f"unlink Acme Corp <#{SHARED}>", user=STRANGER)  # not the owner, not an admin
    assert "Only its owner" in refused and count(h, ChannelLink) == 1

    reply = command(h, f"unlink Acme Corp <#{SHARED}|acme-shared>")
    assert "Unlinked" in reply and "2 days with a touch" in reply
    for model in (ChannelLink, ChannelTouch, ChannelTouchUser):
        assert count(h, model) == 0, model.__tablename__
    assert count(h, Interaction) == interactions
    assert count(h, InteractionContact) == 2  # the seeded ones only
    with h.sessions() as s:
        assert s.get(LatestTouch, acme(h)).last_touch_at == before  # type: ignore[union-attr]
    # Only the users.info cache remembers her (her email, for the next link), nothing of the channel
    assert [line.split(":")[0] for line in dump(h).splitlines() if JANE in line] == ["slack_users"]
    assert SHARED not in dump(h)

    message(h, JANE, NOW)  # no longer linked
    time.sleep(0.5)
    assert count(h, ChannelTouch) == 0 and count(h, Interaction) == interactions
    assert "No channels are linked" in command(h, "links Acme Corp")
    assert "was not linked" in command(h, f"unlink Acme Corp <#{SHARED}>")


def test_other_channels_workspaces_bots_and_edits_count_nothing(h: BotHarness) -> None:
    command(h, f"link Acme Corp <#{SHARED}|acme-shared>")
    asked = len(h.fake_slack.calls_to("users.info"))
    message(h, "U0OTHERWS1", NOW, team_id="T0OTHERWS")  # the same channel id, delivered for another workspace
    message(h, JANE, NOW, channel="C0GENERAL")  # a channel nobody linked
    message(h, OWNER, NOW, subtype="message_changed")
    message(h, OWNER, NOW, subtype="channel_join")
    message(h, OWNER, NOW, bot_id="B0OTHER", subtype="bot_message")
    message(h, OWNER, NOW, channel_type="im", channel="D0OWNER01")
    h.fake_slack.add_user("U0ROBOT01", is_bot=True)
    message(h, "U0ROBOT01", NOW)  # a bot user without bot_id
    time.sleep(1.0)
    message(h, OWNER, NOW + timedelta(minutes=1))  # the probe: counted
    eventually(lambda: count(h, ChannelTouchUser) == 1)
    time.sleep(0.3)
    assert participants(h) == {OWNER} and count(h, ChannelTouch) == 1
    looked_up = {c.params["user"] for c in h.fake_slack.calls_to("users.info")[asked:]}
    assert looked_up <= {OWNER, "U0ROBOT01"}  # nobody outside a linked channel of this workspace


def test_linking_is_for_the_owner_or_an_admin_and_needs_the_bot_in_the_channel(h: BotHarness) -> None:
    refused = command(h, f"link Acme Corp <#{SHARED}>", user=STRANGER)
    assert "Only its owner" in refused and count(h, ChannelLink) == 0
    h.fake_slack.add_channel("C0NOTIN01", member=False)
    out = command(h, "link Acme Corp <#C0NOTIN01|elsewhere>")
    assert "not linked" in out and "/invite @accountbot" in out and count(h, ChannelLink) == 0
    h.fake_slack.add_channel("C0INTERNL", shared=False)
    warned = command(h, "link Acme Corp <#C0INTERNL|acme-team>")
    assert "not shared with another organisation" in warned and count(h, ChannelLink) == 1
    assert "already linked" in command(h, "link Acme Corp <#C0INTERNL>")
    assert "needs the account and the #channel" in command(h, "link Acme")
    assert "is not a channel" in command(h, "link Acme Corp acme-shared")
    assert "goes after the account name" in command(h, "unlink Acme Corp")
    assert count(h, ChannelLink) == 1
    with h.sessions() as s:
        (link,) = s.scalars(select(ChannelLink)).all()
        assert (link.team_id, link.channel_id, link.linked_by) == (h.team_id, "C0INTERNL", OWNER)


def test_the_message_time_comes_from_slack_and_a_future_one_is_now() -> None:
    from bot.listeners.linked_channels import counts, message_time

    at = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
    assert message_time(f"{at.timestamp():.6f}", NOW) == at
    assert message_time("not a ts", NOW) == NOW
    assert message_time(f"{(NOW + timedelta(hours=1)).timestamp():.6f}", NOW) == NOW
    person = {"type": "message", "channel": "C1", "user": "U1", "channel_type": "channel"}
    assert counts(person) and counts({**person, "subtype": "thread_broadcast"})
    assert not counts({**person, "subtype": "message_deleted"}) and not counts({**person, "bot_id": "B1"})
