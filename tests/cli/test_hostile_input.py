"""Hostile CLI inputs end with a clear error and exit code, never a traceback or a leaked password."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accountbot.cli import app

ACCOUNTS = "name,aliases\nAcme Corp,ACME\nGlobex,\n"
Invoke = Callable[..., Any]  # the `cli` fixture: accountbot's CLI, run with the test database


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str | None] | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(
            app,
            list(args),
            env={"DATABASE_URL": db_url, "SLACK_TEAM_ID": None, "COLUMNS": "250", **(env or {})},
        )

    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS, encoding="utf-8")
    assert invoke("import", "accounts", str(path), "--team", "T1").exit_code == 0
    return invoke


def _clean_failure(result) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code in (1, 2), (result.exit_code, result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        result.exception
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [["outbox", "retry"], ["feeds", "remove"]])
def test_row_id_beyond_64_bits_is_a_usage_error(cli, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    _clean_failure(cli(*command, "99999999999999999999", "--team", "T1"))


@pytest.mark.parametrize(
    "at",
    [
        "9999-12-31T23:59:59-01:00",  # past the last instant datetime can hold once converted to UTC
        "0001-01-07T00:00:00Z",  # the jobs look weeks back from here
    ],
)
def test_jobs_run_at_the_edges_of_the_calendar(cli, at: str) -> None:  # type: ignore[no-untyped-def]
    for job in ("digest", "weekly_focus", "tier_watch"):
        result = cli("jobs", "run", job, "--at", at, "--dry-run", "--team", "T1")
        _clean_failure(result)
        assert "--at" in result.output


def test_grade_with_a_huge_name_is_a_plain_miss(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("grade", "a " * 30_000, "--team", "T1")
    _clean_failure(result)
    assert "no account named" in result.output


def test_feeds_add_for_a_huge_account_name_is_a_plain_miss(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("feeds", "add", "https://93.184.215.14/feed.xml", "--account", "x" * 60_000, "--team", "T1")
    _clean_failure(result)
    assert "no account named" in result.output


def test_database_url_with_a_driver_that_is_not_installed(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "outbox", "--team", "T1", env={"DATABASE_URL": "postgresql+asyncpg://bob:s3cr3tpw@127.0.0.1/db"}
    )
    _clean_failure(result)
    assert "DATABASE_URL" in result.output and "s3cr3tpw" not in result.output


def test_malformed_database_url_is_not_echoed_with_its_password(cli) -> None:  # type: ignore[no-untyped-def]
    for url in ("postgresql://bob:s3cr3tpw@db.example:abc/app", "postgresql://bob:s3cr3t@pw@[::1/app"):
        result = cli("outbox", "--team", "T1", env={"DATABASE_URL": url})
        _clean_failure(result)
        assert "DATABASE_URL" in result.output
        assert "s3cr3t" not in result.output and "pw@" not in result.output, result.output


def _unreadable(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """Opening `target` fails as it would for a file without read permission (tests may run as root)."""
    real_open = Path.open

    def open_(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.resolve() == target.resolve():
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    monkeypatch.setattr(Path, "read_bytes", lambda self: open_(self, "rb").read())


def test_import_of_an_unreadable_file(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "secret.csv"
    path.write_text("name\nHidden Co\n", encoding="utf-8")
    _unreadable(monkeypatch, path)
    result = cli("import", "accounts", str(path), "--team", "T1")
    _clean_failure(result)
    assert "Permission denied" in result.output


def test_news_scan_of_an_unreadable_file(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "feed.xml"
    path.write_text("<rss version='2.0'><channel><title>t</title></channel></rss>", encoding="utf-8")
    _unreadable(monkeypatch, path)
    result = cli("news", "scan", str(path), "--team", "T1")
    _clean_failure(result)
    assert "cannot read" in result.output


@pytest.mark.parametrize("command", [["db", "current"], ["db", "upgrade"]])
def test_db_commands_on_an_unreachable_database(cli, tmp_path: Path, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    for url in (f"sqlite:///{tmp_path}/missing/dir/x.db", "postgresql://bob:s3cr3tpw@127.0.0.1:1/app"):
        result = cli(*command, env={"DATABASE_URL": url})
        _clean_failure(result)
        assert "DATABASE_URL" in result.output and "s3cr3tpw" not in result.output


# Rich markup: user and feed text in CLI output must be printed as text, never parsed as rich markup (a "[/]"
# raised MarkupError with a traceback; "[link=...]...[/link]" silently changed what was shown).

MARKUP_NAME = "[/] Evil [link=https://evil.example]Co[/link]"


def test_error_messages_show_markup_like_names_as_typed(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("grade", MARKUP_NAME, "--team", "T1")
    _clean_failure(result)
    assert MARKUP_NAME in result.output.replace("\n", "")


def test_import_of_a_file_with_a_markup_like_name(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "[red]accounts.csv"
    path.write_text("name\n[/] Odd Co\n", encoding="utf-8")
    result = cli("import", "accounts", str(path), "--team", "T1")
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "[red]accounts.csv" in result.output.replace("\n", "")


def test_news_scan_prints_hostile_titles_as_text(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    feed = tmp_path / "hostile.xml"
    feed.write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>x</title>"
        "<item><title>Acme Corp wins [bold]big[/bold] and [/] more</title><link>https://n.example/a</link><guid>1</guid></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    result = cli("news", "scan", str(feed), "--team", "T1")
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "[bold]big[/bold]" in result.output


def test_feeds_and_outbox_listings_print_stored_text_as_text(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from storage.db import make_engine, session_factory
    from storage.models import Feed
    from storage.queues.outbox import enqueue

    engine = make_engine(db_url)
    now = datetime(2026, 11, 24, tzinfo=UTC)
    with session_factory(engine).begin() as s:
        s.add(
            Feed(
                team_id="T1",
                url="https://feeds.example/[/]rss",
                account_id=None,
                channel=None,
                interval_minutes=30,
                consecutive_failures=2,
                last_error="HTTP 500 [/] [link=https://evil.example]x[/link]",
                created_at=now,
            )
        )
        enqueue(s, team_id="T1", recipient="C[/]", kind="news_alert", facts={}, period="p", now=now)
    engine.dispose()
    for command in (["feeds"], ["outbox"]):
        result = cli(*command, "--team", "T1")
        assert result.exit_code == 0 and result.exception is None, (command, result.output)
        assert "[/]" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["feeds", "add", "http://127.0.0.1:9/x.xml"],
        ["feeds"],
        ["outbox"],
        ["grade", "--all"],
        ["news", "poll"],
    ],
)
def test_team_ids_longer_than_slack_allows_are_refused(cli, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Before: feeds add created a workspace "TTT...T" (40 characters) on SQLite and crashed with a DataError
    traceback on PostgreSQL (workspaces.team_id holds 32)."""
    result = cli(*command, "--team", "T" * 40, env={"NEWS_ALLOWED_HOSTS": "127.0.0.1"})
    _clean_failure(result)
    assert "not a Slack team id" in result.output


