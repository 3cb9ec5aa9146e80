"""`accountbot news scan|poll` and `accountbot feeds [add]`: client news from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from accountbot.cli.common import (
    RowIdArgument,
    TeamOption,
    console,
    fail,
    open_runtime,
    resolve_team,
)
from news.fetch import FetchError, fetch_feed, make_client
from news.guard import UrlRefused
from news.match import Matcher
from news.parse import ParsedFeed, parse_feed
from storage import feeds as feed_store
from storage import mentions as mention_store
from storage.db import utcnow
from storage.reads.accounts import find_account

MAX_FILE_BYTES = 2 * 1024 * 1024


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _load_feed(source: str, allowed: frozenset[str]) -> ParsedFeed:
    """A local file (read as is) or an http(s) URL (through the guarded fetcher)."""
    path = Path(source).expanduser()
    if "://" not in source:
        if not path.is_file():
            raise fail(f"{source!r} is neither a readable file nor an http(s) URL.")
        too_big = f"{source} is larger than {MAX_FILE_BYTES // 1024} KiB; feeds that big are refused."
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise fail(too_big)
            with path.open("rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)  # a file may grow, or report no size (/proc)
        except OSError as exc:
            raise fail(f"cannot read {source} ({exc.strerror or type(exc).__name__}).") from None
        if len(data) > MAX_FILE_BYTES:
            raise fail(too_big)
        return parse_feed(data, url=path.resolve().as_uri(), headers={"content-type": "application/xml"})
    try:
        with make_client(allowed) as client:
            result = fetch_feed(client, source, allowed_hosts=allowed)
    except UrlRefused as exc:
        raise fail(f"refused {source}: {exc}") from None
    except FetchError as exc:
        raise fail(f"could not fetch {source}: {exc}") from None
    return parse_feed(result.body, url=result.url, headers=result.headers)


def register(app: typer.Typer) -> None:
    news = typer.Typer(
        help="Client news: try a feed against your accounts, poll feeds now.", no_args_is_help=True
    )

    @news.command("scan")
    def scan(
        source: str = typer.Argument(..., metavar="FILE_OR_URL", help="An RSS/Atom file or http(s) URL."),
        team: str | None = TeamOption,
        as_json: bool = typer.Option(False, "--json", help="Print a JSON list of mentions."),
    ) -> None:
        """Match one feed against the workspace's accounts. Stores nothing, posts nothing."""
        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team)
            accounts = mention_store.match_accounts(session, team_id=team_id)
        parsed = _load_feed(source, rt.settings.allowed_news_hosts)
        if not parsed.is_feed:
            raise fail(f"{source} is not an RSS or Atom feed (an HTML page?). Give the feed's own address.")
        matcher = Matcher(accounts)
        names = {a.id: a.name for a in accounts}
        rows = [
            {
                "account": names[account_id],
                "title": entry.title,
                "link": entry.link,
                "published": entry.published.isoformat() if entry.published else None,
                "entry_id": entry.key,
            }
            for entry in parsed.entries
            for account_id in matcher.entry_accounts(entry.title, entry.summary)
        ]
        if as_json:
            typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        if parsed.warning:
            console.print(
                f"[yellow]note:[/] the feed is not well-formed ({escape(parsed.warning)}); read what could be read.",
                highlight=False,
            )
        console.print(
            f"{len(parsed.entries)} entries, {len(rows)} mentions of {len(accounts)} accounts.",
            highlight=False,
        )
        if rows:
            table = Table("Account", "Title", "Published", "Link")
            for row in rows:
                # feed text is shown as text: a title such as "[/]" or "[link=...]" is not rich markup
                table.add_row(
                    Text(row["account"] or ""),
                    Text(row["title"] or ""),
                    (row["published"] or "")[:16],
                    Text(row["link"] or ""),
                )
            console.print(table)

    @news.command("poll")
    def poll(
        team: str | None = TeamOption,
        concurrency: int = typer.Option(8, min=1, max=64, help="Feeds fetched at the same time."),
    ) -> None:
        """Poll every due feed once now (what `accountbot run` does every minute)."""
        from jobs.news_poll import poll_once

        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team) if team or rt.settings.slack_team_id else None
        report = poll_once(
            rt.sessions,
            allowed_hosts=rt.settings.allowed_news_hosts,
            news_channel=rt.settings.news_channel,
            thresholds=rt.settings.thresholds,
            team_id=team_id,
            concurrency=concurrency,
        )
        console.print(
            f"{report.feeds} feeds due: {report.fetched} read, {report.not_modified} unchanged, {report.failed} failed; "
            f"{report.mentions} new mentions, {report.alerts} alerts queued.",
            highlight=False,
        )
        for error in report.errors[:20]:
            console.print(f"  [yellow]![/] {escape(error)}", highlight=False, markup=True)

    app.add_typer(news, name="news")

    feeds = typer.Typer(help="News feeds: list them with their health, add one.", invoke_without_command=True)

    @feeds.callback()
    def feeds_list(
        ctx: typer.Context,
        team: str | None = TeamOption,
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    ) -> None:
        """List the workspace's feeds with their health (last success, last error, failures in a row)."""
        if ctx.invoked_subcommand is not None:
            return
        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team)
            views = feed_store.list_feeds(session, team_id=team_id)
        if as_json:
            typer.echo(
                json.dumps(
                    [
                        {
                            "id": v.id,
                            "url": v.url,
                            "account": v.account,
                            "channel": v.channel,
                            "interval_minutes": v.interval_minutes,
                            "last_success_at": v.last_success_at.isoformat() if v.last_success_at else None,
                            "last_error": v.last_error,
                            "last_error_at": v.last_error_at.isoformat() if v.last_error_at else None,
                            "consecutive_failures": v.consecutive_failures,
                            "next_poll_at": v.next_poll_at.isoformat() if v.next_poll_at else None,
                            "alerts_paused": v.alerts_paused,
                        }
                        for v in views
                    ],
                    indent=2,
                )
            )
            return
        if not views:
            console.print(
                "No feeds yet. Add one: accountbot feeds add https://example.com/news.rss [--channel C123]"
            )
            return
        table = Table("Id", "URL", "For", "Channel", "Last success", "Failures", "Last error")
        for v in views:
            table.add_row(
                str(v.id),
                Text(v.url),
                Text(v.account or "(workspace)"),
                Text(
                    (v.channel or "(news channel)")
                    + (f" (alerts paused: {v.alerts_paused})" if v.alerts_paused else "")
                ),
                _when(v.last_success_at),
                str(v.consecutive_failures),
                Text((v.last_error or "")[:80]),
            )
        console.print(table)

    @feeds.command("add")
    def feeds_add(
        url: str = typer.Argument(..., help="The feed's http(s) URL (RSS or Atom)."),
        channel: str | None = typer.Option(
            None, "--channel", help="Slack channel id for its alerts (default: the news channel)."
        ),
        account: str | None = typer.Option(
            None, "--account", help="Make it a feed about this account (e.g. its Google Alert)."
        ),
        interval: int | None = typer.Option(
            None, "--interval", help="Minutes between polls (5 to 1440; default 30)."
        ),
        team: str | None = TeamOption,
    ) -> None:
        """Add a feed. The URL is checked now: private and local addresses are refused with the reason."""
        rt = open_runtime()
        channel = channel.strip().lstrip("#") if channel else None
        if channel is not None and not (
            channel.isascii() and channel.isalnum() and channel[:1] in "CGD" and len(channel) <= 64
        ):
            raise fail(f"--channel wants a Slack channel id such as C0123ABCD (got {channel!r}).")
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team, create=True)
            account_id = None
            if account:
                lookup = find_account(session, team_id, account)
                if lookup.ambiguous:
                    raise fail(f"{account!r} matches several accounts; use the full name.")
                if lookup.account is None:
                    hint = f"; did you mean {', '.join(lookup.suggestions)}?" if lookup.suggestions else ""
                    raise fail(f"no account named {account!r}{hint}")
                account_id = lookup.account.id
            try:
                feed = feed_store.add_feed(
                    session,
                    team_id=team_id,
                    url=url,
                    account_id=account_id,
                    channel=channel,
                    allowed_hosts=rt.settings.allowed_news_hosts,
                    now=utcnow(),
                    interval_minutes=interval,
                )
            except UrlRefused as exc:
                raise fail(f"refused {url}: {exc}") from None
            except feed_store.FeedError as exc:
                raise fail(str(exc)) from None
            feed_id = feed.id
        target = f"about {account}" if account else "workspace-wide"
        console.print(
            f"feed {feed_id} added ({target}); it is read within a minute by `accountbot run`.",
            highlight=False,
            markup=False,
        )

    @feeds.command("remove")
    def feeds_remove(
        feed_id: int = RowIdArgument("The feed's id, as `accountbot feeds` shows it."),
        team: str | None = TeamOption,
    ) -> None:
        """Stop polling a feed (the stories already seen stay recorded)."""
        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team)
            if not feed_store.remove_feed(session, team_id=team_id, feed_id=feed_id):
                raise fail(f"no feed {feed_id} in workspace {team_id}; `accountbot feeds` lists them.")
        console.print(f"feed {feed_id} removed.", highlight=False)

    app.add_typer(feeds, name="feeds")
