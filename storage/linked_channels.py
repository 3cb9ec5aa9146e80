"""Linked channels (docs/nudges.md#touches-the-bot-can-see): a channel linked to an account makes its people's
messages touches of that account. Metadata only: the time, the channel and the Slack user ids; never a
message's text.

A linked channel's messages of one UTC day are one touch per link (`channel_touches`), counted as an
`interactions` row of kind `other` without a note, so everything that reads touches (latest touches, the
digest's neglect, the nudge ledger's follow-ups, the contact concentration) sees it; the storage.stored hooks
keep the latest touch in the same transaction. Every query is scoped by team_id; these run in the caller's
unit of work and never commit. Who may link is the caller's (bot.commands.linked_channels).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.models import (
    Account,
    ChannelLink,
    ChannelTouch,
    ChannelTouchUser,
    Contact,
    Interaction,
    InteractionContact,
)
from storage.upsert import conflict_insert

TOUCH_KIND = "other"
# A day's touch moves to a later message at most this often: its time stays within the hour of the day's
# latest message, and a busy channel writes at most 24 such updates per link and day.
MOVE_EVERY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class LinkView:
    """A linked channel as `/account links` shows it."""

    account_id: int
    account: str
    channel_id: str
    linked_by: str
    linked_at: datetime
    days_touched: int
    last_touch_at: datetime | None


@dataclass(frozen=True, slots=True)
class Unlinked:
    """What unlinking deleted: the link itself (False: there was none), its touches and participant rows."""

    found: bool
    touches: int
    people: int


def link_channel(
    session: Session, *, team_id: str, account_id: int, channel_id: str, user_id: str, now: datetime
) -> bool:
    """Link the channel to the account; False when it already was (the link is kept as it was)."""
    stmt = (
        conflict_insert(session, ChannelLink)
        .values(
            team_id=team_id, channel_id=channel_id, account_id=account_id, linked_by=user_id, linked_at=now
        )
        .on_conflict_do_nothing(index_elements=["team_id", "channel_id", "account_id"])
    )
    return session.execute(stmt.returning(ChannelLink.id)).scalar_one_or_none() is not None


def unlink_channel(session: Session, *, team_id: str, account_id: int, channel_id: str) -> Unlinked:
    """Remove the link and delete everything recorded through it: its touches (the interactions they count
    as, with their contact rows) and the user ids that took part. The account's latest touch is recomputed by
    the storage.stored hooks in this transaction."""
    link_id = session.scalar(
        select(ChannelLink.id).where(
            ChannelLink.team_id == team_id,
            ChannelLink.account_id == account_id,
            ChannelLink.channel_id == channel_id,
        )
    )
    if link_id is None:
        return Unlinked(False, 0, 0)
    touches = select(ChannelTouch.id).where(ChannelTouch.team_id == team_id, ChannelTouch.link_id == link_id)
    interactions = sorted(
        session.scalars(
            select(ChannelTouch.interaction_id).where(
                ChannelTouch.team_id == team_id, ChannelTouch.link_id == link_id
            )
        )
    )
    people = session.execute(
        delete(ChannelTouchUser).where(
            ChannelTouchUser.team_id == team_id, ChannelTouchUser.touch_id.in_(touches.scalar_subquery())
        )
    )
    session.execute(
        delete(ChannelTouch).where(ChannelTouch.team_id == team_id, ChannelTouch.link_id == link_id)
    )
    if interactions:
        session.execute(
            delete(InteractionContact).where(
                InteractionContact.team_id == team_id, InteractionContact.interaction_id.in_(interactions)
            )
        )
        session.execute(
            delete(Interaction).where(
                Interaction.team_id == team_id,
                Interaction.account_id == account_id,
                Interaction.id.in_(interactions),
            )
        )
    session.execute(delete(ChannelLink).where(ChannelLink.team_id == team_id, ChannelLink.id == link_id))
    return Unlinked(True, len(interactions), int(getattr(people, "rowcount", 0) or 0))


def links_of(session: Session, team_id: str, account_id: int | None = None) -> list[LinkView]:
    """The workspace's linked channels (or one account's), by account name then channel, with how many days
    counted a touch and the latest of them."""
    touched = (
        select(
            ChannelTouch.link_id.label("link_id"),
            func.count().label("days"),
            func.max(Interaction.occurred_at).label("last_at"),
        )
        .join(Interaction, (Interaction.id == ChannelTouch.interaction_id) & (Interaction.team_id == team_id))
        .where(ChannelTouch.team_id == team_id)
        .group_by(ChannelTouch.link_id)
        .subquery()
    )
    stmt = (
        select(
            ChannelLink.account_id,
            Account.name,
            ChannelLink.channel_id,
            ChannelLink.linked_by,
            ChannelLink.linked_at,
            func.coalesce(touched.c.days, 0),
            touched.c.last_at,
        )
        .join(Account, (Account.id == ChannelLink.account_id) & (Account.team_id == team_id))
        .outerjoin(touched, touched.c.link_id == ChannelLink.id)
        .where(ChannelLink.team_id == team_id)
        .order_by(Account.name_key, Account.id, ChannelLink.channel_id)
    )
    if account_id is not None:
        stmt = stmt.where(ChannelLink.account_id == account_id)
    out = []
    for aid, name, channel, by, at, days, last in session.execute(stmt):
        last_at = last.replace(tzinfo=UTC) if isinstance(last, datetime) and last.tzinfo is None else last
        out.append(LinkView(aid, name, channel, by, at, int(days), last_at))
    return out


def links_in_channel(session: Session, team_id: str, channel_id: str) -> list[tuple[int, int]]:
    """(link id, account id) of every account the channel is linked to in this workspace."""
    rows = session.execute(
        select(ChannelLink.id, ChannelLink.account_id)
        .where(ChannelLink.team_id == team_id, ChannelLink.channel_id == channel_id)
        .order_by(ChannelLink.id)
    )
    return [(int(a), int(b)) for a, b in rows]


def _touch_key(link_id: int, day: date) -> str:
    return hashlib.sha256(f"channel\x1f{link_id}\x1f{day.isoformat()}".encode()).hexdigest()


def _contacts_by_email(session: Session, team_id: str, account_id: int, email: str | None) -> list[int]:
    if not email:
        return []
    return list(
        session.scalars(
            select(Contact.id)
            .where(
                Contact.team_id == team_id,
                Contact.account_id == account_id,
                Contact.active.is_(True),
                func.lower(Contact.email) == email.strip().lower(),
            )
            .order_by(Contact.id)
        )
    )


def record_message(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    at: datetime,
    internal: bool,
    email: str | None = None,
) -> list[int]:
    """A message by `user_id` at `at` in `channel_id`: a touch of every account the channel is linked to,
    collapsed into that link's touch of the day. `internal`: a member of the workspace (recorded as the
    touch's colleague); otherwise an external person, matched to the account's active contacts by `email`
    (none given, or none matching: the touch has no contact). Returns the accounts touched (an empty list:
    the channel is not linked here). Writes only what is new: a new day, a new participant, a contact or
    colleague the touch did not have, or a message at least MOVE_EVERY after the touch's time."""
    at = at.astimezone(UTC)
    day = at.date()
    touched = []
    for link_id, account_id in links_in_channel(session, team_id, channel_id):
        touched.append(account_id)
        contacts = _contacts_by_email(session, team_id, account_id, None if internal else email)
        colleague = user_id if internal else None
        found = session.execute(
            select(ChannelTouch.id, Interaction.id, Interaction.occurred_at, Interaction.contact_id,
                   Interaction.colleague)
            .join(Interaction, (Interaction.id == ChannelTouch.interaction_id) & (Interaction.team_id == team_id))
            .where(ChannelTouch.team_id == team_id, ChannelTouch.link_id == link_id, ChannelTouch.day == day)
        ).first()  # fmt: skip
        if found is None:
            touch_id, interaction_id = _new_touch(
                session, team_id, link_id, account_id, day, at, contacts[0] if contacts else None, colleague
            )
            when, first_contact, first_colleague = at, (contacts[0] if contacts else None), colleague
        else:
            touch_id, interaction_id, when, first_contact, first_colleague = found
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
        changes: dict[str, object] = {}
        if at - when >= MOVE_EVERY:
            changes["occurred_at"] = when = at
        if first_contact is None and contacts:
            changes["contact_id"] = first_contact = contacts[0]
        if first_colleague is None and colleague is not None:
            changes["colleague"] = first_colleague = colleague
        if changes:
            session.execute(
                update(Interaction)
                .where(Interaction.team_id == team_id, Interaction.id == interaction_id)
                .values(**changes)
                .execution_options(synchronize_session=False)
            )
            carried = {k: v for k, v in changes.items() if k in ("occurred_at", "colleague")}
            if carried:  # interaction_contacts carry the touch's time and colleague
                session.execute(
                    update(InteractionContact)
                    .where(
                        InteractionContact.team_id == team_id,
                        InteractionContact.interaction_id == interaction_id,
                    )
                    .values(**carried)
                    .execution_options(synchronize_session=False)
                )
        known = session.scalar(
            select(ChannelTouchUser.id).where(
                ChannelTouchUser.team_id == team_id,
                ChannelTouchUser.touch_id == touch_id,
                ChannelTouchUser.user_id == user_id,
            )
        )
        if known is None:
            session.execute(
                conflict_insert(session, ChannelTouchUser)
                .values(team_id=team_id, touch_id=touch_id, user_id=user_id)
                .on_conflict_do_nothing(index_elements=["touch_id", "user_id"])
            )
        if known is not None and "contact_id" not in changes:
            continue  # this person's contacts were recorded with their first message of the day
        for contact_id in contacts:
            session.execute(
                conflict_insert(session, InteractionContact)
                .values(team_id=team_id, interaction_id=interaction_id, contact_id=contact_id,
                        account_id=account_id, occurred_at=when, colleague=first_colleague)
                .on_conflict_do_nothing(index_elements=["interaction_id", "contact_id"])
            )  # fmt: skip
    return touched


