"""Liveness and readiness of `accountbot run`, the same in both modes (docs/slack-setup.md#health).

- `GET /healthz`, liveness: 200 while the process serves; restart it when this fails.
- `GET /readyz`, readiness: 200 when it can do its job, else 503; either way a JSON report with a check per
  part, each `{"ok": ..., ...}`. Failing checks: the database, the bot token (auth.test at start, a workspace
  whose token Slack later refused), the Socket Mode connection, the scheduler. Reported, never failing: the
  relay backlog and its oldest waiting message, feeds failing (each needs an admin, not a restart).

In HTTP mode both are served next to /slack/events (bot.server); in Socket Mode on `--health-port`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.slack_client import TOKEN_ERRORS
from storage.db import ping, workspace_ids
from storage.holds import held_workspaces

log = logging.getLogger("accountbot.health")

SCHEDULER_STALE_AFTER = 300.0  # seconds: the news poller ticks every minute, so this is several missed ticks


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """The bot token's auth.test at start."""

    ok: bool
    team_id: str | None = None
    bot_user_id: str | None = None
    error: str | None = None  # Slack's error code, or the exception's name when Slack was not reached
    checked_at: float = 0.0

    @property
    def refused(self) -> bool:
        """Slack answered that the token is no good (as opposed to not being reachable)."""
        return self.error in TOKEN_ERRORS


def check_token(client: WebClient) -> TokenCheck:
    """auth.test with the bot token; never raises."""
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        return TokenCheck(False, error=str(exc.response.get("error") or "error"), checked_at=time.time())
    except Exception as exc:  # connection refused, timeout, proxy: Slack was not reached
        return TokenCheck(False, error=type(exc).__name__, checked_at=time.time())
    return TokenCheck(
        True,
        team_id=str(answer.get("team_id") or "") or None,
        bot_user_id=str(answer.get("user_id") or "") or None,
        checked_at=time.time(),
    )


TOKEN_FIX = (
    "Copy the Bot User OAuth Token (xoxb-...) again from your app's OAuth & Permissions page, or reinstall the "
    "app to the workspace if it was removed, then restart."
)


def token_problem(check: TokenCheck, setting: str = "SLACK_BOT_TOKEN") -> str:
    """What an admin reads when the start check failed: which token, and what to do."""
    if check.refused:
        return f"{setting} was refused by Slack ({check.error}). {TOKEN_FIX}"
    return (
        f"Slack could not be reached to check {setting} ({check.error}). Check SLACK_API_URL, the network and "
        "any proxy (HTTPS_PROXY), then restart."
    )


class SocketStatus(Protocol):
    def status(self) -> dict[str, Any]: ...


class Ticking(Protocol):
    last_tick_at: float | None

    @property
    def running(self) -> bool: ...


def _iso(stamp: float | datetime | None) -> str | None:
    if stamp is None:
        return None
    if isinstance(stamp, datetime):
        return stamp.astimezone(UTC).isoformat(timespec="seconds")
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


class Health:
    """The live facts of one `accountbot run` process; `readiness()` reads them and the database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        mode: str,
        token: TokenCheck | None = None,
        socket: SocketStatus | None = None,
        scheduler: Ticking | None = None,
        clock: Callable[[], float] = time.time,
        started_at: float | None = None,
    ) -> None:
        self.sessions = sessions
        self.mode = mode
        self.token = token
        self.socket = socket
        self.scheduler = scheduler
        self.clock = clock
        self.started_at = started_at if started_at is not None else clock()
        self.last_request_at: float | None = None  # HTTP mode: the last signed Slack request answered

    def liveness(self) -> dict[str, Any]:
        return {"ok": True, "mode": self.mode, "up_s": round(self.clock() - self.started_at, 1)}

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        checks: dict[str, dict[str, Any]] = {
            "slack": self._slack(),
            "token": self._token(),
            "scheduler": self._scheduler(),
        }
        try:
            with self.sessions() as session:
                ping(session)
                teams = workspace_ids(session)
                checks["database"] = {"ok": True}
                checks.update(self._queues(session, teams))
                on_hold = held_workspaces(session, team_ids=teams)
                if on_hold:  # Slack refused a workspace's token after the start (bot.relay put it on hold)
                    checks["token"] = {
                        "ok": False,
                        "held": {t: {"reason": h.reason, "since": _iso(h.since)} for t, h in on_hold.items()},
                    }
        except Exception as exc:
            log.warning("readyz_db_failed error=%s", type(exc).__name__)
            checks["database"] = {
                "ok": False,
                "error": type(exc).__name__,
                "fix": "check DATABASE_URL and the server",
            }
        ready = all(c.get("ok", True) for c in checks.values())
        return ready, {"ok": ready, "mode": self.mode, "checks": checks}

    def _slack(self) -> dict[str, Any]:
        if self.socket is None:
            return {"ok": True, "mode": "http", "last_request_at": _iso(self.last_request_at)}
        status = dict(self.socket.status())
        return {"ok": status.get("state") == "connected", "mode": "socket", **status}

    def _token(self) -> dict[str, Any]:
        if self.token is None:
            return {"ok": True, "checked": False}
        if not self.token.ok:
            return {"ok": False, "error": self.token.error, "fix": token_problem(self.token)}
        return {"ok": True, "team_id": self.token.team_id, "checked_at": _iso(self.token.checked_at)}

    def _scheduler(self) -> dict[str, Any]:
        if self.scheduler is None:
            return {"ok": True, "running": False}
        last = self.scheduler.last_tick_at
        since = self.clock() - (last if last is not None else self.started_at)
        ok = self.scheduler.running and since < SCHEDULER_STALE_AFTER
        return {"ok": ok, "running": self.scheduler.running, "last_tick_at": _iso(last)}

    def _queues(self, session: Session, teams: list[str]) -> dict[str, dict[str, Any]]:
        from storage.crm_connections import trouble as crm_trouble
        from storage.feeds import feed_trouble
        from storage.queues.outbox import backlog

        waiting = backlog(session, team_ids=teams)
        oldest = waiting.oldest_waiting_at
        age = None if oldest is None else round(max(0.0, self.clock() - oldest.timestamp()), 1)
        return {
            "relay": {
                "ok": True,
                "waiting": waiting.waiting,
                "oldest_waiting_at": _iso(oldest),
                "oldest_age_s": age,
            },
            "feeds": {"ok": True, **feed_trouble(session, team_ids=teams)},
            # saved CRM connections, and those whose sync waits for an admin's fix (crm_sync told them)
            "crm": {"ok": True, **crm_trouble(session, team_ids=teams)},
        }
