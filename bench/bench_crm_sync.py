"""Benchmark: the live CRM sync (issue 16) of 100k companies, 300k contacts and 1M activities (800k calls, 200k
meetings) at BENCH_CRM_SCALE=1, from the loopback fakes, into a fresh SQLite database (and PostgreSQL when
BENCH_DATABASE_URL or TEST_DATABASE_URL is set).

The fakes run in this process (a server thread; their records are generated, so they hold next to nothing); the
sync runs in a child process, `jobs.crm_sync.sync` with the client as `accountbot crm sync` builds it, so that the
peak memory measured is the sync's alone (the child's VmHWM from /proc/self/status: a fresh address space after
exec, nothing of this process carried over). Requests are counted by the fakes, by kind. Three goals:

- **requests** against the minimum the page sizes allow: per HubSpot object ceil(n/100) list pages and one
  archived list, ceil(n/1,000) association batch reads per associated type (their documented maximum), owners
  live and archived; per Salesforce object ceil(n/2,000) batches (the login and the describes are counted
  apart). Goal <= 1.05x.
- **rate**: the fake enforces a rolling per-10-second limit (BENCH_CRM_LIMIT, default 190: HubSpot's limit for
  private apps and Service Keys on Professional and Enterprise, the client's default) and the client's bucket is
  set to the same; the requests per second achieved over the span of the requests (server-side, first to last)
  against the allowed rate. The floor is requests / allowed rate. Goal >= 90%. The client's bucket itself runs
  at 95% of the limit (docs/crm-sync.md), so 95% is the ceiling. A higher limit would shorten the floor (1,000:
  under 3 minutes at full size), but the sync's own speed (the unthrottled baseline) is below it, so it would
  measure the writes rather than the limit. Salesforce has no per-second limit (only the 24-hour allocation):
  its rate is reported, no goal.
- **peak memory** of the sync process. Goal < 500 MB.

The same-run baselines: the HubSpot client with its default association batch (one list page, 100 ids) at a
small scale without a limit, which gives both the default client's request ratio and the sync's own top speed
(the rate it reaches when nothing holds it back), and the allowed rate itself.

    .venv/bin/python bench/bench_crm_sync.py                       # BENCH_CRM_SCALE=0.02 (make bench)
    BENCH_CRM_SCALE=1.0 nice -n 10 .venv/bin/python bench/bench_crm_sync.py   # the full size (minutes)
    BENCH_CRM_SOURCES=hubspot BENCH_CRM_LIMIT=1000 ...               # one source (or an order), another limit
    BENCH_CRM_PROGRESS=30 ...                                        # a progress line every 30 s (stderr)
    BENCH_CRM_ASSOCIATION_BATCH=100 ...                              # the measured run with the client's default
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from scratch_db import postgres_database  # bench/, beside this script

# The loopback CRM fakes live in the test tree, which is not installed: import them from the checkout.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.fakes.hubspot_api import TOKEN, FakeHubSpot, hs_time  # noqa: E402 - importable only after the line above
from tests.fakes.salesforce_api import CONSUMER_KEY, USERNAME, FakeSalesforce  # noqa: E402 - the same

REQUEST_RATIO_TARGET = 1.05
RATE_SHARE_TARGET = 0.90
PEAK_TARGET_MB = 500.0
INTERVAL_S = 10.0
DEFAULT_SCALE = 0.02
BASELINE_SCALE = 0.02  # the unthrottled default-client run
OWNERS = 50
PER_COMPANY = {"contacts": 3, "calls": 8, "meetings": 2}
CONNECTED = "f240bbac-87c9-4f6e-bf70-924b57d47db7"  # HubSpot's "Connected" call outcome

CHILD = r"""
import json, sys, time
from datetime import UTC, datetime
from accounts.thresholds import DEFAULT_THRESHOLDS
from jobs.crm_sync import sync
from storage.db import ensure_schema, make_engine, session_factory

cfg = json.loads(sys.argv[1])
engine = make_engine(cfg["db"])
ensure_schema(engine)
sessions = session_factory(engine)
if cfg["source"] == "hubspot":
    from crm.hubspot import HubSpotClient
    client = HubSpotClient(cfg["token"], cfg["url"], interval_limit=cfg["limit"],
                           association_batch=cfg["association_batch"])
