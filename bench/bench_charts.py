"""Benchmark: the portfolio pictures (issue 6) for 10,000 synthetic accounts (fixed seed).

Prints one JSON line per figure. Each chart is timed from its inputs to PNG bytes: the pure data
(accounts.charts) plus the drawing (bot.render.charts). The baseline, in the same run, is a bare matplotlib
scatter of the same 10,000 points (one call, sizes and colours as arrays, default styling) saved as a PNG of
the same size, so the ratio says what the chart's extras (quadrants, labels placed without overlap, legend)
cost, whatever the machine. Target: at most 1 s per chart.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from io import BytesIO

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from accounts.charts import ChartAccount, concentration_chart, quadrant_chart
from accounts.quadrant import quadrant, rate_engagement, rate_potential
from accounts.thresholds import Thresholds
from bot.render.charts import concentration_png, quadrant_png

N = 10_000
SEED = 20261124
RUNS = 3
TH = Thresholds()


def accounts(seed: int = SEED) -> list[ChartAccount]:
    rnd = random.Random(seed)
    out = []
    for i in range(N):
        prospect = rnd.random() < 0.1
        pairs = rnd.randint(0, 8)
        share = None if rnd.random() < 0.2 else round(rnd.uniform(0, 100), 1)
        engagement = rnd.choice([None] * 9 + ["high", "low"])
        potential = rnd.choice([None] * 9 + ["high", "medium"])
        fit = rnd.choice([None, "ideal", "lead"]) if prospect else None
        eng, _ = rate_engagement(engagement, pairs, TH)
        pot, _ = rate_potential(potential, share, fit, TH)
        out.append(
            ChartAccount(
                name=f"Account {i:05d}",
                tier="prospect" if prospect else ("key" if rnd.random() < 0.25 else "secondary"),
                grade=None if prospect else rnd.choice("ABC"),
                annual_revenue=None if rnd.random() < 0.05 else round(rnd.lognormvariate(12, 1.6), 2),
                engagement_pairs=pairs,
                engagement=engagement,
                potential=potential,
                wallet_share=share,
                prospect_fit=fit,
                quadrant=quadrant(eng, pot)[0],
            )
        )
    return out


def timed(fn, *args) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - start, time.process_time() - cpu, result


def bare_scatter(xs: list[float], ys: list[float], sizes: list[float], colours: list[str]) -> bytes:
    fig = Figure(figsize=(16, 10), dpi=100)
    FigureCanvasAgg(fig)
    fig.add_subplot().scatter(xs, ys, s=sizes, c=colours)
    out = BytesIO()
    fig.savefig(out, format="png", dpi=100)
    return out.getvalue()


def quadrant_picture(accs: list[ChartAccount]) -> bytes:
    return quadrant_png(quadrant_chart(accs, TH), title="Portfolio: engagement x potential")


def concentration_picture(accs: list[ChartAccount]) -> bytes:
    clients = [a for a in accs if a.tier != "prospect"]
    chart = concentration_chart([a.annual_revenue for a in clients], sum(a.tier == "key" for a in clients))
    return concentration_png(chart, title="Revenue concentration")


def main() -> None:
    accs = accounts()
    chart = quadrant_chart(accs, TH)
    xs, ys = [p.x for p in chart.points], [p.y for p in chart.points]
    sizes = [p.area for p in chart.points]
    colours = ["#0072B2" if p.grade == "A" else "#E69F00" for p in chart.points]
    bare_scatter(xs, ys, sizes, colours)  # warm the font cache and the Agg backend before timing anything

    base, data, quad, quad_cpu, conc, conc_cpu = [], [], [], [], [], []
    for _ in range(RUNS):
        base.append(timed(bare_scatter, xs, ys, sizes, colours)[0])
        data.append(timed(quadrant_chart, accs, TH)[0])
        secs, cpu, png = timed(quadrant_picture, accs)
        assert isinstance(png, bytes) and png.startswith(b"\x89PNG")
        quad.append(secs)
        quad_cpu.append(cpu)
        secs, cpu, png = timed(concentration_picture, accs)
        assert isinstance(png, bytes) and png.startswith(b"\x89PNG")
        conc.append(secs)
        conc_cpu.append(cpu)
    baseline = statistics.median(base)

    def figure(name: str, times: list[float], **extra: object) -> dict[str, object]:
        value = statistics.median(times)
        return {"name": name, "value": round(value, 3), "unit": "s", **extra}

    figures = [
        figure("bare_scatter_png_10k_points", base),
        figure("quadrant_data_10k_accounts", data),
        figure(
            "quadrant_chart_png_10k_accounts",
            quad,
            baseline=round(baseline, 3),
            ratio=round(statistics.median(quad) / baseline, 2),
            target=1.0,
        ),
        figure("quadrant_chart_png_10k_accounts_cpu", quad_cpu, target=1.0),
        figure(
            "concentration_chart_png_10k_accounts",
            conc,
            baseline=round(baseline, 3),
            ratio=round(statistics.median(conc) / baseline, 2),
            target=1.0,
        ),
        figure("concentration_chart_png_10k_accounts_cpu", conc_cpu, target=1.0),
        {
            "name": "quadrant_facts_10k_accounts_json",
            "value": round(len(json.dumps(chart.to_facts())) / 1024, 1),
            "unit": "KiB",
        },
    ]
    for f in figures:
        print(json.dumps(f))


if __name__ == "__main__":
    main()
