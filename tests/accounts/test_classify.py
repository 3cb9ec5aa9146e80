"""classify_portfolio (the nudge jobs' verdict-only path) agrees with assess_portfolio on every account."""

from __future__ import annotations

import pytest
from hypothesis import given

from accounts.grading import assess_portfolio, classify_portfolio
from accounts.model import AccountFacts
from accounts.thresholds import Thresholds
from tests.accounts.test_properties import PORTFOLIO, SETTINGS, thresholds


@SETTINGS
@given(PORTFOLIO, thresholds())
def test_classify_gives_the_tier_and_grade_of_the_full_assessment(
    facts: list[AccountFacts], th: Thresholds
) -> None:
    assert classify_portfolio(facts, th) == [(a.tier, a.grade) for a in assess_portfolio(facts, th)]


@pytest.mark.parametrize(
    "field", ["strategic_value", "pain_factor", "profitability", "engagement", "potential"]
)
@pytest.mark.parametrize("stage", ["client", "prospect"])
def test_classify_refuses_a_malformed_rating_as_the_full_assessment_does(field: str, stage: str) -> None:
    facts = [
        AccountFacts(name="Fine", annual_revenue=1.0),
        AccountFacts(name="Acme", stage=stage, **{field: "huge"}),
    ]
    with pytest.raises(ValueError) as full:
        assess_portfolio(facts)
    with pytest.raises(ValueError) as fast:
        classify_portfolio(facts)
    assert str(fast.value) == str(full.value)
