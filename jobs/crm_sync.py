"""The live CRM sync (issue 16): a client of crm/ read page by page into storage, one page per transaction.

    report = sync(sessions, team_id, HubSpotClient(token=...), now=utcnow())

Per object, in the import's dependency order (owners/users, accounts, contacts, activities, deals):

1. The stored position (storage.sync_state): the watermark of the next pass (None: a full pass) and, when the
   last run stopped inside a pass, where its last written page ended.
2. `client.records(obj, since=watermark, resume=resume)`; each page's records go through the file import's
   mapping, normalisation, reason codes and writers (storage.importing.sync), and the page's watermark and
   resume position are saved **in the same transaction**. A run killed at any point goes on, next time, from
   the last committed page: nothing is lost, and what is read again is upserted by identity (unchanged).
3. A touch dated after `now` is skipped (`future`), as the import skips it; the pass stores its next watermark
   no later than the earliest such record's modification time, so that later passes read it again and write
   it once its time has come (storage.importing.sync).
4. Owners (HubSpot's owners API, Salesforce User) are read whole on every run: they are few, and every other
   object resolves its owner ids with them, also when the run resumes half-way.
5. After the last object, the stored rollups and grades are brought up to date once (a run that stops before
   leaves them to the next run or import, as the import does).

A rate limit or any other CrmError stops the run: the error is noted on the object (`last_error`), its
position stays as the last page left it, and `SyncStopped` carries the report so far.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from accounts.facts import CrmSyncFailedFacts
from accounts.thresholds import Thresholds
from crm.errors import AllocationLimitReached, AuthFailed, CrmError, DailyLimitReached
from crm.fields import HUBSPOT_KINDS, HUBSPOT_ORDER, HUBSPOT_OWNERS, SALESFORCE_KINDS, SALESFORCE_ORDER
from crm.pages import Page
from jobs.runner import Outgoing, TeamRun, per_team_job
from storage import crm_connections, sync_state
from storage.crm_connections import Connection
from storage.crypto import TokenCipher
from storage.db import ensure_workspace, session_factory
from storage.escalation import save_directory_managers
from storage.importing.mapping import Mapping, load_mapping
from storage.importing.sync import Synced, Writer, profile_named
from storage.reads.reports import report_admins
from storage.stored.grades import ensure_classified
from storage.stored.rollups import ensure_rollups

OWNERS_PROFILE = "hubspot-api-owners"
log = logging.getLogger("accountbot.crm_sync")


class Client(Protocol):
    source: str

    def records(self, kind: str, since: datetime | None = None, *, resume: str | None = None) -> Any: ...

    def count(self, kind: str) -> int: ...

    def close(self) -> None: ...


def plan(source: str) -> list[tuple[str, str]]:
    """(object, import profile) in dependency order. Objects without a profile (HubSpot emails) are not synced."""
    if source == "hubspot":
        out = [(HUBSPOT_OWNERS, OWNERS_PROFILE)]
        out += [(k, p) for k in HUBSPOT_ORDER if k in HUBSPOT_KINDS and (p := HUBSPOT_KINDS[k].profile)]
        return out
    if source == "salesforce":
        return [(k, p) for k in SALESFORCE_ORDER if (p := SALESFORCE_KINDS[k].profile)]
    raise ValueError(f"unknown CRM source {source!r}")


OWNER_OBJECTS = {HUBSPOT_OWNERS, "User"}


@dataclass
class SyncReport:
    source: str
    team_id: str
    full: bool
    objects: list[Synced] = field(default_factory=list)
    stopped: CrmError | None = None

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.objects)


class SyncStopped(Exception):
    """The CRM stopped the run (a rate limit, an error): positions are kept; `report` says what was done."""

    def __init__(self, report: SyncReport, error: CrmError, obj: str) -> None:
        super().__init__(str(error))
        self.report = report
        self.error = error
        self.obj = obj


def sync(
    sessions: sessionmaker[Session],
    team_id: str,
    client: Client,
    *,
    now: datetime,
    thresholds: Thresholds | None = None,
    full: bool = False,
    mapping: Mapping | None = None,
    currency: str = "USD",
    rates: dict[str, float] | None = None,
    on_page: Callable[[Synced, Page], None] | None = None,
    redact: Callable[[str], str] | None = None,
) -> SyncReport:
    """Sync every object of the client's source into the workspace; raises SyncStopped on a CrmError.
    `redact` cleans an error's text before it is stored (of the secret the client was built with)."""
    source = client.source
    report = SyncReport(source, team_id, full)
    with sessions.begin() as session:
        ensure_workspace(session, team_id)
        if full:
            sync_state.clear(session, team_id, source)
    writer = Writer(source, mapping or load_mapping(None), now, currency, rates or {})
    for obj, profile_name in plan(source):
        profile = profile_named(profile_name)
        synced = Synced(obj)
        report.objects.append(synced)
        one = _Pass(sessions, team_id, client, obj, profile, writer, synced, now, on_page)
        try:
            one.owners() if obj in OWNER_OBJECTS else one.objects()
        except CrmError as exc:
            with sessions.begin() as session:
                sync_state.fail(session, team_id, source, obj, redact(str(exc)) if redact else str(exc), now)
            report.stopped = exc
            raise SyncStopped(report, exc, obj) from exc
    if thresholds is not None:
        with sessions.begin() as session:
            ensure_rollups(session, team_id, now, thresholds)
            try:
                ensure_classified(session, team_id, thresholds)
            except ValueError:
                pass  # a rating the rules reject leaves the classification stale (as the import does)
    return report


