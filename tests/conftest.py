"""Shared fixtures: real databases (SQLite always; PostgreSQL when TEST_DATABASE_URL is set), and `NOW`.

PostgreSQL tests get a throwaway database created for this pytest run (so parallel runs never collide),
and every table is emptied after each test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from storage.db import ensure_schema, make_engine, normalize_database_url, session_factory
from storage.models import Base

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the tests' one "now": a Tuesday, 09:00 UTC
SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
PG_SKIP_REASON = "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this run, dropped at the end."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(PG_SKIP_REASON)
    admin_url = normalize_database_url(base)
    name = f"accountbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    ensure_schema(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_tables(engine: Engine) -> None:
    names = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(names) + " RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head for the whole run; each test gets a copy (running the migrations
    for every test cost more than a minute of the suite)."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    engine.dispose()
    return path


def _fresh_sqlite(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "test.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty database URL; runs each test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield _fresh_sqlite(sqlite_template, tmp_path)
        return
    url = request.getfixturevalue("pg_url")
    yield url
    engine = make_engine(url)
    _empty_tables(engine)
    engine.dispose()


@pytest.fixture
def pg_sessions(pg_url: str) -> Iterator[sessionmaker[Session]]:
    """PostgreSQL only (row locks, concurrent writers, several processes), every table emptied afterwards."""
    engine = make_engine(pg_url)
    yield session_factory(engine)
    _empty_tables(engine)
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only (for tests where the backend does not matter): a migrated, empty database."""
    return _fresh_sqlite(sqlite_template, tmp_path)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    s = sessions()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def feed_corpus() -> Path:
    path = SHARED_DIR / "feed-corpus"
    if not path.is_dir():
        pytest.skip(f"feed corpus not found at {path} (it ships beside the repository, not inside it)")
    return path
