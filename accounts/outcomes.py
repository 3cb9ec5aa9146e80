"""Do nudges work? Outcomes of the nudge ledger, per owner and per reason (docs/nudges.md#escalation-and-outcomes).

Pure: nudge records in (each with the first touch that followed it, if any), figures out; `now` is passed in.

- A nudge is **followed** when a touch of its account (logged in Slack or imported) came after it and within
  `within_days` (7 by default); **ignored** when that window has passed without one; **pending** while the
  window is still open and no touch has come yet. The share followed counts decided nudges only.
- **Days to touch**: from the nudge to the first touch after it, for the followed ones (median).
- **Ignored longest**: per account, the days since the first nudge that no touch has followed yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

FOLLOW_UP_DAYS = 7
HOME_WINDOW_DAYS = 28  # the admins' App Home section covers the last 4 weeks
IGNORED_LIMIT = 5
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class NudgeRecord:
    """One row of the nudge ledger with what followed it."""

    account_id: int
    account: str
    owner: str  # who was nudged (the message's recipient)
    reason: str  # stale | single_point_of_failure | checkup_due | sponsor_missing | revenue_drop
    sent_at: datetime
    touched_at: datetime | None  # the first touch of the account after the nudge (up to now), if any


def status(record: NudgeRecord, now: datetime, within_days: int = FOLLOW_UP_DAYS) -> str:
    """followed | ignored | pending (see the module docstring)."""
    window = timedelta(days=within_days)
    if record.touched_at is not None and record.touched_at - record.sent_at <= window:
        return "followed"
    if now - record.sent_at > window:
        return "ignored"
    return "pending"


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def share(part: int, whole: int) -> float | None:
    """part / whole, None when there is nothing to divide."""
    return None if whole <= 0 else part / whole


@dataclass(frozen=True, slots=True)
class IgnoredAccount:
    account_id: int
    account: str
    owner: str
    since: datetime  # the first nudge no touch has followed yet
    days: int  # whole days since then
    nudges: int  # nudges about it since then


def ignored_longest(
    records: Iterable[NudgeRecord], now: datetime, limit: int = IGNORED_LIMIT
) -> list[IgnoredAccount]:
    """The accounts whose nudges have waited longest for a touch (none has come after them), longest first."""
    first: dict[int, NudgeRecord] = {}
    count: dict[int, int] = {}
    for r in records:
        if r.touched_at is not None:
            continue
        count[r.account_id] = count.get(r.account_id, 0) + 1
        seen = first.get(r.account_id)
        if seen is None or r.sent_at < seen.sent_at:
            first[r.account_id] = r
    out = [
        IgnoredAccount(
            r.account_id, r.account, r.owner, r.sent_at, max(0, (now - r.sent_at) // DAY), count[a]
        )
        for a, r in first.items()
    ]
    out.sort(key=lambda i: (i.since, -i.nudges, i.account.casefold()))
    return out[:limit]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The figures of one group of nudges (one owner, one reason, or all)."""

    key: str
    sent: int
    followed: int
    ignored: int
    pending: int
    median_days: float | None  # to the first touch, followed nudges only
    ignored_longest: list[IgnoredAccount]

    @property
    def decided(self) -> int:
        return self.followed + self.ignored

    @property
    def share_followed(self) -> float | None:
        return share(self.followed, self.decided)

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "sent": self.sent,
            "followed": self.followed,
            "ignored": self.ignored,
            "pending": self.pending,
            "share_followed": None if self.share_followed is None else round(self.share_followed, 4),
            "median_days_to_touch": None if self.median_days is None else round(self.median_days, 2),
            "ignored_longest": [
                {"account": i.account, "owner": i.owner, "since": i.since.isoformat(), "days": i.days,
                 "nudges": i.nudges}
                for i in self.ignored_longest
            ],
        }  # fmt: skip


