"""Portfolio pictures as data: the engagement x potential quadrant chart and revenue concentration.

Pure: accounts and thresholds in, coordinates out (no clock, no I/O, no plotting library); `bot.render.charts`
draws them and `to_facts()` / `from_facts()` carry them through JSON. Placement rules:
docs/rules.md#quadrant-chart-placement.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accounts.facts import ConcentrationChartFacts, QuadrantChartFacts
from accounts.thresholds import Thresholds

__all__ = [
    "MAX_AREA", "MAX_CURVE_POINTS", "MAX_DRAWN_POINTS", "MIN_AREA", "QUADRANT_TITLES", "REPORT_MAX_POINTS", "ChartAccount", "ConcentrationChart", "QuadrantChart",
    "QuadrantPoint", "concentration_chart", "format_pct", "quadrant_chart",
]  # fmt: skip

MIN_AREA = 12.0  # points^2: unknown or zero revenue
MAX_AREA = 2400.0  # points^2: the largest revenue of the chart
FACTS_VERSION = 1
MAX_DRAWN_POINTS = 10_000  # bubbles drawn by `/account chart quadrant` (the largest accounts by revenue)
REPORT_MAX_POINTS = 2_000  # bubbles in the weekly report's facts: ~200 KB per admin, not ~8 MB at 100,000
MAX_CURVE_POINTS = 2_000  # ranks kept in a concentration curve's facts (the plot is ~1,400 px wide)

# Quadrant -> (engagement high, potential high), and the titles drawn on the chart.
_HALVES: dict[str, tuple[bool, bool]] = {
    "key": (True, True),
    "maintenance": (True, False),
    "growth": (False, True),
    "service": (False, False),
}
QUADRANT_TITLES: dict[str, str] = {
    "key": "Key",
    "maintenance": "Maintenance",
    "growth": "Growth Potential",
    "service": "Service",
}
_TIER_CODE = {"key": "k", "secondary": "s", "prospect": "p"}
_QUADRANT_CODE = {"key": "k", "maintenance": "m", "growth": "g", "service": "s"}
_TIER_OF = {v: k for k, v in _TIER_CODE.items()}
_QUADRANT_OF = {v: k for k, v in _QUADRANT_CODE.items()}


@dataclass(frozen=True, slots=True)
class ChartAccount:
    """What the charts need of one account: its measures, its explicit ratings and its assessment."""

    name: str
    tier: str  # key | secondary | prospect
    grade: str | None  # A | B | C, None for prospects
    annual_revenue: float | None
    engagement_pairs: int  # distinct colleague-contact pairs in the engagement window
    engagement: str | None  # explicit rating, if set
    potential: str | None  # explicit rating, if set
    wallet_share: float | None  # percent 0..100
    prospect_fit: str | None  # ideal | lead
    quadrant: str  # the assessment's quadrant: key | maintenance | growth | service


@dataclass(frozen=True, slots=True)
class QuadrantPoint:
    name: str
    x: float  # potential: wallet-share headroom 0..100
    y: float  # engagement: colleague-contact pairs (floor(y) == pairs when measured)
    area: float  # bubble area in points^2
    grade: str | None
    tier: str
    revenue: float | None
    quadrant: str
    labelled: bool
    estimated: bool = False  # True when a coordinate was placed by the rating, not the measure


@dataclass(frozen=True, slots=True)
class QuadrantChart:
    points: list[QuadrantPoint]
    x_cut: float
    y_cut: float
    x_max: float = 100.0
    y_max: float = 6.0
    x_min: float = 0.0
    y_min: float = 0.0
    window_days: int = 90
    all_counts: dict[str, int] | None = None  # accounts per quadrant when only the largest are drawn

    @property
    def capped(self) -> bool:
        """True when some accounts are counted but not drawn (only the largest by revenue are)."""
        return self.all_counts is not None

    @property
    def total(self) -> int:
        """Every account of the chart, drawn or not."""
        return sum(self.counts().values())

    def quadrant_at(self, x: float, y: float) -> str:
        """The quadrant a position lies in: engagement high when y >= y_cut, potential high when x > x_cut."""
        return _QUADRANT_BY_HALVES[(y >= self.y_cut, x > self.x_cut)]

    def counts(self) -> dict[str, int]:
        """Accounts per quadrant (all four keys, zeros included), drawn or not."""
        if self.all_counts is not None:
            return {q: int(self.all_counts.get(q, 0)) for q in _HALVES}
        out = dict.fromkeys(_HALVES, 0)
        for p in self.points:
            out[p.quadrant] += 1
        return out

    def to_facts(self) -> QuadrantChartFacts:
        """JSON-safe and compact: one list per field, codes for tier and quadrant, labelled/estimated as indices."""
        pts = self.points
        facts: QuadrantChartFacts = {
            "v": FACTS_VERSION,
            "x_cut": self.x_cut,
            "y_cut": self.y_cut,
            "x_min": self.x_min,
            "x_max": self.x_max,
            "y_min": self.y_min,
            "y_max": self.y_max,
            "window_days": self.window_days,
            "name": [p.name for p in pts],
            "x": [p.x for p in pts],
            "y": [p.y for p in pts],
            "area": [p.area for p in pts],
            "grade": [p.grade for p in pts],
            "tier": "".join(_TIER_CODE[p.tier] for p in pts),
            "revenue": [p.revenue for p in pts],
            "quadrant": "".join(_QUADRANT_CODE[p.quadrant] for p in pts),
            "labelled": [i for i, p in enumerate(pts) if p.labelled],
            "estimated": [i for i, p in enumerate(pts) if p.estimated],
        }
        if self.all_counts is not None:
            facts["all_counts"] = self.counts()
        return facts

    @classmethod
    def from_facts(cls, d: dict[str, Any]) -> QuadrantChart:
        if d.get("v") != FACTS_VERSION:
            raise ValueError(f"quadrant chart facts version {d.get('v')!r} is not {FACTS_VERSION}")
        labelled, estimated = set(d["labelled"]), set(d["estimated"])
        points = [
            QuadrantPoint(
                name=name,
                x=float(x),
                y=float(y),
                area=float(area),
                grade=grade,
                tier=_TIER_OF[tier],
                revenue=None if revenue is None else float(revenue),
                quadrant=_QUADRANT_OF[quad],
                labelled=i in labelled,
                estimated=i in estimated,
            )
            for i, (name, x, y, area, grade, tier, revenue, quad) in enumerate(
                zip(
                    d["name"], d["x"], d["y"], d["area"], d["grade"], d["tier"], d["revenue"], d["quadrant"],
                    strict=True,
                )
            )
        ]  # fmt: skip
        return cls(
            points=points,
            x_cut=float(d["x_cut"]),
            y_cut=float(d["y_cut"]),
            x_min=float(d["x_min"]),
            x_max=float(d["x_max"]),
            y_min=float(d["y_min"]),
            y_max=float(d["y_max"]),
            window_days=int(d["window_days"]),
            all_counts=None
            if d.get("all_counts") is None
            else {q: int(d["all_counts"].get(q, 0)) for q in _HALVES},
        )


_QUADRANT_BY_HALVES = {halves: name for name, halves in _HALVES.items()}


def _jitter(name: str) -> tuple[float, float]:
    """Two numbers in [0, 1) drawn from the name: the same name always lands on the same spot."""
    digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest[:4], "big") / 2**32, int.from_bytes(digest[4:], "big") / 2**32


def _above(value: float, cut: float, inclusive: bool) -> float:
    """`value` rounded to 2 decimals, moved to the nearest 2-decimal number on the high side of `cut` if the
    rounding (or float arithmetic) pushed it across (high side: >= cut when inclusive, else > cut)."""
    r = round(value, 2)
    ok = (lambda v: v >= cut) if inclusive else (lambda v: v > cut)
    if ok(r):
        return r
    r = round(math.floor(cut * 100) / 100, 2)
    while not ok(r):
        r = round(r + 0.01, 2)
    return r


def _below(value: float, cut: float, inclusive: bool) -> float:
    """Like `_above` for the low side (<= cut when inclusive, else < cut)."""
    r = round(value, 2)
    ok = (lambda v: v <= cut) if inclusive else (lambda v: v < cut)
    if ok(r):
        return r
    r = round(math.ceil(cut * 100) / 100, 2)
    while not ok(r):
        r = round(r - 0.01, 2)
    return r


def _revenue(value: float | None) -> float:
    """Known positive revenue, else 0 (the rules treat zero, negative and missing revenue alike)."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        return 0.0
    return float(value)


