"""accounts.charts: quadrant coordinates, cut lines, bubble sizes, labels, concentration shares and headline."""

from __future__ import annotations

import json
import math
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.charts import (
    MAX_AREA,
    MIN_AREA,
    ChartAccount,
    ConcentrationChart,
    QuadrantChart,
    concentration_chart,
    format_pct,
    quadrant_chart,
)
from accounts.quadrant import quadrant, rate_engagement, rate_potential
from accounts.thresholds import Thresholds

TH = Thresholds()
EXAMPLES = int(os.environ.get("GRADING_EXAMPLES", "300"))


def acc(
    name: str,
    *,
    pairs: int = 0,
    share: float | None = None,
    engagement: str | None = None,
    potential: str | None = None,
    fit: str | None = None,
    revenue: float | None = None,
    tier: str = "secondary",
    grade: str | None = "B",
    th: Thresholds = TH,
) -> ChartAccount:
    """A ChartAccount whose quadrant comes from the real rules (accounts.quadrant), not from the chart code."""
    eng, _ = rate_engagement(engagement, pairs, th)
    pot, _ = rate_potential(potential, share, fit, th)
    quad, _ = quadrant(eng, pot)
    return ChartAccount(
        name=name, tier=tier, grade=grade, annual_revenue=revenue, engagement_pairs=pairs, engagement=engagement,
        potential=potential, wallet_share=share, prospect_fit=fit, quadrant=quad,
    )  # fmt: skip


def roundtrip(chart: QuadrantChart) -> QuadrantChart:
    return QuadrantChart.from_facts(json.loads(json.dumps(chart.to_facts())))


# --- quadrant chart -------------------------------------------------------------------------------------


def test_cut_lines_follow_the_thresholds() -> None:
    chart = quadrant_chart([], Thresholds(engagement_pairs_high=4, wallet_share_medium_from=40.0))
    assert (chart.x_cut, chart.y_cut, chart.x_min, chart.x_max, chart.y_min) == (60.0, 4.0, 0.0, 100.0, 0.0)
    assert chart.y_max >= 5 and chart.points == []


def test_measured_coordinates_are_headroom_and_pairs() -> None:
    chart = quadrant_chart([acc("Acme", pairs=5, share=30.0), acc("Globex", pairs=1, share=80.0)], TH)
    acme, globex = chart.points
    assert acme.x == 70.0 and math.floor(acme.y) == 5 and 5.15 <= acme.y <= 5.85
    assert globex.x == 20.0 and math.floor(globex.y) == 1
    assert (acme.quadrant, globex.quadrant) == ("key", "service")
    assert not acme.estimated and not globex.estimated
    assert chart.y_max >= 6  # the top band fits


@pytest.mark.parametrize(
    ("kw", "quad"),
    [
        ({"pairs": 3, "share": 50.0}, "maintenance"),  # share on the medium line: potential low
        ({"pairs": 2, "share": 49.99}, "growth"),  # one pair short of the cut, share just below it
        ({"pairs": 3, "share": 49.999}, "key"),  # 100 - share rounds to the cut: nudged right
    ],
)
def test_boundaries_land_on_the_right_side(kw: dict, quad: str) -> None:
    a = acc("Edge", **kw)
    assert a.quadrant == quad
    (p,) = quadrant_chart([a], TH).points
    assert quadrant_chart([a], TH).quadrant_at(p.x, p.y) == quad
    if quad == "key":
        assert p.x == 50.01 and not p.estimated


def test_explicit_ratings_and_fit_place_the_point_in_the_middle_of_the_rated_half() -> None:
    accounts = [
        acc("Overridden", pairs=6, share=90.0, engagement="low", potential="high"),  # both disagree
        acc("Medium is low", pairs=0, share=20.0, potential="medium"),  # explicit medium counts as low
        acc("Ideal", pairs=0, share=None, fit="ideal", tier="prospect", grade=None),  # fit, no share
        acc("Unknown share", pairs=4),
        acc("Agreeing", pairs=5, share=10.0, engagement="high", potential="high"),
    ]
    chart = quadrant_chart(accounts, TH)
    over, medium, ideal, unknown, agreeing = chart.points
    assert over.quadrant == "growth" and over.estimated
    assert 0 + 3 * 0.25 <= over.y <= 3 * 0.75 and 50 + 50 * 0.25 <= over.x <= 50 + 50 * 0.75
    assert medium.quadrant == "service" and 12.5 <= medium.x <= 37.5 and math.floor(medium.y) == 0
    assert ideal.quadrant == "growth" and 62.5 <= ideal.x <= 87.5
    assert unknown.quadrant == "maintenance" and 12.5 <= unknown.x <= 37.5 and math.floor(unknown.y) == 4
    assert (agreeing.x, math.floor(agreeing.y), agreeing.estimated) == (90.0, 5, False)
    for p in chart.points:
        assert chart.quadrant_at(p.x, p.y) == p.quadrant


