"""The contract of issue 12, black box: `accountbot import FILE [FILE...]` on the CRM fixture exports
(tests/fixtures/crm, see its README), through the real command (CliRunner), on SQLite and PostgreSQL.

What each fixture set must give is in tests/fixtures/crm/expected.json, reasoned from the issue's rules; these
tests hold the command to it and to the rest of the contract: the JSON report's keys, exit statuses 0/2/1, the
options that fix a refused file, dry runs and strict runs that write nothing, identity by source id, touches
that are not touches, deals that are spend, and exports that re-import to no change.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from accountbot.cli import app
from storage.db import make_engine
from storage.models import Account, Contact, Interaction, RevenueMonth

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "crm"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))["runs"]
REPORT_KEYS = {
    "dry_run",
    "files",
    "created",
    "updated",
    "unchanged",
    "skipped",
    "unresolved_owners",
    "warnings",
}
FILE_KEYS = {"file", "source", "kind", "rows", "imported", "skipped"}
SKIP_KEYS = {"file", "line", "reason", "value"}
REASONS = {
    "footer", "blank", "no_name", "no_account", "stage", "not_done", "not_connected", "cancelled", "future",
    "duplicate", "currency", "invalid",
}  # fmt: skip
TABLES = (Account, Contact, Interaction, RevenueMonth)


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "SLACK_TEAM_ID": None, "COLUMNS": "250"}

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), env=env)

    return invoke


def count(db_url: str, model: type) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(model)).scalar_one()
    finally:
        engine.dispose()


def nothing_written(db_url: str) -> bool:
    return all(count(db_url, model) == 0 for model in TABLES)


def paths(run: str, order: list[str] | None = None) -> list[str]:
    """The files to give: a zip archive once, for all its members."""
    files = [rel.split("!")[0] for rel in (order or list(EXPECTED[run]["files"]))]
    return [str(FIXTURES / rel) for rel in dict.fromkeys(files)]


def key(file: str) -> str:
    """A report's `file` as the key expected.json uses: relative to the fixtures, an xlsx sheet suffix dropped."""
    prefix = str(FIXTURES) + "/"
    rel = file[len(prefix) :] if file.startswith(prefix) else file
    return re.sub(r"(\.xlsx)\[[^\]]*\]$", r"\1", rel)


def import_json(cli, *args: str) -> tuple[Any, dict[str, Any]]:  # type: ignore[no-untyped-def]
    result = cli("import", *args, "--team", "T1", "--json")
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    return result, json.loads(result.stdout)


