"""`/account feeds`: the workspace's news feeds and how they are doing."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.render.blocks import Message, chunk_lines, day, link, name, section, strip_controls, user_text
from storage.feeds import FeedView

MAX_LINK_MARKUP = 600


def feed_line(f: FeedView) -> str:
    target = f"for *{name(f.account)}*" if f.account else "workspace-wide"
    where = f" → <#{f.channel}>" if f.channel and f.channel.isalnum() else ""
    health = f"last read {day(f.last_success_at)}" if f.last_success_at else "not read yet"
    if f.last_error:
        health += f" · :warning: {user_text(f.last_error[:200])}"
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
