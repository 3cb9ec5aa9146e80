"""accounts.outcomes: followed / ignored / pending, median days to a touch, ignored longest, weekly rates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from accounts.outcomes import (
    NudgeRecord,
    by_owner,
    by_reason,
    ignored_longest,
    median,
    outcome,
    outcomes_by,
    share,
    status,
    weekly_rates,
)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday
DAY = timedelta(days=1)


def rec(
    sent_days_ago: float,
    touched_after_days: float | None = None,
    *,
    account: str = "Acme",
    account_id: int = 1,
    owner: str = "U1",
    reason: str = "stale",
) -> NudgeRecord:
    sent = NOW - sent_days_ago * DAY
    touched = None if touched_after_days is None else sent + touched_after_days * DAY
    return NudgeRecord(account_id, account, owner, reason, sent, touched)


def test_status_within_seven_days_by_default() -> None:
    assert status(rec(10, 7), NOW) == "followed"  # exactly 7 days later still counts
    assert status(rec(10, 7.01), NOW) == "ignored"  # a late touch is not a follow-up
    assert status(rec(10), NOW) == "ignored"
    assert status(rec(3), NOW) == "pending"  # the window is still open
    assert status(rec(3, 1), NOW) == "followed"
    assert status(rec(3), NOW, within_days=2) == "ignored"


def test_median_and_share() -> None:
    assert median([]) is None
    assert median([3.0]) == 3.0
    assert median([4.0, 1.0, 2.0]) == 2.0
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5
    assert share(1, 4) == 0.25
    assert share(0, 0) is None


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50))
def test_median_splits_the_values(values: list[float]) -> None:
    m = median(values)
    assert m is not None
    assert sum(v < m for v in values) <= len(values) / 2
    assert sum(v > m for v in values) <= len(values) / 2


def test_outcome_counts_the_decided_only_in_the_share() -> None:
    records = [rec(20, 1), rec(20, 3), rec(20), rec(2)]  # followed, followed, ignored, pending
    o = outcome("U1", records, NOW)
    assert (o.sent, o.followed, o.ignored, o.pending, o.decided) == (4, 2, 1, 1, 3)
    assert o.share_followed == 2 / 3
    assert o.median_days == 2.0
    data = o.to_json()
    assert data["share_followed"] == 0.6667 and data["median_days_to_touch"] == 2.0


def test_ignored_longest_is_per_account_since_the_first_unanswered_nudge() -> None:
    records = [
        rec(30, 2, account="Answered", account_id=1),  # a touch followed: not ignored
        rec(20, account="Beta", account_id=2),
        rec(19, account="Beta", account_id=2),
        rec(25, 9, account="Cora", account_id=3),  # answered late (a touch came, after the window)
        rec(10, account="Cora", account_id=3),
        rec(12, account="Dune", account_id=4),
    ]
    longest = ignored_longest(records, NOW)
    assert [(i.account, i.days, i.nudges) for i in longest] == [
        ("Beta", 20, 2),
        ("Dune", 12, 1),
        ("Cora", 10, 1),
    ]
    assert len(ignored_longest(records, NOW, limit=1)) == 1


def test_outcomes_per_owner_and_per_reason() -> None:
    records = [
        rec(20, 1, owner="U1", reason="stale"),
        rec(20, owner="U1", reason="checkup_due"),
        rec(20, 2, owner="U2", reason="stale", account="Beta", account_id=2),
    ]
    owners = outcomes_by(records, by_owner, NOW)
    assert [(o.key, o.sent, o.followed) for o in owners] == [("U1", 2, 1), ("U2", 1, 1)]
    reasons = {o.key: o for o in outcomes_by(records, by_reason, NOW)}
    assert reasons["stale"].share_followed == 1.0 and reasons["stale"].median_days == 1.5
    assert reasons["checkup_due"].share_followed == 0.0
    assert [i.account for i in reasons["checkup_due"].ignored_longest] == ["Acme"]


def test_weekly_rates_by_week_of_sending_with_empty_weeks() -> None:
    records = [
        rec(29, 1),  # Mon 2026-10-26 (W44): followed
        rec(28),  # Tue W44: ignored
        rec(8, 1),  # Mon 2026-11-16 (W47): followed
        rec(1),  # Mon 2026-11-23 (W48): pending
    ]
    weeks = weekly_rates(records, NOW)
    assert [w.week for w in weeks] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert weeks[0].monday == date(2026, 10, 26)
    assert [(w.sent, w.followed, w.decided) for w in weeks] == [
        (2, 1, 2),
        (0, 0, 0),
        (0, 0, 0),
        (1, 1, 1),
        (1, 0, 0),
    ]
    assert [w.rate for w in weeks] == [0.5, None, None, 1.0, None]
    assert weekly_rates([], NOW) == []
