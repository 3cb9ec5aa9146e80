"""An admin's daily dead-letter count (outbox kind "dead_letters"): how many messages were given up, by reason,
and what to do about each."""

from __future__ import annotations

from accounts.facts import DeadLetterFacts
from bot.render.blocks import Message, context, section, user_text


def render_dead_letters(facts: DeadLetterFacts) -> Message:
    total = facts["total"]
    head = f":envelope_with_arrow: *{total} message{'s' if total != 1 else ''} could not be delivered* in the past day."
    lines = [
        f"• *{user_text(r['reason'])}* ({r['count']}): {user_text(r['fix'])}" for r in facts["reasons"][:10]
    ]
    return Message(
        text=f"{total} message(s) could not be delivered in the past day",
        blocks=[
            section(head),
            section("\n".join(lines)),
            context("Each one: `accountbot outbox --dead`; send one again: `accountbot outbox retry ID`."),
        ],
    )
