"""Issue 17, scenario 7: three relay processes send one workspace's 1,000 messages at once on PostgreSQL, each
relay with several lanes. Every message is posted exactly once, and every row ends sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.db import ensure_workspace, utcnow
from storage.models import OutboxMessage
from storage.queues import outbox
from tests.fakes.slack_api import FakeSlackApi

ROOT = Path(__file__).resolve().parents[2]
TEAM = "T1"
MESSAGES = 1_000
RECIPIENTS = 200  # five messages per DM: each channel's pace matters, and so does running channels at once

RELAY = """
import json, sys, time
from sqlalchemy import func, select
from slack_sdk import WebClient
from bot.relay import Relay, RelayStats
from storage.db import make_engine, session_factory
from storage.models import OutboxMessage
url, base_url, worker = sys.argv[1:4]
sessions = session_factory(make_engine(url))
client = WebClient(token="xoxb-test", base_url=base_url, timeout=30, retry_handlers=[])
relay = Relay(sessions, client, team_id="T1", worker=worker, channel_interval=0.05, concurrency=4)
print("ready", flush=True)
sys.stdin.readline()  # all three start together
total = RelayStats()
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    total.add(relay.drain())
    with sessions() as s:
        left = s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status.in_(("pending", "sending"))))
    if not left:
        break
    time.sleep(0.05)
print(json.dumps(vars(total)), flush=True)
"""


@pytest.mark.slow
def test_three_relay_processes_post_each_of_1000_messages_once(pg_url: str, pg_sessions) -> None:
    now = utcnow()
    with pg_sessions.begin() as s:
        ensure_workspace(s, TEAM)
        outbox.enqueue_many(
            s,
            [
                outbox.NewMessage(
                    TEAM,
                    f"U{i % RECIPIENTS:04d}",
                    "tier_change",
                    {"account": f"Account {i}", "old_tier": "secondary", "new_tier": "key",
                     "old_grade": "B", "new_grade": "A", "reasons": ["r"]},
                    period=f"p{i}",
                )
                for i in range(MESSAGES)
            ],
            now=now,
        )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with FakeSlackApi(team_id=TEAM) as fake:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", RELAY, pg_url, fake.base_url, f"relay-{n}"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(3)
        ]
        try:
            for proc in procs:
                assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            results = []
            for proc in procs:
                out, err = proc.communicate(timeout=180)
                assert proc.returncode == 0, err[-2000:]
                results.append(json.loads(out.strip().splitlines()[-1]))
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
        posted = Counter(
            c.params["metadata"]["event_payload"]["outbox_id"]
            for c in fake.calls_to("chat.postMessage")
            if c.ok
        )
    assert len(posted) == MESSAGES and max(posted.values()) == 1  # each message once, none twice
    assert sum(r["sent"] for r in results) == MESSAGES and sum(r["dead"] for r in results) == 0
    assert sum(1 for r in results if r["sent"]) >= 2  # the relays really shared the work
    with pg_sessions() as s:
        statuses = dict(
            s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
        )
        ids = set(s.scalars(select(OutboxMessage.id)))
    assert statuses == {"sent": MESSAGES}
    assert set(posted) == ids
