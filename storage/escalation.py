"""Escalation's storage (docs/nudges.md#escalation-and-outcomes): each workspace's switch and channel, owners'
managers, and the accounts escalated. Every query is scoped by team id.

- **Off by default.** A workspace escalates only once `accountbot escalation enable` wrote its row.
- **Managers** come from the `manager` column of an owner directory import (`--owners`, a Salesforce or
  HubSpot users export; `save_directory_managers`) or from `accountbot escalation manager OWNER MANAGER`
  (wins over an import). Owner and manager are a lower-cased email or a Slack user id; a manager given by
  email is reached once the directory sync has found them in Slack (`unresolved_manager_emails`).
- **Escalated accounts** (`escalated_accounts`) are the ones the daily digest shows as escalated instead of
  repeating them: escalated since a given instant and not touched after the escalation.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import Session

from accounts.facts import EscalatedItemFacts
from storage.db import ensure_workspace
from storage.models import (
    Account,
    EscalationSent,
    EscalationSetting,
    Interaction,
    OwnerManager,
    SlackUser,
    table_of,
)
from storage.upsert import conflict_insert

UNREACHABLE = ("bot", "deactivated")
MANAGERS = table_of(OwnerManager)
ESCALATIONS = table_of(EscalationSent)


# -- the workspace's choice ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EscalationChoice:
    enabled: bool = False
    channel: str | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None


def escalation_choice(session: Session, team_id: str) -> EscalationChoice:
    """The workspace's escalation setting; off when it never chose."""
    row = session.get(EscalationSetting, team_id)
    if row is None:
        return EscalationChoice()
    return EscalationChoice(bool(row.enabled), row.channel, row.updated_by, row.updated_at)


_KEEP: Any = object()


def set_escalation(
    session: Session,
    team_id: str,
    *,
    now: datetime,
    enabled: bool | None = None,
    channel: str | None | Any = _KEEP,
    by: str | None = None,
) -> EscalationChoice:
    """Switch escalation on or off and/or set its channel (None clears it); unnamed settings stay."""
    ensure_workspace(session, team_id)
    row = session.get(EscalationSetting, team_id)
    if row is None:
        row = EscalationSetting(team_id=team_id, enabled=False, channel=None, updated_at=now)
        session.add(row)
    if enabled is not None:
        row.enabled = enabled
    if channel is not _KEEP:
        row.channel = channel
    row.updated_by, row.updated_at = by, now
    session.flush()
    return escalation_choice(session, team_id)


# -- managers ----------------------------------------------------------------------------------------------


def person_key(value: str) -> str:
    """An owner or manager as stored: an email trimmed and lower-cased, a Slack user id as written."""
    text = value.strip()
    return text.lower() if "@" in text else text


def set_manager(session: Session, team_id: str, owner: str, manager: str | None, *, now: datetime) -> None:
    """Name an owner's manager by hand (None: forget it); wins over the owner directory's column."""
    ensure_workspace(session, team_id)
    key = person_key(owner)
    if manager is None:
        session.execute(delete(MANAGERS).where(MANAGERS.c.team_id == team_id, MANAGERS.c.owner == key))
        return
    values = {
        "team_id": team_id,
        "owner": key,
        "manager": person_key(manager),
        "source": "cli",
        "updated_at": now,
    }
    session.execute(
        conflict_insert(session, MANAGERS)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["team_id", "owner"],
            set_={"manager": values["manager"], "source": "cli", "updated_at": now},
        )
    )


def save_directory_managers(
    session: Session, team_id: str, pairs: Mapping[str, str], *, now: datetime
) -> int:
    """Owner email -> manager email from an owner directory import; a manager set by hand is kept. Returns
    how many owners' managers were written."""
    rows = [
        {"team_id": team_id, "owner": person_key(o), "manager": person_key(m), "source": "import", "updated_at": now}
        for o, m in sorted(pairs.items())
        if o.strip() and m.strip() and person_key(o) != person_key(m)
    ]  # fmt: skip
    if not rows:
        return 0
    insert = conflict_insert(session, MANAGERS)
    stmt = insert.on_conflict_do_update(
        index_elements=["team_id", "owner"],
        set_={"manager": insert.excluded.manager, "updated_at": insert.excluded.updated_at},
        where=MANAGERS.c.source == "import",
    )
    session.execute(stmt, rows)
    return len(rows)


def managers(session: Session, team_id: str) -> dict[str, tuple[str, str]]:
    """Owner -> (manager, source) as stored."""
    rows = session.execute(
        select(MANAGERS.c.owner, MANAGERS.c.manager, MANAGERS.c.source).where(MANAGERS.c.team_id == team_id)
    )
    return {owner: (manager, source) for owner, manager, source in rows}


