"""Every boundary of issue 2 section 3, with the reasons and the next step."""

from __future__ import annotations

import pytest

from accounts.grading import PortfolioGrader, assess_portfolio, parse_level
from accounts.model import AccountFacts, Assessment
from accounts.ratings import ceil_percent
from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds


def clients(revenues: list[float | None]) -> list[AccountFacts]:
    return [AccountFacts(name=f"c{i}", annual_revenue=r, id=i) for i, r in enumerate(revenues)]


def one(**kw: object) -> Assessment:
    """Grade one client alone (N = 1, so revenue is high unless missing)."""
    kw.setdefault("name", "Acme")
    return assess_portfolio([AccountFacts(**kw)])[0]  # type: ignore[arg-type]


def low_revenue(**kw: object) -> Assessment:
    """Grade one client whose revenue is low: it sits below 9 bigger clients (N = 10)."""
    bigger = [AccountFacts(name=f"big{i}", annual_revenue=1_000_000 + i) for i in range(9)]
    target = AccountFacts(name="Acme", annual_revenue=kw.pop("annual_revenue", 1_000), **kw)  # type: ignore[arg-type]
    return assess_portfolio([*bigger, target])[-1]


def why(a: Assessment, prefix: str) -> str:
    found = [r for r in a.reasons if r.startswith(prefix)]
    assert len(found) == 1, (prefix, a.reasons)
    return found[0]


# ---- parse_level -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("High", "high"),
        ("h", "high"),
        (" MEDIUM ", "medium"),
        ("m", "medium"),
        ("L", "low"),
        ("low", "low"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_level_accepts_words_and_letters(raw: str | None, expected: str | None) -> None:
    assert parse_level(raw) == expected


@pytest.mark.parametrize("raw", ["hi", "5", "very high", "mediums", "x"])
def test_parse_level_rejects_with_a_readable_message(raw: str) -> None:
    with pytest.raises(ValueError, match=r"is not a rating: use high, medium or low") as err:
        parse_level(raw)
    assert repr(raw.strip()) in str(err.value)


@pytest.mark.parametrize(
    "field", ["strategic_value", "pain_factor", "profitability", "engagement", "potential"]
)
def test_a_malformed_stored_rating_names_the_account_and_the_field(field: str) -> None:
    facts = [AccountFacts(name="Fine", annual_revenue=1.0), AccountFacts(name="Acme", **{field: "huge"})]
    expected = (
        f"account 'Acme': {field}: 'huge' is not a rating: use high, medium or low (or H, M, L, in any case)"
    )
    with pytest.raises(ValueError) as err:
        assess_portfolio(facts)
    assert str(err.value) == expected
    with pytest.raises(ValueError) as err:
        PortfolioGrader(facts, DEFAULT_THRESHOLDS).assess(facts[1])
    assert str(err.value) == expected


# ---- population, ceilings, tier and revenue rating ---------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "n", "expected"),
    [(10, 30, 3), (20, 30, 6), (25, 30, 8), (10, 1, 1), (25, 1, 1), (10, 0, 0), (10, 31, 4), (25, 4, 1)],
)
def test_ceilings_are_integer(percent: int, n: int, expected: int) -> None:
    assert ceil_percent(percent, n) == expected


def test_thirty_clients_split_3_high_3_medium_24_low_and_8_key() -> None:
    result = assess_portfolio(clients([float(1000 * (i + 1)) for i in range(30)]))
    by_rank = sorted(result, key=lambda a: -(a.id or 0))  # biggest first
    assert [a.ratings["revenue"] for a in by_rank] == ["high"] * 3 + ["medium"] * 3 + ["low"] * 24
    assert [a.tier for a in by_rank] == ["key"] * 8 + ["secondary"] * 22
    assert "2 of 30 clients earn more" in why(by_rank[2], "revenue high")
    assert why(by_rank[2], "revenue high") == (
        "revenue high: 28,000 a year, 2 of 30 clients earn more; high is the top 10% (3 place(s))"
    )
    assert why(by_rank[3], "revenue medium").endswith("medium is the top 20% (6 place(s))")
    assert why(by_rank[6], "revenue low").endswith("medium needs the top 20% (6 place(s))")
    assert (
        why(by_rank[7], "tier key")
        == "tier key: 7 of 30 clients earn more; the key tier is the top 25% (8 place(s))"
    )
    assert why(by_rank[8], "tier secondary").startswith("tier secondary: 8 of 30 clients earn more;")


