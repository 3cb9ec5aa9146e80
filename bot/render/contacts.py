"""`/account contacts NAME`: who we know at the client, decision makers first, people who left last."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.render.blocks import Message, chunk_lines, context, day, name, section, user_text
from storage.reads.contacts import ContactView

MAX_BLOCKS = 45


def contact_line(c: ContactView) -> str:
    parts = [f"*{name(c.name)}*" if c.active else f"~{name(c.name)}~"]
    if c.title:
        parts.append(user_text(c.title))
    if c.decision_maker:
        parts.append(":key: decision maker")
    if c.email:
        parts.append(user_text(c.email))
    if not c.active:
        parts.append(f"left {day(c.left_at)}" if c.left_at else "left")
    return "• " + " · ".join(parts)


def render_contacts(account: str, contacts: list[ContactView]) -> Message:
    active = [c for c in contacts if c.active]
    dms = sum(1 for c in active if c.decision_maker)
    head = (
        f"*Contacts at {name(account)}*: {len(active)} active, {dms} decision maker{'s' if dms != 1 else ''}"
    )
    if not contacts:
        return Message(
            text=user_text(f"No contacts at {account} yet"),
            blocks=[
                section(
                    f"*{name(account)}* has no contacts yet.\nAdd one: "
                    f'`/account contact add {user_text(account)} "Full Name" Title decision-maker`'
                )
            ],
        )
    blocks: list[Block] = [section(head)]
    blocks.extend(chunk_lines([contact_line(c) for c in contacts], MAX_BLOCKS - 2))
    if dms < 2:
        blocks.append(
            context(":warning: Fewer than two decision makers: the relationship hangs on too few people.")
        )
    return Message(
        text=user_text(f"Contacts at {account}: {len(active)} active, {dms} decision makers"), blocks=blocks
    )
