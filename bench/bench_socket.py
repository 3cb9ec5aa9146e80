"""Socket Mode under Slack's routine refreshes, against a loopback websocket (tests.fakes.slack_socket).

1. Ack latency of slash-command envelopes, p50 and p99: first steady (the baseline, same process, same app),
   then during a refresh storm (a `disconnect` / refresh_requested every 0.25 s, each old connection closed
   by the fake 3 s later, as Slack does). Target: p99 under 500 ms in the storm (Slack allows 3 s).
2. How long a half-open socket (no frame, no pong) goes unnoticed before the bot is on a new connection.
   Target: under 15 s.

Prints one JSON line per figure. Usage: python bench/bench_socket.py [--envelopes 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

APP_TOKEN = "xapp-1-A0BENCH-1-benchtoken"
BOT_TOKEN = "xoxb-bench-0000-token"
STORM_P99_TARGET_MS = 500.0
DEAD_TARGET_S = 15.0


def emit(name: str, value: float, unit: str, **extra: Any) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, **extra}), flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--envelopes", type=int, default=200)
    args = parser.parse_args()

    from bot.app import create_app, drain
    from bot.context import BotContext
    from bot.settings import load_settings
    from bot.socket_mode import socket_mode_handler
    from storage.db import ensure_schema, make_engine, session_factory
    from tests.fakes.slack_api import FakeSlackApi
    from tests.fakes.slack_signing import command_body
    from tests.fakes.slack_socket import FakeSocketMode

    def listeners(app: Any, ctx: Any) -> None:
        def ack_command(ack: Any, command: dict[str, Any]) -> None:
            ack(text="ok")

        app.command("/account")(ack_command)

    with tempfile.TemporaryDirectory(prefix="accountbot-bench-socket-") as tmp, FakeSlackApi() as api:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        ensure_schema(engine)
        settings = load_settings(_env_file=None, database_url=url, slack_api_url=api.base_url,
                                 slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN)  # fmt: skip
        app = create_app(BotContext(settings=settings, sessions=session_factory(engine)), register=listeners,
                         socket_mode=True)  # fmt: skip
        with FakeSocketMode() as sm:
            api.socket_mode = sm
            handler = socket_mode_handler(app, APP_TOKEN)
            handler.connect()
            sm.wait_connected()

            def round_of(n: int, storm: threading.Event | None = None) -> list[float]:
                sent = []
                for _ in range(n):
                    sent.append(
                        sm.send_slash_command(command_body("help", response_url=api.response_url("b")))
                    )
                    time.sleep(0.02)
                if storm is not None:
                    storm.set()
                for envelope in sent:
                    sm.wait_for_ack(envelope, timeout=10)
                return [sm.ack_latency(e) * 1000 for e in sent]

            steady = round_of(args.envelopes)
            stop = threading.Event()
            refreshes = 0

            def storm() -> None:
                nonlocal refreshes
                while not stop.is_set():
                    sm.refresh(close_after=3.0)
                    refreshes += 1
                    stop.wait(0.25)

            stormer = threading.Thread(target=storm, daemon=True)
            stormer.start()
            stormy = round_of(args.envelopes, stop)
            stormer.join()
            base_p50, base_p99 = percentile(steady, 0.5), percentile(steady, 0.99)
            p50, p99 = percentile(stormy, 0.5), percentile(stormy, 0.99)
            emit("socket_ack_p50_steady", base_p50, "ms", n=len(steady))
            emit("socket_ack_p99_steady", base_p99, "ms", n=len(steady))
            emit("socket_ack_p50_refresh_storm", p50, "ms", baseline=round(base_p50, 3),
                 ratio=round(p50 / base_p50, 2), refreshes=refreshes)  # fmt: skip
            emit("socket_ack_p99_refresh_storm", p99, "ms", baseline=round(base_p99, 3),
                 ratio=round(p99 / base_p99, 2), target=STORM_P99_TARGET_MS, max=round(max(stormy), 3),
                 mean=round(statistics.mean(stormy), 3))  # fmt: skip

            time.sleep(3.5)  # the storm's old connections are closed
            opened = sm.connections
            sm.half_open()
            started = time.monotonic()
            sm.wait_connected(count=opened + 1, timeout=30)
            emit("socket_half_open_noticed", time.monotonic() - started, "s", target=DEAD_TARGET_S)
            handler.close()
        drain(app)
        engine.dispose()


if __name__ == "__main__":
    main()
