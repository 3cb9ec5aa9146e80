"""Benchmark: import 100,000 generated account rows (parse + validate + bulk upsert in one transaction).

Prints one JSON line per figure. Baseline (same process, same file): reading the file with plain
csv.DictReader, i.e. the cost of the CSV itself; the ratio says how much validation and writing add.
SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (a throwaway database is created and dropped).

    .venv/bin/python bench/bench_import.py [ROWS]
"""

from __future__ import annotations

import csv
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from scratch_db import postgres_database  # bench/, beside this script

from accountbot.sample_data.generate import write_synthetic_accounts
from storage.db import ensure_schema, make_engine, session_factory
from storage.importing.csv_formats import read_file
from storage.importing.writers import import_accounts

TARGET_SECONDS = 60.0
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


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


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
