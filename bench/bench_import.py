"""Benchmark: import 100,000 generated account rows (parse + validate + bulk upsert in one transaction), then
accounts files of tens to hundreds of MB in bounded memory.

Prints one JSON line per figure. Baseline (same process, same file): reading the file with plain
csv.DictReader, i.e. the cost of the CSV itself; the ratio says how much validation and writing add.
SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (a throwaway database is created and dropped).

Large files (MB, default 50; BENCH_IMPORT_MB or the second argument; 0 skips them; docs/benchmarks.md has the
200 MB figures), each imported by `import_file` as `accountbot import accounts FILE` does, in a child process
whose peak RSS a small spawner reads (os.wait4), against the goal of under 300 MB for any file size:
  refused_bad_last_row  well-formed rows and one bad row at the end: refused, the error names the last line
  refused_open_quote    an unclosed quote on line 3: refused at once (the quote swallows at most 131,072 characters)
  imported              the same rows without the bad one, into a fresh SQLite database (and PostgreSQL when
                        BENCH_IMPORT_LARGE_PG=1): the peak after the rows are written (written_peak_mb), after the
                        stored rollups (rollups_peak_mb), and in all, with the stored grades of every account of
                        the workspace (classified 5,000 accounts at a time against a revenue ranking of
                        8 bytes a client)

    .venv/bin/python bench/bench_import.py [ROWS [MB]]
    BENCH_IMPORT_MB=200 .venv/bin/python bench/bench_import.py    # the 200 MB files of docs/benchmarks.md
"""

from __future__ import annotations

import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scratch_db import postgres_database  # bench/, beside this script

from accountbot.sample_data.generate import write_synthetic_accounts
from storage.db import ensure_schema, make_engine, session_factory
from storage.importing.csv_formats import read_file
from storage.importing.writers import import_accounts

TARGET_SECONDS = 60.0
PEAK_TARGET_MB = 300.0
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
BYTES_PER_ROW = 137  # synthetic_accounts, on average (money without quotes)
MONEY = re.compile(rb'"\$([0-9,]+)"')


def emit(**figure: object) -> None:
    print(json.dumps(figure), flush=True)


def baseline_parse(path: Path) -> float:
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as fh:
        for _row in csv.DictReader(fh):
            pass
    return time.perf_counter() - started


def import_once(url: str, path: Path, team: str) -> tuple[float, int, int]:
    """Seconds for read_file + import_accounts in one transaction, with (created, unchanged)."""
    engine = make_engine(url)
    try:
        ensure_schema(engine)
        sessions = session_factory(engine)
        started = time.perf_counter()
        rows = read_file("accounts", path)
        with sessions.begin() as session:
            result = import_accounts(session, team, rows, NOW)
        return time.perf_counter() - started, result.created, result.unchanged
    finally:
        engine.dispose()


def run(rows: int) -> None:
    label = f"{rows // 1000}k" if rows % 1000 == 0 else str(rows)
    with tempfile.TemporaryDirectory(prefix="accountbot-bench-") as tmp:
        path = write_synthetic_accounts(Path(tmp) / "accounts.csv", rows)
        baseline = baseline_parse(path)
        emit(name=f"csv_dictreader_{label}_accounts", value=round(baseline, 3), unit="s")
        targets = [("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}")]
        with postgres_database() as pg:
            if pg:
                targets.append(("postgresql", pg))
            for backend, url in targets:
                seconds, created, _ = import_once(url, path, "TBENCH")
                assert created == rows, f"{backend}: created {created} of {rows}"
                emit(
                    name=f"import_{label}_accounts_{backend}", value=round(seconds, 3), unit="s",
                    baseline=round(baseline, 3), ratio=round(seconds / baseline, 1), target=TARGET_SECONDS,
                )  # fmt: skip
                again, created, unchanged = import_once(url, path, "TBENCH")
                assert (created, unchanged) == (0, rows), f"{backend}: second import was not a no-op"
                emit(
                    name=f"reimport_{label}_accounts_{backend}_unchanged", value=round(again, 3), unit="s",
                    baseline=round(baseline, 3), ratio=round(again / baseline, 1), target=TARGET_SECONDS,
                )  # fmt: skip
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    emit(name=f"import_{label}_accounts_peak_rss", value=round(peak_mb, 1), unit="MB")


# ------------------------------------------------------------------------------------------- large files


def write_large_files(folder: Path, mb: float) -> tuple[dict[str, Path], int]:
    """The three files of about `mb` MB (their rows are the same but for the bad one) and the well-formed rows."""
    rows = max(10, int(mb * 1e6 / BYTES_PER_ROW))
    quoted = write_synthetic_accounts(folder / "quoted.csv", rows)
    good = folder / "imported.csv"
    with quoted.open("rb") as src, good.open("wb") as out:  # "$1,200" -> $1200: no quote in the file
        for line in src:
            out.write(MONEY.sub(lambda m: b"$" + m.group(1).replace(b",", b""), line))
    quoted.unlink()
    bad = folder / "refused_bad_last_row.csv"
    quote = folder / "refused_open_quote.csv"
    with good.open("rb") as src, bad.open("wb") as out:
        while chunk := src.read(1 << 20):
            out.write(chunk)
        out.write(b"Last Row Co,U0OWNER1,client,,150%,,,,,,,,,,,\n")  # line rows + 2: a wallet share over 100
    with good.open("rb") as src, quote.open("wb") as out:
        out.write(src.readline() + src.readline())  # the header and line 2
        out.write(
            b'Open Quote Co,U0OWNER1,client,"1,000\n'
        )  # line 3: the quote is never closed (no other quote)
        while chunk := src.read(1 << 20):
            out.write(chunk)
    return {"refused_bad_last_row": bad, "refused_open_quote": quote, "imported": good}, rows


