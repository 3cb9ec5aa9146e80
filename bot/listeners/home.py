"""App Home: rebuilt and published on every app_home_opened (Home tab), and after a snooze from Home."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.views import View

from bot.context import BotContext
from bot.listeners.requests import make_request, refusal
from bot.render.home import render_home
from bot.render.kit import Message
from bot.slack_client import classify
from storage.reads.home import home_data

log = logging.getLogger("accountbot.home")


def publish_home(ctx: BotContext, client: WebClient, team_id: str, user_id: str) -> bool:
    """Render the viewer's Home and views.publish it (429/5xx retried by the client). True when accepted."""
    now = ctx.now()
    with ctx.sessions.begin() as session:
        data = home_data(session, team_id, user_id, now, ctx.thresholds)
    view = render_home(data, now)
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


def register(app: App, ctx: BotContext) -> None:
    def ack_event(ack: Ack) -> None:
        ack()

    def on_home_opened(body: dict[str, Any], event: dict[str, Any], client: WebClient, context: Any) -> None:
        if event.get("tab", "home") != "home":
            return
        req = make_request(ctx, client, body, context)
        team, user = req.team_id, str(event.get("user") or req.user_id)
        try:
            stop = refusal(ctx, client, body, req)
            if stop is not None:
                publish_refusal(client, team, user, stop)
                return
            publish_home(ctx, client, team, user)
        except Exception as exc:
            log.error("home_failed team=%s error=%s", team, type(exc).__name__, exc_info=exc)

    app.event("app_home_opened")(ack=ack_event, lazy=[on_home_opened])
