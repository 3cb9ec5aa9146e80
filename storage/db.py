"""Engines, sessions and schema set-up, on SQLite (embedded default) and PostgreSQL. `make_engine` and
`session_factory` are the only ways the product builds them: they install the stored values' hooks
(storage.stored), which are not registered anywhere else."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Workspace
from storage.stored import install_engine_hooks, install_session_hooks
from storage.upsert import conflict_insert

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def normalize_database_url(url: str) -> str:
    """Accept plain `postgresql://` / `postgres://` URLs and map them to the psycopg 3 driver."""
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(
            "must be a database URL such as sqlite:///accountbot.db or postgresql://user@host:5432/db"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database {parsed.get_backend_name()!r}; use sqlite or postgresql")
    return url


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine for `url`, with the latest-touch hooks (storage.stored) on its connections."""

    engine = _create_engine(url, **kwargs)
    install_engine_hooks(engine)
    return engine


def _create_engine(url: str, **kwargs: object) -> Engine:
    url = normalize_database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # An unreachable server must fail fast (health checks, start-up), not hang on the OS's TCP timeout;
    # a connect_timeout given in the URL wins.
    if "connect_timeout" not in url:
        kwargs.setdefault("connect_args", {"connect_timeout": 10})
    return create_engine(url, **kwargs)


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Apply Alembic migrations (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        # SQLite rebuilds a table to change its constraints (copy, drop, rename): with foreign keys enforced,
        # dropping the old table would delete the rows that reference it (ON DELETE CASCADE). Off for the
        # migrations (a PRAGMA outside any transaction), checked before the commit, on again afterwards.
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("the migrated database has rows whose foreign keys point nowhere")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def ensure_schema(engine: Engine) -> None:
    """Bring the schema to head if it is not there yet (cheap when already current)."""
    if current_revision(engine) != head_revision():
        upgrade_schema(engine)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on `engine`, with the stored grades' and rollups' hooks (storage.stored)."""

    factory = sessionmaker(bind=engine, expire_on_commit=False)
    install_session_hooks(factory)
    return factory


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_workspace(session: Session, team_id: str, name: str | None = None) -> Workspace:
    """The workspace row, created if missing. Safe when two requests create it at the same moment
    (insert ... on conflict do nothing), on SQLite and PostgreSQL."""
    ws = session.get(Workspace, team_id)
    if ws is not None:
        return ws
    values = {"team_id": team_id, "name": name, "created_at": utcnow()}
    session.execute(
        conflict_insert(session, Workspace)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["team_id"])
    )
    ws = session.get(Workspace, team_id, populate_existing=True)
    assert ws is not None
    return ws


def workspace_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Workspace.team_id).order_by(Workspace.team_id)))


def affected(result: Any) -> int:
    """Rows an UPDATE or DELETE changed (`Session.execute` is typed as returning a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def ping(session: Session) -> None:
    """A cheap round trip to the database (readiness): raises when it does not answer."""
    session.execute(text("SELECT 1"))
