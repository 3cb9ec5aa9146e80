"""The app removed from a workspace: `app_uninstalled`, or `tokens_revoked` with the bot's token. Its tokens
are deleted from the installation store (OAuth mode; Bolt's own revocation handlers), and the workspace goes
on hold (storage.holds): its jobs pause, its outbox waits, nothing is dead-lettered, and its data is kept
until an admin runs `accountbot workspace purge TEAM`. Reinstalling ends the hold (bot.relay re-checks the
token). No membership check: these events come from Slack, not from a person.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.listener.builtins import TokenRevocationListeners
from slack_sdk import WebClient

from bot.context import BotContext
from bot.listeners.guard import Body
from storage import holds
from storage.db import ensure_workspace

log = logging.getLogger("accountbot.lifecycle")


def on_removed(ctx: BotContext, body: Body, client: WebClient, context: Any) -> None:
    event = body.get("event") or {}
    kind = str(event.get("type") or "")
    team = context.team_id or body.get("team_id")
    if not team:
        return
    if kind == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
        return  # only users' tokens: the bot still works
    if ctx.settings.oauth:
        from bot.installations import installation_store

        revocations = TokenRevocationListeners(installation_store(ctx.settings, ctx.sessions.kw["bind"]))
        if kind == "app_uninstalled":
            revocations.handle_app_uninstalled_events(context)
        else:
            revocations.handle_tokens_revoked_events(event, context)
    reason = (
        f"{holds.REMOVED} ({kind}). Its data is kept until an admin runs "
        f"`accountbot workspace purge {team}`; install the app again to resume."
    )
    with ctx.sessions.begin() as session:
        ensure_workspace(session, team)
        holds.release(session, team_id=team)  # the newest reason wins
        holds.hold(session, team_id=team, reason=reason, now=ctx.now())
    log.warning("workspace_removed team=%s event=%s", team, kind)
