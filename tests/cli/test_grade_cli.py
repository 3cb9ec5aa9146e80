"""`accountbot grade NAME|--all [--json]`: JSON shape, name resolution, suggestions scoped to the workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accountbot.cli import app

ACCOUNTS = (
    "name,annual_revenue,wallet_share,profit_margin,strategic_value,pain_factor,aliases,stage,prospect_fit\n"
    "Acme Corp,5000000,30,28,high,,ACME;Shared,,\n"
    "Acme Logistics,100000,90,-4,,,Shared,,\n"
    "Globex,900000,80,12,,,,,\n"
    "Initech,400000,60,5,,high,,,\n"
    "Hooli,,,,,,,prospect,ideal\n"
)
KEYS = {"name", "tier", "grade", "score", "quadrant", "ratings", "flags", "reasons", "next_step", "treatment"}
RATINGS = {"revenue", "wallet_share", "profitability", "strategic_value", "pain_factor"}


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "SLACK_TEAM_ID": None, "COLUMNS": "250"}

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), env=env)

    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS, encoding="utf-8")
    assert invoke("import", "accounts", str(path), "--team", "T1").exit_code == 0
    return invoke


def test_grade_one_as_json(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("grade", "acme corp", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == KEYS and set(data["ratings"]) == RATINGS
    assert data["name"] == "Acme Corp" and data["tier"] == "key" and data["grade"] == "A"
    assert isinstance(data["score"], int) and data["quadrant"] in {"key", "maintenance", "growth", "service"}
    assert data["ratings"]["revenue"] == "high" and data["ratings"]["strategic_value"] == "high"
    assert (
        isinstance(data["flags"], list)
        and all(isinstance(r, str) for r in data["reasons"])
        and data["reasons"]
    )
    assert isinstance(data["treatment"], str) and data["treatment"]
    assert data["next_step"] is None or isinstance(data["next_step"], str)


def test_grade_by_alias_and_flags(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("grade", "acme", "--json").stdout)
    assert data["name"] == "Acme Corp"
    logistics = json.loads(cli("grade", "ACME LOGISTICS", "--json").stdout)
    assert "laggard" in logistics["flags"] and logistics["grade"] == "C"


def test_prospect_has_no_grade(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("grade", "Hooli", "--json").stdout)
    assert (data["tier"], data["grade"], data["score"]) == ("prospect", None, None)
    assert set(data["ratings"]) == RATINGS


def test_grade_all_json_is_a_list_in_portfolio_order(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("grade", "--all", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 5 and all(set(d) == KEYS for d in data)
    assert data[0]["name"] == "Acme Corp" and data[-1]["name"] == "Hooli"
    assert [d["tier"] for d in data] == ["key", "secondary", "secondary", "secondary", "prospect"]


def test_human_output_shows_card_and_table(cli) -> None:  # type: ignore[no-untyped-def]
    card = cli("grade", "Globex")
    assert card.exit_code == 0
    for needle in ("Globex", "grade", "Revenue", "Wallet share", "Why:", "Treatment:"):
        assert needle in card.stdout
    table = cli("grade", "--all")
    assert table.exit_code == 0 and "5 account(s)" in table.stdout and "Initech" in table.stdout


def test_miss_suggests_close_names_and_exits_1(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("grade", "Globx")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no account named 'Globx'; did you mean Globex?"
    nothing = cli("grade", "zzzzzz")
    assert (
        nothing.exit_code == 1
        and "no account named 'zzzzzz' (accountbot grade --all lists every account)." in nothing.stderr
    )


def test_shared_alias_is_ambiguous(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("grade", "shared")
    assert result.exit_code == 1
    assert (
        "'shared' matches several accounts (Acme Corp, Acme Logistics); use the full name." in result.stderr
    )


def test_name_xor_all(cli) -> None:  # type: ignore[no-untyped-def]
    for args in (("grade",), ("grade", "Globex", "--all")):
        result = cli(*args)
        assert result.exit_code == 1 and "give an account NAME or --all" in result.stderr


def test_other_workspace_names_are_never_suggested(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.csv"
    other.write_text("name\nGlobex International\nUmbrella\n", encoding="utf-8")
    assert cli("import", "accounts", str(other), "--team", "T2").exit_code == 0
    several = cli("grade", "Globex")
    assert several.exit_code == 1 and "several workspaces" in several.stderr
    miss = cli("grade", "Umbrela", "--team", "T1")
    assert miss.exit_code == 1 and "Umbrella" not in miss.stderr
    t2 = cli("grade", "Umbrela", "--team", "T2")
    assert t2.exit_code == 1 and "did you mean Umbrella?" in t2.stderr
    assert cli("grade", "Globex International", "--team", "T1").exit_code == 1


def test_large_portfolios_get_a_plain_listing(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from accountbot.cli import grading

    monkeypatch.setattr(grading, "TABLE_LIMIT", 3)
    result = cli("grade", "--all")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "5 account(s); plain listing (use --json for scripts)"
    assert lines[1].split() == ["Account", "Tier", "Grade", "Score", "Quadrant", "Flags"]
    assert lines[2].split()[:4] == ["Acme", "Corp", "key", "A"]
    assert lines[-1].split() == ["Hooli", "prospect", "-", "growth"]
    assert any(line.split()[:2] == ["Acme", "Logistics"] and line.endswith("laggard") for line in lines)
