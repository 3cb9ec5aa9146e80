"""Who may change what.

- Anyone in the workspace may look accounts up, log touches and add or retire contacts.
- Only the account's owner or an admin may `set` fields (ratings, owner, sponsor, stage, aliases, feed) or snooze it.
- Only admins may add workspace-wide feeds.

Admins are ADMIN_USER_IDS, or Slack workspace admins/owners according to users.info, remembered in
slack_users for ADMIN_CACHE_TTL so the Web API is asked at most about once a day per user.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.context import BotContext
from storage.db import ensure_workspace, unit_of_work
from storage.edits import remember_slack_user
from storage.views import slack_user

log = logging.getLogger("accountbot.permissions")

ADMIN_CACHE_TTL = timedelta(hours=24)


def is_admin(ctx: BotContext, client: WebClient | None, team_id: str, user_id: str) -> bool:
    """ADMIN_USER_IDS first; then the slack_users cache; then users.info (is_admin or is_owner), cached."""
    if user_id in ctx.admin_ids:
        return True
    now = ctx.now()
    with unit_of_work(ctx.sessions) as session:
        cached = slack_user(session, team_id, user_id)
        if cached is not None and cached.refreshed_at is not None and now - cached.refreshed_at < ADMIN_CACHE_TTL:
            return bool(cached.is_admin)
    if client is None:
        return False
    try:
        answer = client.users_info(user=user_id)
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("users_info_failed team=%s user=%s error=%s", team_id, user_id, type(exc).__name__)
        return bool(cached.is_admin) if cached is not None else False
    user = answer.get("user") or {}
    if user.get("team_id") not in (None, team_id):
        return False  # a user of another workspace is never this workspace's admin
    admin = bool(user.get("is_admin") or user.get("is_owner"))
    profile = user.get("profile") or {}
    with unit_of_work(ctx.sessions) as session:
        ensure_workspace(session, team_id)
        remember_slack_user(
            session, team_id=team_id, user_id=user_id, is_admin=admin, now=now, tz=user.get("tz"),
            real_name=user.get("real_name"), email=(profile.get("email") or None),
        )
    return admin


def may_change(owner_user_id: str | None, user_id: str, admin: bool) -> bool:
    """The owner or an admin. An account without an owner is changed by admins only."""
    return admin or (owner_user_id is not None and owner_user_id == user_id)
