"""The demo's "What the bot would say today": the real jobs, run as the scheduler would, rendered as Slack shows them.

No mock-up: on the demo's temporary database the digest, weekly focus, tier watch and news poller run as in
`accountbot run`, and every outbox row is rendered by the relay's own renderer, in plain text.
See docs/data.md#what-the-bot-would-say-today.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from accountbot.demo import SAMPLE_DIR, DemoContext, NudgePreview
from bot.render.plaintext import message_as_text
from bot.render.registry import render
from jobs import digest, tier_watch, weekly_focus
from jobs.news_poll import poll_once
from storage import feeds as feed_store
from storage.models import SlackUser
from storage.queues.outbox import list_messages
from storage.reads.accounts import find_account
from storage.writes.edits import set_field

FEEDS_DIR = SAMPLE_DIR / "feeds"
NEWS_CHANNEL = "C0DEMONEWS"
ACCOUNT_FEEDS = {
    "atlas-mutual-alerts.xml": "Atlas Mutual Insurance"
}  # per-account (Google Alerts-like) feeds
TIER_CHANGE = ("Mercury Freight Lines", "pain_factor", "high")  # what an owner changes in Slack in the demo
KIND_ORDER = {"digest": 0, "weekly_focus": 1, "tier_change": 2, "news_alert": 3}

_RSS_DATE = re.compile(rb"<pubDate>([^<]+)</pubDate>")
_ATOM_DATE = re.compile(rb"<(updated|published)>([^<]+)</\1>")


def shifted_feed(data: bytes, now: datetime) -> bytes:
    """The sample feed with its dates moved so the newest story is two hours old (the demo's "today")."""
    found = [parsedate_to_datetime(m.decode()) for m in _RSS_DATE.findall(data)]
    found += [datetime.fromisoformat(m[1].decode().replace("Z", "+00:00")) for m in _ATOM_DATE.findall(data)]
    if not found:
        return data
    delta = (now - timedelta(hours=2)) - max(found)
    data = _RSS_DATE.sub(
        lambda m: (
            b"<pubDate>%s</pubDate>"
            % format_datetime(parsedate_to_datetime(m.group(1).decode()) + delta, usegmt=True).encode()
        ),
        data,
    )
    return _ATOM_DATE.sub(
        lambda m: (
            b"<%s>%s</%s>"
            % (
                m.group(1),
                (datetime.fromisoformat(m.group(2).decode().replace("Z", "+00:00")) + delta)
                .astimezone(UTC)
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .encode(),
                m.group(1),
            )
        ),
        data,
    )


@contextmanager
def serve_feeds(files: dict[str, bytes]) -> Iterator[str]:
    """A loopback HTTP server for the sample feeds; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            body = files.get(self.path.lstrip("/"))
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _hourly(start: datetime, hours: int) -> Iterator[datetime]:
    for h in range(hours):
        yield start + timedelta(hours=h, minutes=1)


def run_the_jobs(ctx: DemoContext) -> None:
    """Everything the scheduler would have done by tomorrow night, written to the demo's outbox."""
    th, team, today = ctx.thresholds, ctx.team_id, ctx.now.date()
    midnight = datetime.combine(today, time(0), UTC)
    monday = midnight - timedelta(days=today.weekday())
    with ctx.sessions() as s:  # the jobs commit their own transactions
        for at in _hourly(midnight, 24):
            digest.run(s, at, th, team_id=team)
        for at in _hourly(monday, 24):
            weekly_focus.run(s, at, th, team_id=team)
        tier_watch.run(s, midnight + timedelta(hours=2), th, team_id=team)  # tonight: records, says nothing
    name, field, value = TIER_CHANGE
    with ctx.sessions.begin() as s:
        account = find_account(s, team, name).account
        if account is not None:
            set_field(
                s,
                team_id=team,
                account_id=account.id,
                field=field,
                value=value,
                user_id=account.owner_user_id or "U01AMARA",
                now=midnight + timedelta(hours=11),
            )
    with ctx.sessions() as s:
        tier_watch.run(
            s, midnight + timedelta(days=1, hours=2), th, team_id=team
        )  # the next night: announces
    files = {p.name: shifted_feed(p.read_bytes(), ctx.now) for p in sorted(FEEDS_DIR.glob("*.xml"))}
    allowed = frozenset({"127.0.0.1"})
    with serve_feeds(files) as base:
        with ctx.sessions.begin() as s:
            for filename in files:
                account_name = ACCOUNT_FEEDS.get(filename)
                account = find_account(s, team, account_name).account if account_name else None
                feed_store.add_feed(
                    s,
                    team_id=team,
                    url=base + filename,
                    account_id=account.id if account else None,
                    channel=None if account else NEWS_CHANNEL,
                    allowed_hosts=allowed,
                    now=ctx.now,
                )
        poll_once(
            ctx.sessions,
            allowed_hosts=allowed,
            news_channel=NEWS_CHANNEL,
            thresholds=th,
            now=ctx.now,
            team_id=team,
        )


def previews(ctx: DemoContext) -> list[NudgePreview]:
    run_the_jobs(ctx)
    with ctx.sessions.begin() as s:
        names = {
            u.user_id: (u.real_name or u.user_id).split(" (")[0]
            for u in s.scalars(select(SlackUser).where(SlackUser.team_id == ctx.team_id))
        }
        rows = list_messages(s, team_id=ctx.team_id, limit=1000)
    rows.sort(key=lambda r: (KIND_ORDER.get(r.kind, 9), r.id))
    shown = []
    for row in rows:
        to = (
            f"#news ({row.recipient})"
            if row.recipient == NEWS_CHANNEL
            else "DM to " + names.get(row.recipient, row.recipient)
        )
        title = f"{row.kind.replace('_', ' ')} - {to}"
        shown.append(NudgePreview(title, message_as_text(render(row.kind, row.facts), names)))
    return shown
