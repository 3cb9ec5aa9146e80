"""App Home for one viewer: their accounts by grade (most overdue first), the weekly focus account and the
single-point-of-failure warnings, all from the account states (storage.reads.account_states).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.facts import DeadLetterFacts
from accounts.outcomes import OutcomeReport
from accounts.signals import AccountState, Item, choose_focus, single_point_of_failure
from accounts.thresholds import Thresholds
from storage.models import OutboxMessage
from storage.reads.account_states import account_states
from storage.reads.summaries import AccountSummary, sort_most_overdue, summaries_with_states

GRADE_ORDER = ("A", "B", "C")
FOCUS_OUTBOX_KIND = "weekly_focus"


@dataclass(frozen=True, slots=True)
class SpofWarning:
    """A key or grade-A account that hangs on too few people (accounts.signals.single_point_of_failure)."""

    account: AccountSummary
    reasons: list[str]  # decision_makers | concentration
    decision_makers: int
    contact: str | None  # the one contact most touches go through, or the sole decision maker
    share_percent: int | None
    colleague: str | None  # one of ours who has met someone else there


@dataclass(frozen=True, slots=True)
class HomeData:
    viewer: str
    groups: dict[str, list[AccountSummary]]  # "A", "B", "C", "prospect" -> accounts, most overdue first
    focus: AccountSummary | None
    spof: list[SpofWarning] = field(default_factory=list)
    dead_letters: DeadLetterFacts | None = None  # admins only: the last 7 days' dead letters by reason
    nudge_outcomes: OutcomeReport | None = None  # admins only: the last 4 weeks' nudges and what followed

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.groups.values())


def _warnings(
    pairs: list[tuple[AccountSummary, AccountState]], now: datetime, th: Thresholds
) -> list[SpofWarning]:
    out = []
    for summary, state in pairs:
        # the verdict's tier and grade (the stored ones are the same: storage.stored.grades)
        item: Item | None = single_point_of_failure(
            state._replace(tier=summary.tier, grade=summary.grade), now, th
        )
        if item is not None:
            d = item.details
            out.append(
                SpofWarning(
                    summary,
                    list(d["reasons"]),
                    d["decision_makers"],
                    d["contact"],
                    d["share_percent"],
                    d["colleague"],
                )
            )
    return out


def spof_warnings(
    session: Session, team_id: str, rows: list[AccountSummary], now: datetime, th: Thresholds
) -> list[SpofWarning]:
    """Single points of failure among `rows` (docs/rules.md), by the nudges' rule."""
    if not rows:
        return []
    states = {s.id: s for s in account_states(session, team_id, now, th, [r.id for r in rows])}
    return _warnings([(r, states[r.id]) for r in rows], now, th)


def _focus_from_outbox(session: Session, team_id: str, viewer: str, now: datetime) -> int | None:
    row = session.scalar(
        select(OutboxMessage.account_id)
        .where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.recipient == viewer,
            OutboxMessage.kind == FOCUS_OUTBOX_KIND,
            OutboxMessage.created_at > now - timedelta(days=7),
            OutboxMessage.account_id.is_not(None),
        )
        .order_by(OutboxMessage.created_at.desc())
        .limit(1)
    )
    return row


def _state_of(r: AccountSummary) -> AccountState:
    return AccountState(
        id=r.id,
        name=r.name,
        tier=r.tier,
        grade=r.grade,
        owner=r.owner_user_id,
        annual_revenue=r.annual_revenue,
        last_touch=r.last_touch_at,
        snoozed_until=r.snoozed_until,
    )


def pick_focus(
    rows: list[AccountSummary], viewer: str, now: datetime, th: Thresholds
) -> AccountSummary | None:
    """The weekly-focus rule (accounts.signals.choose_focus) over the viewer's accounts, for when the weekly
    job has not picked one this week."""
    mine = [r for r in rows if r.owner_user_id == viewer]
    item = choose_focus([_state_of(r) for r in mine], now, (), th)
    return None if item is None else next(r for r in mine if r.id == item.account_id)


def focus_account(
    session: Session,
    team_id: str,
    viewer: str,
    now: datetime,
    th: Thresholds,
    rows: list[AccountSummary] | None = None,
) -> AccountSummary | None:
    """The weekly-focus account the job sent this viewer in the last 7 days, else the rule's pick for now."""
    if rows is None:
        rows = [summary for summary, _ in summaries_with_states(session, team_id, now, th)]
    chosen = _focus_from_outbox(session, team_id, viewer, now)
    if chosen is not None:
        for r in rows:
            if r.id == chosen:
                return r
    return pick_focus(rows, viewer, now, th)


def home_data(session: Session, team_id: str, viewer: str, now: datetime, th: Thresholds) -> HomeData:
    """App Home for `viewer`: their accounts by grade (most overdue first), the focus account, SPOF warnings."""
    pairs = summaries_with_states(session, team_id, now, th)
    rows = [summary for summary, _ in pairs]
    mine = [pair for pair in pairs if pair[0].owner_user_id == viewer]
    groups: dict[str, list[AccountSummary]] = defaultdict(list)
    for r, _ in mine:
        groups[r.grade or "prospect"].append(r)
    ordered = {g: sort_most_overdue(groups[g]) for g in (*GRADE_ORDER, "prospect") if groups.get(g)}
    watched = [(r, s) for r, s in mine if r.tier == "key" or r.grade == "A"]
    return HomeData(
        viewer=viewer,
        groups=ordered,
        focus=focus_account(session, team_id, viewer, now, th, rows),
        spof=_warnings(watched, now, th),
    )
