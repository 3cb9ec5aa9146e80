"""Fault-suite fixtures: a database connection that can be cut, stalled or slowed (tests.faults.db_proxy), and
the real bot and fake Slack of tests/bot/conftest.py.

Fixtures
- `db_proxy`: a started `DbProxy` in front of the PostgreSQL server of TEST_DATABASE_URL (skips without it).
- `proxied_url`: a URL through `db_proxy` to this run's throwaway, migrated PostgreSQL database (tests/conftest.py
  `pg_url`); every table is emptied after the test.
- `pg_sessions` (tests/conftest.py): sessions straight to that database, past the proxy: seed and check with
  them, whatever the proxy is doing.
- `fake_slack`, `make_bot_server` (tests/bot/conftest.py): the fake Slack Web API and the real bot over HTTP;
  `make_bot_server(proxied_url, ...)` puts the bot behind the proxy.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from storage.db import make_engine, normalize_database_url
from tests.bot.conftest import fake_slack, make_bot_server  # noqa: F401 - fixtures, used by name
from tests.conftest import PG_SKIP_REASON, _empty_tables
from tests.faults.db_proxy import DbProxy


@pytest.fixture
def db_proxy() -> Iterator[DbProxy]:
    """A loopback proxy in front of TEST_DATABASE_URL's server, passing everything through until told not to."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(PG_SKIP_REASON)
    url = make_url(normalize_database_url(base))
    with DbProxy((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        yield proxy


@pytest.fixture
def proxied_url(db_proxy: DbProxy, pg_url: str) -> Iterator[str]:
    """This run's migrated PostgreSQL database, reached through `db_proxy`; emptied after the test."""
    yield db_proxy.url_for(pg_url)
    db_proxy.restore()
    engine = make_engine(pg_url)
    _empty_tables(engine)
    engine.dispose()
