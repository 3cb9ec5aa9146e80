"""Stored classes and rollups, and the digest's account states, against a plain reference, for random
workspaces and random sequences of writes (imports, edits, ORM inserts and deletes, statements), then again
after random changes to contacts and revenue and in the next month, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from accounts.signals import AccountState, ContactTouches
from accounts.thresholds import Thresholds
from storage.db import ensure_workspace
from storage.importing.rows import AccountRow, ContactRow, RevenueRow
from storage.importing.writers import import_accounts, import_contacts, import_revenue
from storage.models import Account, Contact, Interaction, RevenueMonth, Snooze
from storage.reads.account_states import watched_states
from storage.reads.accounts import name_key
from storage.stored.grades import ensure_classified
from storage.writes.edits import set_field
from tests.conftest import NOW

NEXT_MONTH = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # the revenue windows move on by a month
TH = Thresholds()
NAMES = [f"Co {i}" for i in range(10)]
OWNERS = [None, "U1", "U2"]
LEVELS = [None, "high", "medium", "low"]
_seq = itertools.count()

rule_values: dict[str, st.SearchStrategy[Any]] = {
    "stage": st.sampled_from(["client", "prospect"]),
    "annual_revenue": st.sampled_from([None, 0.0, 10.0, 500.0, 500.0, 2_000.0, 90_000.0]),
    "wallet_share": st.sampled_from([None, 10.0, 60.0, 90.0]),
    "profit_margin": st.sampled_from([None, -5.0, 12.0, 40.0]),
    "profitability": st.sampled_from(LEVELS),
    "strategic_value": st.sampled_from(LEVELS),
    "pain_factor": st.sampled_from(LEVELS),
    "engagement": st.sampled_from([None, "high", "low"]),
    "potential": st.sampled_from([None, "high", "low"]),
}
EDITABLE = [f for f in rule_values if f != "annual_revenue"]  # set_field cannot change revenue
facts = st.fixed_dictionaries(rule_values)

op = st.one_of(
    st.tuples(
        st.just("import"),
        st.lists(st.tuples(st.sampled_from(NAMES), facts), max_size=4, unique_by=lambda t: t[0]),
    ),
    st.tuples(
        st.just("set"),
        st.sampled_from(NAMES),
        st.sampled_from(EDITABLE).flatmap(lambda f: st.tuples(st.just(f), rule_values[f])),
    ),
    st.tuples(st.just("add"), st.sampled_from(NAMES), facts),
    st.tuples(st.just("delete"), st.sampled_from(NAMES)),
    st.tuples(st.just("owner"), st.sampled_from(NAMES), st.sampled_from(OWNERS)),
    st.tuples(st.just("classify")),
)
interaction = st.tuples(
    st.integers(0, 9),  # account
    st.integers(-1, 3),  # contact index of that account (-1: none), or of another account when out of range
    st.sampled_from([None, "", "U1", "U3", "u3", "alice@example.com"]),  # colleague
    st.integers(-120, 5),  # days from now (future ones count nowhere)
    st.sampled_from(["meeting", "call", "review"]),
)
activity = st.fixed_dictionaries(
    {
        "contacts": st.lists(
            st.tuples(st.integers(0, 9), st.sampled_from(["", "Ann", "Bob", "Cy"]), st.booleans()),
            max_size=10,
        ),
        "touches": st.lists(interaction, max_size=25),
        "snoozes": st.lists(st.tuples(st.integers(0, 9), st.integers(-3, 3)), max_size=3),
        "sponsors": st.lists(st.tuples(st.integers(0, 9), st.sampled_from([None, "", "U7"])), max_size=4),
        "revenue": st.lists(
            st.tuples(st.integers(0, 9), st.integers(1, 6), st.sampled_from([0.0, 50.0, 100.0])), max_size=8
        ),
    }
)


# Changes to the rollups' sources after a first digest: ORM edits, bulk imports and statements.
change = st.one_of(
    st.tuples(st.just("role"), st.integers(0, 30), st.sampled_from(["decision_maker", "user"])),
    st.tuples(st.just("active"), st.integers(0, 30), st.booleans()),
    st.tuples(st.just("rename"), st.integers(0, 30), st.sampled_from(["Ann", "Zed"])),
    st.tuples(st.just("drop_contact"), st.integers(0, 30)),
    st.tuples(st.just("amount"), st.integers(0, 30), st.sampled_from([0.0, 75.0, 200.0])),
    st.tuples(st.just("drop_revenue"), st.integers(0, 30)),
    st.tuples(
        st.just("import_contact"),
        st.integers(0, 9),
        st.sampled_from(["Ann", "Dee"]),
        st.sampled_from(["decision_maker", "user"]),
    ),
    st.tuples(
        st.just("import_revenue"), st.integers(0, 9), st.integers(0, 7), st.sampled_from([10.0, 500.0])
    ),
    st.tuples(st.just("retire_all"), st.booleans()),  # an UPDATE statement through Session.execute
)


def _change(session: Session, team: str, step: tuple[Any, ...]) -> None:
    kind = step[0]
    contacts = list(session.scalars(select(Contact).where(Contact.team_id == team).order_by(Contact.id)))
    revenue = list(
        session.scalars(select(RevenueMonth).where(RevenueMonth.team_id == team).order_by(RevenueMonth.id))
    )
    names = sorted(_by_name(session, team))
    if kind in ("role", "active", "rename", "drop_contact") and contacts:
        c = contacts[step[1] % len(contacts)]
        if kind == "role":
            c.role = step[2]
        elif kind == "active":
            c.active = step[2]
        elif kind == "rename":
            c.name = step[2] + str(c.id)
        else:
            session.delete(c)
    elif kind in ("amount", "drop_revenue") and revenue:
        r = revenue[step[1] % len(revenue)]
        if kind == "amount":
            r.amount = step[2]
        else:
            session.delete(r)
    elif kind == "import_contact" and names:
        import_contacts(
            session, team, [ContactRow(2, names[step[1] % len(names)], step[2], {"role": step[3]})], NOW
        )
    elif kind == "import_revenue" and names:
        month = date(2026, 11, 1) - timedelta(days=28 * step[2])
        import_revenue(
            session, team, [RevenueRow(2, names[step[1] % len(names)], month.replace(day=1), step[3])], NOW
        )
    elif kind == "retire_all":
        if step[1]:
            session.execute(
                update(Contact)
                .where(Contact.team_id == team, Contact.role == "decision_maker")
                .values(active=False)
            )
        else:
            session.execute(
                delete(RevenueMonth).where(RevenueMonth.team_id == team, RevenueMonth.amount < 60)
            )
    session.flush()


def _by_name(session: Session, team: str) -> dict[str, Account]:
    return {a.name: a for a in session.scalars(select(Account).where(Account.team_id == team))}


def _apply(session: Session, team: str, step: tuple[Any, ...]) -> None:
    kind = step[0]
    accounts = _by_name(session, team)
    if kind == "import" and step[1]:
        rows = [AccountRow(i + 2, name, dict(f)) for i, (name, f) in enumerate(step[1])]
        import_accounts(session, team, rows, NOW)
    elif kind == "set" and step[1] in accounts:
        field, value = step[2]
        set_field(
            session,
            team_id=team,
            account_id=accounts[step[1]].id,
            field=field,
            value=value,
            user_id="U1",
            now=NOW,
        )
    elif kind == "add" and step[1] not in accounts:
        session.add(
            Account(
                team_id=team,
                name=step[1],
                name_key=name_key(step[1]),
                owner_user_id="U1",
                aliases=[],
                exclusions=[],
                created_at=NOW,
                updated_at=NOW,
                **step[2],
            )
        )
        session.flush()
    elif kind == "delete" and step[1] in accounts:
        session.delete(accounts[step[1]])
        session.flush()
    elif kind == "owner" and step[1] in accounts:
        accounts[step[1]].owner_user_id = step[2]
        session.flush()
    elif kind == "classify":
        ensure_classified(session, team, TH)
    session.expire_all()


def _add_activity(session: Session, team: str, data: dict[str, Any]) -> None:
    accounts = sorted(_by_name(session, team).values(), key=lambda a: a.name)
    if not accounts:
        return
    pick = accounts.__getitem__
    for i, name, dm in data["contacts"]:
        acc = pick(i % len(accounts))
        if not session.scalar(
            select(Contact.id).where(Contact.account_id == acc.id, Contact.name_key == name_key(name))
        ):
            session.add(
                Contact(
                    team_id=team,
                    account_id=acc.id,
                    name=name,
                    name_key=name_key(name),
                    role="decision_maker" if dm else "user",
                    active=True,
                )
            )
            session.flush()
    all_contacts = list(session.scalars(select(Contact).where(Contact.team_id == team).order_by(Contact.id)))
    for i, c, colleague, days, kind in data["touches"]:
        acc = pick(i % len(accounts))
        own = [x for x in all_contacts if x.account_id == acc.id]
        contact = (
            None
            if c < 0
            else (own[c] if c < len(own) else (all_contacts[c % len(all_contacts)] if all_contacts else None))
        )
        session.add(
            Interaction(
                team_id=team,
                account_id=acc.id,
                occurred_at=NOW + timedelta(days=days, minutes=next(_seq)),
                kind=kind,
                contact_id=contact.id if contact else None,
                colleague=colleague,
                dedup_key=uuid.uuid4().hex,
            )
        )
    for i, days in data["snoozes"]:
        session.add(
            Snooze(
                team_id=team,
                account_id=pick(i % len(accounts)).id,
                until=NOW + timedelta(days=days),
                created_at=NOW,
            )
        )
    for i, sponsor in data["sponsors"]:
        pick(i % len(accounts)).sponsor_user_id = sponsor
    seen = set()
    for i, back, amount in data["revenue"]:
        acc, month = pick(i % len(accounts)), date(2026, 11 - back, 1)
        if (acc.id, month) not in seen:
            seen.add((acc.id, month))
            session.add(RevenueMonth(team_id=team, account_id=acc.id, month=month, amount=amount))
    session.flush()


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _month(now: datetime, back: int) -> date:
    index = now.year * 12 + now.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def reference_revenue(
    session: Session, team: str, now: datetime
) -> dict[int, tuple[float | None, float | None]]:
    """Account id -> (recent, prior) window sums as the docs describe them, from the plain rows."""
    n = TH.revenue_drop_months
    rows = [
        r
        for r in session.scalars(select(RevenueMonth).where(RevenueMonth.team_id == team))
        if r.month < _month(now, 0)
    ]
    if not rows or max(r.month for r in rows) < _month(now, n):
        return {}  # no revenue in the recent window at all: the data is not up to date
    out: dict[int, tuple[float | None, float | None]] = {}
    for aid in {r.account_id for r in rows}:
        recent = [r.amount for r in rows if r.account_id == aid and r.month >= _month(now, n)]
        prior = [
            r.amount for r in rows if r.account_id == aid and _month(now, 2 * n) <= r.month < _month(now, n)
        ]
        if recent or prior:
            out[aid] = (sum(recent) if recent else None, sum(prior) if prior else None)
    return out


def reference_states(session: Session, team: str, now: datetime = NOW) -> list[AccountState]:
    """watched_states as the docs describe it, from assess_workspace and one plain query per account."""
    from storage.reads.assessments import assess_workspace

    verdicts = assess_workspace(session, team, now, TH)
    revenue = reference_revenue(session, team, now)
    since = now - timedelta(days=TH.spof_window_days)
    out = []
    for acc in session.scalars(select(Account).where(Account.team_id == team).order_by(Account.name_key)):
        v = verdicts[acc.id]
        watched = v.tier == "key" or v.grade == "A"
        if acc.owner_user_id is None or not (watched or (v.grade == "B" and not acc.sponsor_user_id)):
            continue
        snoozes = [
            _aware(s.until) for s in session.scalars(select(Snooze).where(Snooze.account_id == acc.id))
        ]
        running = [u for u in snoozes if u is not None and u > now]
        deciders = [
            c.name
            for c in session.scalars(
                select(Contact).where(
                    Contact.account_id == acc.id, Contact.role == "decision_maker", Contact.active.is_(True)
                )
            )
        ]
        recent, prior = revenue.get(acc.id, (None, None))
        state = AccountState(
            id=acc.id,
            name=acc.name,
            tier=v.tier,
            grade=v.grade,
            owner=acc.owner_user_id,
            annual_revenue=acc.annual_revenue,
            sponsor_user_id=acc.sponsor_user_id,
            sponsor_level=acc.sponsor_level,
            decision_makers=len(deciders),
            sole_decision_maker=deciders[0] if len(deciders) == 1 else None,
            revenue_recent=recent,
            revenue_prior=prior,
            snoozed_until=max(running) if running else None,
        )
        touches = [
            (_aware(i.occurred_at), i)
            for i in session.scalars(select(Interaction).where(Interaction.account_id == acc.id))
        ]
        past = [(when, i) for when, i in touches if when is not None and when <= now]
        reviews = [when for when, i in past if i.kind == "review"]
        state = state._replace(
            last_touch=max((w for w, _ in past), default=None), last_review=max(reviews, default=None)
        )
        if watched:  # window touches: only for the accounts single_point_of_failure concerns
            per_contact: dict[int, list[Interaction]] = {}
            for when, i in past:
                if i.contact_id is not None and when is not None and when > since:
                    per_contact.setdefault(i.contact_id, []).append(i)
            window = tuple(
                ContactTouches(
                    session.get_one(Contact, cid).name,
                    len(rows),
                    tuple(sorted({i.colleague for i in rows if i.colleague})),
                )
                for cid, rows in per_contact.items()
            )
            state = state._replace(window_touches=window)
        out.append(state)
    return out


def _comparable(states: list[AccountState]) -> list[AccountState]:
    """States, and contacts in a state's window, come in no particular order; sums may differ in the last
    bits."""

    def rounded(x: float | None) -> float | None:
        return None if x is None else round(x, 6)

    return sorted(
        (
            s._replace(
                window_touches=tuple(sorted(s.window_touches, key=repr)),
                revenue_recent=rounded(s.revenue_recent),
                revenue_prior=rounded(s.revenue_prior),
            )
            for s in states
        ),
        key=lambda s: s.id,
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(op, min_size=1, max_size=8), data=activity, changes=st.lists(change, max_size=4))
def test_stored_classes_and_watched_states_match_the_reference(
    sessions: sessionmaker[Session],
    steps: list[tuple[Any, ...]],
    data: dict[str, Any],
    changes: list[tuple[Any, ...]],
) -> None:
    session = sessions()
    team = "TEQ" + uuid.uuid4().hex[:8].upper()
    try:
        ensure_workspace(session, team)
        ensure_classified(session, team, TH)  # an empty workspace is classified too
        for step in steps:
            _apply(session, team, step)
        _add_activity(session, team, data)
        ensure_classified(session, team, TH)
        stored = {
            a.id: (a.tier, a.grade) for a in session.scalars(select(Account).where(Account.team_id == team))
        }
        from storage.reads.assessments import assess_workspace

        expected = {aid: (v.tier, v.grade) for aid, v in assess_workspace(session, team, NOW, TH).items()}
        assert stored == expected
        assert _comparable(watched_states(session, team, NOW, TH)) == _comparable(
            reference_states(session, team)
        )
        for step in changes:  # the stored rollups follow every write to contacts and revenue
            _change(session, team, step)
        assert _comparable(watched_states(session, team, NOW, TH)) == _comparable(
            reference_states(session, team)
        )
        assert _comparable(watched_states(session, team, NEXT_MONTH, TH)) == _comparable(
            reference_states(session, team, NEXT_MONTH)
        )
    finally:
        session.rollback()
        session.close()