@dataclass
class _Pass:
    """One object's pass of a run: what both kinds of pass (owners read whole, objects from their watermark)
    need, and the counting every page gets."""

    sessions: sessionmaker[Session]
    team_id: str
    client: Client
    obj: str
    profile: Any
    writer: Writer
    synced: Synced
    now: datetime
    on_page: Callable[[Synced, Page], None] | None

    def counted(self, page: Page) -> None:
        self.synced.requests += page.requests
        self.synced.pages += 1
        if self.on_page:
            self.on_page(self.synced, page)

    def save(self, session: Session, watermark: datetime | None, resume: str | None,
             hold: datetime | None = None) -> None:  # fmt: skip
        sync_state.save(session, self.team_id, self.client.source, self.obj, watermark=watermark,
                        resume=resume, now=self.now, hold=hold)  # fmt: skip

    def owners(self) -> None:
        """The owner directory, read whole (no watermark is used; the last pass's end is stored for the report)."""
        last: Page | None = None
        for page in self.client.records(self.obj):
            self.writer.users(self.profile, page.records, self.synced)
            last = page
            self.counted(page)
        self.synced.watermark = last.watermark if last else None
        with self.sessions.begin() as session:
            # escalation's managers, as an owner directory import saves them (Salesforce's ManagerId)
            save_directory_managers(session, self.team_id, self.writer.owners.managers(), now=self.now)
            self.save(session, self.synced.watermark, None)

    def objects(self) -> None:
        """From the stored position: each page written with its watermark and resume position."""
        synced = self.synced
        with self.sessions.begin() as session:
            position = sync_state.load(session, self.team_id, self.client.source, self.obj)
        synced.watermark = position.watermark
        synced.hold = position.hold if position.resume is not None else None  # a resumed pass keeps its hold
        for page in self.client.records(self.obj, since=position.watermark, resume=position.resume):
            with self.sessions.begin() as session:
                self.writer.write(session, self.team_id, self.profile, page.records, synced)
                watermark = page.watermark
                if page.last and synced.hold is not None and watermark is not None:
                    watermark = min(watermark, synced.hold)  # read the future touches again next time
                self.save(session, watermark, page.resume, None if page.last else synced.hold)
            synced.watermark = watermark
            self.counted(page)


# ------------------------------------------------------------------------------------------- the scheduled job
# `crm_sync` (jobs.registry): each workspace's saved connections (storage.crm_connections), each once per its
# interval (a period of the job ledger, so replicas never sync the same period twice), incrementally from the
# stored watermarks. A failure only an admin can fix is recorded on the connection and told to the workspace's
# admins once (an outbox message of kind "crm_sync_failed"), with the fix.

