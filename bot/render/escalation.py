"""Escalations as Slack messages: the escalation itself (kind "escalation", to the owner's manager or the
escalation channel) and the digest's lines about accounts escalated lately (docs/nudges.md#escalation-and-outcomes).

Pure: facts in, Message (or mrkdwn) out; account names escaped, people as mentions.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from accounts.facts import EscalatedItemFacts, EscalationFacts
from bot.render.blocks import Message, actions, button, context, days, header, name, person, section
from bot.render.ids import OPEN_GRADE

REASON_WORDS = {
    "stale": "overdue for a touch",
    "single_point_of_failure": "single point of failure",
    "checkup_due": "check-up due",
    "sponsor_missing": "sponsor missing",
    "revenue_drop": "revenue dropping",
}
ESCALATED_LIMIT = 10


def _tier(tier: str | None, grade: str | None) -> str:
    kind = {"key": "key account", "secondary": "secondary account", "prospect": "prospect"}.get(
        tier or "", "account"
    )
    return f"{kind}, grade {name(grade)}" if grade else kind


def _overdue(days_overdue: int | None) -> str:
    if days_overdue is None:
        return "never touched"
    if days_overdue <= 0:
        return "due for a touch"
    return f"{days(days_overdue)} overdue"


def render_escalation(facts: EscalationFacts) -> Message:
    """A key or A account whose nudges went unanswered: the account, how overdue, the nudges ignored."""
    account = str(facts.get("account", ""))
    shown = name(account)
    owner = person(facts.get("owner"))
    overdue = _overdue(facts.get("days_overdue"))
    ignored = int(facts.get("nudges_ignored") or 0)
    since = facts.get("days_since")
    cadence = facts.get("cadence_days")
    touch = "No touch on record" if since is None else f"Last touch {days(since)} ago"
    about = ", ".join(REASON_WORDS.get(r, name(r)) for r in facts.get("nudge_reasons") or [])
    first = str(facts.get("first_ignored") or "")[:10]
    lines = [
        f"*{shown}* ({_tier(facts.get('tier'), facts.get('grade'))}), owned by {owner}, "
        + (
            "has *never been touched*."
            if facts.get("days_overdue") is None
            else f"is *{overdue}* for a touch."
        ),
        f"{touch}; its cadence is {days(cadence) if cadence else 'n/a'}.",
        f"*{ignored} nudge{'s' if ignored != 1 else ''} ignored*"
        + (f" since {name(first)}" if first else "")
        + (f" ({about})" if about else "")
        + ": no touch has been logged or imported since.",
    ]
    if facts.get("to_kind") == "manager":
        why = f"You get this as {owner}'s manager."
    else:
        why = f"Posted here because no manager of {owner} is on record."
    blocks: list[Block] = [
        header(f"Escalation: {account}"),
        section("\n".join(lines)),
        actions(button("Open grade", OPEN_GRADE, account, style="primary")),
        context(
            f"{why} accountbot escalates a key or A account at most once a week while its nudges go unanswered; "
            "a touch on the account stops it."
        ),
    ]
    return Message(text=f"Escalation: {shown}, {overdue}, {ignored} nudge(s) ignored", blocks=blocks)


def channel(value: str | None) -> str:
    """A channel id as a channel link; anything else as escaped text."""
    text = str(value or "")
    if text[:1] == "C" and text.isalnum() and text.isascii():
        return f"<#{text}>"
    return name(text or "the escalation channel")


def escalated_line(note: EscalatedItemFacts) -> str:
    """One digest line: an account escalated lately, instead of its usual items."""
    to = person(note.get("to")) if note.get("to_kind") == "manager" else channel(note.get("to"))
    ignored = int(note.get("nudges_ignored") or 0)
    return (
        f"*{name(str(note.get('account', '?')))}*: {_overdue(note.get('days_overdue'))}, "
        f"{ignored} nudge{'s' if ignored != 1 else ''} ignored; escalated to {to} on "
        f"{name(str(note.get('escalated_on') or '?'))}"
    )


def escalated_text(notes: Sequence[EscalatedItemFacts]) -> str:
    """The digest's section about accounts escalated lately (a touch on one ends it)."""
    lines = [f"• {escalated_line(n)}" for n in notes[:ESCALATED_LIMIT]]
    if len(notes) > ESCALATED_LIMIT:
        lines.append(f"_and {len(notes) - ESCALATED_LIMIT} more_")
    return (
        "*:rotating_light: Escalated*\n"
        + "\n".join(lines)
        + "\n_Log a touch on one and it is back to normal._"
    )
