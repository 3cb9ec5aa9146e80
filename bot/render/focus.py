"""`/account focus`: this week's focus account (the weekly job's pick, else the rule's pick right now)."""

from __future__ import annotations

from bot.render.blocks import Message, actions, button, section, user_text
from bot.render.ids import LOG_TOUCH, OPEN_GRADE
from bot.render.list import summary_line
from storage.reads.summaries import AccountSummary


def render_focus(focus: AccountSummary | None) -> Message:
    if focus is None:
        return Message(
            text="No focus account this week",
            blocks=[
                section(
                    "*This week's focus*: nothing pressing. None of your key accounts is overdue for a touch."
                )
            ],
        )
    return Message(
        text=user_text(f"This week's focus: {focus.name}"),
        blocks=[
            section(
                "*This week's focus* (your most valuable key account that is overdue)\n" + summary_line(focus)
            ),
            actions(
                button("Open grade", OPEN_GRADE, focus.name),
                button("Log touch", LOG_TOUCH, focus.name, style="primary"),
            ),
        ],
    )
