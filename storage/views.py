"""Read models for the Slack face: what the renderers show, gathered in a few workspace-scoped queries.

Every function takes the workspace's `team_id` and filters every query by it. `now` and the thresholds are
passed in; nothing here reads the clock or knows about Slack.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.grading import PortfolioGrader
from accounts.model import AccountFacts, Assessment
from accounts.signals import AccountState, ContactTouches, Item, choose_focus, single_point_of_failure
from accounts.signals import cadence_days as cadence_rule
from accounts.thresholds import Thresholds
from storage.models import Account, Contact, Interaction, OutboxMessage, SlackUser, Snooze
from storage.portfolio import assess_workspace, engagement_pairs

GRADE_ORDER = ("A", "B", "C")
FOCUS_OUTBOX_KIND = "weekly_focus"


def _is_overdue(cadence: int | None, last: datetime | None, snooze: Snooze | None, now: datetime) -> bool:
    if cadence is None or snooze is not None:
        return False
    return last is None or now - last > timedelta(days=cadence)


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

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.groups.values())


# ---------------------------------------------------------------------------------------------- queries


def _last_touches(
    session: Session, team_id: str, account_ids: list[int] | None = None
) -> dict[int, datetime]:
    stmt = select(Interaction.account_id, func.max(Interaction.occurred_at)).where(
        Interaction.team_id == team_id
    )
    if account_ids is not None:
        stmt = stmt.where(Interaction.account_id.in_(account_ids))
    # max() keeps the column type, so values come back as aware UTC datetimes.
    return {aid: when for aid, when in session.execute(stmt.group_by(Interaction.account_id)).all()}


def _active_snoozes(
    session: Session, team_id: str, now: datetime, account_ids: list[int] | None = None
) -> dict[int, Snooze]:
    stmt = select(Snooze).where(Snooze.team_id == team_id, Snooze.until > now)
    if account_ids is not None:
        stmt = stmt.where(Snooze.account_id.in_(account_ids))
    rows = session.scalars(stmt.order_by(Snooze.until)).all()
    return {s.account_id: s for s in rows}  # the latest end wins (ordered ascending)


def assess_one(session: Session, team_id: str, acc: Account, now: datetime, th: Thresholds) -> Assessment:
    """The same verdict assess_workspace gives `acc`, without assessing every other account: the revenue
    ranking needs only the population's stages and revenues (one narrow query)."""
    population = session.execute(
        select(Account.stage, Account.annual_revenue).where(Account.team_id == team_id)
    ).all()
    grader = PortfolioGrader(
        [AccountFacts(name="", stage=st, annual_revenue=rev) for st, rev in population], th
    )
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


_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def _owner_id(owner_user_id: str | None, owner: str | None) -> str | None:
    """The resolved owner, else the imported owner when it already is a Slack user id (not an email)."""
    if owner_user_id:
        return owner_user_id
    return owner if owner and _SLACK_ID.match(owner) else None


def _summaries(
    session: Session, team_id: str, now: datetime, th: Thresholds, accounts: Sequence[Any] | None = None
) -> list[AccountSummary]:
    """`accounts`: Account rows or anything with their id, name, owner_user_id, owner, stage, annual_revenue."""
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
    touches = _last_touches(session, team_id, ids)
    snoozes = _active_snoozes(session, team_id, now, ids)
    out = []
    for acc in accounts:
        verdict = verdicts[acc.id]
        last = touches.get(acc.id)
        snooze = snoozes.get(acc.id)
        out.append(
            AccountSummary(
                id=acc.id,
                name=acc.name,
                owner_user_id=_owner_id(acc.owner_user_id, acc.owner),
                stage=acc.stage,
                annual_revenue=acc.annual_revenue,
                assessment=verdict,
                last_touch_at=last,
                days_since_touch=_days_between(last, now),
                cadence_days=cadence_rule(verdict.tier, verdict.grade, th),
                overdue=_is_overdue(cadence_rule(verdict.tier, verdict.grade, th), last, snooze, now),
                snoozed_until=snooze.until if snooze else None,
            )
        )
    return out


def account_summaries(session: Session, team_id: str, now: datetime, th: Thresholds) -> list[AccountSummary]:
    """Every account of the workspace, ordered by name."""
    return _summaries(session, team_id, now, th)


def account_card(
    session: Session, team_id: str, account_id: int, now: datetime, th: Thresholds
) -> AccountCard | None:
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
    snooze = _active_snoozes(session, team_id, now, [acc.id]).get(acc.id)
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
        select(Contact)
        .where(Contact.team_id == team_id, Contact.account_id == account_id)
        .order_by(Contact.name_key)
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


