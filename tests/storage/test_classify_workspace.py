"""classify_workspace / classify_in_batches / assess_rows: the nudge jobs' and the stored grades' paths give
the verdicts of assess_workspace."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from storage.models import Account
from storage.reads.assessments import assess_rows, assess_workspace, classify_in_batches, classify_workspace
from tests.storage.test_portfolio import NOW, TH, add_account, add_contact, touch


def _workspace(session: Session) -> None:
    levels = [None, "low", "medium", "high"]
    for i in range(24):
        add_account(
            session, "T1", f"Account {i:02d}", stage="prospect" if i % 7 == 0 else "client",
            annual_revenue=None if i % 5 == 0 else 10_000.0 * (i + 1), wallet_share=None if i % 4 == 0 else 3.5 * i,
            profit_margin=None if i % 6 == 0 else 2.5 * i - 8, strategic_value=levels[i % 4], pain_factor=levels[(i // 4) % 4],
            owner_user_id=f"U{i % 3}",
        )  # fmt: skip
    add_account(session, "T2", "Elsewhere", annual_revenue=1.0)
    acc = session.query(Account).filter_by(team_id="T1", name="Account 03").one()
    for n in range(4):
        touch(session, acc, NOW - timedelta(days=n + 1), f"U{n}", add_contact(session, acc, f"Contact {n}"))
    session.flush()


def test_classify_workspace_gives_tier_and_grade_of_assess_workspace_in_name_order(session: Session) -> None:
    _workspace(session)
    full = assess_workspace(session, "T1", NOW, TH)
    classified = classify_workspace(session, "T1", TH, Account.owner_user_id)
    assert [(r.id, v.tier, v.grade) for v, r in classified.accounts] == [
        (i, a.tier, a.grade) for i, a in full.items()
    ]
    assert {r.owner_user_id for _, r in classified.accounts} == {"U0", "U1", "U2"}


def test_assess_rows_gives_the_full_assessment_of_assess_workspace(session: Session) -> None:
    _workspace(session)
    full = assess_workspace(session, "T1", NOW, TH)
    classified = classify_workspace(session, "T1", TH)
    rows = [r for _, r in classified.accounts][1::2]  # Account 03 (4 engagement pairs) among them
    assert assess_rows(session, "T1", NOW, TH, classified.grader, rows) == {r.id: full[r.id] for r in rows}


def test_classify_in_batches_gives_every_account_the_verdict_of_assess_workspace(session: Session) -> None:
    _workspace(session)
    add_account(session, "T1", "Top Earner", annual_revenue=10_000_000.0)  # the revenue ranking is the whole
    session.flush()  # workspace's, whichever batch an account falls in
    full = assess_workspace(session, "T1", NOW, TH)
    batches = list(classify_in_batches(session, "T1", TH, Account.owner_user_id, batch=4))
    assert [len(b) for b in batches] == [4] * 6 + [1]
    got = {r.id: (v.tier, v.grade) for b in batches for v, r in b}
    assert got == {i: (a.tier, a.grade) for i, a in full.items()}
    assert sorted(got) == list(got)  # id order: each batch starts after the last id of the one before
