"""Salesforce reading against the loopback fake: the JWT bearer login, SOQL paging by nextRecordsUrl,
deleted records through queryAll, watermarks and resume positions, the 16 KB URI, the allocation limits,
the one re-login after a 401, 5xx and slow answers."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from crm.errors import AllocationLimitReached, AnswerTimedOut, AuthFailed, ServerError
from crm.salesforce import SalesforceClient, default_audience
from tests.crm.conftest import T0
from tests.fakes.clock import FakeClock
from tests.fakes.salesforce_api import CONSUMER_KEY, USERNAME, FakeSalesforce


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
def salesforce(clock: FakeClock, rsa_key: rsa.RSAPrivateKey) -> Iterator[FakeSalesforce]:
    with FakeSalesforce(rsa_key.public_key(), clock=clock) as fake:
        yield fake


def client_for(
    fake: FakeSalesforce, clock: FakeClock, key: rsa.RSAPrivateKey, **kwargs: Any
) -> SalesforceClient:
    return SalesforceClient(
        fake.base_url, CONSUMER_KEY, USERNAME, private_key=pem(key), clock=clock, **kwargs
    )


# ------------------------------------------------------------------------------------------- login


def test_the_jwt_bearer_login_gives_the_instance_url(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    with client_for(salesforce, clock, rsa_key) as client:
        client.login()
        assert client.instance_url == salesforce.base_url and client.access_token in salesforce.sessions
    assert salesforce.counts["token"] == 1


def test_the_private_key_file_is_read(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey, tmp_path: object
) -> None:
    from pathlib import Path

    key_file = Path(str(tmp_path)) / "server.key"
    key_file.write_bytes(pem(rsa_key))
    with SalesforceClient(
        salesforce.base_url, CONSUMER_KEY, USERNAME, private_key_file=key_file, clock=clock
    ) as client:
        client.login()
    assert salesforce.counts["token"] == 1


def test_a_key_the_connected_app_does_not_know_is_refused(
    salesforce: FakeSalesforce, clock: FakeClock
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with client_for(salesforce, clock, other) as client, pytest.raises(AuthFailed) as caught:
        client.login()
    assert "invalid assertion" in str(caught.value) and "certificate" in str(caught.value)


def test_an_unapproved_user_is_told_how_to_pre_authorize(
    clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    with FakeSalesforce(rsa_key.public_key(), clock=clock, approved=False) as fake:
        with client_for(fake, clock, rsa_key) as client, pytest.raises(AuthFailed, match="pre-authorized"):
            client.login()


def test_a_wrong_consumer_key_is_named(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    with SalesforceClient(
        salesforce.base_url, "wrong", USERNAME, private_key=pem(rsa_key), clock=clock
    ) as client:
        with pytest.raises(AuthFailed, match="SALESFORCE_CONSUMER_KEY"):
            client.login()


def test_a_missing_key_file_is_refused_before_any_request(tmp_path: object) -> None:
    with pytest.raises(AuthFailed, match="cannot be read"):
        SalesforceClient(
            "https://login.salesforce.com", CONSUMER_KEY, USERNAME, private_key_file=f"{tmp_path}/none.key"
        )


def test_the_audience_follows_the_login_url() -> None:
    assert default_audience("https://login.salesforce.com") == "https://login.salesforce.com"
    assert default_audience("https://test.salesforce.com") == "https://test.salesforce.com"
    assert default_audience("https://acme--uat.sandbox.my.salesforce.com") == "https://test.salesforce.com"
    assert default_audience("https://acme.my.salesforce.com") == "https://login.salesforce.com"


# ------------------------------------------------------------------------------------------- paging


@pytest.mark.parametrize("n", [0, 1, 2000, 4500])
def test_a_full_sync_pages_2000_a_batch(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey, n: int
) -> None:
    ids = salesforce.add_many("Account", n, start=T0)
    with client_for(salesforce, clock, rsa_key) as client:
        pages = list(client.records("Account"))
    records = [r for p in pages for r in p.records]
    assert [r["id"] for r in records] == ids  # in SystemModstamp order
    assert salesforce.counts["queryAll:Account"] == 1
    assert salesforce.counts["queryAll:Account"] + salesforce.counts["more:Account"] == max(
        1, math.ceil(n / 2000)
    )
    assert pages[-1].last and all(p.resume for p in pages[:-1])
    assert pages[-1].watermark == clock.now() - timedelta(seconds=60)


def test_records_carry_the_profile_fields(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    account = salesforce.add("Account", {"Name": "Globex", "Industry": "Logistics", "AnnualRevenue": 1.2e6},
                             modified=T0 + timedelta(seconds=3))  # fmt: skip
    with client_for(salesforce, clock, rsa_key) as client:
        (record,) = [r for p in client.records("Account") for r in p.records]
    assert record["id"] == account and record["source"] == "salesforce" and record["kind"] == "Account"
    assert record["modified_at"] == T0 + timedelta(seconds=3) and record["deleted"] is False
    assert record["fields"]["Name"] == "Globex" and record["fields"]["AnnualRevenue"] == 1.2e6
    assert set(record["fields"]) == {"Id", "Name", "OwnerId", "Type", "Industry", "Website", "AnnualRevenue",
                                     "CurrencyIsoCode"}  # fmt: skip
    (soql,) = salesforce.queries
    assert soql.startswith("SELECT Id, SystemModstamp, IsDeleted, Name, OwnerId")
    assert soql.endswith("ORDER BY SystemModstamp ASC, Id ASC")


def test_deleted_records_come_through_query_all(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    kept, gone = salesforce.add_many("Opportunity", 2, start=T0)
    with client_for(salesforce, clock, rsa_key) as client:
        first = list(client.records("Opportunity"))
        salesforce.delete("Opportunity", gone, at=clock.now())
        clock.advance(3600)
        later = [r for p in client.records("Opportunity", since=first[-1].watermark) for r in p.records]
    assert [(r["id"], r["deleted"]) for r in later] == [(gone, True)]
    assert kept not in {r["id"] for r in later}


def test_users_are_queried_without_is_deleted(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    salesforce.add("User", {"Email": "ana@example.com", "IsActive": True}, modified=T0)
    with client_for(salesforce, clock, rsa_key) as client:
        (record,) = [r for p in client.records("User") for r in p.records]
    assert record["deleted"] is False and record["fields"]["Email"] == "ana@example.com"
    assert salesforce.counts["query:User"] == 1 and "IsDeleted" not in salesforce.queries[0]


def test_an_incremental_pass_reads_only_what_changed(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    ids = salesforce.add_many("Contact", 10, start=T0, values={"LastName": "X"})
    with client_for(salesforce, clock, rsa_key) as client:
        first = list(client.records("Contact"))
        salesforce.modify("Contact", ids[4], at=clock.now(), Title="CFO")
        clock.advance(120)
        later = [r for p in client.records("Contact", since=first[-1].watermark) for r in p.records]
        clock.advance(120)
        assert first[-1].watermark is not None
        again = list(client.records("Contact", since=first[-1].watermark + timedelta(seconds=120)))
    assert [(r["id"], r["fields"]["Title"]) for r in later] == [(ids[4], "CFO")]
    assert len(again) == 1 and again[0].records == []  # nothing changed: one query, one empty page


def test_a_pass_resumes_after_its_last_written_page(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    ids = salesforce.add_many("Task", 5000, start=T0, step=timedelta(milliseconds=400))
    written: list[str] = []
    with client_for(salesforce, clock, rsa_key) as client:
        pages = client.records("Task")
        page = next(pages)
        written += [r["id"] for r in page.records]
        pages.close()  # killed after writing one page
    assert page.resume is not None
    with client_for(salesforce, clock, rsa_key) as client:
        written += [r["id"] for p in client.records("Task", resume=page.resume) for r in p.records]
    assert set(written) == set(ids)
    assert len(written) - len(set(written)) <= 3  # at most the records of the page's last second, again


def test_fields_the_org_lacks_are_left_out(clock: FakeClock, rsa_key: rsa.RSAPrivateKey) -> None:
    with FakeSalesforce(rsa_key.public_key(), clock=clock, multicurrency=False) as fake:
        fake.add("Account", {"Name": "Initech"}, modified=T0)
        with client_for(fake, clock, rsa_key) as client:
            (record,) = [r for p in client.records("Account") for r in p.records]
            list(client.records("Account"))  # the describe is kept
        assert "CurrencyIsoCode" not in record["fields"] and fake.statuses[400] == 0
        assert fake.counts["describe"] == 1


def test_without_the_field_check_a_missing_field_is_an_invalid_field_error(
    clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    from crm.errors import ApiError

    with FakeSalesforce(rsa_key.public_key(), clock=clock, multicurrency=False) as fake:
        with (
            client_for(fake, clock, rsa_key, check_fields=False) as client,
            pytest.raises(ApiError) as caught,
        ):
            list(client.records("Account"))
    assert caught.value.code == "INVALID_FIELD" and "CurrencyIsoCode" in str(caught.value)


def test_long_field_lists_and_id_lists_keep_the_uri_under_the_limit(
    clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    custom = [f"Very_Long_Custom_Field_Name_For_Testing_{i:02d}__c" for i in range(40)]
    with FakeSalesforce(rsa_key.public_key(), clock=clock, max_uri=1_500) as fake:
        for name in custom:
            fake.add_field("Account", name)
        ids = [fake.add("Account", {"Name": f"a{i}", **{f: f"{i}-{f[-5:]}" for f in custom}}, modified=T0 + timedelta(seconds=i))
               for i in range(60)]  # fmt: skip
        with client_for(fake, clock, rsa_key, max_uri=1_400, extra_fields={"Account": custom}) as client:
            records = [r for p in client.records("Account") for r in p.records]
        assert [r["id"] for r in records] == ids
        assert all(r["fields"][f] == f"{i}-{f[-5:]}" for i, r in enumerate(records) for f in custom)
        assert fake.statuses[414] == 0 and max(fake.uri_lengths) <= 1_400
        assert fake.counts["queryAll"] > 3  # the fields and the ids were split over several queries


def test_count(salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey) -> None:
    salesforce.add_many("Event", 7, start=T0)
    with client_for(salesforce, clock, rsa_key) as client:
        assert client.count("Event") == 7
    assert salesforce.counts["query:Event"] == 1


# ------------------------------------------------------------------------------------------- limits


def test_the_sync_stops_at_80_percent_of_the_allocation(clock: FakeClock, rsa_key: rsa.RSAPrivateKey) -> None:
    with FakeSalesforce(rsa_key.public_key(), clock=clock, api_max=100, api_used=75, batch_size=10) as fake:
        ids = fake.add_many("Account", 100, start=T0)
        got: list[str] = []
        with client_for(fake, clock, rsa_key) as client, pytest.raises(AllocationLimitReached) as caught:
            for page in client.records("Account"):
                got += [r["id"] for r in page.records]
                resume = page.resume
        assert fake.api_used == 80  # describe, the query and three more batches; the next was not sent
        assert caught.value.used == 80 and caught.value.allowed == 100
        text = str(caught.value)
        assert (
            "80 of 100 requests (80%)" in text
            and "stops at 80%" in text
            and "resumes from its watermark" in text
        )
        fake.api_used = 0  # the rolling 24 hours moved on
        with client_for(fake, clock, rsa_key) as client:
            got += [r["id"] for p in client.records("Account", resume=resume) for r in p.records]
        assert set(got) == set(ids)


def test_the_share_is_configurable(clock: FakeClock, rsa_key: rsa.RSAPrivateKey) -> None:
    with FakeSalesforce(rsa_key.public_key(), clock=clock, api_max=100, api_used=60) as fake:
        fake.add_many("Account", 3, start=T0)
        with (
            client_for(fake, clock, rsa_key, usage_share=0.5) as client,
            pytest.raises(AllocationLimitReached, match="50%"),
        ):
            list(client.records("Account"))
        assert fake.api_used == 61  # one request to read the header, then the stop


def test_request_limit_exceeded_stops_without_a_retry(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    salesforce.add_many("Account", 3, start=T0)
    salesforce.fail_next("queryAll", status=403)
    with client_for(salesforce, clock, rsa_key) as client, pytest.raises(AllocationLimitReached) as caught:
        list(client.records("Account"))
    assert salesforce.counts["queryAll"] == 1
    assert caught.value.refused == "TotalRequests Limit exceeded."
    assert "REQUEST_LIMIT_EXCEEDED" in str(caught.value) and "without retrying" in str(caught.value)


def test_past_the_allocation_the_fake_refuses_too(clock: FakeClock, rsa_key: rsa.RSAPrivateKey) -> None:
    with FakeSalesforce(rsa_key.public_key(), clock=clock, api_max=10, api_used=10) as fake:
        with (
            client_for(fake, clock, rsa_key, check_fields=False) as client,
            pytest.raises(AllocationLimitReached) as caught,
        ):
            list(client.records("Account"))
        assert caught.value.refused is not None and fake.counts["queryAll"] == 1


def test_an_expired_session_is_refreshed_once(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    salesforce.add_many("Account", 2500, start=T0)
    with client_for(salesforce, clock, rsa_key) as client:
        pages = client.records("Account")
        first = next(pages)
        salesforce.expire_sessions()  # the token expires between two batches
        rest = [r for p in pages for r in p.records]
    assert len(first.records) + len(rest) == 2500
    assert salesforce.counts["token"] == 2 and salesforce.statuses[401] == 1


def test_a_401_after_the_refresh_fails_with_auth_failed(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    salesforce.fail_next("queryAll", status=401, times=2)
    with (
        client_for(salesforce, clock, rsa_key) as client,
        pytest.raises(AuthFailed, match="refused the new session"),
    ):
        list(client.records("Account"))
    assert salesforce.counts["token"] == 2 and salesforce.counts["queryAll"] == 2


def test_5xx_is_retried_with_backoff_then_succeeds(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    salesforce.add_many("Account", 3, start=T0)
    salesforce.fail_next("queryAll", status=503, times=2)
    with client_for(salesforce, clock, rsa_key) as client:
        assert len([r for p in client.records("Account") for r in p.records]) == 3
    assert salesforce.counts["queryAll"] == 3 and clock.sleeps[:2] == [0.5, 1.0]


def test_5xx_is_retried_a_bounded_number_of_times(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    salesforce.fail_next("queryAll", status=500, times=50)
    with client_for(salesforce, clock, rsa_key, retries=2) as client, pytest.raises(ServerError) as caught:
        list(client.records("Account"))
    assert salesforce.counts["queryAll"] == 3 and caught.value.status == 500


def test_a_slow_batch_times_out_and_the_retry_succeeds(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    salesforce.add_many("Account", 2100, start=T0)
    salesforce.slow_next("more", seconds=0.6)
    with client_for(salesforce, clock, rsa_key, timeout=0.2) as client:
        assert len([r for p in client.records("Account") for r in p.records]) == 2100
    assert salesforce.counts["more"] == 2


def test_answers_that_stay_slow_end_in_a_clean_timeout(
    salesforce: FakeSalesforce, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    salesforce.slow_next("queryAll", seconds=0.6, times=10)
    with (
        client_for(salesforce, clock, rsa_key, timeout=0.15, retries=1) as client,
        pytest.raises(AnswerTimedOut),
    ):
        list(client.records("Account"))
    assert salesforce.counts["queryAll"] == 2
