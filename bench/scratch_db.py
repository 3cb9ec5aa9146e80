"""A throwaway PostgreSQL database for a benchmark run (shared by the bench scripts)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from storage.db import normalize_database_url


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """The URL of a fresh database on TEST_DATABASE_URL's server, dropped afterwards; None without it."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    admin = create_engine(normalize_database_url(base), isolation_level="AUTOCOMMIT")
    name = f"accountbot_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