def _state(r: AccountSummary, **extra: object) -> AccountState:
    return AccountState(
        id=r.id,
        name=r.name,
        tier=r.tier,
        grade=r.grade,
        owner=r.owner_user_id,
        annual_revenue=r.annual_revenue,
        last_touch=r.last_touch_at,
        snoozed_until=r.snoozed_until,
        **extra,  # type: ignore[arg-type]
    )


def spof_warnings(
    session: Session, team_id: str, rows: list[AccountSummary], now: datetime, th: Thresholds
) -> list[SpofWarning]:
    """Single points of failure among `rows` (seed 002), by the nudges' rule, from two aggregate queries."""
    ids = [r.id for r in rows]
    if not ids:
        return []
    dm_rows = session.execute(
        select(Contact.account_id, Contact.name)
        .where(
            Contact.team_id == team_id,
            Contact.account_id.in_(ids),
            Contact.active.is_(True),
            Contact.role == "decision_maker",
        )
        .order_by(Contact.account_id, Contact.name_key)
    ).all()
    dms: dict[int, list[str]] = defaultdict(list)
    for aid, contact_name in dm_rows:
        dms[aid].append(contact_name)
    since = now - timedelta(days=th.spof_window_days)
    touch_rows = session.execute(
        select(Interaction.account_id, Contact.name, Interaction.colleague, func.count())
        .join(Contact, Contact.id == Interaction.contact_id)
        .where(
            Interaction.team_id == team_id,
            Interaction.account_id.in_(ids),
            Interaction.occurred_at > since,
            Interaction.occurred_at <= now,
        )
        .group_by(Interaction.account_id, Contact.name, Interaction.colleague)
    ).all()
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    colleagues: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for aid, contact_name, colleague, n in touch_rows:
        counts[aid][contact_name] += n
        if colleague:
            colleagues[aid][contact_name].add(colleague)
    out = []
    for r in rows:
        touches = tuple(
            ContactTouches(c, n, tuple(sorted(colleagues[r.id][c]))) for c, n in sorted(counts[r.id].items())
        )
        names = dms.get(r.id, [])
        item: Item | None = single_point_of_failure(
            _state(
                r,
                decision_makers=len(names),
                sole_decision_maker=names[0] if len(names) == 1 else None,
                window_touches=touches,
            ),
            now,
            th,
        )
        if item is not None:
            d = item.details
            out.append(
                SpofWarning(
                    r,
                    list(d["reasons"]),
                    d["decision_makers"],
                    d["contact"],
                    d["share_percent"],
                    d["colleague"],
                )
            )
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


def pick_focus(
    rows: list[AccountSummary], viewer: str, now: datetime, th: Thresholds
) -> AccountSummary | None:
    """The weekly-focus rule (accounts.signals.choose_focus) over the viewer's accounts, for when the weekly
    job has not picked one this week."""
    mine = [r for r in rows if r.owner_user_id == viewer]
    item = choose_focus([_state(r) for r in mine], now, (), th)
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
    rows = rows if rows is not None else account_summaries(session, team_id, now, th)
    chosen = _focus_from_outbox(session, team_id, viewer, now)
    if chosen is not None:
        for r in rows:
            if r.id == chosen:
                return r
    return pick_focus(rows, viewer, now, th)


def home_data(session: Session, team_id: str, viewer: str, now: datetime, th: Thresholds) -> HomeData:
    """App Home for `viewer`: their accounts by grade (most overdue first), the focus account, SPOF warnings."""
    rows = account_summaries(session, team_id, now, th)
    mine = [r for r in rows if r.owner_user_id == viewer]
    groups: dict[str, list[AccountSummary]] = defaultdict(list)
    for r in mine:
        groups[r.grade or "prospect"].append(r)
    ordered = {g: _sort_most_overdue(groups[g]) for g in (*GRADE_ORDER, "prospect") if groups.get(g)}
    watched = [r for r in mine if r.tier == "key" or r.grade == "A"]
    spof = spof_warnings(session, team_id, watched, now, th)
    return HomeData(
        viewer=viewer, groups=ordered, focus=focus_account(session, team_id, viewer, now, th, rows), spof=spof
    )


def slack_user(session: Session, team_id: str, user_id: str) -> SlackUser | None:
    return session.scalar(select(SlackUser).where(SlackUser.team_id == team_id, SlackUser.user_id == user_id))
