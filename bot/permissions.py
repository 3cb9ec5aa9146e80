"""Who may read and change what.

- Only full members of the workspace may use accountbot at all: guests (multi- and single-channel), users of
  another workspace reaching us through Slack Connect and bots get a polite refusal and no data
  (`member_status`, asked by every lazy listener before it reads anything).
- Members may look accounts up, log touches and add or retire contacts.
- Only the account's owner or an admin may `set` fields (ratings, owner, sponsor, stage, aliases, feed) or snooze it.
- Only admins may add workspace-wide feeds.

Admins are ADMIN_USER_IDS (only in SLACK_TEAM_ID's workspace when that is set, in every workspace when it is
not), or Slack workspace admins/owners according to users.info. One users.info answer decides both admin
rights and membership; it is remembered in slack_users for ADMIN_CACHE_TTL so the Web API is asked at most
about once a day per user.

When users.info fails:
- admin rights fail closed: a stale cached admin flag is not trusted (`Standing.failed` lets the caller say
  the check failed rather than "you are not an admin");
- membership: a stale cached membership is used (a known guest stays refused, a known member keeps reading);
  with nothing cached the request is let through only if the payload says nothing against it (no user team
  of another workspace, not an Enterprise Grid org-wide install), else refused with "couldn't check".
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


def standing(ctx: BotContext, client: WebClient | None, team_id: str, user_id: str) -> Standing:
    """ADMIN_USER_IDS first; then a fresh slack_users row; then users.info (remembered)."""
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
    membership = membership_of(user, team_id)
    admin = admin_of(user, team_id)
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
) -> str:
    """MEMBER when the user may use accountbot in `team_id`; else why not: "guest", "outsider", "bot" or
    UNCHECKED. `payload` (the Slack request body) can settle it without a Web API call (a user of another
    team); `known` reuses a standing this request already looked up (one users.info per request)."""
    if ctx.listed_admin(team_id, user_id):
        return MEMBER
    payload = payload or {}
    their_team = payload_user_team(payload)
    if their_team is not None and their_team != team_id and not _org_wide(payload):
        return OUTSIDER
    found = known() if known is not None else standing(ctx, client, team_id, user_id)
    if found.membership is not None:
        return found.membership
    if _org_wide(payload):
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
