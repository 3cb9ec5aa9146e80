"""`/account feeds` (the workspace's news feeds) and `/account feeds add URL [#channel]` (admins only)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.channels import posting_problem
from bot.commands.text import Token, parse_channel, parse_url
from bot.commands.types import CommandError, Feeds, Request, in_session
from bot.context import BotContext
from bot.render.blocks import Message, user_text
from bot.render.feeds import render_feeds
from bot.render.help import HelpLine
from bot.render.replies import render_admin_check_failed, render_admin_only, render_cannot_post, render_done
from news.guard import UrlRefused
from storage.feeds import FeedError, add_feed, list_feeds
from storage.models import Feed

USAGE = "/account feeds add https://example.com/news.rss #client-news"
HELP = (
    HelpLine(
        "feeds / feeds add URL [#channel]",
        "news feeds of the workspace (adding one is for admins)",
        "/account feeds add https://example.com/news.rss #client-news",
    ),
)


def parse(args: list[Token], today: date) -> Feeds:
    if not args or args[0].word == "list":
        return Feeds("list")
    if args[0].word != "add":
        raise CommandError(
            "Use `feeds` to list the news feeds or `feeds add URL [#channel]` to add one.", USAGE
        )
    rest = args[1:]
    if not rest:
        raise CommandError("`feeds add` needs the feed's URL.", USAGE)
    if len(rest) > 2:
        raise CommandError("`feeds add` takes a URL and optionally a #channel.", USAGE)
    url = parse_url(rest[0])
    channel = parse_channel(rest[1]) if len(rest) == 2 else None
    return Feeds("add", url=url, channel=channel)


def add_feed_for(
    ctx: BotContext,
    req: Request,
    session: Session,
    url: str,
    *,
    account_id: int | None = None,
    channel: str | None = None,
    now: datetime,
    usage: str,
) -> Feed:
    """storage.feeds.add_feed on behalf of the one asking (the workspace's allowed hosts apply); a refused URL
    or a bad feed is a CommandError with `usage`."""
    try:
        return add_feed(
            session,
            team_id=req.team_id,
            url=url,
            account_id=account_id,
            channel=channel,
            added_by=req.user_id,
            allowed_hosts=ctx.settings.allowed_news_hosts,
            now=now,
        )
    except (UrlRefused, FeedError) as exc:
        raise CommandError(f"That feed cannot be used: {exc}", usage) from None


@in_session
def handle(ctx: BotContext, req: Request, session: Session, cmd: Feeds) -> Message:
    if cmd.action == "list":
        return render_feeds(list_feeds(session, team_id=req.team_id))
    if not req.admin():
        if req.admin_check_failed():
            return render_admin_check_failed("add workspace news feeds")
        return render_admin_only("add workspace news feeds")
    assert cmd.url is not None
    if cmd.channel and req.client is not None:  # checked before anything is saved
        problem = posting_problem(req.client, cmd.channel)
        if problem is not None:
            return render_cannot_post("The feed was not added.", problem)
    feed = add_feed_for(ctx, req, session, cmd.url, channel=cmd.channel, now=ctx.now(), usage=USAGE)
    where = f" into <#{feed.channel}>" if feed.channel and feed.channel.isalnum() else ""
    return render_done(
        f"Added the feed {user_text(feed.url)}{where}. It is read every {feed.interval_minutes} minutes."
    )
