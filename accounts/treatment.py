"""How much account management each account earns (see docs/rules.md#treatment)."""

from __future__ import annotations

import functools

from accounts.signals import cadence_days
from accounts.thresholds import Thresholds


def treatment(tier: str, grade: str | None, prospect_fit: str | None, th: Thresholds) -> str:
    """One line a person can act on: sponsor, meeting cadence, monitoring; key tier adds the check-up."""
    ideal = (prospect_fit or "").strip().lower() == "ideal"
    return _treatment(tier, grade, ideal, th)


@functools.cache
def _treatment(tier: str, grade: str | None, ideal: bool, th: Thresholds) -> str:
    if grade is None:
        if ideal:
            return (
                "Prospect, ideal fit: give it the lion's share of prospecting time, offer a free consultation "
                "and get to the root of their problems. Graded once it becomes a client."
            )
        return (
            "Prospect, lead to qualify: work it steadily to learn whether it can become a key or secondary "
            "account. Graded once it becomes a client."
        )
    days = cadence_days(tier, grade, th)
    if grade == "A":
        text = (
            f"Executive sponsor; meet every {days} days, in person where you can; monitor their news and "
            "purchasing patterns; invite to the advisory board; early access to new products."
        )
    elif grade == "B":
        text = f"Project-manager sponsor; meet every {days} days; consider for the advisory board."
    else:
        text = f"No sponsor, great customer service; meet every {days} days."
    if tier == "key":
        text += f" Key account: a check-up (review of goals, problems and fit) at least every {th.checkup_days} days."
    return text
