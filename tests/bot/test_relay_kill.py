"""A real relay process killed (SIGKILL) between claiming a row and posting it: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.relay import Relay
from storage.db import ensure_workspace, utcnow
from storage.models import OutboxMessage
from storage.queues import outbox
from tests.fakes.slack_api import FakeSlackApi

ROOT = Path(__file__).resolve().parents[2]

RELAY = """
import sys
from datetime import timedelta
from slack_sdk import WebClient
from bot.relay import Relay
from storage.db import make_engine, session_factory
url, base_url = sys.argv[1], sys.argv[2]
client = WebClient(token="xoxb-test", base_url=base_url, timeout=60, retry_handlers=[])
relay = Relay(session_factory(make_engine(url)), client, team_id="T1", lease=timedelta(seconds=2), worker="doomed")
print("started", flush=True)
relay.run_once()
"""


@pytest.mark.slow
def test_killed_between_claim_and_post(db_url: str, sessions) -> None:
    with sessions.begin() as s:
        ensure_workspace(s, "T1")
        message_id = outbox.enqueue(
            s,
            team_id="T1",
            recipient="U1",
            kind="tier_change",
            facts={
                "account": "Acme",
                "old_tier": "secondary",
                "new_tier": "key",
                "old_grade": "B",
                "new_grade": "A",
            },
            period="p",
            now=utcnow(),
        )
    with FakeSlackApi() as fake:
        # conversations.open hangs: the relay has claimed the row and is stuck before posting.
        fake.fail_next("conversations.open", error="fatal_error", delay=8)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-c", RELAY, db_url, fake.base_url],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # wait until the relay has claimed the row
                with sessions() as s:
                    row = s.get(OutboxMessage, message_id)
                    if row.status == "sending":
                        break
                time.sleep(0.05)
            assert row.status == "sending" and row.lease_owner == "doomed"
            time.sleep(0.3)  # now inside conversations.open
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        assert fake.calls_to("chat.postMessage") == []

        client = WebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=[])
        relay = Relay(sessions, client, team_id="T1")
        assert relay.run_once().claimed == 0  # the dead relay's lease still holds
        time.sleep(2.2)
        stats = relay.run_once()
        assert stats.sent == 1 and stats.reconciled == 0
        assert relay.run_once().claimed == 0
        assert len([c for c in fake.calls_to("chat.postMessage") if c.ok]) == 1
    with sessions() as s:
        row = s.get(OutboxMessage, message_id)
        assert row.status == "sent" and row.slack_ts and row.attempts == 2
