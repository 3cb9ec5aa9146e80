"""`accountbot crm connect hubspot|salesforce [--team T --save]`, `crm disconnect`, `crm status` and
`accountbot crm sync [--team T] [--source S] [--full]`: the live CRM sync (issue 16, docs/crm-sync.md). The
settings (HUBSPOT_TOKEN, SALESFORCE_*) become the clients' constructor arguments here, and `--save` stores them
per workspace, the secret encrypted (storage.crm_connections), for the scheduled crm_sync job; jobs.crm_sync
does the sync."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from accountbot.cli.common import console, fail, open_runtime, resolve_team, settings_or_exit
from bot.settings import Settings
from crm.errors import AllocationLimitReached, AuthFailed, CrmError, DailyLimitReached
from crm.fields import HUBSPOT_OWNERS
from jobs.crm_sync import OWNER_OBJECTS, SyncReport, SyncStopped, fix_of, plan, sync
from storage import crm_connections, sync_state
from storage.crypto import TokenCipher
from storage.db import ensure_workspace, utcnow
from storage.importing.sync import Synced

SOURCES = ("hubspot", "salesforce")


def configured(settings: Settings) -> list[str]:
    """The CRMs whose credentials are set."""
    out = []
    if settings.hubspot_token is not None and settings.hubspot_token.get_secret_value():
        out.append("hubspot")
    if settings.salesforce_consumer_key and settings.salesforce_username:
        out.append("salesforce")
    return out


def client_for(source: str, settings: Settings) -> Any:
    """A client of `source` from the settings; typer.Exit with what to set when something is missing."""
    if source == "hubspot":
        from crm.hubspot import HubSpotClient

        if settings.hubspot_token is None or not settings.hubspot_token.get_secret_value():
            raise fail(
                "HubSpot needs HUBSPOT_TOKEN: a Service Key with the read scopes (see docs/crm-sync.md)."
            )
        return HubSpotClient(settings.hubspot_token.get_secret_value(), settings.hubspot_base_url)
    if source == "salesforce":
        from crm.salesforce import SalesforceClient

        settings.require("salesforce_consumer_key", "salesforce_username", "salesforce_private_key_file")
        return SalesforceClient(
            settings.salesforce_login_url,
            settings.salesforce_consumer_key or "",
            settings.salesforce_username or "",
            private_key_file=settings.salesforce_private_key_file,
        )
    raise fail(f"{source!r} is not a CRM the sync knows: use one of {', '.join(SOURCES)}")


def cipher_or_exit(settings: Settings) -> TokenCipher:
    """TOKEN_ENCRYPTION_KEYS' cipher; typer.Exit saying how to set it when it is missing or malformed."""
    keys = settings.token_encryption_keys.get_secret_value() if settings.token_encryption_keys else ""
    if not keys.strip():
        raise fail("--save stores the secret encrypted: set TOKEN_ENCRYPTION_KEYS first "
                   "(`accountbot tokens new-key` prints a key).")  # fmt: skip
    try:
        return TokenCipher(keys)
    except ValueError as exc:
        raise fail(str(exc)) from None


def secret_of(source: str, settings: Settings) -> str:
    """What `--save` encrypts: the HubSpot token, or the Salesforce private key file's PEM."""
    if source == "hubspot":
        return settings.hubspot_token.get_secret_value() if settings.hubspot_token else ""
    try:
        return Path(settings.salesforce_private_key_file or "").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"the private key file {settings.salesforce_private_key_file} cannot be read: "
                   f"{type(exc).__name__}") from None  # fmt: skip


def _save(settings: Settings, cipher: TokenCipher, source: str, team: str | None, interval: int) -> None:
    rt = open_runtime(settings)
    with rt.sessions.begin() as session:
        team_id = resolve_team(session, rt.settings, team, create=True)
        ensure_workspace(session, team_id)
        crm_connections.save(
            session, cipher, team_id, source, secret=secret_of(source, settings),
            base_url=settings.hubspot_base_url if source == "hubspot" else settings.salesforce_login_url,
            consumer_key=settings.salesforce_consumer_key if source == "salesforce" else None,
            username=settings.salesforce_username if source == "salesforce" else None,
            interval_minutes=interval, now=utcnow(), saved_by="cli",
        )  # fmt: skip
    console.print(
        f"Saved the {source} connection of {team_id} (its secret encrypted): the crm_sync job syncs it every "
        f"{interval} minutes. `accountbot crm status --team {team_id}` shows how it goes.",
        highlight=False, markup=False,
    )  # fmt: skip


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _skipped(s: Synced) -> str:
    total = sum(s.skipped.values())
    if not total:
        return "0"
    return f"{total} (" + ", ".join(f"{reason} {n}" for reason, n in sorted(s.skipped.items())) + ")"