NAME = "crm_sync"
KIND = "crm_sync_failed"
DEFAULT_INTERVAL_MINUTES = 60
LEASE = timedelta(minutes=15)  # a run's hold on a connection, renewed while its pages come
RENEW_SECONDS = 60.0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

FIXES = {
    "auth": {
        "hubspot": "create a new Service Key (or private app token) with the read scopes, then save it: "
        "`HUBSPOT_TOKEN=... accountbot crm connect hubspot --team {team} --save`",
        "salesforce": "check that the connected app is approved for the integration user and holds the "
        "certificate of the private key, then save it again: `accountbot crm connect salesforce --team {team} "
        "--save`",
    },
    "daily_limit": {
        "hubspot": "nothing to do now: the sync goes on from its watermark after the daily limit resets. If it "
        "happens often, sync less often (`accountbot crm connect hubspot --team {team} --save --interval "
        "240`) or raise the account's API limit",
    },
    "allocation": {
        "salesforce": "nothing to do now: the sync goes on from its watermark once the org's rolling 24-hour "
        "API usage has fallen. If it happens often, sync less often (`accountbot crm connect salesforce --team "
        "{team} --save --interval 240`) or raise the org's API allocation",
    },
    "keys": {
        "": "set TOKEN_ENCRYPTION_KEYS to the key the connection was saved with (or save it again with "
        "`accountbot crm connect {source} --team {team} --save`)",
    },
}


def failure_of(exc: Exception | None) -> str | None:
    """The kind of a failure only an admin can fix (None: none, or one the next run may get past)."""
    if isinstance(exc, AuthFailed):
        return "auth"  # a revoked or rotated token (Salesforce: refused again after one new login), a scope
    if isinstance(exc, DailyLimitReached):
        return "daily_limit"
    if isinstance(exc, AllocationLimitReached):
        return "allocation"  # the configured share of the 24 hours reached, or 403 REQUEST_LIMIT_EXCEEDED
    return None


def fix_of(failure: str, source: str, team_id: str) -> str:
    fixes = FIXES.get(failure, {})
    text = fixes.get(source) or fixes.get("") or "see `accountbot crm status --team {team}`"
    return text.format(team=team_id, source=source)


