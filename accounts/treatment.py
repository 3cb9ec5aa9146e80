"""How much account management each account earns (seeds 000, 003, 004)."""

from __future__ import annotations

from accounts.thresholds import Thresholds


def meeting_cadence_days(tier: str, grade: str | None, th: Thresholds) -> int | None:
    """Days between meetings: by grade (A 14, B 30, C 90), key-tier accounts at most 30; None for prospects."""
    if grade is None:
        return None
    days = {"A": th.cadence_a_days, "B": th.cadence_b_days, "C": th.cadence_c_days}[grade]
    return min(days, th.cadence_key_max_days) if tier == "key" else days


def treatment(tier: str, grade: str | None, prospect_fit: str | None, th: Thresholds) -> str:
    """One line a person can act on: sponsor, meeting cadence, monitoring; key tier adds the check-up."""
    if grade is None:
        if (prospect_fit or "").strip().lower() == "ideal":
            return (
                "Prospect, ideal fit: give it the lion's share of prospecting time, offer a free consultation "
                "and get to the root of their problems. Graded once it becomes a client."
            )
        return "Prospect, lead to qualify: work it steadily to learn whether it can become a key or secondary account. Graded once it becomes a client."
    days = meeting_cadence_days(tier, grade, th)
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
