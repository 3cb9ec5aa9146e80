"""accounts.timing: when a person's nudge is due in their own zone; no zone, not due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from accounts.timing import DAILY_RHYTHM, Rhythm, due_day, due_monday, due_week, known_zone


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
