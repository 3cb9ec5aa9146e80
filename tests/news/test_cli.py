"""`accountbot news scan|poll` and `accountbot feeds [add]` through the real CLI on a real database."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from accountbot.cli import app
from storage.db import ensure_workspace, make_engine, session_factory
from storage.models import Account, NewsMention, OutboxMessage
from tests.fakes.feed_server import FeedServer
from tests.news.conftest import NOW

SAMPLE = Path(__file__).resolve().parents[2] / "accountbot" / "sample_data"
runner = CliRunner()


@pytest.fixture
def db(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("SLACK_TEAM_ID", raising=False)
    monkeypatch.delenv("NEWS_ALLOWED_HOSTS", raising=False)
    engine = make_engine(sqlite_url)
    with session_factory(engine).begin() as s:
        ensure_workspace(s, "T1")
        for row in csv.DictReader((SAMPLE / "accounts.csv").open(encoding="utf-8")):
            aliases = [a.strip() for a in row["aliases"].split(";") if a.strip()]
            s.add(
                Account(
                    team_id="T1",
                    name=row["name"],
                    name_key=row["name"].casefold(),
                    aliases=aliases,
                    exclusions=[],
                    stage=row["stage"],
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    engine.dispose()
    yield sqlite_url


def _count(url: str, model: type) -> int:
    engine = make_engine(url)
    with session_factory(engine)() as s:
        n = s.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return n


def test_scan_sample_feed_as_json_stores_nothing(db: str) -> None:
    result = runner.invoke(app, ["news", "scan", str(SAMPLE / "feeds" / "industry-wire.xml"), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["account"] for r in rows} == {
        "Mercury Freight Lines",
        "Jaguar Robotics",
        "Thunderbird Motors",
        "Atlas Mutual Insurance",
        "Delta Water Utilities",
        "Kestrel Software",
        "Vireo Analytics",
        "Titan Steelworks",
        "Orion Aerospace",
    }
    assert set(rows[0]) == {"account", "title", "link", "published", "entry_id"}
    assert rows[0]["entry_id"] == "wire-1001" and rows[0]["published"] == "2026-03-02T07:30:00+00:00"
    assert not any("tuna" in r["title"] or "jaguar spotted" in r["title"] for r in rows)
    assert _count(db, NewsMention) == 0 and _count(db, OutboxMessage) == 0

    table = runner.invoke(app, ["news", "scan", str(SAMPLE / "feeds" / "industry-wire.xml")])
    assert table.exit_code == 0 and "13 entries, 9 mentions of 60 accounts" in table.output


def test_scan_url_goes_through_the_guard(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with FeedServer() as server:
        url = server.add_feed(
            "alerts", (SAMPLE / "feeds" / "atlas-mutual-alerts.xml").read_bytes(), "application/atom+xml"
        )
        refused = runner.invoke(app, ["news", "scan", url])
        assert (
            refused.exit_code == 1 and "loopback" in refused.output and "NEWS_ALLOWED_HOSTS" in refused.output
        )
        assert "Traceback" not in refused.output
        monkeypatch.setenv("NEWS_ALLOWED_HOSTS", "127.0.0.1")
        ok = runner.invoke(app, ["news", "scan", url, "--json"])
        assert ok.exit_code == 0, ok.output
        rows = json.loads(ok.output)
        assert [r["link"] for r in rows if r["account"] == "Summit Savings Bank"] == [
            "https://banking-news.example/2026/02/summit-benefits"
        ]
        html = runner.invoke(app, ["news", "scan", server.url("/html")])
        assert html.exit_code == 1 and "not an RSS or Atom feed" in html.output


def test_feeds_add_and_list_with_health(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "No feeds yet" in runner.invoke(app, ["feeds"]).output
    refused = runner.invoke(app, ["feeds", "add", "http://10.1.2.3/rss"])
    assert refused.exit_code == 1 and "private address" in refused.output
    bad_channel = runner.invoke(
        app, ["feeds", "add", "https://wire.example/rss", "--channel", "general news"]
    )
    assert bad_channel.exit_code == 1 and "channel id" in bad_channel.output
    unknown = runner.invoke(app, ["feeds", "add", "http://127.0.0.1:9/rss", "--account", "Nobody Inc"])
    assert unknown.exit_code == 1
    monkeypatch.setenv("NEWS_ALLOWED_HOSTS", "127.0.0.1")
    with FeedServer() as server:
        ok = runner.invoke(app, ["feeds", "add", server.url("/status/503"), "--channel", "#C0NEWS1"])
        assert ok.exit_code == 0, ok.output
        per_account = runner.invoke(
            app, ["feeds", "add", server.url("/feeds/default"), "--account", "atlas mutual insurance"]
        )
        assert per_account.exit_code == 0, per_account.output
        polled = runner.invoke(app, ["news", "poll"])
        assert polled.exit_code == 0 and "2 feeds due" in polled.output and "1 failed" in polled.output
    listed = json.loads(runner.invoke(app, ["feeds", "--json"]).output)
    assert [(f["account"], f["channel"], f["consecutive_failures"]) for f in listed] == [
        (None, "C0NEWS1", 1),
        ("Atlas Mutual Insurance", None, 0),
    ]
    assert "HTTP 503" in listed[0]["last_error"] and listed[1]["last_success_at"]
    table = runner.invoke(app, ["feeds"])
    assert table.exit_code == 0 and "Atlas Mutual" in table.output
    too_often = runner.invoke(app, ["feeds", "add", "https://203.0.113.9/x", "--interval", "2"])
    assert too_often.exit_code == 1 and "5 to 1440 minutes" in too_often.output
    assert runner.invoke(app, ["feeds", "remove", str(listed[0]["id"])]).exit_code == 0
    missing = runner.invoke(app, ["feeds", "remove", "999"])
    assert missing.exit_code == 1 and "no feed 999" in missing.output
    assert len(json.loads(runner.invoke(app, ["feeds", "--json"]).output)) == 1