def import_run(cli, run: str, *extra: str, order: list[str] | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return import_json(cli, *paths(run, order), *EXPECTED[run]["options"], *extra)[1]


def exported(cli, kind: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    result = cli("export", kind, "--team", "T1")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def refused(cli, db_url: str, *args: str):  # type: ignore[no-untyped-def]
    """Runs an import that must be refused: exit 2, no stack trace, nothing written."""
    result = cli("import", *args, "--team", "T1")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "Usage:" not in result.output  # a refusal, not a command-line usage error (which also exits 2)
    assert nothing_written(db_url)
    return result


def by_file(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {key(f["file"]): f for f in report["files"]}


def all_zero(report: dict[str, Any], *fields: str) -> bool:
    return all(n == 0 for field in fields for n in report[field].values())


# --- the report ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("run", list(EXPECTED))
def test_each_fixture_set_gives_the_expected_report(cli, run: str) -> None:  # type: ignore[no-untyped-def]
    """Every fixture set imports (exit 0) with its options; per file the detected source and kind, rows,
    imported and skipped, and every skipped line with its reason, are those of expected.json."""
    report = import_run(cli, run)
    files = by_file(report)
    assert set(files) == set(EXPECTED[run]["files"])
    for name, want in EXPECTED[run]["files"].items():
        got = files[name]
        assert (got["source"], got["kind"]) == (want["source"], want["kind"]), name
        assert (got["rows"], got["imported"], got["skipped"]) == (
            want["rows"],
            want["imported"],
            want["skipped"],
        ), name
        skipped = sorted((s["line"], s["reason"]) for s in report["skipped"] if key(s["file"]) == name)
        assert skipped == [(s["line"], s["reason"]) for s in want["skipped_rows"]], name


@pytest.mark.parametrize("run", list(EXPECTED))
def test_every_row_is_imported_or_skipped(cli, run: str) -> None:  # type: ignore[no-untyped-def]
    """rows == imported + skipped for every file, and the skipped list has one entry per skipped row, each
    with a known reason code."""
    report = import_run(cli, run)
    for f in report["files"]:
        assert f["rows"] == f["imported"] + f["skipped"], f
        assert sum(1 for s in report["skipped"] if s["file"] == f["file"]) == f["skipped"], f
    assert {s["reason"] for s in report["skipped"]} <= REASONS


def test_json_report_has_exactly_the_contract_keys(cli) -> None:  # type: ignore[no-untyped-def]
    """The JSON report is one object with exactly the issue's keys, and its lists' entries have exactly theirs."""
    report = import_run(cli, "hubspot")
    assert set(report) == REPORT_KEYS
    assert report["dry_run"] is False
    assert report["files"] and all(set(f) == FILE_KEYS for f in report["files"])
    for field in ("created", "updated", "unchanged"):
        assert isinstance(report[field], dict)
        assert all(isinstance(k, str) and isinstance(n, int) for k, n in report[field].items())
    assert report["skipped"] and all(set(s) == SKIP_KEYS for s in report["skipped"])
    assert all(isinstance(s["line"], int) and isinstance(s["value"], str) for s in report["skipped"])
    assert report["unresolved_owners"]
    assert all(set(o) == {"owner", "reason", "accounts"} for o in report["unresolved_owners"])
    assert all(set(w) == {"file", "message"} for w in report["warnings"])


@pytest.mark.parametrize("run", list(EXPECTED))
def test_unresolved_owners_are_listed_with_their_accounts(cli, run: str) -> None:  # type: ignore[no-untyped-def]
    """Owners not in the directory, inactive ones and non-persons are listed with their reason and the accounts
    imported without an owner because of them."""
    report = import_run(cli, run)
    got = {o["owner"]: o for o in report["unresolved_owners"]}
    for want in EXPECTED[run]["unresolved_owners"]:
        assert want["owner"] in got, got
        entry = got[want["owner"]]
        assert entry["reason"] == want["reason"]
        accounts = entry["accounts"]
        if isinstance(accounts, int):
            assert accounts == len(want["accounts"])
        else:
            assert sorted(accounts) == sorted(want["accounts"])
    assert {o["reason"] for o in report["unresolved_owners"]} <= {"unknown", "inactive", "not_a_person"}


def test_optional_cell_that_does_not_parse_is_cleared_with_a_warning(cli) -> None:  # type: ignore[no-untyped-def]
    """HubSpot contact Tom Becker's email "n/a" is cleared with a warning naming the file; the contact is kept."""
    report = import_run(cli, "hubspot")
    contacts = str(FIXTURES / "hubspot" / "contacts.csv")
    assert any(w["file"] == contacts and "n/a" in w["message"] for w in report["warnings"]), report[
        "warnings"
    ]
    tom = next(r for r in exported(cli, "contacts") if r["source_id"] == "7010006")
    assert tom["email"] == ""


def test_unknown_columns_are_ignored_with_one_warning_per_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A column no profile knows is never fatal for a CRM source: one warning for the file names it."""
    rows = list(
        csv.reader(io.StringIO((FIXTURES / "hubspot" / "companies.csv").read_text(encoding="utf-8-sig")))
    )
    for i, row in enumerate(rows):
        row.append("Favourite Colour" if i == 0 else "teal")
    path = tmp_path / "companies.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
    _, report = import_json(cli, str(path), str(FIXTURES / "hubspot" / "users.csv"), "--tz", "Europe/Berlin")
    assert by_file(report)[str(path)]["imported"] == 6
    mentions = [
        w for w in report["warnings"] if w["file"] == str(path) and "Favourite Colour" in w["message"]
    ]
    assert len(mentions) == 1, report["warnings"]


# --- detection ----------------------------------------------------------------------------------------------


def test_files_in_any_order_give_the_same_result(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """A batch is imported in dependency order whatever the order given: deals and activities first on the
    command line still join the companies given last."""
    order = list(reversed(EXPECTED["hubspot"]["files"]))
    report = import_run(cli, "hubspot", order=order)
    files = by_file(report)
    for name, want in EXPECTED["hubspot"]["files"].items():
        assert (files[name]["imported"], files[name]["skipped"]) == (want["imported"], want["skipped"]), name
    assert count(db_url, Interaction) == EXPECTED["hubspot"]["touches"]


def test_source_and_kind_are_detected_whatever_the_column_order(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Detection reads the header's labels, not their positions: HubSpot companies with the columns reversed."""
    rows = list(
        csv.reader(io.StringIO((FIXTURES / "hubspot" / "companies.csv").read_text(encoding="utf-8-sig")))
    )
    path = tmp_path / "companies-reversed.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows([list(reversed(r)) for r in rows])
    _, report = import_json(cli, str(path), str(FIXTURES / "hubspot" / "users.csv"), "--tz", "Europe/Berlin")
    got = by_file(report)[str(path)]
    want = EXPECTED["hubspot"]["files"]["hubspot/companies.csv"]
    assert (got["source"], got["kind"], got["rows"], got["imported"]) == (
        "hubspot",
        "accounts",
        10,
        want["imported"],
    )


def test_from_and_kind_override_detection(cli) -> None:  # type: ignore[no-untyped-def]
    """--from and --kind name the source and kind; the result is the detected one's."""
    _, report = import_json(
        cli,
        str(FIXTURES / "hubspot" / "companies.csv"),
        "--from",
        "hubspot",
        "--kind",
        "accounts",
        "--tz",
        "UTC",
    )
    (only,) = report["files"]
    assert (only["source"], only["kind"], only["imported"]) == ("hubspot", "accounts", 6)


def test_owner_directory_can_be_given_with_owners(cli) -> None:  # type: ignore[no-untyped-def]
    """--owners FILE reads a Pipedrive users export as the owner directory: the inactive owner is listed."""
    files = [rel for rel in EXPECTED["pipedrive"]["files"] if rel != "pipedrive/users.csv"]
    _, report = import_json(
        cli,
        *paths("pipedrive", files),
        *EXPECTED["pipedrive"]["options"],
        "--owners",
        str(FIXTURES / "pipedrive" / "users.csv"),
    )
    got = {o["owner"]: o["reason"] for o in report["unresolved_owners"]}
    assert got == {"Petra Lang": "inactive"}


# --- refusing a file: exit 2, the option that fixes it, nothing written ---------------------------------------


def test_latin1_bytes_without_encoding_are_refused(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """The ISO-8859-1 Salesforce report without --encoding: refused, naming --encoding; never mojibake."""
    result = refused(cli, db_url, *paths("salesforce-report"), "--rate", "EUR=1.1")
    assert "--encoding" in result.output


def test_offsetless_hubspot_times_without_tz_are_refused(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """HubSpot's local date-times carry no offset: without --tz the batch is refused, naming --tz."""
    result = refused(cli, db_url, *paths("hubspot"), "--rate", "EUR=1.1")
    assert "--tz" in result.output


AMBIGUOUS_REPORT = (
    '"Opportunity Owner","Account Name","Opportunity Name","Stage","Close Date","Amount Currency","Amount",'
    '"Probability (%)","Type","Opportunity ID","Account ID"\r\n'
    '"Claire Dubois","Globex","Renewal","Closed Won","04/03/2026","USD","1000","100","Existing Business",'
    '"006Dn00000Op901","001Dn00000GlObx"\r\n'
    '"Claire Dubois","Globex","Upsell","Closed Lost","05/06/2026","USD","500","0","New Business",'
    '"006Dn00000Op902","001Dn00000GlObx"\r\n'
)


def test_ambiguous_numeric_dates_without_dates_are_refused(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Dates such as 04/03/2026 (no part above 12 anywhere in the file) need --dates: refused, naming it;
    with --dates the same file passes that check."""
    path = tmp_path / "opportunities.csv"
    path.write_bytes(AMBIGUOUS_REPORT.encode("ascii"))
    result = refused(cli, db_url, str(path))
    assert "--dates" in result.output
    ok = cli("import", str(path), "--dates", "dmy", "--team", "T1", "--json")
    assert ok.exit_code == 0, ok.output


def test_dates_contradicting_the_file_are_refused(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """A wrong --dates (mdy for a file with 31/03/2026) never half-writes: refused, naming --dates."""
    result = refused(
        cli, db_url, *paths("salesforce-report"), *EXPECTED["salesforce-report"]["options"], "--dates", "mdy"
    )
    assert "--dates" in result.output


def test_header_matching_no_profile_is_refused(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A header no profile knows refuses the batch, with a message naming --from or --kind."""
    path = tmp_path / "mystery.csv"
    path.write_text('"Widget","Colour"\n"A","red"\n', encoding="utf-8")
    result = refused(cli, db_url, str(path), str(FIXTURES / "hubspot" / "companies.csv"), "--tz", "UTC")
    assert "--from" in result.output or "--kind" in result.output


def test_mapping_file_with_a_typo_names_the_line_and_key(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A mapping file with a misspelt key is refused (exit 2) with its line and the key in the message."""
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[source.hubspot]\ntz = "Europe/Berlin"\ndatse = "dmy"\n', encoding="utf-8")
    result = refused(cli, db_url, *paths("hubspot"), "--mapping", str(mapping))
    assert "line 3" in result.output and "datse" in result.output


def test_truncated_file_is_refused_and_nothing_is_written(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A file cut off inside a quoted cell (a broken download) refuses the whole batch; nothing half-written."""
    data = (FIXTURES / "hubspot" / "calls.csv").read_bytes()
    path = tmp_path / "calls.csv"
    path.write_bytes(data[: data.index(b"Three-way call") + 5])
    companies = str(FIXTURES / "hubspot" / "companies.csv")
    refused(cli, db_url, companies, str(path), "--tz", "Europe/Berlin")


def test_strict_refuses_a_batch_with_any_skipped_row(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """--strict: any skipped data row refuses the batch, exit 2, nothing written."""
    refused(cli, db_url, *paths("pipedrive"), *EXPECTED["pipedrive"]["options"], "--strict")


def test_dry_run_reports_and_writes_nothing(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """--dry-run reads everything and reports what would happen (exit 0), and the database stays empty."""
    run = "hubspot"
    _, report = import_json(cli, *paths(run), *EXPECTED[run]["options"], "--dry-run")
    assert report["dry_run"] is True
    files = by_file(report)
    for name, want in EXPECTED[run]["files"].items():
        assert (files[name]["imported"], files[name]["skipped"]) == (want["imported"], want["skipped"]), name
    assert report["created"].get("accounts") == 6
    assert nothing_written(db_url)


def test_dry_run_names_rating_inputs_no_column_feeds(cli) -> None:  # type: ignore[no-untyped-def]
    """Without a mapping file no column feeds wallet share: the dry run says so (as a warning)."""
    _, report = import_json(cli, *paths("pipedrive"), *EXPECTED["pipedrive"]["options"], "--dry-run")
    assert any("wallet" in w["message"] for w in report["warnings"]), report["warnings"]


# --- identity -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("run", list(EXPECTED))
def test_importing_the_same_files_again_changes_nothing(cli, db_url: str, run: str) -> None:  # type: ignore[no-untyped-def]
    """A second import of the same files creates and updates nothing, and adds no touch."""
    import_run(cli, run)
    touches = count(db_url, Interaction)
    again = import_run(cli, run)
    assert all_zero(again, "created", "updated"), (again["created"], again["updated"])
    assert count(db_url, Interaction) == touches


@pytest.mark.parametrize("alternative", ["hubspot-zip", "hubspot-xlsx"])
def test_zip_and_xlsx_forms_are_the_same_records(cli, alternative: str) -> None:  # type: ignore[no-untyped-def]
    """The Exports API zip (internal names) and the XLSX export hold the same records as the CSV exports:
    importing them after the CSVs creates and updates nothing."""
    import_run(cli, "hubspot")
    again = import_run(cli, alternative)
    assert all_zero(again, "created", "updated"), (again["created"], again["updated"])


def test_salesforce_15_and_18_character_ids_are_the_same_record(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """Reports carry 15-character ids, Data Loader the 18-character ones: the extracts after the reports add no
    account and no contact."""
    import_run(cli, "salesforce-report")
    accounts, contacts = count(db_url, Account), count(db_url, Contact)
    _, report = import_json(
        cli,
        *paths(
            "salesforce-dataloader",
            ["salesforce/User.csv", "salesforce/Account.csv", "salesforce/Contact.csv"],
        ),
    )
    assert report["created"].get("accounts", 0) == 0 and report["created"].get("contacts", 0) == 0
    assert (count(db_url, Account), count(db_url, Contact)) == (accounts, contacts)


@pytest.mark.parametrize(
    "run,contact,account",
    [
        ("hubspot", "7010001", "5012345001"),
        ("hubspot", "7010002", "5012345002"),
        ("salesforce-report", "003Dn00000HaScHIAV", "001Dn00000AcmUSIAZ"),
        ("salesforce-report", "003Dn00000OlGrAIAV", "001Dn00000AcmUKIAZ"),
    ],
)
def test_contacts_of_same_named_accounts_land_on_the_right_one(
    cli, run: str, contact: str, account: str
) -> None:  # type: ignore[no-untyped-def]
    """Two accounts named "Acme Corp" with different source ids both exist, and each contact joins the one its
    export names by id (never by name)."""
    import_run(cli, run)
    acmes = [r for r in exported(cli, "accounts") if r["name"] == "Acme Corp"]
    assert len(acmes) == 2 and len({r["source_id"] for r in acmes}) == 2
    row = next(r for r in exported(cli, "contacts") if r["source_id"] in (contact, contact[:15]))
    assert row["account_source_id"] in (account, account[:15])


def test_pipedrive_names_shared_by_two_organizations_are_never_guessed(cli) -> None:  # type: ignore[no-untyped-def]
    """Pipedrive joins by name only: a person of "Acme Corp" (two organizations) is skipped as duplicate."""
    report = import_run(cli, "pipedrive")
    people = str(FIXTURES / "pipedrive" / "people.csv")
    liam = next(s for s in report["skipped"] if s["file"] == people and s["line"] == 2)
    assert liam["reason"] == "duplicate"
    assert all(r["source_id"] != "201" for r in exported(cli, "contacts"))


# --- what counts: touches, spend, grades ----------------------------------------------------------------------


@pytest.mark.parametrize("run", ["hubspot", "salesforce-report", "salesforce-dataloader", "pipedrive"])
def test_only_done_past_activities_are_touches(cli, db_url: str, run: str) -> None:  # type: ignore[no-untyped-def]
    """Future, cancelled, not-done and not-connected activities are not touches; a multi-company call is one
    touch per company."""
    import_run(cli, run)
    assert count(db_url, Interaction) == EXPECTED[run]["touches"]


def test_touches_keep_their_source_ids_and_every_contact(cli) -> None:  # type: ignore[no-untyped-def]
    """Exported touches carry source and source_id; the two-company call is a touch on each company; the
    two-contact meeting is one touch recording both contacts; skipped activities are absent."""
    import_run(cli, "hubspot")
    rows = exported(cli, "interactions")
    ids = sorted(r["source_id"] for r in rows)
    assert ids == sorted(["3300001", "3300004", "3300004", "3300006", "4400001", "4400007"])
    assert {r["source"] for r in rows} == {"hubspot"}
    assert sorted(r["account_source_id"] for r in rows if r["source_id"] == "3300004") == [
        "5012345001",
        "5012345003",
    ]
    (qbr,) = [r for r in rows if r["source_id"] == "4400001"]
    assert sorted(qbr["contact_source_id"].split(";")) == ["7010001", "7010010"]


@pytest.mark.parametrize("run", ["hubspot", "salesforce-report", "salesforce-dataloader", "pipedrive"])
def test_closed_won_deals_become_revenue_in_the_workspace_currency(cli, db_url: str, run: str) -> None:  # type: ignore[no-untyped-def]
    """Each closed-won deal is revenue in its close month, converted with --rate EUR=1.1; lost and open deals
    are not spend, and a JPY deal without a JPY rate is not summed raw."""
    import_run(cli, run)
    got = sorted(
        (r["account"], r["month"][:7], round(float(r["amount"]), 2)) for r in exported(cli, "revenue")
    )
    want = sorted((name, month, float(amount)) for name, _, month, amount in EXPECTED[run]["revenue"])
    assert got == want
    assert count(db_url, RevenueMonth) == len(want)


def test_foreign_currency_deal_without_rate_is_skipped_as_currency(cli) -> None:  # type: ignore[no-untyped-def]
    """Without --rate the EUR deal (and the JPY one) are skipped with reason currency, never summed raw."""
    _, report = import_json(cli, *paths("hubspot"), "--tz", "Europe/Berlin")
    deals = str(FIXTURES / "hubspot" / "deals.csv")
    reasons = {s["line"]: s["reason"] for s in report["skipped"] if s["file"] == deals}
    assert reasons[5] == "currency" and reasons[6] == "currency"
    assert all(r["month"][:7] != "2026-06" for r in exported(cli, "revenue"))


@pytest.mark.parametrize(
    "run,name", [("hubspot", "Kaiyo Shoji K.K."), ("salesforce-dataloader", "Hokuto Denki K.K.")]
)
def test_company_size_annual_revenue_is_never_spend(cli, run: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """The JPY company's huge CRM "Annual Revenue" is its own size, not spend with us: not key tier, not A."""
    import_run(cli, run)
    result = cli("grade", name, "--json", "--team", "T1")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tier"] != "key" and data["grade"] != "A", data


def test_mapping_file_feeds_custom_fields_into_rating_inputs(cli) -> None:  # type: ignore[no-untyped-def]
    """With the example mapping.toml, HubSpot's custom "Share of Wallet" becomes the accounts' wallet share
    (and its [source.hubspot] tz makes --tz unnecessary)."""
    _, _ = import_json(
        cli, *paths("hubspot"), "--rate", "EUR=1.1", "--mapping", str(FIXTURES / "mapping.toml")
    )
    shares = {r["source_id"]: r["wallet_share"] for r in exported(cli, "accounts")}
    assert shares["5012345001"] == "30" and shares["5012345003"] == "80"


# --- today's forms and the exports ----------------------------------------------------------------------------


def test_todays_import_accounts_form_still_works(cli, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`accountbot import accounts FILE` keeps working unchanged."""
    path = tmp_path / "accounts.csv"
    path.write_text(
        "name,owner,annual_revenue\nAcme Corp,U0OWNER1,5000000\nGlobex,U0OWNER2,900000\n", "utf-8"
    )
    result = cli("import", "accounts", str(path), "--team", "T1")
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged (workspace T1)" in result.stdout
    assert count(db_url, Account) == 2


@pytest.mark.parametrize("run", ["hubspot", "salesforce-dataloader"])
def test_exports_carry_source_columns_and_reimport_to_no_change(
    cli, db_url: str, tmp_path: Path, run: str
) -> None:  # type: ignore[no-untyped-def]
    """Every export has source and source_id; contacts and interactions also account_source_id; interactions
    contact_source_id. Importing the four exports back (accountbot's own format, detected) changes nothing."""
    import_run(cli, run)
    before = [count(db_url, model) for model in TABLES]
    files = []
    for kind in ("accounts", "contacts", "interactions", "revenue"):
        result = cli("export", kind, "--team", "T1")
        assert result.exit_code == 0, result.output
        header = next(csv.reader(io.StringIO(result.stdout)))
        assert {"source", "source_id"} <= set(header), (kind, header)
        if kind in ("contacts", "interactions"):
            assert "account_source_id" in header, (kind, header)
        if kind == "interactions":
            assert "contact_source_id" in header, header
        path = tmp_path / f"{kind}.csv"
        path.write_text(result.stdout, encoding="utf-8")
        files.append(str(path))
    _, report = import_json(cli, *reversed(files))
    assert {f["source"] for f in report["files"]} == {"accountbot"}
    assert all_zero(report, "created", "updated"), (report["created"], report["updated"])
    assert [count(db_url, model) for model in TABLES] == before
