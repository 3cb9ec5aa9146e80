"""HubSpot's rate limits against the loopback fake, on a shared fake clock (no real waiting): the token
bucket under the rolling interval, search's per-second limit, the headers, 429 by policy, 5xx, slow answers,
the error budget and a refused token."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm.errors import (
    AnswerTimedOut,
    AuthFailed,
    DailyLimitReached,
    ErrorBudgetExceeded,
    RateLimited,
    ServerError,
)
from crm.hubspot import HubSpotClient
from tests.crm.conftest import T0
from tests.fakes.clock import FakeClock
from tests.fakes.hubspot_api import TOKEN, FakeHubSpot


def client_for(fake: FakeHubSpot, clock: FakeClock, **kwargs: object) -> HubSpotClient:
    return HubSpotClient(TOKEN, fake.base_url, clock=clock, **kwargs)  # type: ignore[arg-type]


def owner_passes(client: HubSpotClient, passes: int) -> None:
    """Two requests a pass (owners live, then archived): a cheap way to send many requests."""
    for _ in range(passes):
        for _page in client.records("owners"):
            pass


def test_a_burst_of_500_requests_never_meets_the_interval_limit(
    hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    hubspot.add_owner("ana@example.com", modified=T0)
    with client_for(hubspot, clock) as client:
        owner_passes(client, 250)
    assert hubspot.counts["owners"] + hubspot.counts["owners-archived"] == 500
    assert hubspot.answered(429) == 0
    assert hubspot.max_in_window() <= 190
    assert clock.slept >= (500 - 190) / 19  # the bucket waited (on the fake clock), it did not hurry


def test_without_the_bucket_the_same_burst_is_refused(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    """The control: a client believing in 1,000 requests per 10 s meets the fake's 429s."""
    hubspot.add_owner("ana@example.com", modified=T0)
    with client_for(hubspot, clock, interval_limit=1000) as client:
        client._read_limits = lambda headers: None  # type: ignore[method-assign]  # deaf to the headers too
        owner_passes(client, 150)
    assert hubspot.answered(429) > 0


def test_the_bucket_follows_a_lower_limit_the_headers_announce(clock: FakeClock) -> None:
    with FakeHubSpot(clock=clock, interval_limit=100) as hubspot:  # a Starter account
        hubspot.add_owner("ana@example.com", modified=T0)
        with client_for(hubspot, clock) as client:  # configured for 190
            owner_passes(client, 150)
            assert client.interval_limit == 100
        assert hubspot.answered(429) <= 1  # at most the first window, before the headers were read
        assert hubspot.max_in_window() <= 100


@pytest.mark.parametrize("reads_headers", [True, False])
def test_other_apps_of_the_account_are_left_their_share(
    hubspot: FakeHubSpot, clock: FakeClock, reads_headers: bool
) -> None:
    """X-HubSpot-RateLimit-Remaining counts every app of the account: the client spends no more than it
    says is left, and waits out a full window instead of meeting a 429. Deaf to it, the client meets one."""
    hubspot.add_owner("ana@example.com", modified=T0)
    with client_for(hubspot, clock) as client:
        if not reads_headers:
            client._read_limits = lambda headers: None  # type: ignore[method-assign]
        owner_passes(client, 1)
        hubspot.other_app(180)  # another integration spends most of this window
        owner_passes(client, 20)
    assert hubspot.counts["owners"] + hubspot.counts["owners-archived"] >= 42
    assert (hubspot.answered(429) == 0) is reads_headers


