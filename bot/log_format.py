"""`LOG_FORMAT=json`: one JSON object per log line, with the workspace, the job and a correlation id.

    {"time": "2026-01-05T09:00:00.123Z", "level": "INFO", "logger": "accountbot.relay",
     "message": "outbox_sent team=T1 outbox_id=7 kind=digest ...", "event": "outbox_sent",
     "team_id": "T1", "correlation_id": "5f0c2a9e1b7d4c3a"}

- `message` is passed through bot.redaction.redact (as every record already is, by its record factory), and
  so is an exception's traceback (`exc`): no token ever reaches the output.
- `team_id` and `job` come from the message's own `team=` and `job=` words, else from the context: the
  workspace of the Slack request being handled, the job being run.
- `correlation_id` is the same on every line of one Slack request (its ack and its follow-up work:
  `correlate_requests` is a Bolt middleware, and bot.deferred carries the context to the follow-up thread)
  and of one scheduled job run (`job_context`, used by bot.metrics.watch_scheduler).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from bot.redaction import redact

CORRELATION_ID: ContextVar[str | None] = ContextVar("accountbot_correlation_id", default=None)
TEAM_ID: ContextVar[str | None] = ContextVar("accountbot_team_id", default=None)
JOB: ContextVar[str | None] = ContextVar("accountbot_job", default=None)

_TEAM = re.compile(r"(?<!\S)team=([A-Z][A-Z0-9]{1,31})(?!\S)")
_JOB = re.compile(r"(?<!\S)job=([A-Za-z0-9_.-]{1,64})(?!\S)")
_EVENT = re.compile(r"[a-z][a-z0-9_]{1,63}(?=\s|$)")


def new_correlation_id() -> str:
    return secrets.token_hex(8)


@contextmanager
def job_context(job: str) -> Iterator[str]:
    """Log lines inside carry `job` and a fresh correlation id (one per run); restored after."""
    correlation = new_correlation_id()
    tokens = (JOB.set(job), CORRELATION_ID.set(correlation), TEAM_ID.set(None))
    try:
        yield correlation
    finally:
        TEAM_ID.reset(tokens[2])
        CORRELATION_ID.reset(tokens[1])
        JOB.reset(tokens[0])


def correlate_requests() -> Callable[..., None]:
    """A global Bolt middleware: each Slack request gets a new correlation id, and its workspace, for its log
    lines. Bolt runs the listeners after the middleware chain returns, so the values are set, not reset: the
    next request on the thread sets its own, and follow-up work gets a copy (bot.deferred)."""

    def correlate(body: dict[str, Any], next: Callable[[], None]) -> None:
        team = body.get("team")
        team_id = team.get("id") if isinstance(team, dict) else (body.get("team_id") or team)
        CORRELATION_ID.set(new_correlation_id())
        TEAM_ID.set(str(team_id) if team_id else None)
        JOB.set(None)
        next()

    return correlate


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module doc)."""

    def format(self, record: logging.LogRecord) -> str:
        message = redact(record.getMessage())
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        event = _EVENT.match(message)
        if event:
            out["event"] = event.group(0)
        team = _TEAM.search(message)
        job = _JOB.search(message)
        fields = {
            "team_id": team.group(1) if team else TEAM_ID.get(),
            "job": job.group(1) if job else JOB.get(),
            "correlation_id": CORRELATION_ID.get(),
        }
        out.update({k: v for k, v in fields.items() if v})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = redact(record.exc_text)
        if record.stack_info:
            out["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(out, ensure_ascii=False, default=str)
