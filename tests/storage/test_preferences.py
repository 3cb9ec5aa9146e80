"""storage.preferences on SQLite and PostgreSQL: rows per person and workspace, the defaults' row, pauses."""

from __future__ import annotations

from datetime import date, time, timedelta

from storage import preferences as store
from storage.db import ensure_workspace
from storage.models import SlackUser
from tests.conftest import NOW


def test_rows_belong_to_their_workspace_and_the_defaults_row_is_apart(session) -> None:
    store.save(session, "T1", "U1", now=NOW, by="U1", at=time(8, 0), days=frozenset({0, 2}))
    store.save(session, "T1", store.DEFAULTS_USER, now=NOW, by="UADMIN", quiet=False)
    store.save(session, "T2", "U1", now=NOW, by="U1", frequency="off")
    session.commit()
    t1 = store.team_prefs(session, "T1")
    assert set(t1.people) == {"U1"} and t1.workspace is not None and t1.workspace.quiet is False
    mine = t1.of("U1")
    assert mine is not None and (mine.at, mine.days, mine.frequency) == (time(8, 0), frozenset({0, 2}), None)
    assert (t1.rhythm("U1").quiet, t1.rhythm("U1").frequency) == (False, "daily")  # the rest inherited
    assert t1.rhythm("UNOBODY") is t1.default_rhythm and t1.default_rhythm.quiet is False
    assert store.team_prefs(session, "T2").rhythm("U1").frequency == "off"
    assert store.team_prefs(session, "T3").people == {}
    # Saving again updates the one row; None clears a setting.
    store.save(session, "T1", "U1", now=NOW, by="U1", at=None)
    session.commit()
    assert store.prefs_of(session, "T1", "U1").at is None  # type: ignore[union-attr]
    assert (
        store.day_bits({0, 6}) == 65 and store.bit_days(65) == frozenset({0, 6}) and store.bit_days(0) is None
    )


def test_a_pause_set_again_keeps_its_start_until_the_digest_after_it(session) -> None:
    store.pause(session, "T1", "U1", date(2026, 12, 1), now=NOW, by="U1")
    store.pause(session, "T1", "U1", date(2026, 12, 8), now=NOW + timedelta(days=2), by="U1")
    session.commit()
    mine = store.prefs_of(session, "T1", "U1")
    assert mine is not None and (mine.paused_until, mine.paused_since) == (date(2026, 12, 8), NOW)
    store.unpause(session, "T1", "U1", now=NOW + timedelta(days=3), by="U1")
    store.welcomed_back(session, "T2", ["U1"])  # another workspace's: nothing here
    session.commit()
    mine = store.prefs_of(session, "T1", "U1")
    assert mine is not None and (mine.paused_until, mine.paused_since) == (None, NOW)
    store.welcomed_back(session, "T1", ["U1"])
    session.commit()
    assert store.prefs_of(session, "T1", "U1").paused_since is None  # type: ignore[union-attr]


def test_backups_and_their_zones(session) -> None:
    ensure_workspace(session, "T1")
    ensure_workspace(session, "T2")
    session.add_all([
        SlackUser(team_id="T1", user_id="UB", tz="Asia/Tokyo"),
        SlackUser(team_id="T1", user_id="UGONE", tz="Europe/Berlin", membership="deactivated"),
        SlackUser(team_id="T2", user_id="UX", tz="UTC"),
    ])  # fmt: skip
    store.save(session, "T1", "U1", now=NOW, by="U1", backup="UB")
    store.pause(session, "T1", "U1", date(2026, 12, 1), now=NOW, by="U1")
    store.save(session, "T1", "U2", now=NOW, by="U2", backup="UB")  # not paused: covers nobody
    store.save(session, "T1", "U3", now=NOW, by="U3", backup="UGONE")
    store.pause(session, "T1", "U3", date(2026, 12, 1), now=NOW, by="U3")
    session.commit()
    assert store.team_prefs(session, "T1").backups() == {"UB": ["U1"], "UGONE": ["U3"]}
    assert store.zones_of(session, "T1", ["UB", "UGONE", "UX"]) == {
        "UB": "Asia/Tokyo",
        "UGONE": None,
        "UX": None,
    }