def test_single_client_is_key_and_high() -> None:
    a = one(annual_revenue=5.0)
    assert (a.tier, a.ratings["revenue"]) == ("key", "high")


def test_no_population_every_client_without_revenue_is_secondary_low() -> None:
    result = assess_portfolio(clients([None, None]))
    assert [(a.tier, a.ratings["revenue"]) for a in result] == [("secondary", "low")] * 2
    assert "no annual revenue recorded" in why(result[0], "revenue low")


def test_zero_revenue_counts_as_no_revenue_and_does_not_grow_the_population() -> None:
    # N = 10: 10% is 1 place (high), 20% is 2 places (medium). Counting the zero, N = 11 would make
    # that 2 and 3 places, and the ratings below high, high, medium.
    result = assess_portfolio(clients([float(100 - i) for i in range(10)] + [0.0]))
    assert [a.ratings["revenue"] for a in result[:3]] == ["high", "medium", "low"]
    zero = result[-1]
    assert (zero.tier, zero.ratings["revenue"]) == ("secondary", "low")
    assert "not above 0" in why(zero, "revenue low")


def test_ties_across_a_boundary_share_the_better_rating() -> None:
    # N = 30, 3 high places; ranks 3, 4 and 5 tie, so all three are high (2 clients earn more).
    revenues = [500.0, 400.0, 300.0, 300.0, 300.0] + [float(i) for i in range(25, 0, -1)]
    result = assess_portfolio(clients(revenues))
    assert [a.ratings["revenue"] for a in result[:6]] == ["high"] * 5 + ["medium"]
    # the key-tier cut (8 places) is tied too: 7 earn more than both of these, so both are key
    tied = assess_portfolio(
        clients([float(100 - i) for i in range(7)] + [50.0, 50.0] + [float(i) for i in range(21, 0, -1)])
    )
    assert [a.tier for a in tied[6:10]] == ["key", "key", "key", "secondary"]


def test_prospects_are_not_counted_in_the_population() -> None:
    facts = [AccountFacts(name="p", stage="prospect", annual_revenue=10**9)] + clients([10.0, 9.0])
    result = assess_portfolio(facts)
    assert result[1].ratings["revenue"] == "high"  # the prospect's billion does not rank above it
    assert result[2].ratings["revenue"] == "low"  # N = 2: 10% and 20% are both 1 place
    assert result[0].ratings["revenue"] == "high"  # as it would rank among the clients


# ---- wallet share, profitability, judgement ratings -------------------------------------------------


@pytest.mark.parametrize(
    ("share", "level", "points"),
    [
        (100.0, "high", 0),
        (75.0001, "high", 0),
        (75.0, "medium", 1),
        (50.0, "medium", 1),
        (49.9999, "low", 2),
        (0.0, "low", 2),
        (None, None, 1),
    ],
)
def test_wallet_share_boundaries(share: float | None, level: str | None, points: int) -> None:
    a = one(annual_revenue=1.0, wallet_share=share, profit_margin=30.0)
    assert a.ratings["wallet_share"] == level
    assert a.score == 6 + 2 + points


def test_unknown_wallet_share_is_scored_medium_and_the_reasons_say_so() -> None:
    a = one(annual_revenue=1.0)
    assert why(a, "wallet share unknown") == "wallet share unknown: no figure recorded, scored as medium"
    assert "wallet-share upside 1" in why(a, "score")


@pytest.mark.parametrize(
    ("margin", "level", "laggard"),
    [
        (40.0, "high", False),
        (25.0, "high", False),
        (24.999, "medium", False),
        (10.0, "medium", False),
        (9.999, "low", False),
        (0.0, "low", False),
        (-0.01, "low", True),
        (-50.0, "low", True),
    ],
)
def test_margin_boundaries_and_laggard(margin: float, level: str, laggard: bool) -> None:
    a = one(annual_revenue=1.0, profit_margin=margin)
    assert a.ratings["profitability"] == level
    assert ("laggard" in a.flags) is laggard
    if laggard:
        assert a.grade == "C"
        assert "negative, flagged laggard" in why(a, "profitability low")


