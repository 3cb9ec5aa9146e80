"""`member_only`: the one guard in front of every listener that reads or changes accounts. It builds the
Request from Bolt's context, checks membership (bot.permissions; the cached check for modal submissions,
which answer inside the ack), delivers a refusal the listener's own way, and otherwise calls the listener.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.commands.types import Request
from bot.context import BotContext
from bot.permissions import MEMBER, UNCHECKED, Standing, member_status, payload_elsewhere, standing
from bot.render.blocks import Message
from bot.render.replies import render_database_down, render_not_for_you, render_unchecked
from storage.reads.slack_users import slack_user

log = logging.getLogger("accountbot.permissions")

Body = dict[str, Any]
Answer = dict[str, Any]  # the keyword arguments of a modal submission's ack()
R = TypeVar("R")
# What a guarded listener is given; what it (and the refusal) return goes back to Slack: None for lazy
# listeners, the ack's arguments for modal submissions.
Listener = Callable[[BotContext, Request, Body, WebClient], R]
Deliver = Callable[[BotContext, Request, Body, WebClient, Message], R]
# What bot.listeners registers: the listener with its guard, given Bolt's body, client and context.
Guarded = Callable[[BotContext, Body, WebClient, BoltContext], R]


def member_only(deliver: Deliver[R], *, cached: bool = False) -> Callable[[Listener[R]], Guarded[R]]:
    """Run the listener for full members only; anyone else gets the refusal, through `deliver`."""

    def decorate(listener: Listener[R]) -> Guarded[R]:
        def guarded(ctx: BotContext, body: Body, client: WebClient, context: BoltContext) -> R:
            req = make_request(ctx, client, body, context)
            if cached:  # inside the ack: no users.info
                stop = cached_refusal(ctx, body, req)
            else:
                stop = refusal(ctx, client, body, req)
            if stop is not None:
                return deliver(ctx, req, body, client, stop)
            return listener(ctx, req, body, client)

        guarded.__name__ = guarded.__qualname__ = listener.__name__
        guarded.__doc__ = listener.__doc__
        return guarded

    return decorate


def make_request(ctx: BotContext, client: WebClient | None, body: Body, context: BoltContext) -> Request:
    """Who and where from Bolt's context (bolt's request/internals.py reads them from the payload); a click
    on a message names its channel only in `container` (Bolt does not look there)."""
    team, user = context.team_id, context.user_id or ""
    if not team:
        raise ValueError("request without a team id")
    channel = context.channel_id or (body.get("container") or {}).get("channel_id")
    enterprise = context.enterprise_id or None

    @cache
    def look() -> Standing:  # one users.info (or cache read) per request, for membership and admin rights
        return standing(ctx, client, team, user, enterprise)

    def admin() -> bool:
        return look().admin

    return Request(
        team_id=team,
        user_id=user,
        channel_id=channel,
        admin=admin,
        client=client,
        standing=look,
        enterprise_id=enterprise,
        org_wide=bool(context.is_enterprise_install),
    )


def refusal(ctx: BotContext, client: WebClient | None, body: Body, req: Request) -> Message | None:
    """None when the user is a full member of the request's workspace; else the reply that replaces the
    answer (guests, Slack Connect users of another organisation, bots, or a check that could not be made).
    Lazy listeners only: it may call users.info, which has no place on the ack path."""
    try:
        status = member_status(
            ctx,
            client,
            req.team_id,
            req.user_id,
            payload=body,
            known=req.standing,
            enterprise_id=req.enterprise_id,
            org_wide=req.org_wide,
        )
    except (
        SQLAlchemyError
    ) as exc:  # the database: say so (not "Slack did not answer"), refuse rather than guess
        log.error("member_check_failed team=%s error=%s cause=database", req.team_id, type(exc).__name__)
        return render_database_down()
    except Exception as exc:  # refuse rather than answer unchecked
        log.error("member_check_failed team=%s error=%s", req.team_id, type(exc).__name__, exc_info=exc)
        return render_unchecked()
    if status == MEMBER:
        return None
    log.info("not_a_member team=%s user=%s status=%s", req.team_id, req.user_id, status)
    return render_unchecked() if status == UNCHECKED else render_not_for_you()


def cached_refusal(ctx: BotContext, body: Body, req: Request) -> Message | None:
    """For handlers that must answer inside the ack (modal submissions): the membership check without a Web
    API call. The payload's user team (outside Enterprise Grid) and the slack_users row decide; an unknown user
    passes (the modal was opened from a button whose lazy listener checked them)."""
    team_id, user_id = req.team_id, req.user_id
    if ctx.listed_admin(team_id, user_id):
        return None
    if payload_elsewhere(body, team_id) and not (req.enterprise_id or req.org_wide):
        log.info("not_a_member team=%s user=%s status=outsider", team_id, user_id)
        return render_not_for_you()
    with ctx.sessions.begin() as session:
        row = slack_user(session, team_id, user_id)
        membership = row.membership if row is not None else None
    if membership is not None and membership != MEMBER:
        log.info("not_a_member team=%s user=%s status=%s", team_id, user_id, membership)
        return render_not_for_you()
    return None
