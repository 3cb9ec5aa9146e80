"""Reading who/where from Bolt payloads, and building the command Request for a listener."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from slack_sdk import WebClient

from bot.context import BotContext
from bot.listeners.answers import Request
from bot.listeners.permissions import MEMBER, UNCHECKED, Standing, member_status, payload_user_team, standing
from bot.render.kit import Message
from bot.render.replies import render_not_for_you, render_unchecked
from storage.reads.slack_users import slack_user

log = logging.getLogger("accountbot.permissions")


def team_of(body: dict[str, Any], context: dict[str, Any] | Any = None) -> str:
    """The workspace of the request: Bolt's context first, then the payload."""
    team = None
    if context is not None:
        team = context.get("team_id") if hasattr(context, "get") else None
    if not team:
        raw = body.get("team")
        team = raw.get("id") if isinstance(raw, dict) else body.get("team_id")
    if not team:
        view = body.get("view") or {}
        team = view.get("team_id")
    if not team:
        raise ValueError("request without a team id")
    return str(team)


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id"))
    return str(body.get("user_id") or (body.get("event") or {}).get("user") or "")


def channel_of(body: dict[str, Any]) -> str | None:
    channel = body.get("channel")
    if isinstance(channel, dict):
        return channel.get("id")
    return body.get("channel_id") or (body.get("container") or {}).get("channel_id")


def make_request(
    ctx: BotContext, client: WebClient | None, body: dict[str, Any], context: Any = None
) -> Request:
    team, user = team_of(body, context), user_of(body)

    @cache
    def look() -> Standing:  # one users.info (or cache read) per request, for membership and admin rights
        return standing(ctx, client, team, user)

    def admin() -> bool:
        return look().admin

    return Request(
        team_id=team, user_id=user, channel_id=channel_of(body), admin=admin, client=client, standing=look
    )


def refusal(ctx: BotContext, client: WebClient | None, body: dict[str, Any], req: Request) -> Message | None:
    """None when the user is a full member of the request's workspace; else the reply that replaces the
    answer (guests, Slack Connect users of another organisation, bots, or a check that could not be made).
    Lazy listeners only: it may call users.info, which has no place on the ack path."""
    try:
        status = member_status(ctx, client, req.team_id, req.user_id, payload=body, known=req.standing)
    except Exception as exc:  # the database, most likely: refuse rather than answer unchecked
        log.error("member_check_failed team=%s error=%s", req.team_id, type(exc).__name__, exc_info=exc)
        return render_unchecked()
    if status == MEMBER:
        return None
    log.info("not_a_member team=%s user=%s status=%s", req.team_id, req.user_id, status)
    return render_unchecked() if status == UNCHECKED else render_not_for_you()


def cached_refusal(ctx: BotContext, body: dict[str, Any], team_id: str, user_id: str) -> Message | None:
    """For handlers that must answer inside the ack (modal submissions): the membership check without a Web
    API call. The payload's user team and the slack_users row decide; an unknown user passes (the modal was
    opened from a button whose lazy listener checked them)."""
    if ctx.listed_admin(team_id, user_id):
        return None
    their_team = payload_user_team(body)
    if their_team is not None and their_team != team_id:
        log.info("not_a_member team=%s user=%s status=outsider", team_id, user_id)
        return render_not_for_you()
    with ctx.sessions.begin() as session:
        row = slack_user(session, team_id, user_id)
        membership = row.membership if row is not None else None
    if membership is not None and membership != MEMBER:
        log.info("not_a_member team=%s user=%s status=%s", team_id, user_id, membership)
        return render_not_for_you()
    return None
