"""Saved CRM connections per workspace (issue 16): what the scheduled crm_sync job syncs.

One row per workspace and CRM (`crm_connections`, migration 0016). The secret, a HubSpot access token or a
Salesforce private key PEM, is encrypted with storage.crypto's TokenCipher (TOKEN_ENCRYPTION_KEYS, as the Slack
tokens are) before it is written, and decrypted only into a `Connection` handed to the job that builds the
client. A `Connection`'s repr never shows the secret; `connections()` reads everything but the secret.

The run columns say how the last sync went: `last_error` (any failure), and `failure` when only an admin can fix
it (auth, daily_limit, allocation, keys), since when, and when the admins were told (once per failure).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.crypto import InvalidToken, TokenCipher
from storage.models import CrmConnection
from storage.upsert import conflict_insert

ERROR_LIMIT = 1000
SOURCES = ("hubspot", "salesforce")


@dataclass(frozen=True)
class Connection:
    team_id: str
    source: str
    base_url: str
    consumer_key: str | None
    username: str | None
    interval_minutes: int
    saved_by: str | None = None
    updated_at: datetime | None = None
    last_run_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_error: str | None = None
    failure: str | None = None
    failing_since: datetime | None = None
    notified_at: datetime | None = None
    secret: str | None = field(default=None, repr=False)  # decrypted; None: not read, or no key opens it
    undecryptable: bool = False  # the stored secret opens with none of the keys


def _of(row: CrmConnection, secret: str | None = None, undecryptable: bool = False) -> Connection:
    return Connection(
        row.team_id, row.source, row.base_url, row.consumer_key, row.username, row.interval_minutes,
        row.saved_by, row.updated_at, row.last_run_at, row.last_ok_at, row.last_error, row.failure,
        row.failing_since, row.notified_at, secret, undecryptable,
    )  # fmt: skip


def save(
    session: Session,
    cipher: TokenCipher,
    team_id: str,
    source: str,
    *,
    secret: str,
    base_url: str,
    interval_minutes: int,
    now: datetime,
    consumer_key: str | None = None,
    username: str | None = None,
    saved_by: str | None = None,
) -> None:
    """Store (or replace) the workspace's connection to `source`; a saved connection starts with no error."""
    if source not in SOURCES:
        raise ValueError(f"unknown CRM {source!r}")
    if not secret:
        raise ValueError("a CRM connection needs its secret")
    values: dict[str, object] = {
        "base_url": base_url, "consumer_key": consumer_key, "username": username,
        "interval_minutes": interval_minutes, "secret": cipher.encrypt(secret), "saved_by": saved_by,
        "updated_at": now, "last_error": None, "failure": None, "failing_since": None, "notified_at": None,
    }  # fmt: skip
    stmt = conflict_insert(session, CrmConnection).values(
        team_id=team_id, source=source, created_at=now, **values
    )
    session.execute(stmt.on_conflict_do_update(index_elements=["team_id", "source"], set_=values))


def remove(session: Session, team_id: str, source: str) -> bool:
    """Forget the connection (the sync positions stay: a new connection to the same CRM goes on from them)."""
    result = session.execute(
        delete(CrmConnection).where(CrmConnection.team_id == team_id, CrmConnection.source == source)
    )
    return bool(getattr(result, "rowcount", 0))


def connections(session: Session, team_id: str | None = None) -> list[Connection]:
    """Every saved connection (of one workspace), without its secret."""
    query = select(CrmConnection).order_by(CrmConnection.team_id, CrmConnection.source)
    if team_id is not None:
        query = query.where(CrmConnection.team_id == team_id)
    return [_of(row) for row in session.scalars(query)]


def opened(session: Session, cipher: TokenCipher | None, team_id: str) -> list[Connection]:
    """The workspace's connections with their secrets decrypted (`undecryptable` when no key opens one)."""
    out = []
    query = select(CrmConnection).where(CrmConnection.team_id == team_id).order_by(CrmConnection.source)
    for row in session.scalars(query):
        try:
            if cipher is None:
                raise InvalidToken
            out.append(_of(row, cipher.decrypt(row.secret)))
        except InvalidToken:
            out.append(_of(row, None, undecryptable=True))
    return out


