"""Ack latency of `/account grade NAME` over HTTP with 10,000 accounts, against a bare Bolt app.

Both apps run side by side, each in its own process, on the same stack (create_app -> serve_http:
waitress + Bolt's WSGI adapter) and the same SQLite database of 10,000 accounts. This process sends
signed slash commands to them in turn, one at a time, and times each HTTP round trip (the ack). The bare
app's only listener acks. The real app's answers (respond()) go to a loopback fake Slack in this process.

Also measured: idle RSS of `accountbot run --http` (the real entry point, with its scheduler and outbox
relay) shortly after it reports ready.

Prints one JSON line per figure. Usage: python bench/bench_ack.py [--requests 300] [--accounts 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEAM = "T0BENCH"
USER = "U0BENCH"
SECRET = "bench-signing-secret-123"
BOT_TOKEN = "xoxb-bench-0000-token"
TARGET_RATIO = 1.5
TARGET_P99_MS = 100.0
TARGET_RSS_MB = 150.0


def emit(name: str, value: float, unit: str, **extra: Any) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, **extra}), flush=True)


# ----------------------------------------------------------------------------- data


def build_database(path: Path, n: int) -> tuple[str, list[str]]:
    from sqlalchemy import insert

    from storage.db import ensure_schema, make_engine, session_factory
    from storage.models import Account, Workspace
    from storage.reads.accounts import name_key

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    ensure_schema(engine)
    rng = random.Random(42)
    now = datetime.now(UTC)
    levels = ["high", "medium", "low"]
    words = [
        "Acme",
        "Globex",
        "Initech",
        "Umbrella",
        "Stark",
        "Wayne",
        "Hooli",
        "Vandelay",
        "Soylent",
        "Tyrell",
    ]
    names = [f"{rng.choice(words)} {rng.choice(words)} {i:05d}" for i in range(n)]
    rows = [
        {
            "team_id": TEAM,
            "name": name,
            "name_key": name_key(name),
            "owner_user_id": USER if i % 7 == 0 else f"U{i % 50:07d}",
            "stage": "prospect" if i % 10 == 0 else "client",
            "annual_revenue": float(rng.randint(10_000, 5_000_000)),
            "wallet_share": float(rng.randint(1, 90)),
            "profit_margin": float(rng.randint(-10, 60)),
            "strategic_value": rng.choice(levels),
            "pain_factor": rng.choice(levels),
            "aliases": [],
            "exclusions": [],
            "created_at": now,
            "updated_at": now,
        }
        for i, name in enumerate(names)
    ]
    sessions = session_factory(engine)
    with sessions.begin() as session:
        session.add(Workspace(team_id=TEAM, name="Bench", created_at=now))
        session.flush()
        session.execute(insert(Account), rows)
    engine.dispose()
    return url, names


# ----------------------------------------------------------------------------- server process


def serve(mode: str, db_url: str, api_url: str) -> None:
    """Child process: build the app the production way and serve it on a free port until SIGTERM."""
    import logging
    import threading

    from bot.app import create_app
    from bot.context import BotContext
    from bot.server import serve_http
    from bot.settings import load_settings
    from storage.db import make_engine, session_factory

    logging.basicConfig(level=logging.WARNING)
    settings = load_settings(
        _env_file=None,
        database_url=db_url,
        slack_api_url=api_url,
        slack_signing_secret=SECRET,
        slack_bot_token=BOT_TOKEN,
    )
    ctx = BotContext(settings=settings, sessions=session_factory(make_engine(settings.database_url)))

    def bare(app: Any, _ctx: BotContext) -> None:
        @app.command("/account")
        def account(ack: Any) -> None:
            ack()

    app = create_app(ctx, register=bare if mode == "bare" else None)
    server = serve_http(app, ctx, host="127.0.0.1", port=0)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start_in_thread()
    print(json.dumps({"port": server.port}), flush=True)
    stop.wait()
    server.close()


def start_child(
    args: list[str], env: dict[str, str] | None = None, log: Path | None = None
) -> subprocess.Popen[str]:
    """Start a server process; its stderr goes to `log` (a pipe nobody reads could fill up and block it)."""
    stderr = open(log, "w") if log is not None else subprocess.PIPE  # noqa: SIM115 - closed with the process
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)


def stop_child(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found")


# ----------------------------------------------------------------------------- measuring


def measure(
    ports: dict[str, int], names: list[str], requests: int, warmup: int, fake: Any, *, interval: float
) -> tuple[dict[str, list[float]], list[float]]:
    """Signed `/account grade NAME` requests to both apps, interleaved (bare, real, real, bare, ...), one
    every `interval` seconds. Returns ({mode: ack ms}, real answer ms).

    Interleaving gives both apps the same machine load and the same idle gaps, so the ratio is fair on a
    shared machine. Each real request's respond() post must arrive at the fake before the next request goes
    out, so every ack is timed on processes that are not still busy with an earlier answer: the figure is
    the ack path's own cost. The answer time (request sent -> card posted) is reported apart."""
    from tests.fakes.slack_signing import SignedSlackClient, command_body

    clients = {
        mode: SignedSlackClient(f"http://127.0.0.1:{port}/slack/events", SECRET)
        for mode, port in ports.items()
    }
    rng = random.Random(7)
    acks: dict[str, list[float]] = {mode: [] for mode in ports}
    answers: list[float] = []
    try:
        for i in range(warmup + requests):
            order = ("bare", "real") if i % 2 == 0 else ("real", "bare")
            name = rng.choice(names)
            for mode in order:
                key = f"{mode}-{i}"
                body = command_body(
                    f"grade {name}", team_id=TEAM, user_id=USER, response_url=fake.response_url(key)
                )
                started = time.perf_counter()
                resp = clients[mode].post_form(body)
                acked = time.perf_counter()
                if resp.status_code != 200:
                    raise RuntimeError(f"{mode} request {i} answered {resp.status_code}: {resp.text[:200]}")
                if mode == "real":
                    call = fake.wait_for(
                        "response", timeout=30, where=lambda c, k=key: c.path.endswith("/" + k)
                    )[0]
                    if name not in json.dumps(call.params):
                        raise RuntimeError(
                            f"answer {i} does not mention {name!r}: {json.dumps(call.params)[:300]}"
                        )
                    if i >= warmup:
                        answers.append((time.perf_counter() - started) * 1000)
                if i >= warmup:
                    acks[mode].append((acked - started) * 1000)
                time.sleep(max(0.0, interval - (time.perf_counter() - started)))
    finally:
        for client in clients.values():
            client.close()
    return acks, answers


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between requests (both apps)")
    parser.add_argument("--serve", choices=["real", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, args.api)
        return

    from tests.fakes.slack_api import FakeSlackApi

    with tempfile.TemporaryDirectory() as tmp, FakeSlackApi(team_id=TEAM) as fake:
        db_url, names = build_database(Path(tmp) / "bench.db", args.accounts)
        procs: dict[str, subprocess.Popen[str]] = {}
        try:
            ports: dict[str, int] = {}
            for mode in ("bare", "real"):
                log = Path(tmp) / f"{mode}.log"
                cmd = [sys.executable, __file__, "--serve", mode, "--db", db_url, "--api", fake.base_url]
                procs[mode] = start_child(cmd, log=log)
                out = procs[mode].stdout
                assert out is not None  # started with stdout=PIPE
                line = out.readline()
                if not line:
                    raise RuntimeError(f"{mode} server did not start")
                ports[mode] = json.loads(line)["port"]
            results, answers = measure(ports, names, args.requests, args.warmup, fake, interval=args.interval)
            loaded_rss = rss_mb(procs["real"].pid)
        except BaseException:
            for mode in procs:
                print(
                    f"--- {mode} server log (tail) ---\n{(Path(tmp) / f'{mode}.log').read_text()[-3000:]}",
                    file=sys.stderr,
                )
            raise
        finally:
            for proc in procs.values():
                stop_child(proc)

        bare_p50 = statistics.median(results["bare"])
        real_p50 = statistics.median(results["real"])
        real_p99 = percentile(results["real"], 99)
        emit(
            "ack_grade_p50",
            real_p50,
            "ms",
            baseline=round(bare_p50, 3),
            ratio=round(real_p50 / bare_p50, 3),
            target=TARGET_RATIO,
            accounts=args.accounts,
            requests=args.requests,
            interval_s=args.interval,
        )
        emit(
            "ack_grade_p99",
            real_p99,
            "ms",
            baseline=round(percentile(results["bare"], 99), 3),
            target=TARGET_P99_MS,
        )
        emit("ack_bare_p50", bare_p50, "ms")
        emit("grade_answer_p50", statistics.median(answers), "ms", note="request sent -> grade card posted")
        emit("grade_answer_p99", percentile(answers, 99), "ms")
        emit("rss_after_grade_load", loaded_rss, "MB", note="bench server process after all requests")

        # Idle RSS of the real entry point, `accountbot run --http`, right after it reports ready.
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env.update(
            DATABASE_URL=db_url,
            SLACK_API_URL=fake.base_url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            LOG_LEVEL="INFO",
        )
        exe = str(Path(sys.executable).with_name("accountbot"))
        proc = start_child([exe, "run", "--http", "--host", "127.0.0.1", "--port", "0"], env=env)
        try:
            deadline = time.monotonic() + 60
            ready = False
            while time.monotonic() < deadline:
                assert proc.stderr is not None  # started with stderr=PIPE
                line = proc.stderr.readline()
                if not line:
                    break
                if re.search(r"bot_ready mode=http", line):
                    ready = True
                    break
            if not ready:
                raise RuntimeError("accountbot run --http did not become ready")
            time.sleep(1.0)
            emit("idle_rss_run_http", rss_mb(proc.pid), "MB", target=TARGET_RSS_MB)
        finally:
            stop_child(proc)


if __name__ == "__main__":
    main()
