"""A loopback TCP proxy in front of PostgreSQL that can cut, stall or slow the connections through it.

Stdlib only (threads and sockets). Point a database URL at it with `proxy.url_for(url)`; then

    proxy.cut()                         # close every open connection, both ways; new ones still get through
    proxy.cut(refuse=True)              # ... and new ones are accepted and closed at once, until restore()
    proxy.cut_when(b"FROM accounts")    # the next client chunk holding those bytes is not forwarded: cut then
    proxy.stall()                       # connections are kept (new ones accepted) but nothing is forwarded
    proxy.slow(0.2)                     # every chunk waits 0.2 s before it is forwarded
    proxy.restore()                     # pass through again (stalled chunks go on)

`proxy.seen(b"...")` counts the client chunks holding some bytes that reached the server (psycopg sends each
statement's SQL text in clear on a fresh connection; `url_for` turns TLS off so the bytes can be read), and
`proxy.cuts` / `proxy.refused` / `proxy.accepted` count what happened. The proxy never parses the protocol: a
chunk is whatever one recv() returned.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_CHUNK = 65536
_POLL = 0.05  # how often a waiting thread looks at the proxy's state again


@dataclass(eq=False)
class _Link:
    """One client connection and its upstream connection."""

    client: socket.socket
    upstream: socket.socket
    closed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
        for sock in (self.client, self.upstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the pump blocked in recv() on it
            except OSError:
                pass
            sock.close()


class DbProxy:
    """`DbProxy(upstream=("127.0.0.1", 5432)).start()`; use as a context manager or call close()."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432), *, host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.host = host
        self.accepted = 0  # connections accepted and forwarded
        self.refused = 0  # connections accepted and closed at once while refusing
        self.cuts = 0  # cut() calls, including a cut_when() that fired
        self._links: set[_Link] = set()
        self._state = threading.Condition()
        self._refusing = False
        self._stalled = False
        self._delay = 0.0
        self._trigger: tuple[bytes, bool] | None = None  # (bytes, refuse) armed by cut_when()
        self._seen: list[bytes] = []  # client chunks forwarded upstream
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> DbProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, 0))
        listener.listen(64)
        listener.settimeout(_POLL)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, name="db-proxy", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing = True
        self.restore()
        if self._thread is not None:
            self._thread.join(5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self._close_links()

    def __enter__(self) -> DbProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        assert self._listener is not None, "DbProxy is not started"
        return int(self._listener.getsockname()[1])

    def url_for(self, url: str) -> str:
        """`url` (a postgresql URL of the upstream server) with its host and port replaced by the proxy's, TLS
        off (sslmode=disable) and a short connect timeout, so that a stalled connect fails instead of hanging."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{self.host}:{self.port}" if userinfo else f"{self.host}:{self.port}"
        query = dict(parse_qsl(parts.query))
        query["sslmode"] = "disable"
        query.setdefault("connect_timeout", "5")
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), parts.fragment))

    # ---------------------------------------------------------------- faults

    def cut(self, *, refuse: bool = False) -> int:
        """Close every open connection, both ways; returns how many. `refuse`: new connections are accepted and
        closed at once until restore()."""
        with self._state:
            self.cuts += 1
            self._refusing = self._refusing or refuse
            self._trigger = None
            self._state.notify_all()
        return self._close_links()

    def cut_when(self, marker: bytes, *, refuse: bool = False) -> None:
        """Arm a cut: the next chunk a client sends that holds `marker` is not forwarded; every connection is
        cut then (as cut(refuse=refuse)). Once only."""
        with self._state:
            self._trigger = (marker, refuse)

    def stall(self) -> None:
        """Keep every connection (and accept new ones) but forward nothing, either way, until restore()."""
        with self._state:
            self._stalled = True

    def slow(self, delay: float) -> None:
        """Forward every chunk `delay` seconds late."""
        with self._state:
            self._delay = delay

    def restore(self) -> None:
        """Pass through again: no refusing, no stall, no delay, no armed cut."""
        with self._state:
            self._refusing = self._stalled = False
            self._delay = 0.0
            self._trigger = None
            self._state.notify_all()

    # ---------------------------------------------------------------- inspection

    @property
    def open_connections(self) -> int:
        with self._state:
            return sum(1 for link in self._links if not link.closed)

    @property
    def armed(self) -> bool:
        with self._state:
            return self._trigger is not None

    def seen(self, marker: bytes) -> int:
        """How many client chunks holding `marker` were forwarded to the server."""
        with self._state:
            return sum(1 for chunk in self._seen if marker in chunk)

    # ---------------------------------------------------------------- workings

    def _close_links(self) -> int:
        with self._state:
            links = [link for link in self._links if not link.closed]
            self._links.clear()
        for link in links:
            link.close()
        return len(links)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._closing:
            try:
                client, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._state:
                refusing = self._refusing
            if refusing:
                self.refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            link = _Link(client, upstream)
            with self._state:
                self.accepted += 1
                self._links.add(link)
            for src, dst, to_server in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(
                    target=self._pump, args=(link, src, dst, to_server), name="db-proxy-pump", daemon=True
                ).start()

    def _pump(self, link: _Link, src: socket.socket, dst: socket.socket, to_server: bool) -> None:
        try:
            while not link.closed:
                data = src.recv(_CHUNK)
                if not data:
                    break
                if to_server and self._fires(data):
                    return  # every link, this one included, is closed now; `data` never reaches the server
                delay = self._wait_for_passage(link)
                if delay is None:
                    break
                if delay:
                    time.sleep(delay)
                if link.closed:
                    break
                if to_server:
                    with self._state:
                        self._seen.append(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            link.close()
            with self._state:
                self._links.discard(link)

    def _fires(self, data: bytes) -> bool:
        with self._state:
            trigger = self._trigger
            if trigger is None or trigger[0] not in data:
                return False
            self._trigger = None  # once: a chunk another connection sends meanwhile goes through
        self.cut(refuse=trigger[1])
        return True

    def _wait_for_passage(self, link: _Link) -> float | None:
        """Block while stalled; the delay to apply, or None when the link was cut meanwhile."""
        with self._state:
            while self._stalled and not link.closed and not self._closing:
                self._state.wait(_POLL)
            return None if link.closed else self._delay
