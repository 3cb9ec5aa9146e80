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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from accounts.thresholds import Thresholds
from crm.errors import CrmError
from crm.fields import HUBSPOT_KINDS, HUBSPOT_ORDER, HUBSPOT_OWNERS, SALESFORCE_KINDS, SALESFORCE_ORDER
from crm.pages import Page
from storage import sync_state
from storage.db import ensure_workspace
from storage.importing.mapping import Mapping, load_mapping
from storage.importing.sync import Synced, Writer, profile_named
from storage.stored.grades import ensure_classified
from storage.stored.rollups import ensure_rollups

OWNERS_PROFILE = "hubspot-api-owners"


class Client(Protocol):
    source: str

    def records(self, kind: str, since: datetime | None = None, *, resume: str | None = None) -> Any: ...

    def count(self, kind: str) -> int: ...


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
) -> SyncReport:
    """Sync every object of the client's source into the workspace; raises SyncStopped on a CrmError."""
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
                sync_state.fail(session, team_id, source, obj, str(exc), now)
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
