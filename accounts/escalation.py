"""Escalation: when an owner's nudges about a key account go unanswered, someone else hears of it
(docs/nudges.md#escalation-and-outcomes).

Pure rules over plain data (`now` is passed in):

- **Who qualifies.** An owned, not snoozed, key-tier or grade-A account that is overdue for a touch (past its
  cadence, or never touched) and
  - was named in 3 nudge messages (`ESCALATE_AFTER_NUDGES`) since its last touch, or
  - was last touched more than twice its cadence ago (`OVERDUE_FACTOR`) and named in at least one nudge
    since: the owner has heard from the bot at least once, so history alone never escalates on day one.
- **Ignored** means no touch (logged in Slack or imported) after the nudge: a nudge is ignored while the
  account's latest touch is older than it.
- **The digest after an escalation** leaves the account out of its sections and shows the escalation
  instead (`split_escalated`, `with_escalated`), until a touch follows the escalation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from accounts.facts import DigestFacts, EscalatedItemFacts, EscalationFacts
from accounts.signals import AccountState, cadence_days, days_since, is_snoozed
from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds

ESCALATE_AFTER_NUDGES = 3  # nudge messages since the last touch
OVERDUE_FACTOR = 2  # last touch more than this many cadences ago
REASONS = ("nudges_ignored", "overdue_twice")
# How long after an escalation the digest shows it instead of the account: its week and a day (a next week's
# escalation, while the nudges stay unanswered, takes over before it lapses).
ESCALATION_MEMORY = timedelta(days=8)


@dataclass(frozen=True, slots=True)
class SentNudge:
    """One nudge about an account, as the nudge ledger has it (one row per message, account and reason)."""

    outbox_id: int
    sent_at: datetime
    reason: str  # a digest section name (a weekly focus is "stale")


@dataclass(frozen=True, slots=True)
class Escalation:
    """An account to escalate this week, with what the message says."""

    account_id: int
    account: str
    owner: str
    tier: str | None
    grade: str | None
    cadence_days: int
    days_since: int | None
    last_touch: datetime | None
    nudges_ignored: int
    first_ignored: datetime
    nudge_reasons: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def days_overdue(self) -> int | None:
        return None if self.days_since is None else self.days_since - self.cadence_days

    def to_facts(self, week: str, to_kind: str) -> EscalationFacts:
        return {
            "account_id": self.account_id,
            "account": self.account,
            "owner": self.owner,
            "tier": self.tier,
            "grade": self.grade,
            "cadence_days": self.cadence_days,
            "days_since": self.days_since,
            "days_overdue": self.days_overdue,
            "last_touch": None if self.last_touch is None else self.last_touch.isoformat(),
            "nudges_ignored": self.nudges_ignored,
            "first_ignored": self.first_ignored.isoformat(),
            "nudge_reasons": list(self.nudge_reasons),
            "reasons": list(self.reasons),
            "week": week,
            "to_kind": to_kind,
        }


def ignored_since_touch(nudges: Iterable[SentNudge], last_touch: datetime | None) -> list[SentNudge]:
    """The nudges no touch followed: those sent after the account's latest touch (all of them if never
    touched). A touch at the very instant of the nudge answers it."""
    return [n for n in nudges if last_touch is None or n.sent_at > last_touch]


def escalation(
    account: AccountState,
    nudges: Sequence[SentNudge],
    now: datetime,
    th: Thresholds = DEFAULT_THRESHOLDS,
    *,
    after_nudges: int = ESCALATE_AFTER_NUDGES,
    overdue_factor: int = OVERDUE_FACTOR,
) -> Escalation | None:
    """Whether `account` (its state as of `now`) is to be escalated, given the nudges sent about it."""
    if not account.watched or not account.owner or is_snoozed(account, now):
        return None
    cadence = cadence_days(account.tier, account.grade, th)
    if cadence is None:
        return None
    since = days_since(account.last_touch, now)
    if since is not None and since <= cadence:
        return None  # touched within its cadence: the owner is on it, whatever else the digest flags
    ignored = ignored_since_touch(nudges, account.last_touch)
    messages = {n.outbox_id for n in ignored}
    if not messages:
        return None
    reasons = []
    if len(messages) >= after_nudges:
        reasons.append("nudges_ignored")
    if since is not None and since > overdue_factor * cadence:
        reasons.append("overdue_twice")
    if not reasons:
        return None
    return Escalation(
        account_id=account.id,
        account=account.name,
        owner=account.owner,
        tier=account.tier,
        grade=account.grade,
        cadence_days=cadence,
        days_since=since,
        last_touch=account.last_touch,
        nudges_ignored=len(messages),
        first_ignored=min(n.sent_at for n in ignored),
        nudge_reasons=tuple(sorted({n.reason for n in ignored})),
        reasons=tuple(reasons),
    )


# -- the digest after an escalation ----------------------------------------------------------------------


def split_escalated(
    states: Iterable[AccountState], escalated: Mapping[int, EscalatedItemFacts]
) -> tuple[list[AccountState], list[EscalatedItemFacts]]:
    """An owner's account states without the accounts escalated lately, and the escalation lines of those
    accounts (most overdue first), for the digest to show instead."""
    kept: list[AccountState] = []
    notes: list[EscalatedItemFacts] = []
    for state in states:
        note = escalated.get(state.id)
        if note is None:
            kept.append(state)
        else:
            notes.append(note)
    notes.sort(key=_most_overdue)
    return kept, notes


def _most_overdue(note: EscalatedItemFacts) -> tuple[float, str]:
    overdue = note.get("days_overdue")
    return (float("-inf") if overdue is None else -overdue, str(note.get("account", "")).casefold())


def with_escalated(
    facts: DigestFacts | None, owner: str, local_day: str, notes: Sequence[EscalatedItemFacts]
) -> DigestFacts | None:
    """The digest's facts with the escalation lines added (`facts` None: a digest of those lines alone,
    since an escalated account still needs its owner). None when there is nothing to say at all."""
    if not notes:
        return facts
    base: DigestFacts = facts if facts is not None else {"owner": owner, "date": local_day, "sections": {}}
    return {**base, "escalated": list(notes)}
