"""Reading who/where from Bolt payloads, and building the command Request for a listener."""

from __future__ import annotations

from functools import cache
from typing import Any

from slack_sdk import WebClient

from bot.context import BotContext
from bot.listeners.answers import Request
from bot.listeners.permissions import is_admin


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


def make_request(ctx: BotContext, client: WebClient | None, body: dict[str, Any], context: Any = None) -> Request:
    team, user = team_of(body, context), user_of(body)

    @cache
    def admin() -> bool:
        return is_admin(ctx, client, team, user)

    return Request(team_id=team, user_id=user, channel_id=channel_of(body), admin=admin, client=client)
