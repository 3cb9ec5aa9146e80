"""The live sync's engine (jobs.crm_sync, storage.importing.sync) against the loopback fake HubSpot, on SQLite
and PostgreSQL: a sync equals a file import of the same records, a second sync with nothing changed writes
nothing, and a sync stopped half-way and restarted ends as an uninterrupted one."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from accounts.thresholds import DEFAULT_THRESHOLDS
from crm.errors import DailyLimitReached, ServerError
from crm.hubspot import HubSpotClient
from jobs.crm_sync import SyncStopped, sync
from storage import sync_state
from storage.importing.batch import ImportOptions, import_batch
from storage.importing.sync import ASSOCIATION_COLUMNS, DELETED
from storage.models import Account, Contact, Deal, Interaction, InteractionContact
from tests.conftest import NOW
from tests.crm.conftest import T0
from tests.fakes.clock import FakeClock
from tests.fakes.hubspot_api import TOKEN, FakeHubSpot, hs_time

SYNCED = "TSYNC"
FILED = "TFILE"
OTHER = "TOTHER"
CONNECTED = "f240bbac-87c9-4f6e-bf70-924b57d47db7"
NO_ANSWER = "73a0d17f-1163-4015-bdd5-ec830791da20"


# ------------------------------------------------------------------------------------------- the data


def fill(
    fake: FakeHubSpot, companies: int = 30, contacts_each: int = 2, calls_each: int = 2
) -> dict[str, Any]:
    """Owners, companies, contacts, calls, meetings and deals with their associations, modified from T0 on."""
    at = iter(T0 + timedelta(minutes=i) for i in range(100_000))
    owners = [
        fake.add_owner("jane@example.com", first="Jane", last="Doe", modified=next(at)),
        fake.add_owner("raj@example.com", first="Raj", last="Patel", modified=next(at)),
        fake.add_owner("old@example.com", first="Old", last="Timer", modified=next(at), archived=True),
    ]
    ids: dict[str, list[str]] = {"companies": [], "contacts": [], "calls": [], "meetings": [], "deals": []}
    for i in range(companies):
        kind = "PARTNER" if i == companies - 1 else ("CUSTOMER" if i % 2 == 0 else "PROSPECT")
        company = fake.add(
            "companies",
            {"name": f"Company {i:02d}", "hubspot_owner_id": owners[i % 3], "type": kind,
             "domain": f"company{i}.example", "industry": "COMPUTER_SOFTWARE" if i % 3 else None,
             "annualrevenue": "1000000"},
            modified=next(at),
        )  # fmt: skip
        ids["companies"].append(company)
        people = []
        for j in range(contacts_each):
            contact = fake.add(
                "contacts",
                {"firstname": f"Person{j}", "lastname": f"Of {i:02d}", "email": f"p{j}.{i}@company{i}.example",
                 "jobtitle": "CFO" if j == 0 else "Engineer", "hs_buying_role": "DECISION_MAKER" if j == 0 else None,
                 "hubspot_owner_id": owners[0], "associatedcompanyid": company, "company": f"Company {i:02d}"},
                modified=next(at),
            )  # fmt: skip
            fake.associate("contacts", contact, "companies", company)
            people.append(contact)
            ids["contacts"].append(contact)
        for k in range(calls_each):
            when = NOW - timedelta(days=k + 1, hours=i)
            call = fake.add(
                "calls",
                {"hs_call_title": f"Call {k} with {i:02d}", "hs_timestamp": hs_time(when),
                 "hs_call_body": f"<p>Talked about <b>renewal</b> {k}</p>", "hs_call_status": "COMPLETED",
                 "hs_call_disposition": NO_ANSWER if (i + k) % 7 == 0 else CONNECTED,
                 "hubspot_owner_id": owners[1]},
                modified=next(at),
            )  # fmt: skip
            fake.associate("calls", call, "companies", company)
            if people:
                fake.associate("calls", call, "contacts", people[k % len(people)])
            ids["calls"].append(call)
        if i % 5 == 0:
            meeting = fake.add(
                "meetings",
                {"hs_meeting_title": f"QBR {i:02d}", "hs_meeting_start_time": hs_time(NOW - timedelta(days=10 + i)),
                 "hs_meeting_outcome": "COMPLETED", "hs_meeting_location": "Zoom", "hubspot_owner_id": owners[0]},
                modified=next(at),
            )  # fmt: skip
            fake.associate("meetings", meeting, "companies", company)
            ids["meetings"].append(meeting)
        if i % 3 == 0:
            deal = fake.add(
                "deals",
                {"dealname": f"Renewal {i:02d}", "dealstage": "closedwon" if i % 2 == 0 else "contractsent",
                 "closedate": hs_time(NOW - timedelta(days=40 + i)), "amount": str(10_000 + i * 100),
                 "hubspot_owner_id": owners[0]},
                modified=next(at),
            )  # fmt: skip
            fake.associate("deals", deal, "companies", company)
            ids["deals"].append(deal)
    orphan = fake.add(
        "contacts",
        {"firstname": "No", "lastname": "Company", "email": "nobody@nowhere.example"},
        modified=next(at),
    )
    ids["contacts"].append(orphan)  # no company: skipped no_account, by the sync and the import alike
    return {"owners": owners, **ids}


# ------------------------------------------------------------------------------------------- helpers


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def hubspot(clock: FakeClock) -> Iterator[FakeHubSpot]:
    with FakeHubSpot(clock=clock) as fake:
        yield fake


def client(fake: FakeHubSpot, clock: FakeClock) -> HubSpotClient:
    return HubSpotClient(TOKEN, fake.base_url, clock=clock)


def run(
    sessions: sessionmaker[Session], team: str, fake: FakeHubSpot, clock: FakeClock, **kwargs: Any
) -> Any:
    kwargs.setdefault("now", NOW)
    with client(fake, clock) as hs:
        return sync(sessions, team, hs, thresholds=DEFAULT_THRESHOLDS, **kwargs)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def export_files(fake: FakeHubSpot, folder: Path) -> tuple[list[Path], Path]:
    """The fake's live records as CSV files of the API-name profiles (hubspot-api-*), associations in the
    "Associated ... IDs" columns, and the owners as the owner directory: what an Exports API download holds."""
    from crm.fields import HUBSPOT_KINDS

    files = []
    for kind in ("companies", "contacts", "calls", "meetings", "deals"):
        spec = HUBSPOT_KINDS[kind]
        header = list(spec.properties) + [ASSOCIATION_COLUMNS[t] for t in spec.associations]
        rows = []
        for record in sorted(fake.objects[kind].values(), key=lambda r: int(r.id)):
            if record.archived:
                continue
            props = {**record.properties, "hs_object_id": record.id}
            row = [props.get(p) or "" for p in spec.properties]
            for t in spec.associations:
                row.append(";".join(sorted(fake.assoc.get((kind, t), {}).get(record.id, set()))))
            rows.append(row)
        files.append(write_csv(folder / f"{kind}.csv", header, rows))
    owners = write_csv(
        folder / "owners.csv",
        ["id", "email", "firstName", "lastName", "active"],
        [[o["id"], o["email"], o["firstName"], o["lastName"], "false" if o["archived"] else "true"]
         for o in fake.owners.values()],
    )  # fmt: skip
    return files, owners


def file_import(sessions: sessionmaker[Session], team: str, files: list[Path], owners: Path) -> Any:
    with sessions() as session:
        report = import_batch(session, team, files, ImportOptions(owners=owners), NOW, DEFAULT_THRESHOLDS)
        session.commit()
    return report


def view(session: Session, team: str) -> dict[str, dict[Any, dict[str, Any]]]:
    """Accounts, contacts, touches (with their contacts) and deals of a workspace by identity, every column but
    the row ids (foreign keys shown as the identity of the row they point at)."""
    accounts = session.scalars(select(Account).where(Account.team_id == team)).all()
    key_of = {a.id: (a.source, a.source_id) for a in accounts}
    contacts = session.scalars(select(Contact).where(Contact.team_id == team)).all()
    contact_key = {c.id: (c.source, c.source_id) for c in contacts}

    def columns(row: Any, drop: set[str]) -> dict[str, Any]:
        out = {}
        for col in row.__table__.columns:
            if col.name in drop:
                continue
            value = getattr(row, col.key)
            if col.name == "account_id":
                value = key_of[value]
            elif col.name == "contact_id":
                value = contact_key.get(value)
            out[col.name] = value
        return out

    touches: dict[Any, dict[str, Any]] = {}
    for t in session.scalars(select(Interaction).where(Interaction.team_id == team)):
        shown = columns(t, {"id", "team_id", "dedup_key"})
        shown["contacts"] = sorted(
            contact_key[c.contact_id]
            for c in session.scalars(
                select(InteractionContact).where(InteractionContact.interaction_id == t.id)
            )
        )
        touches[(t.source, t.source_id, key_of[t.account_id])] = shown
    return {
        "accounts": {key_of[a.id]: columns(a, {"id", "team_id"}) for a in accounts},
        "contacts": {contact_key[c.id]: columns(c, {"id", "team_id"}) for c in contacts},
        "interactions": touches,
        "deals": {
            (d.source, d.source_id): columns(d, {"id", "team_id"})
            for d in session.scalars(select(Deal).where(Deal.team_id == team))
        },
    }


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a sync writes, all columns (updated_at and the stored rollups included)."""
    out = {}
    for table in ("accounts", "contacts", "interactions", "interaction_contacts", "deals", "revenue_months",
                  "account_changes", "latest_touches", "workspaces"):  # fmt: skip
        out[table] = [tuple(r) for r in session.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]  # noqa: S608
    return out


