"""The news tests' `NOW`: the feeds they serve are dated around Monday 2 March 2026 (stories older than 7
days are not alerted), so they keep this instant instead of tests/conftest.py's NOW."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
