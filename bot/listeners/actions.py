"""Buttons on cards, lists, replies, nudges and App Home (their ids: bot.render.ids).

Values carry the account name, looked up again in the clicking user's workspace. Clicks on messages answer
through the response_url; clicks inside App Home (no response_url) open a modal or republish Home instead.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from accounts import numbers
from bot.commands import listing
from bot.commands.grade import card_of
from bot.commands.lookup import resolve
from bot.commands.snooze import snooze_by_name
from bot.commands.types import LIST_FILTERS, ListAccounts, Refused, Request, today
from bot.context import BotContext
from bot.listeners.commands import safely
from bot.listeners.delivery import apologise, reply, reply_or_apologise
from bot.listeners.guard import Body, member_only
from bot.listeners.home import publish_home, publish_refusal
from bot.render.blocks import Message
from bot.render.card import card_blocks, render_card, render_shared_card
from bot.render.ids import SNOOZE_MONTH, SNOOZE_WEEK
from bot.render.modal import render_card_modal, render_log_touch_modal, render_reply_modal
from bot.render.replies import is_confirmation, render_problem, render_slack_failed
from bot.slack_client import classify
from storage.reads.cards import AccountCard
from storage.reads.contacts import contacts_of

log = logging.getLogger("accountbot.actions")

SNOOZE_DAYS = {SNOOZE_WEEK: 7, SNOOZE_MONTH: 30}


def _value(body: Body) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "").strip()


def _from_view(body: Body) -> bool:
    return not body.get("response_url") and (body.get("container") or {}).get("type") == "view"


def _answer(
    ctx: BotContext, client: WebClient, body: Body, req: Request, message: Message, **kw: Any
) -> None:
    """Reply on the message's response_url; from App Home there is none, so refresh Home instead."""
    if body.get("response_url"):
        reply_or_apologise(body["response_url"], message, req=req, client=client, **kw)
    elif (body.get("view") or {}).get("type") == "home":
        publish_home(ctx, client, req.team_id, req.user_id, admin=req.admin())
        if not is_confirmation(message):  # a refusal or a miss must not vanish silently
            _open_view(client, body, req, render_reply_modal(message.blocks), "the answer")


def refuse_click(ctx: BotContext, req: Request, body: Body, client: WebClient, stop: Message) -> None:
    """Guests and outsiders get the refusal (on the message, or as their Home and a modal) and nothing else."""
    if body.get("response_url"):
        reply_or_apologise(body["response_url"], stop, req=req, client=client)
        return
    if (body.get("view") or {}).get("type") == "home":
        publish_refusal(client, req.team_id, req.user_id, stop)
    if body.get("trigger_id"):
        _open_view(client, body, req, render_reply_modal(stop.blocks), "the answer")


def _open_view(client: WebClient, body: Body, req: Request, view: Any, what: str) -> bool:
    try:
        client.views_open(trigger_id=body["trigger_id"], view=view)
    except (SlackApiError, SlackClientError, OSError, KeyError) as exc:
        error = (
            classify(exc).error
            if isinstance(exc, SlackApiError | SlackClientError | OSError)
            else "no_trigger"
        )
        log.warning("views_open_failed team=%s user=%s error=%s", req.team_id, req.user_id, error)
        if not reply(body.get("response_url"), render_slack_failed(what), team_id=req.team_id):
            apologise(client, req.channel_id, req.user_id, what, req.team_id)
        return False
    return True


@member_only(refuse_click)
def open_grade(ctx: BotContext, req: Request, body: Body, client: WebClient) -> None:
    found = safely(ctx, lambda: _card_or_message(ctx, req.team_id, _value(body)), req.team_id)
    if _from_view(body):
        if isinstance(found, AccountCard):
            _open_view(client, body, req, render_card_modal(card_blocks(found), found.name), "the card")
        return
    message = render_card(found) if isinstance(found, AccountCard) else found
    _answer(ctx, client, body, req, message)


@member_only(refuse_click)
def log_touch(ctx: BotContext, req: Request, body: Body, client: WebClient) -> None:
    typed = _value(body)
    try:
        with ctx.sessions.begin() as session:
            acc = resolve(session, req.team_id, typed)
            modal = render_log_touch_modal(
                acc.id, acc.name, contacts_of(session, req.team_id, acc.id), today(ctx)
            )
    except Refused as stop:
        _answer(ctx, client, body, req, stop.message)
        return
    _open_view(client, body, req, modal, "the Log touch form")


@member_only(refuse_click)
def snooze(ctx: BotContext, req: Request, body: Body, client: WebClient) -> None:
    action_id = (body.get("actions") or [{}])[0].get("action_id")
    for_days = SNOOZE_DAYS.get(str(action_id), 7)
    message = safely(ctx, lambda: snooze_by_name(ctx, req, _value(body), for_days), req.team_id)
    _answer(ctx, client, body, req, message)


@member_only(refuse_click)
def share(ctx: BotContext, req: Request, body: Body, client: WebClient) -> None:
    found = safely(ctx, lambda: _card_or_message(ctx, req.team_id, _value(body)), req.team_id)
    if not isinstance(found, AccountCard):
        _answer(ctx, client, body, req, found)
        return
    ok = reply(
        body.get("response_url"),
        render_shared_card(found, req.user_id),
        in_channel=True,
        team_id=req.team_id,
    )
    if not ok:
        apologise(client, req.channel_id, req.user_id, "the shared card", req.team_id)


@member_only(refuse_click)
def list_page(ctx: BotContext, req: Request, body: Body, client: WebClient) -> None:
    which, _, raw_page = _value(body).rpartition(":")
    page = numbers.whole(raw_page, low=1, high=10_000)  # accounts.numbers, as typed commands read it
    if which not in (*LIST_FILTERS, "all") or page is None:
        _answer(
            ctx, client, body, req, render_problem("That page button is out of date; run the list again.")
        )
        return
    command = ListAccounts(None if which == "all" else which, page)
    message = safely(ctx, lambda: listing.handle(ctx, req, command), req.team_id)
    if body.get("response_url"):
        if not reply(body["response_url"], message, replace_original=True, team_id=req.team_id):
            apologise(client, req.channel_id, req.user_id, "the next page", req.team_id)


def _card_or_message(ctx: BotContext, team_id: str, typed: str) -> AccountCard | Message:
    if not typed:
        return render_problem(
            "That button carries no account name; open the account with /account grade NAME."
        )
    return card_of(ctx, team_id, typed)
