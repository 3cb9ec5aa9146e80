"""accounts.escalation: who is escalated (3 ignored nudges, or twice the cadence), and the digest after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accounts.escalation import (
    SentNudge,
    escalation,
    ignored_since_touch,
    split_escalated,
    with_escalated,
)
from accounts.facts import EscalatedItemFacts
from accounts.signals import AccountState

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def acc(**kw: object) -> AccountState:
    fields: dict[str, object] = {"id": 1, "name": "Acme", "tier": "key", "grade": "A", "owner": "U1"}
    fields.update(kw)
    return AccountState(**fields)  # type: ignore[arg-type]


def nudges(*days_ago: float, reason: str = "stale") -> list[SentNudge]:
    return [SentNudge(i + 1, NOW - d * DAY, reason) for i, d in enumerate(days_ago)]


def test_three_ignored_nudges_escalate_an_overdue_key_account() -> None:
    a = acc(last_touch=NOW - 20 * DAY)  # A: cadence 14, 6 days overdue
    assert escalation(a, nudges(3, 2), NOW) is None
    e = escalation(a, nudges(3, 2, 1), NOW)
    assert e is not None
    assert (e.nudges_ignored, e.days_overdue, e.days_since, e.cadence_days) == (3, 6, 20, 14)
    assert e.reasons == ("nudges_ignored",)
    assert e.first_ignored == NOW - 3 * DAY


def test_a_touch_after_the_nudges_answers_them() -> None:
    sent = nudges(10, 9, 8, 2, 1)
    a = acc(last_touch=NOW - 15 * DAY - timedelta(hours=1))  # touched before all five
    assert escalation(a, sent, NOW) is not None
    later = acc(
        last_touch=NOW - 5 * DAY
    )  # after the first three: only two ignored, and within cadence anyway
    assert ignored_since_touch(sent, later.last_touch) == sent[3:]
    assert escalation(later, sent, NOW) is None


def test_a_touch_at_the_nudge_instant_answers_it() -> None:
    sent = nudges(1)
    assert ignored_since_touch(sent, sent[0].sent_at) == []


def test_touched_within_its_cadence_is_never_escalated_whatever_the_digest_flags() -> None:
    a = acc(last_touch=NOW - 14 * DAY)  # exactly the cadence: not overdue
    assert escalation(a, nudges(0.5, 0.4, 0.3, 0.2, reason="single_point_of_failure"), NOW) is None


def test_twice_the_cadence_needs_one_ignored_nudge() -> None:
    a = acc(last_touch=NOW - 29 * DAY)  # more than 2 x 14
    assert escalation(a, [], NOW) is None  # history alone never escalates
    e = escalation(a, nudges(1), NOW)
    assert e is not None and e.reasons == ("overdue_twice",) and e.days_overdue == 15
    exactly = acc(last_touch=NOW - 28 * DAY)  # exactly twice: not more
    assert escalation(exactly, nudges(1), NOW) is None


def test_both_reasons() -> None:
    e = escalation(acc(last_touch=NOW - 40 * DAY), nudges(3, 2, 1), NOW)
    assert e is not None and e.reasons == ("nudges_ignored", "overdue_twice")


def test_nudges_counted_by_message_not_by_reason() -> None:
    """A digest naming the account in two sections is one nudge."""
    sent = [
        SentNudge(7, NOW - DAY, "stale"),
        SentNudge(7, NOW - DAY, "checkup_due"),
        SentNudge(8, NOW, "stale"),
    ]
    a = acc(last_touch=None)
    assert escalation(a, sent, NOW) is None
    e = escalation(a, [*sent, SentNudge(9, NOW, "revenue_drop")], NOW)
    assert e is not None and e.nudges_ignored == 3
    assert e.nudge_reasons == ("checkup_due", "revenue_drop", "stale")
    assert e.days_overdue is None  # never touched


def test_only_owned_unsnoozed_key_or_a_accounts() -> None:
    sent = nudges(3, 2, 1)
    assert escalation(acc(tier="secondary", grade="B"), sent, NOW) is None
    assert escalation(acc(tier="secondary", grade="A"), sent, NOW) is not None
    assert escalation(acc(tier="key", grade="C"), sent, NOW) is not None
    assert escalation(acc(owner=None), sent, NOW) is None
    assert escalation(acc(snoozed_until=NOW + DAY), sent, NOW) is None
    assert escalation(acc(snoozed_until=NOW), sent, NOW) is not None  # the snooze has ended


def test_facts() -> None:
    e = escalation(acc(last_touch=NOW - 20 * DAY), nudges(3, 2, 1), NOW)
    assert e is not None
    facts = e.to_facts("2026-W48", "manager")
    assert facts["account"] == "Acme" and facts["owner"] == "U1" and facts["week"] == "2026-W48"
    assert facts["days_overdue"] == 6 and facts["nudges_ignored"] == 3 and facts["to_kind"] == "manager"
    assert facts["last_touch"] == (NOW - 20 * DAY).isoformat()


def note(account_id: int, name: str, overdue: int | None) -> EscalatedItemFacts:
    return {
        "account_id": account_id,
        "account": name,
        "to": "U9",
        "to_kind": "manager",
        "escalated_on": "2026-11-23",
        "days_overdue": overdue,
        "nudges_ignored": 3,
    }


def test_the_digest_leaves_escalated_accounts_out_and_shows_them_instead() -> None:
    states = [acc(id=1, name="Acme"), acc(id=2, name="Beta"), acc(id=3, name="Cora")]
    escalated = {2: note(2, "Beta", 5), 3: note(3, "Cora", None), 99: note(99, "Other owner's", 1)}
    kept, notes = split_escalated(states, escalated)
    assert [s.name for s in kept] == ["Acme"]
    assert [n["account"] for n in notes] == ["Cora", "Beta"]  # never touched first, then most overdue
    digest = {"owner": "U1", "date": "2026-11-24", "sections": {"stale": {"items": [], "more": 0}}}
    out = with_escalated(digest, "U1", "2026-11-24", notes)  # type: ignore[arg-type]
    assert out is not None and out["sections"] == digest["sections"] and out["escalated"] == notes
    assert "escalated" not in digest  # not changed in place


def test_with_escalated_alone_and_with_nothing() -> None:
    assert with_escalated(None, "U1", "2026-11-24", []) is None
    alone = with_escalated(None, "U1", "2026-11-24", [note(2, "Beta", 5)])
    assert alone == {"owner": "U1", "date": "2026-11-24", "sections": {}, "escalated": [note(2, "Beta", 5)]}
