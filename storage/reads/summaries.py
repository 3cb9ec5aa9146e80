"""Account summaries for lists and App Home: each account's full assessment next to its account state
(storage.reads.account_states), and the `list` filters over them. Scoped by team_id; `now` and the
thresholds are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.model import Assessment
from accounts.signals import AccountState
from accounts.signals import cadence_days as cadence_rule
from accounts.thresholds import Thresholds
from storage.models import Account
from storage.reads.account_states import account_states
from storage.reads.assessments import assess_one, assess_workspace


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """One account in a list or on App Home."""

    id: int
    name: str
    owner_user_id: str | None
    stage: str
    annual_revenue: float | None
    assessment: Assessment
    last_touch_at: datetime | None
    days_since_touch: int | None
    cadence_days: int | None
    snoozed_until: datetime | None
    overdue: bool  # past its cadence (never touched counts), not snoozed: accounts.signals' stale test

    @property
    def tier(self) -> str:
        return self.assessment.tier

    @property
    def grade(self) -> str | None:
        return self.assessment.grade

    @property
    def days_overdue(self) -> int | None:
        if not self.overdue or self.cadence_days is None:
            return None
        return None if self.days_since_touch is None else self.days_since_touch - self.cadence_days


def _is_overdue(cadence: int | None, last: datetime | None, snoozed: datetime | None, now: datetime) -> bool:
    if cadence is None or snoozed is not None:
        return False
    return last is None or now - last > timedelta(days=cadence)


def _days_between(earlier: datetime | None, now: datetime) -> int | None:
    if earlier is None:
        return None
    return max(0, (now - earlier).days)


_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def _owner_id(owner_user_id: str | None, owner: str | None) -> str | None:
    """The resolved owner, else the imported owner when it already is a Slack user id (not an email)."""
    if owner_user_id:
        return owner_user_id
    return owner if owner and _SLACK_ID.match(owner) else None


def summaries_with_states(
    session: Session, team_id: str, now: datetime, th: Thresholds, accounts: Sequence[Any] | None = None
) -> list[tuple[AccountSummary, AccountState]]:
    """Each account's summary and its account state, in name order (`accounts`: Account rows, or anything
    with their id, name, owner_user_id, owner, stage, annual_revenue; None: every account)."""
    if accounts is not None and len(accounts) == 1:
        verdicts = {accounts[0].id: assess_one(session, team_id, accounts[0], now, th)}
    else:
        verdicts = assess_workspace(session, team_id, now, th)
    if accounts is None:
        # narrow columns: loading 10,000 full Account objects (JSON columns and all) costs most of a second
        accounts = session.execute(
            select(
                Account.id,
                Account.name,
                Account.owner_user_id,
                Account.owner,
                Account.stage,
                Account.annual_revenue,
            )
            .where(Account.team_id == team_id)
            .order_by(Account.name_key)
        ).all()
    ids = None if len(accounts) > 500 else [a.id for a in accounts]
    states = {s.id: s for s in account_states(session, team_id, now, th, ids)}
    out = []
    for acc in accounts:
        verdict = verdicts[acc.id]
        state = states[acc.id]
        last = state.last_touch
        cadence = cadence_rule(verdict.tier, verdict.grade, th)
        summary = AccountSummary(
            id=acc.id,
            name=acc.name,
            owner_user_id=_owner_id(acc.owner_user_id, acc.owner),
            stage=acc.stage,
            annual_revenue=acc.annual_revenue,
            assessment=verdict,
            last_touch_at=last,
            days_since_touch=_days_between(last, now),
            cadence_days=cadence,
            overdue=_is_overdue(cadence, last, state.snoozed_until, now),
            snoozed_until=state.snoozed_until,
        )
        out.append((summary, state))
    return out


def account_summaries(session: Session, team_id: str, now: datetime, th: Thresholds) -> list[AccountSummary]:
    """Every account of the workspace, ordered by name."""
    return [summary for summary, _ in summaries_with_states(session, team_id, now, th)]


def sort_most_overdue(rows: list[AccountSummary]) -> list[AccountSummary]:
    def key(r: AccountSummary) -> tuple[int, int, str]:
        never = r.days_since_touch is None
        return (0 if r.overdue else 1, -(10**9 if never else (r.days_overdue or 0)), r.name.casefold())

    return sorted(rows, key=key)


def filter_accounts(rows: list[AccountSummary], which: str | None, viewer: str) -> list[AccountSummary]:
    """Apply a `list` filter. `stale` means past its meeting cadence (most overdue first)."""
    if which is None:
        return rows
    if which in ("key", "secondary"):
        return [r for r in rows if r.tier == which]
    if which in ("a", "b", "c"):
        return [r for r in rows if r.grade == which.upper()]
    if which == "prospects":
        return [r for r in rows if r.tier == "prospect"]
    if which == "mine":
        return [r for r in rows if r.owner_user_id == viewer]
    if which == "stale":
        return sort_most_overdue([r for r in rows if r.overdue])
    if which in ("growth", "maintenance", "service"):
        return [r for r in rows if r.assessment.quadrant == which]
    raise ValueError(f"unknown filter {which!r}")


def list_accounts(
    session: Session, team_id: str, now: datetime, th: Thresholds, which: str | None, viewer: str
) -> list[AccountSummary]:
    return filter_accounts(account_summaries(session, team_id, now, th), which, viewer)