def test_jitter_is_deterministic_and_separates_equal_accounts() -> None:
    many = [acc(f"Client {i}", pairs=0, share=None) for i in range(50)]
    first, again = quadrant_chart(many, TH), quadrant_chart(many, TH)
    assert first == again
    assert len({(p.x, p.y) for p in first.points}) == 50


def test_bubble_area_is_proportional_to_revenue_with_a_floor() -> None:
    chart = quadrant_chart(
        [acc("Big", revenue=1_000_000), acc("Half", revenue=500_000), acc("Tiny", revenue=1), acc("None")], TH
    )
    big, half, tiny, none = chart.points
    assert big.area == MAX_AREA and half.area == pytest.approx(MAX_AREA / 2, abs=0.1)
    assert tiny.area == MIN_AREA and none.area == MIN_AREA
    only_zero = quadrant_chart([acc("Zero", revenue=0.0)], TH)
    assert only_zero.points[0].area == MIN_AREA


def test_the_largest_accounts_are_labelled() -> None:
    accounts = [acc(f"A{i:02d}", revenue=float(i)) for i in range(1, 21)] + [acc("Nothing")]
    chart = quadrant_chart(accounts, TH, label_top=3)
    assert sorted(p.name for p in chart.points if p.labelled) == ["A18", "A19", "A20"]
    assert not any(p.labelled for p in quadrant_chart(accounts, TH, label_top=0).points)
    assert sum(p.labelled for p in quadrant_chart(accounts[:2], TH).points) == 2


def test_an_unknown_quadrant_is_refused() -> None:
    bad = ChartAccount("X", "secondary", "C", None, 0, None, None, None, None, "top")
    with pytest.raises(ValueError, match="not a quadrant"):
        quadrant_chart([bad], TH)


def test_facts_round_trip_and_stay_compact() -> None:
    accounts = [
        acc(f"Account {i:05d}", pairs=i % 7, share=(i * 7.3) % 100, revenue=i * 1234.567, grade="ABC"[i % 3])
        for i in range(10_000)
    ]
    chart = quadrant_chart(accounts, TH)
    facts = chart.to_facts()
    text = json.dumps(facts)
    assert roundtrip(chart) == chart
    assert len(text) < 120 * 10_000  # well under the dataclass repr; ~100 bytes per point
    assert isinstance(facts["x"], list) and len(facts["x"]) == 10_000


levels = st.sampled_from([None, "high", "medium", "low", "H", " Medium ", "l"])
names = st.text(min_size=1, max_size=12)


