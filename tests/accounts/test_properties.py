"""Properties of the grading that must hold for any portfolio (hypothesis)."""

from __future__ import annotations

import dataclasses
import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.grading import POINTS, PortfolioGrader, assess_portfolio
from accounts.levels import RANK
from accounts.model import AccountFacts, Assessment
from accounts.ratings import ceil_percent
from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds

GRADE_ORDER = {"C": 0, "B": 1, "A": 2}
LEVEL = st.sampled_from([None, "high", "medium", "low"])
PERCENT = st.floats(min_value=0, max_value=100, allow_nan=False)
MARGIN = st.floats(min_value=-60, max_value=80, allow_nan=False)
# Revenues from a small pool make ties (and boundary ties) common.
REVENUE = st.one_of(
    st.none(),
    st.sampled_from([0.0, 1_000.0, 5_000.0, 20_000.0, 250_000.0]),
    st.floats(min_value=0, max_value=5e7, allow_nan=False),
)

FACTS = st.builds(
    AccountFacts,
    name=st.just("x"),
    stage=st.sampled_from(["client", "client", "client", "prospect"]),
    annual_revenue=REVENUE,
    wallet_share=st.one_of(st.none(), PERCENT, st.sampled_from([50.0, 75.0])),
    profit_margin=st.one_of(st.none(), MARGIN, st.sampled_from([0.0, 10.0, 25.0])),
    profitability=st.one_of(st.none(), st.none(), LEVEL),
    strategic_value=LEVEL,
    pain_factor=LEVEL,
    engagement=st.sampled_from([None, None, "high", "low"]),
    potential=st.sampled_from([None, None, "high", "low"]),
    prospect_fit=st.sampled_from([None, "ideal", "lead"]),
    engagement_pairs=st.integers(min_value=0, max_value=6),
)


@st.composite
def thresholds(draw: st.DrawFn) -> Thresholds:
    """The defaults half of the time, otherwise any consistent set of lines."""
    if draw(st.booleans()):
        return DEFAULT_THRESHOLDS
    high_pct = draw(st.integers(1, 60))
    share_mid = draw(st.sampled_from([30.0, 50.0, 60.0]))
    margin_mid = draw(st.sampled_from([0.0, 5.0, 10.0]))
    grade_b = draw(st.integers(2, 8))
    th = Thresholds(
        key_tier_percent=draw(st.integers(1, 100)),
        revenue_high_percent=high_pct,
        revenue_medium_percent=draw(st.integers(high_pct, 100)),
        wallet_share_medium_from=share_mid,
        wallet_share_high_above=draw(st.sampled_from([share_mid, 75.0, 90.0])),
        margin_medium_from=margin_mid,
        margin_high_from=draw(st.sampled_from([margin_mid, 25.0, 40.0])),
        grade_b_from=grade_b,
        grade_a_from=draw(st.integers(grade_b, 11)),
        engagement_pairs_high=draw(st.integers(1, 5)),
    )
    assert th.problems() == []
    return th


def numbered(facts: list[AccountFacts]) -> list[AccountFacts]:
    return [dataclasses.replace(f, name=f"acct {i}", id=i) for i, f in enumerate(facts)]


