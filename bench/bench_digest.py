"""Benchmark: all digests for 100,000 accounts, 1,000 owners and 1,000,000 interactions, every owner with
preferences (storage.preferences: their own time, days, frequency and quiet setting; 2% paused, each with a
backup whose digest covers their overdue key accounts) and workspace defaults, with three weeks of the nudge
ledger and escalation on (1% of the accounts escalated in the last days: the digest shows those instead).

Prints one JSON line per figure: seconds for the whole digest job (claims, queries, rules, outbox rows),
peak RSS of the measuring process, and two same-run comparisons:

- issue 15's bar, `digest_prefs_ledger_vs_plain_*`: the digest tick with all of the above against the same
  tick on the same data without the preferences and escalations (moved to a parked workspace between runs:
  every owner on the built-in rhythm, nothing escalated; "today's digest" before issue 15), target <= 1.2x.
  One untimed run of each, then REPEATS rounds (BENCH_REPEATS, default 7), the two taking turns in ABBA
  order (so a drift of the shared machine weighs on both alike); the medians, their ratio, and the median of
  each round's own ratio.
- the older one, `digest_all_owners_*`: the full tick against one plain SQL aggregate over the interactions
  table (fastest of each), target <= 3x.

The data is left as `accountbot import` leaves it: tiers and grades stored. SQLite always; PostgreSQL too
when TEST_DATABASE_URL is set.

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
from statistics import median
from typing import Any

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
REPEATS = int(os.environ.get("BENCH_REPEATS", "7"))  # rounds of candidate and baseline each
PARKED = "TPARKED"  # where the baseline's preferences and escalations wait (a workspace with no accounts)
LEDGER_DAYS = 21  # three weeks of delivered digests in the nudge ledger
ESCALATED_EVERY = 100  # 1% of the accounts escalated in the last days


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
        ledger_and_escalations(conn, naive_now, rng)
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


def ledger_and_escalations(conn: Any, naive_now: datetime, rng: random.Random) -> None:
    """Escalation on; three weeks of delivered digests in the nudge ledger (each owner's working days, ten of
    their accounts a day under a few reasons); 1% of the accounts escalated two days ago (most of them not
    touched since: those the digest shows as escalated instead)."""
    from storage.models import EscalationSent, EscalationSetting, NudgeSent, Workspace

    conn.execute(
        Workspace.__table__.insert(), [{"team_id": PARKED, "name": "parked", "created_at": naive_now}]
    )
    conn.execute(
        EscalationSetting.__table__.insert(),
        [{"team_id": TEAM, "enabled": True, "channel": "C0ESCALATE", "updated_at": naive_now}],
    )
    reasons = ["stale", "single_point_of_failure", "checkup_due", "sponsor_missing", "revenue_drop"]
    rows = []
    outbox_id = 0
    for back in range(1, LEDGER_DAYS + 1):
        day = naive_now - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for o in range(OWNERS):
            outbox_id += 1
            for k, slot in enumerate(rng.sample(range(ACCOUNTS // OWNERS), 10)):
                rows.append(
                    {"team_id": TEAM, "outbox_id": outbox_id, "account_id": o + OWNERS * slot + 1,
                     "recipient": f"U{o:05d}", "kind": "digest", "reason": reasons[k % len(reasons)],
                     "sent_at": day}
                )  # fmt: skip
        conn.execute(NudgeSent.__table__.insert(), rows)
        rows.clear()
    escalated_at = naive_now - timedelta(days=2) + timedelta(hours=1)
    conn.execute(
        EscalationSent.__table__.insert(),
        [
            {"team_id": TEAM, "account_id": a + 1, "week": "2026-W48", "owner_user_id": f"U{a % OWNERS:05d}",
             "sent_to": "C0ESCALATE", "to_kind": "channel", "days_overdue": 9, "nudges_ignored": 3,
             "escalated_at": escalated_at}
            for a in range(0, ACCOUNTS, ESCALATED_EVERY)
        ],
    )  # fmt: skip


def measure(url: str, backend: str) -> list[dict[str, object]]:
    """Time the digest job against the same job without preferences and escalations (issue 15's bar), and
    against the plain aggregate, in this (fresh) process, taking turns (see the module's docstring)."""
    from sqlalchemy import func, select, update

    from accounts.thresholds import Thresholds
    from jobs import digest
    from storage.db import make_engine, session_factory
    from storage.models import EscalationSent, Interaction, JobRun, OutboxMessage, Preference, Workspace
    from storage.stored.grades import ensure_classified
    from storage.stored.rollups import ensure_rollups

    engine = make_engine(url)
    sessions = session_factory(engine)
    moved = (Preference.__table__, EscalationSent.__table__)

    def prepare(with_prefs: bool) -> None:
        """No period claimed, no message written yet, and the preferences and escalations in place or
        parked, so every run of a kind does the same work."""
        src, dst = (PARKED, TEAM) if with_prefs else (TEAM, PARKED)
        with engine.begin() as conn:
            conn.execute(JobRun.__table__.delete().where(JobRun.team_id == TEAM))
            conn.execute(OutboxMessage.__table__.delete().where(OutboxMessage.team_id == TEAM))
            for table in moved:
                conn.execute(update(table).where(table.c.team_id == src).values(team_id=dst))

    def job(with_prefs: bool) -> tuple[float, Any]:
        prepare(with_prefs)
        with sessions() as s:
            start = time.perf_counter()
            result = digest.run(s, NOW, Thresholds(), team_id=TEAM, worker="bench")
            seconds = time.perf_counter() - start
        want = OWNERS - paused_owners() if with_prefs else OWNERS
        assert result.claimed == want, (with_prefs, result.claimed, want)
        return seconds, result

    def aggregate() -> float:
        with sessions() as s:
            start = time.perf_counter()
            rows = s.execute(
                select(Interaction.account_id, func.count(), func.max(Interaction.occurred_at))
                .where(Interaction.team_id == TEAM)
                .group_by(Interaction.account_id)
            ).all()
            assert len(rows) > 0
            return time.perf_counter() - start

    job_times: list[float] = []  # with preferences and escalations
    plain_times: list[float] = []  # without
    aggregate_times: list[float] = []
    peak_mb = 0.0
    result = plain_result = None
    job(True)  # one untimed run of each first: a cold connection and cache weigh on neither
    job(False)
    for n in range(REPEATS):  # ABBA: candidate first in even rounds, baseline first in odd ones
        for with_prefs in (True, False) if n % 2 == 0 else (False, True):
            seconds, r = job(with_prefs)
            if with_prefs:
                job_times.append(seconds)
                result = r
                if not peak_mb:  # right after the first run: the job's own peak
                    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            else:
                plain_times.append(seconds)
                plain_result = r
        aggregate_times.append(aggregate())
    assert result is not None and plain_result is not None
    prepare(True)
    seconds, baseline = min(job_times), min(aggregate_times)
    med_job, med_plain = median(job_times), median(plain_times)
    pair_ratios = [j / p for j, p in zip(job_times, plain_times, strict=True)]
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
        f"{INTERACTIONS} interactions, {ACCOUNTS // ESCALATED_EVERY} escalated, {LEDGER_DAYS} days of nudge ledger"
    )
    return [
        {
            "name": f"digest_prefs_ledger_vs_plain_{backend}",
            "value": round(med_job, 3),
            "unit": "s",
            "baseline": round(med_plain, 3),
            "ratio": round(med_job / med_plain, 3),
            "ratio_target": 1.2,
            "median_round_ratio": round(median(pair_ratios), 3),
            "round_ratios": [round(r, 3) for r in pair_ratios],
            "runs": [round(t, 3) for t in job_times],
            "baseline_runs": [round(t, 3) for t in plain_times],
            "messages": result.enqueued,
            "baseline_messages": plain_result.enqueued,
            "note": "medians of REPEATS rounds, ABBA order; baseline: the same tick with the preferences and "
            "escalations parked (built-in rhythm for everyone, nothing escalated)",
            "data": size,
        },
        {
            "name": f"digest_all_owners_{backend}",
            "value": round(seconds, 3),
            "unit": "s",
            "target": 5.0,
            "baseline": round(baseline, 3),
            "ratio": round(seconds / baseline, 2),
            "ratio_target": 3.0,
            "baseline_runs": [round(t, 3) for t in aggregate_times],
            "note": "fastest run of each, against one plain GROUP BY over the interactions",
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
