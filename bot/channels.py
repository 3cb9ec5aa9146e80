"""May the bot post in a channel? `posting_problem` asks Slack (conversations.info) and answers with what is
wrong and what to do, or None. Used before a feed is saved with its channel (bot.commands.feeds)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger("accountbot.channels")

INVITE = "Invite me with `/invite @accountbot` in that channel, then try again."


def posting_problem(client: WebClient, channel_id: str) -> str | None:
    """None when the bot is a member of the channel and it is not archived; else the reason and the fix."""
    try:
        info = client.conversations_info(channel=channel_id)["channel"] or {}
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "error")
        if error == "channel_not_found":
            return f"I cannot see <#{channel_id}>: it is private and I am not in it, or it is gone. {INVITE}"
        log.warning("channel_check_failed channel=%s error=%s", channel_id, error)
        return f"I could not check <#{channel_id}> ({error}). Try again in a minute."
    except Exception as exc:  # connection refused, timeout
        log.warning("channel_check_failed channel=%s error=%s", channel_id, type(exc).__name__)
        return f"I could not reach Slack to check <#{channel_id}>. Try again in a minute."
    if info.get("is_archived"):
        return f"<#{channel_id}> is archived. Pick a channel that is in use."
    if not info.get("is_member"):
        return f"I am not in <#{channel_id}>, so I could not post there. {INVITE}"
    return None