def record_run(
    session: Session,
    team_id: str,
    source: str,
    *,
    now: datetime,
    error: str | None = None,
    failure: str | None = None,
    can_tell: bool = True,
) -> bool:
    """Note how a run went (error None: it finished). Returns True when `failure` is new (none, or another one,
    before) and `can_tell` (there are admins to tell): they are to be told now. The same failure again returns
    False; one nobody could be told about yet is told when somebody can."""
    row = _row(session, team_id, source)
    if row is None:
        return False
    row.last_run_at = now
    if error is None:
        row.last_ok_at = now
        row.last_error = row.failure = row.failing_since = row.notified_at = None
        return False
    row.last_error = " ".join(error.split())[:ERROR_LIMIT]
    if failure is None:
        return False
    if not _tells(row, failure, True):
        return False
    if row.failure != failure:
        row.failing_since = now
        row.notified_at = None
    row.failure = failure
    if not can_tell:
        return False
    row.notified_at = now
    return True


def _row(session: Session, team_id: str, source: str) -> CrmConnection | None:
    return session.scalars(
        select(CrmConnection)
        .where(CrmConnection.team_id == team_id, CrmConnection.source == source)
        .execution_options(populate_existing=True)
    ).first()


def _tells(row: CrmConnection, failure: str | None, can_tell: bool) -> bool:
    """Whether a run ending in `failure` is to be told: a failure nobody was told about yet."""
    return failure is not None and can_tell and not (row.failure == failure and row.notified_at is not None)


def would_tell(
    session: Session, team_id: str, source: str, failure: str | None, *, can_tell: bool = True
) -> bool:
    """What record_run with this failure would return (it writes nothing)."""
    row = _row(session, team_id, source)
    return row is not None and _tells(row, failure, can_tell)


def lease(
    session: Session, team_id: str, source: str, *, worker: str, now: datetime, until: datetime
) -> bool:
    """Take (or renew) the connection for `worker` until `until`: True unless another run holds a live lease.
    Commit it before syncing, so that other runs see it."""
    result = session.execute(
        update(CrmConnection)
        .where(
            CrmConnection.team_id == team_id,
            CrmConnection.source == source,
            or_(
                CrmConnection.lease_until.is_(None),
                CrmConnection.lease_until < now,
                CrmConnection.leased_by == worker,
            ),
        )
        .values(lease_until=until, leased_by=worker)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def release(session: Session, team_id: str, source: str, *, worker: str) -> None:
    session.execute(
        update(CrmConnection)
        .where(
            CrmConnection.team_id == team_id,
            CrmConnection.source == source,
            CrmConnection.leased_by == worker,
        )
        .values(lease_until=None, leased_by=None)
        .execution_options(synchronize_session=False)
    )


def trouble(session: Session, *, team_ids: Sequence[str]) -> dict[str, int]:
    """For readiness: how many connections the workspaces have, and how many wait for an admin's fix."""
    if not team_ids:
        return {"connections": 0, "failing": 0}
    total, failing = session.execute(
        select(func.count(), func.count(CrmConnection.failure)).where(CrmConnection.team_id.in_(team_ids))
    ).one()
    return {"connections": int(total or 0), "failing": int(failing or 0)}


def rotate(session: Session, cipher: TokenCipher) -> int:
    """Re-encrypt every stored secret with the first key (`accountbot tokens rotate`); returns the rows."""
    changed = 0
    for row_id, secret in session.execute(select(CrmConnection.id, CrmConnection.secret)).all():
        session.execute(
            update(CrmConnection).where(CrmConnection.id == row_id).values(secret=cipher.rotate(secret))
        )
        changed += 1
    return changed
