"""Review: the fetcher's overall deadline covers the whole exchange, not only the body.

A feed server that drips its status line and headers one byte at a time (each byte inside the read
timeout) used to hold a poller thread - and with it the whole news tick, which waits for every feed - for
as long as it liked: httpx's timeouts are per read, and the deadline was only checked between body chunks.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from news.fetch import FetchError, fetch_feed, make_client

LOCAL = frozenset({"127.0.0.1"})


@pytest.fixture
def dripping_server() -> Iterator[str]:
    """Accepts connections and sends the response head one byte every 0.1 s, for up to 15 s."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"y" * 40) for i in range(300))

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                started = time.monotonic()
                for i in range(len(head)):
                    if stop.is_set() or time.monotonic() - started > 15:
                        return
                    conn.sendall(head[i : i + 1])
                    time.sleep(0.1)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
    stop.set()
    thread.join(2)
    listener.close()


def test_dripping_response_head_hits_the_overall_deadline(dripping_server: str) -> None:
    started = time.monotonic()
    with make_client(LOCAL) as client, pytest.raises(FetchError, match="deadline"):
        fetch_feed(client, dripping_server, allowed_hosts=LOCAL, deadline_seconds=1.0)
    assert time.monotonic() - started < 4.0


def test_the_deadline_does_not_outlive_its_fetch(dripping_server: str) -> None:
    """A deadline belongs to one fetch_feed call: the next call on the same thread gets its own."""
    with make_client(LOCAL) as client:
        for _ in range(2):
            started = time.monotonic()
            with pytest.raises(FetchError):
                fetch_feed(client, dripping_server, allowed_hosts=LOCAL, deadline_seconds=0.8)
            assert 0.5 < time.monotonic() - started < 4.0
