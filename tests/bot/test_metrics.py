"""GET /metrics (bot.metrics) scraped over real HTTP, in Socket Mode's health server and in HTTP mode, after the
relay and the app talked to the loopback fake Slack; job timing; import rows by outcome."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from accountbot.cli import app as cli_app
from bot import metrics
from bot.health import Health
from bot.server import serve_health
from jobs.scheduler import JobScheduler
from storage.db import ensure_workspace
from storage.models import Feed
from storage.queues import outbox
from tests.bot.conftest import BotHarness
from tests.bot.test_relay import Clock, enqueue_one, make_relay
from tests.fakes.slack_api import FakeSlackApi

TEAM = "T1"  # the relay's workspace (tests.bot.test_relay)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "crm"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(autouse=True)
def fresh_metrics() -> None:
    metrics.reset()


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi(team_id=TEAM) as fake:
        yield fake


def scrape(url: str) -> tuple[httpx.Response, Samples]:
    resp = httpx.get(url + "/metrics", timeout=10)
    assert resp.status_code == 200, resp.text
    samples: Samples = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return resp, samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def series(samples: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


def registry_value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def import_counts() -> dict[tuple[str, str], float]:
    return {
        (s.labels["kind"], s.labels["outcome"]): s.value
        for family in metrics.IMPORT_ROWS.collect()
        for s in family.samples
        if s.name.endswith("_total")
    }


# ---------------------------------------------------------------------- Socket Mode's health server


def test_a_relay_pass_shows_on_the_health_servers_metrics(
    sessions: sessionmaker[Session], slack: FakeSlackApi
) -> None:
    clock = Clock()
    feed_facts = {"feed_id": 1, "url": "https://news.example/rss", "channel": "C1", "error": "x"}
    due = [clock.now - timedelta(seconds=s) for s in (8, 7, 6, 5)]  # claimed in this order
    enqueue_one(sessions, recipient="U1", period="a", now=due[0])
    enqueue_one(sessions, recipient="U2", period="b", now=due[1])
    with sessions.begin() as s:
        for recipient, at in (("U3", due[2]), ("U4", due[3])):
            outbox.enqueue(s, team_id=TEAM, recipient=recipient, kind="feed_paused", facts=feed_facts,
                           period=f"f-{recipient}", now=at)  # fmt: skip
    slack.fail_next("chat.postMessage", status=429, retry_after=7)  # U1's nudge: rate limited
    slack.fail_next("chat.postMessage", status=500)  # U2's: a 5xx, retried
    slack.fail_next("chat.postMessage", error="channel_not_found")  # U3's: dead
    relay = make_relay(sessions, slack, clock, concurrency=1)  # one lane: the rows meet the failures in order
    first = relay.run_once()
    assert (first.sent, first.retried, first.dead) == (1, 2, 1)
    clock.advance(seconds=10)
    assert relay.run_once().sent == 2

    # Backlog of another workspace, seeded at known ages; feeds failing and paused.
    scraped_at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with sessions.begin() as s:
        ensure_workspace(s, "T2")
        for period, minutes in (("old", 90), ("new", 5)):
            outbox.enqueue(s, team_id="T2", recipient="U9", kind="tier_change", facts={}, period=period,
                           now=scraped_at - timedelta(minutes=minutes))  # fmt: skip
        s.add_all([
            Feed(team_id="T2", url="https://a.example/rss", consecutive_failures=3, created_at=scraped_at),
            Feed(team_id=TEAM, url="https://b.example/rss", consecutive_failures=0, created_at=scraped_at),
            Feed(team_id=TEAM, url="https://c.example/rss", consecutive_failures=0, created_at=scraped_at,
                 alerts_paused="channel_not_found in <#C1>"),
        ])  # fmt: skip

    health = Health(sessions, mode="socket", clock=lambda: scraped_at.timestamp())
    server = serve_health(health, host="127.0.0.1", port=0).start_in_thread()
    try:
        resp, samples = scrape(server.url)
    finally:
        server.close()

    assert resp.headers["content-type"].startswith("text/plain; version=")  # the text exposition format
    assert series(samples, "accountbot_messages_sent_total") == {
        frozenset({("kind", "tier_change")}): 2.0,
        frozenset({("kind", "feed_paused")}): 1.0,
    }
    assert series(samples, "accountbot_messages_dead_total") == {frozenset({("kind", "feed_paused")}): 1.0}
    assert series(samples, "accountbot_slack_api_errors_total") == {
        frozenset({("method", "chat.postMessage"), ("error", "ratelimited")}): 1.0,
        frozenset({("method", "chat.postMessage"), ("error", "fatal_error")}): 1.0,
        frozenset({("method", "chat.postMessage"), ("error", "channel_not_found")}): 1.0,
    }
    assert series(samples, "accountbot_slack_rate_limited_total") == {
        frozenset({("method", "chat.postMessage")}): 1.0
    }
    assert series(samples, "accountbot_retries_total") == {
        frozenset({("source", "relay"), ("reason", "rate_limited")}): 1.0,
        frozenset({("source", "relay"), ("reason", "server_error")}): 1.0,
    }
    assert value(samples, "accountbot_metrics_database_up") == 1.0
    assert series(samples, "accountbot_relay_backlog_messages") == {
        frozenset({("team_id", TEAM)}): 0.0,
        frozenset({("team_id", "T2")}): 2.0,
    }
    assert value(samples, "accountbot_relay_oldest_message_age_seconds", team_id="T2") == 5400.0
    assert value(samples, "accountbot_relay_oldest_message_age_seconds", team_id=TEAM) == 0.0
    assert value(samples, "accountbot_feeds_failing") == 1.0
    assert value(samples, "accountbot_feed_alerts_paused") == 1.0
    assert value(samples, "process_start_time_seconds") is not None  # the process collector is there too


def test_the_gauges_follow_the_database_at_each_scrape(sessions: sessionmaker[Session]) -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    health = Health(sessions, mode="socket", clock=lambda: now.timestamp())
    server = serve_health(health, host="127.0.0.1", port=0).start_in_thread()
    try:
        with sessions.begin() as s:
            ensure_workspace(s, TEAM)
        assert value(scrape(server.url)[1], "accountbot_relay_backlog_messages", team_id=TEAM) == 0.0
        with sessions.begin() as s:
            outbox.enqueue(s, team_id=TEAM, recipient="U1", kind="tier_change", facts={}, period="p",
                           now=now - timedelta(seconds=42))  # fmt: skip
        samples = scrape(server.url)[1]
    finally:
        server.close()
    assert value(samples, "accountbot_relay_backlog_messages", team_id=TEAM) == 1.0
    assert value(samples, "accountbot_relay_oldest_message_age_seconds", team_id=TEAM) == 42.0


def test_a_database_that_does_not_answer_gives_database_up_0_not_a_failed_scrape(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    try:
        server = serve_health(Health(sessionmaker(engine), mode="socket"), host="127.0.0.1", port=0)
        server.start_in_thread()
        try:
            samples = scrape(server.url)[1]
        finally:
            server.close()
    finally:
        engine.dispose()
    assert value(samples, "accountbot_metrics_database_up") == 0.0
    assert series(samples, "accountbot_relay_backlog_messages") == {}


# ---------------------------------------------------------------------- HTTP mode


def test_http_mode_serves_metrics_with_the_apps_own_slack_errors_and_retries(bot_server: BotHarness) -> None:
    h = bot_server
    h.fake_slack.fail_next("views.publish", status=503)  # slack_sdk retries a 5xx ...
    h.fake_slack.fail_next("views.publish", status=429, retry_after=0)  # ... and a 429, then it goes through
    assert h.open_home().status_code == 200
    calls = h.fake_slack.wait_for("views.publish", count=3, timeout=15)
    assert [c.ok for c in calls] == [False, False, True]
    assert httpx.get(h.url + "/metrics/x", timeout=5).status_code == 404

    _, samples = scrape(h.url)
    assert series(samples, "accountbot_slack_api_errors_total") == {
        frozenset({("method", "views.publish"), ("error", "fatal_error")}): 1.0,
        frozenset({("method", "views.publish"), ("error", "ratelimited")}): 1.0,
    }
    assert series(samples, "accountbot_slack_rate_limited_total") == {
        frozenset({("method", "views.publish")}): 1.0
    }
    assert series(samples, "accountbot_retries_total") == {
        frozenset({("source", "slack_sdk"), ("reason", "server_error")}): 1.0,
        frozenset({("source", "slack_sdk"), ("reason", "rate_limited")}): 1.0,
    }
    assert value(samples, "accountbot_metrics_database_up") == 1.0


def test_http_mode_counts_an_error_a_listener_classifies(bot_server: BotHarness) -> None:
    h = bot_server
    h.fake_slack.fail_next("views.publish", error="invalid_blocks")  # answered, not retried
    h.open_home()
    h.fake_slack.wait_for("views.publish")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        errors = series(scrape(h.url)[1], "accountbot_slack_api_errors_total")
        if errors:
            break
        time.sleep(0.05)
    assert errors == {frozenset({("method", "views.publish"), ("error", "invalid_blocks")}): 1.0}


# ---------------------------------------------------------------------- jobs


def test_job_timer_observes_duration_lag_and_missed_runs() -> None:
    ticks = iter([100.0, 102.5])
    timer = metrics.JobTimer(clock=lambda: next(ticks))
    run = timer.wrap("digest", lambda x: x * 2)
    assert run(21) == 42
    assert registry_value("accountbot_job_duration_seconds_count", job="digest") == 1
    assert registry_value("accountbot_job_duration_seconds_sum", job="digest") == 2.5
    scheduled = datetime.fromtimestamp(88.0, UTC)
    timer.on_event(JobExecutionEvent(EVENT_JOB_EXECUTED, "digest", "default", scheduled))
    assert registry_value("accountbot_job_lag_seconds_count", job="digest") == 1
    assert registry_value("accountbot_job_lag_seconds_sum", job="digest") == 12.0  # started at 100, due at 88
    timer.on_event(JobExecutionEvent(EVENT_JOB_EXECUTED, "digest", "default", scheduled))  # start not seen
    assert registry_value("accountbot_job_lag_seconds_count", job="digest") == 1
    timer.on_event(JobExecutionEvent(EVENT_JOB_MISSED, "digest", "default", scheduled))
    assert registry_value("accountbot_job_missed_total", job="digest") == 1


def test_a_running_scheduler_is_timed_per_job(sessions: sessionmaker[Session]) -> None:
    ran = threading.Event()

    def probe() -> str:
        ran.set()
        return "done"

    scheduler = JobScheduler(sessions, jobs={}, pollers={"probe": (probe, 0.2)}).start(catch_up=False)
    try:
        metrics.watch_scheduler(scheduler)
        deadline = time.monotonic() + 10
        while (
            time.monotonic() < deadline
            and registry_value("accountbot_job_lag_seconds_count", job="probe") < 1
        ):
            time.sleep(0.02)
    finally:
        scheduler.stop()
    assert (
        ran.is_set() and scheduler.last_poll["probe"] == "done"
    )  # the wrapped poller still returns its result
    assert registry_value("accountbot_job_duration_seconds_count", job="probe") >= 1
    assert registry_value("accountbot_job_lag_seconds_count", job="probe") >= 1
    assert registry_value("accountbot_job_lag_seconds_sum", job="probe") < 5  # on time, give or take


# ---------------------------------------------------------------------- imports


class _Gateway(BaseHTTPRequestHandler):
    pushes: list[tuple[str, str, str]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        type(self).pushes.append((self.command, self.path, body))
        self.send_response(200)
        self.end_headers()

    do_PUT = do_POST  # noqa: N815

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    pushes: list[tuple[str, str, str]] = []
    handler = type("Gateway", (_Gateway,), {"pushes": pushes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pushes
    finally:
        server.shutdown()
        server.server_close()


ACCOUNTS = (
    "Name,Owner,Annual Revenue,Wallet Share,Profit Margin,Strategic Value,Aliases\n"
    "Acme Corp,U0OWNER1,5000000,30%,28%,high,ACME\n"
    "Globex,U0OWNER2,900000,80%,12%,,\n"
    "Initech,U0OWNER1,400000,60%,-5%,,\n"
)


def test_import_counts_rows_by_outcome_and_pushes_them(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gateway: tuple[str, list[Any]]
) -> None:
    url, pushes = gateway
    monkeypatch.chdir(tmp_path)
    env = {"DATABASE_URL": db_url, "SLACK_TEAM_ID": None, "METRICS_PUSHGATEWAY": url}
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS)
    runner = CliRunner()
    first = runner.invoke(cli_app, ["import", "accounts", str(path), "--team", "T1"], env=env)
    assert first.exit_code == 0, first.output
    path.write_text(ACCOUNTS.replace("900000", "950000"))
    again = runner.invoke(cli_app, ["import", "accounts", str(path), "--team", "T1"], env=env)
    assert again.exit_code == 0, again.output

    assert registry_value("accountbot_import_rows_total", kind="accounts", outcome="created") == 3
    assert registry_value("accountbot_import_rows_total", kind="accounts", outcome="updated") == 1
    assert registry_value("accountbot_import_rows_total", kind="accounts", outcome="unchanged") == 2
    assert len(pushes) == 2
    method, where, body = pushes[-1]
    assert (method, where) == ("POST", "/metrics/job/accountbot_import")
    assert 'accountbot_import_rows_total{kind="accounts",outcome="updated"} 1.0' in body
    assert "accountbot_messages_sent" not in body  # only the import's rows are pushed


def test_a_batch_import_counts_what_its_report_says(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    files = [
        str(FIXTURES / "hubspot" / f"{n}.csv") for n in ("users", "companies", "contacts", "calls", "deals")
    ]
    args = ["import", *files, "--tz", "Europe/Berlin", "--rate", "EUR=1.1", "--team", "T1", "--json"]
    result = CliRunner().invoke(cli_app, args, env={"DATABASE_URL": db_url, "SLACK_TEAM_ID": None})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    expected: dict[tuple[str, str], float] = {}
    for outcome in ("created", "updated", "unchanged"):
        for kind, n in report[outcome].items():
            if n:
                expected[(kind, outcome)] = n
    for f in report["files"]:
        kind = {"activities": "interactions"}.get(f["kind"], f["kind"])
        if f["skipped"]:
            expected[(kind, "skipped")] = expected.get((kind, "skipped"), 0) + f["skipped"]
    assert expected[("accounts", "skipped")] > 0 and expected[("accounts", "created")] > 0
    assert import_counts() == expected


def test_a_dry_run_counts_nothing(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["import", str(FIXTURES / "hubspot" / "companies.csv"), "--team", "T1", "--dry-run"]
    result = CliRunner().invoke(cli_app, args, env={"DATABASE_URL": db_url, "SLACK_TEAM_ID": None})
    assert result.exit_code == 0, result.output
    assert import_counts() == {}


# ---------------------------------------------------------------------- labels stay bounded


def test_labels_never_carry_ids_or_text() -> None:
    metrics.message_sent("U0123ABC hello there")
    metrics.slack_error("https://slack.com/api/chat.postMessage?channel=C1", "x" * 200)
    assert registry_value("accountbot_messages_sent_total", kind="other") == 1
    assert registry_value("accountbot_slack_api_errors_total", method="chat.postMessage", error="other") == 1
    assert metrics.slack_method("http://127.0.0.1:9/response/r1") == "response_url"
    assert metrics.slack_method("") == "unknown"
    assert metrics.error_code(503, b'{"ok": false, "error": "service_unavailable"}') == "service_unavailable"
    assert metrics.error_code(502, b"<html>") == "http_502"
    with pytest.raises(ValueError):
        metrics.import_rows("accounts", "deleted", 1)