def period_of(conn: Connection, now: datetime) -> str:
    """The connection's period at `now`: "<source>:<start of its interval>" (intervals counted from 1970 UTC,
    so every replica computes the same one)."""
    size = timedelta(minutes=max(1, conn.interval_minutes))
    start = EPOCH + ((now - EPOCH) // size) * size
    return f"{conn.source}:{start:%Y-%m-%dT%H:%MZ}"


def client_of(conn: Connection) -> Client:
    """A client of the saved connection (its secret decrypted). Raises AuthFailed when it cannot be built."""
    if conn.source == "hubspot":
        from crm.hubspot import HubSpotClient

        return HubSpotClient(conn.secret or "", conn.base_url)
    if conn.source == "salesforce":
        from crm.salesforce import SalesforceClient

        return SalesforceClient(conn.base_url, conn.consumer_key or "", conn.username or "",
                                private_key=(conn.secret or "").encode())  # fmt: skip
    raise ValueError(f"unknown CRM source {conn.source!r}")


@dataclass
class Outcome:
    """How one connection's run went."""

    conn: Connection
    report: SyncReport | None = None
    error: str | None = None
    failure: str | None = None
    obj: str | None = None
    busy: bool = False  # another run holds the connection's lease: this one did nothing


def run_connection(
    sessions: sessionmaker[Session],
    conn: Connection,
    *,
    now: datetime,
    thresholds: Thresholds | None,
    clients: Callable[[Connection], Client] = client_of,
    worker: str = "crm_sync",
) -> Outcome:
    """Sync one saved connection under its lease (another run syncing it: `busy`, nothing done); every CrmError
    ends in the Outcome, never raised."""
    if conn.undecryptable:
        return Outcome(
            conn, error="the stored secret opens with none of TOKEN_ENCRYPTION_KEYS", failure="keys"
        )
    key = (conn.team_id, conn.source)
    with sessions.begin() as session:
        if not crm_connections.lease(session, *key, worker=worker, now=now, until=now + LEASE):
            return Outcome(conn, busy=True)
    started = last = time.monotonic()

    def renew(_synced: Synced, _page: Page) -> None:
        nonlocal last
        if time.monotonic() - last >= RENEW_SECONDS:  # the lease runs on the job's clock, plus the time taken
            last = time.monotonic()
            until = now + timedelta(seconds=last - started) + LEASE
            with sessions.begin() as session:
                crm_connections.lease(session, *key, worker=worker, now=now, until=until)

    try:
        with contextlib.closing(clients(conn)) as client:
            report = sync(sessions, conn.team_id, client, now=now, thresholds=thresholds, on_page=renew,
                          redact=lambda text: _scrubbed(text, conn))  # fmt: skip
    except SyncStopped as stopped:
        error = _scrubbed(str(stopped.error), conn)
        return Outcome(conn, stopped.report, error, failure_of(stopped.error), stopped.obj)
    except CrmError as exc:  # the client could not be built (a key that does not load)
        return Outcome(conn, error=_scrubbed(str(exc), conn), failure=failure_of(exc))
    finally:
        with sessions.begin() as session:
            crm_connections.release(session, *key, worker=worker)
    return Outcome(conn, report)


def _scrubbed(text: str, conn: Connection) -> str:
    """An error's text without the connection's secret (the APIs' messages do not echo it; this makes sure)."""
    secret = conn.secret or ""
    lines = [line for line in secret.splitlines() if len(line.strip()) >= 8] if "\n" in secret else [secret]
    for part in lines:
        if part and len(part) >= 6:
            text = text.replace(part.strip(), "[redacted]")
    return text


def _team(
    job: TeamRun,
    cipher: TokenCipher | None = None,
    listed_admins: Callable[[str], Collection[str]] | None = None,
    clients: Callable[[Connection], Client] = client_of,
) -> None:
    session, now, team = job.session, job.now, job.team_id
    due = {period_of(c, now): c for c in crm_connections.opened(session, cipher, team)}
    if not due:
        return
    sessions = session_factory(session.get_bind().engine)
    admins = list(report_admins(session, team, listed_admins(team) if listed_admins else ()))
    outcomes: dict[str, Outcome] = {}

    def compute(held: set[str]) -> list[Outgoing]:
        if job.result.dry_run:
            return []
        for p in sorted(held):
            outcomes[p] = run_connection(sessions, due[p], now=now, thresholds=job.th, clients=clients,
                                         worker=job.worker)  # fmt: skip
        out: list[Outgoing] = []
        for period, o in sorted(outcomes.items()):
            source = o.conn.source
            if o.busy:
                log.info("crm_sync_busy team=%s source=%s (another run is syncing it)", team, source)
                continue
            tell = crm_connections.would_tell(session, team, source, o.failure, can_tell=bool(admins))
            if o.error is None:
                requests = o.report.requests if o.report else 0
                log.info("crm_sync_done team=%s source=%s requests=%d", team, source, requests)
                continue
            log.warning("crm_sync_stopped team=%s source=%s object=%s failure=%s", team, source, o.obj or "-",
                        o.failure or "transient")  # fmt: skip
            if not tell or o.failure is None:
                continue
            facts: CrmSyncFailedFacts = {
                "source": source, "failure": o.failure, "object": o.obj, "error": o.error[:500],
                "fix": fix_of(o.failure, source, team), "since": now.isoformat(timespec="seconds"),
            }  # fmt: skip
            out.extend(Outgoing(period, admin, KIND, facts) for admin in admins)
        return out

    def after(still: set[str]) -> None:
        """Inside the transaction that marks the periods done: a period another run took over records nothing
        (and its messages were not queued either)."""
        for period in sorted(still & set(outcomes)):
            o = outcomes[period]
            if not o.busy:
                crm_connections.record_run(session, team, o.conn.source, now=now, error=o.error,
                                           failure=o.failure, can_tell=bool(admins))  # fmt: skip

    job.run_periods(due, compute, after)


run = per_team_job(NAME, _team)
