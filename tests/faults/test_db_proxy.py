"""The fault proxy itself (tests.faults.db_proxy), with a real psycopg connection through it: bytes flow both
ways unchanged; cut() drops a live connection (and refuses new ones when told); cut_when() cuts exactly at the
statement that holds the marker, which never reaches the server; stall() holds a query until restore() and makes
a new connection time out; slow() delays without changing an answer."""

from __future__ import annotations

import threading

import psycopg
import pytest

from tests.faults.db_proxy import DbProxy


def conninfo(url: str) -> str:
    """The libpq form of a SQLAlchemy psycopg URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def dsn(proxied_url: str) -> str:
    return conninfo(proxied_url)


def test_bytes_flow_both_ways_unchanged(db_proxy: DbProxy, dsn: str) -> None:
    big = "x" * 300_000 + "end"  # several chunks each way
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT %s::text || '!'", (big,)).fetchone() == (big + "!",)
        assert conn.execute("SELECT current_database()").fetchone()[0].startswith("accountbot_test_")
    assert db_proxy.accepted == 1 and db_proxy.seen(b"current_database") == 1


def test_cut_drops_a_live_connection_and_new_ones_get_through(db_proxy: DbProxy, dsn: str) -> None:
    conn = psycopg.connect(dsn)
    try:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert db_proxy.cut() == 1
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 2")
        assert conn.closed and db_proxy.open_connections == 0
    finally:
        conn.close()
    with psycopg.connect(dsn) as again:  # a plain cut refuses nothing
        assert again.execute("SELECT 3").fetchone() == (3,)


def test_a_refusing_cut_turns_new_connections_away_until_restored(db_proxy: DbProxy, dsn: str) -> None:
    db_proxy.cut(refuse=True)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn)
    assert db_proxy.refused == 1 and db_proxy.accepted == 0
    db_proxy.restore()
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT 4").fetchone() == (4,)


def test_cut_when_cuts_at_the_marked_statement_which_never_reaches_the_server(
    db_proxy: DbProxy, dsn: str
) -> None:
    with psycopg.connect(dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE IF NOT EXISTS proxy_probe (n int)")
        setup.execute("TRUNCATE proxy_probe")
    other = psycopg.connect(dsn)  # an idle connection: cut too
    conn = psycopg.connect(dsn, autocommit=True)
    try:
        db_proxy.cut_when(b"proxy_probe_marker")
        conn.execute("INSERT INTO proxy_probe VALUES (1)")  # no marker: passes
        with pytest.raises(psycopg.OperationalError):
            conn.execute("INSERT INTO proxy_probe SELECT 2 WHERE 'proxy_probe_marker' <> ''")
        assert not db_proxy.armed and db_proxy.cuts == 1 and db_proxy.seen(b"proxy_probe_marker") == 0
        with pytest.raises(psycopg.OperationalError):
            other.execute("SELECT 1")
    finally:
        conn.close()
        other.close()
    with psycopg.connect(dsn, autocommit=True) as check:
        assert check.execute("SELECT n FROM proxy_probe ORDER BY n").fetchall() == [(1,)]
        check.execute("DROP TABLE proxy_probe")


def test_stall_holds_a_query_until_restored_and_a_new_connection_times_out(
    db_proxy: DbProxy, dsn: str
) -> None:
    conn = psycopg.connect(dsn)
    try:
        db_proxy.stall()
        answer: list[object] = []
        worker = threading.Thread(target=lambda: answer.append(conn.execute("SELECT 42").fetchone()))
        worker.start()
        worker.join(0.5)
        assert worker.is_alive() and answer == []  # held, not failed
        with pytest.raises(psycopg.OperationalError, match="timeout"):
            psycopg.connect(dsn, connect_timeout=1)  # the server's greeting never comes
        db_proxy.restore()
        worker.join(10)
        assert answer == [(42,)]
    finally:
        conn.close()


def test_slow_delays_every_chunk_without_changing_the_answer(db_proxy: DbProxy, dsn: str) -> None:
    import time

    with psycopg.connect(dsn) as conn:
        conn.execute("SELECT 1")
        db_proxy.slow(0.2)
        started = time.monotonic()
        assert conn.execute("SELECT 'slow'").fetchone() == ("slow",)
        assert time.monotonic() - started >= 0.4  # one chunk each way, each held 0.2 s (a lower bound)