# ------------------------------------------------------------------------------------------- the tests


def test_a_sync_equals_a_file_import_of_the_same_records(
    db_url: str, sessions: sessionmaker[Session], hubspot: FakeHubSpot, clock: FakeClock, tmp_path: Path
) -> None:
    data = fill(hubspot)
    report = run(sessions, SYNCED, hubspot, clock)
    by_obj = {s.obj: s for s in report.objects}
    assert by_obj["companies"].created == 29 and by_obj["companies"].skipped == {"stage": 1}
    assert by_obj["contacts"].created == 58 and by_obj["contacts"].skipped == {
        "no_account": 3
    }  # the orphan, and the partner company's two
    assert by_obj["calls"].read == 60 and by_obj["calls"].skipped["not_connected"] > 0
    assert by_obj["deals"].created == 10
    files, owners = export_files(hubspot, tmp_path)
    filed = file_import(sessions, FILED, files, owners)
    assert filed.created["accounts"] == 29
    with sessions() as session:
        synced, imported = view(session, SYNCED), view(session, FILED)
    for kind in ("accounts", "contacts", "interactions", "deals"):
        assert synced[kind], kind
        assert synced[kind] == imported[kind], kind
    # the owners resolved through the owners API: an archived owner's companies have no owner
    assert {a["owner"] for a in synced["accounts"].values()} == {"jane@example.com", "raj@example.com", None}
    calls = [t for t in synced["interactions"].values() if t["kind"] == "call"]
    assert calls and all(t["contacts"] and t["contact_id"] for t in calls)  # associations -> contact ids
    assert len(data["calls"]) == 60
    # the same files imported into the synced workspace: the same records, nothing created or changed
    with sessions() as session:
        before = snapshot(session)
    again = file_import(sessions, SYNCED, files, owners)
    assert sum(again.created.values()) == 0 and sum(again.updated.values()) == 0
    with sessions() as session:
        assert snapshot(session) == before


