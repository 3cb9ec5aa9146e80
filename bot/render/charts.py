"""Portfolio pictures as PNG: the engagement x potential quadrant (docs/rules.md#the-rules-at-a-glance) and
the revenue concentration curve, drawn from `accounts.charts` data, plus plain-language alt text.

Thread-safe (own Figure and Agg canvas per chart, never pyplot); user text is never mathtext or TeX. More
in docs/slack-commands.md#portfolio-charts.
"""

from __future__ import annotations

import functools
import math
from io import BytesIO
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import Bbox

from accounts.charts import QUADRANT_TITLES, ConcentrationChart, QuadrantChart, format_pct
from bot.render.blocks import number, percent, strip_controls, truncate

__all__ = [
    "HEIGHT_PX", "LABEL_GID", "MAX_ALT_TEXT", "WIDTH_PX", "concentration_alt_text", "concentration_figure",
    "concentration_png", "quadrant_alt_text", "quadrant_figure", "quadrant_png",
]  # fmt: skip

DPI = 100
WIDTH_PX, HEIGHT_PX = 1600, 1000
MAX_ALT_TEXT = 999
MAX_LABEL_CHARS = 40
LABEL_GID = "account-label"  # the gid of every account name drawn next to its bubble

# Okabe-Ito, the colour-blind-safe palette: grades by colour, prospects green diamonds.
GRADE_COLOURS = {"A": "#0072B2", "B": "#E69F00", "C": "#CC79A7"}
PROSPECT_COLOUR = "#009E73"
UNGRADED_COLOUR = "#999999"
INK = "#222222"
CUT_COLOUR = "#555555"
_PLAIN: dict[str, Any] = {"parse_math": False, "usetex": False}  # user text is never mathtext or TeX

# Where each quadrant's title sits: (engagement high, potential high) -> horizontal, vertical alignment.
_CORNERS = {
    "key": ("right", "top"),
    "maintenance": ("left", "top"),
    "growth": ("right", "bottom"),
    "service": ("left", "bottom"),
}


def _figure() -> tuple[Figure, FigureCanvasAgg]:
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    return fig, FigureCanvasAgg(fig)


def _png(fig: Figure) -> bytes:
    out = BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return out.getvalue()


def _axis_percent() -> FuncFormatter:
    """Tick labels in whole percent ("40%"); a new one per figure (a formatter remembers its axis)."""
    return FuncFormatter(lambda v, _pos: f"{v:.0f}%")


def _plain(text: object, limit: int) -> str:
    """User text for a chart: one line, no control characters, at most `limit` characters."""
    return truncate(" ".join(strip_controls(text).split()), limit)