def test_minus_zero_margin_reads_as_zero_whatever_comes_first() -> None:
    result = assess_portfolio(
        [AccountFacts(name="a", profit_margin=0.0), AccountFacts(name="b", profit_margin=-0.0)]
    )
    flipped = assess_portfolio(
        [AccountFacts(name="b", profit_margin=-0.0), AccountFacts(name="a", profit_margin=0.0)]
    )
    assert (
        why(result[1], "profitability")
        == why(flipped[0], "profitability")
        == ("profitability low: margin 0% is below 10%")
    )


def test_explicit_profitability_wins_over_the_margin() -> None:
    a = one(annual_revenue=1.0, profit_margin=-20.0, profitability="High")
    assert a.ratings["profitability"] == "high"
    assert a.flags == []
    assert "set explicitly" in why(a, "profitability high")


def test_unknown_profitability_is_none_and_scored_medium() -> None:
    a = one(annual_revenue=1.0, wallet_share=80.0)
    assert a.ratings["profitability"] is None
    assert a.score == 6 + 1 + 0
    assert "scored as medium" in why(a, "profitability unknown")


def test_strategic_value_and_pain_default_low() -> None:
    a = one(annual_revenue=1.0)
    assert (a.ratings["strategic_value"], a.ratings["pain_factor"]) == ("low", "low")
    assert why(a, "strategic value low") == "strategic value low: not set, low by default"
    assert why(a, "pain factor low") == "pain factor low: not set, low by default"


# ---- score and grade ---------------------------------------------------------------------------------


def test_score_adds_the_points_and_explains_them() -> None:
    a = low_revenue(wallet_share=60.0, profit_margin=30.0, strategic_value="high", pain_factor="medium")
    assert a.score == 2 + 2 + 1 + 2 - 1
    assert why(a, "score") == (
        "score 6 = revenue 2 + profitability 2 + wallet-share upside 1 + strategic value 2 - pain 1"
    )


@pytest.mark.parametrize(
    ("kw", "score", "grade"),
    [
        ({"wallet_share": 10.0, "profit_margin": 30.0, "strategic_value": "high"}, 12, "A"),
        ({"wallet_share": 60.0, "profit_margin": 15.0}, 8, "A"),  # 6 + 1 + 1
        ({"wallet_share": 90.0, "profit_margin": 15.0}, 7, "B"),  # 6 + 1 + 0
        ({"wallet_share": 90.0, "profit_margin": 5.0, "pain_factor": "medium"}, 5, "B"),  # 6 - 1
        ({"wallet_share": 90.0, "profit_margin": 5.0, "pain_factor": "high"}, 4, "C"),  # 6 - 2 (shed too)
    ],
)
def test_grade_cut_offs(kw: dict, score: int, grade: str) -> None:
    a = one(annual_revenue=1.0, **kw)
    assert (a.score, a.grade) == (score, grade)


def test_grade_b_at_exactly_five_and_c_at_four_without_flags() -> None:
    five = low_revenue(wallet_share=10.0, profit_margin=12.0)  # 2 + 1 + 2
    four = low_revenue(wallet_share=10.0, profit_margin=5.0)  # 2 + 0 + 2
    assert (five.score, five.grade, four.score, four.grade) == (5, "B", 4, "C")
    assert why(five, "grade B") == "grade B: score 5 is at least 5 and below 8"
    assert why(four, "grade C") == "grade C: score 4 is below 5"


def test_lowest_and_highest_scores() -> None:
    worst = low_revenue(wallet_share=90.0, profit_margin=1.0, pain_factor="high")
    best = one(annual_revenue=1.0, wallet_share=1.0, profit_margin=90.0, strategic_value="high")
    assert (worst.score, best.score) == (0, 12)


@pytest.mark.parametrize("strategic", ["medium", "high"])
def test_strategic_floor_lifts_c_to_b(strategic: str) -> None:
    a = low_revenue(wallet_share=90.0, profit_margin=1.0, strategic_value=strategic)
    assert a.score is not None and a.score < 5
    assert a.grade == "B"
    assert f"strategic value {strategic} must get an A or B" in why(a, "grade B")


def test_strategic_floor_does_not_lower_an_a() -> None:
    assert (
        one(annual_revenue=1.0, wallet_share=10.0, profit_margin=30.0, strategic_value="medium").grade == "A"
    )