@st.composite
def thresholds(draw: st.DrawFn) -> Thresholds:
    # Medium lines to a thousandth: a line finer than the float resolution of 100 - share cannot be drawn.
    line = st.one_of(
        st.sampled_from([0.0, 50.0, 100.0, 33.333]), st.floats(0, 100).map(lambda v: round(v, 3))
    )
    return Thresholds(engagement_pairs_high=draw(st.integers(1, 8)), wallet_share_medium_from=draw(line))


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    th=thresholds(),
    rows=st.lists(
        st.tuples(
            names,
            st.integers(0, 12),
            st.one_of(st.none(), st.floats(0, 100), st.sampled_from([49.999, 50.0, 50.001, 0.0, 100.0])),
            levels,
            levels,
            st.sampled_from([None, "ideal", "lead", " IDEAL "]),
            st.one_of(st.none(), st.floats(-10, 1e9)),
        ),
        max_size=30,
        unique_by=lambda r: r[0],
    ),
)
def test_every_point_lands_in_its_assessments_quadrant(th: Thresholds, rows: list[tuple]) -> None:
    accounts = [
        acc(n, pairs=p, share=s, engagement=e, potential=pot, fit=f, revenue=r, th=th)
        for n, p, s, e, pot, f, r in rows
    ]
    chart = quadrant_chart(accounts, th)
    for shown in (chart, roundtrip(chart)):
        for a, p in zip(accounts, shown.points, strict=True):
            assert shown.quadrant_at(p.x, p.y) == a.quadrant, (a, p)
            assert shown.x_min <= p.x <= shown.x_max and shown.y_min <= p.y <= shown.y_max
            assert MIN_AREA <= p.area <= MAX_AREA
    for a, p in zip(accounts, chart.points, strict=True):
        # Without an explicit engagement rating the vertical position is the measure itself.
        if a.engagement is None or not a.engagement.strip():
            assert math.floor(p.y) == a.engagement_pairs
        # Without an explicit potential and with a share that alone decides it, x is the headroom.
        if (
            (a.potential is None)
            and a.wallet_share is not None
            and (a.prospect_fit or "").strip().lower() != "ideal"
        ):
            assert abs(p.x - (100 - a.wallet_share)) <= 0.011


# --- concentration --------------------------------------------------------------------------------------


def test_concentration_headline_is_exact() -> None:
    chart = concentration_chart([10, 70, 10, 10], key_count=1)
    assert chart.cumulative_share == [70.0, 80.0, 90.0, 100.0]
    assert (chart.n, chart.total_revenue, chart.key_share) == (4, 100.0, 70.0)
    assert chart.headline == "top 25% of clients = 70% of revenue"


def test_missing_revenue_counts_as_zero_and_ranks_last() -> None:
    chart = concentration_chart([None, 30.0, -5.0, 90.0], key_count=2)
    assert chart.n == 4 and chart.total_revenue == 120.0
    assert chart.cumulative_share == [75.0, 100.0, 100.0, 100.0]
    assert chart.headline == "top 50% of clients = 100% of revenue"


def test_concentration_edge_cases() -> None:
    empty = concentration_chart([], key_count=0)
    assert (empty.n, empty.cumulative_share, empty.headline) == (0, [], "no clients yet")
    single = concentration_chart([5.0], key_count=1)
    assert (
        single.cumulative_share == [100.0]
        and single.headline == "the only client is key tier, with 100% of revenue"
    )
    same = concentration_chart([7.0] * 5, key_count=5)  # equal revenue: all share the top rank
    assert same.headline == "all 5 clients are key tier, with 100% of revenue"
    zeros = concentration_chart([0.0, None, 0.0], key_count=0)
    assert zeros.cumulative_share == [0.0, 0.0, 0.0] and zeros.key_share == 0.0
    assert zeros.headline == "no revenue recorded yet for 3 clients"
    no_key = concentration_chart([60.0, 40.0], key_count=0)
    assert no_key.headline == "no key-tier clients yet; the top client = 60% of revenue"
    clamped = concentration_chart([1.0, 1.0], key_count=9)
    assert clamped.key_count == 2 and clamped.key_share == 100.0


def test_headline_rounding_near_the_ends() -> None:
    assert format_pct(99.6) == "99.6%" and format_pct(0.4) == "0.4%" and format_pct(77.6) == "78%"
    # Never "100%" for less than everything, never "0%" for more than nothing.
    assert format_pct(99.96) == "99.9%" and format_pct(99.999) == "99.9%" and format_pct(100.0) == "100%"
    assert format_pct(0.04) == "0.1%" and format_pct(0.0001) == "0.1%" and format_pct(0.0) == "0%"
    chart = concentration_chart([996.0] + [1.0] * 4 + [0.0] * 295, key_count=1)
    assert chart.headline == "top 0.3% of clients = 99.6% of revenue"


