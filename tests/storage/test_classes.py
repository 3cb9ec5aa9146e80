"""storage.stored.grades: stored tier and grade stay what the rules say, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounts.thresholds import Thresholds
from storage.models import Account, Workspace
from storage.reads.assessments import assess_workspace
from storage.stored.grades import ensure_classified, fingerprint
from storage.writes.edits import set_field
from tests.bot.seed import NOW, OTHER_TEAM, OWNER, TEAM, account, portfolio

TH = Thresholds()


def stored(session: Session, team: str = TEAM) -> dict[int, tuple[str | None, str | None]]:
    rows = session.execute(select(Account.id, Account.tier, Account.grade).where(Account.team_id == team))
    return {aid: (tier, grade) for aid, tier, grade in rows}


def computed(session: Session, team: str = TEAM, th: Thresholds = TH) -> dict[int, tuple[str, str | None]]:
    return {aid: (v.tier, v.grade) for aid, v in assess_workspace(session, team, NOW, th).items()}


def classified_with(session: Session, team: str = TEAM) -> str | None:
    return session.scalar(select(Workspace.classified_with).where(Workspace.team_id == team))


def test_stored_classes_match_the_rules_and_a_second_call_changes_nothing(session) -> None:
    portfolio(session)
    assert set(stored(session).values()) == {(None, None)}  # never classified yet
    changed = ensure_classified(session, TEAM, TH)
    assert changed == len(stored(session)) > 0
    assert stored(session) == computed(session)
    assert classified_with(session) == fingerprint(TH)
    assert ensure_classified(session, TEAM, TH) == 0


def test_an_edited_rule_input_marks_the_workspace_stale_and_the_next_read_catches_up(session) -> None:
    accs = portfolio(session)
    ensure_classified(session, TEAM, TH)
    session.commit()
    target = accs["Acme Corp"]
    before = stored(session)[target.id]
    set_field(
        session, team_id=TEAM, account_id=target.id, field="stage", value="prospect", user_id=OWNER, now=NOW
    )
    session.flush()
    assert classified_with(session) is None
    assert ensure_classified(session, TEAM, TH) >= 1
    assert stored(session) == computed(session)
    assert before[0] == "key" and stored(session)[target.id] == ("prospect", None)


def test_a_field_outside_the_rules_leaves_the_classification_valid(session) -> None:
    accs = portfolio(session)
    ensure_classified(session, TEAM, TH)
    set_field(
        session,
        team_id=TEAM,
        account_id=accs["Acme Corp"].id,
        field="owner",
        value="U0OTHER",
        user_id=OWNER,
        now=NOW,
    )
    session.flush()
    assert classified_with(session) == fingerprint(TH)


def test_a_new_account_shifts_the_key_tier_of_the_others(session) -> None:
    portfolio(session)
    ensure_classified(session, TEAM, TH)
    account(session, "Megacorp", annual_revenue=10**10)  # an ORM insert, as any other code path would do
    session.flush()
    assert classified_with(session) is None
    ensure_classified(session, TEAM, TH)
    assert stored(session) == computed(session)


def test_other_thresholds_reclassify(session) -> None:
    portfolio(session)
    ensure_classified(session, TEAM, TH)
    wider = replace(TH, key_tier_percent=100)
    assert fingerprint(wider) != fingerprint(TH)
    assert ensure_classified(session, TEAM, wider) > 0
    assert {tier for tier, _ in stored(session).values()} <= {"key", "prospect"}
    assert stored(session) == computed(session, th=wider)


def test_workspaces_are_classified_apart(session) -> None:
    portfolio(session)
    account(session, "Elsewhere Inc", OTHER_TEAM, annual_revenue=5)
    session.flush()
    ensure_classified(session, TEAM, TH)
    assert set(stored(session, OTHER_TEAM).values()) == {(None, None)}
    assert classified_with(session, OTHER_TEAM) is None


@pytest.mark.postgres
def test_an_edit_waits_for_a_running_classification_and_leaves_it_stale(pg_url: str) -> None:
    """PostgreSQL: the classifier holds the workspace row; a concurrent edit waits for it, then marks the
    workspace stale again, so its change is never hidden behind a fresh-looking fingerprint."""
    from storage.db import ensure_schema, make_engine, session_factory

    engine = make_engine(pg_url)
    ensure_schema(engine)
    sessions: sessionmaker[Session] = session_factory(engine)
    team = "TCLASSLOCK"
    with sessions.begin() as s:
        acc_id = account(s, "Locked Co", team, annual_revenue=100).id
        account(s, "Other Co", team, annual_revenue=10)
    classifier = sessions()
    try:
        classifier.execute(
            Workspace.__table__.update().where(Workspace.team_id == team).values(classified_with="stale")
        )
        classifier.commit()
        ensure_classified(classifier, team, TH)  # holds the row lock until commit
        finished = threading.Event()

        def edit() -> None:
            with sessions.begin() as s:
                set_field(
                    s,
                    team_id=team,
                    account_id=acc_id,
                    field="strategic_value",
                    value="high",
                    user_id=OWNER,
                    now=NOW,
                )
            finished.set()

        worker = threading.Thread(target=edit)
        worker.start()
        time.sleep(0.5)
        assert not finished.is_set(), "the edit should wait for the classifier's lock"
        classifier.commit()
        worker.join(10)
        assert finished.is_set()
    finally:
        classifier.close()
    with sessions.begin() as s:
        assert classified_with(s, team) is None
        ensure_classified(s, team, TH)
        assert stored(s, team) == computed(s, team)
        s.execute(Account.__table__.delete().where(Account.team_id == team))
        s.execute(Workspace.__table__.delete().where(Workspace.team_id == team))
    engine.dispose()


def test_an_edit_committed_while_the_classifier_reads_leaves_the_workspace_stale(
    sessions, monkeypatch
) -> None:
    """Both databases: an edit that commits while a classification is reading the accounts must not end up
    behind the fresh fingerprint the classifier then writes. (SQLite's driver begins a transaction only at
    the first write, so the classifier read with no lock at all and stamped its stale verdicts as current.)"""
    import storage.stored.grades as classes

    with sessions.begin() as s:
        accs = portfolio(s)
        ensure_classified(s, TEAM, TH)
    target, other = accs["Umbrella"].id, accs["Initech"].id
    with sessions.begin() as s:  # any edit of a rule input: the next reader classifies again
        set_field(s, team_id=TEAM, account_id=other, field="wallet_share", value=10.0, user_id=OWNER, now=NOW)
    with sessions.begin() as s:
        before = computed(s)[target]
    edited = threading.Event()
    errors: list[BaseException] = []

    def edit() -> None:
        try:
            with sessions.begin() as s:
                set_field(
                    s,
                    team_id=TEAM,
                    account_id=target,
                    field="strategic_value",
                    value="high",
                    user_id=OWNER,
                    now=NOW,
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        edited.set()

    worker = threading.Thread(target=edit)
    real = classes.classify_in_batches

    def classify_while_someone_edits(*args, **kwargs):  # type: ignore[no-untyped-def]
        for n, batch in enumerate(real(*args, **kwargs)):
            if n == 0:
                worker.start()
                edited.wait(1.0)  # the edit commits now, unless the classifier's lock holds it off
            yield batch

    monkeypatch.setattr(classes, "classify_in_batches", classify_while_someone_edits)
    classifier = sessions()
    try:
        ensure_classified(classifier, TEAM, TH)
        classifier.commit()
    finally:
        classifier.close()
    worker.join(35)
    monkeypatch.setattr(classes, "classify_in_batches", real)
    assert errors == []
    with sessions.begin() as s:
        ensure_classified(s, TEAM, TH)
        assert computed(s)[target] != before  # the edit moved the grade
        assert stored(s) == computed(s)


def test_an_account_moved_to_another_workspace_makes_both_stale(session) -> None:
    accs = portfolio(session)
    account(session, "Elsewhere Inc", OTHER_TEAM, annual_revenue=5)
    ensure_classified(session, TEAM, TH)
    ensure_classified(session, OTHER_TEAM, TH)
    accs["Acme Corp"].team_id = OTHER_TEAM  # no rule input changes, but both rankings do
    session.flush()
    assert classified_with(session) is None
    assert classified_with(session, OTHER_TEAM) is None
    for team in (TEAM, OTHER_TEAM):
        ensure_classified(session, team, TH)
        assert stored(session, team) == computed(session, team)


def _bulk_writes() -> dict[str, Any]:
    from sqlalchemy import bindparam, delete, insert, update

    table = Account.__table__

    def orm_update(session: Session, ids: dict[str, int]) -> None:
        session.execute(
            update(Account)
            .where(Account.team_id == TEAM, Account.name == "Umbrella")
            .values(strategic_value="high")
        )

    def orm_update_by_primary_key(session: Session, ids: dict[str, int]) -> None:
        session.execute(update(Account), [{"id": ids["Umbrella"], "strategic_value": "high"}])

    def core_update(session: Session, ids: dict[str, int]) -> None:
        session.execute(
            table.update().where(table.c.id == bindparam("aid")).values(strategic_value=bindparam("level")),
            [{"aid": ids["Umbrella"], "level": "high"}],
        )

    def orm_delete(session: Session, ids: dict[str, int]) -> None:
        session.execute(
            delete(Account).where(Account.id == ids["Acme Corp"]).execution_options(synchronize_session=False)
        )

    def core_insert(session: Session, ids: dict[str, int]) -> None:
        session.execute(
            insert(Account),
            [
                {
                    "team_id": TEAM,
                    "name": "Megacorp",
                    "name_key": "megacorp",
                    "stage": "client",
                    "annual_revenue": 10.0**10,
                    "aliases": [],
                    "exclusions": [],
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            ],
        )

    return {
        f.__name__: f for f in (orm_update, orm_update_by_primary_key, core_update, orm_delete, core_insert)
    }


@pytest.mark.parametrize("write", sorted(_bulk_writes()))
def test_bulk_statements_on_accounts_through_the_session_make_the_workspace_stale(
    session, write: str
) -> None:
    """UPDATE, DELETE and INSERT statements run with Session.execute bypass the flush (and its hook)."""
    accs = portfolio(session)
    account(session, "Elsewhere Inc", OTHER_TEAM, annual_revenue=5)
    ensure_classified(session, TEAM, TH)
    ensure_classified(session, OTHER_TEAM, TH)
    _bulk_writes()[write](session, {name: a.id for name, a in accs.items()})
    assert classified_with(session) is None
    ensure_classified(session, TEAM, TH)
    assert stored(session) == computed(session)
    if write not in ("orm_update_by_primary_key",):
        assert classified_with(session, OTHER_TEAM) == fingerprint(
            TH
        )  # another workspace's rows were not touched


def test_bulk_statements_outside_the_rules_leave_the_classification_valid(session) -> None:
    from storage.stored.grades import record_classes
    from storage.writes.slack_users import resolve_owner_email

    accs = portfolio(session)
    ensure_classified(session, TEAM, TH)
    record_classes(session, TEAM, {accs["Acme Corp"].id: ("key", "A")})
    resolve_owner_email(session, TEAM, "someone@example.com", "U0SOMEONE")
    assert classified_with(session) == fingerprint(TH)


def test_an_empty_or_missing_workspace_is_classified_without_error(session) -> None:
    from storage.db import ensure_workspace

    assert ensure_classified(session, "T0NOSUCHWS", TH) == 0  # no row: nothing to store, nothing raised
    ensure_workspace(session, TEAM)
    assert ensure_classified(session, TEAM, TH) == 0
    assert classified_with(session) == fingerprint(TH)
    account(session, "First Co", annual_revenue=10)  # the first account makes it stale
    assert classified_with(session) is None
    assert ensure_classified(session, TEAM, TH) == 1
    assert stored(session) == computed(session)
