"""App Home: rebuilt and published on every app_home_opened (Home tab), and after a snooze from Home. It shows
the viewer's digest rhythm with a *Digest settings* button (bot.listeners.prefs opens the modal)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.views import View

from accounts.dead_letters import summarize
from accounts.outcomes import HOME_WINDOW_DAYS
from accounts.timing import rhythm_of
from bot.commands.types import Request
from bot.context import BotContext
from bot.listeners.guard import Body, member_only
from bot.render.blocks import Message
from bot.render.home import render_home
from bot.slack_client import classify
from storage.nudge_ledger import nudge_outcomes
from storage.preferences import DEFAULTS_USER, prefs_of
from storage.queues.outbox import dead_since
from storage.reads.home import home_data

log = logging.getLogger("accountbot.home")


def publish_home(
    ctx: BotContext, client: WebClient, team_id: str, user_id: str, *, admin: bool = False
) -> bool:
    """Render the viewer's Home and views.publish it (429/5xx retried by the client). True when accepted. An
    admin's Home also counts the last 7 days' dead letters by reason, with the fixes, and shows whether the last
    4 weeks' nudges were followed by a touch (bot.render.outcomes)."""
    now = ctx.now()
    with ctx.sessions.begin() as session:
        data = home_data(session, team_id, user_id, now, ctx.thresholds)
        if admin:
            dead = dead_since(session, team_id=team_id, since=now - timedelta(days=7), until=now)
            data = dataclasses.replace(data, dead_letters=summarize(now.date().isoformat(), dead))
            outcomes = nudge_outcomes(session, team_id, since=now - timedelta(days=HOME_WINDOW_DAYS), now=now)
            data = dataclasses.replace(data, nudge_outcomes=outcomes)
        rhythm = rhythm_of(prefs_of(session, team_id, user_id), prefs_of(session, team_id, DEFAULTS_USER))
    view = render_home(data, now, rhythm)
    try:
        client.views_publish(user_id=user_id, view=view)
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("home_publish_failed team=%s user=%s error=%s", team_id, user_id, classify(exc).error)
        return False
    return True


def publish_refusal(client: WebClient, team_id: str, user_id: str, message: Message) -> bool:
    """Home for someone who may not see accounts (a guest, an outsider): the refusal and nothing else."""
    try:
        client.views_publish(user_id=user_id, view=View(type="home", blocks=message.blocks))
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("home_publish_failed team=%s user=%s error=%s", team_id, user_id, classify(exc).error)
        return False
    return True


def on_home_opened(ctx: BotContext, body: Body, client: WebClient, context: BoltContext) -> None:
    """app_home_opened: only the Home tab is ours (the Messages tab is Slack's)."""
    if (body.get("event") or {}).get("tab", "home") != "home":
        return
    show_home(ctx, body, client, context)


def refuse_home(ctx: BotContext, req: Request, body: Body, client: WebClient, stop: Message) -> None:
    """Someone who may not see accounts gets the refusal as their Home, and nothing else."""
    try:
        publish_refusal(client, req.team_id, req.user_id, stop)
    except Exception as exc:
        log.error("home_failed team=%s error=%s", req.team_id, type(exc).__name__, exc_info=exc)


@member_only(refuse_home)
def show_home(ctx: BotContext, req: Request, body: Body, client: WebClient) -> None:
    try:
        publish_home(ctx, client, req.team_id, req.user_id, admin=req.admin())
    except Exception as exc:
        log.error("home_failed team=%s error=%s", req.team_id, type(exc).__name__, exc_info=exc)
