"""The response rate per week as a PNG (`accountbot report nudges --chart FILE.png`): one bar per ISO week of
sending, the share of its decided nudges a touch followed within the window, with each week's counts.

Drawn like bot.render.charts (own Figure and Agg canvas, never pyplot; no mathtext), from
accounts.outcomes.WeekRate. matplotlib is imported here only: the bot and the CLI load it when a chart is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from accounts.outcomes import WeekRate

DPI = 100
WIDTH_PX, HEIGHT_PX = 1600, 900
BAR = "#0072B2"  # Okabe-Ito blue, as the other charts
EMPTY = "#999999"
INK = "#222222"
_PLAIN: dict[str, Any] = {"parse_math": False, "usetex": False}


def response_rate_figure(weeks: Sequence[WeekRate], *, title: str, within_days: int) -> Figure:
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    fig.text(0.06, 0.95, title, fontsize=22, fontweight="bold", color=INK, va="bottom", **_PLAIN)
    fig.text(
        0.06, 0.915, f"Share of each week's nudges followed by a touch within {within_days} days "
        "(nudges still within the window not counted yet)", fontsize=14, color=INK, va="bottom", **_PLAIN,
    )  # fmt: skip
    ax = fig.add_axes((0.06, 0.12, 0.9, 0.76))
    ax.set_ylim(0, 110)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}%"))
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_ylabel("Followed by a touch", fontsize=13, **_PLAIN)
    ax.grid(True, axis="y", color="#dddddd", lw=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not weeks:
        ax.set_xticks([])
        ax.text(0.5, 0.5, "No nudges sent yet", transform=ax.transAxes, ha="center", va="center", fontsize=24,
                color=EMPTY, **_PLAIN)  # fmt: skip
        return fig
    xs = list(range(len(weeks)))
    rates = [0.0 if w.rate is None else w.rate * 100 for w in weeks]
    colours = [BAR if w.rate is not None else EMPTY for w in weeks]
    ax.bar(xs, rates, color=colours, width=0.7)
    step = max(1, len(weeks) // 26)  # at most about 26 labels
    ax.set_xticks(xs[::step], [w.week for w in weeks][::step], rotation=45 if len(weeks) > 12 else 0, ha="right"
                  if len(weeks) > 12 else "center", fontsize=11, **_PLAIN)  # fmt: skip
    if len(weeks) <= 26:
        for x, w, rate in zip(xs, weeks, rates, strict=True):
            label = (
                "no nudges" if not w.sent else "pending" if w.rate is None else f"{w.followed}/{w.decided}"
            )
            ax.text(x, rate + 2, label, ha="center", va="bottom", fontsize=11, color=INK, **_PLAIN)
    return fig


def response_rate_png(
    weeks: Sequence[WeekRate], *, title: str = "Do nudges work?", within_days: int = 7
) -> bytes:
    """The chart as PNG bytes, 1600 x 900 px."""
    out = BytesIO()
    response_rate_figure(weeks, title=title, within_days=within_days).savefig(
        out, format="png", dpi=DPI, facecolor="white", metadata={"Software": None}
    )
    return out.getvalue()


def response_rate_alt_text(weeks: Sequence[WeekRate], within_days: int = 7) -> str:
    """What the chart shows, in words (for a screen reader or a terminal)."""
    decided = [w for w in weeks if w.rate is not None]
    if not decided:
        return "Response rate per week: no decided nudges yet."
    parts = [f"{w.week} {round((w.rate or 0) * 100)}%" for w in decided[-12:]]
    return f"Response rate per week (a touch within {within_days} days): " + ", ".join(parts) + "."
