"""Every Slack listener of the bot, registered on one Bolt app by `register(app, ctx)`.

- commands: `/account ...` (ack at once, answer through the response_url);
- actions: buttons on cards, lists, nudges and App Home;
- views: the Log-touch modal's submission;
- home: App Home on app_home_opened;
- news: the news alerts' "Not relevant" button and exclusion modal (owned by the news area).
"""

from __future__ import annotations

from slack_bolt import App

from bot.context import BotContext
from bot.listeners import actions, commands, home, news, views


def register(app: App, ctx: BotContext) -> None:
    commands.register(app, ctx)
    actions.register(app, ctx)
    views.register(app, ctx)
    home.register(app, ctx)
    news.register(app, ctx)
