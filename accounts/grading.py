"""Grade a portfolio: tier, five ratings, score, A/B/C grade with floors and flags, next step, treatment.

The rules are in docs/rules.md#the-rules-at-a-glance. Everything here is pure: facts and thresholds in,
`Assessment`s with human-readable reasons out. Revenue is ranked against the portfolio's clients, so the
entry point takes the whole portfolio: `assess_portfolio(facts, th)`.
"""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple, cast

from accounts.levels import RANK, parse_level
from accounts.model import AccountFacts, Assessment, Grade, Quadrant, Tier
from accounts.quadrant import quadrant, rate_engagement, rate_potential
from accounts.ratings import (
    RevenueRanking,
    known_revenue,
    money,
    pct,
    rate_judgement,
    rate_profitability,
    rate_wallet_share,
)
from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds
from accounts.treatment import treatment

__all__ = [
    "POINTS", "PortfolioGrader", "TierGrade", "assess_portfolio", "classify_portfolio", "decide_grade", "is_prospect",
    "parse_level", "score_of",
]  # fmt: skip

# Score points per rating (docs/rules.md#score). Wallet share scores its upside: the
# lower our share, the more there is to win. Unknown wallet share and profitability score as medium.
POINTS: dict[str, dict[str, int]] = {
    "revenue": {"high": 6, "medium": 4, "low": 2},
    "profitability": {"high": 2, "medium": 1, "low": 0},
    "wallet_share": {"high": 0, "medium": 1, "low": 2},
    "strategic_value": {"high": 2, "medium": 1, "low": 0},
    "pain_factor": {"low": 0, "medium": -1, "high": -2},
}
_REV, _PROFIT, _SHARE = POINTS["revenue"], POINTS["profitability"], POINTS["wallet_share"]
_STRAT, _PAIN = POINTS["strategic_value"], POINTS["pain_factor"]
# Bump when a change to these rules can move an account's tier or grade: stored classifications made by an
# older version are then recomputed before use (storage.stored.grades).
RULES_VERSION = 1

_GRADE_RANK = {"C": 0, "B": 1, "A": 2}
_HIGHER = {"low": ("medium", "high"), "medium": ("high",), "high": ()}
_LOWER = {"high": ("medium", "low"), "medium": ("low",), "low": ()}


class Scored(NamedTuple):
    """The levels that enter the score (unknowns already replaced by medium) and the laggard flag."""

    revenue: str
    profitability: str
    wallet_share: str
    strategic_value: str
    pain_factor: str
    laggard: bool = False


def score_of(s: Scored) -> int:
    return (
        _REV[s.revenue]
        + _PROFIT[s.profitability]
        + _SHARE[s.wallet_share]
        + _STRAT[s.strategic_value]
        + _PAIN[s.pain_factor]
    )


def flags_of(s: Scored) -> list[str]:
    flags = ["laggard"] if s.laggard else []
    if s.pain_factor == "high" and s.profitability == "low":
        flags.append("shed")
    return flags


def decide_grade(s: Scored, th: Thresholds) -> tuple[str, int, list[str], str]:
    """(grade, score, flags, reason) for one client's scored levels.

    Flags (shed, laggard) mean C; otherwise the score decides; strategic value medium or high lifts a C
    to B ("must get an A or B", docs/rules.md#grade), flagged or not.
    """
    score = score_of(s)
    flags = flags_of(s)
    floor = s.strategic_value != "low"
    if flags:
        named = " and ".join(flags)
        if floor:
            grade = "B"
            why = (
                f"grade B: flagged {named}, which means C, but strategic value {s.strategic_value} "
                f"must get an A or B, so B (score {score} not used)"
            )
        else:
            grade, why = "C", f"grade C: flagged {named}, so C whatever the score ({score})"
    elif score >= th.grade_a_from:
        grade, why = "A", f"grade A: score {score} is at least {th.grade_a_from}"
    elif score >= th.grade_b_from:
        grade, why = "B", f"grade B: score {score} is at least {th.grade_b_from} and below {th.grade_a_from}"
    elif floor:
        grade = "B"
        why = (
            f"grade B: score {score} alone gives C (below {th.grade_b_from}), but strategic value "
            f"{s.strategic_value} must get an A or B"
        )
    else:
        grade, why = "C", f"grade C: score {score} is below {th.grade_b_from}"
    return grade, score, flags, why


