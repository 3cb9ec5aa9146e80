"""jobs.escalation: off by default; once a week per account after 3 ignored nudges (or twice the cadence), to the
owner's manager, else the escalation channel; never when a touch followed. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.escalation import ESCALATION_MEMORY, split_escalated
from accounts.signals import build_digest
from accounts.thresholds import Thresholds
from bot.render.registry import render
from jobs import escalation
from jobs.registry import JOBS
from storage import preferences
from storage.escalation import (
    escalated_accounts,
    escalation_choice,
    save_directory_managers,
    set_escalation,
    set_manager,
)
from storage.models import Account, EscalationSent, NudgeSent, OutboxMessage, SlackUser
from storage.reads.account_states import by_owner, watched_states
from tests.jobs.conftest import TEAM, Builder

TH = Thresholds()
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # W48
DAY = timedelta(days=1)
_outbox_ids = iter(range(1000, 100_000))


def setup(build: Builder, touched_days_ago: float | None = 20) -> Account:
    """Acme: key tier, grade A (cadence 14) owned by U1 (UTC), last touched `touched_days_ago` before MONDAY."""
    build.user("U1", tz="UTC")
    acme = build.account("Acme", revenue=9e6, profitability="high")
    build.account("Beta", revenue=8e6, profitability="high")
    build.filler(6, owner="U2")
    if touched_days_ago is not None:
        build.touch(acme, MONDAY - touched_days_ago * DAY)
    return acme


def nudge(
    session: Session, account: Account, at: datetime, reason: str = "stale", team: str = TEAM, to: str = "U1"
) -> None:
    session.add(NudgeSent(team_id=team, outbox_id=next(_outbox_ids), account_id=account.id, recipient=to,
                          kind="digest", reason=reason, sent_at=at))  # fmt: skip
    session.flush()


def nudged_three_times(session: Session, account: Account) -> None:
    for days_ago in (5, 4, 3):  # Wednesday to Friday of the week before
        nudge(session, account, MONDAY - days_ago * DAY)


def escalations(session: Session) -> list[tuple[str, str, dict[str, Any]]]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "escalation").order_by(OutboxMessage.id)
    )
    return [(r.recipient, r.dedup_key, r.facts) for r in rows]


def enable(session: Session, channel: str | None = None) -> None:
    set_escalation(session, TEAM, now=MONDAY, enabled=True, channel=channel, by="U0ADMIN")


def test_off_by_default(session, build: Builder) -> None:
    acme = setup(build)
    nudged_three_times(session, acme)
    set_manager(session, TEAM, "U1", "U9", now=MONDAY)
    session.commit()
    assert escalation_choice(session, TEAM).enabled is False
    result = escalation.run(session, MONDAY, TH)
    assert result.claimed == 0 and escalations(session) == []
    enable(session)
    session.commit()
    assert escalation.run(session, MONDAY, TH).enqueued == 1  # the same data, switched on
    set_escalation(session, TEAM, now=MONDAY, enabled=False)
    session.commit()
    assert escalation.run(session, MONDAY + 7 * DAY, TH).claimed == 0  # and off again


def test_three_ignored_nudges_escalate_once_a_week_to_the_manager(session, build: Builder) -> None:
    acme = setup(build)
    nudged_three_times(session, acme)
    set_manager(session, TEAM, "U1", "U9", now=MONDAY)
    enable(session, channel="C0ESC")
    session.commit()
    assert escalation.run(session, MONDAY - timedelta(minutes=1), TH).claimed == 0  # Monday 08:59: not yet
    result = escalation.run(session, MONDAY, TH)
    assert result.enqueued == 1
    [(to, key, facts)] = escalations(session)
    assert to == "U9" and key.endswith(f":{acme.id}:{acme.id}:2026-W48")
    assert facts["account"] == "Acme" and facts["owner"] == "U1" and facts["to_kind"] == "manager"
    assert (facts["days_overdue"], facts["nudges_ignored"], facts["reasons"]) == (6, 3, ["nudges_ignored"])
    assert facts["week"] == "2026-W48"
    # later that week: nothing new, however often the job ticks
    for hours in (1, 26, 50, 73):
        assert escalation.run(session, MONDAY + timedelta(hours=hours), TH).enqueued == 0
    # next week, still untouched: once more
    assert escalation.run(session, MONDAY + 7 * DAY, TH).enqueued == 1
    weeks = [f["week"] for _, _, f in escalations(session)]
    assert weeks == ["2026-W48", "2026-W49"]
    stored = session.scalars(select(EscalationSent.week).order_by(EscalationSent.id)).all()
    assert stored == ["2026-W48", "2026-W49"]
    # the renderer names the account, the days overdue and the nudges ignored
    message = render("escalation", escalations(session)[0][2])
    assert (
        "Acme" in message.text and "6 days overdue" in message.text and "3 nudge(s) ignored" in message.text
    )


def test_a_paused_owner_is_not_escalated_until_back(session, build: Builder) -> None:
    acme = setup(build)
    nudged_three_times(session, acme)
    set_manager(session, TEAM, "U1", "U9", now=MONDAY)
    enable(session)
    wednesday = MONDAY + 2 * DAY
    preferences.pause(session, TEAM, "U1", wednesday.date(), now=MONDAY - DAY, by="U1")  # on vacation
    session.commit()
    for hours in (0, 1, 5, 24, 30):  # Monday and Tuesday, within the window: paused
        assert escalation.run(session, MONDAY + timedelta(hours=hours), TH).claimed == 0
    assert escalations(session) == []
    result = escalation.run(session, wednesday, TH)  # the first day back: their nudges are still unanswered
    assert result.enqueued == 1 and escalations(session)[0][0] == "U9"


def test_nudges_a_backup_got_while_covering_do_not_count_against_the_owner(session, build: Builder) -> None:
    acme = setup(build)
    set_manager(session, TEAM, "U1", "U9", now=MONDAY)
    enable(session)
    build.user("U3", tz="UTC")
    preferences.save(session, TEAM, "U1", now=MONDAY - 9 * DAY, by="U1", backup="U3")
    preferences.pause(session, TEAM, "U1", MONDAY.date(), now=MONDAY - 9 * DAY, by="U1")
    for days_ago in (7, 6, 5, 4, 3):  # the backup's digests carried Acme all week (covering: stale)
        nudge(session, acme, MONDAY - days_ago * DAY, to="U3")
    session.commit()
    assert escalation.run(session, MONDAY, TH).claimed == 0  # back on Monday: nothing of theirs ignored yet
    for days_ago in (6, 5, 4):  # the owner's own digests from Tuesday on (the next week's Monday runs it)
        nudge(session, acme, MONDAY + 7 * DAY - days_ago * DAY)
    session.commit()
    assert escalation.run(session, MONDAY + 7 * DAY, TH).enqueued == 1
    [(to, _, facts)] = escalations(session)
    assert to == "U9" and facts["nudges_ignored"] == 3  # the owner's three, not the backup's five


def test_two_nudges_are_not_enough(session, build: Builder) -> None:
    acme = setup(build)
    for days_ago in (4, 3):
        nudge(session, acme, MONDAY - days_ago * DAY)
    nudge(session, acme, MONDAY - 40 * DAY)  # before the 4-week lookback
    set_manager(session, TEAM, "U1", "U9", now=MONDAY)
    enable(session)
    session.commit()
    assert escalation.run(session, MONDAY, TH).claimed == 0


def test_not_when_a_touch_followed(session, build: Builder) -> None:
    acme = setup(build)
    nudged_three_times(session, acme)
    build.touch(acme, MONDAY - 2 * DAY)  # after the nudges, within the cadence
    set_manager(session, TEAM, "U1", "U9", now=MONDAY)
    enable(session)
    session.commit()
    assert escalation.run(session, MONDAY, TH).claimed == 0
    assert escalations(session) == []


def test_twice_the_cadence_with_one_ignored_nudge(session, build: Builder) -> None:
    acme = setup(build, touched_days_ago=30)  # more than 2 x 14
    nudge(session, acme, MONDAY - 3 * DAY, reason="checkup_due")
    enable(session, channel="C0ESC")
    session.commit()
    assert escalation.run(session, MONDAY, TH).enqueued == 1
    [(to, _, facts)] = escalations(session)
    assert to == "C0ESC" and facts["to_kind"] == "channel"  # no manager on record: the channel
    assert facts["reasons"] == ["overdue_twice"] and facts["nudge_reasons"] == ["checkup_due"]
    assert facts["days_overdue"] == 16


def test_nobody_to_tell_means_no_escalation(session, build: Builder) -> None:
    acme = setup(build)
    nudged_three_times(session, acme)
    enable(session)  # no channel, and U1 has no manager
    session.commit()
    assert escalation.run(session, MONDAY, TH).claimed == 0


def test_a_manager_by_email_from_the_owner_directory(session, build: Builder) -> None:
    acme = setup(build)
    nudged_three_times(session, acme)
    build.user("U1", tz="UTC", email="owner@example.com")
    save_directory_managers(session, TEAM, {"Owner@Example.com": "boss@example.com"}, now=MONDAY)
    enable(session, channel="C0ESC")
    session.commit()
    escalation.run(session, MONDAY, TH)
    assert escalations(session)[0][0] == "C0ESC"  # the boss is not found in Slack yet: the channel
    session.add(SlackUser(team_id=TEAM, user_id="U0BOSS", email="Boss@example.com", tz="UTC"))
    session.commit()
    escalation.run(session, MONDAY + 7 * DAY, TH)
    assert [to for to, _, _ in escalations(session)] == ["C0ESC", "U0BOSS"]


def test_a_manager_set_by_hand_wins_and_a_deactivated_one_reaches_nobody(session, build: Builder) -> None:
    acme = setup(build)
    nudged_three_times(session, acme)
    build.user("U1", tz="UTC", email="owner@example.com")
    save_directory_managers(session, TEAM, {"owner@example.com": "U0IMPORT"}, now=MONDAY)
    set_manager(session, TEAM, "U1", "U0HAND", now=MONDAY)
    save_directory_managers(session, TEAM, {"owner@example.com": "U0AGAIN"}, now=MONDAY)  # a re-import
    session.add(SlackUser(team_id=TEAM, user_id="U0HAND", membership="deactivated"))
    enable(session, channel="C0ESC")
    session.commit()
    escalation.run(session, MONDAY, TH)
    assert escalations(session)[0][0] == "C0ESC"
    session.get(
        SlackUser, session.scalar(select(SlackUser.id).where(SlackUser.user_id == "U0HAND"))
    ).membership = "member"  # type: ignore[union-attr]
    session.commit()
    escalation.run(session, MONDAY + 7 * DAY, TH)
    assert escalations(session)[1][0] == "U0HAND"


def test_other_workspaces_are_not_escalated_or_counted(session, build: Builder) -> None:
    acme = setup(build)
    other = Builder(session, team="T2")
    other.user("U1", tz="UTC")
    theirs = other.account("Acme", revenue=9e6, profitability="high")
    other.filler(6, owner="U2")
    for days_ago in (5, 4, 3):
        nudge(session, theirs, MONDAY - days_ago * DAY, team="T2")
    nudge(session, acme, MONDAY - 3 * DAY)  # one here
    set_manager(session, TEAM, "U1", "U9", now=MONDAY)
    set_manager(session, "T2", "U1", "U9", now=MONDAY)
    enable(session)
    session.commit()
    assert escalation.run(session, MONDAY, TH, team_id=TEAM).claimed == 0  # T2's nudges do not count here
    assert escalation.run(session, MONDAY, TH, team_id="T2").claimed == 0  # T2 never switched it on


def test_dry_run_records_nothing(session, build: Builder) -> None:
    acme = setup(build)
    nudged_three_times(session, acme)
    set_manager(session, TEAM, "U1", "U9", now=MONDAY)
    enable(session)
    session.commit()
    result = escalation.run(session, MONDAY, TH, dry_run=True)
    assert [m.recipient for m in result.for_recipients()] == ["U9"]
    assert escalations(session) == [] and session.scalars(select(EscalationSent)).all() == []


def test_the_digest_shows_the_escalation_instead_until_a_touch_follows(session, build: Builder) -> None:
    acme = setup(build)
    nudged_three_times(session, acme)
    set_manager(session, TEAM, "U1", "U9", now=MONDAY)
    enable(session)
    session.commit()
    tuesday = MONDAY + DAY
    assert escalated_accounts(session, TEAM, tuesday - ESCALATION_MEMORY) == {}
    escalation.run(session, MONDAY, TH)
    escalated = escalated_accounts(session, TEAM, tuesday - ESCALATION_MEMORY)
    assert list(escalated) == [acme.id] and escalated[acme.id]["to"] == "U9"
    assert escalated_accounts(session, "T2", tuesday - ESCALATION_MEMORY) == {}
    # the digest's wiring: leave it out of the sections, show it instead
    states = by_owner(watched_states(session, TEAM, tuesday, TH))["U1"]
    kept, notes = split_escalated(states, escalated)
    digest = build_digest("U1", tuesday.date(), kept, tuesday, TH)
    assert digest is not None
    names = {i["account"] for s in digest.to_facts()["sections"].values() for i in s["items"]}
    assert "Acme" not in names and [n["account"] for n in notes] == ["Acme"]
    # a touch after the escalation: back to normal
    build.touch(acme, tuesday - timedelta(hours=1))
    session.commit()
    assert escalated_accounts(session, TEAM, tuesday - ESCALATION_MEMORY) == {}
    # an escalation older than the memory is forgotten too
    later = MONDAY + 30 * DAY
    assert escalated_accounts(session, TEAM, later - ESCALATION_MEMORY) == {}


def test_registered_as_a_job() -> None:
    spec = JOBS["escalation"]
    assert spec.run is escalation.run and spec.cron == {"minute": "0"}


def _deliver_digests(sessions: Any, days: list[datetime], touch_on: datetime | None = None) -> int:
    """The real digest job each morning, delivered by the relay (which records the nudge ledger)."""
    from slack_sdk import WebClient

    from bot.relay import Relay
    from jobs import digest
    from tests.fakes.slack_api import FakeSlackApi

    sent = 0
    with FakeSlackApi(team_id=TEAM) as fake:
        client = WebClient(token="xoxb-test", base_url=fake.base_url, timeout=5, retry_handlers=[])
        for day in days:
            if touch_on is not None and touch_on.date() == day.date():
                with sessions.begin() as s:
                    acme = s.scalar(select(Account).where(Account.name == "Acme"))
                    Builder(s).touch(acme, day - timedelta(hours=1))
            with sessions() as s:
                digest.run(s, day, TH, team_id=TEAM)
            sent += Relay(sessions, client, team_id=TEAM, clock=lambda day=day: day, jitter=lambda: 0.0,
                          monotonic=lambda: 0.0, sleep=lambda _s: None).drain().sent  # fmt: skip
    return sent


WEEK_BEFORE = [MONDAY - 5 * DAY, MONDAY - 4 * DAY, MONDAY - 3 * DAY]  # Wednesday to Friday, 09:00 UTC


def test_end_to_end_three_delivered_digests_then_one_escalation(sessions) -> None:
    with sessions.begin() as s:
        b = Builder(s)
        setup(b)
        beta = s.scalar(select(Account).where(Account.name == "Beta"))
        b.touch(beta, MONDAY - 6 * DAY)  # within its cadence: its digest items (no sponsor...) never escalate
        set_manager(s, TEAM, "U1", "U9", now=MONDAY)
        set_escalation(s, TEAM, now=MONDAY, enabled=True)
    assert _deliver_digests(sessions, WEEK_BEFORE) == 3
    with sessions() as s:
        assert s.scalar(select(func.count(func.distinct(NudgeSent.outbox_id)))) == 3
        assert escalation.run(s, MONDAY, TH).enqueued == 1
        [(to, _, facts)] = escalations(s)
        assert to == "U9" and facts["account"] == "Acme" and facts["nudges_ignored"] == 3


def test_end_to_end_a_touch_after_the_second_digest_means_no_escalation(sessions) -> None:
    with sessions.begin() as s:
        b = Builder(s)
        setup(b, touched_days_ago=40)
        b.touch(s.scalar(select(Account).where(Account.name == "Beta")), MONDAY - 6 * DAY)
        set_manager(s, TEAM, "U1", "U9", now=MONDAY)
        set_escalation(s, TEAM, now=MONDAY, enabled=True)
    _deliver_digests(sessions, WEEK_BEFORE, touch_on=WEEK_BEFORE[2])  # touched on Friday before its digest
    with sessions() as s:
        assert escalation.run(s, MONDAY, TH).claimed == 0


def test_the_digest_job_shows_escalations_instead_of_the_account(session, build: Builder) -> None:
    """After an escalation the daily digest stops repeating the account and shows the escalation instead."""
    from jobs import digest

    acme = setup(build)
    nudged_three_times(session, acme)
    set_manager(session, TEAM, "U1", "U9", now=MONDAY)
    enable(session)
    session.commit()
    escalation.run(session, MONDAY, TH)
    tuesday = MONDAY + DAY
    digest.run(session, tuesday, TH)
    facts = session.scalars(select(OutboxMessage.facts).where(OutboxMessage.kind == "digest")).one()
    names = {i["account"] for s in facts["sections"].values() for i in s["items"]}
    assert "Acme" not in names and "Beta" in names
    assert [n["account"] for n in facts["escalated"]] == ["Acme"]
