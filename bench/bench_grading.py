"""Benchmark: grade 100,000 synthetic accounts (fixed seed) with accounts.grading.assess_portfolio.

Prints one JSON line per figure. The baseline is the time to merely build the 100,000 AccountFacts in the
same run, so the ratio says how many "builds" the whole grading costs, whatever the machine.
"""

from __future__ import annotations

import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, TypeVar

from accounts.grading import assess_portfolio
from accounts.model import AccountFacts

T = TypeVar("T")
N = 100_000
SEED = 20240601
RUNS = 3
LEVELS = [None, None, "low", "medium", "high"]


def rows(seed: int = SEED) -> list[tuple]:
    """Raw field values, drawn once, so building and grading are timed apart from random number drawing."""
    rnd = random.Random(seed)
    out = []
    for i in range(N):
        prospect = rnd.random() < 0.1
        out.append(
            (
                f"Account {i:06d}",
                "prospect" if prospect else "client",
                None if rnd.random() < 0.05 else round(rnd.lognormvariate(12, 1.6), 2),
                None if rnd.random() < 0.2 else round(rnd.uniform(0, 100), 1),
                None if rnd.random() < 0.15 else round(rnd.uniform(-15, 45), 1),
                rnd.choice(LEVELS) if rnd.random() < 0.1 else None,
                rnd.choice(LEVELS),
                rnd.choice(LEVELS),
                rnd.choice([None, "ideal", "lead"]) if prospect else None,
                rnd.randint(0, 6),
                i,
            )
        )
    return out


def build(raw: list[tuple]) -> list[AccountFacts]:
    return [
        AccountFacts(
            name=r[0],
            stage=r[1],
            annual_revenue=r[2],
            wallet_share=r[3],
            profit_margin=r[4],
            profitability=r[5],
            strategic_value=r[6],
            pain_factor=r[7],
            prospect_fit=r[8],
            engagement_pairs=r[9],
            id=r[10],
        )
        for r in raw
    ]


def timed(fn: Callable[..., T], *args: Any) -> tuple[float, float, T]:
    """(wall seconds, CPU seconds of this process, result)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - start, time.process_time() - cpu, result


def main() -> None:
    raw = rows()
    build_times, grade_times, grade_cpu = [], [], []
    for _ in range(RUNS):
        secs, _, facts = timed(build, raw)
        build_times.append(secs)
        secs, cpu, graded = timed(assess_portfolio, facts)
        grade_times.append(secs)
        grade_cpu.append(cpu)
        assert isinstance(graded, list) and len(graded) == N
        del graded
    baseline = statistics.median(build_times)
    value = statistics.median(grade_times)
    tracemalloc.start()
    assess_portfolio(facts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures = [
        {"name": "build_100k_account_facts", "value": round(baseline, 3), "unit": "s"},
        {
            "name": "grade_100k_accounts",
            "value": round(value, 3),
            "unit": "s",
            "baseline": round(baseline, 3),
            "ratio": round(value / baseline, 2),
            "target": 2.0,
        },
        # CPU time of the same runs: steadier than wall time when other work shares the machine.
        {
            "name": "grade_100k_accounts_cpu",
            "value": round(statistics.median(grade_cpu), 3),
            "unit": "s",
            "target": 2.0,
        },
        {"name": "grade_100k_accounts_peak_memory", "value": round(peak / 2**20, 1), "unit": "MiB"},
    ]
    for figure in figures:
        print(json.dumps(figure))


if __name__ == "__main__":
    main()
