"""A workspace's accounts as the rules see them, in two queries (accounts, then engagement pairs)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.grading import assess_portfolio
from accounts.model import AccountFacts, Assessment
from accounts.thresholds import Thresholds
from storage.models import Account, Interaction


def engagement_pairs(
    session: Session, team_id: str, now: datetime, window_days: int, account_ids: Sequence[int] | None = None
) -> dict[int, int]:
    """Account id -> distinct (colleague, contact) pairs with an interaction in the `window_days` before `now`.

    One aggregate query for the whole workspace (or only `account_ids`). Interactions without a colleague or
    a contact form no pair.
    """
    since = now - timedelta(days=window_days)
    query = select(Interaction.account_id, Interaction.colleague, Interaction.contact_id).where(
        Interaction.team_id == team_id,
        Interaction.occurred_at >= since,
        Interaction.occurred_at <= now,
        Interaction.colleague.is_not(None),
        Interaction.contact_id.is_not(None),
    )
    if account_ids is not None:
        query = query.where(Interaction.account_id.in_(list(account_ids)))
    pairs = query.distinct().subquery()
    rows = session.execute(select(pairs.c.account_id, func.count()).group_by(pairs.c.account_id)).all()
    return {account_id: count for account_id, count in rows}


def load_facts(session: Session, team_id: str, now: datetime, th: Thresholds) -> list[AccountFacts]:
    """One AccountFacts per account of the workspace (ordered by name key), `id` = Account.id."""
    pairs = engagement_pairs(session, team_id, now, th.engagement_window_days)
    rows = session.execute(
        select(
            Account.id,
            Account.name,
            Account.stage,
            Account.annual_revenue,
            Account.wallet_share,
            Account.profit_margin,
            Account.profitability,
            Account.strategic_value,
            Account.pain_factor,
            Account.engagement,
            Account.potential,
            Account.prospect_fit,
        )
        .where(Account.team_id == team_id)
        .order_by(Account.name_key)
    ).all()
    return [
        AccountFacts(
            id=r.id,
            name=r.name,
            stage=r.stage,
            annual_revenue=r.annual_revenue,
            wallet_share=r.wallet_share,
            profit_margin=r.profit_margin,
            profitability=r.profitability,
            strategic_value=r.strategic_value,
            pain_factor=r.pain_factor,
            engagement=r.engagement,
            potential=r.potential,
            prospect_fit=r.prospect_fit,
            engagement_pairs=pairs.get(r.id, 0),
        )
        for r in rows
    ]


def assess_workspace(session: Session, team_id: str, now: datetime, th: Thresholds) -> dict[int, Assessment]:
    """Account id -> Assessment for every account of the workspace (insertion order = name order)."""
    facts = load_facts(session, team_id, now, th)
    verdicts = assess_portfolio(facts, th)
    return {f.id: v for f, v in zip(facts, verdicts, strict=True) if f.id is not None}
