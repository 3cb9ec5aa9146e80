"""storage.importing.profiles: which export a header is, and the canonical field of each column (issue 12)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from storage.importing.csv_formats import FORMATS, BadFile
from storage.importing.profiles import FIELDS, detect, header_label, parse_profiles, profiles
from storage.importing.tables import open_tables

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "crm"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
MAPPING = tomllib.loads((FIXTURES / "mapping.toml").read_text(encoding="utf-8"))
CASES = sorted(
    {
        (name, facts["source"], facts["kind"], "--encoding" in run["options"])
        for run in EXPECTED["runs"].values()
        for name, facts in run["files"].items()
    }
)


def fixture_header(name: str, latin1: bool) -> list[str]:
    path = FIXTURES / name.split("!")[0]
    tables = {t.name: t for t in open_tables(path, "latin-1" if latin1 else None)}
    return tables[str(FIXTURES / name)].header


@pytest.mark.parametrize(("name", "source", "kind", "latin1"), CASES, ids=[c[0] for c in CASES])
def test_every_fixture_is_detected_as_expected_json_says(
    name: str, source: str, kind: str, latin1: bool
) -> None:
    header = fixture_header(name, latin1)
    for extra in (None, MAPPING["fields"]):
        detected = detect(header, extra_fields=extra)
        assert (detected.profile.source, detected.profile.kind) == (source, kind)
        assert len(detected.columns) == len(header)
        # every fixture column is read or known as not needed, but for the custom fields the mapping file names
        custom = {header_label(label) for fields in MAPPING["fields"].values() for label in fields}
        assert {header_label(u) for u in detected.unknown} <= (custom if extra is None else set())
    # naming the source and kind finds the same profile
    assert detect(header, source=source, kind=kind).profile == detect(header).profile


def test_fixture_columns() -> None:
    calls = detect(fixture_header("hubspot/calls.csv", False))
    assert calls.profile.name == "hubspot-calls" and calls.profile.constants == {"activity_type": "call"}
    assert calls.columns[:4] == ["id", "subject", "occurred_at", "note"]
    assert calls.columns[-3:] == ["owner", "account_ids", "contact_ids"]
    meetings = detect(fixture_header("hubspot/meetings.csv", False))
    assert meetings.profile.constants == {"activity_type": "meeting"}
    assert meetings.columns[2] == "occurred_at" and meetings.columns[5] == "location"
    contacts = detect(fixture_header("hubspot/contacts.csv", False))
    assert contacts.columns[7:9] == ["account_id", "account_name"]
    task = detect(fixture_header("salesforce/Task.csv", False))
    assert task.profile.name == "salesforce-dataloader-task" and task.profile.zone == "utc"
    assert task.columns[2:6] == ["activity_type", "date", "status", "outcome"]
    event = detect(fixture_header("salesforce/Event.csv", False))
    assert event.profile.constants == {"activity_type": "meeting"} and event.profile.zone == "utc"
    assert event.columns[3] == "occurred_at"
    opportunity = detect(fixture_header("salesforce/Opportunity.csv", False))
    assert opportunity.columns == [
        "id", "name", "deal_stage", "is_closed", "is_won", "close_date", "amount", "currency", "account_id",
        "owner_id",
    ]  # fmt: skip
    report = detect(fixture_header("salesforce/opportunities_report.csv", True))
    assert report.profile.zone is None and report.columns[-1] == "account_id"
    activities = detect(fixture_header("pipedrive/activities.csv", False))
    assert activities.columns[3:5] == ["date", "time"] and activities.columns[6:9] == [
        "done",
        "account_name",
        "contact_names",
    ]
    deals = detect(fixture_header("pipedrive/deals.csv", False))
    by_label = dict(zip(fixture_header("pipedrive/deals.csv", False), deals.columns, strict=True))
    assert by_label["Deal - Won time"] == "close_date" and by_label["Deal - Stage"] is None


def test_mapping_file_labels_feed_their_fields() -> None:
    header = fixture_header("hubspot/companies.csv", False)
    assert detect(header).columns[-1] is None
    detected = detect(header, extra_fields=MAPPING["fields"])
    assert detected.columns[-1] == "wallet_share"
    account = detect(fixture_header("salesforce/Account.csv", False), extra_fields=MAPPING["fields"])
    assert account.columns[-1] == "strategic_value"


def test_unknown_columns_are_listed_and_left_out() -> None:
    detected = detect(["Record ID", "Company name", "Favourite Colour", "Type", ""])
    assert detected.profile.name == "hubspot-companies"
    assert detected.columns == ["id", "name", None, "type", None]
    assert detected.unknown == ["Favourite Colour"]


def test_two_columns_feeding_one_field_keep_their_order() -> None:
    detected = detect(["Person - ID", "Person - Name", "Person - Email - Work", "Person - Email - Home"])
    assert detected.columns == ["id", "name", "email", "email"]  # the normaliser takes the first filled one


def test_header_label() -> None:
    assert header_label("\ufeff  Record   ID ") == "record id"
    assert header_label("ACCOUNTID") == header_label("AccountId") == "accountid"
    assert header_label("Activity\u00a0-  Due date") == "activity - due date"


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        (
            ["name", "owner", "stage", "Annual Revenue", "wallet_share", "tier", "source", "source_id"],
            "accounts",
        ),
        (["Account", "Name", "Title", "Email", "role", "active"], "contacts"),
        (["account", "date", "kind", "contact", "colleague", "note"], "interactions"),
        (["account", "month", "amount"], "revenue"),
        (["name", "email", "id", "active"], "users"),
    ],
)
def test_accountbot_formats(header: list[str], kind: str) -> None:
    detected = detect(header)
    assert (detected.profile.source, detected.profile.kind) == ("accountbot", kind)
    assert detected.unknown == []


def test_accountbot_interactions_answer_to_kind_activities_and_interactions() -> None:
    header = ["account", "date", "kind"]
    assert detect(header, kind="activities").profile.name == "accountbot-interactions"
    assert detect(header, kind="interactions").profile.name == "accountbot-interactions"


def test_accountbot_formats_accept_no_unknown_column() -> None:
    with pytest.raises(BadFile) as exc:
        detect(["name", "owner", "colour"])
    message = str(exc.value)
    assert "matches no known export" in message and "accountbot-accounts" in message and "'colour'" in message


def test_native_profiles_follow_csv_formats() -> None:
    for profile in profiles():
        if profile.source == "accountbot" and profile.kind in FORMATS:
            fmt = FORMATS[profile.kind]
            assert set(profile.fields.values()) == {c.name for c in fmt.all_columns}
            assert set(profile.signature) == {c.name for c in fmt.all_columns if c.required}


def test_profiles_use_the_canonical_vocabulary() -> None:
    names = [p.name for p in profiles()]
    assert len(names) == len(set(names))
    for profile in profiles():
        if profile.source == "accountbot" and profile.kind in FORMATS:
            continue
        assert set(profile.fields.values()) <= set(FIELDS[profile.kind]), profile.name
        assert set(profile.constants) <= set(FIELDS[profile.kind]), profile.name


def test_a_malformed_profile_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'Owner' = 'boss' is not a accounts field"):
        parse_profiles({"x": {"source": "hubspot", "kind": "accounts", "columns": {"Owner": "boss"}}})
    with pytest.raises(ValueError, match="source"):
        parse_profiles({"x": {"source": "zoho", "kind": "accounts"}})
    with pytest.raises(ValueError, match="signature"):
        parse_profiles({"x": {"source": "hubspot", "kind": "accounts", "signature": ["id"], "columns": {}}})


def test_equal_best_fits_ask_for_from_and_kind() -> None:
    with pytest.raises(BadFile) as exc:
        detect(["Record ID", "Activity date", "Activity assigned to"])
    message = str(exc.value)
    assert "several exports equally well" in message
    assert "hubspot-calls" in message and "hubspot-meetings" in message
    assert "--from" in message and "--kind" in message


def test_no_match_names_the_closest_profile_and_its_missing_columns() -> None:
    with pytest.raises(BadFile) as exc:
        detect(["Account Name", "Account Owner", "Type", "Industry"])
    message = str(exc.value)
    assert (
        "the header ('Account Name', 'Account Owner', 'Type', 'Industry') matches no known export" in message
    )
    assert "salesforce-report-accounts" in message and "'Account ID' (id)" in message
    assert "--from" in message and "--kind" in message and "--mapping" in message


def test_source_and_kind_filter_the_candidates() -> None:
    header = fixture_header("salesforce/Account.csv", False)
    with pytest.raises(BadFile, match="matches no known export of --from hubspot"):
        detect(header, source="hubspot")
    with pytest.raises(BadFile, match="matches no known export"):
        detect(header, kind="contacts")
    with pytest.raises(BadFile, match="--from 'zoho'"):
        detect(header, source="zoho")
    with pytest.raises(BadFile, match="--kind 'widgets'"):
        detect(header, kind="widgets")
