"""Engagement, potential and the prioritisation quadrant (see docs/rules.md#quadrant)."""

from __future__ import annotations

from accounts.levels import parse_field
from accounts.ratings import pct, pct_cut
from accounts.thresholds import Thresholds

_QUADRANTS: dict[tuple[str, str], str] = {
    ("high", "high"): "key",
    ("high", "low"): "maintenance",
    ("low", "high"): "growth",
    ("low", "low"): "service",
}


def _two_level(field: str, value: str | None) -> str | None:
    """Engagement and potential have two levels: an explicit medium is not high, so it counts as low."""
    if value is None:
        return None
    level = parse_field(field, value)
    return None if level is None else ("high" if level == "high" else "low")


def rate_engagement(explicit: str | None, pairs: int, th: Thresholds) -> tuple[str, str]:
    level = _two_level("engagement", explicit)
    if level is not None:
        return level, f"engagement {level}: set explicitly"
    need, days = th.engagement_pairs_high, th.engagement_window_days
    if pairs >= need:
        return (
            "high",
            f"engagement high: {pairs} colleague-contact pairs met in the last {days} days (at least {need})",
        )
    return (
        "low",
        f"engagement low: {pairs} colleague-contact pair(s) in the last {days} days (fewer than {need})",
    )


def rate_potential(
    explicit: str | None, wallet_share: float | None, prospect_fit: str | None, th: Thresholds
) -> tuple[str, str]:
    level = _two_level("potential", explicit)
    if level is not None:
        return level, f"potential {level}: set explicitly"
    cut = th.wallet_share_medium_from
    if wallet_share is not None and wallet_share < cut:
        return "high", f"potential high: wallet share {pct(wallet_share)} is below {pct_cut(cut)}"
    if (prospect_fit or "").strip().lower() == "ideal":
        return "high", "potential high: prospect fit is ideal"
    if wallet_share is None:
        return "low", "potential low: wallet share unknown and the fit is not ideal"
    return (
        "low",
        f"potential low: wallet share {pct(wallet_share)} is not below {pct_cut(cut)} and the fit is not ideal",
    )


_QUADRANT_REASONS = {
    key: f"quadrant {name}: engagement {key[0]}, potential {key[1]}" for key, name in _QUADRANTS.items()
}


def quadrant(engagement: str, potential: str) -> tuple[str, str]:
    """The two-by-two (docs/rules.md#quadrant): engagement (vertical) against potential (horizontal)."""
    key = (engagement, potential)
    return _QUADRANTS[key], _QUADRANT_REASONS[key]
