"""The guarded fetcher against a real loopback HTTP server."""

from __future__ import annotations

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
