"""When a person's nudges are due, in their own time zone (docs/nudges.md#when-nudges-go-out).

Pure rules: `now` is passed in (an aware datetime) and zones are IANA names.

- **No zone, not due.** A person whose time zone is not known (never fetched, or a name that is not a zone)
  gets nothing yet. Guessing UTC would wake Tokyo at 18:00 and New York at 04:00.
- **Their days, their window.** A daily nudge is due on the person's days (Monday to Friday by default) from
  `at` (09:00) until `cutoff` (18:00) local time. One run at any tick in that window sends it; the ledger's
  period (their local date) keeps it to once.
- **Catch-up stays in its period.** After downtime a missed day is sent only while it is still that day,
  before the cut-off: a morning digest is never sent in the evening, or on the next day.
- **Moving zones.** The period is the local date in the zone known at the tick. Someone who flies east may
  reach the next local date sooner, west later; a local date already served is never served again.
- **Each person's own rhythm** (`Prefs`, `rhythm_of`). A person's preferences override the workspace
  defaults, which override the built-in ones (09:00, Monday to Friday, daily, quiet). The cut-off is 18:00,
  or one hour after a chosen time of 17:00 or later (so a window always holds an hourly tick; times are
  00:00-22:59, so a window never crosses midnight). `weekly` sends one digest per ISO week, on the chosen
  day only; `off` sends none. While paused (`paused_until`: the first local date back) nothing is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SEND_AT = time(9, 0)
CUTOFF = time(18, 0)
LATEST_AT = time(22, 59)  # a chosen time's window (one hour at least) must end before midnight
WORKDAYS = frozenset(range(5))  # Monday (0) to Friday (4)
EVERY_DAY = frozenset(range(7))
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = weekday()
DAILY, WEEKLY, OFF = "daily", "weekly", "off"
FREQUENCIES = (DAILY, WEEKLY, OFF)


@dataclass(frozen=True, slots=True)
class Rhythm:
    """When a person hears from the bot: local time window and weekdays (0 = Monday), how often the digest
    comes (`frequency`; `weekly_day` for weekly), the first local date back from a pause (None: not paused),
    and whether a day with nothing due is quiet (no digest) or gets a short one."""

    at: time = SEND_AT
    cutoff: time = CUTOFF
    days: frozenset[int] = WORKDAYS
    frequency: str = DAILY
    weekly_day: int = 0
    paused_until: date | None = None
    quiet: bool = True

    def paused_on(self, day: date) -> bool:
        """Paused on this local date: before the first date back."""
        return self.paused_until is not None and day < self.paused_until

    def in_window(self, local: datetime) -> bool:
        return self.at <= local.time() < self.cutoff

    def open_at(self, local: datetime) -> bool:
        return local.weekday() in self.days and self.in_window(local) and not self.paused_on(local.date())


WEEKDAY_RHYTHM = Rhythm()  # digests and weekly focus
DAILY_RHYTHM = Rhythm(days=EVERY_DAY)  # admins' dead-letter counts: nothing given up on a weekend is lost


@dataclass(frozen=True, slots=True)
class Prefs:
    """One row of preferences: a person's, or the workspace defaults'. None means "not set here": the next
    level decides (person -> workspace -> built-in). A pause (`paused_until`, the first local date back, and
    `paused_since`, when it was set) and a `backup` (the user id who covers key accounts meanwhile) are a
    person's only."""

    at: time | None = None
    days: frozenset[int] | None = None
    frequency: str | None = None
    weekly_day: int | None = None  # with frequency "weekly"
    quiet: bool | None = None
    paused_until: date | None = None
    paused_since: datetime | None = None
    backup: str | None = None


NO_PREFS = Prefs()


