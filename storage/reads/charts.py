"""What the portfolio pictures need of a workspace: one ChartAccount per account, its verdict from
`storage.reads.assessments.assess_workspace` (so a chart agrees with the grade cards) next to the measures
behind the quadrant. Scoped by team_id. See docs/rules.md#the-rules-at-a-glance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.charts import ChartAccount
from accounts.thresholds import Thresholds
from storage.models import Account
from storage.reads.assessments import assess_workspace, engagement_pairs

__all__ = ["chart_accounts", "concentration_inputs"]

IDS_CHUNK = 2000  # account ids per engagement-pair query when charting one owner's accounts


def chart_accounts(
    session: Session, team_id: str, now: datetime, th: Thresholds, *, owner_user_id: str | None = None
) -> list[ChartAccount]:
    """Every account of the workspace (in name order) as the charts see it; with `owner_user_id`, only the
    accounts that person owns (Account.owner_user_id). Tiers and grades are always those of the whole
    workspace: revenue ranks are relative to all its clients."""
    verdicts = assess_workspace(session, team_id, now, th)
    stmt = select(
        Account.id,
        Account.annual_revenue,
        Account.wallet_share,
        Account.engagement,
        Account.potential,
        Account.prospect_fit,
    ).where(Account.team_id == team_id)
    if owner_user_id is not None:
        stmt = stmt.where(Account.owner_user_id == owner_user_id)
    rows = {r.id: r for r in session.connection().execute(stmt)}
    ids = [account_id for account_id in verdicts if account_id in rows]
    if owner_user_id is None:
        pairs = engagement_pairs(session, team_id, now, th.engagement_window_days)
    else:
        pairs = {}
        for start in range(0, len(ids), IDS_CHUNK):
            chunk = ids[start : start + IDS_CHUNK]
            pairs.update(engagement_pairs(session, team_id, now, th.engagement_window_days, chunk))
    out = []
    for account_id in ids:
        v, r = verdicts[account_id], rows[account_id]
        out.append(
            ChartAccount(
                name=v.name,
                tier=v.tier,
                grade=v.grade,
                annual_revenue=r.annual_revenue,
                engagement_pairs=pairs.get(account_id, 0),
                engagement=r.engagement,
                potential=r.potential,
                wallet_share=r.wallet_share,
                prospect_fit=r.prospect_fit,
                quadrant=v.quadrant,
            )
        )
    return out


def concentration_inputs(accounts: Sequence[ChartAccount]) -> tuple[list[float | None], int]:
    """(revenue of every client, number of key-tier clients): the arguments of
    `accounts.charts.concentration_chart`. Prospects are not clients and are left out."""
    clients = [a for a in accounts if a.tier != "prospect"]
    return [a.annual_revenue for a in clients], sum(1 for a in clients if a.tier == "key")
