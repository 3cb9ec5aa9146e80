"""Benchmark: polling 500 local feeds (loopback feed server, SQLite), then a second round that is all 304s.

Prints one JSON line per figure. Targets: first round <= 15 s with bounded concurrency; the second round
answers 304 for every feed (nothing re-parsed, nothing re-alerted).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobs.news_poll import poll_once
from storage import feeds as feed_store
from storage.db import ensure_schema, ensure_workspace, make_engine, session_factory
from storage.models import Account, Workspace

# The loopback feed server lives in the test tree, which is not installed: import it from the checkout.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.fakes.feed_server import FeedServer  # noqa: E402 - importable only after the line above

N_FEEDS = 500
ITEMS_PER_FEED = 10
N_ACCOUNTS = 300
CONCURRENCY = 16
LOCAL = frozenset({"127.0.0.1"})
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def feed_body(i: int, names: list[str]) -> str:
    items = "".join(
        f"<item><title>{names[(i * 7 + j) % len(names)] if j % 2 else 'Markets'} story {i}-{j} opens new plant</title>"
        f"<link>https://news.example.com/{i}/{j}</link><guid>f{i}-{j}</guid>"
        f"<pubDate>Mon, 02 Mar 2026 07:00:00 GMT</pubDate><description>Summary of story {j}.</description></item>"
        for j in range(ITEMS_PER_FEED)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Feed {i}</title>{items}</channel></rss>"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as server:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        ensure_schema(engine)
        sessions = session_factory(engine)
        names = [f"Benchco{n:03d} Industries" for n in range(N_ACCOUNTS)]
        with sessions.begin() as s:
            ensure_workspace(s, "TBENCH")
            s.get(Workspace, "TBENCH").news_channel = "CBENCH"  # type: ignore[union-attr]
            for name in names:
                s.add(
                    Account(
                        team_id="TBENCH", name=name, name_key=name.casefold(), created_at=NOW, updated_at=NOW
                    )
                )
            s.flush()
            for i in range(N_FEEDS):
                url = server.add_feed(f"bench-{i}", feed_body(i, names))
                feed_store.add_feed(s, team_id="TBENCH", url=url, allowed_hosts=LOCAL, now=NOW)

        start = time.perf_counter()
        first = poll_once(sessions, allowed_hosts=LOCAL, now=NOW, concurrency=CONCURRENCY, max_feeds=N_FEEDS)
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        second = poll_once(
            sessions,
            allowed_hosts=LOCAL,
            now=NOW + timedelta(minutes=31),
            concurrency=CONCURRENCY,
            max_feeds=N_FEEDS,
        )
        second_s = time.perf_counter() - start
        engine.dispose()

    print(
        json.dumps(
            {
                "name": "poll_500_feeds_first_round",
                "value": round(first_s, 2),
                "unit": "s",
                "target": 15,
                "fetched": first.fetched,
                "failed": first.failed,
                "mentions": first.mentions,
                "alerts": first.alerts,
                "concurrency": CONCURRENCY,
            }
        )
    )
    print(
        json.dumps(
            {
                "name": "poll_500_feeds_second_round",
                "value": round(second_s, 2),
                "unit": "s",
                "baseline": round(first_s, 2),
                "ratio": round(second_s / first_s, 3),
            }
        )
    )
    print(
        json.dumps(
            {
                "name": "poll_second_round_304_share",
                "value": round(second.not_modified / N_FEEDS, 3),
                "unit": "fraction",
                "target": 1.0,
                "not_modified": second.not_modified,
                "new_mentions": second.mentions,
            }
        )
    )


if __name__ == "__main__":
    main()