class NextStepAdvisor:
    """Finds the one single-factor change that lifts a grade to the next letter (or beyond).

    Among the changes that work, the smallest (fewest rating steps) wins; ties go to profitability, then
    pain factor, then revenue, then strategic value. Wallet share is never proposed: winning more of the
    wallet is the point of account management, and it lowers the upside score. The answer depends only
    on the scored levels, so it is computed once per distinct situation in a portfolio.
    """

    def __init__(self, ranking: RevenueRanking, th: Thresholds) -> None:
        self.ranking = ranking
        self.th = th
        self._memo: dict[tuple[Scored, str, bool, bool], str | None] = {}

    def advise(self, s: Scored, grade: str, *, ranked: bool, margin_based: bool) -> str | None:
        """`ranked`: the account counts in the revenue population; `margin_based`: profitability
        comes from the margin (not set explicitly)."""
        if grade == "A":
            return None
        key = (s, grade, ranked, margin_based)
        if key not in self._memo:
            self._memo[key] = self._search(s, grade, ranked, margin_based)
        return self._memo[key]

    def _search(self, s: Scored, grade: str, ranked: bool, margin_based: bool) -> str | None:
        target = _GRADE_RANK[grade] + 1
        best: tuple[float, int, str] | None = None
        for size, priority, label, changed in self._candidates(s, ranked, margin_based):
            new_grade = decide_grade(changed, self.th)[0]
            if _GRADE_RANK[new_grade] >= target and (best is None or (size, priority) < best[:2]):
                best = (size, priority, f"{label} -> {new_grade}")
        return None if best is None else best[2]

    def _candidates(
        self, s: Scored, ranked: bool, margin_based: bool
    ) -> Iterator[tuple[float, int, str, Scored]]:
        """Single-factor improvements as (size in rating steps, priority, label, changed levels)."""
        th = self.th
        if s.laggard:  # margin_based holds: an explicit profitability never flags laggard
            reached, _, _ = rate_profitability(None, 0.0, th)
            assert reached is not None  # a margin is given, so it is rated
            label = "bring the profit margin to 0% or above (no longer a laggard)"
            if reached != "low":  # only when the medium (or high) margin line is 0%
                label += f", profitability {reached}"
            yield 0.5, 0, label, s._replace(profitability=reached, laggard=False)
        for level in _HIGHER[s.profitability]:
            size = RANK[level] - RANK[s.profitability]
            if margin_based:
                # The margin at the line, rated as it would be: equal lines can make it high, and a
                # line below zero leaves a laggard flagged.
                cut = th.margin_high_from if level == "high" else th.margin_medium_from
                reached, laggard, _ = rate_profitability(None, cut, th)
                assert reached is not None  # a margin is given, so it is rated
                label = f"raise profitability to {reached} (margin >= {pct(cut)})"
                yield size, 0, label, s._replace(profitability=reached, laggard=laggard)
            else:
                label = f"raise profitability to {level}"
                yield size, 0, label, s._replace(profitability=level, laggard=False)
        for level in _LOWER[s.pain_factor]:
            yield (
                RANK[s.pain_factor] - RANK[level],
                1,
                f"lower pain factor to {level}",
                s._replace(pain_factor=level),
            )
        for level in _HIGHER[s.revenue]:
            # The smallest revenue that reaches `level`; ties can carry it one band further.
            percent = th.revenue_high_percent if level == "high" else th.revenue_medium_percent
            need = self.ranking.minimum_for(percent, ranked=ranked)
            if need is None:
                reached = self.ranking.level_at(0.01, ranked=ranked)
                label = f"raise revenue to {reached} (any recorded annual revenue above 0 will do)"
            else:
                amount = math.ceil(need)
                reached = self.ranking.level_at(amount, ranked=ranked)
                band = th.revenue_high_percent if reached == "high" else th.revenue_medium_percent
                label = (
                    f"raise revenue to {reached} (annual revenue >= {money(amount)}, top {band}% of clients)"
                )
            yield RANK[level] - RANK[s.revenue], 2, label, s._replace(revenue=reached)
        for level in _HIGHER[s.strategic_value]:
            size = RANK[level] - RANK[s.strategic_value]
            yield size, 3, f"raise strategic value to {level}", s._replace(strategic_value=level)


