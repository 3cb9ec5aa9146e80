"""load_facts / assess_workspace: accounts as the rules see them, engagement pairs in one aggregate query."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from accounts.thresholds import Thresholds
from storage.db import ensure_workspace
from storage.models import Account, Contact, Interaction
from storage.reads.accounts import name_key
from storage.reads.assessments import assess_workspace, load_facts
from tests.conftest import NOW

TH = Thresholds()


def add_account(session: Session, team: str, name: str, **kw: object) -> Account:
    ensure_workspace(session, team)
    acc = Account(team_id=team, name=name, name_key=name_key(name), created_at=NOW, updated_at=NOW, **kw)
    session.add(acc)
    session.flush()
    return acc


def add_contact(session: Session, acc: Account, name: str) -> Contact:
    c = Contact(team_id=acc.team_id, account_id=acc.id, name=name, name_key=name_key(name))
    session.add(c)
    session.flush()
    return c


def touch(
    session: Session, acc: Account, when: datetime, colleague: str | None, contact: Contact | None
) -> None:
    session.add(
        Interaction(
            team_id=acc.team_id,
            account_id=acc.id,
            occurred_at=when,
            kind="meeting",
            colleague=colleague,
            contact_id=contact.id if contact else None,
            dedup_key=f"{acc.id}-{when.isoformat()}-{colleague}-{contact.id if contact else 0}",
        )
    )


def test_facts_carry_every_field_and_the_id(session: Session) -> None:
    acc = add_account(
        session,
        "T1",
        "Acme",
        stage="client",
        annual_revenue=1_200_000.0,
        wallet_share=40.0,
        profit_margin=-3.5,
        profitability="high",
        strategic_value="medium",
        pain_factor="low",
        engagement="high",
        potential="low",
        prospect_fit=None,
    )
    add_account(session, "T1", "beta", stage="prospect", prospect_fit="ideal")
    facts = load_facts(session, "T1", NOW, TH)
    assert [f.name for f in facts] == ["Acme", "beta"]
    f = facts[0]
    assert (f.id, f.stage, f.annual_revenue, f.wallet_share, f.profit_margin) == (
        acc.id,
        "client",
        1_200_000.0,
        40.0,
        -3.5,
    )
    assert (f.profitability, f.strategic_value, f.pain_factor, f.engagement, f.potential) == (
        "high",
        "medium",
        "low",
        "high",
        "low",
    )
    assert (
        facts[1].stage == "prospect" and facts[1].prospect_fit == "ideal" and facts[1].engagement_pairs == 0
    )


def test_engagement_pairs_are_distinct_in_window_and_per_workspace(session: Session) -> None:
    acc = add_account(session, "T1", "Acme")
    other = add_account(session, "T2", "Acme")
    ann, bob = add_contact(session, acc, "Ann"), add_contact(session, acc, "Bob")
    stranger = add_contact(session, other, "Ann")
    recent = NOW - timedelta(days=5)
    touch(session, acc, recent, "U1", ann)
    touch(session, acc, recent - timedelta(days=1), "U1", ann)  # same pair again
    touch(session, acc, recent, "U1", bob)
    touch(session, acc, recent, "U2", ann)
    touch(
        session, acc, NOW - timedelta(days=TH.engagement_window_days), "U3", bob
    )  # on the window's edge: in
    touch(session, acc, NOW - timedelta(days=TH.engagement_window_days, seconds=1), "U4", bob)  # just outside
    touch(session, acc, NOW + timedelta(days=1), "U5", bob)  # future: not yet
    touch(session, acc, recent, None, bob)  # no colleague: no pair
    touch(session, acc, recent, "U6", None)  # no contact: no pair
    for i in range(5):
        touch(session, other, recent, f"U{i}", stranger)
    session.flush()
    (facts,) = load_facts(session, "T1", NOW, TH)
    assert facts.engagement_pairs == 4
    (facts2,) = load_facts(session, "T2", NOW, TH)
    assert facts2.engagement_pairs == 5
    narrow = Thresholds(engagement_window_days=3)
    assert load_facts(session, "T1", NOW, narrow)[0].engagement_pairs == 0


def test_load_facts_uses_two_queries_whatever_the_size(session: Session) -> None:
    accs = [add_account(session, "T1", f"Account {i}") for i in range(30)]
    for acc in accs:
        c = add_contact(session, acc, "Ann")
        touch(session, acc, NOW - timedelta(days=1), "U1", c)
    session.flush()
    statements: list[str] = []
    bind = session.get_bind()

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(bind, "before_cursor_execute", count)
    try:
        facts = load_facts(session, "T1", NOW, TH)
    finally:
        event.remove(bind, "before_cursor_execute", count)
    assert len(facts) == 30 and all(f.engagement_pairs == 1 for f in facts)
    assert len(statements) == 2


def test_assess_workspace_maps_account_ids_to_assessments(session: Session) -> None:
    big = add_account(session, "T1", "Big", annual_revenue=9_000_000.0, profit_margin=30.0, wallet_share=30.0)
    ids = [big.id]
    for i in range(7):
        ids.append(add_account(session, "T1", f"Small {i}", annual_revenue=100_000.0 + i).id)
    prospect = add_account(session, "T1", "Maybe", stage="prospect", prospect_fit="ideal")
    add_account(session, "T2", "Elsewhere", annual_revenue=1.0)
    result = assess_workspace(session, "T1", NOW, TH)
    assert set(result) == {*ids, prospect.id}
    assert result[big.id].name == "Big" and result[big.id].tier == "key"
    assert result[prospect.id].tier == "prospect" and result[prospect.id].grade is None
    # 8 clients: the key tier is the top ceil(25% of 8) = 2 by revenue.
    assert [result[i].tier for i in ids] == ["key"] + ["secondary"] * 6 + ["key"]
