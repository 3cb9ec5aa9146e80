"""What every listener gets: settings, a session factory and a clock (tests pass a fixed one)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from accounts.thresholds import Thresholds
from bot.settings import Settings
from storage.db import utcnow


@dataclass
class BotContext:
    """The dependencies of the Slack face. Listeners open one session per unit of work
    (`storage.db.ctx.sessions.begin()`); never share a session across Bolt's worker threads."""

    settings: Settings
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime] = field(default=utcnow)

    @property
    def thresholds(self) -> Thresholds:
        return self.settings.thresholds

    @property
    def admin_ids(self) -> frozenset[str]:
        return self.settings.admin_ids

    def listed_admin(self, team_id: str, user_id: str) -> bool:
        """Whether ADMIN_USER_IDS makes `user_id` an admin in `team_id`: only in SLACK_TEAM_ID's workspace when
        that is set; in every workspace when it is not (a single-workspace install)."""
        return user_id in self.settings.listed_admins(team_id)

    def now(self) -> datetime:
        return self.clock()