def test_a_second_sync_with_nothing_changed_writes_nothing(
    db_url: str, sessions: sessionmaker[Session], hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    fill(hubspot)
    run(sessions, SYNCED, hubspot, clock)
    with sessions() as session:
        before = snapshot(session)
        first = sync_state.positions(session, SYNCED, "hubspot")
    clock.advance(3600)
    hubspot.counts.clear()
    report = run(sessions, SYNCED, hubspot, clock)
    with sessions() as session:
        assert snapshot(session) == before
        after = sync_state.positions(session, SYNCED, "hubspot")
    assert all(s.created == s.updated == 0 for s in report.objects)
    # per object: one search (nothing modified since the watermark) and one list of the archived records
    # (deletions); owners are listed whole, live and archived
    assert report.requests == sum(hubspot.counts.values()) == 12
    assert hubspot.counts["search:companies"] == 1 and hubspot.counts["list-archived:companies"] == 1
    assert not any(label.startswith("associations") for label in hubspot.counts)
    assert {o: p.resume for o, p in after.items()} == {o: None for o in first}
    assert first["companies"].watermark is not None and after["companies"].watermark is not None
    assert after["companies"].watermark - first["companies"].watermark >= timedelta(hours=1)


def test_a_later_sync_writes_what_changed_and_notices_deletions(
    db_url: str, sessions: sessionmaker[Session], hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    data = fill(hubspot)
    run(sessions, SYNCED, hubspot, clock)
    clock.advance(3600)
    hubspot.modify("companies", data["companies"][0], NOW + timedelta(minutes=5), name="Company Zero Renamed")
    hubspot.archive("contacts", data["contacts"][0], NOW + timedelta(minutes=6))
    hubspot.archive("companies", data["companies"][1], NOW + timedelta(minutes=7))
    report = run(sessions, SYNCED, hubspot, clock)
    by_obj = {s.obj: s for s in report.objects}
    assert (by_obj["companies"].updated, by_obj["companies"].read) == (1, 2)
    assert by_obj["companies"].skipped == {DELETED: 1}
    assert by_obj["contacts"].updated == 1
    with sessions() as session:
        renamed = session.scalars(select(Account).where(Account.source_id == data["companies"][0])).one()
        gone = session.scalars(select(Contact).where(Contact.source_id == data["contacts"][0])).one()
        kept = session.scalars(select(Account).where(Account.source_id == data["companies"][1])).one()
    assert renamed.name == "Company Zero Renamed"
    assert gone.active is False
    assert kept.name == "Company 01"  # a deleted company is not removed (documented)


def test_a_touch_skipped_as_future_is_written_once_its_time_has_come(
    db_url: str, sessions: sessionmaker[Session], hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    data = fill(hubspot, companies=3)
    meeting = hubspot.add(
        "meetings",
        {"hs_meeting_title": "Kick-off", "hs_meeting_start_time": hs_time(NOW + timedelta(days=2)),
         "hs_meeting_location": "Their office", "hubspot_owner_id": data["owners"][0]},
        modified=T0 + timedelta(days=1),
    )  # fmt: skip
    hubspot.associate("meetings", meeting, "companies", data["companies"][0])
    first = {s.obj: s for s in run(sessions, SYNCED, hubspot, clock).objects}
    assert first["meetings"].skipped == {"future": 1}
    with sessions() as session:
        held = sync_state.load(session, SYNCED, "hubspot", "meetings")
        companies = sync_state.load(session, SYNCED, "hubspot", "companies")
    assert held.watermark == T0 + timedelta(days=1)  # not past the future meeting's modification
    assert companies.watermark is not None and companies.watermark > NOW - timedelta(minutes=2)
    clock.advance(3 * 86_400)
    later = NOW + timedelta(days=3)
    second = {s.obj: s for s in run(sessions, SYNCED, hubspot, clock, now=later).objects}
    assert second["meetings"].created == 1 and not second["meetings"].skipped
    with sessions() as session:
        touch = session.scalars(select(Interaction).where(Interaction.source_id == meeting)).one()
        after = sync_state.load(session, SYNCED, "hubspot", "meetings")
    assert touch.occurred_at == NOW + timedelta(days=2) and touch.kind == "meeting"
    assert (
        after.watermark is not None and after.watermark > later - timedelta(minutes=2) and after.hold is None
    )


class Killed(Exception):
    """Stands for a kill between two pages (after the last committed one)."""


# Pages in order: owners (live, archived), companies (list, archived), contacts (list 100, list 51, archived),
# calls (list 100, list 50, archived), meetings, deals
@pytest.mark.parametrize(("after_pages", "inside"), [(1, "owners"), (4, None), (5, "contacts"), (9, "calls")])
def test_a_sync_killed_half_way_and_restarted_ends_as_an_uninterrupted_one(
    db_url: str,
    sessions: sessionmaker[Session],
    hubspot: FakeHubSpot,
    clock: FakeClock,
    after_pages: int,
    inside: str | None,
) -> None:
    fill(hubspot, companies=30, contacts_each=5, calls_each=5)  # 150 contacts and calls: 2 pages each
    run(sessions, OTHER, hubspot, clock)  # the uninterrupted sync, into another workspace
    seen = 0

    def kill(_synced: Any, _page: Any) -> None:
        nonlocal seen
        seen += 1
        if seen == after_pages:
            raise Killed

    with pytest.raises(Killed):
        run(sessions, SYNCED, hubspot, clock, on_page=kill)
    with sessions() as session:
        resumed = {o: p.resume for o, p in sync_state.positions(session, SYNCED, "hubspot").items()}
    assert [o for o, r in resumed.items() if r] == ([inside] if inside not in (None, "owners") else [])
    run(sessions, SYNCED, hubspot, clock)
    with sessions() as session:
        assert view(session, SYNCED) == view(session, OTHER)
        rows = session.execute(
            text("SELECT team_id, COUNT(*) FROM interactions GROUP BY team_id ORDER BY team_id")
        ).all()
    assert rows[0][1] == rows[1][1]


def test_a_server_error_mid_object_stops_the_run_and_the_next_run_resumes(
    db_url: str, sessions: sessionmaker[Session], hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    fill(hubspot, companies=30, contacts_each=5, calls_each=5)
    run(sessions, OTHER, hubspot, clock)
    armed = False

    def arm(synced: Any, page: Any) -> None:
        nonlocal armed
        if synced.obj == "calls" and not armed:  # the second page of calls fails: 500 beyond the retries
            armed = True
            hubspot.fail_next("list:calls", status=503, times=4)  # the first try and 3 retries

    with client(hubspot, clock) as hs, pytest.raises(SyncStopped) as stopped:
        sync(sessions, SYNCED, hs, now=NOW, thresholds=DEFAULT_THRESHOLDS, on_page=arm)
    assert isinstance(stopped.value.error, ServerError) and stopped.value.obj == "calls"
    with sessions() as session:
        position = sync_state.load(session, SYNCED, "hubspot", "calls")
        assert position.resume is not None and position.last_error
        half = session.execute(
            text("SELECT COUNT(DISTINCT source_id) FROM interactions WHERE team_id = :t"), {"t": SYNCED}
        ).scalar()
    assert half is not None and 0 < half < 120
    with client(hubspot, clock) as hs:
        sync(sessions, SYNCED, hs, now=NOW, thresholds=DEFAULT_THRESHOLDS)
    with sessions() as session:
        assert view(session, SYNCED) == view(session, OTHER)
        assert sync_state.load(session, SYNCED, "hubspot", "calls").last_error is None


def test_a_daily_limit_stops_the_sync_and_keeps_the_watermark(
    db_url: str, sessions: sessionmaker[Session], hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    fill(hubspot, companies=5)
    run(sessions, SYNCED, hubspot, clock)
    with sessions() as session:
        before = sync_state.load(session, SYNCED, "hubspot", "contacts").watermark
    clock.advance(3600)
    hubspot.fail_next("search:contacts", status=429, policy="DAILY")
    with client(hubspot, clock) as hs, pytest.raises(SyncStopped) as stopped:
        sync(sessions, SYNCED, hs, now=NOW, thresholds=DEFAULT_THRESHOLDS)
    assert isinstance(stopped.value.error, DailyLimitReached)
    with sessions() as session:
        position = sync_state.load(session, SYNCED, "hubspot", "contacts")
        companies = sync_state.load(session, SYNCED, "hubspot", "companies")
    assert position.watermark == before and "daily" in (position.last_error or "").lower()
    assert companies.watermark is not None and before is not None
    assert companies.watermark - before >= timedelta(hours=1)  # the objects before the stop moved on
