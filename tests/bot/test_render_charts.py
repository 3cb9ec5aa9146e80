"""bot.render.charts: PNGs that decode at full size, quadrant titles, literal "$" names, non-overlapping labels."""

from __future__ import annotations

import threading
from io import BytesIO

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from accounts.charts import ChartAccount, QuadrantChart, concentration_chart, quadrant_chart
from accounts.quadrant import quadrant, rate_engagement, rate_potential
from accounts.thresholds import Thresholds
from bot.render.charts import (
    LABEL_GID,
    MAX_ALT_TEXT,
    concentration_alt_text,
    concentration_figure,
    concentration_png,
    quadrant_alt_text,
    quadrant_figure,
    quadrant_png,
)

TH = Thresholds()


def acc(
    name: str, pairs: int = 0, share: float | None = None, revenue: float | None = None, **kw: object
) -> ChartAccount:
    eng, _ = rate_engagement(None, pairs, TH)
    pot, _ = rate_potential(None, share, kw.get("prospect_fit"), TH)
    fields: dict = {
        "tier": "secondary",
        "grade": "B",
        "engagement": None,
        "potential": None,
        "prospect_fit": None,
    }
    fields.update(kw)
    return ChartAccount(
        name=name, annual_revenue=revenue, engagement_pairs=pairs, wallet_share=share,
        quadrant=quadrant(eng, pot)[0], **fields,
    )  # fmt: skip


def decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(BytesIO(png))
    image.load()
    return image


def texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def label_boxes(fig: Figure) -> list:
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in fig.findobj(Text) if t.get_gid() == LABEL_GID]


def portfolio(n: int) -> list[ChartAccount]:
    return [
        acc(
            f"Client {i:03d}", pairs=i % 7, share=(i * 37) % 100, revenue=1000.0 * (n - i), grade="ABC"[i % 3]
        )
        for i in range(n)
    ]


def test_quadrant_png_decodes_at_full_size() -> None:
    image = decode(quadrant_png(quadrant_chart(portfolio(40), TH), title="Portfolio"))
    assert image.width >= 1600 and image.height >= 1000
    assert len(image.getcolors(maxcolors=1_000_000) or []) > 50  # something was drawn, not a blank canvas


def test_quadrant_titles_sit_in_their_corners() -> None:
    fig = quadrant_figure(quadrant_chart(portfolio(12), TH), title="Portfolio")
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    frame = ax.get_window_extent(renderer)
    mid_x, mid_y = (frame.x0 + frame.x1) / 2, (frame.y0 + frame.y1) / 2
    where = {}
    for t in texts(fig):
        if t.get_gid() == "quadrant-title":
            box = t.get_window_extent(renderer)
            where[t.get_text().split("\n")[0]] = (box.x0 > mid_x, box.y0 > mid_y)
    assert where == {
        "Key": (True, True),
        "Maintenance": (False, True),
        "Growth Potential": (True, False),
        "Service": (False, False),
    }
    labels = " ".join(t.get_text() for t in texts(fig))
    assert "Potential" in ax.get_xlabel() and "Engagement" in ax.get_ylabel()
    assert "Grade A" in labels and "Prospect" in labels


def test_empty_and_single_portfolios_render() -> None:
    empty = quadrant_chart([], TH)
    assert decode(quadrant_png(empty, title="Nobody")).size == (1600, 1000)
    assert "No accounts yet" in [t.get_text() for t in texts(quadrant_figure(empty, title="Nobody"))]
    single = quadrant_chart([acc("Solo", pairs=4, share=20.0, revenue=5.0)], TH)
    fig = quadrant_figure(single, title="One")
    assert [t.get_text() for t in fig.findobj(Text) if t.get_gid() == LABEL_GID] == ["Solo"]
    assert decode(quadrant_png(single, title="One")).size == (1600, 1000)
    for chart in (
        concentration_chart([], 0),
        concentration_chart([5.0], 1),
        concentration_chart([0.0, None], 0),
    ):
        assert decode(concentration_png(chart, title="Concentration")).size == (1600, 1000)
    shown = [t.get_text() for t in texts(concentration_figure(concentration_chart([], 0), title="C"))]
    assert "No clients yet" in shown
    shown = [t.get_text() for t in texts(concentration_figure(concentration_chart([0.0], 0), title="C"))]
    assert "No revenue recorded yet" in shown


