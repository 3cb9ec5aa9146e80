"""Builders for the nudge jobs' tests: a small workspace whose tiers and grades are known."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from storage.db import ensure_workspace
from storage.models import Account, Contact, Interaction, RevenueMonth, SlackUser, Snooze
from tests.conftest import NOW

TEAM = "T1"
_seq = itertools.count(1)


class Builder:
    def __init__(self, session: Session, team: str = TEAM) -> None:
        self.session = session
        self.team = team
        ensure_workspace(session, team)
        self.users: dict[str, SlackUser] = {}

    def user(
        self, user_id: str, tz: str | None = "UTC", email: str | None = None, *, refreshed: bool = True
    ) -> SlackUser:
        """The owner as the directory sync knows them. An account's owner is added in UTC, not yet refreshed
        (the directory reads their profile at its next sync), unless the test says otherwise."""
        row = self.users.get(user_id)
        if row is None:
            row = self.users[user_id] = SlackUser(team_id=self.team, user_id=user_id)
            self.session.add(row)
        row.tz, row.email, row.refreshed_at = tz, email, NOW if refreshed else None
        self.session.flush()
        return row

    def account(
        self, name: str, owner: str | None = "U1", revenue: float | None = 100_000.0, **fields: object
    ) -> Account:
        acc = Account(
            team_id=self.team,
            name=name,
            name_key=name.casefold(),
            owner=owner,
            owner_user_id=owner if owner and not owner.count("@") else None,
            annual_revenue=revenue,
            created_at=NOW,
            updated_at=NOW,
            **fields,
        )
        self.session.add(acc)
        if acc.owner_user_id and acc.owner_user_id not in self.users:
            self.user(acc.owner_user_id, refreshed=False)
        self.session.flush()
        return acc

    def contact(self, acc: Account, name: str, role: str = "decision_maker", active: bool = True) -> Contact:
        c = Contact(
            team_id=self.team,
            account_id=acc.id,
            name=name,
            name_key=name.casefold(),
            role=role,
            active=active,
        )
        self.session.add(c)
        self.session.flush()
        return c

    def touch(
        self,
        acc: Account,
        when: datetime,
        kind: str = "meeting",
        contact: Contact | None = None,
        colleague: str | None = None,
    ) -> Interaction:
        i = Interaction(
            team_id=self.team,
            account_id=acc.id,
            occurred_at=when,
            kind=kind,
            contact_id=contact.id if contact else None,
            colleague=colleague,
            dedup_key=f"k{next(_seq)}",
        )
        self.session.add(i)
        self.session.flush()
        return i

    def revenue(self, acc: Account, month: date, amount: float) -> None:
        self.session.add(RevenueMonth(team_id=self.team, account_id=acc.id, month=month, amount=amount))
        self.session.flush()

    def snooze(self, acc: Account, until: datetime) -> None:
        self.session.add(Snooze(team_id=self.team, account_id=acc.id, until=until, created_at=NOW))
        self.session.flush()

    def healthy(self, acc: Account, now: datetime = NOW) -> None:
        """Give an account everything the signals ask for: recent review, two decision makers met evenly,
        an executive sponsor, steady revenue."""
        a = self.contact(acc, f"{acc.name} Boss")
        b = self.contact(acc, f"{acc.name} Chief")
        self.touch(acc, now - timedelta(days=1), "review", a, "U9")
        self.touch(acc, now - timedelta(days=2), "meeting", b, "U9")
        acc.sponsor_user_id = "U8"
        acc.sponsor_level = "executive"
        self.session.flush()

    def filler(self, n: int, owner: str | None = None, revenue: float = 1_000.0) -> list[Account]:
        """Small secondary accounts so that the named ones land in the key tier."""
        return [
            self.account(f"Filler {i}", owner=owner, revenue=revenue, profitability="low") for i in range(n)
        ]


@pytest.fixture
def build(session: Session) -> Builder:
    return Builder(session)
