"""Production HTTP serving: Bolt's WSGI adapter behind waitress. POST /slack/events (commands,
interactivity and events; Bolt verifies the signature), GET /healthz and /readyz (bot.health), GET /metrics
(bot.metrics), 404 otherwise;
bodies above MAX_BODY_BYTES get 413 (docs/slack-setup.md#accountbot-run-reference).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import WSGITask

from bot.context import BotContext
from bot.deferred import HeldTasks, hold_submissions
from bot.health import Health
from bot.installations import INSTALL_PATH, REDIRECT_PATH
from bot.metrics import Scrape

log = logging.getLogger("accountbot.http")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
HEALTH_PATHS = (HEALTH_PATH, READY_PATH)
OAUTH_PATHS = (INSTALL_PATH, REDIRECT_PATH)
MAX_BODY_BYTES = 1024 * 1024  # Slack's largest payloads (view submissions) stay far below this
HTTP_THREADS = 8
HELD_KEY = "accountbot.held_tasks"
RELEASE_IN_FINISH = "accountbot.release_in_finish"

StartResponse = Callable[..., Any]


WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _reply(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _metrics_answer(scrape: Scrape, start_response: StartResponse) -> list[bytes]:
    data, content_type = scrape.render()
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


def _health_answer(health: Health, path: str, start_response: StartResponse) -> list[bytes]:
    if path == HEALTH_PATH:
        return _reply(start_response, "200 OK", health.liveness())
    ready, report = health.readiness()
    return _reply(start_response, "200 OK" if ready else "503 Service Unavailable", report)


def make_wsgi_app(app: App, ctx: BotContext, health: Health | None = None) -> WSGIApp:
    """The WSGI application: routes /slack/events to Bolt and serves /healthz and /readyz (bot.health)."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    health = health or Health(ctx.sessions, mode="http")
    scrape = Scrape(health.sessions, health.clock)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH:
            if method != "POST":
                return _reply(start_response, "405 Method Not Allowed", {"ok": False, "error": "POST only"})
            held = hold_submissions()
            environ[HELD_KEY] = held

            def acked(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
                if status.startswith("200"):  # a signed request answered (readiness shows when)
                    health.last_request_at = time.time()
                return start_response(status, headers, *exc_info)

            try:
                return _ReleaseOnClose(bolt(environ, acked), held, environ)
            except Exception as exc:
                # Bolt parses the body before it checks the signature: a body that is not the form or JSON
                # Slack sends (anyone can post one) must get a 400, not a 500 and a traceback in the logs.
                held.release()
                log.warning("bad_request path=%s error=%s", path, type(exc).__name__)
                return _reply(
                    start_response,
                    "400 Bad Request",
                    {"ok": False, "error": "malformed request: expected a Slack form or JSON body"},
                )
            except BaseException:
                held.release()
                raise
        if path in HEALTH_PATHS and method in ("GET", "HEAD"):
            return _health_answer(health, path, start_response)
        if path == METRICS_PATH and method in ("GET", "HEAD"):
            return _metrics_answer(scrape, start_response)
        if path in OAUTH_PATHS and method == "GET" and app.oauth_flow is not None:
            return list(bolt(environ, start_response))  # the install page, and Slack's redirect back
        return _reply(start_response, "404 Not Found", {"ok": False, "error": "not found"})

    return wsgi


def health_wsgi_app(health: Health) -> WSGIApp:
    """Socket Mode's `--health-port`: /healthz, /readyz and /metrics only."""
    scrape = Scrape(health.sessions, health.clock)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in HEALTH_PATHS and environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD"):
            return _health_answer(health, path, start_response)
        if path == METRICS_PATH and environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD"):
            return _metrics_answer(scrape, start_response)
        return _reply(start_response, "404 Not Found", {"ok": False, "error": "not found"})

    return wsgi


class _ReleaseOnClose:
    """The response body. Under waitress the held follow-ups start in `_AckFirstTask.finish()`, once the
    response is on the wire (an empty ack's headers are only written after close()); under any other WSGI
    server they start at close()."""

    def __init__(self, body: Iterable[bytes], held: HeldTasks, environ: dict[str, Any]) -> None:
        self.body = list(body)  # Bolt answers with one small chunk
        self.held = held
        self.environ = environ

    def __len__(self) -> int:  # lets waitress send Content-Length instead of a chunked body
        return len(self.body)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        if not self.environ.get(RELEASE_IN_FINISH):
            self.held.release()


class _AckFirstTask(WSGITask):
    """waitress's task, releasing the request's held follow-up work after the response is written."""

    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        environ[RELEASE_IN_FINISH] = True
        return environ

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            held = (getattr(self, "environ", None) or {}).get(HELD_KEY)
            if held is not None:
                held.release()


class _AckFirstChannel(HTTPChannel):
    task_class = _AckFirstTask


class HttpServer:
    """A waitress server around the bot. Port 0 picks a free port (see `.port`)."""

    def __init__(
        self,
        wsgi_app: WSGIApp,
        host: str = "127.0.0.1",
        port: int = 3000,
        threads: int = HTTP_THREADS,
    ):
        self._server: Any = create_server(
            wsgi_app,
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=MAX_BODY_BYTES,
            ident="accountbot",
            expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
        )
        self._server.channel_class = _AckFirstChannel
        self.host = host
        self._thread: threading.Thread | None = None
        self._closed = False
        self._running = False
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:3000 (no trailing slash)."""
        host = self._server.effective_host
        return f"http://{host}:{self.port}"

    @property
    def events_url(self) -> str:
        return self.url + EVENTS_PATH

    def serve_forever(self) -> None:
        """Serve on the calling thread until close()."""
        log.info("http_listening url=%s path=%s", self.url, EVENTS_PATH)
        self._running = True
        try:
            self._server.run()
        finally:
            self._running = False
            self._stopped.set()

    def start_in_thread(self) -> HttpServer:
        self._thread = threading.Thread(target=self.serve_forever, name="http-server", daemon=True)
        self._running = True  # before start(): a close() right after this must go through the loop
        self._thread.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        """Graceful stop: stop accepting, let requests being served finish (up to `timeout`) and send their
        answers, then close the connections and free the port.

        Safe from another thread or from a signal handler: sockets are closed on the server's own loop
        (woken through waitress's trigger)."""
        if self._closed:
            return
        self._closed = True
        server = self._server

        def stop_accepting() -> None:
            server.accepting = False  # the loop stops polling the listening socket; it is closed last

        def close_connections() -> None:
            for channel in list(server._map.values()):
                if channel is not server and channel is not server.trigger:
                    channel.close()
            if server.socket is not None:
                wasyncore.dispatcher.close(server)
            server.trigger.close()  # the map is empty now: the loop ends

        if not self._running or self._stopped.is_set():
            server.task_dispatcher.shutdown(timeout=timeout)
            close_connections()
            return
        self._pull(stop_accepting)
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=timeout)  # running requests finish
        if not self._pull(close_connections):
            close_connections()
        if threading.current_thread() is not self._thread:
            self._stopped.wait(timeout)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _pull(self, thunk: Callable[[], None]) -> bool:
        """Run `thunk` on the server loop; False if the loop is gone (its trigger closed)."""
        try:
            self._server.trigger.pull_trigger(thunk)
            return True
        except OSError:
            return False


def serve_http(
    app: App, ctx: BotContext, host: str = "127.0.0.1", port: int = 3000, health: Health | None = None
) -> HttpServer:
    """Bind the server (not yet serving: call `.serve_forever()` or `.start_in_thread()`)."""
    return HttpServer(make_wsgi_app(app, ctx, health), host=host, port=port)


def serve_health(health: Health, host: str = "0.0.0.0", port: int = 8080) -> HttpServer:
    """Bind Socket Mode's health server (/healthz, /readyz, /metrics); two threads are plenty for probes."""
    return HttpServer(health_wsgi_app(health), host=host, port=port, threads=2)
