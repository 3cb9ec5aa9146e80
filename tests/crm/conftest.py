"""Fixtures of the CRM API tests: a fake clock shared by client and fake server, and the HubSpot fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.conftest import NOW
from tests.fakes.clock import FakeClock
from tests.fakes.hubspot_api import FakeHubSpot

T0 = NOW - timedelta(days=30)  # records of the fakes are modified from here on (well before "now")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def hubspot(clock: FakeClock) -> Iterator[FakeHubSpot]:
    with FakeHubSpot(clock=clock) as fake:
        yield fake
