"""Read models for the Slack face: what the renderers show, gathered in a few workspace-scoped queries.

Every function takes the workspace's `team_id` and filters every query by it. `now` and the thresholds are
passed in; nothing here reads the clock or knows about Slack.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.model import Assessment
from accounts.thresholds import Thresholds
from storage.models import Account, Contact, Interaction, OutboxMessage, SlackUser, Snooze
from storage.portfolio import assess_workspace

GRADE_ORDER = ("A", "B", "C")
FOCUS_OUTBOX_KIND = "weekly_focus"


def cadence_days_for(tier: str, grade: str | None, th: Thresholds) -> int | None:
    """Days allowed between touches: A 14, B 30, C 90; key-tier accounts at most 30; prospects none.

    Stand-in for the scheduled-nudges rule (`accounts.signals.cadence_days`) until that lands; same defaults.
    """
    by_grade = {"A": th.cadence_a_days, "B": th.cadence_b_days, "C": th.cadence_c_days}
    if grade is None or tier == "prospect":
        return None
    days = by_grade[grade]
    if tier == "key":
        days = min(days, th.cadence_key_max_days)
    return days


def _days_between(earlier: datetime | None, now: datetime) -> int | None:
    if earlier is None:
        return None
    return max(0, (now - earlier).days)


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

    @property
    def tier(self) -> str:
        return self.assessment.tier

    @property
    def grade(self) -> str | None:
        return self.assessment.grade

    @property
    def overdue(self) -> bool:
        """Past its cadence (never touched counts) and not snoozed."""
        if self.cadence_days is None or self.snoozed_until is not None:
            return False
        return self.days_since_touch is None or self.days_since_touch > self.cadence_days

    @property
    def days_overdue(self) -> int | None:
        if not self.overdue or self.cadence_days is None:
            return None
        return None if self.days_since_touch is None else self.days_since_touch - self.cadence_days


@dataclass(frozen=True, slots=True)
class TouchView:
    occurred_at: datetime
    kind: str
    contact: str | None
    colleague: str | None
    note: str | None


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


@dataclass(frozen=True, slots=True)
class SpofWarning:
    """A key or grade-A account that hangs on too few people (seed 002)."""

    account: AccountSummary
    reason: str


@dataclass(frozen=True, slots=True)
class HomeData:
    viewer: str
    groups: dict[str, list[AccountSummary]]  # "A", "B", "C", "prospect" -> accounts, most overdue first
    focus: AccountSummary | None
    spof: list[SpofWarning] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.groups.values())


# ---------------------------------------------------------------------------------------------- queries


def _last_touches(session: Session, team_id: str, account_ids: list[int] | None = None) -> dict[int, datetime]:
    stmt = select(Interaction.account_id, func.max(Interaction.occurred_at)).where(Interaction.team_id == team_id)
    if account_ids is not None:
        stmt = stmt.where(Interaction.account_id.in_(account_ids))
    # max() keeps the column type, so values come back as aware UTC datetimes.
    return {aid: when for aid, when in session.execute(stmt.group_by(Interaction.account_id)).all()}


def _active_snoozes(session: Session, team_id: str, now: datetime) -> dict[int, Snooze]:
    rows = session.scalars(
        select(Snooze).where(Snooze.team_id == team_id, Snooze.until > now).order_by(Snooze.until)
    ).all()
    return {s.account_id: s for s in rows}  # the latest end wins (ordered ascending)


def _summaries(
    session: Session, team_id: str, now: datetime, th: Thresholds, accounts: list[Account] | None = None
) -> list[AccountSummary]:
    verdicts = assess_workspace(session, team_id, now, th)
    if accounts is None:
        accounts = list(session.scalars(select(Account).where(Account.team_id == team_id).order_by(Account.name_key)))
    touches = _last_touches(session, team_id, None if len(accounts) > 500 else [a.id for a in accounts])
    snoozes = _active_snoozes(session, team_id, now)
    out = []
    for acc in accounts:
        verdict = verdicts[acc.id]
        last = touches.get(acc.id)
        snooze = snoozes.get(acc.id)
        out.append(
            AccountSummary(
                id=acc.id,
                name=acc.name,
                owner_user_id=acc.owner_user_id or (acc.owner if acc.owner and acc.owner[:1] in "UW" else None),
                stage=acc.stage,
                annual_revenue=acc.annual_revenue,
                assessment=verdict,
                last_touch_at=last,
                days_since_touch=_days_between(last, now),
                cadence_days=cadence_days_for(verdict.tier, verdict.grade, th),
                snoozed_until=snooze.until if snooze else None,
            )
        )
    return out


def account_summaries(session: Session, team_id: str, now: datetime, th: Thresholds) -> list[AccountSummary]:
    """Every account of the workspace, ordered by name."""
    return _summaries(session, team_id, now, th)


def account_card(session: Session, team_id: str, account_id: int, now: datetime, th: Thresholds) -> AccountCard | None:
    """The grade card of one account of this workspace, or None if it is not one of its accounts."""
    acc = session.scalar(select(Account).where(Account.team_id == team_id, Account.id == account_id))
    if acc is None:
        return None
    summary = _summaries(session, team_id, now, th, [acc])[0]
    last = session.execute(
        select(Interaction, Contact.name)
        .outerjoin(Contact, Contact.id == Interaction.contact_id)
        .where(Interaction.team_id == team_id, Interaction.account_id == acc.id)
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
    snooze = _active_snoozes(session, team_id, now).get(acc.id)
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


def contacts_of(session: Session, team_id: str, account_id: int) -> list[ContactView]:
    """The account's contacts: active ones first (decision makers first), then those who left."""
    rows = session.scalars(
        select(Contact).where(Contact.team_id == team_id, Contact.account_id == account_id).order_by(Contact.name_key)
    ).all()
    views = [ContactView(c.id, c.name, c.title, c.email, c.role, c.active, c.left_at) for c in rows]
    return sorted(views, key=lambda c: (not c.active, not c.decision_maker))


