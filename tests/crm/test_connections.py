"""Saved CRM connections (storage.crm_connections, `accountbot crm connect --save|disconnect|status`), on SQLite
and PostgreSQL: the secret is never in the database in clear (the whole dump is searched, and SQLite's file
bytes), nor in a log, a stored error, a message to admins or the status output, even when a CRM's error
message carries it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from accountbot.cli import app
from accounts.thresholds import DEFAULT_THRESHOLDS
from crm.errors import AuthFailed
from jobs.registry import JOBS
from storage import crm_connections
from storage.crypto import TokenCipher
from storage.db import ensure_workspace, make_engine, session_factory
from storage.models import Base, CrmConnection, OutboxMessage
from tests.conftest import NOW
from tests.crm.test_salesforce import pem
from tests.fakes.hubspot_api import TOKEN, FakeHubSpot

KEY = Fernet.generate_key().decode()
SECRET = "pat-na1-0f1e2d3c-secret-token-of-the-test"


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher(KEY)


@pytest.fixture
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot(token=SECRET) as hs:
        yield hs


def dump(engine: Engine) -> str:
    """Every row of every table as text (what a database dump holds), plus SQLite's file bytes."""
    parts = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                parts.append(repr(tuple(row)))
        if engine.dialect.name == "sqlite":
            path = Path(engine.url.database or "")
            for f in (path, path.with_name(path.name + "-wal")):
                if f.exists():
                    parts.append(f.read_bytes().decode("latin-1"))
        else:
            parts.extend(str(v) for v in conn.execute(text("SELECT secret FROM crm_connections")).scalars())
    return "\n".join(parts)


