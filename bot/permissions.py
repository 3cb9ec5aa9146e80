"""Who may read and change what: full members only (`member_status`), owner or admin for `set` and
`snooze`, admins for workspace feeds; one users.info answer, remembered in slack_users, decides both
membership and admin rights. The rules and what happens when users.info fails: docs/slack-commands.md#who-may-use-what.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.context import BotContext
from bot.membership import MEMBER, MEMBERSHIPS, OUTSIDER, admin_of, membership_of
from storage.db import ensure_workspace
from storage.reads.slack_users import slack_user
from storage.writes.slack_users import remember_slack_user

log = logging.getLogger("accountbot.permissions")

ADMIN_CACHE_TTL = timedelta(hours=24)
UNCHECKED = "unchecked"  # member_status: users.info failed, nothing cached, and the payload is not enough


@dataclass(frozen=True, slots=True)
class Standing:
    """What we know of a user in a workspace: admin rights, membership (None = unknown) and whether the
    users.info check we needed failed."""

    admin: bool
    membership: str | None
    failed: bool = False


def standing(
    ctx: BotContext, client: WebClient | None, team_id: str, user_id: str, enterprise_id: str | None = None
) -> Standing:
    """ADMIN_USER_IDS first; then a fresh slack_users row; then users.info (remembered). `enterprise_id`: the
    Enterprise Grid organisation the request came from (Bolt's context), whose members and admins count."""
    if ctx.listed_admin(team_id, user_id):
        return Standing(admin=True, membership=MEMBER)
    now = ctx.now()
    with ctx.sessions.begin() as session:
        cached = slack_user(session, team_id, user_id)
        fresh = (
            cached is not None
            and cached.refreshed_at is not None
            and now - cached.refreshed_at < ADMIN_CACHE_TTL
        )
        known = cached.membership if cached is not None and cached.membership in MEMBERSHIPS else None
        cached_admin = bool(cached.is_admin) if cached is not None else False
    if fresh and (known is not None or client is None):
        return Standing(admin=cached_admin and known in (None, MEMBER), membership=known)
    if client is None:  # offline (CLI, tests): nothing to ask; a stale admin flag is not trusted
        return Standing(admin=False, membership=known)
    try:
        answer = client.users_info(user=user_id)
    except (SlackApiError, SlackClientError, OSError) as exc:
        error = _error_of(exc)
        if error == "user_not_found":  # Slack says this workspace does not know them
            log.warning("users_info_unknown_user team=%s user=%s", team_id, user_id)
            return Standing(admin=False, membership=OUTSIDER)
        log.warning(
            "users_info_failed team=%s user=%s error=%s cached=%s admin_refused=%s",
            team_id,
            user_id,
            error,
            known or "none",
            cached_admin,
        )
        return Standing(admin=False, membership=known, failed=True)
    user = answer.get("user") or {}
    membership = membership_of(user, team_id, enterprise_id)
    admin = admin_of(user, team_id, enterprise_id)
    profile = user.get("profile") or {}
    with ctx.sessions.begin() as session:
        ensure_workspace(session, team_id)
        remember_slack_user(
            session,
            team_id=team_id,
            user_id=user_id,
            is_admin=admin,
            now=now,
            tz=user.get("tz"),
            real_name=user.get("real_name"),
            email=(profile.get("email") or None),
            membership=membership,
        )
    return Standing(admin=admin, membership=membership)


def is_admin(ctx: BotContext, client: WebClient | None, team_id: str, user_id: str) -> bool:
    """ADMIN_USER_IDS, else Slack's workspace admins and owners (cached). Fails closed when users.info fails."""
    return standing(ctx, client, team_id, user_id).admin


def member_status(
    ctx: BotContext,
    client: WebClient | None,
    team_id: str,
    user_id: str,
    payload: dict[str, Any] | None = None,
    known: Callable[[], Standing] | None = None,
    enterprise_id: str | None = None,
    org_wide: bool = False,
) -> str:
    """MEMBER when the user may use accountbot in `team_id`; else why not: "guest", "outsider", "bot" or
    UNCHECKED. `payload` (the Slack request body) can settle it without a Web API call (a user of another
    team, outside Enterprise Grid); `known` reuses a standing this request already looked up (one users.info
    per request). `enterprise_id` and `org_wide` come from Bolt's context: in a Grid organisation a member's
    home team may differ from the workspace, so users.info decides."""
    if ctx.listed_admin(team_id, user_id):
        return MEMBER
    payload = payload or {}
    grid = bool(enterprise_id) or org_wide or _org_wide(payload)
    if payload_elsewhere(payload, team_id) and not grid:
        return OUTSIDER
    found = known() if known is not None else standing(ctx, client, team_id, user_id, enterprise_id)
    if found.membership is not None:
        return found.membership
    if grid:
        log.warning("member_unchecked_refused team=%s user=%s", team_id, user_id)
        return UNCHECKED
    log.warning("member_unchecked_allowed team=%s user=%s", team_id, user_id)
    return MEMBER


def payload_user_team(payload: dict[str, Any]) -> str | None:
    """The user's own team when the payload says it: `user.team_id` (interactions), `user_team` (some events
    and commands), or the inner event's `user_team`."""
    user = payload.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"])
    for where in (payload, payload.get("event") or {}):
        if isinstance(where, dict) and where.get("user_team"):
            return str(where["user_team"])
    return None


def payload_elsewhere(payload: dict[str, Any], team_id: str) -> bool:
    """The payload says the user's own team is another one (outside Enterprise Grid: another organisation)."""
    their_team = payload_user_team(payload)
    return their_team is not None and their_team != team_id


def _org_wide(payload: dict[str, Any]) -> bool:
    value = payload.get("is_enterprise_install")
    return value is True or str(value).lower() == "true"


def _error_of(exc: Exception) -> str:
    if isinstance(exc, SlackApiError) and exc.response is not None:
        try:
            return str(exc.response.get("error") or exc.response.status_code)
        except Exception:  # a response without a JSON body
            return str(exc.response.status_code)
    return type(exc).__name__


def may_change(owner_user_id: str | None, user_id: str, admin: bool) -> bool:
    """The owner or an admin. An account without an owner is changed by admins only."""
    return admin or (owner_user_id is not None and owner_user_id == user_id)
