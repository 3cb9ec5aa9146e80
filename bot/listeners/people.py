"""`user_change`: someone's Slack profile changed (a new time zone after a move, deactivated, made admin). A
person the bot already knows is updated at once, so the next digest follows their new zone; nobody else is
stored. No membership check: the event comes from Slack, not from a person.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.context import BotContext
from bot.directory import remember_user
from bot.listeners.guard import Body
from storage.reads.slack_users import slack_user

log = logging.getLogger("accountbot.people")


def on_user_change(ctx: BotContext, body: Body, client: WebClient, context: Any) -> None:
    user = (body.get("event") or {}).get("user")
    team = context.team_id or body.get("team_id")
    if not team or not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return
    with ctx.sessions.begin() as session:
        known = slack_user(session, team, user["id"])
        if known is None:
            return
        before = known.tz
        remember_user(session, team, user, ctx.now(), known.email)
    if before != user.get("tz"):
        log.info("user_zone_changed team=%s user=%s tz=%s", team, user["id"], user.get("tz"))
