"""PostgreSQL: three real processes run the same job at the same instant; each owner hears exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.relay import Relay
from storage.models import JobRun, OutboxMessage
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.conftest import NOW, Builder

ROOT = Path(__file__).resolve().parents[2]
OWNERS = [f"U{i:03d}" for i in range(25)]

# Import everything first, then wait for the common start instant, then run the real CLI command.
REPLICA = """
import sys, time
from accountbot.cli import app
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
app(["jobs", "run", "digest", "--at", "2026-11-24T09:00:00Z", "--json", "--queue-only"], standalone_mode=True)
"""


@pytest.mark.postgres
@pytest.mark.slow
def test_three_processes_same_instant_one_dm_per_owner(pg_url: str, pg_sessions) -> None:
    with pg_sessions.begin() as s:
        b = Builder(s)
        for i, owner in enumerate(OWNERS):
            b.account(f"Key {i}", owner=owner, revenue=10e6 - i, profitability="high")
        b.filler(80)  # unowned: nobody to tell
    env = {**os.environ, "DATABASE_URL": pg_url, "PYTHONPATH": str(ROOT)}
    env.pop("SLACK_TEAM_ID", None)
    start = time.time() + 4.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REPLICA, str(start)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
        outputs.append(json.loads(out))
    # Between them the three processes queued every owner exactly once.
    recipients = Counter(r["recipient"] for out in outputs for r in out)
    assert recipients == Counter({owner: 1 for owner in OWNERS})
    with pg_sessions() as s:
        rows = s.scalars(select(OutboxMessage)).all()
        assert Counter(r.recipient for r in rows) == Counter({owner: 1 for owner in OWNERS})
        runs = s.scalars(select(JobRun)).all()
        assert len(runs) == len(OWNERS) and {r.status for r in runs} == {"done"}

    with FakeSlackApi(rate_per_channel=1) as fake:
        client = WebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=[])
        later = NOW + timedelta(minutes=1)  # the rows are due from the job's instant
        relays = [Relay(pg_sessions, client, team_id="T1", batch=5, clock=lambda: later) for _ in range(3)]
        for _ in range(20):
            if sum(r.run_once().claimed for r in relays) == 0:
                break
        posted = Counter(c.answer["channel"] for c in fake.calls_to("chat.postMessage") if c.ok)
    assert posted == Counter({"D" + owner[1:]: 1 for owner in OWNERS})
