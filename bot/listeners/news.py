"""The news alerts' "Not relevant" button (a vote; the account's owner or an admin then gets a modal) and
that modal's submission, which adds an exclusion phrase (owner or admin only, checked again). What people
see is in docs/news.md#how-it-works; "Open grade" on the alert is the shared `open_grade` button.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from accounts import numbers
from bot.commands.types import Request
from bot.context import BotContext
from bot.listeners.delivery import reply_or_apologise
from bot.listeners.guard import Answer, Body, member_only
from bot.permissions import may_change, standing
from bot.render.blocks import Message
from bot.render.ids import PHRASE_ACTION, PHRASE_BLOCK
from bot.render.news import (
    MAX_PHRASE,
    render_exclusion_added,
    render_exclusion_modal,
    render_vote_recorded,
)
from bot.render.replies import ADMIN_CHECK_FAILED, render_problem
from storage import mentions as mention_store

log = logging.getLogger("accountbot.news")


def _mention_id(body: dict[str, Any]) -> int | None:
    value = str(((body.get("actions") or [{}])[0]).get("value") or "").strip()
    return int(value) if value.isdecimal() else None  # not isdigit: int() refuses superscripts such as ²


def _send(req: Request, body: Body, client: WebClient, message: Message) -> None:
    reply_or_apologise(body.get("response_url"), message, req=req, client=client, what="the vote")


def refuse_vote(ctx: BotContext, req: Request, body: Body, client: WebClient, stop: Message) -> None:
    _send(req, body, client, stop)  # guests and outsiders neither vote nor see the account


@member_only(refuse_vote)
def not_relevant(ctx: BotContext, req: Request, body: Body, client: WebClient) -> None:
    team, user = req.team_id, req.user_id
    mention_id = _mention_id(body)
    if mention_id is None:
        _send(
            req,
            body,
            client,
            render_problem("That button carries no story; it may come from an old message."),
        )
        return
    with ctx.sessions.begin() as session:
        vote = mention_store.vote_not_relevant(
            session, team_id=team, mention_id=mention_id, user_id=user, now=ctx.now()
        )
    if vote is None:  # unknown here: deleted, or a forged id from another workspace; nothing was stored
        _send(req, body, client, render_problem("That story is not known in this workspace any more."))
        return
    already = not vote.counted
    log.info(
        "news_not_relevant team=%s user=%s mention=%s votes=%s repeat=%s",
        team,
        user,
        mention_id,
        vote.votes,
        already,
    )
    if may_change(vote.owner_user_id, user, req.admin()) and body.get("trigger_id"):
        meta = json.dumps({"account_id": vote.account_id, "mention_id": mention_id})
        view = render_exclusion_modal(vote.account_name, vote.title, meta, already=already)
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("news_modal_failed team=%s user=%s error=%s", team, user, type(exc).__name__)
    _send(req, body, client, render_vote_recorded(vote.account_name, vote.votes, already=already))


def _phrase_error(text: str) -> Answer:
    return {"response_action": "errors", "errors": {PHRASE_BLOCK: text}}


def refuse_phrase(ctx: BotContext, req: Request, body: Body, client: WebClient, stop: Message) -> Answer:
    return _phrase_error(stop.text)


@member_only(refuse_phrase, cached=True)  # no users.info for membership inside the ack
def add_phrase(ctx: BotContext, req: Request, body: Body, client: WebClient) -> Answer:
    team, user = req.team_id, req.user_id
    view = body.get("view") or {}
    values = (view.get("state") or {}).get("values") or {}
    phrase = " ".join(str((values.get(PHRASE_BLOCK) or {}).get(PHRASE_ACTION, {}).get("value") or "").split())
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        account_id = numbers.whole(str(meta["account_id"]), low=1)
        if account_id is None:
            raise ValueError("account_id")
    except (ValueError, KeyError, TypeError):
        return _phrase_error("This form is out of date; click Not relevant again.")
    if not phrase:
        return _phrase_error("Type the words that mark stories to ignore.")
    if len(phrase) > MAX_PHRASE:
        return _phrase_error(f"Keep it under {MAX_PHRASE} characters.")
    with ctx.sessions.begin() as session:
        brief = mention_store.account_brief(session, team_id=team, account_id=account_id)
    if brief is None:
        return _phrase_error("This account is not in your workspace any more.")
    name, owner = brief
    found = standing(ctx, client, team, user, req.enterprise_id) if owner != user else None
    if found is not None and not may_change(owner, user, found.admin):
        why = "Only the account's owner or an admin can add phrases."
        if found.failed:
            why = f"{ADMIN_CHECK_FAILED}; only the account's owner or an admin can add phrases. Try again in a minute."
        return _phrase_error(why)
    with ctx.sessions.begin() as session:
        phrases = mention_store.add_exclusion(
            session, team_id=team, account_id=account_id, phrase=phrase, now=ctx.now()
        )
    log.info("news_exclusion_added team=%s user=%s account=%s", team, user, account_id)
    return {"response_action": "update", "view": render_exclusion_added(name, phrase, phrases)}
