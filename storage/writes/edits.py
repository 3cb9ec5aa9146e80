"""Writes from the Slack face: touches, contacts, field changes (with an audit row), snoozes. Scoped by
team_id: an account of another workspace is `NotFound`. Authorization is the caller's (bot/listeners/
permissions.py); these record who did it, in the caller's unit of work, and never commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Account, AccountChange, Contact, Interaction, InteractionContact, Snooze
from storage.reads.accounts import name_key
from storage.upsert import conflict_insert

# Account columns `set_field` may change, by the name users type.
FIELD_COLUMNS: dict[str, str] = {
    "strategic_value": "strategic_value",
    "pain_factor": "pain_factor",
    "wallet_share": "wallet_share",
    "profit_margin": "profit_margin",
    "profitability": "profitability",
    "potential": "potential",
    "engagement": "engagement",
    "stage": "stage",
    "owner": "owner_user_id",
    "sponsor": "sponsor_user_id",
    "sponsor_level": "sponsor_level",
    "aliases": "aliases",
    "feed": "news_feed",
}


class NotFound(LookupError):
    """The account or contact does not exist in this workspace."""


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    old: str | None
    new: str | None

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _account(session: Session, team_id: str, account_id: int) -> Account:
    acc = session.scalar(select(Account).where(Account.team_id == team_id, Account.id == account_id))
    if acc is None:
        raise NotFound(f"account {account_id} is not in workspace {team_id}")
    return acc


def _show(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) if value else None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def record_change(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    user_id: str,
    field: str,
    old: Any,
    new: Any,
    now: datetime,
) -> Change:
    change = Change(field, _show(old), _show(new))
    session.add(
        AccountChange(
            team_id=team_id,
            account_id=account_id,
            user_id=user_id,
            field=field,
            old_value=change.old,
            new_value=change.new,
            changed_at=now,
        )
    )
    return change


def set_field(
    session: Session, *, team_id: str, account_id: int, field: str, value: Any, user_id: str, now: datetime
) -> Change:
    """Change one account field and record who changed it, when, old -> new. Unchanged values record nothing."""
    column = FIELD_COLUMNS.get(field)
    if column is None:
        raise ValueError(f"{field!r} cannot be set; allowed: {', '.join(FIELD_COLUMNS)}")
    acc = _account(session, team_id, account_id)
    old = getattr(acc, column)
    if isinstance(old, list):
        old = list(old)
    if field == "aliases":
        value = _dedupe_aliases(acc.name, value or [])
    if old == value or (old in (None, []) and value in (None, [])):
        return Change(field, _show(old), _show(value))
    setattr(acc, column, value)
    if field == "owner":
        acc.owner = value
    acc.updated_at = now
    change = record_change(
        session, team_id=team_id, account_id=acc.id, user_id=user_id, field=field, old=old, new=value, now=now
    )
    session.flush()
    return change


def _dedupe_aliases(account_name: str, aliases: list[str]) -> list[str]:
    seen = {name_key(account_name)}
    out = []
    for alias in aliases:
        key = name_key(alias)
        if key and key not in seen:
            seen.add(key)
            out.append(" ".join(alias.split()))
    return out


def touch_dedup_key(
    account_id: int,
    occurred_at: datetime,
    kind: str,
    contact_id: int | None,
    colleague: str | None,
    note: str | None,
) -> str:
    raw = "\x1f".join(
        [str(account_id), occurred_at.isoformat(), kind, str(contact_id or ""), colleague or "", note or ""]
    )
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def log_touch(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    kind: str,
    occurred_at: datetime,
    created_by: str,
    contact_id: int | None = None,
    note: str | None = None,
    submission: str | None = None,
) -> bool:
    """Record a touch by `created_by` (also the colleague). Returns False if the identical touch existed, or the
    touch of the same `submission` (a form's Slack view id: a resent submission saves once)."""
    _account(session, team_id, account_id)
    if contact_id is not None:
        found = session.scalar(
            select(Contact.id).where(
                Contact.team_id == team_id, Contact.account_id == account_id, Contact.id == contact_id
            )
        )
        if found is None:
            raise NotFound(f"contact {contact_id} is not a contact of account {account_id}")
    values = dict(
        team_id=team_id,
        account_id=account_id,
        occurred_at=occurred_at,
        kind=kind,
        contact_id=contact_id,
        colleague=created_by,
        note=note,
        created_by=created_by,
        dedup_key=(
            hashlib.sha256(f"view\x1f{submission}".encode()).hexdigest()
            if submission
            else touch_dedup_key(account_id, occurred_at, kind, contact_id, created_by, note)
        ),
    )
    stmt = (
        conflict_insert(session, Interaction)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["team_id", "dedup_key"])
    )
    new_id = session.execute(stmt.returning(Interaction.id)).scalar_one_or_none()
    if (
        new_id is not None and contact_id is not None
    ):  # every contact of a touch (storage.models.InteractionContact)
        session.add(
            InteractionContact(
                team_id=team_id, interaction_id=new_id, contact_id=contact_id, account_id=account_id,
                occurred_at=occurred_at, colleague=created_by,
            )
        )  # fmt: skip
        session.flush()
    return new_id is not None