def test_the_secrets_are_encrypted_at_rest(
    engine: Engine, sessions: sessionmaker[Session], cipher: TokenCipher
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem_text = pem(key).decode()
    body = [line for line in pem_text.splitlines() if not line.startswith("-----")]
    with sessions.begin() as s:
        for team in ("T1", "T2"):
            ensure_workspace(s, team)
        crm_connections.save(s, cipher, "T1", "hubspot", secret=SECRET, base_url="https://api.hubapi.com",
                             interval_minutes=60, now=NOW)  # fmt: skip
        crm_connections.save(s, cipher, "T2", "salesforce", secret=pem_text, base_url="https://login.salesforce.com",
                             consumer_key="3MVG9key", username="sync@example.com", interval_minutes=30, now=NOW)  # fmt: skip
    everything = dump(engine)
    assert "3MVG9key" in everything  # the dump does hold the connections' other columns...
    assert SECRET not in everything  # ...but not the secrets
    assert not [line for line in body if line in everything]
    assert "PRIVATE KEY" not in everything
    with sessions() as s:
        hub = crm_connections.opened(s, cipher, "T1")[0]
        sf = crm_connections.opened(s, cipher, "T2")[0]
        assert hub.secret == SECRET and sf.secret == pem_text and sf.interval_minutes == 30
        assert SECRET not in repr(hub) and body[1] not in repr(sf)
        assert crm_connections.connections(s)[0].secret is None  # listing never decrypts
        other = crm_connections.opened(s, TokenCipher(Fernet.generate_key().decode()), "T1")[0]
        assert other.undecryptable and other.secret is None
        assert crm_connections.opened(s, None, "T1")[0].undecryptable


def test_rotation_reencrypts_with_the_first_key(sessions: sessionmaker[Session], cipher: TokenCipher) -> None:
    with sessions.begin() as s:
        ensure_workspace(s, "T1")
        crm_connections.save(
            s, cipher, "T1", "hubspot", secret=SECRET, base_url="x", interval_minutes=60, now=NOW
        )
    new = Fernet.generate_key().decode()
    with sessions.begin() as s:
        assert crm_connections.rotate(s, TokenCipher(f"{new},{KEY}")) == 1
    with sessions() as s:
        assert crm_connections.opened(s, TokenCipher(new), "T1")[0].secret == SECRET
        assert crm_connections.opened(s, cipher, "T1")[0].undecryptable


def test_a_secret_in_a_crm_error_reaches_no_log_no_row_no_message(
    engine: Engine, sessions: sessionmaker[Session], cipher: TokenCipher, caplog: pytest.LogCaptureFixture,
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    with sessions.begin() as s:
        ensure_workspace(s, "T1")
        crm_connections.save(
            s, cipher, "T1", "hubspot", secret=SECRET, base_url="x", interval_minutes=60, now=NOW
        )

    class Leaky:  # a CRM whose refusal echoes the token it was given
        source = "hubspot"

        def __init__(self, token: str) -> None:
            self.token = token

        def records(self, kind: str, since: Any = None, *, resume: Any = None) -> Any:
            raise AuthFailed("hubspot", f"HubSpot refused the access token {self.token} (401: expired)")

        def count(self, kind: str) -> int:
            return 0

        def close(self) -> None:
            pass

    caplog.set_level(logging.DEBUG)
    with sessions() as s:
        JOBS["crm_sync"](s, NOW, DEFAULT_THRESHOLDS, worker="w", listed_admins=lambda t: {"UADMIN"}, cipher=cipher,
                         clients=lambda conn: Leaky(conn.secret or ""))  # fmt: skip
    with sessions() as s:
        row = s.scalars(select(CrmConnection)).one()
        told = s.scalars(select(OutboxMessage)).all()
    assert row.failure == "auth" and "[redacted]" in (row.last_error or "")
    assert len(told) == 1 and "[redacted]" in told[0].facts["error"]
    assert SECRET not in caplog.text
    assert SECRET not in dump(engine)
    monkeypatch.chdir(tmp_path)
    status = CliRunner().invoke(app, ["crm", "status"], env={"DATABASE_URL": db_url, "COLUMNS": "400"})
    assert status.exit_code == 0, status.output
    assert "auth" in status.output and "Fix:" in status.output and SECRET not in status.output


@pytest.fixture
def cli(
    db_url: str, fake: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "SLACK_TEAM_ID": None, "COLUMNS": "250", "HUBSPOT_TOKEN": SECRET,
           "HUBSPOT_BASE_URL": fake.base_url, "TOKEN_ENCRYPTION_KEYS": KEY}  # fmt: skip

    def invoke(*args: str, **extra: str | None) -> Any:
        return runner.invoke(app, list(args), env={**env, **extra})

    return invoke


def rows(db_url: str) -> list[CrmConnection]:
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        out = list(s.scalars(select(CrmConnection)))
    engine.dispose()
    return out


def test_connect_save_status_disconnect(cli: Callable[..., Any], fake: FakeHubSpot, db_url: str) -> None:
    assert "No saved CRM connection" in cli("crm", "status").output
    saved = cli("crm", "connect", "hubspot", "--team", "T1", "--save", "--interval", "30")
    assert saved.exit_code == 0, saved.output
    assert "Saved the hubspot connection of T1" in saved.output and SECRET not in saved.output
    [row] = rows(db_url)
    assert (row.team_id, row.source, row.base_url, row.interval_minutes) == (
        "T1",
        "hubspot",
        fake.base_url,
        30,
    )
    assert row.secret != SECRET and TokenCipher(KEY).decrypt(row.secret) == SECRET
    status = cli("crm", "status", "--team", "T1")
    assert status.exit_code == 0 and "T1" in status.output and "30 min" in status.output
    assert SECRET not in status.output
    gone = cli("crm", "disconnect", "hubspot", "--team", "T1")
    assert gone.exit_code == 0, gone.output
    assert rows(db_url) == []
    again = cli("crm", "disconnect", "hubspot", "--team", "T1")
    assert again.exit_code == 1 and "no saved hubspot connection" in again.output


def test_save_needs_the_keys_and_good_credentials(
    cli: Callable[..., Any], fake: FakeHubSpot, db_url: str
) -> None:
    no_keys = cli("crm", "connect", "hubspot", "--team", "T1", "--save", TOKEN_ENCRYPTION_KEYS=None)
    assert no_keys.exit_code == 1 and "TOKEN_ENCRYPTION_KEYS" in no_keys.output
    refused = cli(
        "crm", "connect", "hubspot", "--team", "T1", "--save", HUBSPOT_TOKEN=TOKEN
    )  # not the fake's
    assert refused.exit_code == 1 and "401" in refused.output
    assert rows(db_url) == []
    plain = cli("crm", "connect", "hubspot", "--team", "T1")  # without --save: checked, nothing stored
    assert plain.exit_code == 0, plain.output
    assert rows(db_url) == []


def test_tokens_rotate_reencrypts_the_saved_connections(cli: Callable[..., Any], db_url: str) -> None:
    assert cli("crm", "connect", "hubspot", "--team", "T1", "--save").exit_code == 0
    new = Fernet.generate_key().decode()
    wrong = cli(
        "tokens", "rotate", TOKEN_ENCRYPTION_KEYS=new
    )  # the saved key left out: refused, nothing lost
    assert wrong.exit_code == 1 and "opens with none of" in wrong.output
    rotated = cli("tokens", "rotate", TOKEN_ENCRYPTION_KEYS=f"{new},{KEY}")
    assert rotated.exit_code == 0 and "1 saved CRM connection(s)" in rotated.output, rotated.output
    [row] = rows(db_url)
    assert TokenCipher(new).decrypt(row.secret) == SECRET
