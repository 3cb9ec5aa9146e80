"""Every Slack listener of the bot, registered on one Bolt app by `register(app, ctx)`.

- commands: `/account ...` (ack at once, answer through the response_url);
- actions: buttons on cards, lists, nudges and App Home;
- views: the Log-touch modal's submission;
- home: App Home on app_home_opened;
- news: the news alerts' buttons (bot.listeners.news, owned by the news area).
"""

from __future__ import annotations

import importlib

from slack_bolt import App

from bot.context import BotContext
from bot.listeners import actions, commands, home, views


def register(app: App, ctx: BotContext) -> None:
    commands.register(app, ctx)
    actions.register(app, ctx)
    views.register(app, ctx)
    home.register(app, ctx)
    _register_news(app, ctx)


def _register_news(app: App, ctx: BotContext) -> None:
    try:
        news = importlib.import_module("bot.listeners.news")
    except ModuleNotFoundError as exc:
        if exc.name != "bot.listeners.news":
            raise
        return  # the news listeners have not landed yet
    news.register(app, ctx)
