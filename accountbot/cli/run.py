"""`accountbot run`: the composition root. Config, database, Slack app, background services, transport.

Socket Mode by default (SLACK_APP_TOKEN; /healthz and /readyz on --health-port), HTTP mode with `--http`
(SLACK_SIGNING_SECRET; /slack/events, /healthz, /readyz). The bot token is checked with auth.test before
anything says ready. SIGTERM / SIGINT stop it gracefully. See docs/slack-setup.md#accountbot-run-reference.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Protocol

import typer

from accountbot.cli.common import fail, open_runtime, settings_or_exit
from bot.context import BotContext
from bot.health import Health
from bot.log_format import JsonFormatter
from bot.redaction import install_redaction, redact
from bot.settings import Settings
from storage.db import workspace_ids

log = logging.getLogger("accountbot.run")

LOG_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"


class Stoppable(Protocol):
    def stop(self) -> None: ...


def start_background_services(ctx: BotContext, health: Health | None = None) -> list[Stoppable]:
    """Start what runs beside the Slack transport and return it, to be stopped on shutdown (in reverse).

    - the outbox relay (bot.relay) with the owner directory sync: delivers the outbox to Slack; it starts
      first, and its first directory sync is done before the scheduler starts;
    - the job scheduler (jobs.scheduler): digests, weekly focus, tier watch, news polling; it writes
      nudges to the outbox.
    If one fails to start, those already started are stopped and the error propagates. `health` learns of the
    scheduler (readiness reports its last tick).
    """
    from bot.metrics import watch_scheduler
    from bot.relay import start_relay
    from jobs.scheduler import start_scheduler

    services: list[Stoppable] = []
    try:
        # The relay first: its start syncs the owner directory, so the scheduler's first tick (its catch-up)
        # knows every time zone it can know; whoever is still unresolved is not due (accounts.timing).
        if ctx.settings.oauth:  # a relay per installed workspace, each with its own token
            from bot.installations import installation_store
            from bot.relay import RelayPool

            store = installation_store(ctx.settings, ctx.sessions.kw["bind"])
            services.append(RelayPool(ctx.sessions, ctx.settings, store).start())
        else:
            services.append(start_relay(ctx.sessions, ctx.settings))
        served = served_workspaces(ctx, health)
        scheduler = start_scheduler(ctx.sessions, ctx.settings, clock=ctx.clock, served=served)
        services.append(scheduler)
        watch_scheduler(scheduler)  # job durations and lag (bot.metrics)
        if health is not None:
            health.scheduler = scheduler
    except BaseException:
        stop_services(services)
        raise
    return services


def served_workspaces(ctx: BotContext, health: Health | None) -> Callable[[], list[str]] | None:
    """The workspaces the bot has a token for, so that jobs run only where their nudges can go out: OAuth,
    the installed ones; one token, SLACK_TEAM_ID or the token's own workspace (None: not known, every one)."""
    if ctx.settings.oauth:
        from bot.installations import installation_store

        store = installation_store(ctx.settings, ctx.sessions.kw["bind"])
        return lambda: [team for _enterprise, team in store.installed()]
    team = ctx.settings.slack_team_id or (health.token.team_id if health and health.token else None)
    return (lambda: [team]) if team else None


def stop_services(services: list[Stoppable]) -> None:
    for service in reversed(services):
        try:
            service.stop()
        except Exception as exc:
            log.warning("service_stop_failed service=%s error=%s", type(service).__name__, type(exc).__name__)


