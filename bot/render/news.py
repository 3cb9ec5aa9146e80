"""A news alert as a Slack message (outbox kind "news_alert").

Pure: the facts jobs.news_poll wrote (account, account_id, tier, grade, title, link, source, published,
mention_id) in, Message out. Buttons: "Open grade" (action_id `open_grade`, value = account name) and
"Not relevant" (action_id `news_not_relevant`, value = mention id), handled by bot.listeners.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.render.ids import EXCLUSION_CALLBACK, NOT_RELEVANT, OPEN_GRADE, PHRASE_ACTION, PHRASE_BLOCK
from bot.render.kit import MAX_ACTION_VALUE, MAX_SECTION_TEXT, Message, escape, link, truncate

TIER_LABELS = {"key": "Key account", "secondary": "Secondary account", "prospect": "Prospect"}
MAX_TITLE_SHOWN = 300
MAX_CONTEXT_TEXT = 2000


def _when(published: object) -> str | None:
    """A Slack date token (shown in the reader's time zone) with a UTC fallback."""
    if not isinstance(published, str) or not published:
        return None
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        return None
    fallback = moment.strftime("%d %b %Y %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def render_news_alert(facts: Mapping[str, Any]) -> Message:
    account = str(facts.get("account") or "an account")
    title = str(facts.get("title") or "(untitled story)")
    shown_title = truncate(title, MAX_TITLE_SHOWN)
    about = [f"*{escape(account)}*"]
    tier = TIER_LABELS.get(str(facts.get("tier") or ""))
    if tier:
        about.append(tier)
    if facts.get("grade"):
        about.append(f"grade {escape(facts['grade'])}")
    room = MAX_SECTION_TEXT - len(" · ".join(about)) - 1
    headline = f":newspaper: *{link(facts.get('link'), shown_title)}*"
    if len(headline) > room:
        # A very long article URL: cutting the section would cut the <url|title> markup in half (and the
        # account line after it), so the title goes without its link.
        headline = f":newspaper: *{escape(shown_title)}*"
    details = []
    if facts.get("source"):
        details.append(escape(truncate(str(facts["source"]), 150)))
    when = _when(facts.get("published"))
    if when:
        details.append(when)
    blocks: list[Any] = [
        SectionBlock(
            text=MarkdownTextObject(text=truncate(f"{headline}\n{' · '.join(about)}", MAX_SECTION_TEXT))
        )
    ]
    if details:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=truncate(" · ".join(details), MAX_CONTEXT_TEXT))])
        )
    buttons = [
        ButtonElement(text="Open grade", action_id=OPEN_GRADE, value=truncate(account, MAX_ACTION_VALUE))
    ]
    mention_id = facts.get("mention_id")
    if isinstance(mention_id, int):
        buttons.append(ButtonElement(text="Not relevant", action_id=NOT_RELEVANT, value=str(mention_id)))
    blocks.append(ActionsBlock(elements=buttons))
    return Message(text=f"News about {escape(account)}: {escape(title)}", blocks=blocks)


# --- "Not relevant" follow-up --------------------------------------------------------------------------------

MAX_PHRASE = 200


ALREADY_VOTED = "You already marked this as not relevant"


def render_exclusion_modal(account: str, title: str, private_metadata: str, *, already: bool = False) -> View:
    """Offer to add an exclusion phrase after a "Not relevant" vote (`already`: a repeat click, not counted)."""
    story = f"*{escape(truncate(title, 300))}*"
    who = f"*{escape(truncate(account, 150))}*"
    vote = (
        f"{ALREADY_VOTED}: {story} for {who}; your vote counts once."
        if already
        else f"Thanks, your vote is recorded: {story} is not relevant for {who}."
    )
    intro = (
        f"{vote}\n\nTo stop stories like it, add a phrase: stories containing it "
        f"(any case) will no longer alert about {escape(truncate(account, 150))}. For example _shell company_ or "
        "_Oracle of Omaha_."
    )
    return View(
        type="modal",
        callback_id=EXCLUSION_CALLBACK,
        private_metadata=private_metadata,
        title=PlainTextObject(text="Not relevant"),
        submit=PlainTextObject(text="Add phrase"),
        close=PlainTextObject(text="Done"),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=truncate(intro, MAX_SECTION_TEXT))),
            InputBlock(
                block_id=PHRASE_BLOCK,
                label=PlainTextObject(text="Ignore stories containing"),
                element=PlainTextInputElement(action_id=PHRASE_ACTION, max_length=MAX_PHRASE),
                optional=False,
            ),
        ],
    )


def render_exclusion_added(account: str, phrase: str, phrases: list[str]) -> View:
    listed = ", ".join(f"_{escape(p)}_" for p in phrases[-20:])
    text = (
        f"Stories containing _{escape(phrase)}_ will no longer alert about *{escape(truncate(account, 150))}*.\n"
        f"Exclusion phrases now: {listed}"
    )
    return View(
        type="modal",
        title=PlainTextObject(text="Not relevant"),
        close=PlainTextObject(text="Close"),
        blocks=[SectionBlock(text=MarkdownTextObject(text=truncate(text, MAX_SECTION_TEXT)))],
    )


def render_vote_recorded(account: str, votes: int, *, already: bool = False) -> Message:
    """The answer to a "Not relevant" click; `votes` counts people. `already`: this person had voted before."""
    count = f"{votes} {'person' if votes == 1 else 'people'}"
    if already:
        first = f"{ALREADY_VOTED} for *{escape(account)}*; your vote counts once ({count} so far). "
        summary = f"{ALREADY_VOTED} for {escape(account)}"
    else:
        first = f"Thanks, marked as not relevant for *{escape(account)}* ({count} so far). "
        summary = f"Marked as not relevant for {escape(account)}"
    text = first + "The account's owner or an admin can add an exclusion phrase so stories like it stop."
    return Message(
        text=summary, blocks=[SectionBlock(text=MarkdownTextObject(text=truncate(text, MAX_SECTION_TEXT)))]
    )