def _sort_most_overdue(rows: list[AccountSummary]) -> list[AccountSummary]:
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
        return _sort_most_overdue([r for r in rows if r.overdue])
    if which in ("growth", "maintenance", "service"):
        return [r for r in rows if r.assessment.quadrant == which]
    raise ValueError(f"unknown filter {which!r}")


def list_accounts(
    session: Session, team_id: str, now: datetime, th: Thresholds, which: str | None, viewer: str
) -> list[AccountSummary]:
    return filter_accounts(account_summaries(session, team_id, now, th), which, viewer)


def spof_reasons(
    session: Session, team_id: str, account_ids: list[int], now: datetime, th: Thresholds
) -> dict[int, str]:
    """Single points of failure among `account_ids`: too few active decision makers, or most recent touches
    through one contact (seed 002). Account id -> a sentence naming the problem."""
    if not account_ids:
        return {}
    dm_rows = session.execute(
        select(Contact.account_id, func.count())
        .where(
            Contact.team_id == team_id,
            Contact.account_id.in_(account_ids),
            Contact.active.is_(True),
            Contact.role == "decision_maker",
        )
        .group_by(Contact.account_id)
    ).all()
    dms = {aid: n for aid, n in dm_rows}
    since = now - timedelta(days=th.spof_window_days)
    per_contact = session.execute(
        select(Interaction.account_id, Contact.name, func.count())
        .join(Contact, Contact.id == Interaction.contact_id)
        .where(
            Interaction.team_id == team_id,
            Interaction.account_id.in_(account_ids),
            Interaction.occurred_at > since,
            Interaction.occurred_at <= now,
        )
        .group_by(Interaction.account_id, Contact.name)
    ).all()
    totals_rows = session.execute(
        select(Interaction.account_id, func.count())
        .where(
            Interaction.team_id == team_id,
            Interaction.account_id.in_(account_ids),
            Interaction.occurred_at > since,
            Interaction.occurred_at <= now,
        )
        .group_by(Interaction.account_id)
    ).all()
    totals = {aid: n for aid, n in totals_rows}
    top: dict[int, tuple[str, int]] = {}
    for aid, name, n in per_contact:
        if aid not in top or n > top[aid][1]:
            top[aid] = (name, n)
    out: dict[int, str] = {}
    for aid in account_ids:
        have = dms.get(aid, 0)
        if aid in top and totals.get(aid, 0) >= 2:
            name, n = top[aid]
            share = 100 * n // totals[aid]
            if share >= th.spof_concentration_percent:
                out[aid] = f"{share}% of the last {th.spof_window_days} days' touches went through {name}"
                continue
        if have < th.spof_min_decision_makers:
            out[aid] = f"{have} active decision maker{'s' if have != 1 else ''} (want {th.spof_min_decision_makers})"
    return out


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


def pick_focus(rows: list[AccountSummary], viewer: str) -> AccountSummary | None:
    """This week's focus when the weekly job has not chosen one: the viewer's most valuable overdue key account."""
    mine = [r for r in rows if r.owner_user_id == viewer and r.tier == "key" and r.overdue]
    if not mine:
        return None
    return max(mine, key=lambda r: (r.annual_revenue or 0.0, r.days_overdue or 10**6, r.name))


def focus_account(
    session: Session, team_id: str, viewer: str, now: datetime, th: Thresholds, rows: list[AccountSummary] | None = None
) -> AccountSummary | None:
    """The weekly-focus account the job sent this viewer in the last 7 days, else the rule's pick for now."""
    rows = rows if rows is not None else account_summaries(session, team_id, now, th)
    chosen = _focus_from_outbox(session, team_id, viewer, now)
    if chosen is not None:
        for r in rows:
            if r.id == chosen:
                return r
    return pick_focus(rows, viewer)


def home_data(session: Session, team_id: str, viewer: str, now: datetime, th: Thresholds) -> HomeData:
    """App Home for `viewer`: their accounts by grade (most overdue first), the focus account, SPOF warnings."""
    rows = account_summaries(session, team_id, now, th)
    mine = [r for r in rows if r.owner_user_id == viewer]
    groups: dict[str, list[AccountSummary]] = defaultdict(list)
    for r in mine:
        groups[r.grade or "prospect"].append(r)
    ordered = {g: _sort_most_overdue(groups[g]) for g in (*GRADE_ORDER, "prospect") if groups.get(g)}
    watched = [r for r in mine if r.tier == "key" or r.grade == "A"]
    reasons = spof_reasons(session, team_id, [r.id for r in watched], now, th)
    spof = [SpofWarning(r, reasons[r.id]) for r in watched if r.id in reasons]
    return HomeData(viewer=viewer, groups=ordered, focus=focus_account(session, team_id, viewer, now, th, rows), spof=spof)


def slack_user(session: Session, team_id: str, user_id: str) -> SlackUser | None:
    return session.scalar(select(SlackUser).where(SlackUser.team_id == team_id, SlackUser.user_id == user_id))