@pytest.mark.parametrize("channel", ["C" + "1" * 100, "C١٢٣٤٥٦"])
def test_feeds_add_refuses_channels_that_are_not_slack_ids(cli, channel: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "feeds",
        "add",
        "http://127.0.0.1:9/x.xml",
        "--channel",
        channel,
        "--team",
        "T1",
        env={"NEWS_ALLOWED_HOSTS": "127.0.0.1"},
    )
    _clean_failure(result)
    assert "--channel" in result.output


def test_outbox_shows_why_a_workspace_is_on_hold(cli: Invoke, db_url: str) -> None:
    from datetime import UTC, datetime

    from storage import holds
    from storage.db import ensure_workspace, make_engine, session_factory

    engine = make_engine(db_url)
    with session_factory(engine).begin() as s:
        ensure_workspace(s, "T1")
        holds.hold(
            s, team_id="T1", reason="Slack refused the bot token (token_revoked) [/]", now=datetime.now(UTC)
        )
    engine.dispose()
    result = cli("outbox", "--team", "T1")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "On hold since" in said and "Slack refused the bot token (token_revoked) [/]" in said


def test_workspace_purge_deletes_one_removed_workspace_and_nothing_else(
    cli: Invoke, db_url: str, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from storage import holds
    from storage.db import make_engine, session_factory
    from storage.models import Account, Workspace

    path = tmp_path / "accounts.csv"
    assert cli("import", "accounts", str(path), "--team", "T2").exit_code == 0
    engine = make_engine(db_url)

    def accounts(team: str) -> int:
        with session_factory(engine)() as s:
            return s.scalar(select(func.count()).select_from(Account).where(Account.team_id == team)) or 0

    before = accounts("T1")
    refused = cli("workspace", "purge", "T1", "--yes")
    assert refused.exit_code != 0 and "was not removed from T1" in " ".join(refused.output.split())
    with session_factory(engine).begin() as s:
        holds.hold(s, team_id="T1", reason="The app was removed from this workspace (app_uninstalled).",
                   now=datetime.now(UTC))  # fmt: skip
    listing = cli("workspace", "list")
    assert "on hold since" in listing.output and "T2" in listing.output
    dry = cli("workspace", "purge", "T1")
    assert dry.exit_code == 0 and "Nothing was deleted" in dry.output and accounts("T1") == before > 0
    done = cli("workspace", "purge", "T1", "--yes")
    assert done.exit_code == 0, done.output
    assert accounts("T1") == 0 and accounts("T2") == before
    with session_factory(engine)() as s:
        assert s.get(Workspace, "T1") is None and s.get(Workspace, "T2") is not None
    engine.dispose()


def test_tokens_new_key_is_a_fernet_key(cli: Invoke) -> None:
    from cryptography.fernet import Fernet

    key = cli("tokens", "new-key").output.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"


def test_outbox_shows_what_waits_in_every_workspace_and_old_backlog_is_warned(
    cli: Invoke, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    from datetime import UTC, datetime, timedelta

    from jobs.outbox_watch import outbox_watch
    from storage.db import ensure_workspace, make_engine, session_factory
    from storage.queues.outbox import enqueue

    engine = make_engine(db_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with sessions.begin() as s:
        for team, age in (("T1", timedelta(minutes=5)), ("T9", timedelta(hours=3))):
            ensure_workspace(s, team)
            enqueue(s, team_id=team, recipient="U1", kind="tier_change", facts={}, period="p", now=now - age)
    shown = " ".join(cli("outbox", "--team", "T1").output.split())
    assert "Waiting to be sent, every workspace: T1 1 (oldest 5 min), T9 1 (oldest 3 h)" in shown
    caplog.set_level(logging.WARNING)
    assert outbox_watch(sessions)() == 1  # T9 only: older than an hour
    assert "outbox_backlog_old team=T9 waiting=1" in caplog.text and "team=T1" not in caplog.text
    engine.dispose()


def test_a_database_that_drops_mid_command_is_one_line_and_exit_1(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    from sqlalchemy.exc import OperationalError

    from accountbot.cli import main
    from jobs import runner

    def dropped(*args: object, **kwargs: object) -> list[str]:
        raise OperationalError(
            "SELECT secret_column FROM workspaces WHERE password='hunter2'", {}, ConnectionResetError()
        )

    monkeypatch.setattr(runner, "team_ids", dropped)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("SLACK_TEAM_ID", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main(["jobs", "run", "digest", "--queue-only"])
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    said = " ".join(err.split())
    assert "the database stopped answering (ConnectionResetError)" in said and "DATABASE_URL" in said
    assert "Traceback" not in err and "SELECT" not in err and "hunter2" not in err
    assert len(err.strip().splitlines()) <= 3  # one message (wrapped by the terminal width at most)


def test_outbox_counts_the_week_s_dead_letters_by_reason_with_the_fix(cli: Invoke, db_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from storage.db import ensure_workspace, make_engine, session_factory
    from storage.models import OutboxMessage
    from storage.queues.outbox import enqueue

    engine = make_engine(db_url)
    now = datetime.now(UTC)
    with session_factory(engine).begin() as s:
        ensure_workspace(s, "T1")
        for i in range(2):
            row = s.get(OutboxMessage, enqueue(s, team_id="T1", recipient="C0GONE", kind="news_alert", facts={},
                                               period=f"p{i}", now=now - timedelta(hours=1)))  # fmt: skip
            row.status, row.last_error, row.dead_at = "dead", "not_in_channel", now - timedelta(minutes=30)
    engine.dispose()
    shown = " ".join(cli("outbox", "--team", "T1").output.split())
    assert "Given up in the last 7 days: 2" in shown and "not_in_channel (2): invite the bot" in shown
