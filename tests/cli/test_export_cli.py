"""`accountbot export accounts|contacts|interactions|revenue` through the real command (CliRunner), on SQLite
and PostgreSQL: the import format with source columns, streamed, scoped to a workspace, and re-importable
without a change."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from accountbot.cli import app
from accounts.thresholds import DEFAULT_THRESHOLDS
from storage.db import ensure_schema, make_engine, session_factory
from storage.importing.files import import_file
from storage.reads import exports
from storage.reads.accounts import name_key
from storage.reads.exports import moment, safe
from tests.conftest import NOW

SAMPLE = Path(__file__).resolve().parents[2] / "accountbot" / "sample_data"
KINDS = ("accounts", "contacts", "interactions", "revenue")

# Awkward values: formula-like text, an email starting with '-', an alias list, fractional and negative
# numbers, a moment with an offset and microseconds, a note with a bare carriage return, commas and quotes.
ACCOUNTS = (
    "name,owner,stage,annual_revenue,wallet_share,profit_margin,strategic_value,industry,aliases,domain\n"
    '"=Evil, Inc.",-boss@acme.example,client,1234567.891,33.333333,-4.25,high,@Retail,E1;E2,evil.example\n'
    'Plain,U0OWNER1,prospect,,,,,"Food ""and"" drink",,\n'
)
CONTACTS = (
    "account,name,title,email,role,active\n"
    '"=Evil, Inc.",Ann Lee,+Chief,ann@evil.example,decision_maker,yes\n'
    '"=Evil, Inc.",Bob,,,influencer,no\n'
    "Plain,Cy,,,,\n"
)
INTERACTIONS = (
    "account,date,kind,contact,colleague,note\n"
    '"=Evil, Inc.",2026-03-01T15:30:05.123456+01:00,meeting,Ann Lee,U0OWNER1,"=1+1, ""quoted""\rline two"\n'
    '"=Evil, Inc.",2026-03-02,call,bob,-boss@acme.example,\n'
    "Plain,2026-03-03T08:00:00Z,email,,,\n"
)
REVENUE = (
    "account,month,amount\n"
    '"=Evil, Inc.",2026-01,1000.125\n"=Evil, Inc.",2026-02,"$2,000"\nPlain,2026-01,0.1\n'
)


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "SLACK_TEAM_ID": None, "COLUMNS": "250"}

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), env=env)

    return invoke


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return str(path)


def load(cli, tmp_path: Path, team: str, files: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for kind in KINDS:
        result = cli("import", kind, write(tmp_path, f"{team}-{kind}.csv", files[kind]), "--team", team)
        assert result.exit_code == 0, result.output


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_round_trip(cli, tmp_path: Path, team: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Export each kind, re-import it (nothing changes), export again (byte-identical); the first exports."""
    first: dict[str, str] = {}
    for kind in KINDS:
        out = tmp_path / f"{team}-export-{kind}.csv"
        exported = cli("export", kind, "--team", team, "--output", str(out))
        assert exported.exit_code == 0, exported.output
        first[kind] = out.read_bytes().decode("utf-8")
    for kind in KINDS:
        again = cli("import", kind, str(tmp_path / f"{team}-export-{kind}.csv"), "--team", team)
        assert again.exit_code == 0, again.output
        assert "0 created, 0 updated" in again.stdout, (kind, again.stdout)
    for kind in KINDS:
        second = cli("export", kind, "--team", team)
        assert second.exit_code == 0, second.output
        assert second.stdout == first[kind], kind
    return first


