"""The five attractiveness ratings and the revenue ranking they rest on (docs/rules.md#tiers-and-ratings).

Each rating function returns its level and a reason a person can read; a level of None means "unknown"
(the grading decides how to score it). Revenue is relative to the client population, so it is rated
through a `RevenueRanking` built once per portfolio.
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence

from accounts.levels import parse_field
from accounts.thresholds import Thresholds


def ceil_percent(percent: int, n: int) -> int:
    """`percent`% of `n`, rounded up, in integers (10% of 30 is 3; 10% of 1 is 1; of 0 is 0)."""
    return (percent * n + 99) // 100


def known_revenue(value: float | None) -> float | None:
    """The revenue that counts for ranking: a finite amount above zero; anything else is "no revenue"."""
    return float(value) if value is not None and 0 < value < math.inf else None


def money(amount: float) -> str:
    """An amount in whole currency units with thousands separators: 1234567.8 -> "1,234,568"."""
    return f"{amount:,.0f}"


def pct(value: float) -> str:
    """A percentage for reasons: 75.0001 -> "75.0001%", 50.0 -> "50%" (and -0.0 -> "0%": equal values that
    are cached together must read the same)."""
    return f"{value + 0.0:.6g}%"


# Threshold values repeat for every account of a portfolio: format each once.
pct_cut = functools.cache(pct)


class RevenueRanking:
    """Where one revenue stands among the clients' known revenues (sorted once, then bisected).

    above(x) = how many clients earn strictly more than x, so equal revenues always share the better rank.
    """

    __slots__ = ("_asc", "n", "th", "key_cut", "high_cut", "medium_cut", "_bands", "_tier_tail")

    def __init__(self, revenues: Iterable[float], th: Thresholds, *, ascending: bool = False) -> None:
        """`ascending`: `revenues` is a sequence already in ascending order (kept as given, e.g. a compact
        `array("d")` of 8 bytes a client), so that no sorted copy is made."""
        self._asc: Sequence[float] = (
            revenues if ascending and isinstance(revenues, Sequence) else sorted(revenues)
        )
        self.n = len(self._asc)
        self.th = th
        self.key_cut = ceil_percent(th.key_tier_percent, self.n)
        self.high_cut = ceil_percent(th.revenue_high_percent, self.n)
        self.medium_cut = ceil_percent(th.revenue_medium_percent, self.n)
        self._bands = {
            "high": f"high is the top {th.revenue_high_percent}% ({self.high_cut} place(s))",
            "medium": f"medium is the top {th.revenue_medium_percent}% ({self.medium_cut} place(s))",
            "low": f"medium needs the top {th.revenue_medium_percent}% ({self.medium_cut} place(s))",
        }
        self._tier_tail = f"of {self.n} clients earn more; the key tier is the top {th.key_tier_percent}% ({self.key_cut} place(s))"

    def above(self, revenue: float) -> int:
        return self.n - bisect_right(self._asc, revenue)

    def minimum_for(self, percent: int, *, ranked: bool) -> float | None:
        """The smallest revenue that puts an account inside the top `percent`% of clients.

        `ranked` says whether the account already counts in the population; if it does not, recording a
        revenue adds it (N + 1). None means that any revenue above zero would do.
        """
        n = self.n if ranked else self.n + 1
        cut = ceil_percent(percent, n)
        if cut > self.n:
            return None
        return self._asc[self.n - cut]  # the cut-th highest revenue; matching it ties into the band

    def level_at(self, revenue: float, *, ranked: bool) -> str:
        """The revenue rating an account would get if its revenue were `revenue` (above zero, and above
        its current revenue when `ranked`); an account not ranked yet joins the population (N + 1)."""
        above = self.above(revenue)
        if ranked:
            high_cut, medium_cut = self.high_cut, self.medium_cut
        else:
            high_cut = ceil_percent(self.th.revenue_high_percent, self.n + 1)
            medium_cut = ceil_percent(self.th.revenue_medium_percent, self.n + 1)
        return "high" if above < high_cut else "medium" if above < medium_cut else "low"

    def rate(self, revenue: float | None) -> tuple[str, int | None, str]:
        """(level, above, reason) for a client's revenue. No revenue is low and unranked (above None)."""
        amount = known_revenue(revenue)
        if amount is None:
            if revenue is None:
                why = "revenue low: no annual revenue recorded"
            else:
                why = f"revenue low: annual revenue {revenue:g} is not above 0"
            return "low", None, why + ", so it is not ranked among the clients and counts as low"
        above = self.above(amount)
        level = "high" if above < self.high_cut else "medium" if above < self.medium_cut else "low"
        why = f"revenue {level}: {money(amount)} a year, {above} of {self.n} clients earn more; {self._bands[level]}"
        return level, above, why

    def tier(self, above: int | None) -> tuple[str, str]:
        """(tier, reason) for a client given its `above` count (None: no revenue)."""
        if above is None:
            return "secondary", "tier secondary: no annual revenue, so not ranked for the key tier"
        if above < self.key_cut:
            return "key", f"tier key: {above} {self._tier_tail}"
        return "secondary", f"tier secondary: {above} {self._tier_tail}"


def rate_wallet_share(share: float | None, th: Thresholds) -> tuple[str | None, str]:
    """High above 75%, medium from 50% to 75% inclusive, low below 50% (default lines); None when unknown."""
    if share is None:
        return None, "wallet share unknown: no figure recorded, scored as medium"
    hi, mid = pct_cut(th.wallet_share_high_above), pct_cut(th.wallet_share_medium_from)
    if share > th.wallet_share_high_above:
        return "high", f"wallet share high: {pct(share)} is above {hi} (little upside left)"
    if share >= th.wallet_share_medium_from:
        return "medium", f"wallet share medium: {pct(share)} is between {mid} and {hi} inclusive"
    return "low", f"wallet share low: {pct(share)} is below {mid} (most upside)"


def rate_profitability(
    explicit: str | None, margin: float | None, th: Thresholds
) -> tuple[str | None, bool, str]:
    """(level, laggard, reason). An explicit rating wins over the margin; a negative margin flags laggard."""
    level = parse_field("profitability", explicit)
    if level is not None:
        return level, False, f"profitability {level}: set explicitly (takes precedence over the margin)"
    if margin is None:
        return None, False, "profitability unknown: no rating and no profit margin recorded, scored as medium"
    shown = pct(margin)
    if margin < 0:
        why = f"profitability low: margin {shown} is negative, flagged laggard (fire or reprice)"
        return "low", True, why
    hi, mid = pct_cut(th.margin_high_from), pct_cut(th.margin_medium_from)
    if margin >= th.margin_high_from:
        return "high", False, f"profitability high: margin {shown} is at least {hi}"
    if margin >= th.margin_medium_from:
        return "medium", False, f"profitability medium: margin {shown} is at least {mid} but below {hi}"
    return "low", False, f"profitability low: margin {shown} is below {mid}"


_JUDGEMENT_REASONS: dict[tuple[str, str | None], str] = {
    (field, level): (
        f"{field.replace('_', ' ')} low: not set, low by default"
        if level is None
        else f"{field.replace('_', ' ')} {level}: set by the account team"
    )
    for field in ("strategic_value", "pain_factor")
    for level in (None, "high", "medium", "low")
}


def rate_judgement(field: str, value: str | None) -> tuple[str, str]:
    """Strategic value and pain factor (`field`): set by a person, low when not set."""
    level = parse_field(field, value)
    return level or "low", _JUDGEMENT_REASONS[(field, level)]
