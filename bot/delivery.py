"""Slack work for one-off commands outside `accountbot run` (`accountbot jobs run`): which workspaces this
configuration can reach, the owner directory sync before a job, and delivery through the same relay (leases,
pace, retries, the once-per-period ledger) as the running bot."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.directory import Directory, DirectoryStats
from bot.relay import Relay, RelayStats
from bot.slack_client import classify, make_web_client
from storage.db import utcnow
from storage.queues import outbox

NO_TOKEN = (
    "no Slack token: set SLACK_BOT_TOKEN (the xoxb-... token from OAuth & Permissions), or install the app "
    "into the workspace (OAuth)"
)


@dataclass
class Reach:
    """The workspaces this configuration can send to (team -> a client without retry handlers, as the relay
    needs), and why each other one cannot be reached."""

    clients: dict[str, WebClient] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)


def reach(settings: Any, sessions: sessionmaker[Session], teams: list[str]) -> Reach:
    """One client per reachable workspace of `teams`: OAuth installs give each its own bot token; a single
    SLACK_BOT_TOKEN reaches its own workspace only (auth.test says which)."""
    out = Reach()
    if settings.oauth:
        from bot.installations import installation_store

        store = installation_store(settings, sessions.kw["bind"])
        installed = {team: enterprise for enterprise, team in store.installed()}
        for team in teams:
            bot = (
                store.find_bot(enterprise_id=installed.get(team), team_id=team) if team in installed else None
            )
            if bot is None or not bot.bot_token:
                out.missing[team] = "the app is not installed in this workspace (install it by OAuth)"
                continue
            out.clients[team] = make_web_client(settings, token=bot.bot_token, retries=False)
        return out
    if settings.slack_bot_token is None:
        out.missing.update(dict.fromkeys(teams, NO_TOKEN))
        return out
    client = make_web_client(settings, retries=False)
    try:
        own = str(client.auth_test().get("team_id") or "")
    except Exception as exc:
        out.missing.update(
            dict.fromkeys(teams, f"Slack refused or did not answer auth.test ({classify(exc).error})")
        )
        return out
    for team in teams:
        if team == own:
            out.clients[team] = client
        else:
            out.missing[team] = f"SLACK_BOT_TOKEN belongs to workspace {own}, not this one"
    return out


def sync_directory(
    sessions: sessionmaker[Session], client: WebClient, team: str, settings: Any
) -> DirectoryStats:
    """Resolve owners' emails and read their time zones (and the ADMIN_USER_IDS admins') before a job runs."""
    also = partial(settings.listed_admins, team)
    return Directory(sessions, client, team_id=team, also=also).sync_all()


@dataclass
class Delivered:
    """What became of the rows one command queued: sent, dead (with the reason) or still waiting (why)."""

    stats: RelayStats
    sent: list[Any] = field(default_factory=list)  # OutboxMessage rows
    dead: list[Any] = field(default_factory=list)
    waiting: list[Any] = field(default_factory=list)


def deliver(
    sessions: sessionmaker[Session],
    client: WebClient,
    team: str,
    keys: list[str],
    *,
    patience: float = 120.0,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivered:
    """Send `team`'s due outbox rows as a running bot's relay would, until the rows with `keys` (what the command
    queued) are sent or dead, or `patience` seconds have passed (a 429 or a 5xx backs off: such rows are left
    waiting for the running bot or the next run, and said so)."""
    relay = Relay(sessions, client, team_id=team)
    stats = RelayStats()
    give_up = monotonic() + patience
    while True:
        stats.add(relay.drain())
        with sessions() as session:
            rows = outbox.by_keys(session, team_id=team, keys=keys)
        left = [r for r in rows if r.status in ("pending", "sending")]
        if not left or monotonic() >= give_up:
            break
        due = min((r.next_attempt_at for r in left if r.next_attempt_at is not None), default=None)
        wait = 1.0 if due is None else (due - utcnow()).total_seconds()
        if wait > give_up - monotonic():
            break  # not due again before we would give up: leave it to the running bot or the next run
        sleep(min(max(wait, 0.2), 5.0))
    return Delivered(
        stats,
        sent=[r for r in rows if r.status == "sent"],
        dead=[r for r in rows if r.status == "dead"],
        waiting=left,
    )