def outcome(
    key: str, records: Sequence[NudgeRecord], now: datetime, within_days: int = FOLLOW_UP_DAYS
) -> Outcome:
    counts = {"followed": 0, "ignored": 0, "pending": 0}
    waits: list[float] = []
    for r in records:
        s = status(r, now, within_days)
        counts[s] += 1
        if s == "followed" and r.touched_at is not None:
            waits.append((r.touched_at - r.sent_at) / DAY)
    return Outcome(
        key,
        len(records),
        counts["followed"],
        counts["ignored"],
        counts["pending"],
        median(waits),
        ignored_longest(records, now),
    )


def outcomes_by(
    records: Iterable[NudgeRecord],
    key: Callable[[NudgeRecord], str],
    now: datetime,
    within_days: int = FOLLOW_UP_DAYS,
) -> list[Outcome]:
    """One Outcome per key (owner, reason, ...), most nudges first, then by key."""
    groups: dict[str, list[NudgeRecord]] = {}
    for r in records:
        groups.setdefault(key(r), []).append(r)
    out = [outcome(k, rows, now, within_days) for k, rows in groups.items()]
    out.sort(key=lambda o: (-o.sent, o.key))
    return out


def by_owner(r: NudgeRecord) -> str:
    return r.owner


def by_reason(r: NudgeRecord) -> str:
    return r.reason


@dataclass(frozen=True, slots=True)
class WeekRate:
    """Nudges sent in one ISO week (UTC) and the share of the decided ones a touch followed."""

    week: str  # "2026-W48"
    monday: date
    sent: int
    followed: int
    decided: int

    @property
    def rate(self) -> float | None:
        return share(self.followed, self.decided)


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_rates(
    records: Iterable[NudgeRecord], now: datetime, within_days: int = FOLLOW_UP_DAYS
) -> list[WeekRate]:
    """The response rate per week of sending, oldest first, every week from the first nudge's to the last's
    (a week without nudges has no rate)."""
    per: dict[date, list[int]] = {}  # monday -> [sent, followed, decided]
    for r in records:
        d = r.sent_at.date()
        monday = d - timedelta(days=d.weekday())
        row = per.setdefault(monday, [0, 0, 0])
        s = status(r, now, within_days)
        row[0] += 1
        row[1] += s == "followed"
        row[2] += s != "pending"
    if not per:
        return []
    out = []
    monday, last = min(per), max(per)
    while monday <= last:
        sent, followed, decided = per.get(monday, (0, 0, 0))
        out.append(WeekRate(week_label(monday), monday, sent, followed, decided))
        monday += timedelta(weeks=1)
    return out


@dataclass(frozen=True, slots=True)
class OutcomeReport:
    """Everything `accountbot report nudges` and the admins' App Home show about a period's nudges."""

    since: datetime
    now: datetime
    within_days: int
    total: Outcome
    owners: list[Outcome]
    reasons: list[Outcome]
    weeks: list[WeekRate]
    escalations: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "until": self.now.isoformat(),
            "within_days": self.within_days,
            "total": self.total.to_json(),
            "owners": [o.to_json() for o in self.owners],
            "reasons": [o.to_json() for o in self.reasons],
            "weeks": [
                {"week": w.week, "monday": w.monday.isoformat(), "sent": w.sent, "followed": w.followed,
                 "decided": w.decided, "rate": None if w.rate is None else round(w.rate, 4)}
                for w in self.weeks
            ],
            "escalations": self.escalations,
        }  # fmt: skip


def outcome_report(
    records: Sequence[NudgeRecord],
    since: datetime,
    now: datetime,
    within_days: int = FOLLOW_UP_DAYS,
    escalations: int = 0,
) -> OutcomeReport:
    """The figures of `records` (the nudges sent from `since` to `now`): all, per owner, per reason, per week."""
    return OutcomeReport(
        since,
        now,
        within_days,
        outcome("all", records, now, within_days),
        outcomes_by(records, by_owner, now, within_days),
        outcomes_by(records, by_reason, now, within_days),
        weekly_rates(records, now, within_days),
        escalations,
    )
