"""storage.stored.grades on PostgreSQL: the classifier's workspace lock serialises it with the writers of rule
inputs, and with nothing else (every row of the workspace's other tables references the workspace row)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounts.thresholds import Thresholds
from storage.models import Account
from storage.stored.grades import ensure_classified, lock_workspace, reclassify
from storage.writes.edits import log_touch, set_field, snooze
from tests.bot.seed import NOW, OWNER, account
from tests.threads import in_thread

pytestmark = pytest.mark.postgres
TH = Thresholds()
TEAM = "TCLASSDEAD"


@pytest.fixture
def sessions(pg_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    return pg_sessions  # every test here is about PostgreSQL's row locks


def _seed(sessions: sessionmaker[Session]) -> int:
    """A classified workspace, then an edit that moves Small Co's grade: stale, Small Co's row to change."""
    with sessions.begin() as s:
        small = account(s, "Small Co", TEAM, annual_revenue=10, owner_user_id=OWNER, strategic_value="low").id
        for i in range(4):
            account(s, f"Big {i}", TEAM, annual_revenue=1000 + i, owner_user_id=OWNER)
    with sessions.begin() as s:
        ensure_classified(s, TEAM, TH)
    with sessions.begin() as s:
        set_field(
            s, team_id=TEAM, account_id=small, field="strategic_value", value="high", user_id=OWNER, now=NOW
        )
    return small


@pytest.mark.parametrize(
    "field,value", [("owner", "U0NEWOWNER"), ("sponsor", "U0SPONSOR"), ("aliases", ["Smallish"])]
)
def test_an_edit_outside_the_rules_never_deadlocks_with_a_running_classification(
    sessions: sessionmaker[Session], field: str, value: object
) -> None:
    """The classifier holds the workspace row; an edit of a field outside the rules writes the account row and
    then its audit row (which references the workspace). A lock on the workspace that blocks references made
    the edit wait for the classifier while the classifier waited for the edited account row: a deadlock, one
    of the two aborted after deadlock_timeout."""
    small = _seed(sessions)
    classifier = sessions()
    try:
        assert lock_workspace(classifier, TEAM) is None  # ensure_classified's lock, held until commit
        edit, errors, done = in_thread(
            lambda s: set_field(
                s, team_id=TEAM, account_id=small, field=field, value=value, user_id=OWNER, now=NOW
            ),
            sessions,
        )
        edit.start()
        done.wait(1.0)  # the edit has written the account row (and, before the fix, waits for the workspace)
        reclassify(
            classifier, TEAM, TH
        )  # writes Small Co's new grade: waits for the edit's row, if it is open
        classifier.commit()
        edit.join(15)
        assert done.is_set()
        assert errors == []
    finally:
        classifier.close()
    with sessions.begin() as s:
        row = s.execute(
            select(Account.grade, Account.owner_user_id, Account.sponsor_user_id).where(Account.id == small)
        ).one()
        assert row.grade is not None


@pytest.mark.parametrize("write", ["touch", "snooze"])
def test_writes_that_only_reference_the_workspace_do_not_wait_for_a_classification(
    sessions: sessionmaker[Session], write: str
) -> None:
    """Logging a touch or a snooze during a long classification of a big workspace answers at once."""
    small = _seed(sessions)
    classifier = sessions()
    try:
        ensure_classified(classifier, TEAM, TH)  # stale: classifies and keeps the lock until commit

        def work(s: Session) -> None:
            if write == "touch":
                log_touch(s, team_id=TEAM, account_id=small, kind="call", occurred_at=NOW, created_by=OWNER)
            else:
                snooze(
                    s,
                    team_id=TEAM,
                    account_id=small,
                    until=NOW + timedelta(days=3),
                    reason=None,
                    user_id=OWNER,
                    now=NOW,
                )

        writer, errors, done = in_thread(work, sessions)
        writer.start()
        finished_first = done.wait(3.0)
        classifier.commit()
        writer.join(10)
        assert errors == []
        assert finished_first, "the write waited for the classifier's commit"
    finally:
        classifier.close()


def test_recording_announced_classes_never_deadlocks_with_an_accounts_import(
    sessions: sessionmaker[Session],
) -> None:
    """tier_watch writes last_tier/last_grade in name order; an import upserts in the file's order. Without
    the workspace lock first, each held a row the other wanted (seen as DeadlockDetected under load)."""
    from storage.importing.rows import AccountRow
    from storage.importing.writers import import_accounts
    from storage.stored.grades import record_classes

    with sessions.begin() as s:
        first = account(s, "Alpha", TEAM, annual_revenue=10, owner_user_id=OWNER).id
        second = account(s, "Beta", TEAM, annual_revenue=20, owner_user_id=OWNER).id
    importer = sessions()
    try:
        import_accounts(importer, TEAM, [AccountRow(2, "Beta", {"annual_revenue": 21.0})], NOW)  # holds Beta
        recorder, errors, done = in_thread(
            lambda s: record_classes(s, TEAM, {first: ("key", "A"), second: ("key", "B")}), sessions
        )
        recorder.start()
        done.wait(1.0)  # before the fix: holds Alpha, waits for Beta
        import_accounts(importer, TEAM, [AccountRow(2, "Alpha", {"annual_revenue": 11.0})], NOW)
        importer.commit()
        recorder.join(15)
        assert done.is_set()
        assert errors == []
    finally:
        importer.close()
