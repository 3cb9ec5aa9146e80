"""Socket Mode transport: a Socket Mode client on `websocket-client` that never stops acking, and Bolt's handler
around it with follow-up work started after the ack is sent.

Why not slack_sdk's clients: both reconnect on the one thread that hands envelopes to the app, so every routine
refresh (Slack's `disconnect` / `refresh_requested`) holds acks for seconds, and neither notices a half-open
socket. Here:

- each connection has its own reader thread; envelopes go to a worker pool and are acked on the connection
  they came in on;
- a `disconnect` opens the replacement on a thread of its own while the old connection keeps delivering; the
  old one is closed CLOSE_GRACE seconds after the new one said `hello` (or when Slack closes it);
- a monitor pings a connection that has been silent PING_AFTER seconds and gives it up after DEAD_AFTER
  seconds without any frame (a dead or half-open socket), then reconnects with backoff;
- `status()` is what readiness reports (bot.health): state, last ack, reconnects.

Like the HTTP server (bot.server), a request's lazy functions are held back (bot.deferred) until the ack has
gone out, so CPU-heavy answers do not compete with their own ack for the GIL.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import websocket
from slack_bolt import App
from slack_bolt.adapter.socket_mode.base_handler import BaseSocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk import WebClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.deferred import hold_submissions

PING_AFTER = 4.0  # seconds without a frame before the monitor pings
DEAD_AFTER = 10.0  # seconds without a frame (pings unanswered) before the connection is given up
CLOSE_GRACE = 10.0  # seconds an old connection stays open after its replacement said hello
CONNECT_TIMEOUT = 10.0
MONITOR_EVERY = 0.5
BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # between failed reconnects


def _iso(stamp: float | None) -> str | None:
    return None if stamp is None else datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


class _Connection:
    """One WebSocket: blocking reads on its own thread; sends from any thread (websocket-client locks them)."""

    def __init__(self, client: SocketModeClient, url: str, number: int) -> None:
        self.client, self.number = client, number
        self.ws = websocket.create_connection(url, timeout=CONNECT_TIMEOUT, enable_multithread=True)
        self.ws.settimeout(None)  # reads block; close() wakes them (the monitor decides liveness)
        self.last_seen = time.monotonic()
        self.last_ping = 0.0
        self.hello = threading.Event()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._read, name=f"socket-mode-{number}", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while not self.closed.is_set():
                opcode, frame = self.ws.recv_data_frame(control_frame=True)  # answers pings itself
                self.last_seen = time.monotonic()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    self.client._received(self, frame.data.decode("utf-8"))
        except (OSError, websocket.WebSocketException, ValueError) as exc:
            if not self.closed.is_set():
                self.client.logger.info("socket_lost connection=%s error=%s", self.number, type(exc).__name__)
        finally:
            self.close()
            self.client._lost(self)

    def send(self, text: str) -> None:
        self.ws.send(text)

    def ping(self) -> None:
        self.last_ping = time.monotonic()
        try:
            self.ws.ping()
        except (OSError, websocket.WebSocketException):
            self.close()

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        try:
            self.ws.send_close()
        except (OSError, websocket.WebSocketException):
            pass
        try:
            if self.ws.sock is not None:
                self.ws.sock.shutdown(socket.SHUT_RDWR)  # wakes the reader
        except OSError:
            pass
        try:
            self.ws.shutdown()
        except (OSError, websocket.WebSocketException):
            pass


class SocketModeClient(BaseSocketModeClient):
    """Socket Mode for Bolt: `connect()` opens the first connection (raises if it cannot), `close()` stops."""

    def __init__(
        self,
        app_token: str,
        web_client: WebClient,
        logger: logging.Logger | None = None,
        *,
        concurrency: int = 10,
        ping_after: float = PING_AFTER,
        dead_after: float = DEAD_AFTER,
        close_grace: float = CLOSE_GRACE,
    ) -> None:
        self.app_token = app_token
        self.web_client = web_client
        self.logger = logger or logging.getLogger("accountbot.socket")
        self.message_listeners = []
        self.socket_mode_request_listeners = []
        self.message_workers = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="socket-mode-work"
        )
        self.closed = False
        self.connect_operation_lock = threading.Lock()
        self.ping_after, self.dead_after, self.close_grace = ping_after, dead_after, close_grace
        self._lock = threading.Lock()
        self._current: _Connection | None = None
        self._conns: list[_Connection] = []  # every connection not yet closed (the current one among them)
        self._replacing = False
        self._opened = 0
        self._local = threading.local()
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self.last_ack_at: float | None = None
        self.connected_since: float | None = None
        self.reconnects = 0
        self.last_error: str | None = None

    # ------------------------------------------------------------------ BaseSocketModeClient

    def is_connected(self) -> bool:
        current = self._current
        return current is not None and not current.closed.is_set()

    def connect(self) -> None:
        """Open a connection and wait for its hello (raises on failure); start the monitor once."""
        conn = self._open()
        if not conn.hello.wait(CONNECT_TIMEOUT):
            conn.close()
            raise TimeoutError("Slack sent no hello on the new Socket Mode connection")
        if self._monitor is None:
            self._monitor = threading.Thread(target=self._watch, name="socket-mode-monitor", daemon=True)
            self._monitor.start()

    def disconnect(self) -> None:
        current = self._current
        if current is not None:
            current.close()

    def close(self) -> None:
        self.closed = True
        self._stop.set()
        with self._lock:
            conns = [self._current] if self._current else []
            self._current = None
        for conn in self._all + conns:
            conn.close()
        self.message_workers.shutdown(wait=False, cancel_futures=True)

    def send_message(self, message: str) -> None:
        """An ack goes back on the connection its envelope came in on, else on the current one."""
        own: _Connection | None = getattr(self._local, "conn", None)
        for conn in (own, self._current):
            if conn is None or conn.closed.is_set():
                continue
            try:
                conn.send(message)
            except (OSError, websocket.WebSocketException):
                conn.close()
                continue
            self.last_ack_at = time.time()
            return
        raise ConnectionError("no open Socket Mode connection to send on")

    # ------------------------------------------------------------------ readiness

    def status(self) -> dict[str, Any]:
        state = "closed" if self.closed else "connected" if self.is_connected() else "reconnecting"
        return {
            "state": state,
            "connected_since": _iso(self.connected_since),
            "last_ack_at": _iso(self.last_ack_at),
            "reconnects": self.reconnects,
            "last_error": self.last_error,
        }

    # ------------------------------------------------------------------ connections

    @property
    def _all(self) -> list[_Connection]:
        return [c for c in self._conns if not c.closed.is_set()]

    def _open(self) -> _Connection:
        url = self.issue_new_wss_url()
        with self._lock:
            self._opened += 1
            number = self._opened
        conn = _Connection(self, url, number)
        with self._lock:
            self._conns = [*self._all, conn]
        return conn

    def _received(self, conn: _Connection, raw: str) -> None:
        """On the connection's reader thread: route one message without blocking the reader."""
        try:
            message = json.loads(raw) if raw.startswith("{") else {}
        except ValueError:
            self.logger.warning("socket_bad_message connection=%s", conn.number)
            return
        kind = message.get("type")
        if kind == "hello":
            self._promote(conn)
        elif kind == "disconnect":
            self.logger.info("socket_disconnect connection=%s reason=%s", conn.number, message.get("reason"))
            self._replace(conn)
        else:
            self.message_workers.submit(self._dispatch, conn, message, raw)

    def _dispatch(self, conn: _Connection, message: dict[str, Any], raw: str) -> None:
        self._local.conn = conn
        try:
            self.run_message_listeners(message, raw)
        finally:
            self._local.conn = None

    def _promote(self, conn: _Connection) -> None:
        """A connection said hello: it becomes the current one; the one it replaces closes after a grace."""
        with self._lock:
            old, self._current = self._current, conn
            self._replacing = False
        conn.hello.set()
        self.connected_since = time.time()
        self.last_error = None
        self.logger.info("socket_connected connection=%s", conn.number)
        if old is not None and old is not conn:
            timer = threading.Timer(self.close_grace, old.close)
            timer.daemon = True
            timer.start()

    def _lost(self, conn: _Connection) -> None:
        """A connection ended (Slack closed it, reset, given up): replace it if it was the current one."""
        if conn is self._current and not self.closed:
            self._replace(conn)

    def _replace(self, conn: _Connection | None) -> None:
        """Open a replacement for the current connection `conn` (None: there is none) on a thread of its own,
        unless one is on its way."""
        with self._lock:
            if self.closed or self._replacing or conn is not self._current:
                return
            self._replacing = True
        threading.Thread(target=self._reconnect, name="socket-mode-reconnect", daemon=True).start()

    def _reconnect(self) -> None:
        attempt = 0
        while not self.closed:
            try:
                conn = self._open()
                if conn.hello.wait(CONNECT_TIMEOUT):
                    self.reconnects += 1
                    return
                conn.close()
                raise TimeoutError("no hello")
            except Exception as exc:  # any failure: log it, wait, try again; readiness shows it
                self.last_error = f"{type(exc).__name__}"
                delay = BACKOFF[min(attempt, len(BACKOFF) - 1)]
                attempt += 1
                self.logger.warning(
                    "socket_reconnect_failed attempt=%s error=%s retry_in=%ss",
                    attempt,
                    type(exc).__name__,
                    delay,
                )
                if self._stop.wait(delay):
                    return
        with self._lock:
            self._replacing = False

    def _watch(self) -> None:
        """Ping silent connections; give up on one silent for DEAD_AFTER seconds (dead or half-open)."""
        while not self._stop.wait(MONITOR_EVERY):
            now = time.monotonic()
            for conn in self._all:
                silent = now - conn.last_seen
                if silent > self.dead_after:
                    self.logger.warning("socket_dead connection=%s silent_s=%.1f", conn.number, silent)
                    conn.close()
                elif silent > self.ping_after and now - conn.last_ping > self.ping_after:
                    conn.ping()
            current = self._current
            if current is None or current.closed.is_set():
                self._replace(current)  # a reader that has not woken yet, or a failed reconnect


class AckFirstSocketModeHandler(BaseSocketModeHandler):
    """Bolt on our client; the request's deferred follow-ups start once its ack is sent."""

    def __init__(self, app: App, app_token: str, logger: logging.Logger, **client_options: Any) -> None:
        self.app = app
        self.app_token = app_token
        self.client: SocketModeClient = SocketModeClient(app_token, app.client, logger, **client_options)
        self.client.socket_mode_request_listeners.append(self.handle)

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        held = hold_submissions()
        try:
            started = time.time()
            send_response(client, req, run_bolt_app(self.app, req), started)
        finally:
            held.release()


def socket_mode_handler(app: App, app_token: str, **client_options: Any) -> AckFirstSocketModeHandler:
    """The Socket Mode handler for `app` (call `.connect()` to start, `.close()` to stop)."""
    return AckFirstSocketModeHandler(app, app_token, logging.getLogger("accountbot.socket"), **client_options)
