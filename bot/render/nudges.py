"""Nudges as Slack messages: the daily digest, the weekly focus and tier/grade changes.

Pure: facts (the JSON a job wrote to the outbox) in, Message out. Buttons carry the account name as their
value; the Slack-features listeners handle the action ids `open_grade`, `log_touch`, `snooze_week` and
`snooze_month`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.render.ids import LOG_TOUCH, OPEN_GRADE, SNOOZE_MONTH, SNOOZE_WEEK
from bot.render.kit import (
    MAX_ACTION_VALUE,
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    Message,
    escape,
    strip_controls,
    truncate,
    user_mention,
)

SECTION_TITLES: dict[str, str] = {
    "stale": ":hourglass_flowing_sand: Overdue for a touch",
    "single_point_of_failure": ":warning: Single point of failure",
    "checkup_due": ":stethoscope: Check-up due",
    "sponsor_missing": ":bust_in_silhouette: Sponsor missing",
    "revenue_drop": ":chart_with_downwards_trend: Revenue dropping",
}
SECTION_ORDER = tuple(SECTION_TITLES)


def _button(text: str, action_id: str, account: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=truncate(text, MAX_BUTTON_TEXT),
        action_id=action_id,
        value=truncate(account, MAX_ACTION_VALUE),
        style=style,
    )


def _section(text: str, accessory: ButtonElement | None = None) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, MAX_SECTION_TEXT)), accessory=accessory)


def _person(value: str | None) -> str:
    """A Slack user id as a mention; anything else (an email) escaped."""
    if value and value.isalnum() and value[:1] in ("U", "W"):
        return user_mention(value)
    return escape(value or "someone")


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _money(amount: float | int | None) -> str:
    if amount is None:
        return "n/a"
    return f"${amount:,.0f}"


def describe_item(section: str, item: Mapping[str, Any]) -> str:
    """One mrkdwn line for a digest item (account name escaped)."""
    name = f"*{escape(item.get('account', '?'))}*"
    if section == "stale":
        cadence = item.get("cadence_days")
        since = item.get("days_since")
        touch = "never touched" if since is None else f"last touch {_days(since)} ago"
        return f"{name}: {touch} (cadence {_days(cadence) if cadence else 'n/a'})"
    if section == "single_point_of_failure":
        parts = []
        reasons = item.get("reasons") or []
        if "decision_makers" in reasons:
            n = item.get("decision_makers", 0)
            parts.append(f"{n} active decision maker{'s' if n != 1 else ''}")
        if "concentration" in reasons and item.get("share_percent") is not None:
            parts.append(f"{item['share_percent']}% of the last 90 days' touches went through one contact")
        line = f"{name}: " + "; ".join(parts or ["rests on one person"])
        if item.get("contact"):
            line += f". Relies on {escape(item['contact'])}"
        if item.get("colleague"):
            line += f"; {_person(item['colleague'])} has met other contacts there"
        return line
    if section == "checkup_due":
        since = item.get("days_since_review")
        review = "no review on record" if since is None else f"last review {_days(since)} ago"
        return f"{name}: {review}; time for a check-up"
    if section == "sponsor_missing":
        grade = escape(item.get("grade") or "?")
        if item.get("needed") == "executive":
            now = ""
            if item.get("sponsor"):
                level = escape((item.get("sponsor_level") or "unspecified level").replace("_", " "))
                now = f" (now {_person(item['sponsor'])}, {level})"
            return f"{name} ({grade}): needs an executive sponsor{now}"
        return f"{name} ({grade}): needs a sponsor (a project manager will do)"
    if section == "revenue_drop":
        months = item.get("months", 3)
        change = item.get("change_percent")
        return (
            f"{name}: last {months} months {_money(item.get('recent'))}, "
            f"{abs(change) if change is not None else '?'}% below the {months} before ({_money(item.get('prior'))})"
        )
    return name


def _item_button(section: str, account: str) -> ButtonElement:
    if section == "stale":
        return _button("Log touch", LOG_TOUCH, account, style="primary")
    return _button("Open grade", OPEN_GRADE, account)


def render_digest(facts: Mapping[str, Any]) -> Message:
    """The daily digest: one block per item (with a button) while the 50-block budget lasts, then compact
    lists; each section says how many more wait in App Home."""
    sections: Mapping[str, Any] = facts.get("sections") or {}
    present = [name for name in SECTION_ORDER if (sections.get(name) or {}).get("items")]
    total_items = sum(len(sections[name]["items"]) for name in present)
    overhead = 2 + 3 * len(present)  # header + context, title + "more" + divider per section
    one_block_per_item = overhead + total_items <= MAX_BLOCKS

    blocks: list[Block] = [HeaderBlock(text=truncate("Your accounts today", MAX_HEADER_TEXT))]
    counts = []
    for name in present:
        section = sections[name]
        items = section["items"]
        more = int(section.get("more") or 0)
        counts.append(f"{len(items) + more} {SECTION_TITLES[name].split(' ', 1)[1].lower()}")
        blocks.append(_section(f"*{SECTION_TITLES[name]}*"))
        if one_block_per_item:
            for item in items:
                blocks.append(
                    _section(describe_item(name, item), _item_button(name, str(item.get("account", ""))))
                )
        else:
            blocks.append(_section("\n".join("• " + describe_item(name, item) for item in items)))
        if more:
            blocks.append(
                ContextBlock(
                    elements=[MarkdownTextObject(text=f"…and {more} more: see the bot's *Home* tab.")]
                )
            )
        blocks.append(DividerBlock())
    if blocks and isinstance(blocks[-1], DividerBlock):
        blocks.pop()
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text="Snooze an account with `/account snooze NAME 2w`.")])
    )
    text = "Your accounts today: " + (", ".join(counts) if counts else "nothing to report")
    return Message(text=text, blocks=blocks[:MAX_BLOCKS])


def _account_actions(account: str) -> ActionsBlock:
    return ActionsBlock(
        elements=[
            _button("Log touch", LOG_TOUCH, account, style="primary"),
            _button("Open grade", OPEN_GRADE, account),
            _button("Snooze a week", SNOOZE_WEEK, account),
            _button("Snooze a month", SNOOZE_MONTH, account),
        ]
    )


def render_weekly_focus(facts: Mapping[str, Any]) -> Message:
    """This week's focus account (seed 002): the most valuable overdue key account."""
    account = str(facts.get("account", ""))
    name = escape(account)
    since = facts.get("days_since")
    cadence = facts.get("cadence_days")
    touch = "It has never been touched" if since is None else f"Last touch {_days(since)} ago"
    lines = [
        f"This week, focus on *{name}*.",
        f"{touch}; its cadence is {_days(cadence) if cadence else 'n/a'}.",
    ]
    if facts.get("annual_revenue") is not None:
        lines.append(
            f"Annual revenue {_money(facts['annual_revenue'])}"
            + (f", grade {escape(facts['grade'])}." if facts.get("grade") else ".")
        )
    lines.append("Study their site and news, check who you know there, and book a meeting that adds value.")
    blocks: list[Block] = [
        HeaderBlock(text=truncate("Weekly focus: " + strip_controls(account), MAX_HEADER_TEXT)),
        _section("\n".join(lines)),
        _account_actions(account),
    ]
    return Message(text=f"Weekly focus: {name}", blocks=blocks)


def _tier_label(tier: str | None, grade: str | None) -> str:
    tier_text = {"key": "key account", "secondary": "secondary account", "prospect": "prospect"}.get(
        tier or "", tier or "unclassified"
    )
    return f"{tier_text}, grade {grade}" if grade else tier_text


def render_tier_change(facts: Mapping[str, Any]) -> Message:
    """One of the owner's accounts changed tier or grade; says from what to what and why."""
    account = str(facts.get("account", ""))
    name = escape(account)
    old = _tier_label(facts.get("old_tier"), facts.get("old_grade"))
    new = _tier_label(facts.get("new_tier"), facts.get("new_grade"))
    reasons = [escape(r) for r in facts.get("reasons") or []]
    body = f"*{name}* is now a *{escape(new)}* (was {escape(old)})."
    if reasons:
        body += "\nWhy:\n" + "\n".join(f"• {r}" for r in reasons)
    blocks: list[Block] = [
        _section(body),
        ActionsBlock(elements=[_button("Open grade", OPEN_GRADE, account, style="primary")]),
    ]
    return Message(text=f"{name} is now a {new} (was {old})", blocks=blocks)