def test_the_sample_workspace_round_trips_for_all_four_kinds(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load(cli, tmp_path, "TDEMO", {k: (SAMPLE / f"{k}.csv").read_text(encoding="utf-8") for k in KINDS})
    first = assert_round_trip(cli, tmp_path, "TDEMO")
    assert len(rows(first["accounts"])) == 60
    assert all(len(rows(first[k])) > 0 for k in KINDS)


def test_awkward_values_round_trip(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load(
        cli,
        tmp_path,
        "T1",
        {"accounts": ACCOUNTS, "contacts": CONTACTS, "interactions": INTERACTIONS, "revenue": REVENUE},
    )
    first = assert_round_trip(cli, tmp_path, "T1")
    evil, plain = rows(first["accounts"])
    assert (evil["name"], evil["owner"], evil["industry"], evil["aliases"]) == (
        "'=Evil, Inc.",
        "'-boss@acme.example",
        "'@Retail",
        "E1;E2",
    )
    assert (evil["annual_revenue"], evil["wallet_share"], evil["profit_margin"]) == (
        "1234567.891",
        "33.333333",
        "-4.25",
    )
    assert (evil["source"], evil["source_id"]) == ("", "")
    assert plain["stage"] == "prospect" and plain["industry"] == 'Food "and" drink'
    touches = rows(first["interactions"])
    assert [(t["date"], t["contact"], t["colleague"]) for t in touches] == [
        ("2026-03-01T14:30:05.123456+00:00", "Ann Lee", "U0OWNER1"),
        ("2026-03-02T00:00:00+00:00", "Bob", "'-boss@acme.example"),
        ("2026-03-03T08:00:00+00:00", "", ""),
    ]
    assert touches[0]["note"] == '\'=1+1, "quoted"\rline two'
    assert [(r["account"], r["month"], r["amount"]) for r in rows(first["revenue"])] == [
        ("'=Evil, Inc.", "2026-01", "1000.125"),
        ("'=Evil, Inc.", "2026-02", "2000"),
        ("Plain", "2026-01", "0.1"),
    ]
    ann, bob, cy = rows(first["contacts"])
    assert (ann["title"], ann["role"], ann["active"], bob["active"], cy["role"]) == (
        "'+Chief",
        "decision_maker",
        "yes",
        "no",
        "user",
    )


def test_every_export_has_the_import_columns_and_the_source_columns(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load(
        cli,
        tmp_path,
        "T1",
        {"accounts": ACCOUNTS, "contacts": CONTACTS, "interactions": INTERACTIONS, "revenue": REVENUE},
    )
    headers = {k: cli("export", k).stdout.splitlines()[0] for k in KINDS}
    assert headers == {
        "accounts": "name,owner,stage,annual_revenue,wallet_share,profit_margin,profitability,strategic_value,"
        "pain_factor,engagement,potential,industry,aliases,domain,news_feed,prospect_fit,source,source_id,"
        "tier,grade,score,quadrant",
        "contacts": "account,name,title,email,role,active,source,source_id,account_source_id",
        "interactions": "account,date,kind,contact,colleague,note,source,source_id,account_source_id,"
        "contact_source_id",
        "revenue": "account,month,amount,source,source_id",
    }


def test_an_export_holds_only_its_workspace(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = {
        "accounts": "name\nOther Co\n",
        "contacts": "account,name\nOther Co,Olga\n",
        "interactions": "account,date,kind,contact\nOther Co,2026-01-05,call,Olga\n",
        "revenue": "account,month,amount\nOther Co,2026-01,5\n",
    }
    load(
        cli,
        tmp_path,
        "T1",
        {"accounts": ACCOUNTS, "contacts": CONTACTS, "interactions": INTERACTIONS, "revenue": REVENUE},
    )
    load(cli, tmp_path, "T2", other)
    for kind in KINDS:
        exported = cli("export", kind, "--team", "T2")
        assert exported.exit_code == 0, exported.output
        body = exported.stdout.splitlines()[1:]
        assert len(body) == 1 and body[0].startswith("Other Co,"), (kind, body)
    assert_round_trip(cli, tmp_path, "T2")


def test_streaming_in_small_chunks_gives_the_same_export(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    load(cli, tmp_path, "TDEMO", {k: (SAMPLE / f"{k}.csv").read_text(encoding="utf-8") for k in KINDS})
    whole = {k: cli("export", k).stdout for k in KINDS}
    monkeypatch.setattr(exports, "CHUNK", 3)  # partitions end inside a touch's group of rows, and often
    assert {k: cli("export", k).stdout for k in KINDS} == whole


def test_output_file_and_its_errors(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load(
        cli,
        tmp_path,
        "T1",
        {"accounts": ACCOUNTS, "contacts": CONTACTS, "interactions": INTERACTIONS, "revenue": REVENUE},
    )
    out = tmp_path / "touches.csv"
    result = cli("export", "interactions", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr.strip() == f"3 interaction(s) written to {out}"
    assert out.read_bytes().decode("utf-8") == cli("export", "interactions").stdout
    missing = tmp_path / "no-such-dir" / "x.csv"
    bad = cli("export", "revenue", "--output", str(missing))
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert f"cannot write {missing} (No such file or directory)." in bad.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    unknown = cli("export", "deals")
    assert unknown.exit_code == 2 and "deals" in unknown.output


def test_no_workspace_yet_is_a_clear_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("export", "contacts")
    assert result.exit_code == 1 and "no workspace yet" in result.stderr and "Traceback" not in result.output


# ------------------------------------------------------------------------------- property: any export


def _cell_text(limit: int) -> st.SearchStrategy[str]:
    """Text as an import keeps it: no surrounding whitespace (cells are stripped), no NUL or surrogates."""
    chars = st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\r\t")
    return st.text(chars, min_size=1, max_size=limit).filter(lambda s: s == s.strip() and bool(name_key(s)))


names = _cell_text(40)
amounts = st.floats(min_value=0, max_value=1e13, allow_nan=False, allow_infinity=False)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    accounts=st.lists(
        st.tuples(
            names,
            st.one_of(st.none(), _cell_text(30)),
            st.one_of(st.none(), amounts),
            st.one_of(st.none(), st.floats(min_value=-1000, max_value=100, allow_nan=False)),
        ),
        min_size=1,
        max_size=6,
        unique_by=lambda a: name_key(a[0]),
    ),
    touches=st.lists(st.tuples(moments, st.one_of(st.none(), _cell_text(60))), max_size=6),
    revenue=st.lists(st.tuples(st.integers(1, 12), amounts), max_size=6, unique_by=lambda r: r[0]),
)
def test_any_export_reimported_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    accounts: list[tuple[str, str | None, float | None, float | None]],
    touches: list[tuple[datetime, str | None]],
    revenue: list[tuple[int, float]],
) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('prop') / 'p.db'}"
    engine = make_engine(url)
    ensure_schema(engine)
    sessions = session_factory(engine)
    first = accounts[0][0]
    files = {
        "accounts": _csv(
            ["name", "industry", "annual_revenue", "profit_margin"],
            [[safe(n), safe(i), _exact(r), _exact(m)] for n, i, r, m in accounts],
        ),
        "contacts": _csv(["account", "name"], [[safe(first), "Pat"]]),
        "interactions": _csv(
            ["account", "date", "kind", "contact", "note"],
            [[safe(first), moment(when), "call", "Pat", safe(note)] for when, note in touches],
        ),
        "revenue": _csv(
            ["account", "month", "amount"], [[safe(first), f"2026-{m:02d}", _exact(a)] for m, a in revenue]
        ),
    }
    try:
        for kind in KINDS:
            with sessions.begin() as session:
                import_file(session, "T1", kind, files[kind].encode(), NOW, DEFAULT_THRESHOLDS)
        exported = {}
        for kind in KINDS:
            with sessions.begin() as session:
                out = io.StringIO(newline="")
                exports.write_csv(
                    out, kind, exports.export_rows(session, "T1", kind, NOW, DEFAULT_THRESHOLDS)
                )
                exported[kind] = out.getvalue()
        for kind in KINDS:
            with sessions.begin() as session:
                result = import_file(session, "T1", kind, exported[kind].encode(), NOW, DEFAULT_THRESHOLDS)
                assert (result.created, result.updated) == (0, 0), (kind, exported[kind])
        for kind in KINDS:
            with sessions.begin() as session:
                out = io.StringIO(newline="")
                exports.write_csv(
                    out, kind, exports.export_rows(session, "T1", kind, NOW, DEFAULT_THRESHOLDS)
                )
                assert out.getvalue() == exported[kind]
    finally:
        engine.dispose()


def _exact(value: float | None) -> str:
    """A float written in full (no exponent), independently of the exporter's own formatting."""
    return "" if value is None else f"{Decimal(value):f}"


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    exports.write_table(out, header, rows)
    return out.getvalue()
