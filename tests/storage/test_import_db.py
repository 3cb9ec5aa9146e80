"""storage.importing.writers on SQLite and PostgreSQL: happy paths, idempotence, all-or-nothing, workspace isolation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.db import ensure_workspace
from storage.importing.csv_formats import parse_rows
from storage.importing.rows import ImportRejected
from storage.importing.writers import import_accounts, import_contacts, import_interactions, import_revenue
from storage.models import Account, Contact, Interaction, RevenueMonth, SlackUser
from storage.writes.edits import touch_dedup_key
from tests.conftest import NOW

WRITERS = {
    "accounts": import_accounts,
    "contacts": import_contacts,
    "interactions": import_interactions,
    "revenue": import_revenue,
}

ACCOUNTS = (
    "name,owner,stage,annual_revenue,wallet_share,profit_margin,strategic_value,aliases,domain\n"
    'Acme Corp,U0OWNER1,client,"$1,200,000",45%,-3.5,high,ACME;Acme Inc,acme.com\n'
    "Globex,ann@globex.example,client,800000,80,30,,Globex Corp,\n"
    "Initech,,prospect,,,,,,\n"
)
CONTACTS = (
    "account,name,title,email,role,active\n"
    "Acme Corp,Wile Coyote,CEO,wile@acme.com,decision_maker,yes\n"
    "acme,Road Runner,,rr@acme.com,user,no\n"
    "Globex Corp,Hank Scorpio,Founder,hank@globex.example,Decision Maker,\n"
)
INTERACTIONS = (
    "account,date,kind,contact,colleague,note\n"
    "Acme Corp,2026-11-01T10:00,meeting,Wile Coyote,U0OWNER1,QBR\n"
    "Acme Corp,2026-11-02,call,RR@acme.com,ann@globex.example,\n"
    "Globex,2026-10-01 09:30:00+02:00,email,,U0OWNER1,Sent proposal\n"
    "Acme Corp,2026-11-01T10:00,meeting,Wile Coyote,U0OWNER1,QBR\n"
)
REVENUE = (
    'account,month,amount\nAcme Corp,2026-09,100000\nAcme Corp,2026-10,"$90,000"\nGlobex,2026-10,70000\n'
)


def load(sessions: sessionmaker[Session], kind: str, text: str, team: str = "T1") -> Any:
    rows = parse_rows(kind, text.encode("utf-8"))
    with sessions.begin() as s:
        return WRITERS[kind](s, team, rows, NOW)


def snapshot(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """Every imported row, every column (including updated_at): equal snapshots mean nothing changed."""
    out = {}
    with sessions.begin() as s:
        for model in (Account, Contact, Interaction, RevenueMonth):
            table = model.__table__
            out[table.name] = [tuple(r) for r in s.execute(select(table).order_by(table.c.id))]
    return out


def load_all(sessions: sessionmaker[Session], team: str = "T1") -> None:
    for kind, text in (
        ("accounts", ACCOUNTS),
        ("contacts", CONTACTS),
        ("interactions", INTERACTIONS),
        ("revenue", REVENUE),
    ):
        load(sessions, kind, text, team)


def test_happy_path_all_four_kinds(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ensure_workspace(s, "T1")
        s.add(SlackUser(team_id="T1", user_id="U0ANN", email="Ann@Globex.example"))
    result = load(sessions, "accounts", ACCOUNTS)
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    assert load(sessions, "contacts", CONTACTS).created == 3
    inter = load(sessions, "interactions", INTERACTIONS)
    assert (inter.created, inter.unchanged) == (3, 1)
    assert inter.notes == ["1 row(s) repeat another row of the file and count once"]
    assert load(sessions, "revenue", REVENUE).created == 3

    with sessions.begin() as s:
        acme = s.scalar(select(Account).where(Account.name_key == "acme corp"))
        globex = s.scalar(select(Account).where(Account.name_key == "globex"))
        initech = s.scalar(select(Account).where(Account.name_key == "initech"))
        assert acme is not None and globex is not None and initech is not None
        assert (acme.owner, acme.owner_user_id, acme.annual_revenue, acme.wallet_share, acme.profit_margin) == (
            "U0OWNER1", "U0OWNER1", 1_200_000.0, 45.0, -3.5,
        )  # fmt: skip
        assert (
            acme.aliases == ["ACME", "Acme Inc"]
            and acme.domain == "acme.com"
            and acme.strategic_value == "high"
        )
        assert (globex.owner, globex.owner_user_id, globex.strategic_value) == (
            "ann@globex.example",
            "U0ANN",
            None,
        )
        assert initech.stage == "prospect" and initech.aliases == [] and initech.owner is None
        contacts = {c.name: c for c in s.scalars(select(Contact))}
        assert contacts["Road Runner"].account_id == acme.id and contacts["Road Runner"].active is False
        assert (
            contacts["Hank Scorpio"].account_id == globex.id
            and contacts["Hank Scorpio"].role == "decision_maker"
        )
        assert contacts["Hank Scorpio"].active is True
        touches = s.scalars(select(Interaction).order_by(Interaction.occurred_at)).all()
        assert [(t.account_id, t.kind, t.colleague) for t in touches] == [
            (globex.id, "email", "U0OWNER1"),
            (acme.id, "meeting", "U0OWNER1"),
            (acme.id, "call", "U0ANN"),  # email resolved to the known Slack user
        ]
        assert (
            touches[0].occurred_at == datetime(2026, 10, 1, 7, 30, tzinfo=UTC)
            and touches[0].contact_id is None
        )
        assert touches[2].contact_id == contacts["Road Runner"].id
        assert touches[1].dedup_key == touch_dedup_key(
            acme.id,
            datetime(2026, 11, 1, 10, tzinfo=UTC),
            "meeting",
            contacts["Wile Coyote"].id,
            "U0OWNER1",
            "QBR",
        )
        months = {(r.account_id, r.month): r.amount for r in s.scalars(select(RevenueMonth))}
        assert months == {
            (acme.id, date(2026, 9, 1)): 100000.0,
            (acme.id, date(2026, 10, 1)): 90000.0,
            (globex.id, date(2026, 10, 1)): 70000.0,
        }


def test_importing_the_same_files_twice_changes_nothing(sessions: sessionmaker[Session]) -> None:
    load_all(sessions)
    before = snapshot(sessions)
    for kind, text in (
        ("accounts", ACCOUNTS),
        ("contacts", CONTACTS),
        ("interactions", INTERACTIONS),
        ("revenue", REVENUE),
    ):
        rows = parse_rows(kind, text.encode())
        with sessions.begin() as s:
            result = WRITERS[kind](s, "T1", rows, NOW + timedelta(days=1))
        assert (result.created, result.updated) == (0, 0), kind
        assert result.unchanged == result.rows
    assert snapshot(sessions) == before


def test_upsert_updates_only_columns_present_and_changed(sessions: sessionmaker[Session]) -> None:
    load_all(sessions)
    rows = parse_rows("accounts", b"Name,Annual Revenue,industry\nACME CORP,2000000,Anvils\nGlobex,800000,\n")
    with sessions.begin() as s:
        result = import_accounts(s, "T1", rows, NOW + timedelta(days=2))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)  # Globex: same values
    with sessions.begin() as s:
        acme = s.scalar(select(Account).where(Account.name_key == "acme corp"))
        assert acme is not None
        assert (acme.name, acme.annual_revenue, acme.industry) == ("ACME CORP", 2_000_000.0, "Anvils")
        assert acme.wallet_share == 45.0 and acme.aliases == ["ACME", "Acme Inc"] and acme.owner == "U0OWNER1"
        assert acme.updated_at == NOW + timedelta(days=2) and acme.created_at == NOW
    rev = load(sessions, "revenue", "account,month,amount\nAcme Corp,2026-10,95000\nAcme Corp,2026-11,1\n")
    assert (rev.created, rev.updated, rev.unchanged) == (1, 1, 0)
    con = load(sessions, "contacts", "account,name,title\nAcme Corp,wile  coyote,Chief Genius\n")
    assert (con.created, con.updated) == (0, 1)
    with sessions.begin() as s:
        wile = s.scalar(select(Contact).where(Contact.name_key == "wile coyote"))
        assert wile is not None and (wile.name, wile.title, wile.email) == (
            "wile  coyote",
            "Chief Genius",
            "wile@acme.com",
        )


def test_unknown_accounts_and_contacts_reject_everything(sessions: sessionmaker[Session]) -> None:
    load(sessions, "accounts", ACCOUNTS)
    load(sessions, "contacts", CONTACTS)
    before = snapshot(sessions)
    bad_contacts = "account,name\nAcme Corp,New Person\nAcme Crop,Someone\nGlobex,Other\nNobody Inc,X\n"
    with pytest.raises(ImportRejected) as info:
        load(sessions, "contacts", bad_contacts)
    assert [str(e) for e in info.value.errors] == [
        "line 3, column account: 'Acme Crop' - expected the name of an existing account (import accounts first)",
        "line 5, column account: 'Nobody Inc' - expected the name of an existing account (import accounts first)",
    ]
    bad_touches = "account,date,kind,contact\nAcme Corp,2026-11-03,call,Wile Coyote\nGlobex,2026-11-03,call,Wile Coyote\n"
    with pytest.raises(ImportRejected) as info:
        load(sessions, "interactions", bad_touches)
    assert [str(e) for e in info.value.errors] == [
        "line 3, column contact: 'Wile Coyote' - expected the name or email of a contact of Globex (import contacts first)"
    ]
    with pytest.raises(ImportRejected) as info:
        load(sessions, "revenue", "account,month,amount\nAcme Corp,2026-01,5\nGhost,2026-01,5\n")
    assert [e.line for e in info.value.errors] == [3]
    assert snapshot(sessions) == before


def test_alias_resolution_and_shared_alias_and_duplicate_through_alias(
    sessions: sessionmaker[Session],
) -> None:
    load(sessions, "accounts", "name,aliases\nApex Bank,Apex\nApex Logistics,apex;AL\n")
    with pytest.raises(ImportRejected) as info:
        load(sessions, "revenue", "account,month,amount\nAL,2026-01,5\napex,2026-01,5\n")
    assert [str(e) for e in info.value.errors] == [
        "line 3, column account: 'apex' - expected one account, but that alias is shared; use the account's full name"
    ]
    with pytest.raises(ImportRejected) as info:
        load(sessions, "revenue", "account,month,amount\nAL,2026-01,5\nApex Logistics,2026-01,6\n")
    assert [str(e) for e in info.value.errors] == [
        "line 3, column month: '2026-01' - expected one row per account and month (same as line 2)"
    ]
    assert load(sessions, "revenue", "account,month,amount\nAL,2026-01,5\n").created == 1


def test_failure_after_the_writes_rolls_everything_back(sessions: sessionmaker[Session]) -> None:
    """A crash after several chunks were written leaves the database as it was (one transaction)."""
    load(sessions, "accounts", ACCOUNTS)
    before = snapshot(sessions)
    rows = parse_rows(
        "accounts", ("name,industry\n" + "".join(f"New {i},x\n" for i in range(12_000))).encode()
    )
    with pytest.raises(RuntimeError, match="crash"), sessions.begin() as s:
        assert import_accounts(s, "T1", rows, NOW).created == 12_000
        raise RuntimeError("crash after writing")
    assert snapshot(sessions) == before


def test_workspaces_are_isolated(sessions: sessionmaker[Session]) -> None:
    load_all(sessions, "T1")
    result = load(sessions, "accounts", ACCOUNTS, team="T2")
    assert result.created == 3  # same names, other workspace: new accounts
    with pytest.raises(ImportRejected):
        load(sessions, "contacts", "account,name\nNot In T2,Ann\n", team="T2")
    with sessions.begin() as s:
        assert len(s.scalars(select(Account).where(Account.team_id == "T2")).all()) == 3
        assert s.scalars(select(Contact).where(Contact.team_id == "T2")).all() == []


def test_a_touch_logged_in_slack_is_not_imported_twice(sessions: sessionmaker[Session]) -> None:
    from storage.writes.edits import log_touch

    load(sessions, "accounts", ACCOUNTS)
    with sessions.begin() as s:
        acme = s.scalar(select(Account).where(Account.name_key == "acme corp"))
        assert acme is not None
        when = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
        assert log_touch(
            s,
            team_id="T1",
            account_id=acme.id,
            kind="call",
            occurred_at=when,
            created_by="U0OWNER1",
            note="Renewal",
        )
    result = load(
        sessions,
        "interactions",
        "account,date,kind,colleague,note\nAcme Corp,2026-11-03T16:00+01:00,call,U0OWNER1,Renewal\n",
    )
    assert (result.created, result.unchanged) == (0, 1)


def test_import_file_stores_classes_and_rollups_in_the_import_transaction(sessions) -> None:
    """Every importer (the CLI, the demo) goes through import_file: the next nudge run finds them ready."""
    from accounts.thresholds import Thresholds
    from storage.importing.files import import_file
    from storage.models import Workspace
    from storage.stored.grades import fingerprint
    from storage.stored.rollups import rollups_key

    th = Thresholds()
    with sessions.begin() as s:
        data = b"name,annual_revenue,profitability\nAcme,5000000,high\nGlobex,1000,low\n"
        result = import_file(s, "T1", "accounts", data, NOW, th)
        assert (result.rows, result.created) == (2, 2)
    with sessions() as s:
        ws = s.get_one(Workspace, "T1")
        assert ws.classified_with == fingerprint(th) and ws.rollups_for == rollups_key(NOW, th)
        tiers = dict(s.execute(select(Account.name, Account.tier)).all())
        assert tiers == {"Acme": "key", "Globex": "secondary"}
