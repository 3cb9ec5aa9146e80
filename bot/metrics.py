"""Prometheus metrics of `accountbot run`, served at `GET /metrics` in both modes (docs/slack-setup.md#metrics).

Counters and histograms live in this module's own registry (`REGISTRY`, not prometheus_client's global one)
and are bumped through the helpers below by the code that knows the event: the relay (messages sent and
dead-lettered, its retries), `bot.slack_client` (Slack API errors and 429s, slack_sdk's own retries), the
scheduler glue (`watch_scheduler`: job durations and lag), the import command (rows by outcome). What the
database knows (the relay backlog and its oldest message, failing feeds) is read when Prometheus scrapes,
by `StoreCollector`, so it is always current and costs a few small queries per scrape.

Labels are bounded: outbox kinds, Slack method names and error codes, job names, import kinds and outcomes;
never a user or channel id. Only the backlog gauges carry a workspace (team) id.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("accountbot.metrics")

disable_created_metrics()  # no `*_created` series beside every counter and histogram: half the series, same use
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

MESSAGES_SENT = Counter(
    "accountbot_messages_sent",
    "Outbox messages delivered to Slack by the relay (digests, nudges, alerts...), by outbox kind; a message "
    "found already posted by an earlier attempt counts too.",
    ["kind"],
    registry=REGISTRY,
)
MESSAGES_DEAD = Counter(
    "accountbot_messages_dead",
    "Outbox messages dead-lettered by the relay (a permanent error, or too many attempts), by outbox kind.",
    ["kind"],
    registry=REGISTRY,
)
RETRIES = Counter(
    "accountbot_retries",
    "Retries of failed Slack calls: source=relay (a message rescheduled after a 429, a 5xx, no answer, or a "
    "history read that failed) or source=slack_sdk (a Web API call retried inside the client).",
    ["source", "reason"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "accountbot_slack_rate_limited",
    "HTTP 429 answers from the Slack Web API, by method (including those slack_sdk waited out and retried).",
    ["method"],
    registry=REGISTRY,
)
SLACK_ERRORS = Counter(
    "accountbot_slack_api_errors",
    "Failed Slack Web API calls, by method and error code (Slack's error, http_<status>, or the exception "
    "name when Slack did not answer; method 'unknown' then).",
    ["method", "error"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "accountbot_job_duration_seconds",
    "How long a scheduled job or poller ran, by job.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
    registry=REGISTRY,
)
JOB_LAG = Histogram(
    "accountbot_job_lag_seconds",
    "How late a scheduled job or poller started behind its scheduled time, by job.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600),
    registry=REGISTRY,
)
JOB_MISSED = Counter(
    "accountbot_job_missed",
    "Scheduled runs skipped because they started more than the misfire grace time late, by job.",
    ["job"],
    registry=REGISTRY,
)
IMPORT_ROWS = Counter(
    "accountbot_import_rows",
    "Rows imported, by import kind (accounts, contacts, ...) and outcome (created, updated, unchanged, skipped).",
    ["kind", "outcome"],
    registry=REGISTRY,
)

LABELLED = (
    MESSAGES_SENT,
    MESSAGES_DEAD,
    RETRIES,
    RATE_LIMITED,
    SLACK_ERRORS,
    JOB_DURATION,
    JOB_LAG,
    JOB_MISSED,
    IMPORT_ROWS,
)
IMPORT_OUTCOMES = ("created", "updated", "unchanged", "skipped")

# Label values: short words only, so a stray id or text can never become a series of its own.
_WORD = re.compile(r"[A-Za-z0-9_]{1,48}")
_METHOD = re.compile(r"[a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+){1,4}")
_CODE = re.compile(r"[A-Za-z0-9_.]{1,64}")


def _word(value: object, pattern: re.Pattern[str] = _WORD) -> str:
    text = str(value or "")
    return text if pattern.fullmatch(text) else "other"


# ---------------------------------------------------------------------- what the code calls


def message_sent(kind: str) -> None:
    MESSAGES_SENT.labels(_word(kind)).inc()


def message_dead(kind: str) -> None:
    MESSAGES_DEAD.labels(_word(kind)).inc()


def retry(reason: str, source: str = "relay") -> None:
    RETRIES.labels(_word(source), _word(reason)).inc()


def rate_limited(method: str) -> None:
    RATE_LIMITED.labels(slack_method(method)).inc()


def slack_error(method: str, error: str) -> None:
    SLACK_ERRORS.labels(slack_method(method), _word(error, _CODE)).inc()


def job_ran(job: str, seconds: float, lag_seconds: float | None = None) -> None:
    JOB_DURATION.labels(_word(job)).observe(max(0.0, seconds))
    if lag_seconds is not None:
        JOB_LAG.labels(_word(job)).observe(max(0.0, lag_seconds))


def import_rows(kind: str, outcome: str, n: int) -> None:
    if outcome not in IMPORT_OUTCOMES:
        raise ValueError(f"import outcome {outcome!r}: one of {', '.join(IMPORT_OUTCOMES)}")
    if n > 0:
        IMPORT_ROWS.labels(_word(kind), outcome).inc(n)


def slack_method(value: str | None) -> str:
    """A Slack Web API method name from a method or an API URL (".../api/chat.postMessage"); "response_url"
    for a post to a response URL (Bolt's respond()); else "unknown"."""
    text = str(value or "").split("?", 1)[0].rstrip("/")
    if "://" in text and "/api/" not in text:
        return "response_url"
    text = text.rsplit("/", 1)[-1]
    return text if _METHOD.fullmatch(text) else "unknown"


def error_code(status: int, body: object) -> str:
    """Slack's error code from an answer's JSON body (dict, bytes or str), else http_<status>."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            body = None
    error = body.get("error") if isinstance(body, dict) else None
    return str(error) if error else f"http_{status}"


def reset() -> None:
    """Forget every labelled series (tests)."""
    for metric in LABELLED:
        metric.clear()


# ---------------------------------------------------------------------- job timing (APScheduler glue)


class JobTimer:
    """Times the scheduler's jobs and pollers: `wrap(job, func)` runs `func` with a correlation id and the job's
    name in the log context (bot.log_format) and observes its duration; `on_event` (an APScheduler listener)
    observes the lag of a run behind its scheduled time and counts missed runs."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._started: dict[str, float] = {}  # job -> wall time its current run started
        self._lock = threading.Lock()

    def wrap(self, job: str, func: Callable[..., Any]) -> Callable[..., Any]:
        from bot.log_format import job_context

        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = self.clock()
            with self._lock:
                self._started[job] = started
            try:
                with job_context(job):
                    return func(*args, **kwargs)
            finally:
                JOB_DURATION.labels(_word(job)).observe(max(0.0, self.clock() - started))

        return timed

    def on_event(self, event: Any) -> None:
        from apscheduler.events import EVENT_JOB_MISSED

        job = str(getattr(event, "job_id", "") or "")
        if event.code == EVENT_JOB_MISSED:
            JOB_MISSED.labels(_word(job)).inc()
            return
        scheduled: datetime | None = getattr(event, "scheduled_run_time", None)
        with self._lock:
            started = self._started.pop(job, None)
        if scheduled is None or started is None:
            return  # a run that started before the job was wrapped (the catch-up at start): its lag is unknown
        JOB_LAG.labels(_word(job)).observe(max(0.0, started - scheduled.timestamp()))


def watch_scheduler(scheduler: Any, timer: JobTimer | None = None) -> JobTimer:
    """Time the jobs of a started jobs.scheduler.JobScheduler (call right after `start()`).

    Wraps each APScheduler job's function (modify_job) and listens for executed, failed and missed runs, whose
    events carry the scheduled time. jobs/ never imports bot/, so the timing hook lives here, outside it."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

    timer = timer or JobTimer()
    aps = getattr(scheduler, "_scheduler", None)  # the BackgroundScheduler that JobScheduler.start() made
    if aps is None:
        return timer
    aps.add_listener(timer.on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    for job in aps.get_jobs():
        try:
            aps.modify_job(job.id, func=timer.wrap(job.id, job.func))
        except Exception as exc:  # a one-shot job (the catch-up) that has run meanwhile
            log.info("job_not_timed job=%s error=%s", job.id, type(exc).__name__)
    return timer


# ---------------------------------------------------------------------- imports


_IMPORT_KINDS = {"activities": "interactions", "opportunities": "deals"}


def count_import(result: Any) -> None:
    """Rows of one import by outcome: a storage.importing ImportResult (one file, `.kind` and counts) or a
    batch Report (`.created`/`.updated`/`.unchanged` by kind, `.files` with the skipped rows of each)."""
    if hasattr(result, "files"):
        for outcome in ("created", "updated", "unchanged"):
            for kind, n in getattr(result, outcome).items():
                import_rows(kind, outcome, int(n))
        for f in result.files:  # a file's kind, in the writers' words (calls and meetings are interactions)
            import_rows(_IMPORT_KINDS.get(f.kind, f.kind), "skipped", int(f.skipped))
        return
    for outcome in IMPORT_OUTCOMES:
        import_rows(result.kind, outcome, int(getattr(result, outcome, 0) or 0))


def push_import(gateway: str, *, grouping: dict[str, str] | None = None) -> None:
    """Push the import rows to a Prometheus Pushgateway (a CLI import ends before any scrape)."""
    from prometheus_client import pushadd_to_gateway

    registry = CollectorRegistry()
    registry.register(IMPORT_ROWS)
    pushadd_to_gateway(gateway, job="accountbot_import", registry=registry, grouping_key=grouping or {})


# ---------------------------------------------------------------------- read at scrape time


class StoreCollector(Collector):
    """The relay backlog (messages pending or sending, and the age of the oldest, per workspace) and the
    failing feeds, read from the database when Prometheus scrapes. A database that cannot be read gives
    `accountbot_metrics_database_up 0` instead of failing the scrape."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], float] = time.time) -> None:
        self.sessions = sessions
        self.clock = clock

    def collect(self) -> Iterable[Metric]:
        from storage.db import workspace_ids
        from storage.feeds import feed_trouble
        from storage.queues.outbox import waiting_by_team

        up = GaugeMetricFamily(
            "accountbot_metrics_database_up", "1 when the database answered this scrape's queries, else 0."
        )
        try:
            with self.sessions() as session:
                teams = workspace_ids(session)
                waiting = waiting_by_team(session)
                feeds = feed_trouble(session, team_ids=teams)
        except Exception as exc:
            log.warning("metrics_db_failed error=%s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        backlog = GaugeMetricFamily(
            "accountbot_relay_backlog_messages",
            "Outbox messages not delivered yet (pending or sending), per workspace.",
            labels=["team_id"],
        )
        oldest = GaugeMetricFamily(
            "accountbot_relay_oldest_message_age_seconds",
            "Age of the oldest outbox message not delivered yet, per workspace (0 when none waits).",
            labels=["team_id"],
        )
        now = self.clock()
        for team in sorted(set(teams) | set(waiting)):
            entry = waiting.get(team)
            count = entry.waiting if entry else 0
            since = entry.oldest_waiting_at if entry else None
            backlog.add_metric([team], count)
            oldest.add_metric([team], 0.0 if since is None else max(0.0, now - since.timestamp()))
        yield backlog
        yield oldest
        failing = GaugeMetricFamily("accountbot_feeds_failing", "News feeds whose last poll failed.")
        failing.add_metric([], feeds["failing"])
        yield failing
        paused = GaugeMetricFamily(
            "accountbot_feed_alerts_paused",
            "News feeds whose channel alerts are paused (Slack refused them).",
        )
        paused.add_metric([], feeds["alerts_paused"])
        yield paused


class _Process(Collector):
    """This process's counters and histograms (REGISTRY), inside a scrape's registry."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class Scrape:
    """What `GET /metrics` answers: the process's metrics and the database's, in Prometheus' text format."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry(auto_describe=False)  # nothing is read until a scrape
        self.registry.register(_Process())
        self.registry.register(StoreCollector(sessions, clock))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