def quadrant_chart(
    accounts: Sequence[ChartAccount], th: Thresholds, *, label_top: int = 10, max_points: int | None = None
) -> QuadrantChart:
    """The quadrant grid as coordinates: one point per account, in input order (docs/rules.md#quadrant-chart-placement);
    with `max_points`, only that many (the largest by revenue) are drawn and all are counted."""
    x_cut = 100.0 - float(th.wallet_share_medium_from)
    y_cut = float(th.engagement_pairs_high)
    x_min = min(0.0, x_cut)  # the left half [x_min, x_cut] is never empty: it includes its edge
    x_max = 100.0 if x_cut < 100 else x_cut + 10.0
    y_min = 0.0 if y_cut > 0 else y_cut - 1.0
    top_pairs = max((max(a.engagement_pairs, 0) for a in accounts), default=0)
    y_max = float(max(top_pairs + 1, 2 * y_cut, y_cut + 1))

    revenues = [_revenue(a.annual_revenue) for a in accounts]
    biggest = max(revenues, default=0.0)
    ranked = sorted(range(len(accounts)), key=lambda i: (-revenues[i], accounts[i].name))
    labelled = set(ranked[: max(label_top, 0)])
    for a in accounts:
        if a.quadrant not in _HALVES:
            raise ValueError(f"account {a.name!r}: {a.quadrant!r} is not a quadrant")
    all_counts = None
    drawn: Sequence[int] = range(len(accounts))
    if max_points is not None and len(accounts) > max(max_points, 0):
        all_counts = dict.fromkeys(_HALVES, 0)
        for a in accounts:
            all_counts[a.quadrant] += 1
        drawn = sorted(ranked[: max(max_points, 0)])

    points: list[QuadrantPoint] = []
    for i in drawn:
        a = accounts[i]
        eng_high, pot_high = _HALVES[a.quadrant]
        ux, uy = _jitter(a.name)
        estimated = False

        pairs = max(int(a.engagement_pairs), 0)
        if (pairs >= y_cut) == eng_high:
            y = pairs + 0.15 + 0.7 * uy
        else:
            lo, hi = (y_cut, y_max) if eng_high else (y_min, y_cut)
            y, estimated = lo + (hi - lo) * (0.25 + 0.5 * uy), True
        y = _above(y, y_cut, True) if eng_high else _below(y, y_cut, False)

        share = a.wallet_share
        measured_x = None if share is None or not math.isfinite(share) else 100.0 - float(share)
        if measured_x is not None and (measured_x > x_cut) == pot_high and x_min <= measured_x <= x_max:
            x = measured_x
        else:
            lo, hi = (x_cut, x_max) if pot_high else (x_min, x_cut)
            x, estimated = lo + (hi - lo) * (0.25 + 0.5 * ux), True
        x = _above(x, x_cut, False) if pot_high else _below(x, x_cut, True)

        revenue = revenues[i]
        area = MIN_AREA if biggest <= 0 else max(MIN_AREA, MAX_AREA * revenue / biggest)
        points.append(
            QuadrantPoint(
                name=a.name,
                x=x,
                y=y,
                area=round(area, 1),
                grade=a.grade,
                tier=a.tier,
                revenue=_shown_revenue(a.annual_revenue),
                quadrant=a.quadrant,
                labelled=i in labelled,
                estimated=estimated,
            )
        )
    return QuadrantChart(
        points=points,
        x_cut=x_cut,
        y_cut=y_cut,
        x_max=x_max,
        y_max=y_max,
        x_min=x_min,
        y_min=y_min,
        window_days=th.engagement_window_days,
        all_counts=all_counts,
    )


