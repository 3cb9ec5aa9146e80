"""`accountbot crm connect|sync` against the loopback fake HubSpot (real clock, real HTTP), on SQLite and
PostgreSQL: what connect counts, what sync prints, a daily limit's one-line stop with exit status 1, and kill -9."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from accountbot.cli import app
from storage.db import make_engine, session_factory
from storage.models import Account, Contact, SyncState
from tests.crm.test_sync import fill, view
from tests.fakes.hubspot_api import TOKEN, FakeHubSpot


@pytest.fixture
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as hs:
        yield hs


@pytest.fixture
def cli(
    db_url: str, fake: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "SLACK_TEAM_ID": None, "COLUMNS": "250", "HUBSPOT_TOKEN": TOKEN,
           "HUBSPOT_BASE_URL": fake.base_url}  # fmt: skip

    def invoke(*args: str, **extra: str | None) -> Any:
        return runner.invoke(app, list(args), env={**env, **extra})

    return invoke


def table(output: str) -> dict[str, list[str]]:
    """A rich table's rows by their first cell: the cells between the box lines, each stripped."""
    out = {}
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[\u2502\u2503|]", line) if c.strip()]
        if len(cells) > 1:
            out[cells[0]] = cells
    return out


def count(db_url: str, model: type) -> int:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        n = session.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return int(n or 0)


def test_connect_counts_what_it_can_read(cli: Callable[..., Any], fake: FakeHubSpot) -> None:
    fill(fake, companies=12)
    result = cli("crm", "connect", "hubspot")
    assert result.exit_code == 0, result.output
    lines = table(result.output)
    assert lines["companies"][1:] == ["yes", "12"]
    assert lines["contacts"][1:] == ["yes", "25"]  # 2 a company and one without a company
    assert lines["owners"][1:] == ["yes", "2"]  # the archived owner is not counted
    assert "Can write: nothing yet" in result.output


def test_connect_names_a_refused_scope(cli: Callable[..., Any], fake: FakeHubSpot) -> None:
    fake.fail_next(
        "search:deals", status=403,
        body={"status": "error", "message": "This app hasn't been granted all required scopes",
              "category": "MISSING_SCOPES", "context": {"requiredGranularScopes": ["crm.objects.deals.read"]}},
    )  # fmt: skip
    result = cli("crm", "connect", "hubspot")
    assert result.exit_code == 1
    assert "crm.objects.deals.read" in result.output and "deals" in result.output


def test_sync_prints_each_object_and_a_second_sync_changes_nothing(
    cli: Callable[..., Any], fake: FakeHubSpot, db_url: str
) -> None:
    fill(fake, companies=30)
    first = cli("crm", "sync", "--team", "T1")
    assert first.exit_code == 0, first.output
    rows = table(first.output)
    assert rows["companies"][1:6] == ["30", "29", "0", "0", "1 (stage 1)"]
    assert count(db_url, Account) == 29 and count(db_url, Contact) == 58
    second = cli("crm", "sync", "--team", "T1")
    assert second.exit_code == 0, second.output
    rows = table(second.output)
    assert rows["companies"][1:6] == ["0", "0", "0", "0", "0"]
    full = cli("crm", "sync", "--team", "T1", "--full")
    rows = table(full.output)
    assert full.exit_code == 0 and rows["companies"][1:5] == ["30", "0", "0", "29"]


def test_a_daily_limit_stops_with_one_line_and_exit_1(
    cli: Callable[..., Any], fake: FakeHubSpot, db_url: str
) -> None:
    fill(fake, companies=5)
    fake.fail_next("list:contacts", status=429, policy="DAILY")
    result = cli("crm", "sync", "--team", "T1", COLUMNS="2000")  # wide enough for the line not to wrap
    assert result.exit_code == 1
    message = [line for line in result.output.splitlines() if "error:" in line]
    assert len(message) == 1 and "stopped at contacts (rate limit)" in message[0]
    assert "daily" in message[0].lower() and "watermark is kept" in message[0]
    assert "Traceback" not in result.output
    assert count(db_url, Account) == 4  # the companies written before the stop stay (the 5th is a partner)
    assert count(db_url, SyncState) >= 2


def test_sync_without_a_crm_says_what_to_set(cli: Callable[..., Any]) -> None:
    result = cli("crm", "sync", "--team", "T1", HUBSPOT_TOKEN=None)
    assert result.exit_code == 1 and "HUBSPOT_TOKEN" in result.output


def test_a_sync_process_killed_half_way_and_run_again_ends_as_an_uninterrupted_one(
    cli: Callable[..., Any], fake: FakeHubSpot, db_url: str
) -> None:
    """kill -9 of a real `accountbot crm sync` while it waits for HubSpot inside the contacts pass (both pages of
    contacts written, the archived list pending), then the command again."""
    fill(fake, companies=30, contacts_each=5, calls_each=5)
    assert cli("crm", "sync", "--team", "TOTHER").exit_code == 0  # the uninterrupted sync
    fake.slow_next("list-archived:contacts", seconds=20)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "DATABASE_URL": db_url, "HUBSPOT_TOKEN": TOKEN,
           "HUBSPOT_BASE_URL": fake.base_url}  # fmt: skip
    env.pop("SLACK_TEAM_ID", None)
    before = fake.counts["list-archived:contacts"]
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from accountbot.cli import main; main(sys.argv[1:])", "crm", "sync",
         "--team", "TKILLED"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while fake.counts["list-archived:contacts"] == before and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert fake.counts["list-archived:contacts"] > before
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    with sessions() as session:
        contacts = session.scalars(
            select(SyncState).where(SyncState.team_id == "TKILLED", SyncState.object == "contacts")
        ).one()
        assert contacts.resume is not None  # killed inside the pass, after its last list page
        assert (
            session.scalar(select(func.count()).select_from(Contact).where(Contact.team_id == "TKILLED"))
            == 145
        )
    again = cli("crm", "sync", "--team", "TKILLED")
    assert again.exit_code == 0, again.output
    rows = table(again.output)
    assert rows["contacts"][1:3] == ["0", "0"]  # the contacts pass went on from the archived list
    with sessions() as session:
        killed, other = view(session, "TKILLED"), view(session, "TOTHER")
    engine.dispose()
    for rows_ in (*killed.values(), *other.values()):  # the runs were at different real times
        for row in rows_.values():
            row.pop("created_at", None)
            row.pop("updated_at", None)
    assert killed == other
