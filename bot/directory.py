"""Who the owners are in Slack: emails resolved once with users.lookupByEmail and remembered in
slack_users (and on Account.owner_user_id); time zones and admin flags refreshed with users.info about
once a day. Jobs only read what this writes.

Runs in the relay's background loop (`bot.relay.start_relay`), so a replica needs no extra thread; the
first sync runs before the relay and the scheduler start, and before `accountbot jobs run` runs a job, so
that nobody's time zone is guessed (accounts.timing: no zone, not due).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.membership import admin_of, membership_of
from storage.db import utcnow
from storage.escalation import unresolved_manager_emails
from storage.reads.slack_users import known_email, owners_to_refresh, unresolved_owner_emails
from storage.writes.slack_users import remember_slack_user, resolve_owner_email

log = logging.getLogger("accountbot.directory")

REFRESH_AFTER = timedelta(days=1)
MISS_RETRY_AFTER = timedelta(hours=6)  # an email Slack does not know is asked about again after this


@dataclass
class DirectoryStats:
    resolved: int = 0
    unknown: int = 0
    refreshed: int = 0
    failed: int = 0
    more: bool = False  # the call budget ran out: another sync has more to do


class Directory:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: WebClient,
        *,
        team_id: str,
        clock: Callable[[], datetime] = utcnow,
        max_calls: int = 50,
        also: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.team_id = team_id
        self.clock = clock
        self.max_calls = max_calls  # per sync, so a large import does not starve the relay
        self.also = also  # more people to keep fresh: the ADMIN_USER_IDS that count in the workspace
        self._misses: dict[str, datetime] = {}

    def sync(self) -> DirectoryStats:
        """Resolve owner emails, then refresh stale owner profiles. Never raises for Slack failures."""
        stats = DirectoryStats()
        now = self.clock()
        budget = self.max_calls
        with self.sessions.begin() as session:
            emails = unresolved_owner_emails(session, self.team_id)
            # managers named by email (escalation) are looked up the same way, so they can be reached
            emails += [e for e in unresolved_manager_emails(session, self.team_id) if e not in emails]
        for email in emails:
            missed = self._misses.get(email)
            if missed is not None and now - missed < MISS_RETRY_AFTER:
                continue
            with self.sessions.begin() as session:
                user_id = known_email(session, self.team_id, email)
                if user_id is not None:
                    resolve_owner_email(session, self.team_id, email, user_id)
                    stats.resolved += 1
                    continue
            if budget <= 0:
                stats.more = True
                break
            budget -= 1
            user = self._call("users_lookupByEmail", email=email)
            if user is None:
                self._misses[email] = now
                stats.unknown += 1
                continue
            with self.sessions.begin() as session:
                self._remember(session, user, now, email)
                changed = resolve_owner_email(session, self.team_id, email, user["id"])
            stats.resolved += 1
            log.info("owner_resolved team=%s user=%s accounts=%d", self.team_id, user["id"], changed)
        with self.sessions.begin() as session:
            also = self.also() if self.also is not None else ()
            stale = owners_to_refresh(session, self.team_id, now - REFRESH_AFTER, also)
        for user_id in stale:
            if budget <= 0:
                stats.more = True
                break
            budget -= 1
            user = self._call("users_info", user=user_id)
            if user is None:
                stats.failed += 1
                continue
            with self.sessions.begin() as session:
                self._remember(session, user, now, None)
            stats.refreshed += 1
        return stats

    def sync_all(self, max_syncs: int = 20) -> DirectoryStats:
        """Syncs until nothing is left to resolve or refresh (at most `max_syncs` of them): before anything is
        scheduled. Slack failures are counted, never raised; a person it cannot resolve stays not due."""
        total = DirectoryStats()
        for _ in range(max_syncs):
            stats = self.sync()
            total.resolved += stats.resolved
            total.unknown += stats.unknown
            total.refreshed += stats.refreshed
            total.failed += stats.failed
            total.more = stats.more
            if not stats.more or not (stats.resolved or stats.refreshed):
                break
        log.info(
            "directory_synced team=%s resolved=%d unknown=%d refreshed=%d failed=%d more=%s",
            self.team_id, total.resolved, total.unknown, total.refreshed, total.failed, total.more,
        )  # fmt: skip
        return total

    def _remember(self, session: Session, user: dict[str, Any], now: datetime, email: str | None) -> None:
        remember_user(session, self.team_id, user, now, email)

    def _call(self, method: str, **params: str) -> dict[str, Any] | None:
        try:
            response = getattr(self.client, method)(**params)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            log.warning("directory_lookup_failed team=%s method=%s error=%s", self.team_id, method, error)
            return None
        except Exception as exc:  # connection trouble: try again next sync
            log.warning(
                "directory_lookup_failed team=%s method=%s error=%s", self.team_id, method, type(exc).__name__
            )
            return None
        user = response.get("user")
        return user if isinstance(user, dict) and user.get("id") else None


def remember_user(
    session: Session, team_id: str, user: dict[str, Any], now: datetime, email: str | None = None
) -> None:
    """Store what Slack says of `user` (users.info, or a `user_change` event): zone, admin flag, membership.

    Slack's admin flags describe the user's own workspace: a user of another one (Slack Connect) is never an
    admin here (the same rule as bot.permissions.is_admin, which trusts this cache), and the membership is
    remembered the same way member_status does."""
    profile = user.get("profile") or {}
    remember_slack_user(
        session,
        team_id=team_id,
        user_id=user["id"],
        is_admin=admin_of(user, team_id),
        now=now,
        tz=user.get("tz"),
        real_name=user.get("real_name") or profile.get("real_name"),
        email=(profile.get("email") or email),
        membership=membership_of(user, team_id),
    )