def test_dollar_names_render_literally() -> None:
    names = ["$x$", r"$\frac{1}{0}$ Corp", "Price $5 & $6", "50% $ ^_^ {braces}"]
    chart = quadrant_chart(
        [acc(n, pairs=i, share=10.0 * i, revenue=100.0 + i) for i, n in enumerate(names)], TH
    )
    fig = quadrant_figure(chart, title="Team $a$")
    drawn = [t.get_text() for t in fig.findobj(Text) if t.get_gid() == LABEL_GID]
    assert sorted(drawn) == sorted(names)
    assert all(not t.get_parse_math() for t in fig.findobj(Text) if t.get_gid() == LABEL_GID)
    assert decode(quadrant_png(chart, title="Team $a$")).width >= 1600
    assert decode(concentration_png(concentration_chart([1.0, 2.0], 1), title="$\\alpha$ team")).width >= 1600


def _overlapping(boxes: list) -> list:
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]


def test_labels_never_overlap_even_when_bubbles_stack() -> None:
    # Thirty accounts on almost the same spot, all to be labelled: some names must give way.
    crowd = [acc(f"Crowded account number {i}", pairs=4, share=20.0, revenue=1000.0 + i) for i in range(30)]
    fig = quadrant_figure(quadrant_chart(crowd, TH, label_top=30), title="Crowd")
    boxes = label_boxes(fig)
    assert 1 <= len(boxes) < 30
    assert not _overlapping(boxes)


def test_spread_out_accounts_are_all_labelled_without_overlap() -> None:
    chart = quadrant_chart(portfolio(200), TH)
    fig = quadrant_figure(chart, title="Spread")
    boxes = label_boxes(fig)
    assert len(boxes) >= 8  # ten to place on a large canvas: nearly all find room
    assert not _overlapping(boxes)
    renderer = fig.canvas.get_renderer()
    titles = [t.get_window_extent(renderer) for t in fig.findobj(Text) if t.get_gid() == "quadrant-title"]
    assert len(titles) == 4 and not [b for b in boxes for t in titles if b.overlaps(t)]
    frame = fig.axes[0].get_window_extent(fig.canvas.get_renderer())
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1 for b in boxes)


def test_the_overlap_check_itself_detects_overlap() -> None:
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for _ in range(2):
        ax.text(0.5, 0.5, "same spot", gid=LABEL_GID)
    assert _overlapping(label_boxes(fig))


def test_facts_round_trip_draws_the_same_picture() -> None:
    chart = quadrant_chart(portfolio(25), TH)
    again = QuadrantChart.from_facts(chart.to_facts())
    assert quadrant_png(chart, title="T") == quadrant_png(again, title="T")


def test_charts_can_be_drawn_from_several_threads() -> None:
    chart = quadrant_chart(portfolio(60), TH)
    expected = quadrant_png(chart, title="Threads")
    results: list[bytes] = []

    def draw() -> None:
        results.append(quadrant_png(chart, title="Threads"))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r == expected for r in results)


