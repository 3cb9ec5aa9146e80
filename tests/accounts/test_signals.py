"""Nudge rules: every threshold boundary, snoozes, ordering, caps and local times."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accounts.model import Assessment
from accounts.signals import (
    AccountState,
    ContactTouches,
    build_digest,
    cadence_days,
    checkup_due,
    choose_focus,
    focus_lookback_start,
    is_snoozed,
    revenue_drop,
    single_point_of_failure,
    sponsor_missing,
    stale,
    tier_change,
)
from accounts.thresholds import Thresholds
from tests.conftest import NOW

TH = Thresholds()


def acc(**kw: object) -> AccountState:
    base = dict(
        id=1,
        name="Acme",
        tier="key",
        grade="A",
        owner="U1",
        annual_revenue=1e6,
        sponsor_user_id="U8",
        sponsor_level="executive",
        last_touch=NOW,
        last_review=NOW,
        decision_makers=2,
        window_touches=(ContactTouches("Ann", 1, ("U2",)), ContactTouches("Bob", 1, ("U3",))),
        revenue_recent=100.0,
        revenue_prior=100.0,
    )
    base.update(kw)
    return AccountState(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tier", "grade", "expected"),
    [
        ("key", "A", 14),
        ("key", "B", 30),
        ("key", "C", 30),
        ("key", None, 30),
        ("secondary", "A", 14),
        ("secondary", "B", 30),
        ("secondary", "C", 90),
        ("prospect", None, None),
        ("secondary", None, None),
    ],
)
def test_cadence_days(tier: str, grade: str | None, expected: int | None) -> None:
    assert cadence_days(tier, grade, TH) == expected


def test_cadence_key_cap_is_configurable() -> None:
    th = Thresholds(cadence_key_max_days=20, cadence_a_days=25)
    assert cadence_days("key", "A", th) == 20
    assert cadence_days("secondary", "A", th) == 25


def test_healthy_account_says_nothing() -> None:
    assert build_digest("U1", NOW.date(), [acc()], NOW, TH) is None


# -- stale ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "grade", "cadence"),
    [("key", "A", 14), ("key", "B", 30), ("key", "C", 30), ("secondary", "A", 14)],
)
def test_stale_boundary(tier: str, grade: str, cadence: int) -> None:
    at_limit = acc(tier=tier, grade=grade, last_touch=NOW - timedelta(days=cadence))
    assert stale(at_limit, NOW, TH) is None
    just_over = acc(tier=tier, grade=grade, last_touch=NOW - timedelta(days=cadence, seconds=1))
    item = stale(just_over, NOW, TH)
    assert (
        item is not None and item.details["days_since"] == cadence and item.details["cadence_days"] == cadence
    )


def test_stale_only_for_key_or_a() -> None:
    long_ago = NOW - timedelta(days=400)
    assert stale(acc(tier="secondary", grade="B", last_touch=long_ago), NOW, TH) is None
    assert stale(acc(tier="secondary", grade="C", last_touch=long_ago), NOW, TH) is None
    assert stale(acc(tier="prospect", grade=None, last_touch=long_ago), NOW, TH) is None


def test_never_touched_is_most_overdue() -> None:
    never = acc(id=1, name="Never", last_touch=None)
    old = acc(id=2, name="Old", last_touch=NOW - timedelta(days=300))
    recent = acc(id=3, name="Recent", last_touch=NOW - timedelta(days=20))
    digest = build_digest("U1", NOW.date(), [recent, old, never], NOW, TH)
    assert digest is not None
    assert digest.names("stale") == ["Never", "Old", "Recent"]


def test_stale_orders_by_overdue_not_by_days() -> None:
    # key C (cadence 30) 40 days ago is 10 overdue; key A (14) 30 days ago is 16 overdue.
    c = acc(id=1, name="C acct", grade="C", last_touch=NOW - timedelta(days=40))
    a = acc(id=2, name="A acct", grade="A", last_touch=NOW - timedelta(days=30))
    digest = build_digest("U1", NOW.date(), [c, a], NOW, TH)
    assert digest is not None and digest.names("stale") == ["A acct", "C acct"]


# -- single point of failure -----------------------------------------------------------------------------


def test_spof_decision_maker_boundary() -> None:
    assert single_point_of_failure(acc(decision_makers=2), NOW, TH) is None
    item = single_point_of_failure(acc(decision_makers=1, sole_decision_maker="Ann"), NOW, TH)
    assert item is not None
    assert item.details["reasons"] == ["decision_makers"] and item.details["contact"] == "Ann"
    assert item.details["colleague"] == "U3"  # met Bob, another contact
    assert single_point_of_failure(acc(decision_makers=0), NOW, TH) is not None


def test_spof_concentration_boundary() -> None:
    at_80 = acc(window_touches=(ContactTouches("Ann", 8, ("U2",)), ContactTouches("Bob", 2, ("U3",))))
    item = single_point_of_failure(at_80, NOW, TH)
    assert item is not None and item.details["reasons"] == ["concentration"]
    assert item.details["contact"] == "Ann" and item.details["share_percent"] == 80
    assert item.details["colleague"] == "U3"
    below = acc(window_touches=(ContactTouches("Ann", 79, ("U2",)), ContactTouches("Bob", 21, ("U3",))))
    assert single_point_of_failure(below, NOW, TH) is None


def test_spof_no_colleague_when_nobody_met_anyone_else() -> None:
    only = acc(decision_makers=2, window_touches=(ContactTouches("Ann", 3, ("U2",)),))
    item = single_point_of_failure(only, NOW, TH)
    assert item is not None and item.details["contact"] == "Ann" and item.details["colleague"] is None


def test_spof_no_interactions_is_not_concentration() -> None:
    assert single_point_of_failure(acc(window_touches=()), NOW, TH) is None


def test_spof_only_for_key_or_a() -> None:
    assert single_point_of_failure(acc(tier="secondary", grade="B", decision_makers=0), NOW, TH) is None
    assert single_point_of_failure(acc(tier="secondary", grade="A", decision_makers=0), NOW, TH) is not None


# -- check-up ----------------------------------------------------------------------------------------------


def test_checkup_boundary() -> None:
    assert checkup_due(acc(last_review=NOW - timedelta(days=90)), NOW, TH) is None
    item = checkup_due(acc(last_review=NOW - timedelta(days=90, seconds=1)), NOW, TH)
    assert item is not None and item.details["days_since_review"] == 90
    never = checkup_due(acc(last_review=None), NOW, TH)
    assert never is not None and never.details["days_since_review"] is None


def test_checkup_only_key_tier() -> None:
    assert checkup_due(acc(tier="secondary", grade="A", last_review=None), NOW, TH) is None


# -- sponsor ----------------------------------------------------------------------------------------------


def test_sponsor_rules() -> None:
    assert sponsor_missing(acc(grade="A"), TH) is None
    pm = sponsor_missing(acc(grade="A", sponsor_level="project_manager"), TH)
    assert pm is not None and pm.details["needed"] == "executive"
    assert sponsor_missing(acc(grade="A", sponsor_user_id=None, sponsor_level=None), TH) is not None
    assert sponsor_missing(acc(grade="B", sponsor_level="project_manager"), TH) is None
    assert sponsor_missing(acc(grade="B", sponsor_level=None), TH) is None  # any sponsor will do
    b_none = sponsor_missing(acc(grade="B", sponsor_user_id=None, sponsor_level=None), TH)
    assert b_none is not None and b_none.details["needed"] == "any"
    assert sponsor_missing(acc(grade="C", sponsor_user_id=None), TH) is None
    assert sponsor_missing(acc(tier="prospect", grade=None, sponsor_user_id=None), TH) is None


def test_sponsor_orders_a_before_b() -> None:
    b = acc(id=1, name="Bee", tier="secondary", grade="B", sponsor_user_id=None, annual_revenue=9e9)
    a = acc(id=2, name="Ay", grade="A", sponsor_user_id=None, annual_revenue=1.0)
    digest = build_digest("U1", NOW.date(), [b, a], NOW, TH)
    assert digest is not None and digest.names("sponsor_missing") == ["Ay", "Bee"]


# -- revenue drop ------------------------------------------------------------------------------------------


def test_revenue_drop_boundary() -> None:
    assert revenue_drop(acc(revenue_recent=75.0, revenue_prior=100.0), TH) is None
    item = revenue_drop(acc(revenue_recent=74.99, revenue_prior=100.0), TH)
    assert item is not None and item.details["change_percent"] == -25


def test_revenue_drop_needs_history_and_watched() -> None:
    assert revenue_drop(acc(revenue_recent=None, revenue_prior=None), TH) is None
    assert revenue_drop(acc(revenue_recent=10.0, revenue_prior=0.0), TH) is None
    nothing_recent = revenue_drop(acc(revenue_recent=None, revenue_prior=100.0), TH)
    assert nothing_recent is not None and nothing_recent.details["change_percent"] == -100
    assert revenue_drop(acc(tier="secondary", grade="B", revenue_recent=1.0, revenue_prior=100.0), TH) is None


# -- snoozes, caps ------------------------------------------------------------------------------------------


def test_snooze_hides_until_it_ends() -> None:
    neglected = acc(last_touch=None, last_review=None, decision_makers=0, sponsor_user_id=None)
    snoozed = neglected._replace(snoozed_until=NOW + timedelta(seconds=1))
    assert is_snoozed(snoozed, NOW)
    assert build_digest("U1", NOW.date(), [snoozed], NOW, TH) is None
    ended = neglected._replace(snoozed_until=NOW)
    assert not is_snoozed(ended, NOW)
    digest = build_digest("U1", NOW.date(), [ended], NOW, TH)
    assert digest is not None and len(digest.sections) == 4


def test_sections_capped_with_more_count() -> None:
    accounts = [acc(id=i, name=f"A{i:02d}", last_touch=NOW - timedelta(days=15 + i)) for i in range(13)]
    digest = build_digest("U1", NOW.date(), accounts, NOW, TH)
    assert digest is not None
    section = digest.sections[0]
    assert section.name == "stale" and len(section.items) == 10 and section.more == 3
    assert section.items[0].account == "A12"  # most overdue first
    facts = digest.to_facts()
    assert facts["sections"]["stale"]["more"] == 3 and len(facts["sections"]["stale"]["items"]) == 10
    exact = build_digest("U1", NOW.date(), accounts[:10], NOW, TH)
    assert exact is not None and exact.sections[0].more == 0


def test_section_order_is_fixed() -> None:
    bad = acc(last_touch=None, last_review=None, decision_makers=0, sponsor_user_id=None, revenue_recent=0.0)
    digest = build_digest("U1", NOW.date(), [bad], NOW, TH)
    assert digest is not None
    assert [s.name for s in digest.sections] == [
        "stale",
        "single_point_of_failure",
        "checkup_due",
        "sponsor_missing",
        "revenue_drop",
    ]


# -- weekly focus --------------------------------------------------------------------------------------------


def test_focus_picks_most_valuable_overdue_key_account() -> None:
    big_fresh = acc(id=1, name="Big fresh", annual_revenue=9e6)
    big_overdue = acc(id=2, name="Big overdue", annual_revenue=5e6, last_touch=NOW - timedelta(days=15))
    small_overdue = acc(id=3, name="Small overdue", annual_revenue=1e6, last_touch=None)
    secondary_a = acc(id=4, name="Secondary A", tier="secondary", annual_revenue=9e9, last_touch=None)
    focus = choose_focus([big_fresh, big_overdue, small_overdue, secondary_a], NOW, (), TH)
    assert focus is not None and focus.account == "Big overdue"
    again = choose_focus([big_fresh, big_overdue, small_overdue], NOW, {2}, TH)
    assert again is not None and again.account == "Small overdue"
    assert choose_focus([big_fresh, big_overdue], NOW, {2}, TH) is None
    snoozed = big_overdue._replace(snoozed_until=NOW + timedelta(days=1))
    assert choose_focus([snoozed], NOW, (), TH) is None


def test_focus_lookback_covers_three_previous_weeks() -> None:
    monday = date(2026, 11, 23)
    assert focus_lookback_start(monday) == date(2026, 11, 2)  # picks from 2 Nov on block; 26 Oct's do not


# -- tier change -------------------------------------------------------------------------------------------


def _assessment(tier: str, grade: str | None) -> Assessment:
    return Assessment(
        name="Acme",
        tier=tier,
        grade=grade,
        score=9,
        quadrant="key",  # type: ignore[arg-type]
        ratings={},
        reasons=[
            "tier key: top 25%",
            "revenue high: top 10%",
            "score 9 = revenue 6 + ...",
            "grade A: score 9 is at least 8",
        ],
        next_step="raise profitability to high -> A" if grade != "A" else None,
    )


def test_tier_change() -> None:
    assert tier_change(1, None, None, _assessment("key", "A")) is None  # first sight: record only
    assert tier_change(1, "key", "A", _assessment("key", "A")) is None
    up = tier_change(1, "secondary", "B", _assessment("key", "A"))
    assert up is not None and up.to_facts()["old_tier"] == "secondary" and up.new_grade == "A"
    assert up.reasons == ("tier key: top 25%", "score 9 = revenue 6 + ...", "grade A: score 9 is at least 8")
    grade_only = tier_change(1, "key", "A", _assessment("key", "B"))
    assert grade_only is not None and grade_only.old_grade == "A"
    assert grade_only.reasons == (
        "score 9 = revenue 6 + ...",
        "grade A: score 9 is at least 8",
        "next step: raise profitability to high -> A",
    )
    tier_only = tier_change(1, "secondary", "A", _assessment("key", "A"))
    assert tier_only is not None and tier_only.reasons == ("tier key: top 25%",)


def test_spof_colleague_is_never_the_owner() -> None:
    touches = (ContactTouches("Ann", 9, ("U1",)), ContactTouches("Bob", 1, ("U1",)))
    item = single_point_of_failure(acc(owner="U1", window_touches=touches), NOW, TH)
    assert item is not None and item.details["contact"] == "Ann" and item.details["colleague"] is None
    both = (ContactTouches("Ann", 9, ("U1",)), ContactTouches("Bob", 1, ("U1", "U7")))
    item = single_point_of_failure(acc(owner="U1", window_touches=both), NOW, TH)
    assert item is not None and item.details["colleague"] == "U7"
