"""Every tunable number of the rules, with the method's defaults (see docs/rules.md#tuning-the-rules)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Thresholds:
    # Tier and revenue rating (docs/rules.md#tiers-and-ratings): percent of the client population, ceilings in integers.
    key_tier_percent: int = 25
    revenue_high_percent: int = 10
    revenue_medium_percent: int = 20
    # Wallet share (percent): high if > high_above; medium if medium_from..high_above inclusive; else low.
    wallet_share_high_above: float = 75.0
    wallet_share_medium_from: float = 50.0
    # Profit margin (percent): high >= margin_high_from, medium >= margin_medium_from, else low.
    margin_high_from: float = 25.0
    margin_medium_from: float = 10.0
    # Grade cut-offs on the score.
    grade_a_from: int = 8
    grade_b_from: int = 5
    # Engagement (docs/rules.md#quadrant): distinct (colleague, contact) pairs in the window.
    engagement_pairs_high: int = 3
    engagement_window_days: int = 90
    # Meeting cadence per grade and key-tier cap; key-tier check-up (docs/rules.md#treatment).
    cadence_a_days: int = 14
    cadence_b_days: int = 30
    cadence_c_days: int = 90
    cadence_key_max_days: int = 30
    checkup_days: int = 90
    # Single point of failure (docs/rules.md#nudge-signals).
    spof_min_decision_makers: int = 2
    spof_concentration_percent: int = 80
    spof_window_days: int = 90
    # Revenue drop (docs/rules.md#nudge-signals): last N months below P% of the N before.
    revenue_drop_months: int = 3
    revenue_drop_percent: int = 75
    # Digest sections are capped at this many items each.
    digest_section_limit: int = 10

    def problems(self) -> list[str]:
        """Settings that contradict each other, one sentence each (empty when consistent)."""
        pairs = [
            ("revenue_high_percent", "revenue_medium_percent", "the medium band includes the high band"),
            ("wallet_share_medium_from", "wallet_share_high_above", "medium wallet share lies below high"),
            ("margin_medium_from", "margin_high_from", "a medium margin lies below a high one"),
            ("grade_b_from", "grade_a_from", "a B needs fewer points than an A"),
        ]
        out = []
        for low, high, why in pairs:
            lo, hi = getattr(self, low), getattr(self, high)
            if lo > hi:
                out.append(f"{high.upper()} ({hi}) must be at least {low.upper()} ({lo}): {why}")
        if self.margin_medium_from < 0:
            out.append(
                f"MARGIN_MEDIUM_FROM ({self.margin_medium_from}) must be at least 0: a negative margin is always "
                "low (laggard)"
            )
        return out


DEFAULT_THRESHOLDS = Thresholds()
