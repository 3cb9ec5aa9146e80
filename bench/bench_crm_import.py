"""Benchmark: HubSpot-shaped exports (100k companies, 300k contacts, 1M calls at SCALE 1) imported with one
`accountbot import companies.csv contacts.csv calls.csv` command, next to accountbot's own importer on the same
rows (`accountbot import accounts|contacts|interactions`, three commands). Each importer runs in its own process
on a fresh database, so its time and peak memory (ru_maxrss) are its own. Targets: CRM time within 1.5x of the
native importer's, CRM peak under 500 MB. Then the same CRM files again: every row unchanged.

    .venv/bin/python bench/bench_crm_import.py [SCALE]     # SCALE 0.01 for a quick run
    BENCH_BACKENDS=postgresql TEST_DATABASE_URL=... .venv/bin/python bench/bench_crm_import.py   # one backend
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crm_shapes import write_exports  # bench/, beside this script
from scratch_db import postgres_database

TIME_RATIO_TARGET = 1.5
PEAK_TARGET_MB = 500.0
CHILD = (
    "import json, resource, sys\n"
    "from accountbot.cli import app\n"
    "code = 0\n"
    "try:\n"
    "    app(sys.argv[1:], standalone_mode=False)\n"
    "except SystemExit as exc:\n"
    "    code = exc.code or 0\n"
    "sys.stdout.flush()\n"
    "print(json.dumps({'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'code': code}),"
    " file=sys.stderr)\n"
)


def emit(**figure: object) -> None:
    print(json.dumps(figure), flush=True)


def accountbot(url: str, *args: str) -> tuple[float, float, str]:
    """Seconds, peak MB and stdout of one `accountbot ARGS` in a fresh process."""
    env = dict(os.environ, DATABASE_URL=url, SLACK_TEAM_ID="TBENCH")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    status = json.loads(done.stderr.strip().splitlines()[-1])
    if done.returncode or status["code"]:
        raise SystemExit(f"accountbot {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds, status["peak_mb"], done.stdout


def run(scale: float) -> None:
    companies = max(10, int(100_000 * scale))
    rows = companies * (1 + 3 + 10)
    label = f"{companies // 1000}k" if companies >= 1000 else str(companies)
    with tempfile.TemporaryDirectory(prefix="accountbot-bench-") as tmp:
        folder = Path(tmp)
        files = write_exports(folder, companies)
        targets = [("sqlite", "sqlite:///{db}")]
        with postgres_database() as pg:
            if pg:
                targets.append(("postgresql", pg))
            only = os.environ.get("BENCH_BACKENDS")  # e.g. postgresql: that backend alone
            targets = [t for t in targets if not only or t[0] in only.split(",")]
            for backend, url in targets:
                native_url = url.format(db=folder / "native.db") if backend == "sqlite" else url
                native_s, native_mb = 0.0, 0.0
                for kind, name in (
                    ("accounts", "accounts"),
                    ("contacts", "contacts"),
                    ("interactions", "interactions"),
                ):
                    s, mb, _ = accountbot(
                        native_url, "import", kind, str(files[f"native/{name}.csv"]), "--team", "TBENCH"
                    )
                    native_s, native_mb = native_s + s, max(native_mb, mb)
                if backend == "postgresql":  # a second throwaway database for the CRM importer
                    with postgres_database() as crm_db:
                        crm = _crm(crm_db or url, files, rows)
                else:
                    crm = _crm(url.format(db=folder / "crm.db"), files, rows)
                crm_s, crm_mb, again_s = crm
                tag = f"{label}_companies_{backend}"
                emit(name=f"native_import_{tag}", value=round(native_s, 2), unit="s", rows=rows,
                     rows_per_s=round(rows / native_s), peak_mb=round(native_mb, 1))  # fmt: skip
                emit(name=f"crm_import_{tag}", value=round(crm_s, 2), unit="s", rows=rows,
                     rows_per_s=round(rows / crm_s), baseline=round(native_s, 2),
                     ratio=round(crm_s / native_s, 2), target=TIME_RATIO_TARGET)  # fmt: skip
                emit(name=f"crm_import_{tag}_peak_rss", value=round(crm_mb, 1), unit="MB",
                     baseline=round(native_mb, 1), target=PEAK_TARGET_MB)  # fmt: skip
                emit(name=f"crm_reimport_{tag}_unchanged", value=round(again_s, 2), unit="s",
                     baseline=round(crm_s, 2), ratio=round(again_s / crm_s, 2))  # fmt: skip


def _crm(url: str, files: dict[str, Path], rows: int) -> tuple[float, float, float]:
    # given in reverse dependency order on purpose: the importer orders them itself
    args = [str(files[f"hubspot/{n}.csv"]) for n in ("calls", "contacts", "companies")]
    seconds, peak, out = accountbot(url, "import", *args, "--team", "TBENCH", "--json")
    report = json.loads(out)
    for f in report["files"]:
        assert f["imported"] == f["rows"], f"not every row imported: {f}"
    assert sum(report["created"].values()) == rows, report["created"]
    again, _, out = accountbot(url, "import", *args, "--team", "TBENCH", "--json")
    report = json.loads(out)
    assert not any(report["created"].values()) and not any(report["updated"].values()), report
    return seconds, peak, again


if __name__ == "__main__":
    run(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
