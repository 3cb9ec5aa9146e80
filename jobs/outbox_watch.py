"""The hourly outbox check in `accountbot run`: a warning per workspace whose messages have waited more than an
hour (no relay for it, a hold, Slack refusing), so a silent backlog shows in the log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from storage.db import utcnow
from storage.queues.outbox import waiting_by_team

log = logging.getLogger("accountbot.outbox")

TICK_SECONDS = 3600.0
OLD = timedelta(hours=1)


def outbox_watch(
    sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow
) -> Callable[[], int]:
    """The poller: log each workspace with messages older than OLD; returns how many workspaces that is."""

    def tick() -> int:
        now = clock()
        with sessions() as session:
            waiting = waiting_by_team(session)
        old = 0
        for team, backlog in sorted(waiting.items()):
            if backlog.oldest_waiting_at is not None and now - backlog.oldest_waiting_at > OLD:
                old += 1
                age_h = (now - backlog.oldest_waiting_at).total_seconds() / 3600
                log.warning(
                    "outbox_backlog_old team=%s waiting=%d oldest_age_h=%.1f (see `accountbot outbox --team %s`)",
                    team,
                    backlog.waiting,
                    age_h,
                    team,
                )
        return old

    return tick
