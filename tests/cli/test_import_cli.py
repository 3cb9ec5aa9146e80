"""`accountbot import` / `export` through the real command (CliRunner), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from accountbot.cli import app
from storage.db import make_engine
from storage.models import Account, Contact

ACCOUNTS = (
    "Name,Owner,Annual Revenue,Wallet Share,Profit Margin,Strategic Value,Aliases\n"
    'Acme Corp,U0OWNER1,"$5,000,000",30%,28%,high,ACME\n'
    "Globex,U0OWNER2,900000,80%,12%,,\n"
    "Initech,U0OWNER1,400000,60%,-5%,,\n"
    "Umbrella,U0OWNER2,100000,90,4,,\n"
)


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "SLACK_TEAM_ID": None, "COLUMNS": "250"}

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), env=env)

    return invoke


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def count(db_url: str, model: type) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(model)).scalar_one()
    finally:
        engine.dispose()


def test_import_twice_then_export_and_reimport(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "accounts.csv", ACCOUNTS)
    first = cli("import", "accounts", path, "--team", "T1")
    assert first.exit_code == 0, first.output
    assert (
        first.stdout.strip()
        == f"accounts: 4 row(s) read from {path} - 4 created, 0 updated, 0 unchanged (workspace T1)."
    )
    again = cli("import", "accounts", path)  # the only workspace is the default
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 4 unchanged (workspace T1)" in again.stdout
    assert count(db_url, Account) == 4

    exported = cli("export", "accounts")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [r["name"] for r in rows] == ["Acme Corp", "Globex", "Initech", "Umbrella"]
    assert list(rows[0])[-4:] == ["tier", "grade", "score", "quadrant"]
    acme = rows[0]
    assert (acme["annual_revenue"], acme["wallet_share"], acme["aliases"], acme["owner"]) == (
        "5000000",
        "30",
        "ACME",
        "U0OWNER1",
    )
    assert (acme["tier"], acme["grade"], acme["quadrant"]) == ("key", "A", "growth")
    assert rows[2]["profit_margin"] == "-5" and rows[3]["tier"] == "secondary"

    out = tmp_path / "export.csv"
    to_file = cli("export", "accounts", "--output", str(out))
    assert to_file.exit_code == 0 and out.read_text(encoding="utf-8") == exported.stdout
    reimport = cli("import", "accounts", str(out))
    assert reimport.exit_code == 0, reimport.output
    assert "0 created, 0 updated, 4 unchanged" in reimport.stdout


def test_bad_rows_exit_2_with_exact_errors_and_write_nothing(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("import", "accounts", write(tmp_path, "a.csv", ACCOUNTS), "--team", "T1").exit_code == 0
    text = "name,stage,wallet_share\nNew One,client,10\nNew Two,customer,10\nGlobex,client,101%\n"
    path = write(tmp_path, "bad.csv", text)
    result = cli("import", "accounts", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {path}: 2 problem(s); nothing was imported.",
        "  line 3, column stage: 'customer' - expected client or prospect (empty means client)",
        "  line 4, column wallet_share: '101%' - expected a percentage from 0 to 100 such as 45 or 45%",
        "Fix these rows and import the file again.",
    ]
    assert count(db_url, Account) == 4


def test_unknown_account_in_contacts_exits_2_and_writes_nothing(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("import", "accounts", write(tmp_path, "a.csv", ACCOUNTS), "--team", "T1").exit_code == 0
    path = write(tmp_path, "c.csv", "account,name\nAcme,Ann\nAcme Corporation,Bob\n")
    result = cli("import", "contacts", path)
    assert result.exit_code == 2
    assert (
        "  line 3, column account: 'Acme Corporation' - expected the name of an existing account (import accounts first)"
        in result.stderr.splitlines()
    )
    assert count(db_url, Contact) == 0


def test_more_than_twenty_errors_are_summarised(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = "name,annual_revenue\n" + "".join(f"A{i},lots\n" for i in range(25))
    result = cli("import", "accounts", write(tmp_path, "a.csv", text), "--team", "T1")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].endswith("25 problem(s); nothing was imported.")
    assert sum(1 for line in lines if line.startswith("  line ")) == 20
    assert "  ... and 5 more" in lines


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"", "the file is empty; an accounts file starts with a header line such as: name,owner,"),
        (b"name;owner\nAcme;U1\n", "line 1: the header seems to be separated by semicolons"),
        (b"name,industry\nCaf\xe9,Food\n", "line 2: byte 0xe9 is not UTF-8 text."),
        (
            b"name,revenue\nAcme,1\n",
            "line 1: unknown column(s): 'revenue' (did you mean annual_revenue?). An accounts file accepts these columns: name, owner, stage",
        ),
    ],
)
def test_bad_files_exit_2_with_a_clear_message(cli, tmp_path: Path, content: bytes, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "f.csv", content)
    result = cli("import", "accounts", path, "--team", "T1")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: {expected}")
    assert "Traceback" not in result.output


def test_missing_file_and_missing_team(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = str(tmp_path / "nope.csv")
    result = cli("import", "accounts", missing, "--team", "T1")
    assert result.exit_code == 2 and result.stderr.strip() == f"error: {missing}: no such file."
    no_team = cli("import", "accounts", write(tmp_path, "a.csv", ACCOUNTS))
    assert no_team.exit_code == 1
    assert "no workspace yet: pass --team" in no_team.stderr
    unknown_kind = cli("import", "deals", missing)
    assert unknown_kind.exit_code == 2 and "deals" in unknown_kind.output


def test_all_four_sample_files_import_with_utf8_bom_and_crlf(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sample = Path(__file__).resolve().parents[2] / "accountbot" / "sample_data"
    for kind in ("accounts", "contacts", "interactions", "revenue"):
        text = (sample / f"{kind}.csv").read_text(encoding="utf-8").replace("\n", "\r\n")
        path = write(tmp_path, f"{kind}.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
        result = cli("import", kind, path, "--team", "TDEMO")
        assert result.exit_code == 0, result.output
        assert " 0 updated, 0 unchanged" in result.stdout
    assert count(db_url, Account) == 60


def test_export_defuses_spreadsheet_formulas_and_round_trips(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(
        tmp_path, "a.csv", 'name,industry\n"=HYPERLINK(""http://evil.example"",""x"")",@Retail\nPlain,Food\n'
    )
    assert cli("import", "accounts", path, "--team", "T1").exit_code == 0
    exported = cli("export", "accounts")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert rows[0]["name"] == '\'=HYPERLINK("http://evil.example","x")' and rows[0]["industry"] == "'@Retail"
    assert rows[1]["name"] == "Plain" and rows[1]["industry"] == "Food"
    again = write(tmp_path, "export.csv", exported.stdout)
    result = cli("import", "accounts", again)
    assert result.exit_code == 0 and "0 created, 0 updated, 2 unchanged" in result.stdout


def test_progress_bar_only_on_a_terminal(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    from accountbot.cli import importing as cli_importing
    from storage.db import session_factory

    path = tmp_path / "a.csv"
    path.write_text(ACCOUNTS, encoding="utf-8")
    engine = make_engine(db_url)
    try:
        for terminal in (True, False):
            screen = io.StringIO()
            monkeypatch.setattr(
                cli_importing, "console", Console(file=screen, force_terminal=terminal, width=100)
            )
            with session_factory(engine).begin() as session:
                result = cli_importing.run_import(session, f"T{terminal}", "accounts", path)
            assert result.created == 4
            assert ("writing" in screen.getvalue()) is terminal
    finally:
        engine.dispose()


def test_a_malformed_team_id_is_refused_before_anything_is_written(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "a.csv", ACCOUNTS)
    for bad in ("T" * 33, "T1; DROP"):
        result = cli("import", "accounts", path, "--team", bad)
        assert result.exit_code == 1
        assert (
            f"{bad!r} is not a Slack team id: use 1 to 32 letters or digits, such as T0123ABCD."
            in " ".join(result.stderr.split())
        )
    assert count(db_url, Account) == 0


def test_a_locked_database_gives_a_clear_message(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the SQLite write lock: the import reports it instead of a traceback."""
    import sqlite3

    monkeypatch.chdir(tmp_path)
    db_path = sqlite_url.removeprefix("sqlite:///")
    locker = sqlite3.connect(db_path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    monkeypatch.setattr("storage.db.create_engine", _short_timeout_create_engine)
    try:
        result = CliRunner().invoke(
            app, ["import", "accounts", write(tmp_path, "a.csv", ACCOUNTS), "--team", "T1"],
            env={"DATABASE_URL": sqlite_url, "SLACK_TEAM_ID": None, "COLUMNS": "250"},
        )  # fmt: skip
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert result.exit_code == 1, result.output
    assert (
        "error: the database refused the import (database is locked); nothing was imported. Try again."
        in result.stderr
    )
    assert "Traceback" not in result.output


def _short_timeout_create_engine(url, **kwargs):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    kwargs.setdefault("connect_args", {})["timeout"] = 0.2
    return create_engine(url, **kwargs)


def test_the_kind_word_wins_over_a_folder_of_that_name(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`accountbot import accounts FILE` run where a folder `accounts/` exists (the repository root has one)
    is still the old form, not a batch of the folder and the file."""
    (tmp_path / "accounts").mkdir()
    result = cli("import", "accounts", write(tmp_path, "a.csv", ACCOUNTS), "--team", "T1")
    assert result.exit_code == 0, result.output
    assert "accounts: 4 row(s) read from" in result.stdout