def test_shed_flag_makes_c_even_with_a_b_score() -> None:
    a = one(annual_revenue=1.0, wallet_share=10.0, profit_margin=5.0, pain_factor="high")  # 6 + 0 + 2 - 2 = 6
    assert a.score == 6
    assert (a.grade, a.flags) == ("C", ["shed"])
    assert why(a, "flag shed").startswith("flag shed: pain factor high and profitability low")
    assert why(a, "grade C") == "grade C: flagged shed, so C whatever the score (6)"


def test_shed_needs_known_low_profitability() -> None:
    a = one(annual_revenue=1.0, wallet_share=10.0, pain_factor="high")  # profitability unknown
    assert a.flags == [] and a.grade == "B"


def test_laggard_makes_c_even_with_an_a_score() -> None:
    a = one(annual_revenue=1.0, wallet_share=10.0, profit_margin=-1.0)  # 6 + 0 + 2 = 8
    assert (a.score, a.grade, a.flags) == (8, "C", ["laggard"])


@pytest.mark.parametrize("flagging", [{"profit_margin": -5.0}, {"profit_margin": 5.0, "pain_factor": "high"}])
def test_strategic_floor_beats_the_flags_but_only_to_b(flagging: dict) -> None:
    a = one(annual_revenue=1.0, wallet_share=10.0, strategic_value="high", **flagging)
    assert a.grade == "B"
    assert "must get an A or B, so B" in why(a, "grade B")


def test_custom_thresholds_are_used() -> None:
    th = Thresholds(grade_a_from=7, wallet_share_high_above=90.0, margin_medium_from=5.0)
    a = assess_portfolio(
        [AccountFacts(name="x", annual_revenue=1.0, wallet_share=80.0, profit_margin=6.0)], th
    )[0]
    assert (a.ratings["wallet_share"], a.ratings["profitability"], a.score, a.grade) == (
        "medium",
        "medium",
        8,
        "A",
    )
    assert (
        assess_portfolio([AccountFacts(name="x", annual_revenue=1.0, wallet_share=80.0, profit_margin=6.0)])[
            0
        ].grade
        == "B"
    )


# ---- next step ---------------------------------------------------------------------------------------


def test_next_step_names_the_margin_that_lifts_to_b() -> None:
    a = low_revenue(wallet_share=10.0, profit_margin=5.0)  # score 4, C
    assert a.next_step == "raise profitability to medium (margin >= 10%) -> B"


def test_next_step_prefers_the_smallest_change() -> None:
    # 10 clients: 1 high place, 2 medium places. The target ranks second: revenue medium.
    bigger = [AccountFacts(name=f"b{i}", annual_revenue=1000.0 * (i + 1)) for i in range(8)]
    facts = [
        *bigger,
        AccountFacts(name="top", annual_revenue=50_000.0),
        AccountFacts(name="t", annual_revenue=20_000.0, wallet_share=10.0, profit_margin=5.0),
    ]
    a = assess_portfolio(facts)[-1]
    assert (a.ratings["revenue"], a.score, a.grade) == ("medium", 6, "B")  # 4 + 0 + 2
    # profitability low -> high (two steps) would give A too; revenue medium -> high is one step
    assert a.next_step == "raise revenue to high (annual revenue >= 50,000, top 10% of clients) -> A"


def test_next_step_ties_on_size_go_to_profitability_then_pain() -> None:
    b = one(annual_revenue=None, wallet_share=10.0, profit_margin=12.0, pain_factor="medium")  # 2+1+2-1 = 4
    assert b.grade == "C"
    assert b.next_step == "raise profitability to high (margin >= 25%) -> B"
    # 2 + 1 + 2 - 1 = 4: pain, revenue and strategic each lift it in one step; pain comes first
    c = low_revenue(wallet_share=60.0, profitability="high", pain_factor="medium")
    assert (c.score, c.next_step) == (4, "lower pain factor to low -> B")


def test_next_step_is_none_when_no_single_change_lifts() -> None:
    # B at 5 needs +3 for A: no single factor moves that far (revenue is already high, pain is low)
    a = one(
        annual_revenue=1.0, wallet_share=90.0, profit_margin=5.0, pain_factor="medium", strategic_value="low"
    )
    assert (a.score, a.grade) == (5, "B")
    assert a.next_step is None


