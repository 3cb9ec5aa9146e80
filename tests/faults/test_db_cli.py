"""Scenario 3, database blips, in the CLI: `accountbot jobs run digest` and `accountbot outbox`, run as the real
entry point in a subprocess with DATABASE_URL through the fault proxy (tests.faults.db_proxy).

Whether the database is gone before the command starts, drops while its schema is checked or drops in the middle
of the job, the command prints one line that names the database (no traceback, no SQL, no password) and exits 1.
What the job had started is all or nothing: no outbox row without its ledger entry, and after a blip the job run
again queues each digest once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.models import JobRun, OutboxMessage
from tests.faults.db_proxy import DbProxy
from tests.jobs.conftest import Builder

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
AT = "2026-11-24T09:00:00Z"  # U1's digest is due (09:00 UTC)
PASSWORD = "db-pw-never-shown"
# Queue only: what is checked here is the database side (`jobs run` delivers through the relay unless told not to,
# and the relay with the database cut is tests/faults/test_db_relay.py). Older CLIs only queued, without the option.
DIGEST = ["jobs", "run", "digest", "--at", AT, "--queue-only"]  # no Slack here: queue, leave delivery
OUTBOX = ["outbox"]


@pytest.fixture
def url(proxied_url: str, pg_sessions: sessionmaker[Session]) -> str:
    """The proxied URL, with a password in it when it has none (the server trusts loopback and ignores it) so
    that the output can be checked for it; one workspace whose owner U1 has a digest due at AT."""
    with pg_sessions.begin() as s:
        b = Builder(s)
        b.user("U1", tz="UTC")
        b.account("Local", owner="U1", revenue=4e6, profitability="high")
        b.filler(9)
    parsed = make_url(proxied_url)
    return (
        parsed.render_as_string(hide_password=False)
        if parsed.password
        else parsed.set(password=PASSWORD).render_as_string(hide_password=False)
    )


def accountbot(url: str, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The installed `accountbot` entry point (pyproject's [project.scripts]) with DATABASE_URL=url, run from an
    empty directory (no .env), wide enough that rich does not wrap a line."""
    script = Path(sys.executable).with_name("accountbot")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from accountbot.cli import main; main()"]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(DATABASE_URL=url, COLUMNS="1000", PYTHONPATH=str(ROOT))
    return subprocess.run(
        command + args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def assert_one_line_naming_the_database(done: subprocess.CompletedProcess[str]) -> str:
    err = done.stderr
    lines = [line for line in err.splitlines() if line.strip()]
    assert done.returncode == 1, (done.returncode, done.stdout, err)
    assert len(lines) == 1, err  # one line, not the driver's multi-line message
    assert lines[0].startswith("error: ") and "database" in lines[0] and "DATABASE_URL" in lines[0]
    assert "Traceback" not in err and "SQL" not in err and "SELECT" not in err and "INSERT" not in err, err
    assert PASSWORD not in err and "sqlalche.me" not in err, err
    assert done.stdout.strip() == "", done.stdout
    return lines[0]


def outbox_rows(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with sessions() as s:
        return [(m.recipient, m.kind, m.status) for m in s.scalars(select(OutboxMessage))]


def ledger(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with sessions() as s:
        return [(r.job, r.period, r.status) for r in s.scalars(select(JobRun))]


@pytest.mark.parametrize(
    ("args", "said"),
    [(DIGEST, "cannot open the database"), (["db", "current"], "cannot read the database")],
    ids=["digest", "db-current"],  # `outbox` opens the database as `jobs run` does (cli.common.open_runtime)
)  # fmt: skip
def test_a_database_gone_before_the_command_is_one_line_and_exit_1(
    url: str,
    db_proxy: DbProxy,
    pg_sessions: sessionmaker[Session],
    tmp_path: Path,
    args: list[str],
    said: str,
) -> None:
    db_proxy.cut(refuse=True)
    line = assert_one_line_naming_the_database(accountbot(url, args, tmp_path))
    assert said in line and "server closed the connection" in line and db_proxy.refused >= 1
    assert outbox_rows(pg_sessions) == [] and ledger(pg_sessions) == []


@pytest.mark.parametrize(
    ("args", "cut_at"),
    [
        (OUTBOX, b"alembic_version"),  # while the schema is checked
        (DIGEST, b"INSERT INTO outbox"),  # mid-job: its period claimed, its messages not written yet
    ],
    ids=["outbox-schema-check", "digest-write"],
)
def test_a_database_that_drops_mid_command_is_one_line_and_exit_1(
    url: str,
    db_proxy: DbProxy,
    pg_sessions: sessionmaker[Session],
    tmp_path: Path,
    args: list[str],
    cut_at: bytes,
) -> None:
    db_proxy.cut_when(cut_at, refuse=True)
    assert_one_line_naming_the_database(accountbot(url, args, tmp_path))
    assert db_proxy.cuts == 1 and db_proxy.seen(cut_at) == 0  # cut there, and the statement never got through
    assert outbox_rows(pg_sessions) == []  # no message without its ledger entry marked done
    assert all(status != "done" for _job, _period, status in ledger(pg_sessions))


def test_after_a_blip_mid_job_the_job_run_again_queues_each_digest_once(
    url: str, db_proxy: DbProxy, pg_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    db_proxy.cut_when(b"INSERT INTO outbox")  # once: the database is back at once
    assert_one_line_naming_the_database(accountbot(url, DIGEST, tmp_path))
    assert outbox_rows(pg_sessions) == []
    # the failure is recorded, so the next run takes the period again
    assert ledger(pg_sessions) == [("digest", "U1:2026-11-24", "failed")]

    again = accountbot(url, DIGEST, tmp_path)
    assert again.returncode == 0 and again.stderr.strip() == "", again.stderr
    assert "1 message(s) queued" in " ".join(again.stdout.split())
    assert outbox_rows(pg_sessions) == [("U1", "digest", "pending")]
    assert ledger(pg_sessions) == [("digest", "U1:2026-11-24", "done")]
