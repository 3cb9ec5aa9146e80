"""The weekly portfolio report (outbox kind `portfolio_report`): a five-line summary message, and the two
chart images the relay uploads into the same DM after it.

Pure: facts (accounts.facts.PortfolioReportFacts, written by jobs.portfolio_report) in; a Message, or
the PNGs, out.
"""

from __future__ import annotations

from accounts.charts import ConcentrationChart, QuadrantChart
from accounts.facts import MoveFacts, PortfolioReportFacts
from bot.render.blocks import Message, context, name, section, truncate, user_text
from bot.uploads import Png

MAX_MOVES_SHOWN = 8
TIER_WORDS = (("key", "key"), ("secondary", "secondary"), ("prospect", "prospects"))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _class(tier: object, grade: object) -> str:
    tier_text = user_text(tier or "unclassified")
    return f"{tier_text} {user_text(grade)}" if grade else tier_text


def _move(m: MoveFacts) -> str:
    # one line, shortened, escaped: a 10,000-character name must not eat the section's 3,000 characters
    shown = f"*{name(str(m.get('account') or '?'))}*"
    return f"{shown} ({_class(m.get('old_tier'), m.get('old_grade'))} → {_class(m.get('new_tier'), m.get('new_grade'))})"


def summary_lines(facts: PortfolioReportFacts) -> list[str]:
    """The five lines, mrkdwn: the headline, tier sizes, concentration, grade mix, moves of the last 7 days."""
    n = int(facts.get("accounts") or 0)
    week = user_text(facts.get("week") or "")
    tiers = facts.get("tiers") or {}
    grades = facts.get("grades") or {}
    concentration = facts.get("concentration") or {}
    moves = list(facts.get("moves") or [])
    total_moves = int(facts.get("moves_total") or len(moves))
    tier_text = " · ".join(f"{int(tiers.get(key, 0)):,} {word}" for key, word in TIER_WORDS)
    grade_text = " · ".join(f"{int(grades.get(g, 0)):,} {g}" for g in ("A", "B", "C"))
    if total_moves:
        shown = ", ".join(_move(m) for m in moves[:MAX_MOVES_SHOWN])
        more = total_moves - min(len(moves), MAX_MOVES_SHOWN)
        moved = f"{_plural(total_moves, 'account')} moved tier or grade: {shown}" + (
            f" and {more:,} more" if more > 0 else ""
        )
    else:
        moved = "no account moved tier or grade"
    return [
        f":bar_chart: *Portfolio report, week {week}*: {_plural(n, 'account')}",
        f"*Tiers:* {tier_text}",
        f"*Concentration:* {user_text(concentration.get('headline') or 'no clients yet')}",
        f"*Grades:* {grade_text}",
        f"*Last 7 days:* {moved}",
    ]


def render_portfolio_report(facts: PortfolioReportFacts) -> Message:
    lines = summary_lines(facts)
    text = truncate(" / ".join(line.replace("*", "").removeprefix(":bar_chart: ") for line in lines), 3000)
    return Message(
        text=text,
        blocks=[
            section("\n".join(lines)),
            context("The quadrant and concentration charts follow as images."),
        ],
    )


def report_pngs(facts: PortfolioReportFacts, marker: str) -> list[Png]:
    """The two charts of a report, drawn from its facts. `marker` goes into both file names (the relay finds
    files it already shared by it)."""
    from bot.render.charts import (  # matplotlib: loaded only when a report is delivered
        concentration_alt_text,
        concentration_png,
        quadrant_alt_text,
        quadrant_png,
    )

    week = str(facts.get("week") or "")
    n = int(facts.get("accounts") or 0)
    quadrant = QuadrantChart.from_facts(dict(facts["quadrant_chart"]))
    concentration = ConcentrationChart.from_facts(dict(facts["concentration_chart"]))
    q_title = f"Portfolio quadrant, week {week} ({_plural(n, 'account')})"
    c_title = f"Revenue concentration, week {week} ({_plural(concentration.n, 'client')})"
    stem = f"portfolio-{week}{marker}"
    return [
        Png(
            f"{stem}quadrant.png",
            q_title,
            quadrant_alt_text(quadrant, q_title),
            quadrant_png(quadrant, title=q_title),
        ),
        Png(
            f"{stem}concentration.png",
            c_title,
            concentration_alt_text(concentration, c_title),
            concentration_png(concentration, title=c_title),
        ),
    ]