def managers_of(session: Session, team_id: str, owners: Collection[str]) -> dict[str, str]:
    """Owner Slack user id -> their manager's Slack user id, for the owners whose manager the bot can reach:
    the manager is stored against the owner's user id, their email in Slack or the email their accounts
    were imported with, and is a Slack user id, or an email the directory sync has found in Slack (a bot or
    a deactivated user reaches nobody; nor does an owner as their own manager)."""
    if not owners:
        return {}
    stored = managers(session, team_id)
    if not stored:
        return {}
    wanted = sorted(set(owners))
    keys: dict[str, set[str]] = {o: {o} for o in wanted}
    for user_id, email in session.execute(
        select(SlackUser.user_id, SlackUser.email).where(
            SlackUser.team_id == team_id, SlackUser.user_id.in_(wanted), SlackUser.email.is_not(None)
        )
    ):
        keys[user_id].add(str(email).lower())
    for owner_id, imported in session.execute(
        select(Account.owner_user_id, Account.owner)
        .where(Account.team_id == team_id, Account.owner_user_id.in_(wanted), Account.owner.like("%@%"))
        .distinct()
    ):
        if owner_id in keys:
            keys[owner_id].add(str(imported).strip().lower())
    chosen: dict[str, str] = {}
    for owner in wanted:
        # a manager set by hand ("cli") before one from an import, then by key
        found = sorted((stored[k][1], k) for k in keys[owner] if k in stored)
        if found:
            chosen[owner] = stored[found[0][1]][0]
    emails = sorted({m for m in chosen.values() if "@" in m})
    by_email: dict[str, str] = {}
    if emails:
        for user_id, email in session.execute(
            select(SlackUser.user_id, func.lower(SlackUser.email)).where(
                SlackUser.team_id == team_id, func.lower(SlackUser.email).in_(emails)
            )
        ):
            by_email.setdefault(email, user_id)
    ids = {o: (by_email.get(m) if "@" in m else m) for o, m in chosen.items()}
    reachable = {i for i in ids.values() if i}
    gone = set(
        session.scalars(
            select(SlackUser.user_id).where(
                SlackUser.team_id == team_id,
                SlackUser.user_id.in_(sorted(reachable)),
                SlackUser.membership.in_(UNREACHABLE),
            )
        )
    ) if reachable else set()  # fmt: skip
    return {o: i for o, i in ids.items() if i and i not in gone and i != o}


def unresolved_manager_emails(session: Session, team_id: str) -> list[str]:
    """Managers named by email whom the directory sync has not found in Slack yet."""
    known = select(SlackUser.id).where(
        SlackUser.team_id == team_id, func.lower(SlackUser.email) == MANAGERS.c.manager
    )
    rows = session.scalars(
        select(MANAGERS.c.manager)
        .where(MANAGERS.c.team_id == team_id, MANAGERS.c.manager.like("%@%"), ~exists(known))
        .distinct()
    )
    return sorted(rows)


# -- escalations -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewEscalation:
    account_id: int
    week: str
    owner_user_id: str
    sent_to: str
    to_kind: str  # manager | channel
    days_overdue: int | None
    nudges_ignored: int


def record_escalations(
    session: Session, team_id: str, rows: Iterable[NewEscalation], *, now: datetime
) -> int:
    """Remember escalations (in the job's transaction); one per account and week. Returns how many are new."""
    values = [
        {"team_id": team_id, "account_id": r.account_id, "week": r.week, "owner_user_id": r.owner_user_id,
         "sent_to": r.sent_to, "to_kind": r.to_kind, "days_overdue": r.days_overdue,
         "nudges_ignored": r.nudges_ignored, "escalated_at": now}
        for r in rows
    ]  # fmt: skip
    if not values:
        return 0
    insert = (
        conflict_insert(session, ESCALATIONS)
        .on_conflict_do_nothing(index_elements=["team_id", "account_id", "week"])
        .returning(ESCALATIONS.c.id)
    )
    return len(session.execute(insert, values).all())


def escalated_accounts(session: Session, team_id: str, since: datetime) -> dict[int, EscalatedItemFacts]:
    """Account id -> its latest escalation from `since` on, for the accounts no touch has followed since that
    escalation: what the daily digest shows instead of repeating them (accounts.escalation.split_escalated)."""
    e = ESCALATIONS.c
    touched = exists(
        select(Interaction.id).where(
            Interaction.team_id == team_id,
            Interaction.account_id == e.account_id,
            Interaction.occurred_at > e.escalated_at,
        )
    )
    rows = session.execute(
        select(
            e.account_id, Account.name, e.sent_to, e.to_kind, e.escalated_at, e.days_overdue, e.nudges_ignored
        )
        .join(Account, and_(Account.id == e.account_id, Account.team_id == team_id))
        .where(e.team_id == team_id, e.escalated_at >= since, ~touched)
        .order_by(e.escalated_at, e.id)
    )
    out: dict[int, EscalatedItemFacts] = {}
    for account_id, name, sent_to, to_kind, at, overdue, ignored in rows:
        when = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        out[account_id] = {
            "account_id": account_id,
            "account": name,
            "to": sent_to,
            "to_kind": to_kind,
            "escalated_on": when.date().isoformat(),
            "days_overdue": overdue,
            "nudges_ignored": ignored,
        }  # the latest wins (ordered by time)
    return out


def escalation_count(session: Session, team_id: str, *, since: datetime, until: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ESCALATIONS)
            .where(
                ESCALATIONS.c.team_id == team_id,
                ESCALATIONS.c.escalated_at >= since,
                ESCALATIONS.c.escalated_at <= until,
            )
        )
        or 0
    )
