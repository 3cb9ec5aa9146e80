"""The response-rate chart (bot.render.outcomes_chart): one bar per week of sending, a PNG of the stated size,
alt text in words, and an empty chart that says so."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from matplotlib.image import imread

from accounts.outcomes import WeekRate
from bot.render.outcomes_chart import (
    HEIGHT_PX,
    WIDTH_PX,
    response_rate_alt_text,
    response_rate_figure,
    response_rate_png,
)

WEEKS = [
    WeekRate("2026-W45", date(2026, 11, 2), 10, 6, 10),
    WeekRate("2026-W46", date(2026, 11, 9), 0, 0, 0),
    WeekRate("2026-W47", date(2026, 11, 16), 8, 2, 8),
    WeekRate("2026-W48", date(2026, 11, 23), 5, 1, 1),
]


def test_one_bar_per_week_with_its_rate() -> None:
    fig = response_rate_figure(WEEKS, title="Do nudges work?", within_days=7)
    ax = fig.axes[0]
    heights = [round(p.get_height()) for p in ax.patches]
    assert heights == [60, 0, 25, 100]
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["6/10", "no nudges", "2/8", "1/1"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [w.week for w in WEEKS]


def test_png_size_and_alt_text() -> None:
    png = response_rate_png(WEEKS)
    assert imread(BytesIO(png)).shape[:2] == (HEIGHT_PX, WIDTH_PX)
    assert response_rate_alt_text(WEEKS) == (
        "Response rate per week (a touch within 7 days): 2026-W45 60%, 2026-W47 25%, 2026-W48 100%."
    )


def test_no_weeks() -> None:
    fig = response_rate_figure([], title="t", within_days=7)
    assert [t.get_text() for t in fig.axes[0].texts] == ["No nudges sent yet"]
    assert response_rate_alt_text([]) == "Response rate per week: no decided nudges yet."
