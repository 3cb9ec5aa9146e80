from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import current_revision, ensure_workspace, head_revision, make_engine, upgrade_schema
from storage.models import Account


def _account(team: str, name: str) -> Account:
    now = datetime.now(UTC)
    return Account(team_id=team, name=name, name_key=name.casefold(), created_at=now, updated_at=now)


def test_upgrade_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_migrations_build_exactly_the_models(db_url: str) -> None:
    """Alembic's autogenerate finds nothing to add, drop or retype: models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    engine = make_engine(db_url)
    upgrade_schema(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_outbox_facts_use_lz4_on_postgresql_servers_that_have_it(pg_url: str) -> None:
    """Migration 0007: the outbox's JSON facts are compressed with lz4 where the server offers it."""
    from sqlalchemy import text

    engine = make_engine(pg_url)
    upgrade_schema(engine)
    with engine.connect() as conn:
        offered = conn.execute(
            text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        ).scalar()
        method = conn.execute(
            text(
                "SELECT attcompression FROM pg_attribute WHERE attrelid = 'outbox'::regclass AND attname = 'facts'"
            )
        ).scalar()
    engine.dispose()
    assert method == ("l" if offered else "")


def test_account_name_unique_per_workspace_case_insensitive(session) -> None:
    ensure_workspace(session, "T1")
    ensure_workspace(session, "T2")
    session.add_all([_account("T1", "Acme"), _account("T2", "ACME")])
    session.commit()
    session.add(_account("T1", "ACME"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_datetimes_come_back_aware_utc(session) -> None:
    ensure_workspace(session, "T1")
    acc = _account("T1", "Zeta")
    acc.created_at = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    session.add(acc)
    session.commit()
    session.expunge_all()
    got = session.scalars(select(Account).where(Account.team_id == "T1")).one()
    assert got.created_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert got.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("url", "expected"),
    [("postgresql://u@127.0.0.1:1/x", 10), ("postgresql://u@127.0.0.1:1/x?connect_timeout=3", "3")],
)
def test_postgres_connections_have_a_connect_timeout(url: str, expected: object) -> None:
    """An unreachable server fails fast instead of hanging on the OS's TCP timeout; the URL's value wins."""
    from sqlalchemy import event

    engine = make_engine(url)
    seen: dict[str, object] = {}

    @event.listens_for(engine, "do_connect")
    def _capture(dialect, record, cargs, cparams):  # type: ignore[no-untyped-def]
        seen.update(cparams)
        raise ConnectionAbortedError("captured, not connecting")

    with pytest.raises(Exception, match="captured"):
        engine.connect()
    assert seen["connect_timeout"] == expected


def test_two_sessions_creating_the_same_workspace_both_succeed(sessions) -> None:
    """Two requests from a new workspace at the same moment: the second waits, then uses the first's row."""
    import threading
    import time

    first = sessions()
    ensure_workspace(first, "TNEW")  # inserted, not committed yet
    outcome: dict[str, object] = {}

    def second() -> None:
        s = sessions()
        try:
            outcome["team"] = ensure_workspace(s, "TNEW", name="ignored").team_id
            s.commit()
        except Exception as exc:  # the old get-then-insert failed here with an IntegrityError
            outcome["error"] = exc
        finally:
            s.close()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)  # let the second session reach its insert and wait on the first's lock
    first.commit()
    first.close()
    thread.join(20)
    assert outcome == {"team": "TNEW"}
