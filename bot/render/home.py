"""App Home: the viewer's accounts by grade with overdue markers, the focus account, single points of failure.

A home view holds at most 100 blocks; accounts are packed several to a section and each group shows at most
GROUP_LIMIT of them, with "and N more" pointing at the matching `/account list` filter.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import Block, DividerBlock
from slack_sdk.models.views import View

from accounts.timing import Rhythm
from bot.render.blocks import button, chunk_lines, context, header, name, percent, person, section, user_text
from bot.render.ids import OPEN_GRADE
from bot.render.list import summary_line
from bot.render.outcomes import outcome_blocks
from bot.render.prefs import home_line, settings_button
from storage.reads.home import HomeData, SpofWarning

MAX_HOME_BLOCKS = 100
GROUP_LIMIT = 25
SPOF_LIMIT = 10
GROUP_TITLES = {"A": "Grade A", "B": "Grade B", "C": "Grade C", "prospect": "Prospects"}
GROUP_FILTERS = {"A": "a", "B": "b", "C": "c", "prospect": "prospects"}


def spof_text(w: SpofWarning) -> str:
    """Why an account hangs on too few people, and who could help (mrkdwn, names escaped)."""
    parts = []
    if "concentration" in w.reasons and w.contact:
        parts.append(f"{percent(w.share_percent)} of recent touches went through {name(w.contact)}")
    if "decision_makers" in w.reasons:
        n = w.decision_makers
        who = f" ({name(w.contact)})" if n == 1 and w.contact and "concentration" not in w.reasons else ""
        parts.append(f"{n} active decision maker{'s' if n != 1 else ''}{who}")
    text = "; ".join(parts)
    if w.colleague:
        text += f". {person(w.colleague)} has met someone else there"
    return text


def home_blocks(home: HomeData, now: datetime, rhythm: Rhythm | None = None) -> list[Block]:
    """`rhythm`: the viewer's digest rhythm (bot.render.prefs), shown next to the *Digest settings* button."""
    blocks: list[Block] = [header("Your key accounts")]
    overdue = sum(1 for g in home.groups.values() for r in g if r.overdue)
    blocks.append(
        context(f"{home.total} accounts · {overdue} overdue for a touch · as of {now:%Y-%m-%d %H:%M} UTC")
    )
    line = (
        home_line(rhythm, now.date())
        if rhythm is not None
        else "*:alarm_clock: Your digest:* when and how often it comes"
    )
    blocks.append(section(line, accessory=settings_button()))
    if home.dead_letters is not None:
        dead = home.dead_letters
        lines = [
            f"• *{user_text(r['reason'])}* ({r['count']}): {user_text(r['fix'])}" for r in dead["reasons"][:5]
        ]
        blocks.append(
            section(
                f"*:envelope_with_arrow: For admins: {dead['total']} message(s) could not be delivered in the last "
                "7 days*\n" + "\n".join(lines)
            )
        )
    if home.nudge_outcomes is not None:
        blocks.extend(outcome_blocks(home.nudge_outcomes))
    if home.focus is not None:
        blocks.append(
            section(
                "*:dart: This week's focus*\n" + summary_line(home.focus),
                accessory=button("Open grade", OPEN_GRADE, home.focus.name),
            )
        )
    else:
        blocks.append(
            section("*:dart: This week's focus*\nNothing pressing: none of your key accounts is overdue.")
        )
    if home.spof:
        lines = [f"• *{name(w.account.name)}*: {spof_text(w)}" for w in home.spof[:SPOF_LIMIT]]
        if len(home.spof) > SPOF_LIMIT:
            lines.append(f"_and {len(home.spof) - SPOF_LIMIT} more_")
        blocks.append(section("*:warning: Single points of failure*\n" + "\n".join(lines)))
    if not home.groups:
        blocks.append(
            section(
                "You own no accounts yet. `/account list` shows everyone's; "
                "`/account set NAME owner @you` takes one over."
            )
        )
        return blocks
    for group in GROUP_TITLES:
        rows = home.groups.get(group) or []
        if not rows:
            continue
        budget = MAX_HOME_BLOCKS - len(blocks) - 3  # divider + title + context per group at most
        if budget < 2:
            blocks.append(context("_More accounts than fit here: use `/account list mine`._"))
            break
        blocks.append(DividerBlock())
        late = sum(1 for r in rows if r.overdue)
        blocks.append(section(f"*{GROUP_TITLES[group]}* ({len(rows)}, {late} overdue)"))
        shown = rows[:GROUP_LIMIT]
        more = len(rows) - len(shown)
        lines = ["• " + summary_line(r) for r in shown]
        blocks.extend(chunk_lines(lines, min(budget - 1, 5)))
        if more > 0:
            blocks.append(context(f"and {more} more: `/account list {GROUP_FILTERS[group]}`"))
    return blocks[:MAX_HOME_BLOCKS]


def render_home(home: HomeData, now: datetime, rhythm: Rhythm | None = None) -> View:
    return View(type="home", blocks=home_blocks(home, now, rhythm))