def configure_logging(level: str, fmt: str = "text") -> None:
    """One event per line (key=value, or JSON: bot.log_format), tokens and secrets scrubbed (bot.redaction)."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise fail(f"LOG_LEVEL: {level!r} is not a logging level; use DEBUG, INFO, WARNING or ERROR.")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(LOG_FORMAT))
    logging.basicConfig(level=numeric, handlers=[handler], force=True)
    # slack_sdk logs whole request bodies at DEBUG; keep it at INFO unless asked for explicitly.
    if numeric > logging.DEBUG:
        logging.getLogger("slack_sdk").setLevel(logging.WARNING)
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def check_slack_settings(settings: Settings, *, http: bool) -> None:
    """A clear error naming each missing or malformed Slack setting."""
    bot = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    app = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    problems: list[str] = []
    if settings.oauth:  # many workspaces: tokens come from installs, kept encrypted
        from bot.installations import TokenCipher

        if not http:
            problems.append(
                "OAuth installs (SLACK_CLIENT_ID) need HTTP mode for Slack's redirect: run `accountbot run --http`"
            )
        keys = settings.token_encryption_keys.get_secret_value() if settings.token_encryption_keys else ""
        try:
            TokenCipher(keys)
        except ValueError as exc:
            problems.append(str(exc))
    elif not bot:
        problems.append("SLACK_BOT_TOKEN is not set (the xoxb-... token from OAuth & Permissions)")
    elif not bot.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be the bot token starting with xoxb-")
    if http:
        if not secret:
            problems.append("SLACK_SIGNING_SECRET is not set (Basic Information -> App Credentials)")
    elif not app:
        problems.append(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-..., scope "
            "connections:write, from Basic Information -> App-Level Tokens); or run `accountbot run --http`"
        )
    elif not app.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be the app-level token starting with xapp-")
    if problems:
        raise fail("cannot start the bot:\n  - " + "\n  - ".join(problems))


def _wait_for_signal() -> str:
    stop = threading.Event()
    received: list[str] = []

    def handler(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
    return received[0] if received else "?"


def run_bot(settings: Settings, *, http: bool, host: str, port: int, health_port: int = 8080) -> None:
    from bot.app import create_app, drain
    from bot.health import check_token, token_problem

    secrets = (settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret)
    install_redaction(*(s.get_secret_value() for s in secrets if s is not None))
    check_slack_settings(settings, http=http)
    rt = open_runtime(settings)
    ctx = BotContext(settings=settings, sessions=rt.sessions)
    with rt.sessions() as session:
        teams = workspace_ids(session)
    try:
        app = create_app(ctx, socket_mode=not http)
    except RuntimeError as exc:
        raise fail(f"cannot build the Slack app: {exc}") from None

    mode = "http" if http else "socket"
    log.info(
        "bot_starting mode=%s workspaces=%s api=%s", mode, ",".join(teams) or "-", settings.slack_api_url
    )
    token = None
    if not settings.oauth:  # OAuth: each workspace's token is checked when it is used (and held if refused)
        token = check_token(app.client)  # before anything says ready: a bad token stops here, with the fix
        if not token.ok:
            log.error("bot_token_check_failed error=%s", token.error)
            raise fail(f"cannot start the bot: {token_problem(token)}")
        log.info("bot_token_ok team=%s bot_user=%s", token.team_id, token.bot_user_id)
    health = Health(rt.sessions, mode=mode, token=token)
    try:
        services = start_background_services(ctx, health)
    except Exception as exc:
        log.error("services_start_failed error=%s", type(exc).__name__, exc_info=exc)
        raise fail(
            f"cannot start the background services ({type(exc).__name__}: {redact(str(exc))}). "
            "Check SLACK_BOT_TOKEN, SLACK_API_URL and DATABASE_URL."
        ) from None
    stops: list[Callable[[], object]] = []  # the transport, then the health server
    if http:
        from bot.server import serve_http

        try:
            server = serve_http(app, ctx, host=host, port=port, health=health)
        except OSError as exc:
            stop_services(services)
            raise fail(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}). Pick another --port."
            ) from None
        server.start_in_thread()
        log.info(
            "bot_ready mode=http url=%s events=%s health=%s ready=%s",
            server.url,
            server.events_url,
            server.url + "/healthz",
            server.url + "/readyz",
        )
        stops.append(server.close)
    else:
        from bot.server import serve_health
        from bot.socket_mode import socket_mode_handler

        try:
            probes = serve_health(health, host=host, port=health_port)
        except OSError as exc:
            stop_services(services)
            raise fail(
                f"cannot listen on {host}:{health_port} for health checks ({exc.strerror or exc}). "
                "Pick another --health-port."
            ) from None
        assert settings.slack_app_token is not None  # check_slack_settings refused a missing one
        handler = socket_mode_handler(app, settings.slack_app_token.get_secret_value())
        health.socket = handler.client
        try:
            handler.connect()
        except Exception as exc:
            stop_services(services)
            probes.close()
            raise fail(
                f"cannot open the Socket Mode connection ({type(exc).__name__}). Check SLACK_APP_TOKEN "
                "and that Socket Mode is enabled for the app."
            ) from None
        probes.start_in_thread()
        log.info("bot_ready mode=socket health=%s ready=%s", probes.url + "/healthz", probes.url + "/readyz")
        stops += [handler.close, probes.close]

    signame = _wait_for_signal()
    log.info("bot_stopping signal=%s", signame)
    for stop in stops:
        stop()
    drain(app, timeout=10)  # answers already being prepared still reach their users
    stop_services(services)
    rt.engine.dispose()
    log.info("bot_stopped")


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        http: bool = typer.Option(
            False, "--http", help="Serve HTTP (/slack/events, /healthz) instead of Socket Mode."
        ),
        host: str = typer.Option(
            "0.0.0.0",
            "--host",
            help="Interface to bind (HTTP mode: every route; Socket Mode: health checks).",
        ),
        port: int = typer.Option(
            3000, "--port", min=0, max=65535, help="HTTP mode: port (0 picks a free one)."
        ),
        health_port: int = typer.Option(
            8080,
            "--health-port",
            min=0,
            max=65535,
            help="Socket Mode: port of /healthz and /readyz (0 picks a free one; HTTP mode serves them on --port).",
        ),
    ) -> None:
        """Run the Slack bot (Socket Mode when SLACK_APP_TOKEN is set, or --http)."""
        settings = settings_or_exit()
        configure_logging(settings.log_level, settings.log_format)
        run_bot(settings, http=http, host=host, port=port, health_port=health_port)
