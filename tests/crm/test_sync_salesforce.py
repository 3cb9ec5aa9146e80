"""The live sync from the fake Salesforce, on SQLite and PostgreSQL: it equals a Data Loader file import of the
same records, a second sync writes nothing with one query per object, and IsDeleted is noticed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounts.thresholds import DEFAULT_THRESHOLDS
from crm.fields import SALESFORCE_KINDS
from crm.salesforce import SalesforceClient
from jobs.crm_sync import sync
from storage.importing.sync import DELETED
from storage.models import Contact
from tests.conftest import NOW
from tests.crm.conftest import T0
from tests.crm.test_salesforce import pem
from tests.crm.test_sync import file_import, snapshot, view, write_csv
from tests.fakes.clock import FakeClock
from tests.fakes.salesforce_api import CONSUMER_KEY, USERNAME, FakeSalesforce, sf_time

SYNCED, FILED = "TSFSYNC", "TSFFILE"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def salesforce(clock: FakeClock, rsa_key: rsa.RSAPrivateKey) -> Iterator[FakeSalesforce]:
    with FakeSalesforce(rsa_key.public_key(), clock=clock, multicurrency=False) as fake:
        yield fake


def fill(fake: FakeSalesforce, accounts: int = 12) -> dict[str, list[str]]:
    at = iter(T0 + timedelta(minutes=i) for i in range(100_000))
    users = [
        fake.add("User", {"Name": "Jane Doe", "FirstName": "Jane", "LastName": "Doe", "Email": "jane@example.com",
                          "IsActive": True, "UserType": "Standard"}, modified=next(at)),
        fake.add("User", {"Name": "Sam Carter", "FirstName": "Sam", "LastName": "Carter",
                          "Email": "sam@example.com", "IsActive": False, "UserType": "Standard"}, modified=next(at)),
    ]  # fmt: skip
    ids: dict[str, list[str]] = {"User": users, "Account": [], "Contact": [], "Task": [], "Event": []}
    ids["Opportunity"] = []
    for i in range(accounts):
        account = fake.add(
            "Account",
            {"Name": f"Account {i:02d}", "OwnerId": users[i % 2], "Type": "Customer" if i % 3 else "Prospect",
             "Industry": "Banking", "Website": f"https://www.account{i}.example/home", "AnnualRevenue": 5e6},
            modified=next(at),
        )  # fmt: skip
        ids["Account"].append(account)
        contact = fake.add(
            "Contact",
            {"Name": f"Ann Of{i:02d}", "FirstName": "Ann", "LastName": f"Of{i:02d}", "Email": f"ann@a{i}.example",
             "Title": "CIO", "AccountId": account, "OwnerId": users[0]},
            modified=next(at),
        )  # fmt: skip
        ids["Contact"].append(contact)
        ids["Task"].append(
            fake.add(
                "Task",
                {
                    "Subject": f"Call {i:02d}",
                    "TaskSubtype": "Call",
                    "Type": "Call",
                    "ActivityDate": (NOW - timedelta(days=i + 1)).date(),
                    "Status": "Completed",
                    "CallDisposition": None,
                    "AccountId": account,
                    "WhoId": contact,
                    "OwnerId": users[0],
                    "Description": f"Spoke with Ann about {i}",
                },
                modified=next(at),
            )  # fmt: skip
        )
        ids["Event"].append(
            fake.add(
                "Event",
                {
                    "Subject": f"Visit {i:02d}",
                    "Type": "Meeting",
                    "StartDateTime": NOW - timedelta(days=3, hours=i),
                    "ActivityDateTime": NOW - timedelta(days=3, hours=i),
                    "Location": "Their office",
                    "AccountId": account,
                    "WhoId": contact,
                    "OwnerId": users[0],
                },
                modified=next(at),
            )  # fmt: skip
        )
        if i % 2 == 0:
            ids["Opportunity"].append(
                fake.add(
                    "Opportunity",
                    {
                        "Name": f"Deal {i:02d}",
                        "StageName": "Closed Won",
                        "IsWon": True,
                        "IsClosed": True,
                        "CloseDate": date(2026, 9, 15),
                        "Amount": 1000.0 * (i + 1),
                        "AccountId": account,
                    },
                    modified=next(at),
                )  # fmt: skip
            )
    return ids


def client(fake: FakeSalesforce, clock: FakeClock, key: rsa.RSAPrivateKey) -> SalesforceClient:
    return SalesforceClient(fake.base_url, CONSUMER_KEY, USERNAME, private_key=pem(key), clock=clock)


def run(
    sessions: sessionmaker[Session], fake: FakeSalesforce, clock: FakeClock, key: rsa.RSAPrivateKey
) -> Any:
    with client(fake, clock, key) as sf:
        return sync(sessions, SYNCED, sf, now=NOW, thresholds=DEFAULT_THRESHOLDS)


def loader_cell(value: Any) -> str:
    """A value as Data Loader writes it to CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return sf_time(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_files(fake: FakeSalesforce, folder: Path) -> tuple[list[Path], Path]:
    """Data Loader extracts of every object, the User extract as the owner directory."""
    files = {}
    for obj, spec in SALESFORCE_KINDS.items():
        fields = [f for f in spec.fields if f in fake.fields[obj]]
        rows = [
            [loader_cell(row.get(f)) for f in fields]
            for row in fake.rows[obj].values()
            if not row.get("IsDeleted")
        ]
        files[obj] = write_csv(folder / f"{obj}.csv", fields, rows)
    return [p for obj, p in files.items() if obj != "User"], files["User"]


def test_a_salesforce_sync_equals_a_data_loader_import(
    db_url: str,
    sessions: sessionmaker[Session],
    salesforce: FakeSalesforce,
    clock: FakeClock,
    rsa_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    fill(salesforce)
    report = run(sessions, salesforce, clock, rsa_key)
    by_obj = {s.obj: s for s in report.objects}
    assert (
        by_obj["Account"].created == 12
        and by_obj["Task"].created == 12
        and by_obj["Opportunity"].created == 6
    )
    files, owners = export_files(salesforce, tmp_path)
    file_import(sessions, FILED, files, owners)
    with sessions() as session:
        synced, imported = view(session, SYNCED), view(session, FILED)
    for kind in ("accounts", "contacts", "interactions", "deals"):
        assert synced[kind], kind
        assert synced[kind] == imported[kind], kind
    assert {a["owner"] for a in synced["accounts"].values()} == {"jane@example.com", None}  # Sam is inactive


def test_a_second_salesforce_sync_writes_nothing_with_one_query_per_object(
    db_url: str,
    sessions: sessionmaker[Session],
    salesforce: FakeSalesforce,
    clock: FakeClock,
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    ids = fill(salesforce)
    run(sessions, salesforce, clock, rsa_key)
    with sessions() as session:
        before = snapshot(session)
    clock.advance(3600)
    salesforce.counts.clear()
    report = run(sessions, salesforce, clock, rsa_key)
    with sessions() as session:
        assert snapshot(session) == before
    queries = {k: n for k, n in salesforce.counts.items() if k.startswith(("query:", "queryAll:", "more:"))}
    assert queries == {"query:User": 1, **{f"queryAll:{o}": 1 for o in SALESFORCE_KINDS if o != "User"}}
    # plus, per run, the login and one describe per object (the org's fields)
    assert {k: n for k, n in salesforce.counts.items() if k.startswith("describe:")} == {
        f"describe:{o}": 1 for o in SALESFORCE_KINDS
    }
    assert salesforce.counts["token"] == 1 and report.requests == 6
    clock.advance(3600)
    salesforce.delete("Contact", ids["Contact"][0], NOW + timedelta(hours=1, minutes=30))
    salesforce.delete("Task", ids["Task"][0], NOW + timedelta(hours=1, minutes=31))
    report = run(sessions, salesforce, clock, rsa_key)
    by_obj = {s.obj: s for s in report.objects}
    assert by_obj["Contact"].updated == 1 and by_obj["Task"].skipped == {DELETED: 1}
    with sessions() as session:
        gone = session.scalars(select(Contact).where(Contact.source_id == ids["Contact"][0])).one()
    assert gone.active is False


def test_a_salesforce_sync_saves_the_owners_managers_for_escalation(
    db_url: str,
    sessions: sessionmaker[Session],
    salesforce: FakeSalesforce,
    clock: FakeClock,
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    from storage.escalation import managers

    fill(salesforce)
    boss = salesforce.add("User", {"Name": "Ada Boss", "FirstName": "Ada", "LastName": "Boss",
                                   "Email": "ada@example.com", "IsActive": True, "UserType": "Standard"},
                          modified=T0 + timedelta(days=2))  # fmt: skip
    salesforce.add("User", {"Name": "Lee Rep", "FirstName": "Lee", "LastName": "Rep", "Email": "lee@example.com",
                            "IsActive": True, "UserType": "Standard", "ManagerId": boss},
                   modified=T0 + timedelta(days=2))  # fmt: skip
    run(sessions, salesforce, clock, rsa_key)
    with sessions() as session:
        found = managers(session, SYNCED)
    assert set(found) == {"lee@example.com"}, found
    assert found["lee@example.com"][0] == "ada@example.com"
