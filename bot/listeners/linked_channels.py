"""Messages in channels linked to an account (`/account link Acme #acme-shared`) count as its touches
(docs/nudges.md#touches-the-bot-can-see). Only the time, the channel and the user ids are stored
(storage.linked_channels), never the text; nothing is logged of it either.

Slack sends every `message` event to one listener, so this one takes the route: it lets
bot.listeners.conversation answer what is a question to the bot (DMs), then counts what is a person's message
in a linked channel. No membership check in front of it: the event comes from Slack, not from a person, and
the author is classified here (users.info, remembered in slack_users with the email it gives).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.context import BotContext
from bot.listeners import conversation
from bot.listeners.guard import Body
from bot.membership import BOT, DEACTIVATED, MEMBER
from bot.permissions import payload_elsewhere, standing
from storage.linked_channels import links_in_channel, record_message
from storage.reads.slack_users import slack_user

log = logging.getLogger("accountbot.linked_channels")

# A person's message: a plain one, a thread reply sent to the channel too, a file with a comment, a /me.
# Edits, deletions, joins, leaves, topic changes, bot messages and every other subtype are not touches.
COUNTED_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})
FUTURE_SLACK = timedelta(minutes=5)  # a message time this far ahead of our clock is taken as now


def on_message(ctx: BotContext, body: Body, client: WebClient, context: Any) -> None:
    """Every `message` event: a question to the bot is answered (conversation), a message in a linked
    channel is counted."""
    try:
        conversation.on_message(ctx, body, client, context)
    finally:
        count_message(ctx, body, client, context)


def counts(event: dict[str, Any]) -> bool:
    """A person's message in a channel (not a DM), of a kind that is a touch."""
    return (
        event.get("type") == "message"
        and event.get("subtype") in COUNTED_SUBTYPES
        and not event.get("bot_id")
        and event.get("channel_type") != "im"
        and isinstance(event.get("channel"), str)
        and isinstance(event.get("user"), str)
    )


def message_time(ts: object, now: datetime) -> datetime:
    """The message's time from its Slack `ts` ("1764000000.000100"); now when it is missing or ahead."""
    try:
        at = datetime.fromtimestamp(float(str(ts)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return now
    return now if at > now + FUTURE_SLACK else at


def count_message(ctx: BotContext, body: Body, client: WebClient, context: Any) -> None:
    """Record the message as a touch of the accounts its channel is linked to; never raises."""
    event = body.get("event") or {}
    team = getattr(context, "team_id", None) or body.get("team_id")
    if not team or not isinstance(event, dict) or not counts(event):
        return
    channel, user = str(event["channel"]), str(event["user"])
    try:
        with ctx.sessions.begin() as session:
            if not links_in_channel(session, team, channel):
                return  # not linked in this workspace: nothing is looked up, nothing is stored
        found = standing(ctx, client, team, user, getattr(context, "enterprise_id", None) or None)
        if found.membership in (BOT, DEACTIVATED):
            return
        internal = (
            found.membership == MEMBER if found.membership is not None else not payload_elsewhere(body, team)
        )
        with ctx.sessions.begin() as session:
            email = None
            if not internal:
                row = slack_user(session, team, user)
                email = row.email if row is not None else None
            touched = record_message(
                session,
                team_id=team,
                channel_id=channel,
                user_id=user,
                at=message_time(event.get("ts"), ctx.now()),
                internal=internal,
                email=email,
            )
        log.info(
            "channel_message_counted team=%s channel=%s user=%s accounts=%d internal=%s",
            team, channel, user, len(touched), internal,
        )  # fmt: skip
    except Exception as exc:  # a lost touch is logged, never shown to anyone
        log.warning("channel_message_failed team=%s channel=%s error=%s", team, channel, type(exc).__name__)
