"""Inputs and outputs of the rules. Plain data, no behaviour beyond (de)serialisation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Tier = Literal["key", "secondary", "prospect"]
Grade = Literal["A", "B", "C"]
Quadrant = Literal["key", "maintenance", "growth", "service"]
LEVELS: tuple[str, ...] = ("high", "medium", "low")


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the rules need to know about one account. Percentages are 0..100; None means unknown."""

    name: str
    stage: str = "client"  # client | prospect
    annual_revenue: float | None = None
    wallet_share: float | None = None
    profit_margin: float | None = None
    profitability: str | None = None  # explicit high|medium|low wins over the margin
    strategic_value: str | None = None  # default low
    pain_factor: str | None = None  # default low
    engagement: str | None = None  # explicit high|low wins over interaction pairs
    potential: str | None = None  # explicit high|low wins over wallet share / fit
    prospect_fit: str | None = None  # ideal | lead
    engagement_pairs: int = 0  # distinct (colleague, contact) pairs in the engagement window
    id: int | None = None  # storage id, carried through untouched


@dataclass(frozen=True, slots=True)
class Assessment:
    """The verdict on one account, with reasons a person can read."""

    name: str
    tier: Tier
    grade: Grade | None  # None for prospects
    score: int | None
    quadrant: Quadrant
    ratings: dict[str, str | None]  # revenue, wallet_share, profitability, strategic_value, pain_factor
    flags: list[str] = field(default_factory=list)  # laggard, shed, ...
    reasons: list[str] = field(default_factory=list)
    next_step: str | None = None
    treatment: str = ""
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("id")
        return data
