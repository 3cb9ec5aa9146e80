"""The Log-touch modal (kind, contact, date, note) and the view that confirms it."""

from __future__ import annotations

import json
from datetime import date

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.commands.text import MAX_NOTE
from bot.commands.types import TOUCH_KINDS
from bot.render.blocks import name, section, truncate
from bot.render.ids import CONTACT, CONTACT_NAME, DATE, KIND, LOG_TOUCH_CALLBACK, NOTE
from storage.reads.contacts import ContactView

MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75


def _option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=truncate(text, MAX_OPTION_TEXT)), value=value)


def log_touch_metadata(account_id: int) -> str:
    """The form remembers only which account it is for (checked again against the workspace on submit)."""
    return json.dumps({"account_id": account_id})


def render_log_touch_modal(account_id: int, account: str, contacts: list[ContactView], today: date) -> View:
    active = [c for c in contacts if c.active][:MAX_OPTIONS]
    kinds = [_option(k, k) for k in TOUCH_KINDS]
    blocks: list[Block] = [
        section(f"Log a touch with *{name(account)}*. It resets the account's staleness clock."),
        InputBlock(
            block_id=KIND,
            label="Kind",
            element=StaticSelectElement(action_id=KIND, options=kinds, initial_option=kinds[0]),
        ),
    ]
    if active:
        blocks.append(
            InputBlock(
                block_id=CONTACT,
                label="Contact",
                optional=True,
                element=StaticSelectElement(
                    action_id=CONTACT,
                    placeholder="Who did you talk to?",
                    options=[
                        _option(c.name + (f" ({c.title})" if c.title else ""), str(c.id)) for c in active
                    ],
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id=CONTACT_NAME,
            label="Contact not in the list" if active else "Contact",
            optional=True,
            hint="The name of a contact we already know at the client (add new ones with /account contact add).",
            element=PlainTextInputElement(action_id=CONTACT_NAME, max_length=200),
        ),
        InputBlock(
            block_id=DATE,
            label="When",
            element=DatePickerElement(action_id=DATE, initial_date=today.isoformat()),
        ),
        InputBlock(
            block_id=NOTE,
            label="Note",
            optional=True,
            element=PlainTextInputElement(action_id=NOTE, multiline=True, max_length=MAX_NOTE),
        ),
    ]
    return View(
        type="modal",
        callback_id=LOG_TOUCH_CALLBACK,
        title="Log a touch",
        submit="Log",
        close="Cancel",
        private_metadata=log_touch_metadata(account_id),
        blocks=blocks,
    )


def render_touch_logged(account: str, kind: str, contact: str | None, when: date) -> View:
    who = f" with {name(contact)}" if contact else ""
    return View(
        type="modal",
        title="Touch logged",
        close="Done",
        blocks=[
            section(f":white_check_mark: Logged a {kind}{who} at *{name(account)}* on {when.isoformat()}.")
        ],
    )


def render_reply_modal(blocks: list[Block]) -> View:
    """A reply to a click in App Home (which has no response_url), shown in a small modal."""
    return View(type="modal", title="accountbot", close="Close", blocks=blocks[:100])


def render_card_modal(blocks: list[Block], account: str) -> View:
    """A grade card opened from App Home (no response_url there): the card's blocks in a modal."""
    return View(type="modal", title=truncate(account, 24) or "Account", close="Close", blocks=blocks[:100])
