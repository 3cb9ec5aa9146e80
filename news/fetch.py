"""Fetching feeds over HTTP with httpx, safely.

Every URL and redirect passes news.guard.check_url, the connection goes to the address vetted at connect
time (GuardedBackend), with conditional GET, timeouts, an overall deadline and a decoded-body cap.
See docs/news.md#safety-what-the-fetcher-will-and-will-not-do.
"""

from __future__ import annotations

import ssl
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from news.guard import UrlRefused, check_url, vet_host

MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
DEADLINE_SECONDS = 30.0
USER_AGENT = "accountbot-news/0.1 (+https://github.com/accountbot)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


class FetchError(Exception):
    """The feed could not be fetched; str(exc) is a short reason fit for `accountbot feeds`."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # the final URL after redirects
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# The overall deadline of the fetch_feed call running on this thread (httpx's sync client does its socket
# I/O on the caller's thread). httpx's timeouts are per read: a server dripping its status line and headers
# one byte at a time would otherwise hold the fetch (and the news tick waiting for it) for as long as it liked.
_deadline = threading.local()


def _within_deadline(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` shortened to what is left of this thread's fetch deadline; `error` once it has passed."""
    deadline: float | None = getattr(_deadline, "at", None)
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the overall deadline of the fetch has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read, write and TLS handshake ends by the fetch's overall deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _within_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _within_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _within_deadline(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """An httpcore network backend that connects only to addresses the SSRF guard accepts.

    The host name is resolved and vetted here, at connect time, and the socket is opened to the vetted IP;
    TLS (started later by httpcore on this stream) still uses the host name for SNI and verification.
    """

    def __init__(self, allowed_hosts: frozenset[str]) -> None:
        self.allowed_hosts = allowed_hosts
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = vet_host(host, port, self.allowed_hosts)
        last: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    timeout=_within_deadline(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
                return _DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise UrlRefused("unix sockets are not allowed for feeds")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


_SSL_CONTEXT: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = httpx.create_ssl_context()
    return _SSL_CONTEXT


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, with its connection pool built on GuardedBackend."""

    def __init__(self, allowed_hosts: frozenset[str], max_connections: int = 50) -> None:
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        super().__init__(verify=_ssl_context(), trust_env=False, limits=limits)
        # httpx has no public hook for the network backend; its transport is a thin shell around this pool.
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(allowed_hosts),
        )


def make_client(allowed_hosts: frozenset[str] = frozenset(), max_connections: int = 50) -> httpx.Client:
    """A client for feed fetching; share one across threads, close it when done."""
    return httpx.Client(
        transport=GuardedTransport(allowed_hosts, max_connections),
        follow_redirects=False,  # we follow them ourselves, re-checking every hop
        trust_env=False,
        timeout=httpx.Timeout(
            connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=READ_TIMEOUT, pool=READ_TIMEOUT
        ),
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
    )


def fetch_feed(
    client: httpx.Client,
    url: str,
    *,
    allowed_hosts: frozenset[str] = frozenset(),
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = MAX_BODY_BYTES,
    deadline_seconds: float = DEADLINE_SECONDS,
) -> FetchResult:
    """GET a feed; raises UrlRefused for a URL the guard refuses and FetchError for anything else."""
    deadline = time.monotonic() + deadline_seconds
    outer = getattr(_deadline, "at", None)
    _deadline.at = deadline
    try:
        return _fetch(client, url, allowed_hosts, etag, last_modified, max_bytes, deadline, deadline_seconds)
    finally:
        _deadline.at = outer


def _fetch(
    client: httpx.Client,
    url: str,
    allowed_hosts: frozenset[str],
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    deadline: float,
    deadline_seconds: float,
) -> FetchResult:
    conditional: dict[str, str] = {}
    if etag:
        conditional["If-None-Match"] = etag
    if last_modified:
        conditional["If-Modified-Since"] = last_modified
    current = url.strip()
    for _hop in range(MAX_REDIRECTS + 1):
        check_url(current, allowed_hosts)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"gave up after {deadline_seconds:g} s (overall deadline)")
        timeout = httpx.Timeout(
            connect=min(CONNECT_TIMEOUT, remaining),
            read=min(READ_TIMEOUT, remaining),
            write=min(READ_TIMEOUT, remaining),
            pool=min(READ_TIMEOUT, remaining),
        )
        try:
            with client.stream("GET", current, headers=conditional, timeout=timeout) as response:
                if response.status_code in (301, 302, 303, 307, 308):
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(f"HTTP {response.status_code} redirect without a Location header")
                    current = str(response.url.join(location))
                    continue
                headers = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code == 304:
                    return FetchResult(
                        url=str(response.url),
                        status=304,
                        headers=headers,
                        etag=headers.get("etag", etag),
                        last_modified=headers.get("last-modified", last_modified),
                    )
                if response.status_code != 200:
                    raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
                body = _read_capped(response, max_bytes, deadline, deadline_seconds)
                return FetchResult(
                    url=str(response.url),
                    status=200,
                    body=body,
                    headers=headers,
                    etag=headers.get("etag"),
                    last_modified=headers.get("last-modified"),
                )
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline:
                raise FetchError(f"gave up after {deadline_seconds:g} s (overall deadline)") from None
            raise FetchError(f"timed out ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}"[:300]) from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _decoder(response: httpx.Response) -> Any:
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FetchError(f"unsupported Content-Encoding {encoding!r}")


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float, deadline_seconds: float) -> bytes:
    """Read the body, decompressing ourselves so no chunk can inflate past the cap (gzip bombs)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"feed is larger than {max_bytes // 1024} KiB (Content-Length {declared})")
    decoder = _decoder(response)
    chunks: list[bytes] = []
    size = 0
    too_big = f"feed is larger than {max_bytes // 1024} KiB; stopped reading"
    for raw in response.iter_raw():
        pending = raw
        while pending:
            if decoder is None:
                out, pending = pending, b""
            else:
                try:
                    out = decoder.decompress(pending, max_bytes - size + 1)
                except zlib.error as exc:
                    raise FetchError(f"corrupt compressed body ({exc})") from None
                pending = decoder.unconsumed_tail
            size += len(out)
            if size > max_bytes:
                raise FetchError(too_big)
            chunks.append(out)
        if time.monotonic() > deadline:
            raise FetchError(f"gave up after {deadline_seconds:g} s (overall deadline)")
    return b"".join(chunks)