def _new_touch(
    session: Session,
    team_id: str,
    link_id: int,
    account_id: int,
    day: date,
    at: datetime,
    contact_id: int | None,
    colleague: str | None,
) -> tuple[int, int]:
    """The link's touch of `day` and its interaction, created (or, when another writer just did, read back)."""
    key = _touch_key(link_id, day)
    new_id = session.execute(
        conflict_insert(session, Interaction)
        .values(team_id=team_id, account_id=account_id, occurred_at=at, kind=TOUCH_KIND, contact_id=contact_id,
                colleague=colleague, note=None, created_by=None, dedup_key=key)
        .on_conflict_do_nothing(index_elements=["team_id", "dedup_key"])
        .returning(Interaction.id)
    ).scalar_one_or_none()  # fmt: skip
    interaction_id = new_id if new_id is not None else session.scalar(
        select(Interaction.id).where(Interaction.team_id == team_id, Interaction.dedup_key == key)
    )  # fmt: skip
    assert interaction_id is not None
    session.execute(
        conflict_insert(session, ChannelTouch)
        .values(team_id=team_id, link_id=link_id, interaction_id=interaction_id, day=day)
        .on_conflict_do_nothing(index_elements=["link_id", "day"])
    )
    touch_id = session.scalar(
        select(ChannelTouch.id).where(
            ChannelTouch.team_id == team_id, ChannelTouch.link_id == link_id, ChannelTouch.day == day
        )
    )
    assert touch_id is not None
    return int(touch_id), int(interaction_id)
