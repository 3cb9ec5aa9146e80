"""Readiness (bot.health) on SQLite and PostgreSQL: each part's check, what turns it red, what only reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.health import SCHEDULER_STALE_AFTER, Health, TokenCheck
from storage import holds
from storage.db import ensure_workspace
from storage.models import Feed
from storage.queues import outbox
from tests.conftest import NOW

TEAM = "T1"


class Socket:
    def __init__(self, state: str) -> None:
        self.state = state

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "last_ack_at": None, "reconnects": 2, "last_error": None}


class Scheduler:
    def __init__(self, last_tick_at: float | None, running: bool = True) -> None:
        self.last_tick_at, self._running = last_tick_at, running

    @property
    def running(self) -> bool:
        return self._running


def health(sessions: sessionmaker[Session], **parts: Any) -> Health:
    now = NOW.timestamp()
    defaults: dict[str, Any] = {
        "mode": "socket",
        "token": TokenCheck(True, team_id=TEAM, checked_at=now),
        "socket": Socket("connected"),
        "scheduler": Scheduler(now - 30),
    }
    return Health(sessions, clock=lambda: now, started_at=now - 600, **{**defaults, **parts})


def test_everything_up_is_ready_with_a_check_per_part(sessions: sessionmaker[Session]) -> None:
    ready, report = health(sessions).readiness()
    assert ready and report["ok"]
    checks = report["checks"]
    assert set(checks) == {"slack", "token", "scheduler", "database", "relay", "feeds", "crm"}
    assert all(check["ok"] for check in checks.values())
    assert checks["slack"]["state"] == "connected" and checks["token"]["team_id"] == TEAM


def test_a_socket_that_is_reconnecting_is_not_ready(sessions: sessionmaker[Session]) -> None:
    ready, report = health(sessions, socket=Socket("reconnecting")).readiness()
    assert not ready and not report["checks"]["slack"]["ok"]


def test_a_refused_token_is_not_ready_and_says_what_to_do(sessions: sessionmaker[Session]) -> None:
    ready, report = health(sessions, token=TokenCheck(False, error="token_revoked")).readiness()
    token = report["checks"]["token"]
    assert not ready and not token["ok"] and token["error"] == "token_revoked"
    assert "OAuth & Permissions" in token["fix"]


def test_a_scheduler_that_stopped_ticking_is_not_ready(sessions: sessionmaker[Session]) -> None:
    stale = NOW.timestamp() - SCHEDULER_STALE_AFTER - 1
    assert not health(sessions, scheduler=Scheduler(stale)).readiness()[0]
    assert not health(sessions, scheduler=Scheduler(NOW.timestamp(), running=False)).readiness()[0]
    assert health(sessions, scheduler=Scheduler(NOW.timestamp() - 60)).readiness()[0]


def test_backlog_and_failing_feeds_are_reported_without_failing_readiness(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        ensure_workspace(s, TEAM)
        ensure_workspace(s, "T2")
        for i, minutes in enumerate((90, 5)):
            outbox.enqueue(s, team_id=TEAM, recipient="U1", kind="tier_change", facts={}, period=f"p{i}",
                           now=NOW - timedelta(minutes=minutes))  # fmt: skip
        s.add_all([Feed(team_id="T2", url="https://news.example/rss", consecutive_failures=3, created_at=NOW),
                   Feed(team_id=TEAM, url="https://ok.example/rss", consecutive_failures=0, created_at=NOW)])  # fmt: skip
    ready, report = health(sessions).readiness()
    assert ready
    assert report["checks"]["relay"] == {
        "ok": True,
        "waiting": 2,
        "oldest_waiting_at": (NOW - timedelta(minutes=90)).isoformat(timespec="seconds"),
        "oldest_age_s": 5400.0,
    }
    assert report["checks"]["feeds"] == {"ok": True, "failing": 1, "alerts_paused": 0}


def test_a_workspace_on_hold_turns_the_token_check_red(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ensure_workspace(s, TEAM)
        holds.hold(s, team_id=TEAM, reason="Slack refused the bot token (token_revoked)", now=NOW)
    ready, report = health(sessions).readiness()
    assert not ready
    assert report["checks"]["token"] == {
        "ok": False,
        "held": {TEAM: {"reason": "Slack refused the bot token (token_revoked)", "since": NOW.isoformat()}},
    }
