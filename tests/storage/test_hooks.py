"""The stored values' hooks come with storage.db's engines and session factories, not with `import storage`."""

from __future__ import annotations

import gc

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from storage.db import session_factory
from storage.stored import grades, latest_touch, rollups


def test_make_engine_and_session_factory_install_every_hook(engine: Engine) -> None:
    factory = session_factory(engine)
    for fn in (grades._stale_when_accounts_change, rollups._stale_when_sources_change):
        assert event.contains(factory, "before_flush", fn)
    for fn in (grades._stale_when_statements_change_accounts, rollups._stale_when_statements_change_sources):
        assert event.contains(factory, "do_orm_execute", fn)
    assert event.contains(engine, "before_execute", latest_touch._note_rows_to_change)
    assert event.contains(engine, "handle_error", latest_touch._forget_noted_rows)
    assert event.contains(engine, "after_execute", latest_touch._keep_latest_touches)


def test_nothing_is_registered_process_wide() -> None:
    # SQLAlchemy keys listeners by id(target) and forgets a dead target's once its collection is freed: collect
    # the cycles first, or a fresh factory below may reuse the id of an earlier test's dead one.
    gc.collect()
    assert not event.contains(Session, "before_flush", grades._stale_when_accounts_change)
    assert not event.contains(Session, "before_flush", rollups._stale_when_sources_change)
    assert not event.contains(Engine, "after_execute", latest_touch._keep_latest_touches)
    bare = create_engine("sqlite://")
    assert not event.contains(bare, "after_execute", latest_touch._keep_latest_touches)
    assert not event.contains(sessionmaker(bind=bare), "before_flush", grades._stale_when_accounts_change)
    bare.dispose()