PORTFOLIO = st.lists(FACTS, min_size=1, max_size=40).map(numbered)
# GRADING_EXAMPLES=5000 for a deeper search than the everyday 300 examples per property.
SETTINGS = settings(
    max_examples=int(os.environ.get("GRADING_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def regrade(facts: list[AccountFacts], i: int, th: Thresholds, **changes: object) -> Assessment:
    changed = list(facts)
    changed[i] = dataclasses.replace(facts[i], **changes)
    return assess_portfolio(changed, th)[i]


@SETTINGS
@given(PORTFOLIO, st.randoms(use_true_random=False), thresholds())
def test_results_do_not_depend_on_row_order(facts: list[AccountFacts], rnd, th: Thresholds) -> None:
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    before = {a.id: a for a in assess_portfolio(facts, th)}
    after = assess_portfolio(shuffled, th)
    assert [a.id for a in after] == [f.id for f in shuffled]  # input order kept
    assert {a.id: a for a in after} == before


@SETTINGS
@given(PORTFOLIO)
def test_scores_and_grades_are_within_bounds(facts: list[AccountFacts]) -> None:
    for f, a in zip(facts, assess_portfolio(facts), strict=True):
        assert a.id == f.id and a.name == f.name
        assert set(a.ratings) == {
            "revenue",
            "wallet_share",
            "profitability",
            "strategic_value",
            "pain_factor",
        }
        assert all(v in (None, "high", "medium", "low") for v in a.ratings.values())
        assert a.reasons and a.treatment
        if f.stage == "prospect":
            assert (a.tier, a.grade, a.score, a.next_step, a.flags) == ("prospect", None, None, None, [])
            continue
        assert a.tier in ("key", "secondary")
        assert a.score is not None and 0 <= a.score <= 12
        assert a.grade in ("A", "B", "C")
        if a.ratings["strategic_value"] != "low":
            assert a.grade != "C"  # strategic floor
        elif a.flags:
            assert a.grade == "C"
        elif a.score >= 8:
            assert a.grade == "A"
        assert (a.grade == "A") <= (a.next_step is None)
        assert sum(r.startswith("grade ") for r in a.reasons) == 1
        # the score is the sum of the points of the ratings shown, unknown counting as medium
        assert a.score == sum(POINTS[k][v or "medium"] for k, v in a.ratings.items())


@SETTINGS
@given(PORTFOLIO, thresholds())
def test_more_revenue_never_ranks_lower_and_the_bands_are_as_wide_as_the_ceilings(
    facts: list[AccountFacts], th: Thresholds
) -> None:
    graded = [(f, a) for f, a in zip(facts, assess_portfolio(facts, th), strict=True) if a.tier != "prospect"]
    ranked = [(f.annual_revenue, a) for f, a in graded if f.annual_revenue and f.annual_revenue > 0]
    order = {"low": 0, "medium": 1, "high": 2, "secondary": 0, "key": 1}
    for r1, a1 in ranked:
        for r2, a2 in ranked:
            if r1 > r2:
                assert order[a1.ratings["revenue"] or ""] >= order[a2.ratings["revenue"] or ""]
                assert order[a1.tier] >= order[a2.tier]
    n = len(ranked)
    count = {level: sum(a.ratings["revenue"] == level for _, a in ranked) for level in ("high", "medium")}
    keys = sum(a.tier == "key" for _, a in ranked)
    # at least the ceiling's worth of places is filled; ties can only add to a band, never shrink it
    assert count["high"] >= min(n, ceil_percent(th.revenue_high_percent, n))
    assert count["high"] + count["medium"] >= min(n, ceil_percent(th.revenue_medium_percent, n))
    assert keys >= min(n, ceil_percent(th.key_tier_percent, n))
    distinct = len({r for r, _ in ranked}) == n
    if distinct:  # without ties the bands are exactly the ceilings
        assert count["high"] == ceil_percent(th.revenue_high_percent, n)
        assert keys == ceil_percent(th.key_tier_percent, n)
    # clients without revenue are secondary and low
    for f, a in graded:
        if not (f.annual_revenue and f.annual_revenue > 0):
            assert (a.tier, a.ratings["revenue"]) == ("secondary", "low")


@SETTINGS
@given(PORTFOLIO, thresholds())
def test_one_account_against_the_bare_population_gets_the_portfolio_verdict(
    facts: list[AccountFacts], th: Thresholds
) -> None:
    population = [AccountFacts(name="", stage=f.stage, annual_revenue=f.annual_revenue) for f in facts]
    grader = PortfolioGrader(population, th)
    assert [grader.assess(f) for f in facts] == assess_portfolio(facts, th)


def improvements(f: AccountFacts, data: st.DataObject, th: Thresholds) -> dict[str, object]:
    """One single-factor change that can only make the account more attractive."""
    options = ["revenue", "strategic", "pain", "profitability", "share"]
    if f.profitability is None and f.profit_margin is not None:
        options.append("margin")
    choice = data.draw(st.sampled_from(options))
    if choice == "revenue":
        old = f.annual_revenue if f.annual_revenue and f.annual_revenue > 0 else 0.0
        return {"annual_revenue": old + data.draw(st.floats(min_value=0.01, max_value=1e8))}
    if choice == "strategic":
        old = RANK[f.strategic_value or "low"]
        return {"strategic_value": data.draw(st.sampled_from([k for k, v in RANK.items() if v >= old]))}
    if choice == "pain":
        old = RANK[f.pain_factor or "low"]
        return {"pain_factor": data.draw(st.sampled_from([k for k, v in RANK.items() if v <= old]))}
    if choice == "margin":
        assert f.profit_margin is not None
        return {"profit_margin": f.profit_margin + data.draw(st.floats(min_value=0, max_value=50))}
    if choice == "share":
        if f.wallet_share is None:
            return {
                "wallet_share": data.draw(
                    st.floats(min_value=0, max_value=th.wallet_share_medium_from - 0.01)
                )
            }
        return {"wallet_share": data.draw(st.floats(min_value=0, max_value=f.wallet_share))}
    # explicit profitability at least as good as the rating it has now (unknown counts as medium)
    current = assess_portfolio([f], th)[0].ratings["profitability"] or "medium"
    return {"profitability": data.draw(st.sampled_from([k for k, v in RANK.items() if v >= RANK[current]]))}


@SETTINGS
@given(PORTFOLIO, st.data(), thresholds())
def test_improving_any_single_factor_never_lowers_the_grade(
    facts: list[AccountFacts], data: st.DataObject, th: Thresholds
) -> None:
    i = data.draw(st.integers(min_value=0, max_value=len(facts) - 1))
    f = dataclasses.replace(facts[i], stage="client")
    facts = [*facts[:i], f, *facts[i + 1 :]]
    before = assess_portfolio(facts, th)[i]
    changes = improvements(f, data, th)
    after = regrade(facts, i, th, **changes)
    assert GRADE_ORDER[after.grade] >= GRADE_ORDER[before.grade], (changes, before.reasons, after.reasons)
    assert after.score is not None and before.score is not None and after.score >= before.score


def apply_next_step(f: AccountFacts, step: str) -> dict[str, object]:
    """Turn a next_step sentence back into the change it names."""
    if m := re.match(r"raise profitability to (\w+) \(margin >= (-?[\d.]+)%\)", step):
        return {"profit_margin": float(m[2]), "profitability": None}
    if m := re.match(r"raise profitability to (\w+) ->", step):
        return {"profitability": m[1]}
    if step.startswith("bring the profit margin to 0% or above"):
        return {"profit_margin": 0.0}
    if m := re.match(r"lower pain factor to (\w+) ->", step):
        return {"pain_factor": m[1]}
    if m := re.match(r"raise strategic value to (\w+) ->", step):
        return {"strategic_value": m[1]}
    if m := re.match(r"raise revenue to \w+ \(annual revenue >= ([\d,]+),", step):
        return {"annual_revenue": float(m[1].replace(",", ""))}
    if re.match(r"raise revenue to \w+ \(any recorded annual revenue above 0 will do\)", step):
        return {"annual_revenue": 0.01}
    raise AssertionError(f"unexpected next step: {step}")


def single_changes(facts: list[AccountFacts], i: int, th: Thresholds) -> list[dict[str, object]]:
    """Every single-factor change the next step may propose (wallet share is never proposed)."""
    f = facts[i]
    revenues = {r for g in facts if (r := g.annual_revenue) is not None and r > 0}
    out: list[dict[str, object]] = [{"annual_revenue": r} for r in revenues | {1e12}]
    out += [{"strategic_value": v} for v in ("medium", "high")]
    out += [{"pain_factor": v} for v in ("low", "medium")]
    if f.profitability is None:  # profitability comes from the margin: the step moves the margin
        out += [{"profit_margin": m} for m in (0.0, th.margin_medium_from, th.margin_high_from)]
    else:
        out += [{"profitability": v} for v in ("low", "medium", "high")]
    return out


@SETTINGS
@given(PORTFOLIO, st.data(), thresholds())
def test_next_step_is_true_and_present_whenever_one_change_lifts_the_grade(
    facts: list[AccountFacts], data: st.DataObject, th: Thresholds
) -> None:
    i = data.draw(st.integers(min_value=0, max_value=len(facts) - 1))
    facts = [*facts[:i], dataclasses.replace(facts[i], stage="client"), *facts[i + 1 :]]
    a = assess_portfolio(facts, th)[i]
    assert a.grade is not None
    if a.next_step is not None:
        claimed = a.next_step.rsplit("-> ", 1)[1]
        assert GRADE_ORDER[claimed] == GRADE_ORDER[a.grade] + 1 or (a.grade, claimed) == ("C", "A")
        after = regrade(facts, i, th, **apply_next_step(facts[i], a.next_step))
        assert after.grade == claimed, (a.next_step, after.reasons)
    elif a.grade != "A":
        for change in single_changes(facts, i, th):
            after = regrade(facts, i, th, **change)
            assert GRADE_ORDER[after.grade] <= GRADE_ORDER[a.grade], (change, a.reasons, after.reasons)
