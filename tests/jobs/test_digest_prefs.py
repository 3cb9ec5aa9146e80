"""The digest and the weekly focus in each person's own rhythm (storage.preferences), on SQLite and PostgreSQL:
paused owners hear nothing, weekly comes once on its day, off never, quiet off sends a short digest, a
backup covers a paused owner's overdue key accounts, and the digest after a pause tells what changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from accounts.thresholds import Thresholds
from bot.render.nudges import NOTHING_DUE, render_digest
from jobs import digest, weekly_focus
from storage import preferences
from storage.models import Account, OutboxMessage
from storage.queues.outbox import NewMessage, enqueue_many
from tests.jobs.conftest import NOW, TEAM, Builder

TH = Thresholds()
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # NOW is the Tuesday after


def _rows(session, kind: str = "digest") -> list[OutboxMessage]:
    return list(
        session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
    )


def _sent(session, kind: str = "digest") -> list[tuple[str, str]]:
    return [(r.recipient, r.facts.get("date") or r.facts.get("week")) for r in _rows(session, kind)]


def _portfolio(build: Builder) -> None:
    """U1 owns two never-touched key A accounts (overdue, always something to say); U2 owns small fillers
    that are fine (nothing to say)."""
    build.account("Neglected", revenue=5_000_000, profitability="high")
    build.account("Forgotten", revenue=4_000_000, profitability="high")
    build.filler(6, owner="U2")  # 8 clients: 2 key accounts
    build.user("U1", tz="UTC")
    build.user("U2", tz="UTC")


def _set(session, user: str, team: str = TEAM, **settings: object) -> None:
    preferences.save(session, team, user, now=NOW, by=user, **settings)
    session.commit()


def _pause(session, user: str, until: date, since: datetime = NOW) -> None:
    preferences.pause(session, TEAM, user, until, now=since, by=user)
    session.commit()


def test_a_paused_owner_gets_no_digest_and_no_focus_until_their_first_day_back(
    session, build: Builder
) -> None:
    _portfolio(build)
    session.commit()
    _pause(session, "U1", date(2026, 11, 26), since=MONDAY - timedelta(days=3))  # back on Thursday
    for day in range(5):  # Mon 23 .. Fri 27, 09:00 UTC
        digest.run(session, MONDAY + timedelta(days=day), TH)
        weekly_focus.run(session, MONDAY + timedelta(days=day), TH)
    assert _sent(session) == [("U1", "2026-11-26"), ("U1", "2026-11-27")]
    # The focus of week 48 waited for Thursday, the first of their days back.
    (focus,) = _rows(session, "weekly_focus")
    assert focus.recipient == "U1" and focus.created_at.date() == date(2026, 11, 26)


def test_weekly_is_one_digest_per_iso_week_on_the_chosen_day(session, build: Builder) -> None:
    _portfolio(build)
    session.commit()
    _set(session, "U1", frequency="weekly", weekly_day=2)  # Wednesdays
    for hour in range(0, 24 * 14, 3):  # a fortnight from Monday 23 Nov, every third hour
        digest.run(session, MONDAY.replace(hour=0) + timedelta(hours=hour), TH)
    assert _sent(session) == [("U1", "2026-11-25"), ("U1", "2026-12-02")]
    periods = [r.dedup_key for r in _rows(session)]
    assert all("2026-W48" in k or "2026-W49" in k for k in periods)
    # Moving the chosen day within a week that already had its digest sends nothing more that week.
    _set(session, "U1", frequency="weekly", weekly_day=3)
    digest.run(session, datetime(2026, 12, 3, 10, 0, tzinfo=UTC), TH)
    assert len(_rows(session)) == 2


def test_off_sends_no_digest_and_no_weekly_focus(session, build: Builder) -> None:
    _portfolio(build)
    session.commit()
    _set(session, "U1", frequency="off")
    for day in range(7):
        digest.run(session, MONDAY + timedelta(days=day), TH)
        weekly_focus.run(session, MONDAY + timedelta(days=day), TH)
    assert _rows(session) == [] and _rows(session, "weekly_focus") == []
    _set(session, "U1", frequency="daily")  # back on: the next working day
    digest.run(session, MONDAY + timedelta(days=7), TH)
    assert _sent(session) == [("U1", "2026-11-30")]


def test_the_weekly_focus_and_the_check_ups_follow_the_persons_days_and_time(session, build: Builder) -> None:
    """Issue 15: "a weekly focus and the check-up reminders follow the same days" (and the same time)."""
    _portfolio(build)
    session.commit()
    _set(session, "U1", days={1, 2, 3, 4}, at=time(11, 0))  # Tuesday to Friday, from 11:00
    for at in (MONDAY, MONDAY + timedelta(hours=3), MONDAY + timedelta(days=1, hours=1)):  # Mon; Tue 10:00
        digest.run(session, at, TH)
        weekly_focus.run(session, at, TH)
    assert _rows(session) == [] and _rows(session, "weekly_focus") == []
    tuesday_eleven = MONDAY + timedelta(days=1, hours=2)
    digest.run(session, tuesday_eleven, TH)
    weekly_focus.run(session, tuesday_eleven, TH)
    (row,) = _rows(session)
    assert row.facts["date"] == "2026-11-24" and "checkup_due" in row.facts["sections"]
    (focus,) = _rows(session, "weekly_focus")
    assert focus.facts["week"] == "2026-W48" and focus.created_at.date() == date(2026, 11, 24)


def test_quiet_off_sends_a_short_nothing_due_digest(session, build: Builder) -> None:
    _portfolio(build)
    session.commit()
    digest.run(session, NOW, TH)
    assert [r for r, _ in _sent(session)] == ["U1"]  # U2 has nothing to hear: quiet by default
    _set(session, "U2", quiet=False)
    digest.run(session, NOW + timedelta(days=1), TH)
    rows = {r.recipient: r for r in _rows(session) if r.facts["date"] == "2026-11-25"}
    assert set(rows) == {"U1", "U2"}
    assert rows["U2"].facts["sections"] == {} and "covering" not in rows["U2"].facts
    message = render_digest(rows["U2"].facts)
    assert message.text == "Your accounts today: nothing due today"
    assert NOTHING_DUE in str(message.blocks[1].to_dict())


def test_the_workspace_defaults_apply_to_those_who_chose_nothing(session, build: Builder) -> None:
    _portfolio(build)
    build.account("Overdue Too", owner="U3", revenue=3_000_000, profitability="high")
    build.user("U3", tz="UTC")
    session.commit()
    _set(session, preferences.DEFAULTS_USER, at=time(11, 0))
    _set(session, "U3", at=time(9, 0))  # their own time wins
    _set(session, "U1", at=time(10, 0), team="T2")  # another workspace's row changes nothing here
    digest.run(session, NOW.replace(hour=10), TH)
    assert [r for r, _ in _sent(session)] == ["U3"]
    digest.run(session, NOW.replace(hour=11), TH)
    assert sorted(r for r, _ in _sent(session)) == ["U1", "U3"]


def test_a_backup_gets_the_paused_owners_overdue_key_accounts(session, build: Builder) -> None:
    _portfolio(build)
    build.user("UB", tz="Asia/Tokyo")  # owns no account: reached through the preferences
    healthy = build.account("Healthy Key", revenue=4_500_000, profitability="high")
    build.touch(healthy, NOW - timedelta(days=1))
    session.commit()
    _set(session, "U1", backup="UB")
    _pause(session, "U1", date(2026, 11, 27))
    _set(session, "UB", quiet=True)  # quiet: they hear only because they cover for U1
    digest.run(session, datetime(2026, 11, 25, 0, 0, tzinfo=UTC), TH)  # Wed 09:00 in Tokyo
    (row,) = _rows(session)
    assert row.recipient == "UB" and row.facts["sections"] == {}
    (cover,) = row.facts["covering"]
    assert cover["owner"] == "U1" and cover["until"] == "2026-11-27"
    assert [i["account"] for i in cover["items"]] == ["Neglected", "Forgotten"]  # not the one touched
    text = str(render_digest(row.facts).blocks)
    assert "Covering for <@U1>" in text and "away until 2026-11-27" in text
    # Once U1 is back (Friday in U1's zone, UTC), UB's digest no longer carries them: U1 hears it himself.
    digest.run(session, datetime(2026, 11, 27, 9, 0, tzinfo=UTC), TH)  # Fri 18:00 Tokyo: too late for UB
    digest.run(session, datetime(2026, 11, 30, 0, 0, tzinfo=UTC), TH)  # Mon 09:00 Tokyo
    assert [(r.recipient, "covering" in r.facts) for r in _rows(session)] == [("UB", True), ("U1", False)]


def _account(session, name: str) -> Account:
    return session.scalar(select(Account).where(Account.team_id == TEAM, Account.name == name))


def test_without_a_backup_the_overdue_key_accounts_wait(session, build: Builder) -> None:
    _portfolio(build)
    build.account("Other Key", owner="U4", revenue=4_500_000, profitability="high")
    build.user("U4", tz="UTC")
    session.commit()
    _pause(session, "U1", date(2026, 11, 27))
    _set(session, "U4", backup="U1")  # U4 is not paused: naming a backup changes nothing for U1's accounts
    digest.run(session, NOW, TH)
    rows = _rows(session)
    assert [r.recipient for r in rows] == ["U4"] and "covering" not in rows[0].facts
    # A backup who is paused too covers nobody: the accounts wait.
    _set(session, "U1", backup="U4")
    _pause(session, "U4", date(2026, 11, 27))
    digest.run(session, NOW + timedelta(days=1), TH)
    assert len(_rows(session)) == 1


def test_the_digest_after_a_pause_shows_what_changed_meanwhile(session, build: Builder) -> None:
    _portfolio(build)
    build.user("UB", tz="UTC")
    session.commit()
    since = NOW - timedelta(days=8)
    _set(session, "U1", backup="UB")
    _pause(session, "U1", date(2026, 11, 24), since=since)  # away until this Tuesday
    neglected = _account(session, "Neglected")
    build.touch(neglected, NOW - timedelta(days=3), "call", None, "UB")
    build.touch(neglected, NOW - timedelta(days=2), "meeting", None, "UB")
    build.touch(neglected, since - timedelta(days=1), "call")  # before the pause: not news
    change = {"account_id": neglected.id, "account": "Neglected", "old_tier": "secondary", "new_tier": "key",
              "old_grade": "B", "new_grade": "A", "reasons": []}  # fmt: skip
    enqueue_many(session, [NewMessage(TEAM, "U1", "tier_change", change, "2026-11-20", neglected.id)],
                 now=NOW - timedelta(days=4))  # fmt: skip
    session.commit()
    digest.run(session, NOW, TH)
    (row,) = [r for r in _rows(session) if r.recipient == "U1"]
    away = row.facts["away"]
    assert away["since"] == since.isoformat() and away["backup"] == "UB"
    assert (away["touches"], away["touched_accounts"], away["touched"]) == (2, 1, ["Neglected"])
    assert away["moves_total"] == 1 and away["moves"][0]["new_tier"] == "key"
    text = str(render_digest(row.facts).blocks)
    assert (
        "Welcome back" in text
        and "2 touches on 1 of your accounts" in text
        and "is now a key account" in text
    )
    # Told once: the pause is forgotten, the next digest is an ordinary one.
    assert preferences.prefs_of(session, TEAM, "U1").paused_since is None
    digest.run(session, NOW + timedelta(days=1), TH)
    assert "away" not in _rows(session)[-1].facts


def test_a_dry_run_tells_what_changed_but_forgets_nothing(session, build: Builder) -> None:
    _portfolio(build)
    session.commit()
    _pause(session, "U1", date(2026, 11, 24), since=NOW - timedelta(days=5))
    build.touch(_account(session, "Neglected"), NOW - timedelta(days=1), "call", None, "U9")
    session.commit()
    result = digest.run(session, NOW, TH, dry_run=True)
    (message,) = result.for_recipients()
    assert message.facts["away"]["touches"] == 1
    assert preferences.prefs_of(session, TEAM, "U1").paused_since is not None