def test_concentration_facts_round_trip() -> None:
    chart = concentration_chart([float(i) for i in range(2_000)], key_count=500)
    back = ConcentrationChart.from_facts(json.loads(json.dumps(chart.to_facts())))
    assert back == chart and back.headline == chart.headline and back.ranks is None
    chart = concentration_chart([float(i) for i in range(10_000)], key_count=2_500)
    back = ConcentrationChart.from_facts(json.loads(json.dumps(chart.to_facts())))  # thinned: see below
    assert back.headline == chart.headline and back.share_at(2_500) == chart.share_at(2_500)
    assert chart.cumulative_share == sorted(chart.cumulative_share) and chart.cumulative_share[-1] == 100.0
    with pytest.raises(ValueError):
        ConcentrationChart.from_facts({**chart.to_facts(), "n": 3})


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(-100, 1e12)), max_size=60), st.integers(-2, 70))
def test_concentration_shares_are_monotonic_and_match_the_key_cut(revenues: list, key_count: int) -> None:
    chart = concentration_chart(revenues, key_count)
    assert chart.n == len(revenues) and 0 <= chart.key_count <= chart.n
    shares = chart.cumulative_share
    assert all(a <= b for a, b in zip(shares, shares[1:], strict=False))
    if chart.total_revenue > 0:
        assert shares[-1] == 100.0 and 0 < shares[0] <= 100.0
        if chart.key_count:
            assert abs(chart.key_share - shares[chart.key_count - 1]) <= 0.01
    else:
        assert set(shares) <= {0.0}


# --- review: hostile numbers, large workspaces ----------------------------------------------------------


def test_non_finite_revenue_is_unknown_and_the_facts_stay_strict_json() -> None:
    accounts = [
        acc("NaN Ltd", pairs=1, share=float("nan"), revenue=float("nan")),
        acc("Inf Ltd", pairs=4, share=20.0, revenue=float("inf")),
        acc("Minus Inf Ltd", pairs=2, share=-20.0, revenue=float("-inf")),
        acc("Real Ltd", pairs=5, share=10.0, revenue=500.0),
    ]
    chart = quadrant_chart(accounts, TH)
    assert [p.revenue for p in chart.points] == [None, None, None, 500.0]
    text = json.dumps(chart.to_facts(), allow_nan=False)  # PostgreSQL's json refuses NaN and Infinity
    assert roundtrip(chart) == chart and "null" in text
    assert [p.area for p in chart.points] == [MIN_AREA, MIN_AREA, MIN_AREA, MAX_AREA]


def test_drawn_points_are_capped_to_the_largest_accounts_and_counts_cover_all() -> None:
    accounts = [
        acc(
            f"Account {i:05d}", pairs=i % 7, share=(i * 7.3) % 100, revenue=float(i % 997), grade="ABC"[i % 3]
        )
        for i in range(5_000)
    ]
    full = quadrant_chart(accounts, TH)
    capped = quadrant_chart(accounts, TH, max_points=300)
    assert len(capped.points) == 300 and capped.total == 5_000 and capped.capped
    assert capped.counts() == full.counts() and sum(capped.counts().values()) == 5_000
    biggest = sorted(full.points, key=lambda p: (-(p.revenue or 0.0), p.name))[:300]
    assert {p.name for p in capped.points} == {p.name for p in biggest}
    assert [p.name for p in capped.points if p.labelled] == [p.name for p in full.points if p.labelled]
    again = roundtrip(capped)
    assert again == capped and again.counts() == full.counts() and again.total == 5_000
    assert not full.capped and full.total == 5_000
    assert not quadrant_chart(accounts[:300], TH, max_points=300).capped


def test_a_long_concentration_curve_is_thinned_in_the_facts_keeping_the_marked_ranks() -> None:
    n = 100_000
    chart = concentration_chart([float((i * 7919) % 100_003) for i in range(n)], key_count=25_000)
    text = json.dumps(chart.to_facts())
    assert len(text) < 100_000  # not 100,000 shares (~800 KB) in every admin's report
    back = ConcentrationChart.from_facts(json.loads(text))
    assert back.n == n and back.headline == chart.headline and back.key_share == chart.key_share
    for rank in (1, 2_000, 10_000, 25_000, 50_000, n):
        assert back.share_at(rank) == chart.share_at(rank) == chart.cumulative_share[rank - 1]
    ranks = back.points()[0]
    assert len(ranks) <= 2_100 and ranks == sorted(set(ranks))
    small = concentration_chart([3.0, 2.0, 1.0], key_count=1)
    assert ConcentrationChart.from_facts(small.to_facts()) == small
