"""The demo's "Portfolio pictures": both portfolio charts of the sample workspace, drawn by the same code
the bot uploads to Slack (storage.reads.charts -> accounts.charts -> bot.render.charts), written as PNG files into
the demo's output folder (`accountbot demo --out DIR`, default demo-output/), with their paths printed."""

from __future__ import annotations

from pathlib import Path

from accountbot.demo import DemoContext
from accounts.charts import MAX_DRAWN_POINTS, concentration_chart, quadrant_chart
from storage.reads.charts import chart_accounts, concentration_inputs

QUADRANT_FILE = "quadrant.png"
CONCENTRATION_FILE = "concentration.png"


def write_charts(ctx: DemoContext) -> list[Path]:
    """Write quadrant.png and concentration.png into ctx.out_dir (created if missing); returns the paths."""
    from bot.render.charts import concentration_png, quadrant_png  # matplotlib only when drawing

    if ctx.out_dir is None:
        ctx.console.print("No output folder given; no chart files written.", style="dim")
        return []
    with ctx.sessions.begin() as session:
        accounts = chart_accounts(session, ctx.team_id, ctx.now, ctx.thresholds)
    quadrant = quadrant_chart(accounts, ctx.thresholds, max_points=MAX_DRAWN_POINTS)
    revenues, key_count = concentration_inputs(accounts)
    pareto = concentration_chart(revenues, key_count)
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, content in (
        (
            QUADRANT_FILE,
            quadrant_png(quadrant, title=f"Portfolio quadrant: demo workspace ({len(accounts)} accounts)"),
        ),
        (CONCENTRATION_FILE, concentration_png(pareto, title=f"Revenue concentration ({pareto.n} clients)")),
    ):
        path = ctx.out_dir / filename
        path.write_bytes(content)
        written.append(path)
    counts = ", ".join(f"{n} {q}" for q, n in quadrant.counts().items())
    ctx.console.print(f"Quadrant (engagement x potential): {counts}.", highlight=False)
    ctx.console.print(f"Concentration: {pareto.headline}.", highlight=False)
    for path in written:
        ctx.console.print(f"Wrote {path}", markup=False, highlight=False)
    return written


def section(ctx: DemoContext) -> None:
    write_charts(ctx)
