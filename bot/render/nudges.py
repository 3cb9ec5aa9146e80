"""Nudges as Slack messages: the daily digest, the weekly focus and tier/grade changes.

Pure: facts (accounts.facts, as a job wrote them to the outbox) in, Message out. Buttons carry the account
name as their value; bot.listeners handles `open_grade`, `log_touch`, `snooze_week` and `snooze_month`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, DividerBlock

from accounts.facts import (
    AwayFacts,
    AwayMoveFacts,
    CheckupFacts,
    CoveringFacts,
    DigestFacts,
    DigestItemFacts,
    ItemFacts,
    RevenueDropFacts,
    SectionFacts,
    SpofFacts,
    SponsorFacts,
    StaleFacts,
    TierChangeFacts,
    WeeklyFocusFacts,
)
from bot.render.blocks import (
    MAX_BLOCKS,
    Message,
    actions,
    button,
    context,
    days,
    header,
    money,
    percent,
    person,
    section,
    user_text,
)
from bot.render.escalation import escalated_text
from bot.render.ids import LOG_TOUCH, OPEN_GRADE, SNOOZE_MONTH, SNOOZE_WEEK

SECTION_TITLES: dict[str, str] = {
    "stale": ":hourglass_flowing_sand: Overdue for a touch",
    "single_point_of_failure": ":warning: Single point of failure",
    "checkup_due": ":stethoscope: Check-up due",
    "sponsor_missing": ":bust_in_silhouette: Sponsor missing",
    "revenue_drop": ":chart_with_downwards_trend: Revenue dropping",
}
SECTION_ORDER = tuple(SECTION_TITLES)


def _account(item: ItemFacts) -> str:
    return f"*{user_text(item.get('account', '?'))}*"


def _stale(item: StaleFacts) -> str:
    cadence = item.get("cadence_days")
    since = item.get("days_since")
    touch = "never touched" if since is None else f"last touch {days(since)} ago"
    return f"{_account(item)}: {touch} (cadence {days(cadence) if cadence else 'n/a'})"


def _single_point_of_failure(item: SpofFacts) -> str:
    parts = []
    reasons = item.get("reasons") or []
    if "decision_makers" in reasons:
        n = item.get("decision_makers", 0)
        parts.append(f"{n} active decision maker{'s' if n != 1 else ''}")
    if "concentration" in reasons and item.get("share_percent") is not None:
        parts.append(
            f"{percent(item['share_percent'])} of the last 90 days' touches went through one contact"
        )
    line = f"{_account(item)}: " + "; ".join(parts or ["rests on one person"])
    if item.get("contact"):
        line += f". Relies on {user_text(item['contact'])}"
    if item.get("colleague"):
        line += f"; {person(item['colleague'])} has met other contacts there"
    return line


def _checkup_due(item: CheckupFacts) -> str:
    since = item.get("days_since_review")
    review = "no review on record" if since is None else f"last review {days(since)} ago"
    return f"{_account(item)}: {review}; time for a check-up"


def _sponsor_missing(item: SponsorFacts) -> str:
    grade = user_text(item.get("grade") or "?")
    if item.get("needed") == "executive":
        now = ""
        if item.get("sponsor"):
            level = user_text((item.get("sponsor_level") or "unspecified level").replace("_", " "))
            now = f" (now {person(item['sponsor'])}, {level})"
        return f"{_account(item)} ({grade}): needs an executive sponsor{now}"
    return f"{_account(item)} ({grade}): needs a sponsor (a project manager will do)"


def _revenue_drop(item: RevenueDropFacts) -> str:
    months = item.get("months", 3)
    change = item.get("change_percent")
    below = percent(abs(change) if change is not None else None, unknown="?%")
    return (
        f"{_account(item)}: last {months} months {money(item.get('recent'), exact=True, unknown='n/a')}, "
        f"{below} below the {months} before ({money(item.get('prior'), exact=True, unknown='n/a')})"
    )


# Section name -> how one of its items reads (the name says which item type the section holds).
DESCRIBE: dict[str, Callable[[Any], str]] = {
    "stale": _stale,
    "single_point_of_failure": _single_point_of_failure,
    "checkup_due": _checkup_due,
    "sponsor_missing": _sponsor_missing,
    "revenue_drop": _revenue_drop,
}


def describe_item(section: str, item: DigestItemFacts) -> str:
    """One mrkdwn line for a digest item (account name escaped)."""
    describe = DESCRIBE.get(section)
    return describe(item) if describe is not None else _account(item)


def _item_button(section: str, account: str) -> ButtonElement:
    if section == "stale":
        return button("Log touch", LOG_TOUCH, account, style="primary")
    return button("Open grade", OPEN_GRADE, account)


_NO_SECTION: SectionFacts = {"items": [], "more": 0}


def _tier_move(move: AwayMoveFacts) -> str:
    old = _tier_label(move.get("old_tier"), move.get("old_grade"))
    new = _tier_label(move.get("new_tier"), move.get("new_grade"))
    return f"*{user_text(move.get('account', '?'))}* is now a {user_text(new)} (was {user_text(old)})"


def away_text(away: AwayFacts) -> str:
    """The first digest after a pause: what changed on the owner's accounts while they were away."""
    since = str(away.get("since") or "")[:10]
    lines = [f"*:wave: Welcome back.* While you were away (since {user_text(since)}):"]
    touches, accounts = int(away.get("touches") or 0), int(away.get("touched_accounts") or 0)
    if touches:
        names = ", ".join(f"*{user_text(n)}*" for n in away.get("touched") or [])
        others = accounts - len(away.get("touched") or [])
        more = f" and {others} more" if others > 0 else ""
        lines.append(
            f"• {touches} touch{'es' if touches != 1 else ''} on {accounts} of your accounts: {names}{more}"
        )
    for move in away.get("moves") or []:
        lines.append("• " + _tier_move(move))
    hidden = int(away.get("moves_total") or 0) - len(away.get("moves") or [])
    if hidden > 0:
        lines.append(f"• and {hidden} more tier or grade change{'s' if hidden != 1 else ''}")
    if away.get("backup"):
        lines.append(f"{person(away['backup'])} covered your key accounts.")
    return "\n".join(lines)