def print_report(report: SyncReport) -> None:
    table = Table(
        "Object", "Read", "Created", "Updated", "Unchanged", "Skipped", "Requests", "Watermark",
        title=f"{report.source} -> {report.team_id}" + (" (full)" if report.full else ""),
    )  # fmt: skip
    for s in report.objects:
        users = s.obj in OWNER_OBJECTS
        table.add_row(
            s.obj,
            str(s.read if not users else s.unchanged + sum(s.skipped.values())),
            "-" if users else str(s.created),
            "-" if users else str(s.updated),
            "-" if users else str(s.unchanged),
            Text(_skipped(s)),
            str(s.requests),
            f"{s.watermark:%Y-%m-%d %H:%M:%S}" if s.watermark else "-",
        )
    console.print(table)
    unresolved: Counter[tuple[str, str]] = Counter()
    for s in report.objects:
        unresolved.update(s.unresolved)
    if unresolved:
        console.print(
            Text(
                "owners not resolved (left empty): "
                + ", ".join(f"{who} ({why}) x{n}" for (who, why), n in sorted(unresolved.items()))
            )
        )
    for s in report.objects:
        for message in s.warnings:
            console.print(Text(f"{s.obj}: {message}"))


def register(app: typer.Typer) -> None:
    crm = typer.Typer(help="The live CRM sync: HubSpot and Salesforce.", no_args_is_help=True)

    @crm.command("connect")
    def connect(
        source: str = typer.Argument(..., help="hubspot or salesforce"),
        team: str | None = typer.Option(None, "--team", help="Slack team id (default: SLACK_TEAM_ID)."),
        save: bool = typer.Option(
            False, "--save", help="Store the connection, encrypted, for the workspace's scheduled crm_sync job."
        ),
        interval: int | None = typer.Option(
            None, "--interval", min=5, max=1440,
            help="With --save: minutes between syncs (default: CRM_SYNC_INTERVAL_MINUTES, 60).",
        ),
    ) -> None:  # fmt: skip
        """Check the credentials and the read scopes, and count the records of each kind the sync reads; with
        --save, store the connection (its secret encrypted) for the workspace's scheduled sync."""
        source = source.casefold()
        if source not in SOURCES:
            raise fail(f"{source!r}: use one of {', '.join(SOURCES)}")
        settings = settings_or_exit()
        cipher = cipher_or_exit(settings) if save else None
        refused: list[str] = []
        table = Table("Object", "Can read", "Records")
        with client_for(source, settings) as client:
            for obj, _profile in plan(source):
                try:
                    if obj == HUBSPOT_OWNERS:
                        n = sum(len([r for r in p.records if not r["deleted"]]) for p in client.records(obj))
                    else:
                        n = client.count(obj)
                except AuthFailed as exc:
                    refused.append(f"{obj}: {_one_line(exc)}")
                    table.add_row(obj, "no", "-")
                    continue
                except CrmError as exc:
                    raise fail(f"{source}: {_one_line(exc)}") from None
                table.add_row(obj, "yes", f"{n:,}")
        console.print(table)
        console.print(
            "Can write: nothing yet (write-back of logged touches is not built; the sync only reads)."
        )
        if refused:
            raise fail(f"{source} refused {len(refused)} object(s): " + " | ".join(refused))
        if cipher is not None:
            _save(settings, cipher, source, team, interval or settings.crm_sync_interval_minutes)

    @crm.command("disconnect")
    def disconnect(
        source: str = typer.Argument(..., help="hubspot or salesforce"),
        team: str | None = typer.Option(None, "--team", help="Slack team id (default: SLACK_TEAM_ID)."),
    ) -> None:
        """Remove the workspace's saved connection: the scheduled sync stops (what was synced stays, and so do
        the watermarks: connecting again goes on from them)."""
        source = source.casefold()
        if source not in SOURCES:
            raise fail(f"{source!r}: use one of {', '.join(SOURCES)}")
        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team)
            removed = crm_connections.remove(session, team_id, source)
        if not removed:
            raise fail(f"{team_id} has no saved {source} connection (`accountbot crm status` lists them).")
        console.print(f"Removed the {source} connection of {team_id}: the scheduled sync no longer reads it.",
                      highlight=False, markup=False)  # fmt: skip

    @crm.command("status")
    def status(
        team: str | None = typer.Option(None, "--team", help="Only this workspace (default: every one)."),
    ) -> None:
        """The saved connections (never their secrets): how often, the last run, the problem and its fix, and
        each object's watermark, last sync and last error."""
        rt = open_runtime()
        with rt.sessions() as session:
            conns = crm_connections.connections(session, team)
            positions = {
                (c.team_id, c.source): sync_state.positions(session, c.team_id, c.source) for c in conns
            }
        if not conns:
            where = f" for {team}" if team else ""
            console.print(f"No saved CRM connection{where}: `accountbot crm connect hubspot|salesforce --team T "
                          "--save` stores one.", highlight=False, markup=False)  # fmt: skip
            return
        table = Table("Workspace", "CRM", "Where", "User", "Every", "Last run", "Last OK", "Problem",
                      title="Saved CRM connections")  # fmt: skip
        for c in conns:
            problem = "-"
            if c.last_error:
                problem = (f"{c.failure}: " if c.failure else "") + c.last_error[:300]
                if c.failure:
                    problem += f" Fix: {fix_of(c.failure, c.source, c.team_id)}"
            table.add_row(Text(c.team_id), c.source, Text(c.base_url), Text(c.username or "-"),
                          f"{c.interval_minutes} min", _when(c.last_run_at), _when(c.last_ok_at), Text(problem))  # fmt: skip
        console.print(table)
        for c in conns:
            marks = Table(
                "Object", "Watermark", "Last sync", "Last error", title=f"{c.source} -> {c.team_id}"
            )
            for obj, pos in sorted(positions[(c.team_id, c.source)].items()):
                marks.add_row(obj, _when(pos.watermark), _when(pos.last_sync_at), Text(pos.last_error or "-"))
            console.print(marks)

    @crm.command("sync")
    def sync_cmd(
        team: str | None = typer.Option(None, "--team", help="Slack team id (default: SLACK_TEAM_ID)."),
        source: str | None = typer.Option(
            None, "--source", help="hubspot or salesforce (default: every one set up)."
        ),
        full: bool = typer.Option(False, "--full", help="Forget the watermarks: read everything again."),
    ) -> None:
        """Read what changed in the CRM since the last sync (everything the first time) into the workspace, one
        transaction a page, through the file import's mapping and reason codes."""
        settings = settings_or_exit()
        sources = [source.casefold()] if source else configured(settings)
        if not sources:
            raise fail(
                "no CRM is set up: set HUBSPOT_TOKEN, or SALESFORCE_CONSUMER_KEY, SALESFORCE_USERNAME and "
                "SALESFORCE_PRIVATE_KEY_FILE (see docs/crm-sync.md)."
            )
        for s in sources:
            if s not in SOURCES:
                raise fail(f"--source {s!r}: use one of {', '.join(SOURCES)}")
        rt = open_runtime(settings)
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team, create=True)
            ensure_workspace(session, team_id)
        for s in sources:
            with client_for(s, rt.settings) as client:
                try:
                    report = sync(
                        rt.sessions,
                        team_id,
                        client,
                        now=utcnow(),
                        thresholds=rt.settings.thresholds,
                        full=full,
                    )
                except SyncStopped as stopped:
                    if stopped.report.objects:
                        print_report(stopped.report)
                    what = (
                        "rate limit"
                        if isinstance(stopped.error, DailyLimitReached | AllocationLimitReached)
                        else "error"
                    )
                    raise fail(
                        f"{s} sync stopped at {stopped.obj} ({what}): {_one_line(stopped.error)} "
                        "The watermark is kept: the next sync goes on from the last page written."
                    ) from None
                except CrmError as exc:
                    raise fail(f"{s}: {_one_line(exc)}") from None
            print_report(report)

    app.add_typer(crm, name="crm")
