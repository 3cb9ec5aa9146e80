"""`accountbot report nudges` (tables, --json, --since, --within, --chart) and `accountbot escalation` through the
real commands (CliRunner), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from accountbot.cli import app
from storage.db import make_engine, session_factory
from storage.escalation import escalation_choice, managers
from storage.models import NudgeSent
from tests.jobs.conftest import Builder

NOW = datetime.now(UTC).replace(microsecond=0)  # the commands read the real clock
DAY = timedelta(days=1)


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "SLACK_TEAM_ID": None, "COLUMNS": "250"}

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), env=env)

    return invoke


@pytest.fixture
def db(db_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


def seed(s: Session) -> None:
    """T1: U1 nudged about Acme (touched a day later) and Beta (never since), U2 about Cora (touched 9 days later,
    too late) and Dune (2 days ago: still open); T2 has its own nudge that must not show."""
    b = Builder(s)
    b.user("U1").real_name = "Pat Lee"
    acme, beta, cora, dune = (b.account(n, owner=o) for n, o in (("Acme", "U1"), ("Beta", "U1"), ("Cora", "U2"),
                                                                    ("Dune", "U2")))  # fmt: skip
    plan = [
        (acme, "stale", 20, "U1"),
        (beta, "checkup_due", 18, "U1"),
        (cora, "stale", 15, "U2"),
        (dune, "stale", 2, "U2"),
    ]
    for i, (acc, reason, days_ago, to) in enumerate(plan):
        s.add(NudgeSent(team_id="T1", outbox_id=i + 1, account_id=acc.id, recipient=to, kind="digest", reason=reason,
                        sent_at=NOW - days_ago * DAY))  # fmt: skip
    b.touch(acme, NOW - 19 * DAY)
    b.touch(cora, NOW - 6 * DAY)
    other = Builder(s, team="T2")
    theirs = other.account("Acme", owner="U7")
    s.add(NudgeSent(team_id="T2", outbox_id=99, account_id=theirs.id, recipient="U7", kind="digest", reason="stale",
                    sent_at=NOW - 3 * DAY))  # fmt: skip
    s.flush()


def test_report_nudges_json(cli, db) -> None:  # type: ignore[no-untyped-def]
    with db.begin() as s:
        seed(s)
    result = cli("report", "nudges", "--team", "T1", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["team"] == "T1" and data["within_days"] == 7 and data["escalations"] == 0
    total = data["total"]
    assert (total["sent"], total["followed"], total["ignored"], total["pending"]) == (4, 1, 2, 1)
    assert total["share_followed"] == 0.3333 and total["median_days_to_touch"] == 1.0
    assert [i["account"] for i in total["ignored_longest"]] == ["Beta", "Dune"]  # Cora had a (late) touch
    owners = {o["key"]: o for o in data["owners"]}
    assert set(owners) == {"U1", "U2"} and owners["U1"]["share_followed"] == 0.5
    assert owners["U2"]["share_followed"] == 0.0 and owners["U2"]["pending"] == 1
    assert data["names"] == {"U1": "Pat Lee"}
    reasons = {o["key"]: o["sent"] for o in data["reasons"]}
    assert reasons == {"stale": 3, "checkup_due": 1}
    assert sum(w["sent"] for w in data["weeks"]) == 4
    # a longer window: Cora's touch 9 days after its nudge now counts
    wide = json.loads(cli("report", "nudges", "--team", "T1", "--json", "--within", "10").stdout)
    assert wide["total"]["followed"] == 2
    # --since leaves the older nudges out
    since = (NOW - 16 * DAY).date().isoformat()
    recent = json.loads(cli("report", "nudges", "--team", "T1", "--json", "--since", since).stdout)
    assert recent["total"]["sent"] == 2
    # the other workspace's
    t2 = json.loads(cli("report", "nudges", "--team", "T2", "--json").stdout)
    assert t2["total"]["sent"] == 1 and t2["owners"][0]["key"] == "U7"


def test_report_nudges_tables_and_chart(cli, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.begin() as s:
        seed(s)
    chart = tmp_path / "rate.png"
    result = cli("report", "nudges", "--team", "T1", "--chart", str(chart))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "4 sent, 33% followed by a touch within 7 days (1 of 3 decided; 1 still within the window)" in out
    assert (
        "Pat Lee (U1)" in out
        and "checkup_due" in out
        and "Ignored longest" in out
        and "Response rate per week" in out
    )
    assert f"chart written to {chart}" in " ".join(out.split())
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_nudges_refuses_bad_input_and_says_when_there_is_nothing(cli, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.begin() as s:
        Builder(s)
    assert cli("report", "nudges", "--since", "yesterday").exit_code == 1
    future = (NOW + 3 * DAY).date().isoformat()
    assert "in the future" in cli("report", "nudges", "--since", future).output
    assert cli("report", "nudges", "--chart", str(tmp_path / "x.jpg")).exit_code == 1
    empty = cli("report", "nudges")
    assert empty.exit_code == 0 and "0 sent" in empty.output and "No nudge was delivered" in empty.output


def test_escalation_settings(cli, db) -> None:  # type: ignore[no-untyped-def]
    with db.begin() as s:
        Builder(s).account("Acme", owner="U0OWNER01")
    shown = json.loads(cli("escalation", "--json").stdout)
    assert shown["enabled"] is False and shown["channel"] is None  # off by default
    assert shown["owners_without_a_manager"] == ["U0OWNER01"]
    assert cli("escalation", "enable", "--channel", "C0ESCAL01").exit_code == 0
    assert cli("escalation", "manager", "U0OWNER01", "U0BOSS01").exit_code == 0
    assert cli("escalation", "manager", "U0OWNER01", "U0OWNER01").exit_code == 1
    assert cli("escalation", "manager", "nobody", "U0BOSS01").exit_code == 1
    assert cli("escalation", "channel", "#sales").exit_code == 1
    shown = json.loads(cli("escalation", "--json").stdout)
    assert shown["enabled"] is True and shown["channel"] == "C0ESCAL01"
    assert shown["owners_reaching_a_manager"] == {"U0OWNER01": "U0BOSS01"}
    assert "Escalation in T1: on; channel: C0ESCAL01" in cli("escalation").output
    assert cli("escalation", "channel", "none").exit_code == 0
    assert cli("escalation", "disable").exit_code == 0
    assert cli("escalation", "manager", "U0OWNER01", "none").exit_code == 0
    with db() as s:
        assert escalation_choice(s, "T1").enabled is False and escalation_choice(s, "T1").channel is None
        assert managers(s, "T1") == {}
