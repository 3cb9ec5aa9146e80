"""Benchmark: all digests for 100,000 accounts, 1,000 owners and 1,000,000 interactions, every owner with
preferences (storage.preferences: their own time, days, frequency and quiet setting; 2% paused, each with a
backup whose digest covers their overdue key accounts) and workspace defaults.

Prints one JSON line per figure: seconds for the whole digest job (claims, queries, rules, outbox rows),
peak RSS of the measuring process, and the ratio to one plain SQL aggregate over the interactions table
(measured in the same run). The data is left as `accountbot import` leaves it: tiers and grades stored. SQLite always; PostgreSQL too when TEST_DATABASE_URL is set.

The data is generated in a child process (bulk inserts: executemany on SQLite, COPY on PostgreSQL), so
the peak RSS is the digest's own. Sizes can be scaled down for a quick look: BENCH_SCALE=0.1.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
ACCOUNTS = int(100_000 * SCALE)
OWNERS = max(1, int(1_000 * SCALE))
INTERACTIONS = int(1_000_000 * SCALE)
CONTACTS_PER_ACCOUNT = 3
REVENUE_MONTHS = 6
TEAM = "TBENCH"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # a Tuesday, 09:00 to 17:30 in every owner's zone below
# Every zone within its 09:00-18:00 window at NOW (Tokyo, 21:00 then, is past the cut-off: not due).
ZONES = ["UTC", "Europe/Berlin", "Europe/London", "Asia/Kolkata", "America/Sao_Paulo"]
PAUSED_EVERY = 50  # every 50th owner is paused (2%), with the next owner as backup
KINDS = ["meeting", "call", "video", "email", "visit", "other"]
ROUNDS = 3  # timed runs of the job and of the baseline each


def paused_owners() -> int:
    return len(range(0, OWNERS, PAUSED_EVERY))


def preference_rows(
    naive_now: datetime, defaults_user: str, day_bits: Callable[[Iterable[int]], int]
) -> list[dict[str, object]]:
    """Workspace defaults and one row per owner: 08:00 or 09:00, Monday to Friday or to Thursday, a tenth
    weekly on Tuesdays (NOW's day), a third not quiet; every PAUSED_EVERY-th paused with a backup."""
    from datetime import time as clock

    bits = day_bits  # storage.preferences.day_bits
    rows: list[dict[str, object]] = [  # the same keys in every row: executemany takes the first row's
        {"team_id": TEAM, "user_id": defaults_user, "digest_at": clock(9, 0), "days": bits(range(5)),
         "frequency": None, "weekly_day": None, "quiet": True, "paused_until": None, "paused_since": None,
         "backup_user_id": None, "updated_at": naive_now},
    ]  # fmt: skip
    for o in range(OWNERS):
        paused = o % PAUSED_EVERY == 0
        rows.append(
            {
                "team_id": TEAM,
                "user_id": f"U{o:05d}",
                "digest_at": clock(8 + o % 2, 0),
                "days": bits(range(5) if o % 4 else range(4)),
                "frequency": "weekly" if o % 10 == 3 else "daily",
                "weekly_day": 1 if o % 10 == 3 else None,
                "quiet": o % 3 != 0,
                "paused_until": (naive_now + timedelta(days=10)).date() if paused else None,
                "paused_since": naive_now - timedelta(days=4) if paused else None,
                "backup_user_id": f"U{(o + 1) % OWNERS:05d}" if paused else None,
                "updated_at": naive_now,
            }
        )
    return rows


def fill(url: str) -> None:
    """Generate the data set (runs in a child process)."""
    from sqlalchemy import text

    from storage.db import ensure_schema, make_engine
    from storage.models import Account, Contact, Preference, RevenueMonth, SlackUser, Snooze, Workspace
    from storage.preferences import DEFAULTS_USER, day_bits

    rng = random.Random(7)
    engine = make_engine(url)
    ensure_schema(engine)
    naive_now = NOW.replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            Workspace.__table__.insert(), [{"team_id": TEAM, "name": "bench", "created_at": naive_now}]
        )
        conn.execute(
            SlackUser.__table__.insert(),
            [
                {"team_id": TEAM, "user_id": f"U{o:05d}", "tz": ZONES[o % len(ZONES)], "is_admin": False}
                for o in range(OWNERS)
            ],
        )
        conn.execute(Preference.__table__.insert(), preference_rows(naive_now, DEFAULTS_USER, day_bits))
        levels = ["high", "medium", "low"]
        accounts = []
        for i in range(ACCOUNTS):
            accounts.append(
                {
                    "id": i + 1,
                    "team_id": TEAM,
                    "name": f"Account {i:06d}",
                    "name_key": f"account {i:06d}",
                    "owner": f"U{i % OWNERS:05d}",
                    "owner_user_id": f"U{i % OWNERS:05d}",
                    "sponsor_user_id": f"U{rng.randrange(OWNERS):05d}" if rng.random() < 0.6 else None,
                    "sponsor_level": rng.choice(["executive", "project_manager"]),
                    "stage": "client",
                    "annual_revenue": round(rng.lognormvariate(12, 1.5), 2),
                    "wallet_share": rng.uniform(0, 100),
                    "profit_margin": rng.uniform(-5, 40),
                    "strategic_value": rng.choice(levels),
                    "pain_factor": rng.choice(levels),
                    "aliases": [],
                    "exclusions": [],
                    "created_at": naive_now,
                    "updated_at": naive_now,
                }
            )
        conn.execute(Account.__table__.insert(), accounts)
        del accounts
        roles = ["decision_maker", "influencer", "user"]
        conn.execute(
            Contact.__table__.insert(),
            [
                {
                    "id": a * CONTACTS_PER_ACCOUNT + c + 1,
                    "team_id": TEAM,
                    "account_id": a + 1,
                    "name": f"Contact {a}-{c}",
                    "name_key": f"contact {a}-{c}",
                    "role": roles[(a + c) % 3],
                    "active": rng.random() < 0.9,
                }
                for a in range(ACCOUNTS)
                for c in range(CONTACTS_PER_ACCOUNT)
            ],
        )
        this_month = date(NOW.year, NOW.month, 1)
        months = []
        for back in range(1, REVENUE_MONTHS + 1):
            idx = this_month.year * 12 + this_month.month - 1 - back
            months.append(date(idx // 12, idx % 12 + 1, 1))
        conn.execute(
            RevenueMonth.__table__.insert(),
            [
                {"team_id": TEAM, "account_id": a + 1, "month": m, "amount": round(rng.uniform(500, 5000), 2)}
                for a in range(ACCOUNTS)
                for m in months
            ],
        )
        conn.execute(
            Snooze.__table__.insert(),
            [
                {
                    "team_id": TEAM,
                    "account_id": rng.randrange(ACCOUNTS) + 1,
                    "until": naive_now + timedelta(days=7),
                    "created_at": naive_now,
                }
                for _ in range(ACCOUNTS // 100)
            ],
        )

        def interaction(n: int) -> tuple:
            a = rng.randrange(ACCOUNTS)
            contact = (
                a * CONTACTS_PER_ACCOUNT + rng.randrange(CONTACTS_PER_ACCOUNT) + 1
                if rng.random() < 0.9
                else None
            )
            kind = "review" if rng.random() < 0.05 else rng.choice(KINDS)
            when = naive_now - timedelta(seconds=rng.randrange(365 * 86400))
            return (n + 1, TEAM, a + 1, when, kind, contact, f"U{rng.randrange(OWNERS):05d}", f"d{n}")

        cols = "id, team_id, account_id, occurred_at, kind, contact_id, colleague, dedup_key"
        if engine.dialect.name == "postgresql":
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cur, cur.copy(f"COPY interactions ({cols}) FROM STDIN") as copy:  # noqa: S608 - names are this script's constants
                for n in range(INTERACTIONS):
                    copy.write_row(interaction(n))
            conn.execute(text("SELECT setval('interactions_id_seq', :n)"), {"n": INTERACTIONS})
            for table, n in (("accounts", ACCOUNTS), ("contacts", ACCOUNTS * CONTACTS_PER_ACCOUNT)):
                conn.execute(text(f"SELECT setval('{table}_id_seq', :n)"), {"n": n})  # noqa: S608 - names are this script's constants
        else:
            batch: list[tuple] = []
            sql = f"INSERT INTO interactions ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608 - names are this script's constants
            raw = conn.connection.dbapi_connection
            cur = raw.cursor()
            for n in range(INTERACTIONS):
                row = interaction(n)
                batch.append(row[:3] + (row[3].isoformat(sep=" "),) + row[4:])
                if len(batch) == 50_000:
                    cur.executemany(sql, batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
    # What `accountbot import` does in its transaction: keep every account's latest touch (storage.stored.latest_touch:
    # its events do it for inserts through SQLAlchemy; the COPY above bypasses them), store every account's
    # tier and grade (storage.stored.grades) and its contact and revenue rollups (storage.stored.rollups), so the digest
    # selects the accounts it concerns in SQL and reads those with them.
    from accounts.thresholds import Thresholds
    from storage.db import session_factory
    from storage.stored.grades import ensure_classified
    from storage.stored.latest_touch import recompute
    from storage.stored.rollups import ensure_rollups

    with session_factory(engine)() as s:
        recompute(s.connection(), team_id=TEAM)
        ensure_classified(s, TEAM, Thresholds())
        ensure_rollups(s, TEAM, NOW, Thresholds())
        s.commit()
    if engine.dialect.name == "postgresql":  # fresh statistics and visibility map (index-only scans)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()


def measure(url: str, backend: str) -> list[dict[str, object]]:
    """Time the digest job and the plain aggregate in this (fresh) process: ROUNDS times each, taking turns,
    the fastest run counts (the same treatment for both, so neither pays alone for a cold connection or
    cache, or for a busy moment of the machine)."""
    from sqlalchemy import func, select, update

    from accounts.thresholds import Thresholds
    from jobs import digest
    from storage.db import make_engine, session_factory
    from storage.models import Interaction, JobRun, OutboxMessage, Workspace
    from storage.stored.grades import ensure_classified
    from storage.stored.rollups import ensure_rollups

    engine = make_engine(url)
    sessions = session_factory(engine)

    def reset() -> None:  # each run does the same work: no period claimed, no message written yet
        with engine.begin() as conn:
            conn.execute(JobRun.__table__.delete().where(JobRun.team_id == TEAM))
            conn.execute(OutboxMessage.__table__.delete().where(OutboxMessage.team_id == TEAM))

    job_times: list[float] = []
    baseline_times: list[float] = []
    peak_mb = 0.0
    for _ in range(ROUNDS):  # interleaved, so a slow spell of the machine weighs on both alike
        reset()
        with sessions() as s:
            start = time.perf_counter()
            result = digest.run(s, NOW, Thresholds(), team_id=TEAM, worker="bench")
            job_times.append(time.perf_counter() - start)
        assert result.claimed == OWNERS - paused_owners(), result
        if not peak_mb:  # read right after the first run: the job's own peak, before the baseline's rows
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with sessions() as s:
            start = time.perf_counter()
            rows = s.execute(
                select(Interaction.account_id, func.count(), func.max(Interaction.occurred_at))
                .where(Interaction.team_id == TEAM)
                .group_by(Interaction.account_id)
            ).all()
            baseline_times.append(time.perf_counter() - start)
            assert len(rows) > 0
    seconds, baseline = min(job_times), min(baseline_times)
    with (
        sessions() as s
    ):  # what an accounts import adds: classifying the whole workspace (storage.stored.grades)
        s.execute(update(Workspace).where(Workspace.team_id == TEAM).values(classified_with=None))
        start = time.perf_counter()
        ensure_classified(s, TEAM, Thresholds())
        classify_seconds = time.perf_counter() - start
        s.commit()
    # What a contacts or revenue import adds, and the first digest of a month: the rollups of the whole
    # workspace again (storage.stored.rollups); in a new month every account's revenue windows are rewritten.
    rollup_seconds = {}
    for label, at in (("same_month", NOW), ("new_month", NOW + timedelta(days=10))):
        with sessions() as s:
            s.execute(update(Workspace).where(Workspace.team_id == TEAM).values(rollups_for=None))
            start = time.perf_counter()
            changed = ensure_rollups(s, TEAM, at, Thresholds())
            rollup_seconds[label] = (round(time.perf_counter() - start, 3), changed)
            s.rollback()
    engine.dispose()
    size = (
        f"{ACCOUNTS} accounts, {OWNERS} owners with preferences ({paused_owners()} paused, covered by a backup), "
        f"{INTERACTIONS} interactions"
    )
    return [
        {
            "name": f"digest_all_owners_{backend}",
            "value": round(seconds, 3),
            "unit": "s",
            "target": 5.0,
            "baseline": round(baseline, 3),
            "ratio": round(seconds / baseline, 2),
            "ratio_target": 3.0,
            "runs": [round(t, 3) for t in job_times],
            "baseline_runs": [round(t, 3) for t in baseline_times],
            "messages": result.enqueued,
            "data": size,
        },
        {"name": f"digest_peak_rss_{backend}", "value": round(peak_mb, 1), "unit": "MB", "target": 300},
        {
            "name": f"classify_workspace_at_import_{backend}",
            "value": round(classify_seconds, 3),
            "unit": "s",
            "note": "tier and grade of all accounts stored (storage.stored.grades); paid by the import, not by the job",
        },
        *(
            {
                "name": f"rollups_refresh_{label}_{backend}",
                "value": secs,
                "unit": "s",
                "rows_written": changed,
                "note": "contact and revenue rollups of all accounts (storage.stored.rollups); paid by a contacts or "
                "revenue import, and by the first run of a month",
            }
            for label, (secs, changed) in rollup_seconds.items()
        ),
    ]


def run_backend(url: str, backend: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, "fill", url], check=True, env=env)
    print(f"# {backend}: data generated in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    out = subprocess.run(
        [sys.executable, __file__, "measure", url, backend],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    sys.stdout.write(out.stdout)
    sys.stdout.flush()


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "fill":
        fill(sys.argv[2])
        return
    if len(sys.argv) >= 4 and sys.argv[1] == "measure":
        for line in measure(sys.argv[2], sys.argv[3]):
            print(json.dumps(line))
        return
    with tempfile.TemporaryDirectory() as tmp:
        run_backend(f"sqlite:///{tmp}/bench.db", "sqlite")
    from scratch_db import postgres_database  # bench/, beside this script

    with postgres_database() as pg:
        if pg:
            run_backend(pg, "postgresql")


if __name__ == "__main__":
    main()
