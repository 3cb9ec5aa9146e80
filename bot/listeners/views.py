"""The Log-touch modal's submission, answered inside the ack (Slack needs field errors in the HTTP answer):
field errors (response_action "errors"), or the touch written and a confirmation (response_action
"update"). One small read and one insert; the membership check is the cached one (no users.info): the
`log_touch` button that opened the form made the full check moments before.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from slack_sdk import WebClient

from accounts import numbers
from bot.commands.text import MAX_NOTE, plain
from bot.commands.touch import log_touch_at
from bot.commands.types import TOUCH_KINDS, Request, latest_today
from bot.context import BotContext
from bot.listeners.guard import Answer, Body, member_only
from bot.render.blocks import Message
from bot.render.ids import CONTACT, CONTACT_NAME, DATE, KIND, NOTE
from bot.render.modal import render_touch_logged
from storage.reads.accounts import get_account
from storage.reads.contacts import contacts_of
from storage.writes import edits

log = logging.getLogger("accountbot.views")

MAX_DAYS_BACK = 3 * 365


@dataclass(frozen=True, slots=True)
class LogTouchForm:
    account_id: int
    kind: str
    contact_id: int | None
    contact_name: str | None
    when: date
    note: str | None


def _value(values: dict[str, Any], block: str) -> dict[str, Any]:
    return (values.get(block) or {}).get(block) or {}


def read_log_touch(view: dict[str, Any], today_: date) -> tuple[LogTouchForm | None, dict[str, str]]:
    """The form's values, or field errors keyed by block id. Pure: no database, no Slack. `today_` is the
    latest day that may be picked (bot.commands.types.latest_today: today somewhere on Earth)."""
    values = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        account_id = numbers.whole(str(meta["account_id"]), low=1)
        if account_id is None:
            raise ValueError("account_id")
    except (ValueError, KeyError, TypeError):
        return None, {KIND: "This form is out of date. Close it and click Log touch again."}

    kind = ((_value(values, KIND).get("selected_option") or {}).get("value") or "").strip()
    if kind not in TOUCH_KINDS:
        errors[KIND] = "Pick what kind of touch it was."

    contact_id = None
    picked = (_value(values, CONTACT).get("selected_option") or {}).get("value")
    if picked:
        contact_id = numbers.whole(str(picked), low=1)
        if contact_id is None:
            errors[CONTACT] = "Pick a contact from the list."
    typed: str | None = " ".join(plain(_value(values, CONTACT_NAME).get("value") or "").split()) or None
    if contact_id is not None and typed:
        errors[CONTACT_NAME] = "Pick a contact from the list or type a name, not both."
    if typed and len(typed) > 200:
        errors[CONTACT_NAME] = "A name has at most 200 characters."

    when = None
    raw_date = _value(values, DATE).get("selected_date")
    if not raw_date:
        errors[DATE] = "Pick the day of the touch."
    else:
        try:
            when = date.fromisoformat(raw_date)
        except ValueError:
            errors[DATE] = "Pick the day from the calendar."
        else:
            if when > today_:
                errors[DATE] = "That day is in the future; log touches that happened."
            elif when < today_ - timedelta(days=MAX_DAYS_BACK):
                errors[DATE] = "That is more than three years ago; import old history with the CLI instead."

    note = (_value(values, NOTE).get("value") or "").strip() or None
    if note and len(note) > MAX_NOTE:
        errors[NOTE] = f"A note has at most {MAX_NOTE:,} characters."
    if note and any(ord(c) < 32 and c not in "\n\t" for c in note):
        errors[NOTE] = "The note contains invisible control characters; retype it."

    if errors or when is None:
        return None, errors
    return LogTouchForm(account_id, kind, contact_id, typed, when, note), {}


def refuse_in_form(ctx: BotContext, req: Request, body: Body, client: WebClient, stop: Message) -> Answer:
    return {"response_action": "errors", "errors": {KIND: stop.text}}


@member_only(refuse_in_form, cached=True)  # cached: no users.info here, this runs inside the ack
def on_log_touch(ctx: BotContext, req: Request, body: Body, client: WebClient) -> Answer:
    """The ack's answer: field errors, or the confirmation view once the touch is written."""
    team, user = req.team_id, req.user_id
    form, errors = read_log_touch(body.get("view") or {}, latest_today(ctx))
    if form is None:
        return {"response_action": "errors", "errors": errors}
    with ctx.sessions.begin() as session:
        account = get_account(session, team, form.account_id)
        if account is None:  # deleted, or a forged form from another workspace
            return {
                "response_action": "errors",
                "errors": {KIND: "This account is not in your workspace any more."},
            }
        account_name = account.name
        contact_id, contact_name = form.contact_id, form.contact_name
        if contact_id is not None:
            known = {c.id: c.name for c in contacts_of(session, team, account.id)}
            if contact_id not in known:
                return {
                    "response_action": "errors",
                    "errors": {CONTACT: "That contact does not belong to this account."},
                }
            contact_name = known[contact_id]
        elif contact_name:
            found = edits.find_contact(session, team, account.id, contact_name)
            if found is None:
                return {
                    "response_action": "errors",
                    "errors": {
                        CONTACT_NAME: f"No contact by that name at {account_name[:80]}. "
                        "Pick one from the list, leave it empty, or add them with /account contact add.",
                    },
                }
            contact_id, contact_name = found.id, found.name
    view_id = str((body.get("view") or {}).get("id") or "") or None
    log_touch_at(ctx, team, user, form.account_id, form.kind, form.when, contact_id, form.note, view_id)
    return {
        "response_action": "update",
        "view": render_touch_logged(account_name, form.kind, contact_name, form.when),
    }