else:
    from crm.salesforce import SalesforceClient
    client = SalesforceClient(cfg["url"], cfg["consumer_key"], cfg["username"], private_key=cfg["key"].encode())
pages = []
started = time.perf_counter()
said = [started]


def status(name):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(name)) / 1024


def on_page(synced, page):
    pages.append(time.perf_counter())
    if pages[-1] - said[0] >= cfg["progress"]:  # a line now and then: a long run shows how it goes
        said[0] = pages[-1]
        print(f"# {cfg['source']} {synced.obj}: {synced.read:,} read in {pages[-1] - started:.0f} s, "
              f"{synced.pages} pages, rss {status('VmRSS:'):.0f} MB, peak {status('VmHWM:'):.0f} MB",
              file=sys.stderr, flush=True)


report = sync(sessions, "TBENCH", client, now=datetime.now(UTC), thresholds=DEFAULT_THRESHOLDS, on_page=on_page)
seconds = time.perf_counter() - started
client.close()
engine.dispose()
print(json.dumps({
    "seconds": seconds, "last_page_s": (pages[-1] - started) if pages else 0.0, "peak_mb": status("VmHWM:"),
    "sent": client.sent,
    "objects": [{"obj": s.obj, "read": s.read, "created": s.created, "updated": s.updated,
                 "unchanged": s.unchanged, "skipped": dict(s.skipped), "requests": s.requests, "pages": s.pages}
                for s in report.objects],
}))
"""


def emit(**figure: object) -> None:
    print(json.dumps(figure), flush=True)


def sizes(scale: float) -> dict[str, int]:
    companies = max(100, int(100_000 * scale))
    return {"companies": companies, **{k: companies * n for k, n in PER_COMPANY.items()}}


def label(n: dict[str, int]) -> str:
    c = n["companies"]
    return f"{c // 1000}k" if c % 1000 == 0 else str(c)


def run_child(config: dict[str, Any]) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    config = {"progress": float(os.environ.get("BENCH_CRM_PROGRESS", "60")), **config}
    # the child's stderr is this process's: progress lines and any traceback show as they come
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(config)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    if done.returncode:
        raise SystemExit(f"the sync failed (exit {done.returncode}):\n{done.stdout[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def check(out: dict[str, Any], n: dict[str, int], source: str) -> None:
    """Every generated record was written (created) once."""
    names = {"hubspot": ("companies", "contacts", "calls", "meetings"),
             "salesforce": ("Account", "Contact", "Task", "Event")}[source]  # fmt: skip
    created = {o["obj"]: o["created"] for o in out["objects"]}
    for name, kind in zip(names, ("companies", "contacts", "calls", "meetings"), strict=True):
        assert created[name] == n[kind], (name, created[name], n[kind], out["objects"])


# ------------------------------------------------------------------------------------------- HubSpot


def hubspot_fake(n: dict[str, int], limit: int, now: datetime) -> FakeHubSpot:
    fake = FakeHubSpot(interval_limit=limit, record_calls=False, daily_limit=10_000_000)
    t0 = now - timedelta(days=30)
    owners = [
        fake.add_owner(f"owner{i}@example.com", first="Owner", last=str(i), modified=t0)
        for i in range(OWNERS)
    ]
    ms = timedelta(milliseconds=1)
    companies = fake.generate(
        "companies", n["companies"], start=t0, step=ms,
        properties=lambda i: {"name": f"Company {i:07d}", "hubspot_owner_id": owners[i % OWNERS],
                              "type": "CUSTOMER", "domain": f"c{i}.example", "industry": "COMPUTER_SOFTWARE",
                              "annualrevenue": str(1000 * i)},
    )  # fmt: skip
    per = PER_COMPANY["contacts"]
    contacts = fake.generate(
        "contacts", n["contacts"], start=t0 + timedelta(hours=1), step=ms,
        properties=lambda i: {"firstname": f"First{i % per}", "lastname": f"Last{i // per:07d}",
                              "email": f"p{i}@c{i // per}.example", "jobtitle": "Buyer",
                              "hs_buying_role": "DECISION_MAKER" if i % per == 0 else None,
                              "hubspot_owner_id": owners[i % OWNERS],
                              "associatedcompanyid": str(companies.first + i // per)},
        associations={"companies": lambda i: [str(companies.first + i // per)]},
    )  # fmt: skip
    for offset, kind in ((3, "calls"), (4, "meetings")):
        each = PER_COMPANY[kind]

        def company(i: int, each: int = each) -> list[str]:
            return [str(companies.first + i // each)]

        def contact(i: int, each: int = each) -> list[str]:
            return [str(contacts.first + (i // each) * per + i % per)]

        def when(i: int) -> str:
            return hs_time(now - timedelta(days=1 + i % 360, minutes=i % 60))

        if kind == "calls":

            def props(i: int) -> dict[str, Any]:
                return {"hs_call_title": f"Call {i}", "hs_timestamp": when(i), "hs_call_body": f"Call {i} notes",
                        "hs_call_status": "COMPLETED", "hs_call_disposition": CONNECTED,
                        "hubspot_owner_id": owners[i % OWNERS]}  # fmt: skip
        else:

            def props(i: int) -> dict[str, Any]:
                return {"hs_meeting_title": f"Meeting {i}", "hs_meeting_start_time": when(i),
                        "hs_meeting_outcome": "COMPLETED", "hubspot_owner_id": owners[i % OWNERS]}  # fmt: skip

        fake.generate(kind, n[kind], start=t0 + timedelta(hours=offset), step=ms, properties=props,
                      associations={"companies": company, "contacts": contact})  # fmt: skip
    return fake


def hubspot_minimum(n: dict[str, int]) -> Counter[str]:
    pages = {"companies": n["companies"], "contacts": n["contacts"], "calls": n["calls"],
             "meetings": n["meetings"], "deals": 0}  # fmt: skip
    linked = {"contacts": 1, "calls": 2, "meetings": 2}
    out: Counter[str] = Counter(owners=math.ceil(OWNERS / 100) + 1)  # live and archived
    for kind, count in pages.items():
        out["list"] += max(1, math.ceil(count / 100))
        out["list-archived"] += 1
        out["associations"] += linked.get(kind, 0) * math.ceil(count / 1000)
    return out


def by_kind(counts: Counter[str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for name, count in counts.items():
        kind = name.split(":")[0]
        out["owners" if kind.startswith("owners") else kind] += count
    return out


def hubspot_run(scale: float, limit: int, batch: int, db: str) -> dict[str, Any]:
    n = sizes(scale)
    now = datetime.now(UTC)
    with hubspot_fake(n, limit, now) as fake:
        config = {"source": "hubspot", "db": db, "token": TOKEN, "url": fake.base_url, "limit": limit,
                  "association_batch": batch}  # fmt: skip
        out = run_child(config)
        admitted = sorted(fake.admitted)
        counts = by_kind(fake.counts)
        refused = {str(k): v for k, v in fake.statuses.items() if k >= 400}
        window = fake.max_in_window()
    check(out, n, "hubspot")
    span = admitted[-1] - admitted[0] if len(admitted) > 1 else 0.0
    requests = sum(counts.values())
    minimum = hubspot_minimum(n)
    records = sum(n.values()) + OWNERS
    return {"n": n, "out": out, "counts": counts, "minimum": minimum, "requests": requests, "span": span,
            "refused": refused, "max_in_window": window, "records": records}  # fmt: skip


def hubspot(scale: float, limit: int, batch: int, targets: list[tuple[str, str]]) -> None:
    base = hubspot_run(min(scale, BASELINE_SCALE), 1_000_000, 100, targets[0][1].format(db="hs-baseline"))
    tag = label(base["n"])
    rate = (base["requests"] - 1) / base["span"] if base["span"] else 0.0
    emit(
        name=f"crm_sync_hubspot_{tag}_default_client_requests", value=base["requests"], unit="requests",
        baseline=sum(base["minimum"].values()), ratio=round(base["requests"] / sum(base["minimum"].values()), 3),
        target=REQUEST_RATIO_TARGET, by_kind=dict(base["counts"]), minimum=dict(base["minimum"]),
        note="association_batch=100 (the client's default: one association read per list page)",
    )  # fmt: skip
    emit(
        name=f"crm_sync_hubspot_{tag}_unthrottled", value=round(rate, 1), unit="requests/s",
        records_per_s=round(base["records"] / base["out"]["seconds"]), seconds=round(base["out"]["seconds"], 2),
        note="no limit: the sync's own top speed, the baseline of the allowed rate below",
    )  # fmt: skip
    for backend, url in targets:
        run = hubspot_run(scale, limit, batch, url.format(db="hs"))
        tag = f"{label(run['n'])}_{backend}"
        minimum = sum(run["minimum"].values())
        emit(
            name=f"crm_sync_hubspot_{tag}_requests", value=run["requests"], unit="requests", baseline=minimum,
            ratio=round(run["requests"] / minimum, 3), target=REQUEST_RATIO_TARGET, by_kind=dict(run["counts"]),
            minimum=dict(run["minimum"]), association_batch=batch, refused=run["refused"],
        )  # fmt: skip
        allowed = limit / INTERVAL_S
        achieved = (run["requests"] - 1) / run["span"] if run["span"] else 0.0
        floor = run["requests"] / allowed
        emit(
            name=f"crm_sync_hubspot_{tag}_rate", value=round(achieved, 2), unit="requests/s",
            baseline=round(allowed, 2), ratio=round(achieved / allowed, 3), target=RATE_SHARE_TARGET,
            span_s=round(run["span"], 1), floor_s=round(floor, 1), sync_s=round(run["out"]["seconds"], 1),
            limit=f"{limit} per {INTERVAL_S:g} s", max_in_window=run["max_in_window"],
            records_per_s=round(run["records"] / run["span"]) if run["span"] else None,
        )  # fmt: skip
        emit(name=f"crm_sync_hubspot_{tag}_peak_rss", value=round(run["out"]["peak_mb"], 1), unit="MB",
             target=PEAK_TARGET_MB, records=run["records"])  # fmt: skip


# ------------------------------------------------------------------------------------------- Salesforce


def salesforce_fake(n: dict[str, int], now: datetime, key: rsa.RSAPrivateKey) -> FakeSalesforce:
    fake = FakeSalesforce(key.public_key(), api_max=100_000_000, multicurrency=False)
    t0 = now - timedelta(days=30)
    users = [
        fake.add("User", {"Name": f"Owner {i}", "FirstName": "Owner", "LastName": str(i),
                          "Email": f"owner{i}@example.com", "IsActive": True, "UserType": "Standard"}, modified=t0)
        for i in range(OWNERS)
    ]  # fmt: skip
    ms = timedelta(milliseconds=1)
    accounts = fake.generate(
        "Account", n["companies"], start=t0, step=ms,
        values=lambda i: {"Name": f"Account {i:07d}", "OwnerId": users[i % OWNERS], "Type": "Customer",
                          "Industry": "Banking", "Website": f"https://a{i}.example", "AnnualRevenue": 1000.0 * i},
    )  # fmt: skip
    per = PER_COMPANY["contacts"]
    contacts = fake.generate(
        "Contact", n["contacts"], start=t0 + timedelta(hours=1), step=ms,
        values=lambda i: {"Name": f"First{i % per} Last{i // per:07d}", "FirstName": f"First{i % per}",
                          "LastName": f"Last{i // per:07d}", "Email": f"p{i}@a{i // per}.example", "Title": "Buyer",
                          "AccountId": accounts.record_id(i // per), "OwnerId": users[i % OWNERS]},
    )  # fmt: skip
    calls, meetings = PER_COMPANY["calls"], PER_COMPANY["meetings"]
    fake.generate(
        "Task", n["calls"], start=t0 + timedelta(hours=3), step=ms,
        values=lambda i: {"Subject": f"Call {i}", "TaskSubtype": "Call", "Type": "Call", "Status": "Completed",
                          "ActivityDate": (now - timedelta(days=1 + i % 360)).date(),
                          "AccountId": accounts.record_id(i // calls),
                          "WhoId": contacts.record_id((i // calls) * per + i % per), "OwnerId": users[i % OWNERS],
                          "Description": f"Call {i} notes", "IsClosed": True},
    )  # fmt: skip
    fake.generate(
        "Event", n["meetings"], start=t0 + timedelta(hours=4), step=ms,
        values=lambda i: {"Subject": f"Meeting {i}", "Type": "Meeting",
                          "StartDateTime": now - timedelta(days=1 + i % 360, minutes=i % 60),
                          "ActivityDateTime": now - timedelta(days=1 + i % 360, minutes=i % 60),
                          "AccountId": accounts.record_id(i // meetings),
                          "WhoId": contacts.record_id((i // meetings) * per + i % per),
                          "OwnerId": users[i % OWNERS], "DurationInMinutes": 30},
    )  # fmt: skip
    return fake


def salesforce(scale: float, targets: list[tuple[str, str]]) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    n = sizes(scale)
    for backend, url in targets:
        now = datetime.now(UTC)
        with salesforce_fake(n, now, key) as fake:
            config = {"source": "salesforce", "db": url.format(db="sf"), "url": fake.base_url,
                      "consumer_key": CONSUMER_KEY, "username": USERNAME, "key": pem}  # fmt: skip
            started = time.perf_counter()
            out = run_child(config)
            seconds = time.perf_counter() - started
            counts = Counter({k: v for k, v in fake.counts.items() if ":" not in k})
        check(out, n, "salesforce")
        batches = counts["queryAll"] + counts["query"] + counts["more"]
        per_object = {"User": OWNERS, "Account": n["companies"], "Contact": n["contacts"], "Task": n["calls"],
                      "Event": n["meetings"], "Opportunity": 0}  # fmt: skip
        minimum = sum(max(1, math.ceil(v / 2000)) for v in per_object.values())
        tag = f"{label(n)}_{backend}"
        records = sum(per_object.values())
        emit(
            name=f"crm_sync_salesforce_{tag}_requests", value=batches, unit="query batches", baseline=minimum,
            ratio=round(batches / minimum, 3), target=REQUEST_RATIO_TARGET, describes=counts["describe"],
            logins=counts["token"], ratio_with_describes=round((batches + counts["describe"]) / minimum, 3),
        )  # fmt: skip
        emit(
            name=f"crm_sync_salesforce_{tag}_rate", value=round(records / out["seconds"]), unit="records/s",
            sync_s=round(out["seconds"], 1), process_s=round(seconds, 1), requests_per_s=round(
                (batches + counts["describe"]) / out["seconds"], 2),
            note="Salesforce has no per-second limit (the 24-hour allocation counts requests): no rate goal",
        )  # fmt: skip
        emit(name=f"crm_sync_salesforce_{tag}_peak_rss", value=round(out["peak_mb"], 1), unit="MB",
             target=PEAK_TARGET_MB, records=records)  # fmt: skip


def main() -> None:
    scale = (
        float(sys.argv[1]) if len(sys.argv) > 1 else float(os.environ.get("BENCH_CRM_SCALE", DEFAULT_SCALE))
    )
    limit = int(os.environ.get("BENCH_CRM_LIMIT", "190"))
    batch = int(os.environ.get("BENCH_CRM_ASSOCIATION_BATCH", "1000"))
    sources = os.environ.get("BENCH_CRM_SOURCES", "hubspot,salesforce").split(",")
    n = sizes(scale)
    emit(
        name="crm_sync_scale", value=scale, unit="x 100k companies", sizes=n,
        note=("the full size" if scale >= 1 else "a reduced size: BENCH_CRM_SCALE=1.0 for issue 16's 100k "
              "companies, 300k contacts, 1M activities (docs/benchmarks.md has its figures)"),
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="accountbot-bench-") as tmp:
        targets = [("sqlite", f"sqlite:///{Path(tmp)}/{{db}}.db")]
        pg_env = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        if pg_env:
            os.environ["TEST_DATABASE_URL"] = pg_env
        with postgres_database() as pg, postgres_database() as pg2:  # a fresh database per source
            for source in sources:  # in the order given
                if source == "hubspot":
                    hubspot(scale, limit, batch, [*targets, *([("postgresql", pg)] if pg else [])])
                elif source == "salesforce":
                    salesforce(scale, [*targets, *([("postgresql", pg2)] if pg2 else [])])
                else:
                    raise SystemExit(f"BENCH_CRM_SOURCES: {source!r} is neither hubspot nor salesforce")


if __name__ == "__main__":
    main()
