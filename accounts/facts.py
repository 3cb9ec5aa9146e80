"""The outbox facts: the JSON each job writes for one message, as TypedDicts.

Producers (accounts.signals, accounts.charts, storage.reads.reports, jobs/) return these and the renderers in
bot/render read them, so mypy checks both sides against one definition. Types only: the stored JSON is the
plain dict the producer builds.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

# --- digest (kind "digest", jobs.digest) -----------------------------------------------------------------


class ItemFacts(TypedDict):
    """What every digest item names: the account."""

    account_id: int
    account: str


class StaleFacts(ItemFacts):
    days_since: int | None  # None: never touched
    cadence_days: int
    last_touch: str | None  # ISO datetime


class SpofFacts(ItemFacts):
    reasons: list[str]  # "decision_makers" and/or "concentration"
    decision_makers: int
    contact: str | None
    share_percent: int | None
    colleague: str | None  # a Slack user id or an email


class CheckupFacts(ItemFacts):
    days_since_review: int | None
    last_review: str | None  # ISO datetime


class SponsorFacts(ItemFacts):
    grade: str | None
    needed: str  # "executive" | "any"
    sponsor: str | None
    sponsor_level: str | None


class RevenueDropFacts(ItemFacts):
    recent: float
    prior: float
    change_percent: int
    months: int


DigestItemFacts = StaleFacts | SpofFacts | CheckupFacts | SponsorFacts | RevenueDropFacts


class SectionFacts(TypedDict):
    items: list[DigestItemFacts]  # all of the section's kind (the section name says which)
    more: int


class EscalatedItemFacts(ItemFacts):
    """An account escalated lately (accounts.escalation): the digest shows this line instead of its items."""

    to: str  # the manager's Slack user id or the channel id it went to
    to_kind: str  # "manager" | "channel"
    escalated_on: str  # ISO date (UTC) of the escalation
    days_overdue: int | None  # None: never touched
    nudges_ignored: int


class CoveringFacts(TypedDict):
    """A paused owner's key accounts overdue for a touch, in the digest of the backup they named
    (jobs.digest, docs/nudges.md#each-persons-own-rhythm)."""

    owner: str  # the paused owner's Slack user id
    until: str  # ISO date they are back (their first local date back)
    items: list[StaleFacts]  # most overdue first, capped as a section
    more: int


class AwayMoveFacts(TypedDict):
    """A tier or grade change announced while the owner was away (a tier_change message of the pause)."""

    account: str
    old_tier: str | None
    new_tier: str | None
    old_grade: str | None
    new_grade: str | None


class AwayFacts(TypedDict):
    """What changed on the owner's accounts while they were paused (storage.preferences.away_changes)."""

    since: str  # ISO datetime the pause was set
    touches: int  # touches logged or imported on their accounts since then
    touched_accounts: int  # how many of their accounts those touches were on
    touched: list[str]  # those accounts' names, most touched first (at most 5)
    moves: list[AwayMoveFacts]  # tier and grade changes, latest first (at most 5)
    moves_total: int
    backup: str | None  # the Slack user id who covered their key accounts, if one was named


class DigestFacts(TypedDict):
    owner: str
    date: str  # the owner's local date, ISO
    sections: dict[str, SectionFacts]  # only non-empty sections, by name (accounts.signals.SECTIONS)
    covering: NotRequired[list[CoveringFacts]]  # a backup's digest: paused owners' overdue key accounts
    away: NotRequired[AwayFacts]  # the first digest after a pause: what changed meanwhile
    escalated: NotRequired[list[EscalatedItemFacts]]  # accounts escalated lately, left out of the sections


# --- weekly focus (kind "weekly_focus", jobs.weekly_focus) -----------------------------------------------


class WeeklyFocusFacts(StaleFacts):
    annual_revenue: float | None
    grade: str | None
    week: str  # ISO week, "2026-W49"


# --- tier change (kind "tier_change", jobs.tier_watch) ---------------------------------------------------


class TierChangeFacts(TypedDict):
    account_id: int
    account: str
    old_tier: str | None
    new_tier: str
    old_grade: str | None
    new_grade: str | None
    reasons: list[str]


# --- news alert (kind "news_alert", jobs.news_poll) ------------------------------------------------------


class NewsAlertFacts(TypedDict):
    account: str
    account_id: int
    tier: str | None
    grade: str | None
    title: str
    link: str | None
    source: str | None
    published: str | None  # ISO datetime
    mention_id: int
    feed_id: int


# --- escalation (kind "escalation", jobs.escalation) -----------------------------------------------------


class EscalationFacts(TypedDict):
    """A key-tier or A account whose nudges went unanswered, told to the owner's manager or a channel."""

    account_id: int
    account: str
    owner: str  # the owner's Slack user id
    tier: str | None
    grade: str | None
    cadence_days: int
    days_since: int | None  # days since the last touch; None: never touched
    days_overdue: int | None  # days past the cadence; None: never touched
    last_touch: str | None  # ISO datetime
    nudges_ignored: int  # nudge messages naming the account since its last touch
    first_ignored: str  # ISO datetime of the first of them
    nudge_reasons: list[str]  # the digest sections they came from (a weekly focus counts as stale)
    reasons: list[str]  # "nudges_ignored" and/or "overdue_twice"
    week: str  # ISO week, "2026-W48"
    to_kind: str  # "manager" | "channel"


class DeadLetterReason(TypedDict):
    reason: str  # one word: not_in_channel, gave_up, ...
    count: int
    fix: str


class DeadLetterFacts(TypedDict):
    """Kind "dead_letters" (jobs.dead_letters): an admin's daily count of messages given up, by reason."""

    day: str  # ISO date the counted day ended (the admin's local date)
    total: int
    reasons: list[DeadLetterReason]


class FeedPausedFacts(TypedDict):
    """Kind "feed_paused" (bot.relay): a feed's channel alerts stopped because Slack would not take them."""

    feed_id: int
    url: str
    channel: str
    error: str  # not_in_channel | channel_not_found | is_archived


class CrmSyncFailedFacts(TypedDict):
    """Kind "crm_sync_failed" (jobs.crm_sync): a saved CRM connection stopped for a reason only an admin can
    fix (told once per failure), with the fix. Never the secret."""

    source: str  # hubspot | salesforce
    failure: str  # auth | daily_limit | allocation | keys
    object: str | None  # the object the run stopped at
    error: str  # the client's message
    fix: str
    since: str  # ISO instant of the run that found it


# --- portfolio report (kind "portfolio_report", jobs.portfolio_report) -----------------------------------


class MoveFacts(TypedDict):
    account: str
    old_tier: str | None
    new_tier: str | None
    old_grade: str | None
    new_grade: str | None


class QuadrantChartFacts(TypedDict):
    """accounts.charts.QuadrantChart, columnar: one list per field, one character per point for codes."""

    v: int
    x_cut: float
    y_cut: float
    x_min: float
    x_max: float
    y_min: float
    y_max: float
    window_days: int
    name: list[str]
    x: list[float]
    y: list[float]
    area: list[float]
    grade: list[str | None]
    tier: str
    revenue: list[float | None]
    quadrant: str
    labelled: list[int]
    estimated: list[int]
    all_counts: NotRequired[dict[str, int]]  # only when the largest accounts alone are drawn


class ConcentrationChartFacts(TypedDict):
    v: int
    n: int
    total_revenue: float
    cumulative_share: list[float]
    key_count: int
    key_share: float
    ranks: NotRequired[list[int]]  # only for a thinned curve


class ConcentrationFacts(TypedDict):
    headline: str
    key_count: int
    key_share: float
    clients: int


class PortfolioReportFacts(TypedDict):
    week: str
    monday: str  # ISO date
    accounts: int
    tiers: dict[str, int]
    grades: dict[str, int]
    quadrants: dict[str, int]
    concentration: ConcentrationFacts
    moves: list[MoveFacts]
    moves_total: int
    quadrant_chart: QuadrantChartFacts
    concentration_chart: ConcentrationChartFacts


OutboxFacts = (
    DigestFacts | WeeklyFocusFacts | TierChangeFacts | NewsAlertFacts | PortfolioReportFacts | EscalationFacts
)
