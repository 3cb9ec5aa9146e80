"""The nudge ledger: every nudge delivered, per account and reason, and what followed it
(docs/nudges.md#escalation-and-outcomes).

`record_delivered` runs in the relay's transaction that marks an outbox row sent (bot.relay), so a nudge is in
the ledger exactly when it is in Slack: a dead letter was never seen and is never counted, and a row the relay
reconciles after an ambiguous attempt is marked sent once, so recorded once (the unique key makes a second
insert a no-op anyway). Whether a touch followed is not stored: `nudge_records` reads the first interaction
after each nudge when asked (touches logged in Slack and imported ones alike, whenever they arrive).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from accounts.escalation import SentNudge
from accounts.outcomes import FOLLOW_UP_DAYS, NudgeRecord, OutcomeReport, outcome_report
from storage.escalation import escalation_count
from storage.models import Account, Interaction, NudgeSent, SlackUser, table_of
from storage.upsert import conflict_insert

log = logging.getLogger("accountbot.nudge_ledger")

LEDGER = table_of(NudgeSent)
NUDGE_KINDS = ("digest", "weekly_focus")
STALE = "stale"  # a weekly focus (or a backup's covering block) names overdue key accounts


def nudged(kind: str, facts: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(account id, reason) pairs a delivered message nudged about: a digest's items per section (and the
    overdue key accounts a backup covers, reason stale), a weekly focus's account (reason stale); nothing for
    other kinds. Malformed facts name nothing."""
    pairs: list[tuple[int, str]] = []
    if kind == "digest":
        sections = facts.get("sections")
        for reason, section in sections.items() if isinstance(sections, Mapping) else ():
            if isinstance(reason, str):
                pairs.extend((a, reason[:40]) for a in _item_ids(section))
        covering = facts.get("covering")  # a backup's digest: a paused owner's overdue key accounts
        for cover in covering if isinstance(covering, list) else ():
            pairs.extend((a, STALE) for a in _item_ids(cover))
    elif kind == "weekly_focus":
        account_id = facts.get("account_id")
        if isinstance(account_id, int) and not isinstance(account_id, bool):
            pairs.append((account_id, STALE))
    return list(dict.fromkeys(pairs))


def _item_ids(section: object) -> list[int]:
    """The account ids of a section's (or a covering block's) items."""
    items = section.get("items") if isinstance(section, Mapping) else None
    out = []
    for item in items if isinstance(items, list) else ():
        account_id = item.get("account_id") if isinstance(item, Mapping) else None
        if isinstance(account_id, int) and not isinstance(account_id, bool):
            out.append(account_id)
    return out


def record_delivered(
    session: Session,
    *,
    team_id: str,
    outbox_id: int,
    recipient: str,
    kind: str,
    facts: Mapping[str, Any],
    sent_at: datetime,
) -> int:
    """Ledger rows for one delivered outbox row (in the caller's transaction); returns how many are new.

    Accounts deleted since the message was queued are left out. Never raises for the ledger's own sake: it
    writes inside a savepoint, and a failure there is logged and leaves the caller's transaction (the
    delivery) intact."""
    if kind not in NUDGE_KINDS:
        return 0
    pairs = nudged(kind, facts)
    if not pairs:
        return 0
    try:
        with session.begin_nested():
            ids = sorted({a for a, _ in pairs})
            known = set(
                session.scalars(select(Account.id).where(Account.team_id == team_id, Account.id.in_(ids)))
            )
            rows = [
                {"team_id": team_id, "outbox_id": outbox_id, "account_id": account_id, "recipient": recipient[:64],
                 "kind": kind, "reason": reason, "sent_at": sent_at}
                for account_id, reason in pairs
                if account_id in known
            ]  # fmt: skip
            if not rows:
                return 0
            insert = (
                conflict_insert(session, LEDGER)
                .on_conflict_do_nothing(index_elements=["team_id", "outbox_id", "account_id", "reason"])
                .returning(LEDGER.c.id)
            )
            return len(session.execute(insert, rows).all())
    except SQLAlchemyError as exc:
        log.warning(
            "nudge_ledger_failed team=%s outbox_id=%s error=%s", team_id, outbox_id, type(exc).__name__
        )
        return 0


