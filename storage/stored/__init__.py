"""Stored values: what the nudge jobs read with the accounts instead of recomputing on every run.

| stored value | source tables | kept by | recomputed when |
|---|---|---|---|
| tier, grade (`accounts`) | accounts | `grades` (session hooks mark stale) | a reader's `ensure_classified` finds the fingerprint (rules, thresholds) changed or cleared |
| decision makers, revenue windows (`accounts`) | contacts, revenue_months | `rollups` (session hooks record a change) | a reader's `ensure_rollups` finds a change recorded, or a new month / window |
| latest touch and review (`latest_touches`) | interactions | `latest_touch` (engine hooks, in the writer's transaction) | kept on every write; `recompute` repairs writes the hooks cannot see |

`install_engine_hooks` and `install_session_hooks` register the hooks; storage.db.make_engine and
storage.db.session_factory call them, so every engine and session the product builds has them.
See docs/data.md#stored-values.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.stored import grades, latest_touch, rollups


def install_engine_hooks(engine: Engine) -> None:
    """The latest touches follow every statement on `engine`'s connections."""
    latest_touch.install(engine)


def install_session_hooks(factory: sessionmaker[Session]) -> None:
    """Stored grades and rollups are marked stale by the writes of every session `factory` makes (grades
    first: the workspace row's lock before any other write of the flush)."""
    grades.install(factory)
    rollups.install(factory)