def covering_title(cover: CoveringFacts) -> str:
    until = user_text(cover.get("until", "?"))
    return (
        f"*:handshake: Covering for {person(cover.get('owner'))}* (away until {until}): "
        "their key accounts overdue for a touch"
    )


NOTHING_DUE = ":white_check_mark: Nothing is due today. Enjoy the quiet."


def render_digest(facts: DigestFacts) -> Message:
    """The daily digest: one block per item (with a button) while the 50-block budget lasts, then compact
    lists; each section says how many more wait in App Home. A backup's digest adds the overdue key accounts
    of each person they cover for; the first digest after a pause opens with what changed meanwhile; a
    digest with nothing due (its owner turned quiet off) says so."""
    sections: dict[str, SectionFacts] = facts.get("sections") or {}
    present = [name for name in SECTION_ORDER if (sections.get(name) or _NO_SECTION).get("items")]
    covers = [c for c in facts.get("covering") or [] if c.get("items")]
    away = facts.get("away")
    total_items = sum(len(sections[name]["items"]) for name in present) + sum(len(c["items"]) for c in covers)
    # header + context, title + "more" + divider per section, the welcome back or the "nothing due" line
    overhead = 3 + 3 * (len(present) + len(covers))
    escalated = facts.get("escalated") or []  # accounts escalated lately: one section instead of their items
    one_block_per_item = overhead + bool(escalated) + total_items <= MAX_BLOCKS

    blocks: list[Block] = [header("Your accounts today")]
    if away:
        blocks.append(section(away_text(away)))
    if not present and not covers and not escalated:
        blocks.append(section(NOTHING_DUE if not away else "Nothing else is due today."))
    counts = [f"{len(escalated)} escalated"] if escalated else []
    if escalated:
        blocks.append(section(escalated_text(escalated)))
    for name in present:
        items = sections[name]["items"]
        more = int(sections[name].get("more") or 0)
        counts.append(f"{len(items) + more} {SECTION_TITLES[name].split(' ', 1)[1].lower()}")
        blocks.append(section(f"*{SECTION_TITLES[name]}*"))
        if one_block_per_item:
            for item in items:
                blocks.append(
                    section(describe_item(name, item), _item_button(name, str(item.get("account", ""))))
                )
        else:
            blocks.append(section("\n".join("• " + describe_item(name, item) for item in items)))
        if more:
            blocks.append(context(f"…and {more} more: see the bot's *Home* tab."))
        blocks.append(DividerBlock())
    for cover in covers:
        overdue, more = cover["items"], int(cover.get("more") or 0)
        counts.append(f"{len(overdue) + more} overdue while {cover.get('owner', '?')} is away")
        blocks.append(section(covering_title(cover)))
        if one_block_per_item:
            for stale in overdue:
                blocks.append(section(_stale(stale), _item_button("stale", str(stale.get("account", "")))))
        else:
            blocks.append(section("\n".join("• " + _stale(stale) for stale in overdue)))
        if more:
            blocks.append(context(f"…and {more} more of theirs."))
        blocks.append(DividerBlock())
    if blocks and isinstance(blocks[-1], DividerBlock):
        blocks.pop()
    blocks.append(context("Snooze an account with `/account snooze NAME 2w`; your rhythm: `/account prefs`."))
    if away and not counts:
        counts.append("welcome back")
    text = "Your accounts today: " + (", ".join(counts) if counts else "nothing due today")
    return Message(text=text, blocks=blocks[:MAX_BLOCKS])


