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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SEND_AT = time(9, 0)
CUTOFF = time(18, 0)
WORKDAYS = frozenset(range(5))  # Monday (0) to Friday (4)
EVERY_DAY = frozenset(range(7))


@dataclass(frozen=True, slots=True)
class Rhythm:
    """When a person hears from the bot: local time window and weekdays (0 = Monday)."""

    at: time = SEND_AT
    cutoff: time = CUTOFF
    days: frozenset[int] = WORKDAYS

    def open_at(self, local: datetime) -> bool:
        return local.weekday() in self.days and self.at <= local.time() < self.cutoff


WEEKDAY_RHYTHM = Rhythm()  # digests and weekly focus
DAILY_RHYTHM = Rhythm(days=EVERY_DAY)  # admins' dead-letter counts: nothing given up on a weekend is lost


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