def test_next_step_for_a_laggard_is_to_stop_losing_money() -> None:
    a = one(annual_revenue=1.0, wallet_share=10.0, profit_margin=-3.0)  # 8 but laggard -> C
    assert a.next_step == "bring the profit margin to 0% or above (no longer a laggard) -> A"


def test_next_step_for_a_laggard_when_the_medium_line_is_zero() -> None:
    th = Thresholds(margin_medium_from=0.0)
    a = assess_portfolio(
        [AccountFacts(name="x", annual_revenue=1.0, wallet_share=90.0, profit_margin=-3.0)], th
    )[0]
    assert (a.ratings["profitability"], a.flags, a.grade, a.score) == ("low", ["laggard"], "C", 6)
    assert (
        a.next_step
        == "bring the profit margin to 0% or above (no longer a laggard), profitability medium -> B"
    )


def test_next_step_with_explicit_profitability_omits_the_margin() -> None:
    a = low_revenue(wallet_share=10.0, profitability="low")
    assert a.next_step == "raise profitability to medium -> B"


def test_next_step_names_the_revenue_needed() -> None:
    a = low_revenue(wallet_share=90.0, profit_margin=1.0, pain_factor="low")
    assert (a.score, a.grade) == (2, "C")
    # profitability high gives 4 (no); revenue high gives 6 but is two steps; strategic medium gives B in one
    assert a.next_step == "raise strategic value to medium -> B"
    big = [AccountFacts(name=f"b{i}", annual_revenue=1000.0 * (i + 1)) for i in range(9)]
    d = assess_portfolio(
        [
            *big,
            AccountFacts(
                name="d",
                annual_revenue=10.0,
                wallet_share=90.0,
                profit_margin=30.0,
                pain_factor="low",
                strategic_value="high",
            ),
        ]
    )[-1]
    assert (d.score, d.grade) == (6, "B")  # 2 + 2 + 0 + 2
    assert d.next_step == "raise revenue to medium (annual revenue >= 8,000, top 20% of clients) -> A"


def test_next_step_for_a_client_without_revenue_counts_it_into_the_population() -> None:
    # 9 ranked clients; recording a revenue makes N = 10: 1 high place, so it must reach the top revenue
    big = [AccountFacts(name=f"b{i}", annual_revenue=1000.0 * (i + 1)) for i in range(9)]
    d = assess_portfolio(
        [*big, AccountFacts(name="d", wallet_share=90.0, profit_margin=30.0, strategic_value="high")]
    )[-1]
    assert (d.score, d.grade) == (6, "B")
    assert d.next_step == "raise revenue to medium (annual revenue >= 8,000, top 20% of clients) -> A"
    alone = assess_portfolio(
        [AccountFacts(name="d", wallet_share=90.0, profit_margin=30.0, strategic_value="high")]
    )
    # alone, any revenue makes it the top client: high, not merely medium
    assert alone[0].next_step == "raise revenue to high (any recorded annual revenue above 0 will do) -> A"


def test_next_step_revenue_names_the_band_a_tie_really_reaches() -> None:
    # 10 clients, two tied at the top: the medium threshold (2nd highest) ties with the top, so it is high
    top = [AccountFacts(name="t1", annual_revenue=9_000.0), AccountFacts(name="t2", annual_revenue=9_000.0)]
    rest = [AccountFacts(name=f"r{i}", annual_revenue=100.0 + i) for i in range(7)]
    d = AccountFacts(
        name="d", annual_revenue=50.0, wallet_share=90.0, profit_margin=30.0, strategic_value="high"
    )
    a = assess_portfolio([*top, *rest, d])[-1]
    assert (a.score, a.grade) == (6, "B")
    assert a.next_step == "raise revenue to high (annual revenue >= 9,000, top 10% of clients) -> A"


def test_next_step_is_none_for_a_and_for_prospects() -> None:
    assert one(annual_revenue=1.0, wallet_share=10.0, profit_margin=30.0).next_step is None
    assert one(stage="prospect").next_step is None


# ---- engagement, potential, quadrant, treatment ------------------------------------------------------


@pytest.mark.parametrize(("pairs", "level"), [(0, "low"), (2, "low"), (3, "high"), (10, "high")])
def test_engagement_from_pairs(pairs: int, level: str) -> None:
    a = one(annual_revenue=1.0, engagement_pairs=pairs)
    assert why(a, "engagement").startswith(f"engagement {level}: {pairs} colleague-contact pair")


