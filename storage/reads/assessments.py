"""A workspace's accounts as the rules see them: the full assessment (accounts, then engagement pairs), one
account's assessment, or, for the stored classification, just every account's tier and grade (one query,
no interaction scan). See docs/rules.md#the-rules-at-a-glance.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from accounts.grading import PortfolioGrader, TierGrade, assess_portfolio
from accounts.model import AccountFacts, Assessment
from accounts.thresholds import Thresholds
from storage.models import Account, InteractionContact

# The account columns the rules read, labelled as the AccountFacts fields they fill.
_FACT_COLUMNS = (
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
_FACT_FIELDS = tuple(c.key for c in _FACT_COLUMNS)
PAIRS_CHUNK = 2000


def engagement_pairs(
    session: Session, team_id: str, now: datetime, window_days: int, account_ids: Sequence[int] | None = None
) -> dict[int, int]:
    """Account id -> distinct (colleague, contact) pairs with an interaction in the `window_days` before `now`.

    One aggregate query for the whole workspace (or only `account_ids`). Interactions without a colleague or
    a contact form no pair; a touch with several contacts forms a pair with each.
    """
    since = now - timedelta(days=window_days)
    query = select(
        InteractionContact.account_id, InteractionContact.colleague, InteractionContact.contact_id
    ).where(
        InteractionContact.team_id == team_id,
        InteractionContact.occurred_at >= since,
        InteractionContact.occurred_at <= now,
        InteractionContact.colleague.is_not(None),
        InteractionContact.contact_id.is_not(None),
    )
    if account_ids is not None:
        query = query.where(InteractionContact.account_id.in_(list(account_ids)))
    pairs = query.distinct().subquery()
    rows = session.connection().execute(select(pairs.c.account_id, func.count()).group_by(pairs.c.account_id))
    return {account_id: count for account_id, count in rows}


def _account_rows(session: Session, team_id: str, *extra: Any) -> list[Any]:
    """The rules' columns (plus `extra`) of every account of the workspace, ordered by name key, as named
    tuples (cheap to build and to read, and of no interest to the cyclic garbage collector)."""
    stmt = select(*_FACT_COLUMNS, *extra).where(Account.team_id == team_id).order_by(Account.name_key)
    result = session.connection().execute(stmt)
    return list(map(_row_type(tuple(result.keys()))._make, result.all()))


@functools.cache
def _row_type(fields: tuple[str, ...]) -> Any:
    return namedtuple("AccountRow", fields)


def load_facts(session: Session, team_id: str, now: datetime, th: Thresholds) -> list[AccountFacts]:
    """One AccountFacts per account of the workspace (ordered by name key), `id` = Account.id."""
    pairs = engagement_pairs(session, team_id, now, th.engagement_window_days)
    return [
        AccountFacts(**r._asdict(), engagement_pairs=pairs.get(r.id, 0))
        for r in _account_rows(session, team_id)
    ]


def assess_workspace(session: Session, team_id: str, now: datetime, th: Thresholds) -> dict[int, Assessment]:
    """Account id -> Assessment for every account of the workspace (insertion order = name order)."""
    facts = load_facts(session, team_id, now, th)
    verdicts = assess_portfolio(facts, th)
    return {f.id: v for f, v in zip(facts, verdicts, strict=True) if f.id is not None}


class Classified(NamedTuple):
    grader: PortfolioGrader  # holds the workspace's revenue ranking: `assess_rows` grades in full with it
    accounts: list[tuple[TierGrade, Any]]  # (tier and grade, account row), in name order


def classify_workspace(session: Session, team_id: str, th: Thresholds, *extra: Any) -> Classified:
    """Tier and grade of every account of the workspace, in name order: those `assess_workspace` gives (the
    same ValueError for a malformed rating), without the reasons, quadrant and next steps, and without the
    engagement-pair scan (pairs only move the quadrant). Each row carries the rules' columns and the `extra`
    account columns the caller asks for."""
    # Rows read like AccountFacts (same names; no pairs, so prospects, assessed in full, see 0).
    rows = _account_rows(session, team_id, literal(0).label("engagement_pairs"), *extra)
    facts = cast(Sequence[AccountFacts], rows)
    grader = PortfolioGrader(facts, th)
    return Classified(grader, list(zip(grader.classify_all(facts), rows, strict=True)))


CLASSIFY_BATCH = 5000


def population_grader(session: Session, team_id: str, th: Thresholds) -> PortfolioGrader:
    """A grader holding the workspace's revenue ranking and nothing else: the stage and revenue of every
    account, streamed in ascending order of revenue (8 bytes a client are kept)."""
    stmt = (
        select(Account.stage, Account.annual_revenue)
        .where(Account.team_id == team_id, Account.annual_revenue > 0)
        .order_by(Account.annual_revenue)
    )
    rows = session.connection().execute(stmt, execution_options={"yield_per": CLASSIFY_BATCH})
    grader = PortfolioGrader.of_population(
        cast(Iterable[tuple[str | None, float | None]], rows), th, by_revenue=True
    )
    rows.close()
    return grader


def classify_in_batches(
    session: Session, team_id: str, th: Thresholds, *extra: Any, batch: int = CLASSIFY_BATCH
) -> Iterator[list[tuple[TierGrade, Any]]]:
    """`classify_workspace`'s verdicts a batch at a time, in id order: memory holds one batch and the revenue
    ranking, however many accounts the workspace has (the stored grades after an import of millions)."""
    grader = population_grader(session, team_id, th)
    columns = (*_FACT_COLUMNS, literal(0).label("engagement_pairs"), *extra)
    last = 0
    while True:
        stmt = (
            select(*columns)
            .where(Account.team_id == team_id, Account.id > last)
            .order_by(Account.id)
            .limit(batch)
        )
        result = session.connection().execute(stmt)
        rows = list(map(_row_type(tuple(result.keys()))._make, result.all()))
        if not rows:
            return
        yield list(zip(grader.classify_each(cast(Sequence[AccountFacts], rows)), rows, strict=True))
        last = rows[-1].id


def assess_rows(
    session: Session,
    team_id: str,
    now: datetime,
    th: Thresholds,
    grader: PortfolioGrader,
    rows: Sequence[Any],
) -> dict[int, Assessment]:
    """Account id -> the Assessment `assess_workspace` gives, for some rows of a `classify_workspace`
    (engagement pairs counted for just those accounts)."""
    pairs: dict[int, int] = {}
    ids = [r.id for r in rows]
    for start in range(0, len(ids), PAIRS_CHUNK):
        pairs.update(
            engagement_pairs(
                session, team_id, now, th.engagement_window_days, ids[start : start + PAIRS_CHUNK]
            )
        )
    return {
        r.id: grader.assess(
            AccountFacts(**{f: getattr(r, f) for f in _FACT_FIELDS}, engagement_pairs=pairs.get(r.id, 0))
        )
        for r in rows
    }


def assess_one(session: Session, team_id: str, acc: Any, now: datetime, th: Thresholds) -> Assessment:
    """The same verdict assess_workspace gives `acc` (an Account row), without assessing every other account:
    the revenue ranking needs only the population's stages and revenues (one narrow query)."""
    grader = population_grader(session, team_id, th)
    facts = AccountFacts(
        id=acc.id,
        name=acc.name,
        stage=acc.stage,
        annual_revenue=acc.annual_revenue,
        wallet_share=acc.wallet_share,
        profit_margin=acc.profit_margin,
        profitability=acc.profitability,
        strategic_value=acc.strategic_value,
        pain_factor=acc.pain_factor,
        engagement=acc.engagement,
        potential=acc.potential,
        prospect_fit=acc.prospect_fit,
        engagement_pairs=engagement_pairs(session, team_id, now, th.engagement_window_days, [acc.id]).get(
            acc.id, 0
        ),
    )
    return grader.assess(facts)