class _Verdict(NamedTuple):
    """Everything that follows from the scored levels alone (shared by all accounts in the same situation)."""

    grade: str
    score: int
    flags: tuple[str, ...]
    reasons: tuple[str, ...]  # score, shed flag (if any), grade


class TierGrade(NamedTuple):
    """Just the tier and grade of an account (what the nudge jobs need of every account)."""

    tier: str
    grade: str | None


class _Rated(NamedTuple):
    """A client's ratings as the grade sees them, with the reasons the full assessment shows."""

    tier: str
    above: int | None  # clients earning more (None: no revenue, not ranked)
    scored: Scored
    wallet_share: str | None  # as rated (None: unknown, scored as medium)
    profitability: str | None
    why: tuple[str, ...]  # tier, revenue, wallet share, profitability, strategic value, pain factor


_SHED_REASON = (
    "flag shed: pain factor high and profitability low (seed 004: shed it or pass it to a competitor)"
)


class PortfolioGrader:
    """Grades the accounts of one portfolio. Built once per portfolio: it holds the revenue ranking and
    remembers the verdicts, next steps and treatments it has already worked out (they depend only on a
    handful of levels, so 100,000 accounts share a few hundred of them)."""

    def __init__(
        self, facts: Sequence[AccountFacts], th: Thresholds, *, ranking: RevenueRanking | None = None
    ) -> None:
        self.th = th
        self.prospect = [is_prospect(f) for f in facts]
        if ranking is None:
            revenues = [
                r
                for f, p in zip(facts, self.prospect, strict=True)
                if not p and (r := known_revenue(f.annual_revenue)) is not None
            ]
            ranking = RevenueRanking(revenues, th)
        self.ranking = ranking
        self.advisor = NextStepAdvisor(self.ranking, th)
        self._verdicts: dict[Scored, _Verdict] = {}
        self._treatments: dict[tuple[str, str | None, str | None], str] = {}
        # The same inputs recur across a portfolio (shares, margins, pair counts): rate each value once.
        self.wallet_share = functools.cache(functools.partial(rate_wallet_share, th=th))
        self.profitability = functools.cache(functools.partial(rate_profitability, th=th))
        self.engagement = functools.cache(functools.partial(rate_engagement, th=th))
        self.potential = functools.cache(functools.partial(rate_potential, th=th))
        self.strategic_value = functools.cache(functools.partial(rate_judgement, "strategic_value"))
        self.pain_factor = functools.cache(functools.partial(rate_judgement, "pain_factor"))
        self._classes: dict[tuple[str, str | None], TierGrade] = {}

    @classmethod
    def of_population(
        cls,
        population: Iterable[tuple[str | None, float | None]],
        th: Thresholds,
        *,
        by_revenue: bool = False,
    ) -> PortfolioGrader:
        """A grader built from the stage and annual revenue of every account alone, holding 8 bytes per client
        with a known revenue (`assess` and `classify_each` then grade any account of the portfolio).
        `by_revenue`: the population comes in ascending order of revenue, so nothing is sorted here."""
        revenues = array(
            "d",
            (
                r
                for stage, revenue in population
                if not _prospect_stage(stage) and (r := known_revenue(revenue)) is not None
            ),
        )
        if not by_revenue:
            revenues = array("d", sorted(revenues))
        return cls([], th, ranking=RevenueRanking(revenues, th, ascending=True))

    def assess_all(self, facts: Sequence[AccountFacts]) -> list[Assessment]:
        """Assess the accounts the grader was built from, in their order."""
        client, prospect = self.client, self.prospect_assessment
        out = []
        for f, p in zip(facts, self.prospect, strict=True):
            try:
                out.append(prospect(f) if p else client(f))
            except ValueError as exc:
                raise ValueError(f"account {f.name!r}: {exc}") from None
        return out

    def assess(self, f: AccountFacts) -> Assessment:
        """One account against this portfolio's revenue ranking: the verdict `assess_portfolio` gives it.

        The grader may be built from the population alone (stage and revenue of every account), so one
        card needs neither every account's other facts nor every other verdict. A malformed rating raises
        ValueError naming the account and the field.
        """
        try:
            return self.prospect_assessment(f) if is_prospect(f) else self.client(f)
        except ValueError as exc:
            raise ValueError(f"account {f.name!r}: {exc}") from None

    def classify_all(self, facts: Sequence[AccountFacts]) -> list[TierGrade]:
        """`assess_all` reduced to tier and grade: the same verdicts (and the same ValueError for a malformed
        rating), without the reasons, quadrant, next step and treatment nobody asked for."""
        return [self._classify_one(f, p) for f, p in zip(facts, self.prospect, strict=True)]

    def classify_each(self, facts: Iterable[AccountFacts]) -> list[TierGrade]:
        """`classify_all` for any accounts of the portfolio (a batch of them, say), not only those the grader
        was built from."""
        return [self._classify_one(f, is_prospect(f)) for f in facts]

    def _classify_one(self, f: AccountFacts, prospect: bool) -> TierGrade:
        try:
            return (
                self._class("prospect", self.prospect_assessment(f).grade) if prospect else self.classify(f)
            )
        except ValueError as exc:
            raise ValueError(f"account {f.name!r}: {exc}") from None

    def classify(self, f: AccountFacts) -> TierGrade:
        """A client's tier and grade, rated by the same steps as `client` (see `_rate`)."""
        rated = self._rate(f)
        # The explicit quadrant inputs are checked as `client` checks them (the pair count and wallet share
        # play no part in that check, so these calls hit the cache).
        self.engagement(f.engagement, 0)
        self.potential(f.potential, None, f.prospect_fit)
        return self._class(rated.tier, self.verdict(rated.scored).grade)

    def _class(self, tier: str, grade: str | None) -> TierGrade:
        found = self._classes.get((tier, grade))
        if found is None:
            found = self._classes[(tier, grade)] = TierGrade(tier, grade)
        return found

    def _rate(self, f: AccountFacts) -> _Rated:
        """The ratings that decide a client's tier and grade (one definition for `client` and `classify`)."""
        revenue, above, revenue_why = self.ranking.rate(f.annual_revenue)
        tier, tier_why = self.ranking.tier(above)
        share, share_why = self.wallet_share(f.wallet_share)
        profit, laggard, profit_why = self.profitability(f.profitability, f.profit_margin)
        strategic, strategic_why = self.strategic_value(f.strategic_value)
        pain, pain_why = self.pain_factor(f.pain_factor)
        s = Scored(revenue, profit or "medium", share or "medium", strategic, pain, laggard)
        return _Rated(
            tier,
            above,
            s,
            share,
            profit,
            (tier_why, revenue_why, share_why, profit_why, strategic_why, pain_why),
        )

    def _quadrant(self, f: AccountFacts) -> tuple[str, tuple[str, str, str]]:
        """(quadrant, reasons for engagement, potential and quadrant)."""
        engagement, engagement_why = self.engagement(f.engagement, f.engagement_pairs)
        potential, potential_why = self.potential(f.potential, f.wallet_share, f.prospect_fit)
        quad, quad_why = quadrant(engagement, potential)
        return quad, (engagement_why, potential_why, quad_why)

    def verdict(self, s: Scored) -> _Verdict:
        found = self._verdicts.get(s)
        if found is None:
            grade, score, flags, grade_why = decide_grade(s, self.th)
            score_why = (
                f"score {score} = revenue {_REV[s.revenue]} + profitability {_PROFIT[s.profitability]} + "
                f"wallet-share upside {_SHARE[s.wallet_share]} + strategic value {_STRAT[s.strategic_value]} "
                f"- pain {-_PAIN[s.pain_factor]}"
            )
            why = (score_why, _SHED_REASON, grade_why) if "shed" in flags else (score_why, grade_why)
            found = self._verdicts[s] = _Verdict(grade, score, tuple(flags), why)
        return found

    def treatment(self, tier: str, grade: str | None, fit: str | None) -> str:
        key = (tier, grade, fit)
        found = self._treatments.get(key)
        if found is None:
            found = self._treatments[key] = treatment(tier, grade, fit, self.th)
        return found

    def client(self, f: AccountFacts) -> Assessment:
        rated = self._rate(f)
        s, tier = rated.scored, rated.tier
        v = self.verdict(s)
        quad, quad_why = self._quadrant(f)
        return Assessment(
            name=f.name,
            tier=cast(Tier, tier),
            grade=cast(Grade | None, v.grade),
            score=v.score,
            quadrant=cast(Quadrant, quad),
            ratings=_ratings(
                s.revenue, rated.wallet_share, rated.profitability, s.strategic_value, s.pain_factor
            ),
            flags=list(v.flags),
            reasons=[*rated.why, *v.reasons, *quad_why],
            next_step=self.advisor.advise(
                s,
                v.grade,
                ranked=rated.above is not None,
                margin_based=f.profitability is None or parse_level(f.profitability) is None,
            ),
            treatment=self.treatment(tier, v.grade, f.prospect_fit),
            id=f.id,
        )

    def prospect_assessment(self, f: AccountFacts) -> Assessment:
        reasons = ["tier prospect: not a client yet, so not graded and not counted among the clients"]
        revenue: str | None = None
        if known_revenue(f.annual_revenue) is not None:
            revenue, _, why = self.ranking.rate(f.annual_revenue)
            reasons.append(f"{why} (as it would rank among the clients)")
        share, share_why = self.wallet_share(f.wallet_share)
        profit, _, profit_why = self.profitability(f.profitability, f.profit_margin)
        strategic, strategic_why = self.strategic_value(f.strategic_value)
        pain, pain_why = self.pain_factor(f.pain_factor)
        quad, quad_why = self._quadrant(f)
        reasons += [share_why, profit_why, strategic_why, pain_why, *quad_why]
        return Assessment(
            name=f.name,
            tier="prospect",
            grade=None,
            score=None,
            quadrant=cast(Quadrant, quad),
            ratings=_ratings(revenue, share, profit, strategic, pain),
            flags=[],
            reasons=reasons,
            next_step=None,
            treatment=self.treatment("prospect", None, f.prospect_fit),
            id=f.id,
        )


def _ratings(
    revenue: str | None, share: str | None, profit: str | None, strategic: str, pain: str
) -> dict[str, str | None]:
    return {
        "revenue": revenue,
        "wallet_share": share,
        "profitability": profit,
        "strategic_value": strategic,
        "pain_factor": pain,
    }


def is_prospect(f: AccountFacts) -> bool:
    """Stage `prospect` (any case, spaces ignored); every other stage, or none, is a client."""
    return _prospect_stage(f.stage)


def _prospect_stage(stage: str | None) -> bool:
    return stage != "client" and (stage or "").strip().lower() == "prospect"


def assess_portfolio(facts: Sequence[AccountFacts], th: Thresholds = DEFAULT_THRESHOLDS) -> list[Assessment]:
    """One Assessment per account, in input order. Revenue ranks among the clients with known revenue."""
    return PortfolioGrader(facts, th).assess_all(facts)


def classify_portfolio(facts: Sequence[AccountFacts], th: Thresholds = DEFAULT_THRESHOLDS) -> list[TierGrade]:
    """Tier and grade of every account, in input order: exactly those of `assess_portfolio`, much cheaper."""
    return PortfolioGrader(facts, th).classify_all(facts)
