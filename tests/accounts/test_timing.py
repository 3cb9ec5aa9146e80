"""accounts.timing: when a person's nudge is due in their own zone; no zone, not due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from accounts.timing import (
    CUTOFF,
    DAILY,
    DAILY_RHYTHM,
    EVERY_DAY,
    OFF,
    WEEKDAY_RHYTHM,
    WEEKLY,
    Prefs,
    Rhythm,
    cutoff_after,
    due_day,
    due_digest,
    due_monday,
    due_week,
    known_zone,
    rhythm_of,
)


def test_due_day_utc_plus_13_and_minus_10() -> None:
    # 19:59 UTC on Mon 23 Nov is 08:59 on Tue 24 Nov in Auckland (UTC+13 in summer): not yet.
    assert due_day(datetime(2026, 11, 23, 19, 59, tzinfo=UTC), "Pacific/Auckland") is None
    assert due_day(datetime(2026, 11, 23, 20, 0, tzinfo=UTC), "Pacific/Auckland") == date(2026, 11, 24)
    # Honolulu is UTC-10: 09:00 local is 19:00 UTC the same day.
    assert due_day(datetime(2026, 11, 24, 18, 59, tzinfo=UTC), "Pacific/Honolulu") is None
    assert due_day(datetime(2026, 11, 24, 19, 0, tzinfo=UTC), "Pacific/Honolulu") == date(2026, 11, 24)


def test_catch_up_ends_at_the_cut_off_and_never_reaches_the_next_day() -> None:
    tz = "Pacific/Honolulu"
    assert due_day(datetime(2026, 11, 25, 3, 59, tzinfo=UTC), tz) == date(2026, 11, 24)  # 17:59 local
    assert due_day(datetime(2026, 11, 25, 4, 0, tzinfo=UTC), tz) is None  # 18:00: too late today
    assert (
        due_day(datetime(2026, 11, 25, 9, 59, tzinfo=UTC), tz) is None
    )  # 23:59 local: not yesterday's either


def test_due_day_across_dst_changes() -> None:
    # Europe/Berlin leaves summer time on Sunday 25 Oct 2026: 09:00 local is 07:00 UTC before, 08:00 after.
    tz = "Europe/Berlin"
    assert due_day(datetime(2026, 10, 23, 7, 0, tzinfo=UTC), tz) == date(2026, 10, 23)
    assert due_day(datetime(2026, 10, 26, 7, 0, tzinfo=UTC), tz) is None  # 08:00 CET
    assert due_day(datetime(2026, 10, 26, 8, 0, tzinfo=UTC), tz) == date(2026, 10, 26)
    # New York leaves summer time on Sunday 1 Nov 2026: 09:00 EST is 14:00 UTC.
    assert due_day(datetime(2026, 11, 2, 13, 0, tzinfo=UTC), "America/New_York") is None
    assert due_day(datetime(2026, 11, 2, 14, 0, tzinfo=UTC), "America/New_York") == date(2026, 11, 2)
    # Spring: New York enters summer time on 8 Mar 2026, Berlin on 29 Mar.
    assert due_day(datetime(2026, 3, 9, 13, 0, tzinfo=UTC), "America/New_York") == date(2026, 3, 9)
    assert due_day(datetime(2026, 3, 30, 7, 0, tzinfo=UTC), tz) == date(2026, 3, 30)


def test_no_zone_is_never_due() -> None:
    for name in (None, "", "Not/AZone", "../etc/passwd"):
        assert known_zone(name) is None
        for hour in range(24):
            at = datetime(2026, 11, 24, hour, tzinfo=UTC)
            assert due_day(at, name) is None and due_week(at, name) is None and due_monday(at, name) is None


def test_weekends_are_not_due_by_default_but_can_be() -> None:
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert due_day(saturday, "UTC") is None
    assert due_day(saturday, "UTC", DAILY_RHYTHM) == date(2026, 11, 28)
    # Kathmandu (+05:45): Friday 17:50 local is still Friday; Saturday 09:45 is not a working day.
    assert due_day(datetime(2026, 11, 27, 12, 5, tzinfo=UTC), "Asia/Kathmandu") == date(2026, 11, 27)
    assert due_day(datetime(2026, 11, 28, 4, 0, tzinfo=UTC), "Asia/Kathmandu") is None


def test_a_chosen_time_and_days() -> None:
    early_mondays = Rhythm(at=time(7, 30), cutoff=time(12, 0), days=frozenset({0}))
    assert due_day(datetime(2026, 11, 23, 7, 29, tzinfo=UTC), "UTC", early_mondays) is None
    assert due_day(datetime(2026, 11, 23, 7, 30, tzinfo=UTC), "UTC", early_mondays) == date(2026, 11, 23)
    assert due_day(datetime(2026, 11, 24, 7, 30, tzinfo=UTC), "UTC", early_mondays) is None


def test_due_week_on_the_working_days_of_the_week() -> None:
    # Monday 23 Nov 2026, Auckland: 09:00 local = Sunday 22 Nov 20:00 UTC.
    assert due_week(datetime(2026, 11, 22, 19, 59, tzinfo=UTC), "Pacific/Auckland") is None
    assert due_week(datetime(2026, 11, 22, 20, 0, tzinfo=UTC), "Pacific/Auckland") == (
        "2026-W48",
        date(2026, 11, 23),
    )
    # Sunday in UTC is not a working day: nothing is due, not even last week's.
    assert due_week(datetime(2026, 11, 22, 19, 59, tzinfo=UTC), "UTC") is None
    # Missed on Monday (the bot was down): Tuesday 09:00 still serves that week.
    assert due_week(datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "UTC") == ("2026-W48", date(2026, 11, 23))
    # Berlin, the Monday after the DST change: 09:00 CET = 08:00 UTC.
    assert due_week(datetime(2026, 10, 26, 7, 59, tzinfo=UTC), "Europe/Berlin") is None
    assert due_week(datetime(2026, 10, 26, 8, 0, tzinfo=UTC), "Europe/Berlin") == (
        "2026-W44",
        date(2026, 10, 26),
    )


def test_due_monday_only_on_monday() -> None:
    assert due_monday(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), "UTC") == ("2026-W48", date(2026, 11, 23))
    assert due_monday(datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "UTC") is None


# -- each person's own rhythm (preferences) ---------------------------------------------------------------


def test_rhythm_of_takes_the_person_then_the_workspace_then_the_built_in() -> None:
    assert rhythm_of(None) == WEEKDAY_RHYTHM
    workspace = Prefs(at=time(8, 0), days=frozenset({0, 1, 2, 3}), quiet=False)
    ours = rhythm_of(None, workspace)
    assert (ours.at, ours.days, ours.quiet, ours.frequency) == (
        time(8, 0),
        frozenset({0, 1, 2, 3}),
        False,
        DAILY,
    )
    mine = rhythm_of(Prefs(at=time(7, 30), quiet=True), workspace)
    assert (mine.at, mine.days, mine.quiet) == (time(7, 30), frozenset({0, 1, 2, 3}), True)
    # Frequency and its day come as a pair from the level that sets the frequency.
    weekly = rhythm_of(Prefs(frequency=WEEKLY, weekly_day=3), Prefs(frequency=WEEKLY, weekly_day=0))
    assert (weekly.frequency, weekly.weekly_day) == (WEEKLY, 3)
    inherited = rhythm_of(Prefs(weekly_day=3), Prefs(frequency=WEEKLY, weekly_day=1))
    assert (inherited.frequency, inherited.weekly_day) == (WEEKLY, 1)
    # A pause is a person's own: the workspace's row never pauses anyone.
    assert rhythm_of(None, Prefs(paused_until=date(2026, 12, 24))).paused_until is None


def test_the_cut_off_is_18_or_an_hour_after_a_late_time() -> None:
    assert [cutoff_after(t) for t in (time(0, 0), time(9, 0), time(16, 59))] == [CUTOFF] * 3
    assert cutoff_after(time(17, 0)) == time(18, 0)
    assert cutoff_after(time(17, 30)) == time(18, 30)
    assert cutoff_after(time(22, 59)) == time(23, 59)
    # A 17:30 digest still meets an hourly tick: 18:00 is inside its window.
    late = rhythm_of(Prefs(at=time(17, 30)))
    assert due_digest(datetime(2026, 11, 24, 17, 0, tzinfo=UTC), "UTC", late) is None
    assert due_digest(datetime(2026, 11, 24, 18, 0, tzinfo=UTC), "UTC", late) == (
        "2026-11-24",
        date(2026, 11, 24),
    )
    assert due_digest(datetime(2026, 11, 24, 18, 30, tzinfo=UTC), "UTC", late) is None


def test_a_chosen_time_in_kathmandu_meets_the_first_hourly_tick_after_it() -> None:
    # 08:30 in Kathmandu (+05:45) is 02:45 UTC; the 03:00 UTC tick (08:45 local) sends it, not 02:00 UTC.
    early = rhythm_of(Prefs(at=time(8, 30)))
    tz = "Asia/Kathmandu"
    assert due_digest(datetime(2026, 11, 24, 2, 0, tzinfo=UTC), tz, early) is None
    assert due_digest(datetime(2026, 11, 24, 3, 0, tzinfo=UTC), tz, early) == (
        "2026-11-24",
        date(2026, 11, 24),
    )


def test_weekly_is_one_period_per_iso_week_on_the_chosen_day_only() -> None:
    thursdays = rhythm_of(Prefs(frequency=WEEKLY, weekly_day=3))
    wed, thu, fri = (datetime(2026, 11, d, 10, 0, tzinfo=UTC) for d in (25, 26, 27))
    assert due_digest(wed, "UTC", thursdays) is None
    assert due_digest(thu, "UTC", thursdays) == ("2026-W48", date(2026, 11, 26))
    assert due_digest(fri, "UTC", thursdays) is None  # a missed Thursday is not made up on Friday
    assert due_digest(thu.replace(hour=18), "UTC", thursdays) is None  # nor after the cut-off
    # The chosen day is the day, whatever the working days say (a Saturday digest for a Mon-Fri person).
    saturdays = rhythm_of(Prefs(frequency=WEEKLY, weekly_day=5))
    assert due_digest(datetime(2026, 11, 28, 10, 0, tzinfo=UTC), "UTC", saturdays) == (
        "2026-W48",
        date(2026, 11, 28),
    )


def test_off_is_never_due_and_daily_follows_the_days() -> None:
    off = rhythm_of(Prefs(frequency=OFF))
    assert all(due_digest(datetime(2026, 11, 23, h, tzinfo=UTC) + timedelta(days=d), "UTC", off) is None
               for d in range(7) for h in range(24))  # fmt: skip
    mon_wed = rhythm_of(Prefs(days=frozenset({0, 2})))
    due = [
        d
        for d in range(7)
        if due_digest(datetime(2026, 11, 23, 9, tzinfo=UTC) + timedelta(days=d), "UTC", mon_wed)
    ]
    assert due == [0, 2]


def test_a_pause_holds_until_the_first_day_back_in_the_persons_zone() -> None:
    away = rhythm_of(Prefs(paused_until=date(2026, 11, 26)))  # back on Thursday
    tz = "Asia/Tokyo"  # 09:00 in Tokyo is 00:00 UTC the same day
    assert due_digest(datetime(2026, 11, 24, 0, 0, tzinfo=UTC), tz, away) is None  # Tue in Tokyo
    assert due_digest(datetime(2026, 11, 25, 0, 0, tzinfo=UTC), tz, away) is None  # Wed 09:00 Tokyo
    assert due_digest(datetime(2026, 11, 26, 0, 0, tzinfo=UTC), tz, away) == (
        "2026-11-26",
        date(2026, 11, 26),
    )
    # Thursday in UTC is still Wednesday in Honolulu (16:00): paused there.
    assert due_digest(datetime(2026, 11, 26, 2, 0, tzinfo=UTC), "Pacific/Honolulu", away) is None
    assert due_digest(datetime(2026, 11, 26, 19, 0, tzinfo=UTC), "Pacific/Honolulu", away) is not None
    # The weekly focus follows: the first of their days back that week serves it.
    assert due_week(datetime(2026, 11, 23, 0, 0, tzinfo=UTC), tz, away) is None
    assert due_week(datetime(2026, 11, 26, 0, 0, tzinfo=UTC), tz, away) == ("2026-W48", date(2026, 11, 23))
    # The admins' daily rhythm has no pause.
    assert due_day(datetime(2026, 11, 24, 0, 0, tzinfo=UTC), tz, DAILY_RHYTHM) == date(2026, 11, 24)


def test_no_zone_is_not_due_whatever_the_preferences() -> None:
    keen = rhythm_of(Prefs(at=time(0, 0), days=EVERY_DAY, quiet=False))
    assert all(due_digest(datetime(2026, 11, 24, h, tzinfo=UTC), None, keen) is None for h in range(24))
