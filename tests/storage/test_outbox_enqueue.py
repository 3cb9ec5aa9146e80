from sqlalchemy import func, select

from storage.db import ensure_workspace
from storage.models import OutboxMessage
from storage.queues.outbox import enqueue
from tests.conftest import NOW


def test_enqueue_is_idempotent_per_workspace(session) -> None:
    ensure_workspace(session, "T1")
    ensure_workspace(session, "T2")
    args = dict(recipient="U1", kind="digest", facts={"x": 1}, period="2026-11-24", now=NOW)
    first = enqueue(session, team_id="T1", **args)
    assert isinstance(first, int)
    assert enqueue(session, team_id="T1", **args) is None
    assert enqueue(session, team_id="T2", **args) not in (None, first)
    session.commit()
    count = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert count == 2