def _first_touch_after(now: datetime) -> Any:
    """The first interaction of the ledger row's account after its nudge, up to `now` (a correlated subquery
    on ix_interactions_account_when)."""
    return (
        select(func.min(Interaction.occurred_at))
        .where(
            Interaction.team_id == LEDGER.c.team_id,
            Interaction.account_id == LEDGER.c.account_id,
            Interaction.occurred_at > LEDGER.c.sent_at,
            Interaction.occurred_at <= now,
        )
        .correlate(LEDGER)
        .scalar_subquery()
    )


def nudge_records(
    session: Session,
    team_id: str,
    *,
    since: datetime,
    now: datetime,
    recipients: Sequence[str] | None = None,
) -> list[NudgeRecord]:
    """The workspace's nudges sent from `since` up to `now` (only to `recipients`, when given), each with the
    first touch of its account that came after it (None: none yet), oldest first."""
    c = LEDGER.c
    stmt = (
        select(c.account_id, Account.name, c.recipient, c.reason, c.sent_at, _first_touch_after(now))
        .join(Account, (Account.id == c.account_id) & (Account.team_id == team_id))
        .where(c.team_id == team_id, c.sent_at >= since, c.sent_at <= now)
        .order_by(c.sent_at, c.id)
    )
    if recipients is not None:
        stmt = stmt.where(c.recipient.in_(list(recipients)))
    return [
        NudgeRecord(
            account_id, name, recipient, reason, _aware(sent_at), _aware(touched) if touched else None
        )
        for account_id, name, recipient, reason, sent_at, touched in session.execute(stmt)
    ]


def nudge_outcomes(
    session: Session, team_id: str, *, since: datetime, now: datetime, within_days: int = FOLLOW_UP_DAYS
) -> OutcomeReport:
    """Do nudges work? The workspace's nudges sent from `since` to `now`, per owner, reason and week, with the
    escalations of the period (accounts.outcomes)."""
    records = nudge_records(session, team_id, since=since, now=now)
    escalations = escalation_count(session, team_id, since=since, until=now)
    return outcome_report(records, since, now, within_days, escalations)


def people_names(session: Session, team_id: str, user_ids: Sequence[str]) -> dict[str, str]:
    """Slack user id -> real name, for the people of `user_ids` the directory knows by name."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(SlackUser.user_id, SlackUser.real_name).where(
            SlackUser.team_id == team_id,
            SlackUser.user_id.in_(sorted(set(user_ids))),
            SlackUser.real_name.is_not(None),
        )
    )
    return {user_id: str(real_name) for user_id, real_name in rows if real_name}


def recent_nudges(
    session: Session, team_id: str, *, since: datetime, now: datetime, owners_only: bool = False
) -> dict[int, list[SentNudge]]:
    """Account id -> the nudges about it sent from `since` up to `now` (the escalation rule's input);
    `owners_only`: only those its owner received (not a backup's while covering for them)."""
    c = LEDGER.c
    stmt = select(c.account_id, c.outbox_id, c.sent_at, c.reason).where(
        c.team_id == team_id, c.sent_at >= since, c.sent_at <= now
    )
    if owners_only:
        stmt = stmt.join(
            Account,
            (Account.id == c.account_id)
            & (Account.team_id == team_id)
            & (Account.owner_user_id == c.recipient),
        )
    rows = session.execute(stmt.order_by(c.account_id, c.sent_at))
    out: dict[int, list[SentNudge]] = {}
    for account_id, outbox_id, sent_at, reason in rows:
        out.setdefault(account_id, []).append(SentNudge(outbox_id, _aware(sent_at), reason))
    return out


def _aware(value: Any) -> datetime:
    """Aggregates of UTCDateTime columns may come back naive (SQLite) or as text: aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