CHILD = """
import json, resource, sys, time
from pathlib import Path
from accounts.thresholds import DEFAULT_THRESHOLDS
from sqlalchemy import func, select
from storage.db import ensure_schema, make_engine, session_factory
from storage.importing.csv_formats import BadFile, read_file
from storage.importing.files import import_file
from storage.importing.rows import ImportRejected
from storage.importing.writers import import_accounts
from storage.models import Account
from storage.stored.grades import ensure_classified
from storage.stored.rollups import ensure_rollups

case, path, url, now = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
from datetime import datetime
now = datetime.fromisoformat(now)
engine = make_engine(url)
ensure_schema(engine)
sessions = session_factory(engine)
out = {}
started = time.perf_counter()
try:
    with sessions.begin() as session:
        if case == "imported":  # import_file's steps, with the peak read after the rows are written
            result = import_accounts(session, "TBENCH", read_file("accounts", path), now)
            out["written_s"] = time.perf_counter() - started
            out["written_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            ensure_rollups(session, "TBENCH", now, DEFAULT_THRESHOLDS)
            out["rollups_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            ensure_classified(session, "TBENCH", DEFAULT_THRESHOLDS)
        else:
            result = import_file(session, "TBENCH", "accounts", path, now, DEFAULT_THRESHOLDS)
        out.update(outcome="imported", created=result.created)
except ImportRejected as exc:
    out.update(outcome="refused", errors=exc.total, first=str(exc.errors[0]))
except BadFile as exc:
    out.update(outcome="refused", message=str(exc))
out["seconds"] = time.perf_counter() - started
with sessions() as session:
    out["accounts_stored"] = session.scalar(select(func.count()).select_from(Account))
engine.dispose()
print(json.dumps(out))
"""


# Linux carries a process's peak RSS over fork and exec: a child started by this (large) process would report
# at least this process's peak. A small spawner starts it instead and reads its peak (os.wait4).
SPAWNER = """
import json, os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:])
_pid, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "peak_mb": usage.ru_maxrss / 1024}), file=sys.stderr)
"""


def child(case: str, path: Path, url: str) -> tuple[dict[str, Any], float]:
    """What one import did, run in a fresh process, and that process's peak RSS in MB."""
    command = [sys.executable, "-c", CHILD, case, str(path), url, NOW.isoformat()]
    done = subprocess.run([sys.executable, "-c", SPAWNER, *command], capture_output=True, text=True)
    status = json.loads(done.stderr.strip().splitlines()[-1])
    if done.returncode or status["code"]:
        raise SystemExit(f"{case} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout), float(status["peak_mb"])


def run_large(mb: float) -> None:
    with tempfile.TemporaryDirectory(prefix="accountbot-bench-") as tmp:
        folder = Path(tmp)
        files, rows = write_large_files(folder, mb)
        size = f"{round(files['imported'].stat().st_size / 1e6)}mb"
        baseline = baseline_parse(files["imported"])
        emit(name=f"csv_dictreader_{size}_accounts", value=round(baseline, 3), unit="s", rows=rows)
        with postgres_database() as pg:
            for case, path in files.items():
                targets = [("sqlite", f"sqlite:///{folder / (case + '.db')}")]  # a fresh database each
                if pg and case == "imported" and os.environ.get("BENCH_IMPORT_LARGE_PG") == "1":
                    targets.append(("postgresql", pg))
                for backend, url in targets:
                    out, peak = child(case, path, url)
                    seconds = float(out["seconds"])
                    figure: dict[str, Any] = dict(
                        name=f"import_{size}_accounts_{case}" + (f"_{backend}" if case == "imported" else ""),
                        value=round(peak, 1), unit="MB", target=PEAK_TARGET_MB, seconds=round(seconds, 1),
                        baseline=round(baseline, 2), ratio=round(seconds / baseline, 1),
                    )  # fmt: skip
                    if case == "imported":
                        assert out["outcome"] == "imported" and out["created"] == rows, out
                        figure.update(
                            written_peak_mb=round(float(out["written_peak_mb"]), 1),
                            written_seconds=round(float(out["written_s"]), 1),
                            rollups_peak_mb=round(float(out["rollups_peak_mb"]), 1),
                        )
                    else:
                        assert out["outcome"] == "refused" and out["accounts_stored"] == 0, out
                        figure["error"] = out.get("first") or out.get("message")
                        if case == "refused_bad_last_row":
                            assert str(figure["error"]).startswith(f"line {rows + 2}, "), figure
                    emit(**figure)


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    large_mb = float(sys.argv[2]) if len(sys.argv) > 2 else float(os.environ.get("BENCH_IMPORT_MB", "50"))
    if large_mb > 0:
        run_large(large_mb)
