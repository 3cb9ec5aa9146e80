"""The fakes themselves answer like the documented APIs where the clients' tests lean on it: if one of these
fails, a client test passing means nothing."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from crm.salesforce import API_VERSION as SF_VERSION
from tests.crm.conftest import T0
from tests.fakes.clock import FakeClock
from tests.fakes.hubspot_api import TOKEN, FakeHubSpot
from tests.fakes.salesforce_api import FakeSalesforce, parse_soql

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_hubspot_search_refuses_to_page_past_10000(hubspot: FakeHubSpot) -> None:
    """What a client paging one query by `after` offsets meets past 10,000 results."""
    hubspot.add_many("companies", 3, start=T0)
    url = hubspot.base_url + "/crm/objects/2026-03/companies/search"
    ok = httpx.post(url, json={"limit": 200, "after": "9800"}, headers=AUTH)
    refused = httpx.post(url, json={"limit": 200, "after": "10000"}, headers=AUTH)
    assert ok.status_code == 200 and refused.status_code == 400
    assert "10,000" in refused.json()["message"]


def test_hubspot_search_reports_the_total_and_hides_archived(hubspot: FakeHubSpot) -> None:
    hubspot.add_many("deals", 250, start=T0)
    hubspot.add("deals", {"dealname": "gone"}, modified=T0, archived_at=T0)
    url = hubspot.base_url + "/crm/objects/2026-03/deals/search"
    answer = httpx.post(url, json={"limit": 500}, headers=AUTH).json()
    assert (
        answer["total"] == 250
        and len(answer["results"]) == 200
        and answer["paging"]["next"]["after"] == "200"
    )


def test_hubspot_limits_answer_429_with_the_policy_and_headers(clock: FakeClock) -> None:
    with FakeHubSpot(clock=clock, interval_limit=3) as hubspot:
        url = hubspot.base_url + "/crm/objects/2026-03/companies"
        answers = [httpx.get(url, headers=AUTH) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[2].headers["X-HubSpot-RateLimit-Remaining"] == "0"
        assert answers[3].json()["policyName"] == "TEN_SECONDLY_ROLLING"
        assert answers[3].json()["errorType"] == "RATE_LIMIT"
        clock.advance(10)
        assert httpx.get(url, headers=AUTH).status_code == 200  # the window rolled on
        search = httpx.post(url + "/search", json={}, headers=AUTH)
        assert search.headers["X-HubSpot-RateLimit-Secondly"] == "4"


def test_hubspot_refuses_a_missing_token(hubspot: FakeHubSpot) -> None:
    answer = httpx.get(hubspot.base_url + "/crm/objects/2026-03/companies")
    assert answer.status_code == 401 and answer.json()["category"] == "INVALID_AUTHENTICATION"


@pytest.fixture
def salesforce(clock: FakeClock) -> FakeSalesforce:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return FakeSalesforce(key.public_key(), clock=clock)


def test_salesforce_refuses_a_uri_over_16_kb(salesforce: FakeSalesforce) -> None:
    with salesforce:
        salesforce.sessions.add("t")
        ids = ", ".join(f"'001{i:015d}'" for i in range(900))
        q = f"SELECT Id FROM Account WHERE Id IN ({ids})"  # noqa: S608 - SOQL to a fake
        answer = httpx.get(f"{salesforce.base_url}/services/data/{SF_VERSION}/queryAll/", params={"q": q},
                           headers={"Authorization": "Bearer t"})  # fmt: skip
    assert answer.status_code == 414


def test_salesforce_answers_usage_and_pages_by_locator(salesforce: FakeSalesforce) -> None:
    with salesforce:
        salesforce.sessions.add("t")
        salesforce.batch_size = 2
        salesforce.add_many("Account", 5, start=T0)
        auth = {"Authorization": "Bearer t"}
        first = httpx.get(f"{salesforce.base_url}/services/data/{SF_VERSION}/query/",
                          params={"q": "SELECT Id, Name FROM Account ORDER BY Name"}, headers=auth)  # fmt: skip
        body = first.json()
        assert first.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
        assert body["totalSize"] == 5 and body["done"] is False and len(body["records"]) == 2
        assert body["nextRecordsUrl"].startswith(f"/services/data/{SF_VERSION}/query/01gFAKE")
        assert body["records"][0]["attributes"]["type"] == "Account"
        more = httpx.get(salesforce.base_url + body["nextRecordsUrl"], headers=auth)
        assert more.headers["Sforce-Limit-Info"] == "api-usage=2/15000" and len(more.json()["records"]) == 2
        bad = httpx.get(f"{salesforce.base_url}/services/data/{SF_VERSION}/query/",
                        params={"q": "SELECT Id, Nmae FROM Account"}, headers=auth)  # fmt: skip
        assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_FIELD"
        expired = httpx.get(
            f"{salesforce.base_url}/services/data/{SF_VERSION}/query/", params={"q": "SELECT Id FROM Account"}
        )
        assert expired.status_code == 401 and expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_the_soql_parser_reads_what_the_clients_send() -> None:
    soql = parse_soql(
        "SELECT Id, SystemModstamp FROM Account WHERE (SystemModstamp >= 2026-01-05T10:00:00Z OR Name = 'O\\'Neil') "
        "AND Id NOT IN ('001A', '001B') ORDER BY SystemModstamp ASC, Id DESC LIMIT 5"
    )
    assert soql.obj == "Account" and soql.fields == ["Id", "SystemModstamp"] and soql.limit == 5
    assert soql.order == [("SystemModstamp", False), ("Id", True)]
    assert (
        soql.where[0] == "and"
        and soql.where[1][0][0] == "or"
        and soql.where[1][1] == ("in", "Id", ["001A", "001B"], True)
    )
    assert parse_soql("SELECT COUNT() FROM Task").count
