"""A loopback feed server for tests and benchmarks (binds 127.0.0.1:0).

Routes:
  /feeds/NAME            a registered feed; ETag + Last-Modified, 304 on a matching conditional GET
  /gzip/NAME             the same feed, gzip-encoded
  /slow?delay=S          waits S seconds before answering
  /trickle?delay=S       sends headers, then one byte every S seconds
  /huge                  3 MiB without Content-Length (chunked)
  /huge-declared         announces 3 MiB in Content-Length
  /gzip-bomb             20 MiB of zeros, gzip-encoded (about 20 KiB on the wire)
  /redirect/N            N redirects, then /feeds/default
  /redirect-to?url=U     one redirect to U (for example a private address)
  /status/CODE           an empty response with that status
  /malformed             broken XML with one good item
  /entity-bomb           billion-laughs entity expansion
  /html                  an HTML page instead of a feed
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

LAST_MODIFIED = "Mon, 02 Mar 2026 08:00:00 GMT"

DEFAULT_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Default</title><link>http://example.com/</link>
<item><title>Globex opens a plant in Ohio</title><link>https://news.example.com/globex-ohio</link>
<guid>default-1</guid><pubDate>Mon, 02 Mar 2026 07:00:00 GMT</pubDate></item>
</channel></rss>"""

MALFORMED_FEED = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Broken</title>
<item><title>Initech wins & loses</title><link>https://news.example.com/initech</link></item>
<item><title>Unclosed <b>tag</title>
"""

ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<rss version="2.0"><channel><title>Bomb &e;</title>
<item><title>Umbrella &e; news</title><description>&e;&e;&e;&e;</description>
<link>https://news.example.com/umbrella</link></item>
</channel></rss>"""

HTML_PAGE = b"""<!DOCTYPE html><html><head><title>Welcome to our site</title></head>
<body><h1>Not a feed</h1><p>Acme Corp's home page.</p><a href="/about">About</a></body></html>"""


class FeedServer:
    """Start with `with FeedServer() as server:`; `server.url("/feeds/x")` gives an absolute URL."""

    def __init__(self) -> None:
        self.feeds: dict[str, tuple[bytes, str]] = {"default": (DEFAULT_FEED, "application/rss+xml")}
        self.hits: Counter[str] = Counter()
        self.not_modified = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add_feed(self, name: str, body: bytes | str, content_type: str = "application/rss+xml") -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self.feeds[name] = (data, content_type)
        return self.url(f"/feeds/{name}")

    # handling --------------------------------------------------------------------------------------------
    def _send(
        self, h: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if "Content-Length" not in (headers or {}):
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if body:
            h.wfile.write(body)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, parse_qs(parts.query)
        with self._lock:
            self.hits[path] += 1
        try:
            self._route(h, path, query)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        if path.startswith("/feeds/") or path.startswith("/gzip/"):
            name = path.split("/", 2)[2]
            with self._lock:
                found = self.feeds.get(name)
            if found is None:
                return self._send(h, 404, b"no such feed")
            body, ctype = found
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if h.headers.get("If-None-Match") == etag:
                with self._lock:
                    self.not_modified += 1
                return self._send(h, 304, headers={"ETag": etag, "Last-Modified": LAST_MODIFIED})
            headers = {"Content-Type": ctype, "ETag": etag, "Last-Modified": LAST_MODIFIED}
            if path.startswith("/gzip/"):
                body = gzip.compress(body)
                headers["Content-Encoding"] = "gzip"
            return self._send(h, 200, body, headers)
        if path == "/slow":
            time.sleep(float(query.get("delay", ["2"])[0]))
            return self._send(h, 200, DEFAULT_FEED, {"Content-Type": "application/rss+xml"})
        if path == "/trickle":
            delay = float(query.get("delay", ["0.5"])[0])
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", str(len(DEFAULT_FEED)))
            h.end_headers()
            for i in range(len(DEFAULT_FEED)):
                h.wfile.write(DEFAULT_FEED[i : i + 1])
                h.wfile.flush()
                time.sleep(delay)
            return None
        if path == "/huge":
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            block = b"<!-- " + b"x" * 65_000 + b" -->\n"
            for _ in range(48):  # about 3 MiB
                h.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
            h.wfile.write(b"0\r\n\r\n")
            return None
        if path == "/huge-declared":
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", str(3 * 1024 * 1024))
            h.end_headers()
            h.wfile.write(b"<rss>")  # then hang up
            h.close_connection = True
            return None
        if path == "/gzip-bomb":
            body = gzip.compress(b"\0" * (20 * 1024 * 1024))
            return self._send(
                h, 200, body, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
            )
        if path.startswith("/redirect/"):
            n = int(path.rsplit("/", 1)[1])
            target = "/feeds/default" if n <= 1 else f"/redirect/{n - 1}"
            return self._send(h, 302, headers={"Location": target})
        if path == "/redirect-to":
            return self._send(h, 302, headers={"Location": query["url"][0]})
        if path.startswith("/status/"):
            return self._send(h, int(path.rsplit("/", 1)[1]))
        if path == "/malformed":
            return self._send(h, 200, MALFORMED_FEED, {"Content-Type": "application/rss+xml"})
        if path == "/entity-bomb":
            return self._send(h, 200, ENTITY_BOMB, {"Content-Type": "application/rss+xml"})
        if path == "/html":
            return self._send(h, 200, HTML_PAGE, {"Content-Type": "text/html; charset=utf-8"})
        return self._send(h, 404, b"not found")
