"""build_digest evaluates most signals only for watched accounts (key tier or grade A): it relies on every
signal outside `_BEYOND_WATCHED` saying nothing for the others. Checked for random account states, and the
digest checked against a plain reference that evaluates every signal for every account (hypothesis)."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.signals import (
    _BEYOND_WATCHED,
    _SIGNALS,
    SECTIONS,
    AccountState,
    ContactTouches,
    build_digest,
    section_items,
)
from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds
from tests.conftest import NOW

OWNER = "U0OWNER01"
PEOPLE = [OWNER, "U0COLL001", "U0COLL002", "ann@example.com"]
CONTACTS = ["Ann", "Bob", "Cy", "Dee"]
SETTINGS = settings(
    max_examples=int(os.environ.get("SIGNAL_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Moments around the cadences and windows (14, 30, 90 days), to the second, in the past and (for snoozes)
# the future.
DAYS = st.one_of(
    st.sampled_from([0, 13, 14, 15, 29, 30, 31, 89, 90, 91, 400]),
    st.integers(min_value=0, max_value=500),
)
MOMENT = st.one_of(
    st.none(),
    st.builds(lambda d, s: NOW - timedelta(days=d, seconds=s), DAYS, st.sampled_from([0, 0, 1, 3600])),
)
SNOOZE = st.one_of(
    st.none(), st.none(), st.builds(lambda d: NOW + timedelta(days=d), st.sampled_from([-3, -1, 0, 1, 7]))
)
MONEY = st.one_of(
    st.none(),
    st.sampled_from([0.0, 74.0, 75.0, 76.0, 100.0, 1_000_000.0]),
    st.floats(min_value=0, max_value=1e7, allow_nan=False),
)
TOUCHES = st.lists(
    st.builds(
        ContactTouches,
        contact=st.sampled_from(CONTACTS),
        touches=st.integers(min_value=0, max_value=12),
        colleagues=st.lists(st.sampled_from(PEOPLE), max_size=3, unique=True).map(tuple),
    ),
    max_size=4,
    unique_by=lambda t: t.contact,
).map(tuple)


def states(tiers: list[str], grades: list[str | None]) -> st.SearchStrategy[dict[str, Any]]:
    """The fields of an AccountState (all but id and name) for the given tiers and grades."""
    return st.fixed_dictionaries(
        {
            "tier": st.sampled_from(tiers),
            "grade": st.sampled_from(grades),
            "owner": st.sampled_from([OWNER, None]),
            "annual_revenue": MONEY,
            "sponsor_user_id": st.sampled_from([None, "U0SPONSOR", ""]),
            "sponsor_level": st.sampled_from([None, "executive", "project_manager"]),
            "last_touch": MOMENT,
            "last_review": MOMENT,
            "decision_makers": st.integers(min_value=0, max_value=4),
            "sole_decision_maker": st.sampled_from([None, "Ann", "Zed"]),
            "window_touches": TOUCHES,
            "revenue_recent": MONEY,
            "revenue_prior": MONEY,
            "snoozed_until": SNOOZE,
        }
    )


UNWATCHED = states(["secondary", "prospect"], ["B", "C", None])
# Key tier with any grade, or grade A in any tier.
WATCHED = st.one_of(states(["key"], ["A", "B", "C", None]), states(["secondary", "prospect"], ["A"]))


@st.composite
def thresholds(draw: st.DrawFn) -> Thresholds:
    """The defaults, or other cadences, windows and limits (small limits make capping common)."""
    if draw(st.booleans()):
        return DEFAULT_THRESHOLDS
    return Thresholds(
        cadence_a_days=draw(st.sampled_from([7, 14, 30])),
        cadence_b_days=draw(st.sampled_from([14, 30, 60])),
        cadence_c_days=draw(st.sampled_from([60, 90, 180])),
        cadence_key_max_days=draw(st.sampled_from([14, 30, 365])),
        checkup_days=draw(st.sampled_from([30, 90])),
        spof_min_decision_makers=draw(st.integers(min_value=0, max_value=3)),
        spof_concentration_percent=draw(st.sampled_from([50, 80, 100])),
        revenue_drop_percent=draw(st.sampled_from([50, 75, 100])),
        digest_section_limit=draw(st.integers(min_value=1, max_value=4)),
    )


def test_the_shortcut_names_real_sections() -> None:
    assert _BEYOND_WATCHED == {"sponsor_missing"}
    assert _BEYOND_WATCHED < set(SECTIONS)
    # the one it names does fire beyond the watched accounts: a B account without a sponsor
    b = AccountState(1, "Bee", "secondary", "B")
    assert set(section_items(b, NOW)) == {"sponsor_missing"}


@SETTINGS
@given(fields=UNWATCHED, th=thresholds(), now_offset=st.integers(min_value=0, max_value=86_399))
def test_signals_outside_the_shortcut_never_fire_for_unwatched_accounts(
    fields: dict[str, Any], th: Thresholds, now_offset: int
) -> None:
    a = AccountState(7, "Unwatched Co", **fields)
    now = NOW + timedelta(seconds=now_offset)
    assert not a.watched
    for name, signal in _SIGNALS:
        if name not in _BEYOND_WATCHED:
            assert signal(a, now, th) is None, name
    assert set(section_items(a, now, th)) <= _BEYOND_WATCHED


def reference_facts(
    accounts: list[AccountState], now: datetime, th: Thresholds, owner: str, day: date
) -> dict[str, Any] | None:
    """Every signal for every account, then each section sorted by urgency and capped by hand."""
    found: dict[str, list[Any]] = {name: [] for name in SECTIONS}
    for a in accounts:
        for name, item in section_items(a, now, th).items():
            found[name].append(item)
    sections = {}
    for name in SECTIONS:
        items = sorted(found[name], key=lambda item: item.urgency)
        if items:
            kept = items[: th.digest_section_limit]
            sections[name] = {
                "items": [{"account_id": i.account_id, "account": i.account, **i.details} for i in kept],
                "more": len(items) - len(kept),
            }
    if not sections:
        return None
    return {"owner": owner, "date": day.isoformat(), "sections": sections}


@st.composite
def portfolios(draw: st.DrawFn) -> list[AccountState]:
    """A random mix of watched and unwatched accounts, with distinct names (so urgency orders them fully)."""
    fields = draw(st.lists(st.one_of(WATCHED, UNWATCHED), max_size=14))
    return [AccountState(i + 1, f"Account {i:02d}", **f) for i, f in enumerate(fields)]


@SETTINGS
@given(accounts=portfolios(), th=thresholds())
def test_the_digest_equals_every_signal_for_every_account_sorted_and_capped(
    accounts: list[AccountState], th: Thresholds
) -> None:
    day = NOW.date()
    digest = build_digest(OWNER, day, accounts, NOW, th)
    expected = reference_facts(accounts, NOW, th, OWNER, day)
    if expected is None:
        assert digest is None
        return
    assert digest is not None
    facts = digest.to_facts()
    assert facts == expected
    assert list(facts["sections"]) == [name for name in SECTIONS if name in expected["sections"]]
    for section in digest.sections:
        assert 0 < len(section.items) <= th.digest_section_limit
        assert [i.to_facts() for i in section.items] == [
            {"account_id": i.account_id, "account": i.account, **i.details} for i in section.items
        ]
