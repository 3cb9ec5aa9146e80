"""Owners' managers from the owner directory's `manager` column (escalation): a Salesforce ManagerId, a full name or
an email resolved through the directory, never guessed; kept by an import (owner_managers), not by a dry run;
a manager named by hand is kept. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from accounts.thresholds import DEFAULT_THRESHOLDS
from storage.escalation import managers, set_manager
from storage.importing.batch import ImportOptions, import_batch
from storage.importing.owners import OwnerDirectory
from tests.conftest import NOW

JANE, CLAIRE, SAM, BOSS = (
    "005Dn000001JuMuIAK",
    "005Dn000001ClDuIAK",
    "005Dn000001SaCaIAK",
    "005Dn000001BoSsIAK",
)


def test_the_directory_resolves_manager_cells_to_emails() -> None:
    d = OwnerDirectory()
    d.add({"id": BOSS, "name": "Big Boss", "email": "boss@example.com"}, "salesforce")
    d.add(
        {"id": JANE, "name": "Jane Doe", "email": "jane@example.com", "manager": BOSS[:15]}, "salesforce"
    )  # 15 chars
    d.add(
        {"id": CLAIRE, "name": "Claire Dubois", "email": "claire@example.com", "manager": "big  BOSS"},
        "salesforce",
    )
    d.add({"id": SAM, "name": "Sam Gone", "email": "sam@example.com", "active": "false"}, "salesforce")
    d.add({"name": "Pat Lee", "email": "pat@example.com", "manager": "Sam Gone"}, "accountbot")  # inactive
    d.add({"name": "Al One", "email": "al@example.com", "manager": "Nobody Known"}, "accountbot")
    d.add({"name": "Twin A", "email": "twin1@example.com"}, "accountbot")
    d.add({"name": "twin a", "email": "twin2@example.com"}, "accountbot")
    d.add(
        {"name": "Cy Two", "email": "cy@example.com", "manager": "Twin A"}, "accountbot"
    )  # two people: not guessed
    d.add({"name": "Me Myself", "email": "me@example.com", "manager": "me@example.com"}, "accountbot")
    d.add({"name": "Ed Mail", "email": "ed@example.com", "manager": "Outside@Elsewhere.com"}, "accountbot")
    assert d.managers() == {
        "jane@example.com": "boss@example.com",
        "claire@example.com": "boss@example.com",
        "ed@example.com": "outside@elsewhere.com",
    }
    assert d.ambiguous_names == []  # manager cells are not reported as owner cells


USERS = (
    '"Id","Name","FirstName","LastName","Email","Username","IsActive","UserType","ManagerId"\n'
    f'"{JANE}","Jane Doe","Jane","Doe","jane@example.com","jane@example.com","true","Standard","{BOSS}"\n'
    f'"{BOSS}","Big Boss","Big","Boss","boss@example.com","boss@example.com","true","Standard",""\n'
)
ACCOUNTS = (
    '"ID","NAME","TYPE","INDUSTRY","ANNUALREVENUE","CURRENCYISOCODE","BILLINGCOUNTRY","WEBSITE","OWNERID"\n'
    f'"001Dn00000AcmUSIAZ","Acme Corp","Customer - Direct","Manufacturing","5000000.0","USD","US","acme.example","{JANE}"\n'
)


def _files(tmp_path: Path) -> list[Path]:
    users, accounts = tmp_path / "User.csv", tmp_path / "Account.csv"
    users.write_text(USERS, encoding="utf-8")
    accounts.write_text(ACCOUNTS, encoding="utf-8")
    return [accounts, users]


def test_an_import_keeps_the_managers_a_dry_run_does_not(session, tmp_path: Path) -> None:
    files = _files(tmp_path)
    import_batch(session, "T1", files, ImportOptions(dry_run=True), NOW, DEFAULT_THRESHOLDS)
    session.rollback()  # what the CLI does after a dry run
    assert managers(session, "T1") == {}
    report = import_batch(session, "T1", files, ImportOptions(), NOW, DEFAULT_THRESHOLDS)
    session.commit()
    assert managers(session, "T1") == {"jane@example.com": ("boss@example.com", "import")}
    assert any("manager recorded" in n for n in report.notes)
    assert managers(session, "T2") == {}
    # a manager set by hand wins over the next import
    set_manager(session, "T1", "jane@example.com", "U0HAND", now=NOW)
    import_batch(session, "T1", files, ImportOptions(), NOW, DEFAULT_THRESHOLDS)
    session.commit()
    assert managers(session, "T1") == {"jane@example.com": ("U0HAND", "cli")}
