"""A news alert as a Slack message (outbox kind "news_alert"), and the "Not relevant" follow-ups.

Pure: the facts jobs.news_poll wrote (accounts.facts.NewsAlertFacts) in, Message or View out. Buttons:
"Open grade" (value = account name) and "Not relevant" (value = mention id), handled by bot.listeners.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement, PlainTextObject
from slack_sdk.models.views import View

from accounts.facts import NewsAlertFacts
from bot.render.blocks import (
    MAX_SECTION_TEXT,
    Message,
    actions,
    button,
    context,
    link,
    section,
    truncate,
    user_text,
)
from bot.render.ids import EXCLUSION_CALLBACK, NOT_RELEVANT, OPEN_GRADE, PHRASE_ACTION, PHRASE_BLOCK

TIER_LABELS = {"key": "Key account", "secondary": "Secondary account", "prospect": "Prospect"}
MAX_TITLE_SHOWN = 300


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


def render_news_alert(facts: NewsAlertFacts) -> Message:
    account = str(facts.get("account") or "an account")
    title = str(facts.get("title") or "(untitled story)")
    shown_title = truncate(title, MAX_TITLE_SHOWN)
    about = [f"*{user_text(account)}*"]
    tier = TIER_LABELS.get(str(facts.get("tier") or ""))
    if tier:
        about.append(tier)
    if facts.get("grade"):
        about.append(f"grade {user_text(facts['grade'])}")
    room = MAX_SECTION_TEXT - len(" · ".join(about)) - 1
    headline = f":newspaper: *{link(facts.get('link'), shown_title)}*"
    if len(headline) > room:
        # A very long article URL: cutting the section would cut the <url|title> markup in half (and the
        # account line after it), so the title goes without its link.
        headline = f":newspaper: *{user_text(shown_title)}*"
    details = []
    if facts.get("source"):
        details.append(user_text(truncate(str(facts["source"]), 150)))
    when = _when(facts.get("published"))
    if when:
        details.append(when)
    blocks: list[Block] = [section(f"{headline}\n{' · '.join(about)}")]
    if details:
        blocks.append(context(" · ".join(details)))
    buttons = [button("Open grade", OPEN_GRADE, account)]
    mention_id = facts.get("mention_id")
    if isinstance(mention_id, int):
        buttons.append(button("Not relevant", NOT_RELEVANT, str(mention_id)))
    blocks.append(actions(*buttons))
    return Message(text=f"News about {user_text(account)}: {user_text(title)}", blocks=blocks)


# --- "Not relevant" follow-up --------------------------------------------------------------------------------

MAX_PHRASE = 200


ALREADY_VOTED = "You already marked this as not relevant"


def render_exclusion_modal(account: str, title: str, private_metadata: str, *, already: bool = False) -> View:
    """Offer to add an exclusion phrase after a "Not relevant" vote (`already`: a repeat click, not counted)."""
    story = f"*{user_text(truncate(title, 300))}*"
    who = f"*{user_text(truncate(account, 150))}*"
    vote = (
        f"{ALREADY_VOTED}: {story} for {who}; your vote counts once."
        if already
        else f"Thanks, your vote is recorded: {story} is not relevant for {who}."
    )
    intro = (
        f"{vote}\n\nTo stop stories like it, add a phrase: stories containing it "
        f"(any case) will no longer alert about {user_text(truncate(account, 150))}. For example _shell company_ or "
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
            section(intro),
            InputBlock(
                block_id=PHRASE_BLOCK,
                label=PlainTextObject(text="Ignore stories containing"),
                element=PlainTextInputElement(action_id=PHRASE_ACTION, max_length=MAX_PHRASE),
                optional=False,
            ),
        ],
    )


def render_exclusion_added(account: str, phrase: str, phrases: list[str]) -> View:
    listed = ", ".join(f"_{user_text(p)}_" for p in phrases[-20:])
    text = (
        f"Stories containing _{user_text(phrase)}_ will no longer alert about *{user_text(truncate(account, 150))}*.\n"
        f"Exclusion phrases now: {listed}"
    )
    return View(
        type="modal",
        title=PlainTextObject(text="Not relevant"),
        close=PlainTextObject(text="Close"),
        blocks=[section(text)],
    )


def render_vote_recorded(account: str, votes: int, *, already: bool = False) -> Message:
    """The answer to a "Not relevant" click; `votes` counts people. `already`: this person had voted before."""
    count = f"{votes} {'person' if votes == 1 else 'people'}"
    if already:
        first = f"{ALREADY_VOTED} for *{user_text(account)}*; your vote counts once ({count} so far). "
        summary = f"{ALREADY_VOTED} for {user_text(account)}"
    else:
        first = f"Thanks, marked as not relevant for *{user_text(account)}* ({count} so far). "
        summary = f"Marked as not relevant for {user_text(account)}"
    text = first + "The account's owner or an admin can add an exclusion phrase so stories like it stop."
    return Message(text=summary, blocks=[section(text)])