@functools.cache
def _font_chars() -> frozenset[int] | None:
    """The code points the charts' font can draw (matplotlib's default, DejaVu Sans, ships with it);
    None when it cannot be read (then nothing is filtered)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(font_manager.findfont(font_manager.FontProperties())).get_charmap())
    except Exception:  # pragma: no cover - a broken font install: draw as given
        return None


def _drawable(text: object, limit: int) -> str:
    """`_plain` text without the characters the font lacks (emoji, most CJK): they would be drawn as empty
    boxes, with a "Glyph missing" warning per chart. The alt text keeps them (screen readers read emoji)."""
    chars = _font_chars()
    line = strip_controls(text)
    if chars is not None:
        line = "".join(c for c in line if ord(c) in chars or c.isspace())
    return _plain(line, limit)


def _title(fig: Figure, title: str, subtitle: str | None = None) -> None:
    fig.text(
        0.06, 0.955, _drawable(title, 120), fontsize=22, fontweight="bold", color=INK, va="bottom", **_PLAIN
    )
    if subtitle:
        fig.text(0.06, 0.925, subtitle, fontsize=15, color=INK, va="bottom", **_PLAIN)


# --- quadrant -------------------------------------------------------------------------------------------


def quadrant_png(chart: QuadrantChart, *, title: str) -> bytes:
    """The engagement x potential bubble chart, 1600 x 1000 px."""
    return _png(quadrant_figure(chart, title=title))


def quadrant_figure(chart: QuadrantChart, *, title: str) -> Figure:
    fig, canvas = _figure()
    ax = fig.add_axes((0.06, 0.08, 0.74, 0.82))
    x_pad = (chart.x_max - chart.x_min) * 0.03
    ax.set_xlim(chart.x_min - x_pad, chart.x_max + x_pad)
    # The vertical axis is made of bands, one per pair count (a point with p pairs sits in [p, p + 1)): it
    # starts at the bottom of the lowest band, so no bubble ever looks below 0.
    ax.set_ylim(chart.y_min, chart.y_max)
    ax.axvline(chart.x_cut, color=CUT_COLOUR, lw=1.5, ls="--", zorder=1)
    ax.axhline(chart.y_cut, color=CUT_COLOUR, lw=1.5, ls="--", zorder=1)
    ax.set_xlabel(
        "Potential: wallet-share headroom, 100% minus our share of their spend  (high potential right of the line)",
        fontsize=13, **_PLAIN,
    )  # fmt: skip
    ax.set_ylabel(
        f"Engagement: colleague-contact pairs met in the last {chart.window_days} days  (high from the line up)",
        fontsize=13, **_PLAIN,
    )  # fmt: skip
    ax.xaxis.set_major_formatter(_axis_percent())
    _pair_ticks(ax, chart)
    ax.tick_params(labelsize=11)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    counts = chart.counts()
    _title(fig, title, _quadrant_subtitle(chart))
    occupied = _quadrant_titles(ax, chart, counts)
    if not chart.points:
        ax.text(0.5, 0.5, "No accounts yet", transform=ax.transAxes, ha="center", va="center", fontsize=24,
                color=CUT_COLOUR, zorder=5, bbox={"boxstyle": "round,pad=0.6", "fc": "white", "ec": CUT_COLOUR},
                **_PLAIN)  # fmt: skip
    else:
        _bubbles(ax, chart)
        renderer = canvas.get_renderer()
        occupied = [t.get_window_extent(renderer) for t in occupied]
        _place_labels(ax, chart, renderer, occupied)
    _quadrant_legend(ax, chart)
    return fig


def _quadrant_subtitle(chart: QuadrantChart) -> str:
    """What the title does not say (it already gives the count): how to read the bubbles, and how many of
    the accounts are drawn when only the largest are."""
    read = (
        "Engagement rises upwards, potential to the right; bubble area shows annual revenue, colour the grade"
    )
    if not chart.capped:
        return read + "."
    return f"The {len(chart.points):,} largest of {chart.total:,} accounts by revenue are drawn; the quadrant counts include all."


def _pair_ticks(ax: Axes, chart: QuadrantChart) -> None:
    """A point with p pairs sits in the band [p + 0.15, p + 0.85]: tick p at the band's middle (no tick
    mark), and a faint line at every band edge so a bubble reads as "in the band of p pairs"."""
    first, last = max(0, math.ceil(chart.y_min)), math.floor(chart.y_max)
    step = max(1, math.ceil((last - first + 1) / 14))
    ticks = list(range(first, last, step))
    ax.set_yticks([t + 0.5 for t in ticks], [str(t) for t in ticks])
    if step > 1:  # many pairs: the bands are too thin to draw, and a tick every `step` pairs reads plainly
        return
    ax.tick_params(axis="y", length=0)
    for edge in range(first + 1, last + 1):
        if edge != chart.y_cut:
            ax.axhline(edge, color="#eeeeee", lw=0.8, zorder=0, gid="pair-band")


def _quadrant_titles(ax: Axes, chart: QuadrantChart, counts: dict[str, int]) -> list:
    x_lo, x_hi = ax.get_xlim()
    y_lo, y_hi = ax.get_ylim()
    texts = []
    for quad, (ha, va) in _CORNERS.items():
        x = x_hi if ha == "right" else x_lo
        y = y_hi if va == "top" else y_lo
        offset = (-10 if ha == "right" else 10, -8 if va == "top" else 8)
        count = counts[quad]
        label = f"{QUADRANT_TITLES[quad]}\n{count:,} account{'s' if count != 1 else ''}"
        texts.append(
            ax.annotate(
                label, (x, y), xytext=offset, textcoords="offset points", ha=ha, va=va, fontsize=17,
                fontweight="bold", color="#444444", zorder=5, multialignment=ha, gid="quadrant-title",
                bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "none", "alpha": 0.85}, **_PLAIN,
            )
        )  # fmt: skip
    return texts


def _colours(chart: QuadrantChart) -> list[str]:
    return [
        PROSPECT_COLOUR if p.tier == "prospect" else GRADE_COLOURS.get(p.grade or "", UNGRADED_COLOUR)
        for p in chart.points
    ]


def _bubbles(ax: Axes, chart: QuadrantChart) -> None:
    """At most four scatter calls (clients/prospects x measured/estimated), whatever the number of points.
    Big bubbles are drawn first so small ones stay visible on top of them."""
    pts = chart.points
    order = sorted(range(len(pts)), key=lambda i: -pts[i].area)
    x = np.fromiter((pts[i].x for i in order), float, len(order))
    y = np.fromiter((pts[i].y for i in order), float, len(order))
    area = np.fromiter((pts[i].area for i in order), float, len(order))
    colours = np.array(_colours(chart), dtype=object)[order] if order else np.array([], dtype=object)
    prospect = np.fromiter((pts[i].tier == "prospect" for i in order), bool, len(order))
    estimated = np.fromiter((pts[i].estimated for i in order), bool, len(order))
    for is_prospect in (False, True):
        for is_estimated in (False, True):
            mask = (prospect == is_prospect) & (estimated == is_estimated)
            if not mask.any():
                continue
            ax.scatter(
                x[mask], y[mask], s=area[mask], c=list(colours[mask]), marker="D" if is_prospect else "o",
                alpha=0.72, edgecolors="#222222" if is_estimated else "white",
                linewidths=1.0 if is_estimated else 0.6, linestyles="--" if is_estimated else "-", zorder=3,
            )  # fmt: skip


def _quadrant_legend(ax: Axes, chart: QuadrantChart) -> None:
    def handle(colour: str, marker: str = "o", label: str = "", edge: str = "white") -> Line2D:
        return Line2D(
            [], [], ls="none", marker=marker, markersize=13, markerfacecolor=colour, markeredgecolor=edge,
            label=label, alpha=0.85, fillstyle="full",
        )  # fmt: skip

    handles = [handle(c, label=f"Grade {g}") for g, c in GRADE_COLOURS.items()]
    if any(p.tier != "prospect" and p.grade not in GRADE_COLOURS for p in chart.points):
        handles.append(handle(UNGRADED_COLOUR, label="No grade"))
    handles.append(handle(PROSPECT_COLOUR, "D", "Prospect"))
    handles.append(handle("white", label="Placed by its rating\n(not by the measure)", edge="#222222"))
    biggest = max((p.revenue or 0.0 for p in chart.points), default=0.0)
    legend = ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=12,
        title="Colour: grade", title_fontsize=13, labelspacing=1.1, alignment="left",
    )  # fmt: skip
    legend.get_title().set_fontweight("bold")
    note = "Bubble area: annual revenue\n(smallest size: none recorded)"
    if biggest > 0:
        note += f"\nLargest bubble: {number(biggest)}"
    ax.text(1.02, 0.35, note, transform=ax.transAxes, fontsize=12, va="top", color=INK, **_PLAIN)


def _offsets(radius: float, rings: tuple[float, ...] = (3, 14)) -> list[tuple[float, float, str, str]]:
    """Label positions to try around a bubble of `radius` points, nearest first: (dx, dy, ha, va)."""
    out = []
    for r in (radius + gap for gap in rings):
        d = r * 0.72
        out += [
            (r, 0, "left", "center"), (-r, 0, "right", "center"), (0, r, "center", "bottom"),
            (0, -r, "center", "top"), (d, d, "left", "bottom"), (-d, d, "right", "bottom"),
            (d, -d, "left", "top"), (-d, -d, "right", "top"),
        ]  # fmt: skip
    return out


def _place_labels(ax: Axes, chart: QuadrantChart, renderer: RendererBase, occupied: list[Bbox]) -> list[Bbox]:
    """Greedy: the largest accounts first; each name tries the positions of `_offsets` and takes the first
    whose text box (measured by the renderer) stays inside the axes and clear of every box placed before
    (quadrant titles included), preferring a place that does not cross a dashed quadrant line (a name
    across the line reads as belonging to the next quadrant); only when no such place is free may it
    cross. A name with no free position is left out. Returns the label boxes."""
    frame = ax.get_window_extent(renderer)
    cut_x, cut_y = ax.transData.transform((chart.x_cut, chart.y_cut))
    dividers = [
        Bbox.from_extents(cut_x - 1, frame.y0, cut_x + 1, frame.y1),
        Bbox.from_extents(frame.x0, cut_y - 1, frame.x1, cut_y + 1),
    ]
    placed: list[Bbox] = []
    labelled = sorted((p for p in chart.points if p.labelled), key=lambda p: (-(p.revenue or 0.0), p.name))
    # The labelled (largest) bubbles are obstacles too, except for their own name.
    px_per_pt = DPI / 72.0
    bubbles = []
    for p in labelled:
        cx, cy = ax.transData.transform((p.x, p.y))
        r = math.sqrt(p.area / math.pi) * px_per_pt * 0.9
        bubbles.append(Bbox.from_extents(cx - r, cy - r, cx + r, cy + r))
    for i, p in enumerate(labelled):
        name = _drawable(p.name, MAX_LABEL_CHARS)
        if not name:
            continue
        obstacles = occupied + bubbles[:i] + bubbles[i + 1 :]
        radius = math.sqrt(p.area / math.pi)
        near, far = _offsets(radius), _offsets(radius, (34,))
        # Near places on the bubble's side of the dashed lines, then far ones (with a leader line), and
        # only then places across a line.
        tries = [(o, dividers, False) for o in near] + [(o, dividers, True) for o in far]
        tries += [(o, [], False) for o in near] + [(o, [], True) for o in far]
        for (dx, dy, ha, va), lines, leader in tries:
            text = ax.annotate(
                name, (p.x, p.y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, fontsize=11,
                color=INK, zorder=6, gid=LABEL_GID, annotation_clip=False,
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.65}, **_PLAIN,
            )  # fmt: skip
            box = text.get_window_extent(renderer).padded(2)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in obstacles + lines):
                occupied.append(box)
                placed.append(box)
                if leader:  # a name set further off is tied to its bubble by a thin line
                    ax.annotate(
                        "", (p.x, p.y), xytext=(dx, dy), textcoords="offset points", zorder=5, gid="label-leader",
                        arrowprops={"arrowstyle": "-", "color": CUT_COLOUR, "lw": 0.8, "shrinkA": 0, "shrinkB": radius},
                    )  # fmt: skip
                break
            text.remove()
    return placed


# --- concentration --------------------------------------------------------------------------------------


def concentration_png(chart: ConcentrationChart, *, title: str) -> bytes:
    """The Pareto curve of revenue by client rank, 1600 x 1000 px."""
    return _png(concentration_figure(chart, title=title))


def _headline(chart: ConcentrationChart) -> str:
    text = chart.headline
    return text[:1].upper() + text[1:]


def concentration_figure(chart: ConcentrationChart, *, title: str) -> Figure:
    fig, _canvas = _figure()
    ax = fig.add_axes((0.07, 0.09, 0.88, 0.8))
    subtitle = None
    if chart.n and chart.total_revenue > 0:  # the headline is in the box on the curve, not repeated here
        subtitle = f"Clients ranked by annual revenue against their cumulative share; total revenue {number(chart.total_revenue)}"
    _title(fig, title, subtitle)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 105)
    ax.set_xlabel("Clients ranked by annual revenue, largest first (% of clients)", fontsize=13, **_PLAIN)
    ax.set_ylabel("Cumulative share of revenue (%)", fontsize=13, **_PLAIN)
    percent_ticks = _axis_percent()
    ax.xaxis.set_major_formatter(percent_ticks)
    ax.yaxis.set_major_formatter(percent_ticks)
    ax.tick_params(labelsize=11)
    ax.grid(True, color="#dddddd", lw=0.8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if chart.n == 0 or chart.total_revenue <= 0:
        message = "No clients yet" if chart.n == 0 else "No revenue recorded yet"  # prospects are not clients
        ax.text(50, 52, message, ha="center", va="center", fontsize=24, color=CUT_COLOUR, **_PLAIN)
        return fig

    n = chart.n
    ranks, shares = chart.points()
    x = np.concatenate(([0.0], np.asarray(ranks, dtype=float) * (100.0 / n)))
    y = np.concatenate(([0.0], np.asarray(shares, dtype=float)))
    ax.plot([0, 100], [0, 100], color="#999999", ls=":", lw=1.5, label="Even spread (every client the same)")
    ax.fill_between(x, y, color="#0072B2", alpha=0.12, lw=0)
    ax.plot(x, y, color="#0072B2", lw=2.8, marker="o" if len(ranks) <= 40 else None, markersize=6,
            label="Cumulative share of revenue")  # fmt: skip
    if chart.key_count:
        kx, ky = chart.key_client_pct, chart.key_share
        ax.axvline(kx, color="#D55E00", lw=2, ls="--",
                   label=f"Key tier: {chart.key_count} of {n} client{'s' if n != 1 else ''}")  # fmt: skip
        ax.plot([0, kx], [ky, ky], color="#D55E00", lw=1.2, ls=":")
        ax.plot([kx], [ky], marker="o", markersize=10, color="#D55E00", zorder=4)
        ax.annotate(
            _headline(chart), (kx, ky), xytext=(0.97, 0.22), textcoords="axes fraction", ha="right", va="center",
            fontsize=18, fontweight="bold", color=INK,
            bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "#D55E00"},
            arrowprops={"arrowstyle": "->", "color": "#D55E00", "lw": 1.5}, **_PLAIN,
        )  # fmt: skip
    else:
        ax.text(0.97, 0.22, _headline(chart), transform=ax.transAxes, ha="right", va="center", fontsize=18,
                fontweight="bold", color=INK, **_PLAIN)  # fmt: skip
    ax.legend(loc="center right", frameon=False, fontsize=12)
    return fig


# --- alt text -------------------------------------------------------------------------------------------


def _fit(parts: list[str], extra: list[str], limit: int = MAX_ALT_TEXT) -> str:
    """`parts` joined, then as many `extra` items as fit under `limit` characters."""
    text = " ".join(parts)
    if len(text) > limit:
        return truncate(text, limit)
    for i, item in enumerate(extra):
        if len(text) + 1 + len(item) > limit - len(" and more."):
            if i:
                text = text.rstrip(",") + " and more."
            break
        text += " " + item
    return text


def quadrant_alt_text(chart: QuadrantChart, title: str) -> str:
    """What the quadrant chart shows, in plain words, under 1000 characters."""
    head = _plain(title, 150).rstrip(".")
    n = len(chart.points)
    if n == 0 and not chart.total:
        return f"{head}. An empty engagement by potential chart: no accounts yet."
    counts = chart.counts()
    total = chart.total
    where = {
        "key": "top right",
        "maintenance": "top left",
        "growth": "bottom right",
        "service": "bottom left",
    }
    spread = "; ".join(f"{QUADRANT_TITLES[q]} ({where[q]}) {counts[q]}" for q in where)
    of = (
        f"the {n:,} largest of {total:,} accounts by revenue"
        if chart.capped
        else f"{n} account{'s' if n != 1 else ''}"
    )
    parts = [
        f"{head}. Bubble chart of {of}:",
        f"engagement (colleague-contact pairs met in the last {chart.window_days} days) rises upwards,",
        "potential (wallet-share headroom) rises to the right; bubble size shows annual revenue, colour the grade.",
        f"Accounts per quadrant: {spread}.",
        f"Dashed lines: engagement is high from {chart.y_cut:g} pairs up; potential is high right of"
        f" {percent(chart.x_cut)} headroom (our share below {percent(100 - chart.x_cut)}).",
    ]
    biggest = sorted((p for p in chart.points if p.labelled), key=lambda p: (-(p.revenue or 0.0), p.name))
    extra = []
    for i, p in enumerate(biggest):
        grade = "prospect" if p.tier == "prospect" else f"grade {p.grade}" if p.grade else "no grade"
        item = f"{_plain(p.name, 60)} ({QUADRANT_TITLES[p.quadrant]}, {grade})"
        extra.append(("Largest: " if i == 0 else "") + item + ("." if i == len(biggest) - 1 else ","))
    return _fit(parts, extra)


def concentration_alt_text(chart: ConcentrationChart, title: str) -> str:
    """What the concentration chart shows, in plain words, under 1000 characters."""
    head = _plain(title, 150).rstrip(".")
    if chart.n == 0:
        return f"{head}. An empty revenue concentration chart: no clients yet."
    if chart.total_revenue <= 0:
        return f"{head}. Revenue concentration of {chart.n} clients: {chart.headline}."
    n = chart.n
    parts = [
        f"{head}. Curve of the cumulative share of revenue over {n} client{'s' if n != 1 else ''} ranked from",
        f"the largest: {chart.headline}.",
    ]
    if chart.key_count:
        parts.append(f"A dashed line marks the key tier, {chart.key_count} of {n} clients.")
    for pct in (10, 50):
        rank = max(1, math.ceil(n * pct / 100))
        if rank < n:
            parts.append(
                f"The top {percent(pct)} of clients hold {format_pct(chart.share_at(rank))} of revenue."
            )
    return _fit(parts, [])