def _shown_revenue(value: float | None) -> float | None:
    """The revenue a point carries (rounded to cents): None when unknown or not a finite number, so the
    facts stay strict JSON (PostgreSQL refuses NaN and Infinity) and nothing reads "Largest bubble: inf"."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return round(float(value), 2)


def format_pct(value: float) -> str:
    """A percentage for people: whole numbers ("78%"), one decimal only near 0 and 100 ("0.4%", "99.6%"),
    kept off the ends, so a share that is not all (or nothing) never reads "100%" (or "0%")."""
    whole = round(value)
    if (whole == 0 and value > 0) or (whole == 100 and value < 100):
        return f"{min(max(round(value, 1), 0.1), 99.9):.1f}%"
    return f"{whole:.0f}%"


@dataclass(frozen=True, slots=True)
class ConcentrationChart:
    """Clients ranked by revenue (largest first): cumulative share of revenue after each rank, in percent.
    `ranks` None: `cumulative_share` has one entry per rank 1..n; else the curve is thinned (a chart read
    back from facts of a long curve) and `cumulative_share[i]` is the share of ranks 1..ranks[i]."""

    n: int
    total_revenue: float
    cumulative_share: list[float]  # percent of total revenue held by ranks 1..k, for k = 1..n (or `ranks`)
    key_count: int  # key-tier clients: the cut line
    key_share: float  # percent of total revenue held by the key tier
    ranks: list[int] | None = None

    def points(self) -> tuple[list[int], list[float]]:
        """(ranks, cumulative share at each): the curve as drawn."""
        if self.ranks is None:
            return list(range(1, self.n + 1)), list(self.cumulative_share)
        return list(self.ranks), list(self.cumulative_share)

    def share_at(self, rank: int) -> float:
        """Percent of revenue held by ranks 1..`rank` (1 <= rank <= n); exact at every kept rank, linear
        between kept ranks of a thinned curve."""
        if not 1 <= rank <= self.n:
            raise ValueError(f"rank {rank} is not between 1 and {self.n}")
        if self.ranks is None:
            return self.cumulative_share[rank - 1]
        i = bisect_left(self.ranks, rank)
        if i < len(self.ranks) and self.ranks[i] == rank:
            return self.cumulative_share[i]
        r0, s0 = (self.ranks[i - 1], self.cumulative_share[i - 1]) if i else (0, 0.0)
        r1, s1 = self.ranks[i], self.cumulative_share[i]
        return round(s0 + (s1 - s0) * (rank - r0) / (r1 - r0), 2)

    def marked_ranks(self) -> set[int]:
        """The ranks the headline and the alt text read: the top client, the key-tier cut, the top 10% and
        50%, and the last."""
        if self.n == 0:
            return set()
        out = {1, self.n} | {max(1, math.ceil(self.n * pct / 100)) for pct in (10, 50)}
        if self.key_count:
            out.add(self.key_count)
        return out

    @property
    def key_client_pct(self) -> float:
        """The key tier as a percent of all clients."""
        return 100.0 * self.key_count / self.n if self.n else 0.0

    @property
    def headline(self) -> str:
        if self.n == 0:
            return "no clients yet"
        if self.total_revenue <= 0:
            return f"no revenue recorded yet for {self.n} client{'s' if self.n != 1 else ''}"
        if self.key_count == 0:
            return f"no key-tier clients yet; the top client = {format_pct(self.share_at(1))} of revenue"
        if self.key_count == self.n:  # not "top 100% of clients = 100% of revenue"
            if self.n == 1:
                return "the only client is key tier, with 100% of revenue"
            return f"all {self.n:,} clients are key tier, with 100% of revenue"
        return f"top {format_pct(self.key_client_pct)} of clients = {format_pct(self.key_share)} of revenue"

    def to_facts(self) -> ConcentrationChartFacts:
        """JSON-safe; a curve of more than MAX_CURVE_POINTS ranks is thinned to about that many (keeping
        `marked_ranks()`), so a 100,000-client workspace does not write 100,000 shares per report."""
        ranks, shares = self.points()
        thinned = self.ranks is not None
        if len(ranks) > MAX_CURVE_POINTS:
            step = math.ceil(self.n / MAX_CURVE_POINTS)
            keep = sorted(set(range(step, self.n + 1, step)) | self.marked_ranks())
            ranks, shares, thinned = keep, [self.share_at(r) for r in keep], True
        facts: ConcentrationChartFacts = {
            "v": FACTS_VERSION,
            "n": self.n,
            "total_revenue": self.total_revenue,
            "cumulative_share": shares,
            "key_count": self.key_count,
            "key_share": self.key_share,
        }
        if thinned:
            facts["ranks"] = ranks
        return facts

    @classmethod
    def from_facts(cls, d: dict[str, Any]) -> ConcentrationChart:
        if d.get("v") != FACTS_VERSION:
            raise ValueError(f"concentration chart facts version {d.get('v')!r} is not {FACTS_VERSION}")
        shares = [float(s) for s in d["cumulative_share"]]
        n = int(d["n"])
        ranks = None if d.get("ranks") is None else [int(r) for r in d["ranks"]]
        if ranks is None and len(shares) != n:
            raise ValueError("concentration chart facts: cumulative_share does not have n entries")
        if ranks is not None and (
            len(ranks) != len(shares)
            or ranks != sorted(set(ranks))
            or (ranks and (ranks[0] < 1 or ranks[-1] != n))
        ):
            raise ValueError("concentration chart facts: ranks must rise from 1 to n, one per share")
        return cls(
            n=n,
            total_revenue=float(d["total_revenue"]),
            cumulative_share=shares,
            key_count=int(d["key_count"]),
            key_share=float(d["key_share"]),
            ranks=ranks,
        )


def concentration_chart(revenues: Sequence[float | None], key_count: int) -> ConcentrationChart:
    """Pareto data of the clients' revenue. None, zero, negative and non-finite revenue count as 0;
    `key_count` (key-tier clients) is clamped to 0..n."""
    values = sorted((_revenue(r) for r in revenues), reverse=True)
    n = len(values)
    k = min(max(int(key_count), 0), n)
    total = math.fsum(values)
    cumulative: list[float] = []
    if total > 0:
        running = 0.0
        for v in values:
            running += v
            cumulative.append(min(round(100.0 * running / total, 2), 100.0))
        cumulative[-1] = 100.0
        key_share = round(100.0 * math.fsum(values[:k]) / total, 2)
    else:
        cumulative = [0.0] * n
        key_share = 0.0
    return ConcentrationChart(
        n=n, total_revenue=total, cumulative_share=cumulative, key_count=k, key_share=key_share
    )
