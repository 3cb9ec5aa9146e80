"""`/account list`: one compact line per account, 20 to a page, with Open buttons and page buttons."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.render.blocks import Message, actions, button, context, days_ago, name, section, user_text
from bot.render.card import GRADE_EMOJI
from bot.render.ids import LIST_PAGE, LIST_PAGE_PREV, OPEN_GRADE
from storage.reads.summaries import AccountSummary

PAGE_SIZE = 20
FILTER_TITLES = {
    None: "All accounts",
    "key": "Key accounts",
    "secondary": "Secondary accounts",
    "a": "Grade A accounts",
    "b": "Grade B accounts",
    "c": "Grade C accounts",
    "mine": "Your accounts",
    "stale": "Accounts past their meeting cadence",
    "prospects": "Prospects",
    "growth": "Growth quadrant",
    "maintenance": "Maintenance quadrant",
    "service": "Service quadrant",
}


def summary_line(r: AccountSummary) -> str:
    """`*Acme* · A 9 · key · growth · last touch 20 days ago · overdue` (name escaped)."""
    parts = [f"*{name(r.name)}*"]
    if r.grade:
        parts.append(f"{GRADE_EMOJI.get(r.grade, '')} {r.grade} {r.assessment.score}".strip())
    parts += [
        user_text(r.tier),
        user_text(r.assessment.quadrant),
        f"last touch {days_ago(r.days_since_touch)}",
    ]
    if r.snoozed_until is not None:
        parts.append(f":zzz: until {r.snoozed_until.date().isoformat()}")
    elif r.overdue:
        parts.append(":hourglass_flowing_sand: overdue")
    return " · ".join(parts)


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, (total + size - 1) // size)


def render_list(rows: list[AccountSummary], which: str | None, page: int = 1) -> Message:
    """Page `page` (1-based) of `rows`; a page past the end shows the last page."""
    title = FILTER_TITLES.get(which, "Accounts")
    total = len(rows)
    pages = page_count(total)
    page = min(max(1, page), pages)
    if total == 0:
        hint = "Import accounts with `accountbot import accounts FILE`, or try another filter: `/account help list`."
        return Message(text=f"{title}: none", blocks=[section(f"*{title}*: none yet.\n{hint}")])
    start = (page - 1) * PAGE_SIZE
    shown = rows[start : start + PAGE_SIZE]
    blocks: list[Block] = [section(f"*{title}* ({total}) · page {page} of {pages}")]
    for r in shown:
        blocks.append(section(summary_line(r), accessory=button("Open", OPEN_GRADE, r.name)))
    key = which or "all"
    nav = []
    if page > 1:
        nav.append(button("Previous page", LIST_PAGE_PREV, f"{key}:{page - 1}"))
    if page < pages:
        nav.append(button("Next page", LIST_PAGE, f"{key}:{page + 1}", style="primary"))
    if nav:
        blocks.append(actions(*nav))
    blocks.append(
        context(f"Showing {start + 1}-{start + len(shown)} of {total}. `/account grade NAME` opens a card.")
    )
    text = f"{title} ({total}), page {page} of {pages}: " + ", ".join(r.name for r in shown[:10])
    return Message(text=user_text(text), blocks=blocks)
