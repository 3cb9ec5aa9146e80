"""The grade card: one account's tier, grade, ratings with their inputs, reasons, next step and treatment."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock

from bot.render.blocks import (
    Message,
    actions,
    button,
    context,
    day,
    days,
    days_ago,
    fields_section,
    header,
    level,
    money,
    name,
    percent,
    person,
    section,
    user_mention,
    user_text,
)
from bot.render.ids import LOG_TOUCH, SHARE_CARD, SNOOZE_MONTH, SNOOZE_WEEK
from storage.reads.cards import AccountCard

GRADE_EMOJI = {"A": ":large_green_circle:", "B": ":large_yellow_circle:", "C": ":red_circle:"}
FLAG_TEXT = {
    "laggard": "laggard: negative margin, fire or reprice",
    "shed": "shed: high pain and low profitability",
}


def _ratings(card: AccountCard) -> str:
    r = card.assessment.ratings
    if card.profitability:
        profit_input = "set explicitly"
    elif card.profit_margin is not None:
        profit_input = f"margin {percent(card.profit_margin)}"
    else:
        profit_input = "no margin known, scored as medium"
    share_input = percent(card.wallet_share) if card.wallet_share is not None else "unknown, scored as medium"
    lines = [
        "*Ratings*",
        f"• Revenue: *{level(r.get('revenue'))}* ({money(card.summary.annual_revenue)} a year)",
        f"• Wallet share: *{level(r.get('wallet_share'))}* ({share_input})",
        f"• Profitability: *{level(r.get('profitability'))}* ({profit_input})",
        f"• Strategic value: *{level(r.get('strategic_value'))}*"
        + ("" if card.strategic_value else " (not set, counts as low)"),
        f"• Pain factor: *{level(r.get('pain_factor'))}*"
        + ("" if card.pain_factor else " (not set, counts as low)"),
    ]
    return "\n".join(lines)


def _last_touch(card: AccountCard) -> str:
    t = card.last_touch
    if t is None:
        return "*Last touch*\nnever"
    who = f" with {name(t.contact)}" if t.contact else ""
    return f"*Last touch*\n{user_text(t.kind)}{who}, {days_ago(card.summary.days_since_touch)} ({day(t.occurred_at)})"


def _coverage(card: AccountCard) -> str:
    dm = card.decision_makers
    parts = [
        f"{dm} decision maker{'s' if dm != 1 else ''} among {card.active_contacts} active contact"
        + ("s" if card.active_contacts != 1 else "")
    ]
    s = card.summary
    if s.cadence_days is not None:
        parts.append(f"meet every {days(s.cadence_days)}")
    if s.snoozed_until is not None:
        reason = f" ({user_text(card.snooze_reason)})" if card.snooze_reason else ""
        parts.append(f":zzz: snoozed until {day(s.snoozed_until)}{reason}")
    elif s.overdue:
        late = "never touched" if s.days_since_touch is None else f"overdue by {days(s.days_overdue or 0)}"
        parts.append(f":hourglass_flowing_sand: {late}")
    return " · ".join(parts)


def card_blocks(card: AccountCard) -> list[Block]:
    a = card.assessment
    grade = (
        f"{GRADE_EMOJI.get(a.grade, '')} *{a.grade}* (score {a.score})"
        if a.grade
        else "not graded (prospect)"
    )
    sponsor = person(card.sponsor_user_id)
    if card.sponsor_user_id and card.sponsor_level:
        sponsor += f" ({user_text(card.sponsor_level.replace('_', ' '))})"
    blocks: list[Block] = [
        header(card.name),
        fields_section(
            [
                f"*Tier*\n{user_text(a.tier)}",
                f"*Grade*\n{grade}",
                f"*Quadrant*\n{user_text(a.quadrant)}",
                f"*Owner*\n{person(card.summary.owner_user_id or card.owner)}",
                f"*Sponsor*\n{sponsor}",
                _last_touch(card),
            ]
        ),
        section(_ratings(card)),
    ]
    if a.flags:
        blocks.append(
            section("*Flags*\n" + "\n".join(f":warning: {user_text(FLAG_TEXT.get(f, f))}" for f in a.flags))
        )
    if a.reasons:
        blocks.append(section("*Why*\n" + "\n".join(f"• {user_text(r)}" for r in a.reasons)))
    if a.next_step:
        step = user_text(a.next_step)
    elif a.grade is None:
        step = "prospects are not graded; once they buy, `set NAME stage client` grades them"
    else:
        step = "nothing: it is as good as it gets"
    blocks.append(section(f"*Next step to lift the grade*\n{step}"))
    if a.treatment:
        blocks.append(section(f"*Treatment*\n{user_text(a.treatment)}"))
    blocks.append(context(_coverage(card)))
    if card.aliases:
        shown = ", ".join(name(a) for a in card.aliases[:10])
        more = f" and {len(card.aliases) - 10} more" if len(card.aliases) > 10 else ""
        blocks.append(context(f"Also known as {shown}{more}"))
    return blocks


def fallback(card: AccountCard) -> str:
    a = card.assessment
    grade = f"grade {a.grade} (score {a.score})" if a.grade else "prospect, not graded"
    return user_text(f"{card.name}: {a.tier} tier, {grade}, {a.quadrant} quadrant")


def render_card(card: AccountCard) -> Message:
    """The ephemeral card with its buttons: Log touch, Snooze a week / a month, Share in channel."""
    blocks = card_blocks(card)
    blocks.append(
        actions(
            button("Log touch", LOG_TOUCH, card.name, style="primary"),
            button("Snooze a week", SNOOZE_WEEK, card.name),
            button("Snooze a month", SNOOZE_MONTH, card.name),
            button("Share in channel", SHARE_CARD, card.name),
        )
    )
    return Message(text=fallback(card), blocks=blocks)


def render_shared_card(card: AccountCard, shared_by: str) -> Message:
    """The card as posted in a channel: no buttons, says who shared it."""
    blocks = card_blocks(card)
    blocks.append(DividerBlock())
    blocks.append(context(f"Shared by {user_mention(shared_by)} with /account"))
    return Message(text=fallback(card), blocks=blocks)
