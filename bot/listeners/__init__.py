"""Every Slack listener of the bot, registered on one Bolt app by `register(app, ctx)` from ROUTES.

Commands, buttons and events are acked at once (an empty 200) and answered by a Bolt *lazy* function after
the ack; modal submissions answer inside the ack (their field errors must be in the HTTP answer). Every
listener is a module-level function behind `member_only` (bot.listeners.guard), but the app's removal
(bot.listeners.lifecycle) and profile changes (bot.listeners.people), which no person sends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.context import BotContext
from bot.listeners import actions, commands, conversation, home, lifecycle, news, people, prefs, views
from bot.listeners import linked_channels as linked_channels
from bot.listeners.guard import Body, Guarded
from bot.render.ids import (
    EXCLUSION_CALLBACK,
    LIST_PAGE_ANY,
    LOG_TOUCH,
    LOG_TOUCH_CALLBACK,
    NOT_RELEVANT,
    OPEN_GRADE_ANY,
    OPEN_PREFS,
    PREFS_CALLBACK,
    SHARE_CARD,
    SNOOZE_ANY,
)

Kind = Literal["command", "action", "event", "view"]
ROUTES: tuple[tuple[Kind, str | re.Pattern[str], Guarded[Any]], ...] = (
    ("command", commands.COMMAND, commands.answer),
    ("action", OPEN_GRADE_ANY, actions.open_grade),
    ("action", LOG_TOUCH, actions.log_touch),
    ("action", SNOOZE_ANY, actions.snooze),
    ("action", SHARE_CARD, actions.share),
    ("action", LIST_PAGE_ANY, actions.list_page),
    ("view", LOG_TOUCH_CALLBACK, views.on_log_touch),
    ("event", "app_home_opened", home.on_home_opened),
    ("event", "app_mention", conversation.on_message),
    ("event", "message", linked_channels.on_message),  # conversation.on_message, then linked channels
    ("event", "app_uninstalled", lifecycle.on_removed),
    ("event", "tokens_revoked", lifecycle.on_removed),
    ("event", "user_change", people.on_user_change),
    ("action", NOT_RELEVANT, news.not_relevant),
    ("view", EXCLUSION_CALLBACK, news.add_phrase),
    ("action", OPEN_PREFS, prefs.open_prefs),
    ("view", PREFS_CALLBACK, prefs.on_prefs_submitted),
)


def ack_now(ack: Ack) -> None:
    ack()


def register(app: App, ctx: BotContext) -> None:
    for kind, matcher, listener in ROUTES:
        if kind == "view":
            app.view(matcher)(_in_ack(ctx, listener))
        else:
            route: Callable[..., Any] = getattr(app, kind)
            route(matcher)(ack=ack_now, lazy=[_lazy(ctx, listener)])


def _lazy(ctx: BotContext, listener: Guarded[None]) -> Callable[[Body, WebClient, BoltContext], None]:
    """The listener as a Bolt lazy function (Bolt passes arguments by these names)."""

    def run(body: Body, client: WebClient, context: BoltContext) -> None:
        listener(ctx, body, client, context)

    run.__name__ = run.__qualname__ = listener.__name__
    return run


def _in_ack(
    ctx: BotContext, listener: Guarded[dict[str, Any]]
) -> Callable[[Ack, Body, WebClient, BoltContext], None]:
    """The listener answering inside the ack: what it returns are the ack's arguments."""

    def run(ack: Ack, body: Body, client: WebClient, context: BoltContext) -> None:
        ack(**listener(ctx, body, client, context))

    run.__name__ = run.__qualname__ = listener.__name__
    return run