def cutoff_after(at: time) -> time:
    """The end of the window that opens at `at`: 18:00, or one hour after a time of 17:00 or later."""
    if at.hour < CUTOFF.hour - 1:
        return CUTOFF
    if at.hour >= 23:  # later than LATEST_AT: never chosen; the window still ends before midnight
        return time(23, 59, 59)
    return time(at.hour + 1, at.minute)


def rhythm_of(person: Prefs | None, workspace: Prefs | None = None) -> Rhythm:
    """A person's Rhythm: each setting from their own preferences, else the workspace defaults, else the
    built-in ones. Frequency and its weekly day come as a pair from the level that sets the frequency; the
    pause is the person's own."""
    mine, ours = person or NO_PREFS, workspace or NO_PREFS
    at = mine.at if mine.at is not None else ours.at if ours.at is not None else SEND_AT
    days = mine.days if mine.days else ours.days if ours.days else WORKDAYS
    source = mine if mine.frequency in FREQUENCIES else ours
    frequency = source.frequency if source.frequency in FREQUENCIES else DAILY
    weekly_day = source.weekly_day if source.weekly_day is not None and 0 <= source.weekly_day < 7 else 0
    quiet = mine.quiet if mine.quiet is not None else ours.quiet if ours.quiet is not None else True
    return Rhythm(
        at=at,
        cutoff=cutoff_after(at),
        days=frozenset(days),
        frequency=frequency,
        weekly_day=weekly_day,
        paused_until=mine.paused_until,
        quiet=quiet,
    )


def known_zone(tz_name: str | None) -> ZoneInfo | None:
    """The zone named `tz_name`, or None when there is no name or it is not a zone."""
    if not tz_name:
        return None
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_now(now: datetime, tz_name: str | None) -> datetime | None:
    tz = known_zone(tz_name)
    return None if tz is None else now.astimezone(tz)


def due_day(now: datetime, tz_name: str | None, rhythm: Rhythm = WEEKDAY_RHYTHM) -> date | None:
    """The person's local date when a daily nudge is due at `now`, else None (zone unknown, not one of their
    days, before `at` or from `cutoff` on)."""
    local = local_now(now, tz_name)
    return local.date() if local is not None and rhythm.open_at(local) else None


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def due_week(now: datetime, tz_name: str | None, rhythm: Rhythm = WEEKDAY_RHYTHM) -> tuple[str, date] | None:
    """(ISO week label, its Monday) when a weekly nudge is due: on any of the person's days of that week within
    their window (the first such tick sends it; the ledger's week period keeps it to once). None otherwise."""
    local = local_now(now, tz_name)
    if local is None or not rhythm.open_at(local):
        return None
    monday = local.date() - timedelta(days=local.weekday())
    return week_label(monday), monday


def due_monday(
    now: datetime, tz_name: str | None, rhythm: Rhythm = WEEKDAY_RHYTHM
) -> tuple[str, date] | None:
    """(ISO week label, the Monday) when it is Monday within the window in `tz_name`, else None."""
    local = local_now(now, tz_name)
    if local is None or local.weekday() != 0 or not rhythm.open_at(local):
        return None
    return week_label(local.date()), local.date()


def due_digest(
    now: datetime, tz_name: str | None, rhythm: Rhythm = WEEKDAY_RHYTHM
) -> tuple[str, date] | None:
    """(ledger period label, local date) when the person's digest is due at `now`, else None.

    daily: on their days within the window, period = the local date (as `due_day`). weekly: on the chosen
    day only, within the window, period = the ISO week (one per week, whatever happens to the chosen day
    meanwhile). off: never. Nothing while paused, nothing without a known zone."""
    if rhythm.frequency == OFF:
        return None
    local = local_now(now, tz_name)
    if local is None:
        return None
    day = local.date()
    if rhythm.frequency == WEEKLY:
        if local.weekday() != rhythm.weekly_day or not rhythm.in_window(local) or rhythm.paused_on(day):
            return None
        return week_label(day), day
    return (day.isoformat(), day) if rhythm.open_at(local) else None
