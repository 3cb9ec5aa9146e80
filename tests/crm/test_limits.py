"""The token bucket's promise on a fake clock, the back-off delays, the error budget, the limit headers."""

from __future__ import annotations

import httpx
import pytest

from crm.limits import Backoff, ErrorBudget, TokenBucket, hubspot_limits, retry_after, salesforce_usage
from tests.fakes.clock import FakeClock


@pytest.mark.parametrize(("limit", "window"), [(190, 10.0), (100, 10.0), (4, 1.0), (2, 1.0)])
def test_no_rolling_window_ever_sees_more_than_the_limit(limit: int, window: float) -> None:
    clock = FakeClock()
    bucket = TokenBucket.within(limit, window, clock)
    times = []
    for _ in range(limit * 5):
        bucket.acquire()
        times.append(clock.monotonic())
    start = 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        assert end - start + 1 <= limit
    # and it is not timid: after the first burst it runs at its full rate, (limit - capacity) / window
    steady = times[int(bucket.capacity) :]
    assert (len(steady) - 1) / (steady[-1] - steady[0]) == pytest.approx((limit - bucket.capacity) / window)


def test_the_default_bucket_runs_at_95_percent_of_hubspots_interval_limit() -> None:
    bucket = TokenBucket.within(190, 10.0, FakeClock())
    assert bucket.capacity == 9 and bucket.rate == pytest.approx(18.1)


def test_drain_to_holds_no_more_than_the_server_has_left() -> None:
    clock = FakeClock()
    bucket = TokenBucket.within(190, 10.0, clock)
    bucket.drain_to(0)
    assert bucket.acquire() == pytest.approx(1 / bucket.rate)


def test_backoff_doubles_to_its_cap() -> None:
    assert [Backoff().delay(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


def test_the_error_budget_allows_a_few_then_five_percent() -> None:
    budget = ErrorBudget(share=0.05, allowance=2)
    for _ in range(2):
        budget.count(error=True)
    assert not budget.exceeded
    budget.count(error=True)
    assert budget.exceeded
    for _ in range(100):
        budget.count(error=False)
    assert not budget.exceeded  # 3 errors in 103 requests


def test_hubspot_headers_are_read() -> None:
    headers = httpx.Headers({
        "x-hubspot-ratelimit-daily": "500000", "x-hubspot-ratelimit-daily-remaining": "499990",
        "x-hubspot-ratelimit-interval-milliseconds": "10000", "x-hubspot-ratelimit-max": "190",
        "x-hubspot-ratelimit-remaining": "187", "x-hubspot-ratelimit-secondly": "4",
        "x-hubspot-ratelimit-secondly-remaining": "x",
    })  # fmt: skip
    limits = hubspot_limits(headers)
    assert (limits.daily, limits.daily_remaining, limits.interval_ms, limits.max, limits.remaining) == (
        500000,
        499990,
        10000,
        190,
        187,
    )
    assert limits.secondly == 4 and limits.secondly_remaining is None  # unreadable: ignored


def test_salesforce_usage_is_read() -> None:
    assert salesforce_usage(httpx.Headers({"Sforce-Limit-Info": "api-usage=18/5000"})) == (18, 5000)
    both = "api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)"
    assert salesforce_usage(httpx.Headers({"Sforce-Limit-Info": both})) == (25, 5000)
    assert salesforce_usage(httpx.Headers({"Sforce-Limit-Info": "per-app-api-usage=1/10(appName=x)"})) is None
    assert salesforce_usage(httpx.Headers({})) is None


def test_retry_after_in_seconds() -> None:
    assert retry_after(httpx.Headers({"Retry-After": "3"})) == 3.0
    assert retry_after(httpx.Headers({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"})) is None
