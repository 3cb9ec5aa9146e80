"""Benchmark: the outbox relay against the loopback fake Slack enforcing 1 message per second per channel.

Prints the achieved throughput against that ceiling (target >= 90%) and checks that every outbox row was
posted exactly once (nothing lost, nothing doubled). SQLite, plus PostgreSQL when TEST_DATABASE_URL is set.
Defaults: 20 channels x 10 messages; BENCH_RELAY_CHANNELS / BENCH_RELAY_PER_CHANNEL change that.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from scratch_db import postgres_database  # bench/, beside this script
from slack_sdk import WebClient
from sqlalchemy import select, text

from bot.relay import Relay
from storage.db import ensure_schema, ensure_workspace, make_engine, session_factory, utcnow
from storage.models import OutboxMessage
from storage.queues import outbox

# The loopback fake Slack lives in the test tree, which is not installed: import it from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402 - importable only after the line above

CHANNELS = int(os.environ.get("BENCH_RELAY_CHANNELS", "20"))
PER_CHANNEL = int(os.environ.get("BENCH_RELAY_PER_CHANNEL", "10"))
TEAM = "TBENCH"


def run(url: str, backend: str) -> list[dict[str, object]]:
    engine = make_engine(url)
    ensure_schema(engine)
    sessions = session_factory(engine)
    created = utcnow() - timedelta(seconds=1)
    with sessions.begin() as s:
        ensure_workspace(s, TEAM)
        for n in range(PER_CHANNEL):
            for c in range(CHANNELS):
                outbox.enqueue(
                    s,
                    team_id=TEAM,
                    recipient=f"U{c:04d}",
                    kind="tier_change",
                    period=f"p{n}",
                    now=created,
                    facts={
                        "account": f"Acme {c}-{n}",
                        "old_tier": "secondary",
                        "new_tier": "key",
                        "old_grade": "B",
                        "new_grade": "A",
                        "reasons": ["bench"],
                    },
                )
    total = CHANNELS * PER_CHANNEL
    with FakeSlackApi(rate_per_channel=1) as fake:
        client = WebClient(token="xoxb-bench", base_url=fake.base_url, timeout=10, retry_handlers=[])
        relay = Relay(sessions, client, team_id=TEAM)
        start = time.monotonic()
        deadline = start + 10 * PER_CHANNEL + 30
        while time.monotonic() < deadline:
            relay.run_once()
            with sessions() as s:
                left = s.scalar(
                    select(text("count(*)")).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
                )
            if not left:
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - start
        ok_posts = [c for c in fake.calls_to("chat.postMessage") if c.ok]
        rejected = [c for c in fake.calls_to("chat.postMessage") if c.status == 429]
    with sessions() as s:
        ids = set(s.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "sent")))
    engine.dispose()
    posted = Counter(c.params["metadata"]["event_payload"]["outbox_id"] for c in ok_posts)
    lost = total - len(ids & set(posted))
    doubled = sum(n - 1 for n in posted.values() if n > 1)
    times = sorted(c.at for c in ok_posts)
    window = times[-1] - times[0] if len(times) > 1 else 0.0
    # The first message of each channel can go at once; after that the ceiling is CHANNELS per second.
    achieved = (len(ok_posts) - CHANNELS) / window if window > 0 else float("nan")
    return [
        {
            "name": f"relay_throughput_{backend}",
            "value": round(achieved, 2),
            "unit": "msg/s",
            "baseline": CHANNELS,
            "ratio": round(achieved / CHANNELS, 3),
            "target": 0.9,
            "note": f"{total} messages to {CHANNELS} channels in {elapsed:.1f}s; ceiling 1 msg/s/channel",
        },
        {"name": f"relay_lost_{backend}", "value": lost, "unit": "messages", "target": 0},
        {"name": f"relay_doubled_{backend}", "value": doubled, "unit": "messages", "target": 0},
        {"name": f"relay_rate_limited_{backend}", "value": len(rejected), "unit": "429 answers"},
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for line in run(f"sqlite:///{tmp}/relay.db", "sqlite"):
            print(json.dumps(line), flush=True)
    with postgres_database() as pg:
        if pg:
            for line in run(pg, "postgresql"):
                print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
