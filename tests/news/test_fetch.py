"""The guarded fetcher against a real loopback HTTP server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from news import fetch as fetch_mod
from news import guard
from news.fetch import FetchError, fetch_feed, make_client
from news.guard import UrlRefused
from news.parse import parse_feed
from tests.fakes.feed_server import FeedServer

LOCAL = frozenset({"127.0.0.1"})


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(LOCAL) as c:
        yield c


def test_conditional_get_returns_304_without_body(server: FeedServer, client: httpx.Client) -> None:
    url = server.add_feed("cond", "<rss version='2.0'><channel><title>c</title></channel></rss>")
    first = fetch_feed(client, url, allowed_hosts=LOCAL)
    assert first.status == 200 and first.etag and first.last_modified and b"<rss" in first.body
    before = server.not_modified
    second = fetch_feed(client, url, allowed_hosts=LOCAL, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b"" and second.etag == first.etag
    assert server.not_modified == before + 1


def test_loopback_is_refused_unless_allowed(server: FeedServer) -> None:
    with make_client(frozenset()) as c, pytest.raises(UrlRefused, match="loopback"):
        fetch_feed(c, server.url("/feeds/default"))


def test_connection_goes_to_the_vetted_address_even_if_dns_changes(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the pre-flight check sees a public address, the connect-time lookup a private one."""
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])
    monkeypatch.setattr(guard, "resolve", lambda host, port: next(answers))
    port = server.base.rsplit(":", 1)[1]
    with make_client(frozenset()) as c, pytest.raises(UrlRefused, match="loopback"):
        fetch_feed(c, f"http://rebind.example:{port}/feeds/default")


def test_allowed_name_connects_to_its_resolved_address_with_host_header(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["127.0.0.1"])
    port = server.base.rsplit(":", 1)[1]
    allowed = frozenset({"feeds.intranet.test"})
    with make_client(allowed) as c:
        result = fetch_feed(c, f"http://feeds.intranet.test:{port}/feeds/default", allowed_hosts=allowed)
    assert result.status == 200 and b"Globex" in result.body


def test_redirect_chain_is_followed_up_to_five(server: FeedServer, client: httpx.Client) -> None:
    result = fetch_feed(client, server.url("/redirect/5"), allowed_hosts=LOCAL)
    assert result.status == 200 and result.url.endswith("/feeds/default")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch_feed(client, server.url("/redirect/6"), allowed_hosts=LOCAL)


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/feed", "file:///etc/passwd"]
)
def test_redirect_to_private_or_odd_target_is_refused(
    server: FeedServer, client: httpx.Client, target: str
) -> None:
    with pytest.raises(UrlRefused):
        fetch_feed(client, server.url(f"/redirect-to?url={target}"), allowed_hosts=LOCAL)


def test_slow_server_hits_the_read_timeout(
    server: FeedServer, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_mod, "READ_TIMEOUT", 0.3)
    start = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        fetch_feed(client, server.url("/slow?delay=2"), allowed_hosts=LOCAL)
    assert time.monotonic() - start < 1.5


def test_trickling_server_hits_the_overall_deadline(server: FeedServer, client: httpx.Client) -> None:
    with pytest.raises(FetchError, match="deadline"):
        fetch_feed(client, server.url("/trickle?delay=0.05"), allowed_hosts=LOCAL, deadline_seconds=0.5)


def test_huge_bodies_are_cut_off(server: FeedServer, client: httpx.Client) -> None:
    with pytest.raises(FetchError, match="larger than 2048 KiB; stopped"):
        fetch_feed(client, server.url("/huge"), allowed_hosts=LOCAL)
    with pytest.raises(FetchError, match="Content-Length"):
        fetch_feed(client, server.url("/huge-declared"), allowed_hosts=LOCAL)
    with pytest.raises(FetchError, match="larger than"):
        fetch_feed(client, server.url("/gzip-bomb"), allowed_hosts=LOCAL)


def test_gzip_is_decoded(server: FeedServer, client: httpx.Client) -> None:
    server.add_feed("zipped", "<rss version='2.0'><channel><item><title>Zip</title></item></channel></rss>")
    result = fetch_feed(client, server.url("/gzip/zipped"), allowed_hosts=LOCAL)
    assert result.headers["content-encoding"] == "gzip"
    assert parse_feed(result.body, url=result.url, headers=result.headers).entries[0].title == "Zip"


def test_http_errors_are_reported(server: FeedServer, client: httpx.Client) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_feed(client, server.url("/feeds/missing"), allowed_hosts=LOCAL)
    with pytest.raises(FetchError, match="HTTP 500"):
        fetch_feed(client, server.url("/status/500"), allowed_hosts=LOCAL)


def test_malformed_entity_bomb_and_html(server: FeedServer, client: httpx.Client) -> None:
    bad = fetch_feed(client, server.url("/malformed"), allowed_hosts=LOCAL)
    parsed = parse_feed(bad.body, url=bad.url, headers=bad.headers)
    assert parsed.warning and parsed.entries and parsed.entries[0].title == "Initech wins & loses"

    bomb = fetch_feed(client, server.url("/entity-bomb"), allowed_hosts=LOCAL)
    start = time.monotonic()
    parsed = parse_feed(bomb.body, url=bomb.url, headers=bomb.headers)
    assert time.monotonic() - start < 2
    assert all(len(e.title) < 100 and "aaaa" not in e.summary for e in parsed.entries)

    page = fetch_feed(client, server.url("/html"), allowed_hosts=LOCAL)
    assert not parse_feed(page.body, url=page.url, headers=page.headers).is_feed


def test_parsing_never_fetches_external_dtds_or_entities(server: FeedServer) -> None:
    doc = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{server.url("/dtd")}" '
        f'[<!ENTITY xxe SYSTEM "{server.url("/entity")}">]>\n'
        "<rss version='2.0'><channel><title>T</title><item><title>Hello &xxe;</title></item></channel></rss>"
    )
    parsed = parse_feed(
        doc.encode(), url="http://feed.example/x", headers={"content-type": "application/rss+xml"}
    )
    assert parsed.entries and "Hello" in parsed.entries[0].title
    assert server.hits["/dtd"] == 0 and server.hits["/entity"] == 0


# ----------------------------------------------------------------------------------------------------
# The fetcher's overall deadline covers the whole exchange, not only the body.
# A feed server that drips its status line and headers one byte at a time (each byte inside the read
# timeout) used to hold a poller thread - and with it the whole news tick, which waits for every feed - for
# as long as it liked: httpx's timeouts are per read, and the deadline was only checked between body chunks.


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


def test_an_allowed_host_port_entry_lets_that_port_only_even_through_a_redirect(server: FeedServer) -> None:
    """NEWS_ALLOWED_HOSTS `127.0.0.1:PORT` lets the feed server through, not the host's other services: a
    redirect to 127.0.0.1:5432 (PostgreSQL) is refused."""
    port = int(server.url("/").split(":")[2].split("/")[0])
    only_feeds = frozenset({f"127.0.0.1:{port}"})
    with make_client(only_feeds) as c:
        assert fetch_feed(c, server.url("/redirect/1"), allowed_hosts=only_feeds).status == 200
        with pytest.raises(UrlRefused, match="127.0.0.1:5432"):
            fetch_feed(c, server.url("/redirect-to?url=http://127.0.0.1:5432/"), allowed_hosts=only_feeds)