def test_alt_text_is_plain_and_short() -> None:
    chart = quadrant_chart([acc("Acme " * 80, pairs=5, share=10.0, revenue=1e9)] + portfolio(300), TH)
    text = quadrant_alt_text(chart, "Portfolio of the team")
    assert len(text) <= MAX_ALT_TEXT and text.startswith(
        "Portfolio of the team. Bubble chart of 301 accounts"
    )
    assert "Key (top right)" in text and "Service (bottom left)" in text and "Largest: Acme" in text
    assert "No accounts" not in text and text.endswith(".") and ",." not in text
    assert "no accounts yet" in quadrant_alt_text(quadrant_chart([], TH), "Empty")
    conc = concentration_alt_text(concentration_chart([70, 10, 10, 10], 1), "Revenue")
    assert "top 25% of clients = 70% of revenue" in conc and len(conc) <= MAX_ALT_TEXT
    assert "no clients yet" in concentration_alt_text(concentration_chart([], 0), "Revenue")
    long_title = concentration_alt_text(concentration_chart([1.0] * 5, 2), "T" * 5000)
    assert len(long_title) <= MAX_ALT_TEXT


@pytest.mark.parametrize("n", [10_000])
def test_ten_thousand_accounts_render(n: int) -> None:
    chart = quadrant_chart(portfolio(n), TH)
    assert decode(quadrant_png(chart, title="Big")).size == (1600, 1000)
    revenues = [p.revenue for p in chart.points]
    assert decode(concentration_png(concentration_chart(revenues, n // 4), title="Big")).size == (1600, 1000)


# --- review: what the demo pictures showed --------------------------------------------------------------


def _subtitle_and_title(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.texts]  # figure-level texts: the title and the subtitle


def test_no_bubble_is_drawn_below_the_zero_pairs_line() -> None:
    """A point with 0 pairs sits in the band [0.15, 0.85]; the axis used to start below 0 with the "0" tick
    at the band's middle, so half of those bubbles read as negative engagement."""
    chart = quadrant_chart(portfolio(40), TH)
    ax = quadrant_figure(chart, title="Bands").axes[0]
    bottom, top = ax.get_ylim()
    assert bottom == chart.y_min == 0.0 and top >= chart.y_max
    # every tick label names the band it sits in: p at p + 0.5, band edges p and p + 1 drawn as grid lines
    ticks = {
        round(t - 0.5, 6): label.get_text()
        for t, label in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
    }
    assert all(str(int(k)) == v for k, v in ticks.items())
    edges = [line.get_ydata()[0] for line in ax.get_lines() if line.get_gid() == "pair-band"]
    assert 0.0 not in edges and 1.0 in edges and 2.0 in edges


def test_title_and_subtitle_do_not_repeat_the_count() -> None:
    fig = quadrant_figure(quadrant_chart(portfolio(60), TH), title="Portfolio quadrant: all accounts (60)")
    title, subtitle = _subtitle_and_title(fig)
    assert "60" not in subtitle and "bubble area" in subtitle.lower()
    pareto = concentration_chart([float(i) for i in range(1, 51)], 13)
    fig = concentration_figure(pareto, title="Revenue concentration (50 clients)")
    shown = [t.get_text() for t in texts(fig)]
    assert sum(pareto.headline.lower() in s.lower() for s in shown) == 1, shown  # once, in the marked box
    assert "50" not in _subtitle_and_title(fig)[1]


def test_labels_keep_to_their_side_of_the_quadrant_lines() -> None:
    """A name whose first place is taken by a bigger neighbour used to be put across the dashed line, into
    the next quadrant; it now takes a place on its own side when there is one."""
    accounts = [
        acc("Orion Aerospace", pairs=8, share=40.0, revenue=2e6, grade="A"),
        acc("Northwind Health Systems", pairs=8, share=35.0, revenue=4.8e6, grade="A"),
        acc("Jaguar Robotics", pairs=7, share=45.0, revenue=3e6, grade="A"),
    ]
    chart = quadrant_chart(accounts, TH)
    fig = quadrant_figure(chart, title="Dividers")
    ax = fig.axes[0]
    cut_x, cut_y = ax.transData.transform((chart.x_cut, chart.y_cut))
    boxes = label_boxes(fig)
    assert len(boxes) == 3
    crossing = [b for b in boxes if b.x0 < cut_x < b.x1 or b.y0 < cut_y < b.y1]
    assert crossing == []


def test_a_capped_chart_says_how_many_are_drawn() -> None:
    chart = quadrant_chart(portfolio(3_000), TH, max_points=500)
    fig = quadrant_figure(chart, title="Portfolio quadrant: all accounts (3,000)")
    subtitle = _subtitle_and_title(fig)[1]
    assert "500 largest" in subtitle and "3,000" in subtitle
    renderer = fig.canvas.get_renderer()
    assert all(
        t.get_window_extent(renderer).x1 <= fig.bbox.x1 for t in fig.texts
    )  # not cut at the right edge
    titles = {
        t.get_text().split("\n")[0]: t.get_text() for t in texts(fig) if t.get_gid() == "quadrant-title"
    }
    assert sum(int(v.split("\n")[1].split()[0].replace(",", "")) for v in titles.values()) == 3_000
    alt = quadrant_alt_text(chart, "Portfolio")
    assert "the 500 largest of 3,000 accounts" in alt


def test_infinite_revenue_does_not_reach_the_legend() -> None:
    chart = quadrant_chart(
        [acc("Inf", pairs=3, share=10.0, revenue=float("inf")), acc("Ok", revenue=10.0)], TH
    )
    (note,) = [
        t.get_text() for t in texts(quadrant_figure(chart, title="Inf")) if "Largest bubble" in t.get_text()
    ]
    assert note.endswith("Largest bubble: 10")  # not "inf"


def test_a_thinned_curve_draws_and_describes_like_the_full_one() -> None:
    from accounts.charts import ConcentrationChart

    full = concentration_chart([float((i * 7919) % 100_003) for i in range(50_000)], 12_500)
    thin = ConcentrationChart.from_facts(full.to_facts())
    assert thin.ranks is not None
    assert concentration_alt_text(thin, "C") == concentration_alt_text(full, "C")
    assert decode(concentration_png(thin, title="C")).size == (1600, 1000)


def test_characters_the_font_lacks_are_left_out_not_drawn_as_boxes(recwarn: pytest.WarningsRecorder) -> None:
    names = ["Rocket 🚀 Ltd", "שלום Trading", "🚀🚀", "Café Zürich"]
    chart = quadrant_chart(
        [acc(n, pairs=i, share=20.0 * i, revenue=10.0 + i) for i, n in enumerate(names)], TH
    )
    fig = quadrant_figure(chart, title="Team 🚀 portfolio")
    drawn = sorted(t.get_text() for t in fig.findobj(Text) if t.get_gid() == LABEL_GID)
    assert drawn == ["Café Zürich", "Rocket Ltd", "שלום Trading"]  # a name of emoji only gets no label
    assert "Team portfolio" in [t.get_text() for t in fig.texts]
    quadrant_png(chart, title="Team 🚀 portfolio")
    assert not [w for w in recwarn.list if "missing from font" in str(w.message)]
    assert "Rocket 🚀 Ltd" in quadrant_alt_text(
        chart, "T"
    )  # screen readers read emoji: the alt text keeps them


def test_concentration_without_clients_says_clients() -> None:
    shown = [t.get_text() for t in texts(concentration_figure(concentration_chart([], 0), title="C"))]
    assert (
        "No clients yet" in shown and "No accounts yet" not in shown
    )  # prospects may exist: they are not clients


def test_many_pairs_get_plain_ticks_not_band_lines_at_odd_places() -> None:
    chart = quadrant_chart([acc("Busy", pairs=300, share=10.0, revenue=5.0), acc("Quiet", revenue=1.0)], TH)
    ax = quadrant_figure(chart, title="Busy").axes[0]
    assert not [line for line in ax.get_lines() if line.get_gid() == "pair-band"]
    labels = [label.get_text() for label in ax.get_yticklabels()]
    assert 3 <= len(labels) <= 15 and labels[0] == "0"
