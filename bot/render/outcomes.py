"""Do nudges work? The admins' App Home section from an accounts.outcomes.OutcomeReport: nudges sent, the share
a touch followed within the window, the median days to that touch, per reason and per owner, the accounts
ignored longest and the response rate per week (docs/nudges.md#escalation-and-outcomes).

Pure text (no plotting: the chart is drawn by bot.render.outcomes_chart, for the CLI's --chart).
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from accounts.outcomes import Outcome, OutcomeReport
from bot.render.blocks import chunk_lines, context, name, person

REASON_TITLES = {
    "stale": "Overdue for a touch",
    "single_point_of_failure": "Single point of failure",
    "checkup_due": "Check-up due",
    "sponsor_missing": "Sponsor missing",
    "revenue_drop": "Revenue dropping",
}
OWNER_LIMIT = 5
IGNORED_LIMIT = 3
WEEKS_SHOWN = 8


def share_text(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value * 100):d}%"


def median_text(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "1 day" if round(value, 1) == 1 else f"{value:.1f} days"


def figures(o: Outcome) -> str:
    """ "12 sent, 58% followed, median 1.5 days" (the share of the decided ones; pending ones waiting)."""
    text = f"{o.sent} sent, {share_text(o.share_followed)} followed, median {median_text(o.median_days)}"
    return text + (f" ({o.pending} still within the window)" if o.pending else "")


def reason_title(reason: str) -> str:
    return REASON_TITLES.get(reason, name(reason))


def outcome_blocks(report: OutcomeReport) -> list[Block]:
    """The section's blocks (at most 4): headline and reasons, owners and the accounts ignored longest, weeks."""
    days = report.within_days
    window = max(1, round((report.now - report.since).total_seconds() / 86400))
    title = f"*:bar_chart: For admins: do nudges work?* (last {window} days)"
    total = report.total
    if total.sent == 0:
        return chunk_lines([title, "No nudge was delivered in that time."], 1)
    lines = [
        title,
        f"{total.sent} nudges sent; a touch followed *{share_text(total.share_followed)}* of them within {days} "
        f"days, after a median of *{median_text(total.median_days)}*"
        + (f"; {report.escalations} escalated" if report.escalations else "")
        + ".",
    ]
    lines += [f"• {reason_title(o.key)}: {figures(o)}" for o in report.reasons]
    lines.append("*By owner*")
    lines += [f"• {person(o.key)}: {figures(o)}" for o in report.owners[:OWNER_LIMIT]]
    if len(report.owners) > OWNER_LIMIT:
        lines.append(f"_and {len(report.owners) - OWNER_LIMIT} more: `accountbot report nudges`_")
    ignored = total.ignored_longest[:IGNORED_LIMIT]
    if ignored:
        lines.append("*Ignored longest*")
        lines += [
            f"• *{name(i.account)}* ({person(i.owner)}): {i.days} days, {i.nudges} nudge{'s' if i.nudges != 1 else ''}"
            for i in ignored
        ]
    weeks = [w for w in report.weeks if w.sent][-WEEKS_SHOWN:]
    if weeks:
        lines.append(
            "*Response rate per week:* " + " · ".join(f"{w.week[5:]} {share_text(w.rate)}" for w in weeks)
        )
    blocks = chunk_lines(lines, 3)
    blocks.append(context("The chart and every figure: `accountbot report nudges --chart FILE.png`."))
    return blocks
