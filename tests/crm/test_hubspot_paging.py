"""HubSpot reading against the loopback fake: list paging, archived records, keyset search windows past
10,000 results, associations in batches, resume positions, watermarks and the API version switch."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from crm.errors import ApiError
from crm.hubspot import API_VERSION, SEARCH_PAGE, HubSpotClient
from crm.pages import CrmRecord, Page
from tests.crm.conftest import T0
from tests.fakes.clock import FakeClock
from tests.fakes.hubspot_api import TOKEN, FakeHubSpot


def client_for(fake: FakeHubSpot, clock: FakeClock, **kwargs: object) -> HubSpotClient:
    return HubSpotClient(TOKEN, fake.base_url, clock=clock, **kwargs)  # type: ignore[arg-type]


def drain(pages: Iterator[Page]) -> tuple[list[Page], list[CrmRecord]]:
    got = list(pages)
    return got, [r for p in got for r in p.records]


def search_requests(n: int) -> int:
    """Keyset paging re-reads the last record of each page as the next query's first (its time is the
    next lower bound), so pages after the first bring SEARCH_PAGE - 1 new records each."""
    if n <= SEARCH_PAGE:
        return 1
    return 1 + math.ceil((n - SEARCH_PAGE) / (SEARCH_PAGE - 1))


@pytest.mark.parametrize("n", [0, 1, 100, 250, 1000])
def test_full_sync_lists_100_a_page(hubspot: FakeHubSpot, clock: FakeClock, n: int) -> None:
    ids = hubspot.add_many("companies", n, start=T0)
    with client_for(hubspot, clock) as client:
        pages, records = drain(client.records("companies"))
    assert sorted(r["id"] for r in records) == sorted(ids)
    assert hubspot.counts["list:companies"] == max(1, math.ceil(n / 100))
    assert hubspot.counts["list-archived:companies"] == 1
    assert all(c.params["limit"] == ["100"] for c in hubspot.calls if c.label == "list:companies")
    assert pages[-1].last and all(not p.last for p in pages[:-1])
    assert sum(p.requests for p in pages) == sum(hubspot.counts.values())


def test_records_carry_the_profile_properties_and_the_modification_time(
    hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    record_id = hubspot.add(
        "companies", {"name": "Globex", "domain": "globex.example", "annualrevenue": "1200000"},
        modified=T0 + timedelta(seconds=5, milliseconds=250),
    )  # fmt: skip
    with client_for(hubspot, clock) as client:
        _, records = drain(client.records("companies"))
    (record,) = records
    assert record["id"] == record_id and record["source"] == "hubspot" and record["kind"] == "companies"
    assert record["modified_at"] == T0 + timedelta(seconds=5, milliseconds=250)
    assert record["deleted"] is False
    assert record["fields"]["name"] == "Globex" and record["fields"]["annualrevenue"] == "1200000"
    assert record["fields"]["hs_object_id"] == record_id
    assert "hs_lastmodifieddate" not in record["fields"]  # modified_at holds it; fields are the profile's


def test_archived_records_are_noticed_in_a_full_and_an_incremental_sync(
    hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    live = hubspot.add_many("deals", 3, start=T0)
    old = hubspot.add("deals", {"dealname": "old"}, modified=T0, archived_at=T0 + timedelta(hours=1))
    with client_for(hubspot, clock) as client:
        pages, records = drain(client.records("deals"))
        watermark = pages[-1].watermark
        assert {r["id"]: r["deleted"] for r in records} == {**dict.fromkeys(live, False), old: True}
        assert next(r for r in records if r["id"] == old)["modified_at"] == T0 + timedelta(hours=1)

        assert watermark is not None
        hubspot.archive("deals", live[0], at=watermark + timedelta(seconds=5))
        clock.advance(3600)
        _, later = drain(client.records("deals", since=watermark))
    assert [(r["id"], r["deleted"]) for r in later] == [(live[0], True)]  # the old archive is not repeated


def test_deleted_false_skips_the_archived_list(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.add_many("companies", 5, start=T0)
    with client_for(hubspot, clock) as client:
        pages, records = drain(client.records("companies", deleted=False))
    assert len(records) == 5 and len(pages) == 1 and pages[0].last
    assert hubspot.counts["list-archived:companies"] == 0


def test_full_sync_watermark_is_its_start_less_settle(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.add_many("companies", 150, start=T0)
    start = clock.now()
    with client_for(hubspot, clock, settle=timedelta(seconds=60)) as client:
        pages, _ = drain(client.records("companies"))
    assert [p.watermark for p in pages[:-1]] == [None] * (len(pages) - 1)  # a full pass: no old watermark
    assert pages[-1].watermark == start - timedelta(seconds=60)


@pytest.mark.parametrize("n", [150, 12_000])
def test_incremental_search_reads_every_change_and_never_pages_past_10000(
    hubspot: FakeHubSpot, clock: FakeClock, n: int
) -> None:
    """12,000 changes in one window: a single paged query would need `after` offsets past 10,000, which
    HubSpot refuses (400). The moving window starts each query at the last time read instead."""
    hubspot.add_many("companies", 20, start=T0 - timedelta(days=10))  # before the watermark: not read
    ids = hubspot.add_many("companies", n, start=T0, step=timedelta(milliseconds=7))
    with client_for(hubspot, clock) as client:
        pages, records = drain(client.records("companies", since=T0, deleted=False))
    assert sorted({r["id"] for r in records}) == sorted(ids)
    assert len(records) == n  # the record repeated as each next query's first is dropped
    assert hubspot.counts["search:companies"] == search_requests(n)
    assert hubspot.answered(400) == 0 and hubspot.answered(429) == 0
    bodies = [c.body for c in hubspot.calls if c.label == "search:companies"]
    assert all("after" not in b and b["limit"] == SEARCH_PAGE for b in bodies)
    assert max(int(hubspot.calls[0].body["limit"]), 0) == 200
    assert pages[-1].watermark == pages[-1].watermark and pages[-1].last
    watermarks = {p.watermark for p in pages[:-1]}
    assert watermarks <= {T0}  # intermediate pages keep the old watermark; the resume position moves


def test_a_record_changed_while_the_pass_runs_shifts_nothing_unseen(
    hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    """With `after` offsets, a record of page 1 modified mid-pass leaves the window and every later record
    moves up one place: the first of page 2 would never be read. Keyset windows cannot skip it."""
    ids = hubspot.add_many("contacts", 600, start=T0)
    seen: list[str] = []
    with client_for(hubspot, clock) as client:
        for i, page in enumerate(client.records("contacts", since=T0, deleted=False)):
            seen += [r["id"] for r in page.records]
            if i == 0:
                hubspot.modify("contacts", ids[3], at=clock.now())  # after the pass's upper bound
    assert set(seen) == set(ids)


def test_contacts_are_searched_by_their_own_modification_property(
    hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    hubspot.add_many("contacts", 3, start=T0)
    with client_for(hubspot, clock) as client:
        _, records = drain(client.records("contacts", since=T0 - timedelta(days=1), deleted=False))
    assert len(records) == 3 and hubspot.answered(400) == 0
    (body,) = [c.body for c in hubspot.calls if c.label == "search:contacts"]
    assert {f["propertyName"] for f in body["filterGroups"][0]["filters"]} == {"lastmodifieddate"}


def test_more_than_a_page_modified_in_one_millisecond_is_read_whole(
    hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    ids = [hubspot.add("deals", {"dealname": f"d{i}"}, modified=T0) for i in range(450)]
    after = hubspot.add("deals", {"dealname": "later"}, modified=T0 + timedelta(seconds=1))
    with client_for(hubspot, clock) as client:
        _, records = drain(client.records("deals", since=T0, deleted=False))
    assert {r["id"] for r in records} == {*ids, after}
    assert hubspot.answered(400) == 0
    assert hubspot.counts["search:deals"] < 12  # the millisecond paged by id, not re-read forever


def test_second_sync_with_nothing_changed_makes_one_search_request(
    hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    hubspot.add_many("companies", 30, start=T0)
    with client_for(hubspot, clock) as client:
        first, _ = drain(client.records("companies"))
        hubspot.counts.clear()
        clock.advance(3600)
        again, records = drain(client.records("companies", since=first[-1].watermark, deleted=False))
    assert records == [] and hubspot.counts == {"search:companies": 1}
    assert len(again) == 1 and again[0].last and again[0].watermark == clock.now() - timedelta(seconds=60)


def test_a_pass_resumes_after_its_last_written_page(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    ids = hubspot.add_many("companies", 350, start=T0)
    archived = hubspot.add("companies", {"name": "gone"}, modified=T0, archived_at=T0 + timedelta(hours=2))
    written: list[str] = []
    with client_for(hubspot, clock) as client:
        pages = client.records("companies")
        for _ in range(2):  # two pages written, then the run is killed
            page = next(pages)
            written += [r["id"] for r in page.records]
            resume = page.resume
        pages.close()
    assert resume is not None
    with client_for(hubspot, clock) as client:
        rest, records = drain(client.records("companies", resume=resume))
    written += [r["id"] for r in records]
    assert sorted(written) == sorted([*ids, archived]) and len(written) == len(set(written))
    assert hubspot.counts["list:companies"] == 4  # 2 + the 2 left: no page read twice


def test_an_incremental_pass_resumes_too(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    ids = hubspot.add_many("calls", 500, start=T0)
    with client_for(hubspot, clock) as client:
        pages = client.records("calls", since=T0, deleted=False)
        first = next(pages)
        pages.close()
        assert first.resume is not None
        _, records = drain(client.records("calls", resume=first.resume))
    assert {r["id"] for r in first.records} | {r["id"] for r in records} == set(ids)


def test_a_resume_position_of_another_kind_is_refused(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.add_many("companies", 150, start=T0)
    with client_for(hubspot, clock) as client:
        resume = next(client.records("companies")).resume
        assert resume is not None
        with pytest.raises(ValueError, match="not a resume position of deals"):
            next(client.records("deals", resume=resume))


def test_associations_are_read_in_batches_per_page(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    companies = hubspot.add_many("companies", 3, start=T0)
    contacts = hubspot.add_many("contacts", 2, start=T0)
    calls = hubspot.add_many("calls", 250, start=T0)
    for i, call in enumerate(calls):
        hubspot.associate("calls", call, "companies", companies[i % 3])
        if i % 2 == 0:
            hubspot.associate("calls", call, "contacts", contacts[0])
    with client_for(hubspot, clock) as client:
        _, records = drain(client.records("calls", deleted=False))
    by_id = {r["id"]: r for r in records}
    assert by_id[calls[0]]["associations"] == {"companies": [companies[0]], "contacts": [contacts[0]]}
    assert by_id[calls[1]]["associations"] == {"companies": [companies[1]], "contacts": []}
    assert hubspot.counts["associations:calls->companies"] == 3  # one batch per page of 100
    assert hubspot.counts["associations:calls->contacts"] == 3
    (first,) = [c for c in hubspot.calls if c.label == "associations:calls->companies"][:1]
    assert len(first.body["inputs"]) == 100


def test_associations_beyond_a_page_are_followed(clock: FakeClock) -> None:
    with FakeHubSpot(clock=clock, association_page=2) as hubspot:
        meeting = hubspot.add("meetings", {"hs_meeting_title": "QBR"}, modified=T0)
        people = hubspot.add_many("contacts", 5, start=T0)
        for person in people:
            hubspot.associate("meetings", meeting, "contacts", person)
        with client_for(hubspot, clock) as client:
            _, (record,) = drain(client.records("meetings", deleted=False))
        assert sorted(record["associations"]["contacts"]) == sorted(people)
        assert record["associations"]["companies"] == []
        assert hubspot.counts["associations:meetings->contacts"] == 3  # 2 + 2 + 1


def test_owners_are_listed_whole_live_and_archived(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    kept = hubspot.add_owner("ana@example.com", first="Ana", last="Lima", modified=T0)
    gone = hubspot.add_owner("sam@example.com", first="Sam", last="Old", modified=T0, archived=True)
    with client_for(hubspot, clock) as client:
        pages, records = drain(client.records("owners", since=T0))
    assert {r["id"]: r["deleted"] for r in records} == {kept: False, gone: True}
    assert next(r for r in records if r["id"] == kept)["fields"]["email"] == "ana@example.com"
    assert hubspot.counts["owners"] == 1 and hubspot.counts["owners-archived"] == 1
    assert pages[-1].last


def test_count_is_one_search_request(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.add_many("deals", 42, start=T0)
    with client_for(hubspot, clock) as client:
        assert client.count("deals") == 42
    assert hubspot.counts == {"search:deals": 1}


@pytest.mark.parametrize("version", [API_VERSION, "v3"])
def test_the_api_version_is_one_setting_for_client_and_fake(clock: FakeClock, version: str) -> None:
    with FakeHubSpot(clock=clock, version=version) as hubspot:
        hubspot.add_many("companies", 2, start=T0)
        with client_for(hubspot, clock, api_version=version) as client:
            _, records = drain(client.records("companies", deleted=False))
        assert len(records) == 2
        path = hubspot.calls[0].path
        assert path == (
            "/crm/v3/objects/companies" if version == "v3" else f"/crm/objects/{version}/companies"
        )


def test_the_default_version_is_date_based(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    assert API_VERSION == "2026-03"
    with client_for(hubspot, clock) as client:
        drain(client.records("companies", deleted=False))
    assert hubspot.calls[0].path == "/crm/objects/2026-03/companies"


def test_a_client_on_another_version_than_the_server_gets_404(clock: FakeClock) -> None:
    with FakeHubSpot(clock=clock, version="v3") as hubspot, client_for(hubspot, clock) as client:
        with pytest.raises(ApiError) as caught:
            next(client.records("companies"))
    assert caught.value.status == 404


def test_the_client_talks_over_real_http(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    """The fake is a real server: a plain httpx request sees its headers."""
    answer = httpx.get(
        hubspot.base_url + "/crm/objects/2026-03/companies", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 200 and answer.headers["X-HubSpot-RateLimit-Max"] == "190"
