"""A fake clock for rate-limit tests: `sleep` moves its time at once, nothing waits for real.

Share one between a client and a loopback fake server (`FakeHubSpot(clock=clock)`): the server's rolling
windows then count in the same time the client's token bucket waits in.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.start = start or datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
        self._elapsed = 0.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []  # every sleep asked for, in order

    def monotonic(self) -> float:
        with self._lock:
            return 1000.0 + self._elapsed

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if seconds > 0:
                self._elapsed += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._elapsed += seconds

    def now(self) -> datetime:
        with self._lock:
            return self.start + timedelta(seconds=self._elapsed)

    @property
    def slept(self) -> float:
        with self._lock:
            return sum(s for s in self.sleeps if s > 0)
