"""Rate limits: the clock, a token bucket, back-off delays, the error budget, and the vendors' limit headers.

Everything that waits goes through a `Clock`, so tests pass a fake one whose `sleep` only moves its time:
no test of the rate limits waits for real.

Why a bucket of `capacity` tokens refilled at `rate` stays under a rolling limit: over any stretch of
`window` seconds it can hand out at most the tokens it held at the start (<= capacity) plus what refilled
meanwhile (rate x window). `TokenBucket.within(limit, window)` picks capacity + rate x window == limit, so
no rolling window ever sees more than `limit` requests from it. A small capacity keeps the steady rate
close to the limit (capacity 1/20 of it: 95% of HubSpot's per-10-second allowance).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def now(self) -> datetime:
        """The wall-clock time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def now(self) -> datetime:
        return datetime.now(UTC)


class TokenBucket:
    """`acquire()` before each request; it sleeps (on the clock) until a token is there. Thread-safe."""

    def __init__(self, capacity: float, rate: float, clock: Clock) -> None:
        if capacity < 1 or rate <= 0:
            raise ValueError("a token bucket needs capacity >= 1 and rate > 0")
        self.capacity = float(capacity)
        self.rate = float(rate)  # tokens per second
        self.clock = clock
        self.tokens = float(capacity)
        self.waited = 0.0  # seconds slept in acquire(), in all
        self._stamp = clock.monotonic()
        self._lock = threading.Lock()

    @classmethod
    def within(cls, limit: int, window: float, clock: Clock, *, burst: float = 0.05) -> TokenBucket:
        """A bucket that never lets more than `limit` requests into any rolling `window` seconds."""
        if limit < 2:
            raise ValueError("a rolling limit below 2 requests per window cannot be shared")
        capacity = max(1, min(limit - 1, math.floor(limit * burst)))
        # a hair below the exact rate, so that floating-point rounding can never let one request too many in
        rate = (limit - capacity) / window * (1 - 1e-9)
        return cls(capacity, rate, clock)

    def _refill(self) -> None:
        now = self.clock.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def acquire(self, tokens: float = 1.0) -> float:
        """Take `tokens`, sleeping first as long as needed; returns the seconds slept."""
        with self._lock:
            self._refill()
            slept = 0.0
            if self.tokens < tokens:
                slept = (tokens - self.tokens) / self.rate
                self.clock.sleep(slept)
                self._refill()
                # the wait was exactly what was missing: rounding of the clock's floats must not ask for more
                self.tokens = max(self.tokens, tokens)
            self.tokens -= tokens
            self.waited += slept
            return slept

    def drain_to(self, available: float) -> None:
        """The server says fewer requests are left in its window (other apps share it): hold no more tokens."""
        with self._lock:
            self._refill()
            self.tokens = min(self.tokens, max(0.0, available))


@dataclass(frozen=True)
class Backoff:
    """Exponential delays without jitter (one client per account: no thundering herd to spread)."""

    base: float = 0.5
    factor: float = 2.0
    cap: float = 30.0

    def delay(self, attempt: int) -> float:
        """The wait before retry number `attempt` (1 for the first retry)."""
        return min(self.cap, self.base * self.factor ** max(0, attempt - 1))


class ErrorBudget:
    """Counts requests and error answers; `exceeded` once errors pass `share` of the requests (plus a small
    `allowance`, so that the first few errors of a run do not stop it)."""

    def __init__(self, share: float = 0.05, allowance: int = 10) -> None:
        self.share = share
        self.allowance = allowance
        self.requests = 0
        self.errors = 0

    def count(self, *, error: bool) -> None:
        self.requests += 1
        if error:
            self.errors += 1

    @property
    def exceeded(self) -> bool:
        return self.errors > self.allowance + self.share * self.requests


# ------------------------------------------------------------------------------------------- headers


@dataclass(frozen=True)
class HubSpotLimits:
    """The X-HubSpot-RateLimit-* headers of one answer (None where absent: OAuth apps get no daily ones)."""

    daily: int | None = None
    daily_remaining: int | None = None
    interval_ms: int | None = None
    max: int | None = None  # requests allowed per interval
    remaining: int | None = None  # left in the current interval, for the whole account (all apps)
    secondly: int | None = None  # the search endpoints' per-second limit
    secondly_remaining: int | None = None


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def hubspot_limits(headers: Mapping[str, str]) -> HubSpotLimits:
    """Read HubSpot's rate-limit headers (`headers` is case-insensitive, as httpx's are)."""
    prefix = "X-HubSpot-RateLimit-"
    return HubSpotLimits(
        daily=_int(headers, prefix + "Daily"),
        daily_remaining=_int(headers, prefix + "Daily-Remaining"),
        interval_ms=_int(headers, prefix + "Interval-Milliseconds"),
        max=_int(headers, prefix + "Max"),
        remaining=_int(headers, prefix + "Remaining"),
        secondly=_int(headers, prefix + "Secondly"),
        secondly_remaining=_int(headers, prefix + "Secondly-Remaining"),
    )


_API_USAGE = re.compile(r"(?:^|[;,\s])api-usage\s*=\s*(\d+)\s*/\s*(\d+)")  # not per-app-api-usage


def salesforce_usage(headers: Mapping[str, str]) -> tuple[int, int] | None:
    """`Sforce-Limit-Info: api-usage=18/5000` -> (18, 5000); None when the header is absent or unreadable."""
    value = headers.get("Sforce-Limit-Info")
    if not value:
        return None
    match = _API_USAGE.search(value)
    if not match:
        return None
    used, allowed = int(match.group(1)), int(match.group(2))
    return (used, allowed) if allowed > 0 else None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds (the delay form; HTTP dates are not sent by these APIs)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 and math.isfinite(seconds) else None
