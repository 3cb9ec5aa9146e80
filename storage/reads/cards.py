"""The grade card of one account: its summary (storage.reads.summaries), last touch, ratings, contact
coverage and snooze. Scoped by team_id; touches dated after `now` do not count (docs/data.md#account-state).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.model import Assessment
from accounts.thresholds import Thresholds
from storage.models import Account, Contact, Interaction, Snooze
from storage.reads.summaries import AccountSummary, summaries_with_states


@dataclass(frozen=True, slots=True)
class TouchView:
    occurred_at: datetime
    kind: str
    contact: str | None
    colleague: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class AccountCard:
    """Everything the grade card shows."""

    summary: AccountSummary
    owner: str | None  # as imported (user id or email) when not resolved
    sponsor_user_id: str | None
    sponsor_level: str | None
    wallet_share: float | None
    profit_margin: float | None
    profitability: str | None
    strategic_value: str | None
    pain_factor: str | None
    engagement: str | None
    potential: str | None
    aliases: list[str]
    last_touch: TouchView | None
    decision_makers: int
    active_contacts: int
    snooze_reason: str | None = None

    @property
    def id(self) -> int:
        return self.summary.id

    @property
    def name(self) -> str:
        return self.summary.name

    @property
    def assessment(self) -> Assessment:
        return self.summary.assessment


def account_card(
    session: Session, team_id: str, account_id: int, now: datetime, th: Thresholds
) -> AccountCard | None:
    """The grade card of one account of this workspace, or None if it is not one of its accounts."""
    acc = session.scalar(select(Account).where(Account.team_id == team_id, Account.id == account_id))
    if acc is None:
        return None
    [(summary, _state)] = summaries_with_states(session, team_id, now, th, [acc])
    last = session.execute(
        select(Interaction, Contact.name)
        .outerjoin(Contact, Contact.id == Interaction.contact_id)
        .where(
            Interaction.team_id == team_id, Interaction.account_id == acc.id, Interaction.occurred_at <= now
        )
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(1)
    ).first()
    touch = None
    if last is not None:
        inter, contact_name = last
        touch = TouchView(inter.occurred_at, inter.kind, contact_name, inter.colleague, inter.note)
    counts = session.execute(
        select(Contact.role, func.count())
        .where(Contact.team_id == team_id, Contact.account_id == acc.id, Contact.active.is_(True))
        .group_by(Contact.role)
    ).all()
    by_role = {role: n for role, n in counts}
    snooze = session.scalars(
        select(Snooze)
        .where(Snooze.team_id == team_id, Snooze.account_id == acc.id, Snooze.until > now)
        .order_by(Snooze.until.desc())
        .limit(1)
    ).first()  # the latest end wins
    return AccountCard(
        summary=summary,
        owner=acc.owner,
        sponsor_user_id=acc.sponsor_user_id,
        sponsor_level=acc.sponsor_level,
        wallet_share=acc.wallet_share,
        profit_margin=acc.profit_margin,
        profitability=acc.profitability,
        strategic_value=acc.strategic_value,
        pain_factor=acc.pain_factor,
        engagement=acc.engagement,
        potential=acc.potential,
        aliases=list(acc.aliases or []),
        last_touch=touch,
        decision_makers=by_role.get("decision_maker", 0),
        active_contacts=sum(by_role.values()),
        snooze_reason=snooze.reason if snooze else None,
    )
