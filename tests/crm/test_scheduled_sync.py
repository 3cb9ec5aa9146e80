"""The scheduled crm_sync job (jobs.crm_sync.run, as jobs.registry runs it) over saved connections, against the
loopback fakes, on SQLite and PostgreSQL: two workspaces with different CRMs each get their own records, a
second run in the same period does nothing, the next period syncs from the watermark, and a revoked token is
recorded on the connection and told to the workspace's admins once, with the fix."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from accountbot.cli import app
from accounts.thresholds import DEFAULT_THRESHOLDS
from crm.errors import ServerError
from jobs import crm_sync
from jobs.registry import JOBS
from storage import crm_connections, sync_state
from storage.crypto import TokenCipher
from storage.db import ensure_workspace
from storage.models import Account, CrmConnection, JobRun, OutboxMessage
from tests.conftest import NOW
from tests.crm.test_salesforce import pem
from tests.crm.test_sync import fill
from tests.crm.test_sync_salesforce import fill as sf_fill
from tests.fakes.hubspot_api import TOKEN, FakeHubSpot
from tests.fakes.salesforce_api import CONSUMER_KEY, USERNAME, FakeSalesforce

KEY = Fernet.generate_key().decode()
ADMIN = "UADMIN1"
HUB, SF = "THUB", "TSF"


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher(KEY)


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        yield fake


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def salesforce(rsa_key: rsa.RSAPrivateKey) -> Iterator[FakeSalesforce]:
    with FakeSalesforce(rsa_key.public_key(), multicurrency=False) as fake:
        yield fake


def save_hubspot(sessions: sessionmaker[Session], cipher: TokenCipher, team: str, fake: FakeHubSpot,
                 token: str = TOKEN, interval: int = 60) -> None:  # fmt: skip
    with sessions.begin() as s:
        ensure_workspace(s, team)
        crm_connections.save(s, cipher, team, "hubspot", secret=token, base_url=fake.base_url,
                             interval_minutes=interval, now=NOW)  # fmt: skip


def save_salesforce(sessions: sessionmaker[Session], cipher: TokenCipher, team: str, fake: FakeSalesforce,
                    key: rsa.RSAPrivateKey) -> None:  # fmt: skip
    with sessions.begin() as s:
        ensure_workspace(s, team)
        crm_connections.save(s, cipher, team, "salesforce", secret=pem(key).decode(), base_url=fake.base_url,
                             consumer_key=CONSUMER_KEY, username=USERNAME, interval_minutes=60, now=NOW)  # fmt: skip


def tick(sessions: sessionmaker[Session], cipher: TokenCipher | None, at: Any = NOW, **kw: Any) -> Any:
    """One run of the registered job, as the scheduler calls it."""
    with sessions() as s:
        return JOBS["crm_sync"](s, at, DEFAULT_THRESHOLDS, worker="w1", listed_admins=lambda t: {ADMIN},
                                cipher=cipher, **kw)  # fmt: skip


def names(sessions: sessionmaker[Session], team: str) -> set[str]:
    with sessions() as s:
        return set(s.scalars(select(Account.name).where(Account.team_id == team)))


def outbox(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def connection(sessions: sessionmaker[Session], team: str, source: str) -> CrmConnection:
    with sessions() as s:
        return s.scalars(select(CrmConnection).where(CrmConnection.team_id == team,
                                                     CrmConnection.source == source)).one()  # fmt: skip


def test_two_workspaces_each_sync_their_own_crm_once_a_period(
    sessions: sessionmaker[Session], cipher: TokenCipher, hubspot: FakeHubSpot, salesforce: FakeSalesforce,
    rsa_key: rsa.RSAPrivateKey,
) -> None:  # fmt: skip
    fill(hubspot, companies=6)  # Company 00..04 (the 6th is a partner: skipped)
    sf_fill(salesforce, accounts=4)  # Account 00..03
    save_hubspot(sessions, cipher, HUB, hubspot)
    save_salesforce(sessions, cipher, SF, salesforce, rsa_key)

    first = tick(sessions, cipher)
    assert first.claimed == 2 and first.messages == []
    hub, sf = names(sessions, HUB), names(sessions, SF)
    assert hub == {f"Company {i:02d}" for i in range(5)}
    assert sf and all(n.startswith("Account ") for n in sf)  # isolated by team id: nothing crosses over
    assert not hub & sf
    for team, source in ((HUB, "hubspot"), (SF, "salesforce")):
        c = connection(sessions, team, source)
        assert c.last_ok_at == NOW and c.last_error is None and c.failure is None

    hub_requests, sf_requests = sum(hubspot.counts.values()), salesforce_requests(salesforce)
    again = tick(sessions, cipher, NOW + timedelta(minutes=20))  # the same hour: the ledger says done
    assert again.claimed == 0
    assert sum(hubspot.counts.values()) == hub_requests and salesforce_requests(salesforce) == sf_requests
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == "crm_sync")) == 2

    with sessions() as s:  # the client's watermark is its own clock less `settle`: just after it is new
        mark = sync_state.load(s, HUB, "hubspot", "companies").watermark
    assert mark is not None
    hubspot.add("companies", {"name": "Newco", "type": "CUSTOMER"}, modified=mark + timedelta(milliseconds=1))
    time.sleep(0.01)
    later = tick(sessions, cipher, NOW + timedelta(hours=1))  # the next period: from the watermark
    assert later.claimed == 2
    assert names(sessions, HUB) == hub | {"Newco"} and names(sessions, SF) == sf
    assert "Newco" not in names(sessions, SF)


def salesforce_requests(fake: FakeSalesforce) -> int:
    return sum(fake.counts.values())


def test_a_revoked_token_is_recorded_and_told_to_the_admins_once_with_the_fix(
    sessions: sessionmaker[Session], cipher: TokenCipher, hubspot: FakeHubSpot
) -> None:
    fill(hubspot, companies=3)
    save_hubspot(sessions, cipher, HUB, hubspot)
    assert tick(sessions, cipher).claimed == 1
    hubspot.token = "pat-na1-a-new-token"  # the saved one is revoked: every request answers 401

    stopped = tick(sessions, cipher, NOW + timedelta(hours=1))
    assert stopped.claimed == 1
    c = connection(sessions, HUB, "hubspot")
    assert (
        c.failure == "auth" and "401" in (c.last_error or "") and c.failing_since == NOW + timedelta(hours=1)
    )
    told = [m for m in outbox(sessions) if m.kind == crm_sync.KIND]
    assert [(m.team_id, m.recipient) for m in told] == [(HUB, ADMIN)]
    facts = told[0].facts
    assert facts["failure"] == "auth" and facts["source"] == "hubspot"
    assert f"accountbot crm connect hubspot --team {HUB} --save" in facts["fix"]
    assert TOKEN not in str(facts)

    for hours in (2, 3):  # still revoked: recorded, not told again
        assert tick(sessions, cipher, NOW + timedelta(hours=hours)).claimed == 1
    assert len([m for m in outbox(sessions) if m.kind == crm_sync.KIND]) == 1
    assert connection(sessions, HUB, "hubspot").failing_since == NOW + timedelta(hours=1)

    save_hubspot(sessions, cipher, HUB, hubspot, token="pat-na1-a-new-token")  # the fix: saved again
    assert tick(sessions, cipher, NOW + timedelta(hours=4)).claimed == 1
    c = connection(sessions, HUB, "hubspot")
    assert c.failure is None and c.last_error is None and c.last_ok_at == NOW + timedelta(hours=4)


def test_a_daily_limit_is_told_once_and_a_transient_error_not_at_all(
    sessions: sessionmaker[Session], cipher: TokenCipher, hubspot: FakeHubSpot
) -> None:
    fill(hubspot, companies=3)
    save_hubspot(sessions, cipher, HUB, hubspot)

    class Down:  # a CRM that keeps answering 503 beyond the retries
        source = "hubspot"

        def records(self, kind: str, since: Any = None, *, resume: Any = None) -> Any:
            raise ServerError("hubspot", "HubSpot answered 503 after 3 retries", status=503)

        def count(self, kind: str) -> int:
            return 0

        def close(self) -> None:
            pass

    tick(sessions, cipher, clients=lambda conn: Down())
    c = connection(sessions, HUB, "hubspot")
    assert c.last_error == "HubSpot answered 503 after 3 retries" and c.failure is None
    assert outbox(sessions) == []  # the next run may get past it: nobody is bothered

    hubspot.fail_next("owners", status=429, policy="DAILY", times=3)
    for hours in (1, 2, 3):
        tick(sessions, cipher, NOW + timedelta(hours=hours))
    c = connection(sessions, HUB, "hubspot")
    assert c.failure == "daily_limit" and c.failing_since == NOW + timedelta(hours=1)
    told = [m for m in outbox(sessions) if m.kind == crm_sync.KIND]
    assert len(told) == 1 and "daily" in told[0].facts["error"].lower()
    assert "--interval" in told[0].facts["fix"]


def test_no_keys_means_the_admins_hear_the_connection_cannot_be_read(
    sessions: sessionmaker[Session], cipher: TokenCipher, hubspot: FakeHubSpot
) -> None:
    save_hubspot(sessions, cipher, HUB, hubspot)
    tick(sessions, TokenCipher(Fernet.generate_key().decode()))  # another key than the one it was saved with
    c = connection(sessions, HUB, "hubspot")
    assert c.failure == "keys" and sum(hubspot.counts.values()) == 0
    told = [m for m in outbox(sessions) if m.kind == crm_sync.KIND]
    assert len(told) == 1 and "TOKEN_ENCRYPTION_KEYS" in told[0].facts["fix"]


def test_a_dry_run_syncs_nothing(
    sessions: sessionmaker[Session], cipher: TokenCipher, hubspot: FakeHubSpot
) -> None:
    fill(hubspot, companies=3)
    save_hubspot(sessions, cipher, HUB, hubspot)
    result = tick(sessions, cipher, dry_run=True)
    assert result.claimed == 1 and sum(hubspot.counts.values()) == 0 and names(sessions, HUB) == set()
    assert tick(sessions, cipher).claimed == 1  # the dry run claimed nothing for real


def test_jobs_run_crm_sync_runs_it_once(
    db_url: str, hubspot: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    fill(hubspot, companies=4)
    env = {"DATABASE_URL": db_url, "SLACK_TEAM_ID": None, "COLUMNS": "250", "HUBSPOT_TOKEN": TOKEN,
           "HUBSPOT_BASE_URL": hubspot.base_url, "TOKEN_ENCRYPTION_KEYS": KEY, "ADMIN_USER_IDS": ADMIN}  # fmt: skip
    runner = CliRunner()
    saved = runner.invoke(app, ["crm", "connect", "hubspot", "--team", HUB, "--save"], env=env)
    assert saved.exit_code == 0, saved.output
    at = "2026-11-24T09:00:00Z"
    first = runner.invoke(
        app, ["jobs", "run", "crm_sync", "--team", HUB, "--queue-only", "--at", at], env=env
    )
    assert first.exit_code == 0, first.output
    assert "1 period(s) due" in first.output
    requests = sum(hubspot.counts.values())
    second = runner.invoke(
        app, ["jobs", "run", "crm_sync", "--team", HUB, "--queue-only", "--at", at], env=env
    )
    assert second.exit_code == 0 and "0 period(s) due" in second.output
    assert sum(hubspot.counts.values()) == requests
    status = runner.invoke(app, ["crm", "status", "--team", HUB], env=env)
    assert status.exit_code == 0, status.output
    assert "companies" in status.output and "hubspot" in status.output and TOKEN not in status.output


def test_a_connection_another_run_is_syncing_is_left_alone(
    sessions: sessionmaker[Session], cipher: TokenCipher, hubspot: FakeHubSpot
) -> None:
    """A long sync from an earlier period (or a replica that took this period over) holds the connection's
    lease: this run sends nothing and records nothing; the lease is released when a run ends."""
    fill(hubspot, companies=3)
    save_hubspot(sessions, cipher, HUB, hubspot)
    with sessions.begin() as s:
        assert crm_connections.lease(
            s, HUB, "hubspot", worker="other", now=NOW, until=NOW + timedelta(minutes=30)
        )
    assert tick(sessions, cipher).claimed == 1
    assert sum(hubspot.counts.values()) == 0 and names(sessions, HUB) == set()
    c = connection(sessions, HUB, "hubspot")
    assert c.last_run_at is None and c.leased_by == "other"
    assert tick(sessions, cipher, NOW + timedelta(hours=1)).claimed == 1  # the lease has run out
    c = connection(sessions, HUB, "hubspot")
    assert c.last_ok_at == NOW + timedelta(hours=1) and c.leased_by is None and c.lease_until is None
    assert names(sessions, HUB)
