"""Nudge rules: which accounts deserve a word to their owner, and when (docs/rules.md#nudge-signals).

Pure functions over plain data: `now` is passed in (an aware datetime), time zones are IANA names; the
signals are stale, single_point_of_failure, checkup_due, sponsor_missing and revenue_drop, plus the
weekly focus choice, each only for accounts that are not snoozed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from operator import attrgetter
from typing import Any, NamedTuple, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accounts.facts import DigestFacts, DigestItemFacts, SectionFacts, TierChangeFacts
from accounts.model import Assessment
from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds

DAY = timedelta(days=1)
SECTIONS: tuple[str, ...] = (
    "stale",
    "single_point_of_failure",
    "checkup_due",
    "sponsor_missing",
    "revenue_drop",
)
FOCUS_REPEAT_WEEKS = 4
DEFAULT_TZ = "UTC"


def cadence_days(tier: str | None, grade: str | None, th: Thresholds = DEFAULT_THRESHOLDS) -> int | None:
    """Days allowed between touches: A 14, B 30, C 90; key-tier accounts at most 30 (a key account
    without a grade gets the key cap). Prospects and ungraded non-key accounts have no cadence (None)."""
    by_grade = {"A": th.cadence_a_days, "B": th.cadence_b_days, "C": th.cadence_c_days}.get(grade or "")
    if tier == "key":
        return th.cadence_key_max_days if by_grade is None else min(by_grade, th.cadence_key_max_days)
    return by_grade if tier != "prospect" else None


class ContactTouches(NamedTuple):
    """Interactions in the single-point-of-failure window that went through one contact. (A named tuple, as
    AccountState: a digest run builds one per contact of every watched account.)"""

    contact: str
    touches: int
    colleagues: tuple[str, ...] = ()  # our people (Slack id or email) who met this contact in the window


class AccountState(NamedTuple):
    """What the nudge rules need to know about one account, as of `now`. (A named tuple: immutable, and
    several times cheaper to build than a frozen dataclass when a digest run builds tens of thousands.)"""

    id: int
    name: str
    tier: str  # key | secondary | prospect
    grade: str | None
    owner: str | None = None  # resolved Slack user id
    annual_revenue: float | None = None
    sponsor_user_id: str | None = None
    sponsor_level: str | None = None  # executive | project_manager
    last_touch: datetime | None = None
    last_review: datetime | None = None
    decision_makers: int = 0  # active decision-maker contacts
    sole_decision_maker: str | None = None  # the name, when there is exactly one
    window_touches: tuple[ContactTouches, ...] = ()  # per contact, in the spof window
    revenue_recent: float | None = None  # sum of the last N complete months (None: no rows)
    revenue_prior: float | None = None  # sum of the N months before (None: no rows)
    snoozed_until: datetime | None = None

    @property
    def watched(self) -> bool:
        """Key-tier or grade-A: the accounts most nudges are about."""
        return self.tier == "key" or self.grade == "A"


def is_snoozed(account: AccountState, now: datetime) -> bool:
    """A snooze holds until its end (exclusive): at `until` the account is back."""
    return account.snoozed_until is not None and now < account.snoozed_until


def days_since(then: datetime | None, now: datetime) -> int | None:
    """Whole days elapsed (floor); None when there is no `then`."""
    return None if then is None else (now - then) // DAY


# -- the five signals ------------------------------------------------------------------------------------


class Item(NamedTuple):
    """One line of a digest section: the account, plus what to say about it.

    What to say is built on demand (`details`): a digest run finds about twice as many items as its capped
    sections keep, and only the kept ones are ever described."""

    account_id: int
    account: str
    urgency: tuple[Any, ...]  # sorts ascending: most urgent first
    describe: Callable[[], dict[str, Any]]

    @property
    def details(self) -> dict[str, Any]:
        return self.describe()

    def to_facts(self) -> DigestItemFacts:
        return cast(
            DigestItemFacts, {"account_id": self.account_id, "account": self.account, **self.describe()}
        )


def _revenue(a: AccountState) -> float:
    return a.annual_revenue or 0.0


def stale(a: AccountState, now: datetime, th: Thresholds = DEFAULT_THRESHOLDS) -> Item | None:
    """Key-tier or A account whose last touch is more than its cadence ago (exactly the cadence is fine).

    Never touched counts as stale, most overdue of all."""
    if not a.watched:
        return None
    cadence = cadence_days(a.tier, a.grade, th)
    if cadence is None:
        return None
    if a.last_touch is not None and now - a.last_touch <= timedelta(days=cadence):
        return None
    since = days_since(a.last_touch, now)
    overdue = None if since is None else since - cadence
    rank = float("-inf") if overdue is None else -overdue
    return Item(
        a.id,
        a.name,
        (rank, -_revenue(a), a.name.casefold()),
        lambda: {"days_since": since, "cadence_days": cadence, "last_touch": _iso(a.last_touch)},
    )


def single_point_of_failure(
    a: AccountState, now: datetime, th: Thresholds = DEFAULT_THRESHOLDS
) -> Item | None:
    """Key-tier or A account resting on one person (docs/rules.md#nudge-signals).

    Fires when fewer than `spof_min_decision_makers` active decision makers are known, or when
    `spof_concentration_percent` or more of the window's interactions with a named contact went through one
    contact. Names that contact (or the sole decision maker) and, where one exists, a colleague who has met
    another contact at the account in the window."""
    if not a.watched:
        return None
    total = sum(t.touches for t in a.window_touches)
    top = max(a.window_touches, key=lambda t: (t.touches, t.contact), default=None)
    concentrated = (
        top is not None and total > 0 and top.touches * 100 >= th.spof_concentration_percent * total
    )
    few_deciders = a.decision_makers < th.spof_min_decision_makers
    if not (concentrated or few_deciders):
        return None
    contact = top.contact if concentrated and top is not None else a.sole_decision_maker
    share = round(100 * top.touches / total) if concentrated and top is not None else None
    reasons = []
    if few_deciders:
        reasons.append("decision_makers")
    if concentrated:
        reasons.append("concentration")
    return Item(
        a.id,
        a.name,
        (a.decision_makers, -(share or 0), -_revenue(a), a.name.casefold()),
        lambda: {
            "reasons": reasons,
            "decision_makers": a.decision_makers,
            "contact": contact,
            "share_percent": share,
            "colleague": _colleague_elsewhere(a.window_touches, contact, a.owner),
        },
    )


def _colleague_elsewhere(
    touches: Sequence[ContactTouches], contact: str | None, owner: str | None
) -> str | None:
    """A colleague (not the owner, who hears the nudge) who met a contact other than `contact`: the one who
    met others most often."""
    counts: dict[str, int] = {}
    for t in touches:
        if t.contact == contact:
            continue
        for c in t.colleagues:
            if c != owner:
                counts[c] = counts.get(c, 0) + t.touches
    if not counts:
        return None
    return min(counts, key=lambda c: (-counts[c], c))


def checkup_due(a: AccountState, now: datetime, th: Thresholds = DEFAULT_THRESHOLDS) -> Item | None:
    """Key-tier account without a `review` interaction in the last `checkup_days` (docs/rules.md#nudge-signals).

    A review exactly `checkup_days` ago still counts."""
    if a.tier != "key":
        return None
    if a.last_review is not None and now - a.last_review <= timedelta(days=th.checkup_days):
        return None
    since = days_since(a.last_review, now)
    rank = float("-inf") if since is None else -since
    return Item(
        a.id,
        a.name,
        (rank, -_revenue(a), a.name.casefold()),
        lambda: {"days_since_review": since, "last_review": _iso(a.last_review)},
    )


def sponsor_missing(a: AccountState, th: Thresholds = DEFAULT_THRESHOLDS) -> Item | None:
    """A accounts need an executive sponsor, B accounts any sponsor (docs/rules.md#nudge-signals)."""
    if a.grade == "A":
        if a.sponsor_user_id and a.sponsor_level == "executive":
            return None
        needed = "executive"
    elif a.grade == "B":
        if a.sponsor_user_id:
            return None
        needed = "any"
    else:
        return None
    return Item(
        a.id,
        a.name,
        (a.grade, -_revenue(a), a.name.casefold()),
        lambda: {
            "grade": a.grade,
            "needed": needed,
            "sponsor": a.sponsor_user_id,
            "sponsor_level": a.sponsor_level,
        },
    )


def revenue_drop(a: AccountState, th: Thresholds = DEFAULT_THRESHOLDS) -> Item | None:
    """Key-tier or A account whose last N months of revenue are below P% of the N months before.

    Needs revenue rows in the earlier window (a positive total); missing recent months count as zero.
    Exactly P% is not a drop."""
    if not a.watched or a.revenue_prior is None or a.revenue_prior <= 0:
        return None
    recent = a.revenue_recent or 0.0
    if recent * 100 >= th.revenue_drop_percent * a.revenue_prior:
        return None
    prior = a.revenue_prior
    ratio = recent / prior
    return Item(
        a.id,
        a.name,
        (ratio, -_revenue(a), a.name.casefold()),
        lambda: {
            "recent": round(recent, 2),
            "prior": round(prior, 2),
            "change_percent": round(100 * (ratio - 1)),
            "months": th.revenue_drop_months,
        },
    )


# -- digest ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    items: tuple[Item, ...]  # at most the limit, most urgent first
    more: int = 0  # how many were left out ("and N more" -> App Home)

    def to_facts(self) -> SectionFacts:
        return {"items": [i.to_facts() for i in self.items], "more": self.more}


@dataclass(frozen=True, slots=True)
class Digest:
    owner: str
    local_date: date
    sections: tuple[Section, ...]  # only non-empty ones, in SECTIONS order

    def to_facts(self) -> DigestFacts:
        return {
            "owner": self.owner,
            "date": self.local_date.isoformat(),
            "sections": {s.name: s.to_facts() for s in self.sections},
        }

    def names(self, section: str) -> list[str]:
        for s in self.sections:
            if s.name == section:
                return [i.account for i in s.items]
        return []


# Each section's signal as f(account, now, th), in SECTIONS order.
_SIGNALS: tuple[tuple[str, Callable[[AccountState, datetime, Thresholds], Item | None]], ...] = (
    ("stale", stale),
    ("single_point_of_failure", single_point_of_failure),
    ("checkup_due", checkup_due),
    ("sponsor_missing", lambda a, now, th: sponsor_missing(a, th)),
    ("revenue_drop", lambda a, now, th: revenue_drop(a, th)),
)
assert tuple(name for name, _ in _SIGNALS) == SECTIONS
# Signals that can fire for an account that is neither key-tier nor A (a B account without a sponsor).
_BEYOND_WATCHED = frozenset({"sponsor_missing"})
_URGENCY = attrgetter("urgency")


def section_items(a: AccountState, now: datetime, th: Thresholds = DEFAULT_THRESHOLDS) -> dict[str, Item]:
    """Every signal that fires for one account (empty when snoozed)."""
    if is_snoozed(a, now):
        return {}
    return {name: item for name, signal in _SIGNALS if (item := signal(a, now, th)) is not None}


def build_digest(
    owner: str,
    local_date: date,
    accounts: Iterable[AccountState],
    now: datetime,
    th: Thresholds = DEFAULT_THRESHOLDS,
) -> Digest | None:
    """One owner's digest: non-empty sections in a fixed order, each sorted most urgent first and capped at
    `digest_section_limit` items. None when there is nothing to say."""
    awake = [a for a in accounts if not is_snoozed(a, now)]
    watched = [a for a in awake if a.tier == "key" or a.grade == "A"]
    limit = th.digest_section_limit
    sections = []
    for name, signal in _SIGNALS:
        pool = awake if name in _BEYOND_WATCHED else watched  # the others never fire for the rest
        items = [item for a in pool if (item := signal(a, now, th)) is not None]
        if items:
            items.sort(key=_URGENCY)
            sections.append(Section(name, tuple(items[:limit]), max(0, len(items) - limit)))
    if not sections:
        return None
    return Digest(owner, local_date, tuple(sections))


# -- weekly focus (docs/rules.md#nudge-signals) ------------------------------------------------------------


def choose_focus(
    accounts: Iterable[AccountState],
    now: datetime,
    recently_focused: Iterable[int] = (),
    th: Thresholds = DEFAULT_THRESHOLDS,
) -> Item | None:
    """The most valuable overdue key-tier account that was not a focus in the last 4 weeks and is not
    snoozed. Value is annual revenue; ties go to the most overdue, then the name."""
    skip = set(recently_focused)
    best: tuple[tuple[Any, ...], Item] | None = None
    for a in accounts:
        if a.tier != "key" or a.id in skip or is_snoozed(a, now):
            continue
        item = stale(a, now, th)
        if item is None:
            continue
        since = item.details["days_since"]
        overdue = float("inf") if since is None else since - item.details["cadence_days"]
        key = (-_revenue(a), -overdue, a.name.casefold())
        if best is None or key < best[0]:
            focus = Item(
                a.id, a.name, key, partial(dict, item.details, annual_revenue=a.annual_revenue, grade=a.grade)
            )
            best = (key, focus)
    return None if best is None else best[1]


def focus_lookback_start(monday: date) -> date:
    """Focus picks made on or after this local date (the Monday 3 weeks back) block an account from being
    the focus again this week: an account is never the focus twice within 4 consecutive weeks."""
    return monday - timedelta(weeks=FOCUS_REPEAT_WEEKS - 1)


# -- tier watch ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierChange:
    account_id: int
    account: str
    old_tier: str | None
    new_tier: str
    old_grade: str | None
    new_grade: str | None
    reasons: tuple[str, ...]

    def to_facts(self) -> TierChangeFacts:
        return {
            "account_id": self.account_id,
            "account": self.account,
            "old_tier": self.old_tier,
            "new_tier": self.new_tier,
            "old_grade": self.old_grade,
            "new_grade": self.new_grade,
            "reasons": list(self.reasons),
        }


def tier_change(
    account_id: int, old_tier: str | None, old_grade: str | None, new: Assessment, max_reasons: int = 5
) -> TierChange | None:
    """The change to announce, or None. Nothing is announced for an account seen for the first time
    (no recorded tier): the first run only records.

    The reasons explain the change: the tier rule when the tier moved; the score breakdown, the grade rule
    and any flag when the grade moved; then the next step, if there is one."""
    if old_tier is None:
        return None
    if old_tier == new.tier and old_grade == new.grade:
        return None
    wanted: list[str] = []
    if old_tier != new.tier:
        wanted.append("tier ")
    if old_grade != new.grade:
        wanted += ["score ", "grade "]
    reasons = [r for r in new.reasons if r.startswith(tuple(wanted))]
    reasons += [f"flag {flag}" for flag in new.flags if old_grade != new.grade]
    if new.next_step:
        reasons.append(f"next step: {new.next_step}")
    return TierChange(
        account_id, new.name, old_tier, new.tier, old_grade, new.grade, tuple(reasons[:max_reasons])
    )


# -- local time -------------------------------------------------------------------------------------------------


def zone(tz_name: str | None) -> ZoneInfo:
    """The owner's zone for showing dates; unknown or invalid names fall back to UTC. When a nudge is due is
    accounts.timing's rule, which never guesses a zone."""
    try:
        return ZoneInfo(tz_name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