def test_explicit_engagement_and_potential_win() -> None:
    a = one(annual_revenue=1.0, engagement_pairs=0, engagement="H", wallet_share=10.0, potential="low")
    assert a.quadrant == "maintenance"
    assert why(a, "engagement") == "engagement high: set explicitly"


@pytest.mark.parametrize(
    ("share", "fit", "potential"),
    [
        (49.99, None, "high"),
        (50.0, None, "low"),
        (None, None, "low"),
        (90.0, "ideal", "high"),
        (90.0, "lead", "low"),
    ],
)
def test_potential_from_wallet_share_or_fit(share: float | None, fit: str | None, potential: str) -> None:
    a = one(annual_revenue=1.0, wallet_share=share, prospect_fit=fit, engagement="high")
    assert a.quadrant == ("key" if potential == "high" else "maintenance")
    expected = {
        (49.99, None): "potential high: wallet share 49.99% is below 50%",
        (50.0, None): "potential low: wallet share 50% is not below 50% and the fit is not ideal",
        (None, None): "potential low: wallet share unknown and the fit is not ideal",
        (90.0, "ideal"): "potential high: prospect fit is ideal",
        (90.0, "lead"): "potential low: wallet share 90% is not below 50% and the fit is not ideal",
    }
    assert why(a, "potential") == expected[(share, fit)]


@pytest.mark.parametrize(
    ("engagement", "potential", "quadrant"),
    [
        ("high", "high", "key"),
        ("high", "low", "maintenance"),
        ("low", "high", "growth"),
        ("low", "low", "service"),
    ],
)
def test_quadrants(engagement: str, potential: str, quadrant: str) -> None:
    a = one(annual_revenue=1.0, engagement=engagement, potential=potential)
    assert a.quadrant == quadrant
    assert why(a, "quadrant") == f"quadrant {quadrant}: engagement {engagement}, potential {potential}"


def test_treatment_by_grade_and_key_tier_checkup() -> None:
    big = one(annual_revenue=1.0, wallet_share=10.0, profit_margin=30.0)
    assert (big.tier, big.grade) == ("key", "A")
    assert big.treatment.startswith("Executive sponsor; meet every 14 days")
    assert "advisory board" in big.treatment and "news" in big.treatment
    assert "check-up" in big.treatment and "every 90 days" in big.treatment
    b = low_revenue(wallet_share=10.0, profit_margin=12.0)
    assert (b.tier, b.grade) == ("secondary", "B")
    assert b.treatment == "Project-manager sponsor; meet every 30 days; consider for the advisory board."
    c = low_revenue(wallet_share=90.0)
    assert c.treatment == "No sponsor, great customer service; meet every 90 days."
    key_c = one(annual_revenue=1.0, profit_margin=-1.0)
    assert (key_c.tier, key_c.grade) == ("key", "C")
    assert key_c.treatment.startswith(
        f"No sponsor, great customer service; meet every {DEFAULT_THRESHOLDS.cadence_key_max_days} days."
    )


def test_prospects_are_not_graded_but_show_known_ratings() -> None:
    a = one(stage="prospect", wallet_share=20.0, profit_margin=12.0, prospect_fit="ideal", pain_factor="m")
    assert (a.tier, a.grade, a.score, a.flags) == ("prospect", None, None, [])
    assert a.ratings == {
        "revenue": None,
        "wallet_share": "low",
        "profitability": "medium",
        "strategic_value": "low",
        "pain_factor": "medium",
    }
    assert a.quadrant == "growth"
    assert a.treatment.startswith("Prospect, ideal fit")
    assert one(stage="prospect").treatment.startswith("Prospect, lead to qualify")


def test_one_assessment_per_input_in_order_with_ids() -> None:
    facts = [
        AccountFacts(name=n, annual_revenue=r, id=i)
        for i, (n, r) in enumerate([("b", 1.0), ("a", None), ("c", 3.0)])
    ]
    result = assess_portfolio(facts)
    assert [(a.name, a.id) for a in result] == [("b", 0), ("a", 1), ("c", 2)]
    assert assess_portfolio([]) == []
    assert set(result[0].to_dict()) == {
        "name",
        "tier",
        "grade",
        "score",
        "quadrant",
        "ratings",
        "flags",
        "reasons",
        "next_step",
        "treatment",
    }