def find_contact(session: Session, team_id: str, account_id: int, name: str) -> Contact | None:
    """A contact of the account by name (case-insensitive) or email."""
    key = name_key(name)
    return session.scalar(
        select(Contact)
        .where(Contact.team_id == team_id, Contact.account_id == account_id)
        .where((Contact.name_key == key) | (Contact.email == name.strip().lower()))
        .order_by(Contact.active.desc(), Contact.id)
        .limit(1)
    )


def _contact_named(session: Session, team_id: str, account_id: int, name: str) -> Contact | None:
    """The account's contact of that name (active or not), matched by name key."""
    return session.scalar(
        select(Contact).where(
            Contact.team_id == team_id, Contact.account_id == account_id, Contact.name_key == name_key(name)
        )
    )


def _record_contact_change(
    session: Session, team_id: str, account_id: int, user_id: str, *, old: str | None, new: str, now: datetime
) -> None:
    record_change(
        session,
        team_id=team_id,
        account_id=account_id,
        user_id=user_id,
        field="contact",
        old=old,
        new=new,
        now=now,
    )


def add_contact(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    name: str,
    title: str | None,
    decision_maker: bool,
    user_id: str,
    now: datetime,
) -> tuple[Contact, bool]:
    """Add a contact (or bring back one who had left, with the new title/role). Returns (contact, created)."""
    acc = _account(session, team_id, account_id)
    name = " ".join(name.split())
    role = "decision_maker" if decision_maker else None
    existing = _contact_named(session, team_id, acc.id, name)
    if existing is not None:
        before = _describe(existing)
        existing.active = True
        existing.left_at = None
        if title:
            existing.title = title
        if role:
            existing.role = role
        after = _describe(existing)
        if before != after:
            _record_contact_change(session, team_id, acc.id, user_id, old=before, new=after, now=now)
        session.flush()
        return existing, False
    contact = Contact(
        team_id=team_id,
        account_id=acc.id,
        name=name,
        name_key=name_key(name),
        title=title,
        role=role or "user",
        active=True,
    )
    session.add(contact)
    _record_contact_change(session, team_id, acc.id, user_id, old=None, new=_describe(contact), now=now)
    session.flush()
    return contact, True


def _describe(c: Contact) -> str:
    parts = [c.name]
    if c.title:
        parts.append(c.title)
    if c.role == "decision_maker":
        parts.append("decision maker")
    if not c.active:
        parts.append("left")
    return ", ".join(parts)


def contact_left(
    session: Session, *, team_id: str, account_id: int, name: str, user_id: str, now: datetime
) -> Contact:
    """Mark a contact as gone (kept for history). Raises NotFound if the account has no such contact."""
    acc = _account(session, team_id, account_id)
    contact = _contact_named(session, team_id, acc.id, name)
    if contact is None:
        raise NotFound(f"no contact {name!r} at account {account_id}")
    if contact.active:
        before = _describe(contact)
        contact.active = False
        contact.left_at = now
        _record_contact_change(session, team_id, acc.id, user_id, old=before, new=_describe(contact), now=now)
        session.flush()
    return contact


def snooze(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    until: datetime,
    reason: str | None,
    user_id: str,
    now: datetime,
) -> Snooze:
    """Quiet the account's nudges until `until`. Recorded in the audit trail too."""
    acc = _account(session, team_id, account_id)
    row = Snooze(
        team_id=team_id, account_id=acc.id, until=until, reason=reason, created_by=user_id, created_at=now
    )
    session.add(row)
    record_change(
        session,
        team_id=team_id,
        account_id=acc.id,
        user_id=user_id,
        field="snooze",
        old=None,
        new=until.date().isoformat() + (f" ({reason})" if reason else ""),
        now=now,
    )
    session.flush()
    return row
