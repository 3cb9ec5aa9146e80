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


class FakeSocketMode:
    def __init__(self, app_id: str = "A0ACCOUNTBOT") -> None:
        self.app_id = app_id
        self.received: list[dict[str, Any]] = []  # JSON messages from the bot (acks)
        self.connections = 0
        self._sock: socket.socket | None = None
        self._client: socket.socket | None = None
        self._send_lock = threading.Lock()
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
        for s in (self._client, self._sock):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        assert self._sock is not None
        return f"ws://127.0.0.1:{self._sock.getsockname()[1]}/link/?ticket=fake-ticket"

    # ------------------------------------------------------------ driving

    def wait_connected(self, timeout: float = 10.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._client is not None, timeout):
                raise AssertionError(f"the bot did not open a Socket Mode connection within {timeout}s")

    def send_envelope(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = True
    ) -> str:
        """Send one envelope ("slash_commands", "interactive", "events_api"); returns its envelope_id."""
        envelope_id = f"env-{next(self._ids)}"
        message = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self._send(OP_TEXT, json.dumps(message).encode("utf-8"))
        return envelope_id

    def send_slash_command(self, form: dict[str, str]) -> str:
        return self.send_envelope("slash_commands", dict(form))

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

    # ------------------------------------------------------------ server side

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
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
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            accept = base64.b64encode(
                hashlib.sha1((headers["sec-websocket-key"] + _GUID).encode()).digest()
            ).decode()
            conn.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            with self._cond:
                self._client = conn
                self.connections += 1
                self._cond.notify_all()
            hello = {
                "type": "hello",
                "num_connections": 1,
                "connection_info": {"app_id": self.app_id},
                "debug_info": {"host": "fake", "approximate_connection_time": 3600},
            }
            self._send(OP_TEXT, json.dumps(hello).encode())
            while not self._closed:
                frame = _read_frame(reader)
                if frame is None:
                    return
                opcode, data = frame
                if opcode == OP_PING:
                    self._send(OP_PONG, data)
                elif opcode == OP_CLOSE:
                    self._send(OP_CLOSE, data[:2])
                    return
                elif opcode == OP_TEXT:
                    with self._cond:
                        self.received.append(json.loads(data.decode("utf-8")))
                        self._cond.notify_all()
        except (OSError, ValueError):
            return
        finally:
            with self._cond:
                if self._client is conn:
                    self._client = None
            conn.close()

    def _send(self, opcode: int, data: bytes) -> None:
        """A server frame (unmasked)."""
        deadline = time.monotonic() + 5
        while self._client is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._client is None:
            raise AssertionError("no Socket Mode connection to send on")
        header = bytes([0x80 | opcode])
        n = len(data)
        if n < 126:
            header += bytes([n])
        elif n < 1 << 16:
            header += bytes([126]) + struct.pack("!H", n)
        else:
            header += bytes([127]) + struct.pack("!Q", n)
        with self._send_lock:
            self._client.sendall(header + data)


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
