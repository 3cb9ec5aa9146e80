"""A loopback Slack Socket Mode endpoint: a minimal WebSocket server (RFC 6455, text frames, ping/pong).

Attach it to the fake Web API so `apps.connections.open` hands out its ws:// URL:

    with FakeSlackApi() as api, FakeSocketMode() as sm:
        api.socket_mode = sm
        ...start the bot in Socket Mode with SLACK_API_URL=api.base_url...
        sm.wait_connected()
        envelope_id = sm.send_slash_command(command_body("help", response_url=api.response_url("1")))
        ack = sm.wait_for_ack(envelope_id)          # what the bot acknowledged ({"envelope_id", "payload"?})

It speaks only what Slack's Socket Mode needs: a `hello` after the handshake, envelopes as text frames,
acks back as text frames, pong for ping.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from typing import Any

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


class _Conn:
    def __init__(self, sock: socket.socket, number: int) -> None:
        self.sock, self.number = sock, number
        self.alive = True
        self.deaf = threading.Event()  # half-open: stops reading, answers nothing
        self.send_lock = threading.Lock()


class FakeSocketMode:
    def __init__(self, app_id: str = "A0ACCOUNTBOT") -> None:
        self.app_id = app_id
        self.received: list[dict[str, Any]] = []  # JSON messages from the bot (acks)
        self.connections = 0  # connections opened so far
        self.sent_at: dict[str, float] = {}  # envelope id -> monotonic time it was sent
        self.acked: dict[
            str, tuple[float, int]
        ] = {}  # envelope id -> (monotonic time of its ack, connection)
        self._sock: socket.socket | None = None
        self._conns: list[_Conn] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._closed = False

    # ------------------------------------------------------------ lifecycle

    def start(self) -> FakeSocketMode:
        self._sock = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept_loop, name="fake-socket-mode", daemon=True).start()
        return self

    def close(self) -> None:
        self._closed = True
        for conn in list(self._conns):
            _close(conn.sock)
        if self._sock is not None:
            _close(self._sock)

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        assert self._sock is not None
        return f"ws://127.0.0.1:{self._sock.getsockname()[1]}/link/?ticket=fake-ticket"

    # ------------------------------------------------------------ driving

    def wait_connected(self, timeout: float = 10.0, *, count: int = 1) -> None:
        """Until the bot has opened `count` connections in all and one is open."""
        with self._cond:
            if not self._cond.wait_for(
                lambda: self.connections >= count and self._live() is not None, timeout
            ):
                raise AssertionError(
                    f"the bot did not open Socket Mode connection #{count} within {timeout}s "
                    f"(opened {self.connections})"
                )

    def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = True,
        on: int | None = None,
    ) -> str:
        """Send one envelope ("slash_commands", "interactive", "events_api") on the newest open connection, or on
        connection number `on` while it is still open; returns its envelope_id."""
        envelope_id = f"env-{next(self._ids)}"
        message = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self.sent_at[envelope_id] = time.monotonic()
        self._send(
            self._wait_live() if on is None else self._numbered(on),
            OP_TEXT,
            json.dumps(message).encode("utf-8"),
        )
        return envelope_id

    def send_slash_command(self, form: dict[str, str], *, on: int | None = None) -> str:
        return self.send_envelope("slash_commands", dict(form), on=on)

    def send_interactive(self, payload: dict[str, Any]) -> str:
        return self.send_envelope("interactive", payload)

    def send_event(self, event_callback: dict[str, Any]) -> str:
        return self.send_envelope("events_api", event_callback, accepts_response_payload=False)

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((m for m in self.received if m.get("envelope_id") == envelope_id), None)

        with self._cond:
            if not self._cond.wait_for(lambda: found() is not None, timeout):
                raise AssertionError(f"no ack for {envelope_id} within {timeout}s; got {self.received}")
            result = found()
        assert result is not None
        return result

    def ack_latency(self, envelope_id: str) -> float:
        """Seconds from sending the envelope to receiving its ack."""
        return self.acked[envelope_id][0] - self.sent_at[envelope_id]

    def refresh(self, close_after: float = 1.0) -> int:
        """What Slack does routinely: `disconnect` (reason refresh_requested) on the newest connection, which it
        closes `close_after` seconds later. Returns that connection's number."""
        conn = self._wait_live()
        message = {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "fake"}}
        self._send(conn, OP_TEXT, json.dumps(message).encode())

        def close_it() -> None:
            with contextlib.suppress(OSError):
                self._send(conn, OP_CLOSE, struct.pack("!H", 1000))
            self._drop(conn)

        timer = threading.Timer(close_after, close_it)
        timer.daemon = True
        timer.start()
        return conn.number

    def reset(self) -> int:
        """Reset the newest connection's TCP connection (RST, no close frame)."""
        conn = self._wait_live()
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._drop(conn, reset=True)
        return conn.number

    def half_open(self) -> int:
        """The newest connection goes half-open: the socket stays up but what the bot sends is lost and nothing is
        answered (no pong, no ack is seen), as when a NAT or proxy drops the flow."""
        conn = self._wait_live()
        conn.deaf.set()
        with self._cond:
            conn.alive = False  # nothing more is sent on it either
            self._cond.notify_all()
        return conn.number

    # ------------------------------------------------------------ server side

    def _live(self) -> _Conn | None:
        return next((c for c in reversed(self._conns) if c.alive), None)

    def _numbered(self, number: int) -> _Conn:
        with self._cond:
            conn = next((c for c in self._conns if c.number == number), None)
        if conn is None or not conn.alive:
            raise AssertionError(f"Socket Mode connection #{number} is not open")
        return conn

    def _wait_live(self, timeout: float = 5.0) -> _Conn:
        with self._cond:
            if not self._cond.wait_for(lambda: self._live() is not None, timeout):
                raise AssertionError("no Socket Mode connection to send on")
            conn = self._live()
        assert conn is not None
        return conn

    def _drop(self, conn: _Conn, *, reset: bool = False) -> None:
        """Wake the connection's reader, which closes it: with a FIN, or with a RST when `reset` (SO_LINGER 0)."""
        with self._cond:
            conn.alive = False
            self._cond.notify_all()
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_RD if reset else socket.SHUT_RDWR)

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._closed:
            try:
                sock, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        reader = sock.makefile("rb")
        conn: _Conn | None = None
        try:
            request_line = reader.readline()
            headers: dict[str, str] = {}
            while True:
                line = reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                key, _, value = line.decode("latin-1").partition(":")
                headers[key.strip().lower()] = value.strip()
            if not request_line.startswith(b"GET ") or headers.get("upgrade", "").lower() != "websocket":
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            accept = base64.b64encode(
                hashlib.sha1((headers["sec-websocket-key"] + _GUID).encode()).digest()
            ).decode()
            sock.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            with self._cond:
                self.connections += 1
                conn = _Conn(sock, self.connections)
                self._conns.append(conn)
            hello = {
                "type": "hello",
                "num_connections": len([c for c in self._conns if c.alive]),
                "connection_info": {"app_id": self.app_id},
                "debug_info": {"host": "fake", "approximate_connection_time": 3600},
            }
            self._send(conn, OP_TEXT, json.dumps(hello).encode())
            with self._cond:
                self._cond.notify_all()
            while not self._closed:
                frame = _read_frame(reader)
                if frame is None:
                    return
                if conn.deaf.is_set():
                    continue  # half-open: what arrives is lost, nothing is answered
                opcode, data = frame
                if opcode == OP_PING:
                    self._send(conn, OP_PONG, data)
                elif opcode == OP_CLOSE:
                    with contextlib.suppress(OSError):
                        self._send(conn, OP_CLOSE, data[:2])
                    return
                elif opcode == OP_TEXT:
                    message = json.loads(data.decode("utf-8"))
                    with self._cond:
                        self.received.append(message)
                        if "envelope_id" in message:
                            self.acked.setdefault(message["envelope_id"], (time.monotonic(), conn.number))
                        self._cond.notify_all()
        except (OSError, ValueError):
            return
        finally:
            if conn is not None:
                with self._cond:
                    conn.alive = False
                    self._cond.notify_all()
            reader.close()  # the socket's file must go too, or close() leaves the descriptor open
            _close(sock)

    def _send(self, conn: _Conn, opcode: int, data: bytes) -> None:
        """A server frame (unmasked)."""
        header = bytes([0x80 | opcode])
        n = len(data)
        if n < 126:
            header += bytes([n])
        elif n < 1 << 16:
            header += bytes([126]) + struct.pack("!H", n)
        else:
            header += bytes([127]) + struct.pack("!Q", n)
        with conn.send_lock:
            conn.sock.sendall(header + data)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


def _read_frame(reader: Any) -> tuple[int, bytes] | None:
    """One client frame (masked, as RFC 6455 requires), continuation frames joined."""
    chunks: list[bytes] = []
    first_opcode: int | None = None
    while True:
        head = reader.read(2)
        if len(head) < 2:
            return None
        fin, opcode = head[0] & 0x80, head[0] & 0x0F
        masked, n = head[1] & 0x80, head[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", reader.read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", reader.read(8))[0]
        mask = reader.read(4) if masked else b"\0\0\0\0"
        payload = bytearray(reader.read(n))
        for i in range(len(payload)):
            payload[i] ^= mask[i % 4]
        if opcode in (OP_PING, OP_PONG, OP_CLOSE):
            return opcode, bytes(payload)
        if first_opcode is None:
            first_opcode = opcode
        chunks.append(bytes(payload))
        if fin:
            return first_opcode, b"".join(chunks)