def _account_actions(account: str) -> ActionsBlock:
    return actions(
        button("Log touch", LOG_TOUCH, account, style="primary"),
        button("Open grade", OPEN_GRADE, account),
        button("Snooze a week", SNOOZE_WEEK, account),
        button("Snooze a month", SNOOZE_MONTH, account),
    )


def render_weekly_focus(facts: WeeklyFocusFacts) -> Message:
    """This week's focus account: the most valuable overdue key account (docs/nudges.md#what-people-receive-and-when)."""
    account = str(facts.get("account", ""))
    name = user_text(account)
    since = facts.get("days_since")
    cadence = facts.get("cadence_days")
    touch = "It has never been touched" if since is None else f"Last touch {days(since)} ago"
    lines = [
        f"This week, focus on *{name}*.",
        f"{touch}; its cadence is {days(cadence) if cadence else 'n/a'}.",
    ]
    if facts.get("annual_revenue") is not None:
        lines.append(
            f"Annual revenue {money(facts['annual_revenue'], exact=True)}"
            + (f", grade {user_text(facts['grade'])}." if facts.get("grade") else ".")
        )
    lines.append("Study their site and news, check who you know there, and book a meeting that adds value.")
    blocks: list[Block] = [
        header("Weekly focus: " + account, one_line=False),
        section("\n".join(lines)),
        _account_actions(account),
    ]
    return Message(text=f"Weekly focus: {name}", blocks=blocks)


def _tier_label(tier: str | None, grade: str | None) -> str:
    tier_text = {"key": "key account", "secondary": "secondary account", "prospect": "prospect"}.get(
        tier or "", tier or "unclassified"
    )
    return f"{tier_text}, grade {grade}" if grade else tier_text


def render_tier_change(facts: TierChangeFacts) -> Message:
    """One of the owner's accounts changed tier or grade; says from what to what and why."""
    account = str(facts.get("account", ""))
    name = user_text(account)
    old = _tier_label(facts.get("old_tier"), facts.get("old_grade"))
    new = _tier_label(facts.get("new_tier"), facts.get("new_grade"))
    reasons = [user_text(r) for r in facts.get("reasons") or []]
    body = f"*{name}* is now a *{user_text(new)}* (was {user_text(old)})."
    if reasons:
        body += "\nWhy:\n" + "\n".join(f"• {r}" for r in reasons)
    blocks: list[Block] = [
        section(body),
        actions(button("Open grade", OPEN_GRADE, account, style="primary")),
    ]
    return Message(text=f"{name} is now a {new} (was {old})", blocks=blocks)
