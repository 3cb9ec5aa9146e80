"""The contacts of one account, as the `contacts` answer and the log-touch modal show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Contact


@dataclass(frozen=True, slots=True)
class ContactView:
    id: int
    name: str
    title: str | None
    email: str | None
    role: str
    active: bool
    left_at: datetime | None

    @property
    def decision_maker(self) -> bool:
        return self.role == "decision_maker"


def contacts_of(session: Session, team_id: str, account_id: int) -> list[ContactView]:
    """The account's contacts: active ones first (decision makers first), then those who left."""
    rows = session.scalars(
        select(Contact)
        .where(Contact.team_id == team_id, Contact.account_id == account_id)
        .order_by(Contact.name_key)
    ).all()
    views = [ContactView(c.id, c.name, c.title, c.email, c.role, c.active, c.left_at) for c in rows]
    return sorted(views, key=lambda c: (not c.active, not c.decision_maker))
