"""`/account feeds`: the workspace's news feeds and how they are doing."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from accounts.facts import FeedPausedFacts
from bot.render.blocks import Message, chunk_lines, day, link, name, section, strip_controls, user_text
from storage.feeds import FeedView

MAX_LINK_MARKUP = 600


def feed_line(f: FeedView) -> str:
    target = f"for *{name(f.account)}*" if f.account else "workspace-wide"
    where = f" → <#{f.channel}>" if f.channel and f.channel.isalnum() else ""
    health = f"last read {day(f.last_success_at)}" if f.last_success_at else "not read yet"
    if f.last_error:
        health += f" · :warning: {user_text(f.last_error[:200])}"
    if f.alerts_paused:
        health += f" · :no_bell: alerts paused: {user_text(f.alerts_paused[:200])}"
    label = strip_controls(f.url[:150])
    shown = link(f.url, label)
    if len(shown) > MAX_LINK_MARKUP:
        # chunk_lines caps a line at 1,000 characters: a longer link would be cut inside its <url|label>
        shown = user_text(label)
    return f"• {shown} {target}{where} · {health}"


def render_feeds(feeds: list[FeedView]) -> Message:
    if not feeds:
        return Message(
            text="No news feeds yet",
            blocks=[
                section(
                    "No news feeds yet. An admin can add one: `/account feeds add https://example.com/news.rss #channel`"
                )
            ],
        )
    blocks: list[Block] = [section(f"*News feeds* ({len(feeds)})")]
    blocks.extend(chunk_lines([feed_line(f) for f in feeds], 40))
    return Message(text=f"{len(feeds)} news feeds", blocks=blocks)


WHY_PAUSED = {
    "not_in_channel": "I am not in that channel any more",
    "channel_not_found": "that channel is gone, or it is private and I am not in it",
    "is_archived": "that channel was archived",
}


def render_feed_paused(facts: FeedPausedFacts) -> Message:
    """The DM to the admin who added a feed whose channel alerts stopped (once per pause)."""
    channel = facts["channel"] if facts["channel"].isalnum() else "?"
    why = WHY_PAUSED.get(facts["error"], facts["error"])
    text = (
        f":no_bell: News alerts of the feed {user_text(strip_controls(facts['url'][:200]))} into <#{channel}> are "
        f"paused: {why}. Stories are still recorded, and owners of A accounts still get theirs by DM. To resume, "
        f"`/invite @accountbot` in <#{channel}> (or pick another channel), then add the feed again: "
        f"`/account feeds add {user_text(facts['url'][:200])} #channel`."
    )
    return Message(text=f"News alerts paused: {why}", blocks=[section(text)])