def test_search_stays_under_its_per_second_limit(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.add_many("deals", 3, start=T0)
    with client_for(hubspot, clock) as client:
        for _ in range(40):
            client.count("deals")
    assert hubspot.counts["search:deals"] == 40
    assert hubspot.answered(429) == 0
    searches = [c.at for c in hubspot.calls if c.label == "search:deals"]
    assert all(later - earlier >= 0 for earlier, later in zip(searches, searches[1:], strict=False))
    assert max(sum(1 for t in searches if start <= t < start + 1.0) for start in searches) <= 4


def test_a_daily_429_stops_with_the_reset_time(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.add_many("companies", 150, start=T0)
    hubspot.fail_next("list:companies", status=429, policy="DAILY")
    with client_for(hubspot, clock, portal_timezone="Europe/Berlin") as client:
        with pytest.raises(DailyLimitReached) as caught:
            list(client.records("companies"))
        assert hubspot.counts["list:companies"] == 1  # not retried
        error = caught.value
        assert error.reset_at.isoformat() == "2026-11-25T00:00:00+01:00"
        assert "daily API limit" in str(error) and "2026-11-25 00:00 Europe/Berlin" in str(error)
        assert "resumes from its watermark" in str(error)
        with pytest.raises(DailyLimitReached):  # and nothing more is sent until the reset
            client.count("companies")
    assert hubspot.counts["search:companies"] == 0


def test_after_the_daily_reset_requests_go_again(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.add_many("companies", 3, start=T0)
    hubspot.fail_next("list:companies", status=429, policy="DAILY")
    with client_for(hubspot, clock) as client:
        with pytest.raises(DailyLimitReached) as caught:
            list(client.records("companies"))
        clock.advance((caught.value.reset_at - clock.now()).total_seconds() - 60)
        with pytest.raises(DailyLimitReached):  # a minute before the reset: still nothing sent
            list(client.records("companies"))
        clock.advance(61)
        assert len([r for p in client.records("companies") for r in p.records]) == 3
    assert hubspot.counts["list:companies"] == 2


def test_a_spent_daily_allowance_stops_before_the_request(clock: FakeClock) -> None:
    with FakeHubSpot(clock=clock, daily_limit=3) as hubspot:
        hubspot.add_many("companies", 450, start=T0)
        pages = 0
        with client_for(hubspot, clock) as client, pytest.raises(DailyLimitReached) as caught:
            for _page in client.records("companies"):
                pages += 1
        assert pages == 3 and hubspot.answered(429) == 0  # Daily-Remaining 0 was read: no 429 spent
        assert "500,000" not in str(caught.value) and "(3 requests a day)" in str(caught.value)


def test_an_interval_429_is_backed_off_by_retry_after_and_succeeds(
    hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    ids = hubspot.add_many("companies", 150, start=T0)
    hubspot.fail_next("list:companies", status=429, retry_after=3)
    with client_for(hubspot, clock) as client:
        records = [r for p in client.records("companies") for r in p.records]
    assert sorted(r["id"] for r in records) == sorted(ids)
    assert 3.0 in clock.sleeps
    assert hubspot.counts["list:companies"] == 3  # the refused one, then both pages


def test_an_interval_429_without_retry_after_waits_the_interval(
    hubspot: FakeHubSpot, clock: FakeClock
) -> None:
    hubspot.add_many("companies", 5, start=T0)
    with client_for(hubspot, clock) as client:
        client.count("companies")  # the headers: Interval-Milliseconds 10000
        hubspot.fail_next("list:companies", status=429)
        list(client.records("companies"))
    assert 10.0 in clock.sleeps


def test_interval_429s_that_go_on_stop_with_rate_limited(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.fail_next("list:companies", status=429, retry_after=1, times=50)
    with client_for(hubspot, clock, rate_retries=4) as client, pytest.raises(RateLimited):
        list(client.records("companies"))
    assert hubspot.counts["list:companies"] == 5


def test_5xx_is_retried_with_backoff_then_succeeds(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.add_many("companies", 3, start=T0)
    hubspot.fail_next("list:companies", status=502, times=2)
    with client_for(hubspot, clock) as client:
        records = [r for p in client.records("companies") for r in p.records]
    assert len(records) == 3
    assert clock.sleeps[:2] == [0.5, 1.0]  # exponential, before each retry


def test_5xx_is_retried_a_bounded_number_of_times(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.fail_next("list:companies", status=503, times=100)
    with client_for(hubspot, clock, retries=3) as client, pytest.raises(ServerError) as caught:
        list(client.records("companies"))
    assert hubspot.counts["list:companies"] == 4 and caught.value.status == 503


def test_a_slow_answer_times_out_and_the_retry_succeeds(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.add_many("companies", 2, start=T0)
    hubspot.slow_next("list:companies", seconds=0.6)
    with client_for(hubspot, clock, timeout=0.15) as client:
        records = [r for p in client.records("companies") for r in p.records]
    assert len(records) == 2 and hubspot.counts["list:companies"] == 2


def test_answers_that_stay_slow_end_in_a_clean_timeout(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.slow_next("list:companies", seconds=0.6, times=10)
    with (
        client_for(hubspot, clock, timeout=0.15, retries=2) as client,
        pytest.raises(AnswerTimedOut) as caught,
    ):
        list(client.records("companies"))
    assert hubspot.counts["list:companies"] == 3
    assert "did not answer" in str(caught.value)


def test_errors_past_the_budget_stop_the_run(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.add_many("companies", 250, start=T0)
    hubspot.fail_next("list:companies", status=500, times=2)
    pages = 0
    with (
        client_for(hubspot, clock, error_allowance=2) as client,
        pytest.raises(ErrorBudgetExceeded) as caught,
    ):
        for _page in client.records("companies"):
            pages += 1
            hubspot.fail_next("list:companies", status=500)  # the third error: past 2 + 5% of 4
    assert pages == 1  # page 1 came after two retries; page 2's first error stopped the run, not retried
    assert hubspot.counts["list:companies"] == 4
    assert "under 5%" in str(caught.value) and "3 of 4" in str(caught.value)


def test_a_clean_run_spends_no_error_budget(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    hubspot.add_many("contacts", 320, start=T0)
    with client_for(hubspot, clock) as client:
        list(client.records("contacts"))
        list(client.records("contacts", since=T0))
        assert client.budget.errors == 0 and client.budget.requests == sum(hubspot.counts.values())


def test_a_refused_token_fails_at_once_with_what_to_check(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    with HubSpotClient("wrong", hubspot.base_url, clock=clock) as client, pytest.raises(AuthFailed) as caught:
        list(client.records("companies"))
    assert hubspot.counts["list:companies"] == 1
    assert "HUBSPOT_TOKEN" in str(caught.value) and "Service Key" in str(caught.value)


def test_a_missing_scope_names_it(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    body = {"status": "error", "message": "This app hasn't been granted all required scopes to make this call.",
            "category": "MISSING_SCOPES", "context": {"requiredGranularScopes": ["crm.objects.deals.read"]}}  # fmt: skip
    hubspot.fail_next("list:deals", status=403, body=body)
    with client_for(hubspot, clock) as client, pytest.raises(AuthFailed, match="crm.objects.deals.read"):
        list(client.records("deals"))


def test_no_token_is_refused_before_any_request() -> None:
    with pytest.raises(AuthFailed, match="HUBSPOT_TOKEN"):
        HubSpotClient("")


def test_settle_keeps_the_newest_changes_for_the_next_pass(hubspot: FakeHubSpot, clock: FakeClock) -> None:
    """Search indexes a change a few seconds after it is made: a pass stops `settle` short of now."""
    fresh = hubspot.add("companies", {"name": "just now"}, modified=clock.now() - timedelta(seconds=10))
    with client_for(hubspot, clock) as client:
        first = list(client.records("companies", since=T0, deleted=False))
        assert [r for p in first for r in p.records] == []
        clock.advance(120)
        second = [
            r
            for p in client.records("companies", since=first[-1].watermark, deleted=False)
            for r in p.records
        ]
    assert [r["id"] for r in second] == [fresh]
