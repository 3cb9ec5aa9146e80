"""`accountbot crm connect hubspot|salesforce` and `accountbot crm sync [--team T] [--source S] [--full]`: the
live CRM sync (issue 16, docs/crm-sync.md). The settings (HUBSPOT_TOKEN, SALESFORCE_*) become the clients'
constructor arguments here; jobs.crm_sync does the sync."""

from __future__ import annotations

from collections import Counter
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from accountbot.cli.common import console, fail, open_runtime, resolve_team, settings_or_exit
from bot.settings import Settings
from crm.errors import AllocationLimitReached, AuthFailed, CrmError, DailyLimitReached
from crm.fields import HUBSPOT_OWNERS
from jobs.crm_sync import OWNER_OBJECTS, SyncReport, SyncStopped, plan, sync
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
    def connect(source: str = typer.Argument(..., help="hubspot or salesforce")) -> None:
        """Check the credentials and the read scopes, and count the records of each kind the sync reads."""
        source = source.casefold()
        if source not in SOURCES:
            raise fail(f"{source!r}: use one of {', '.join(SOURCES)}")
        settings = settings_or_exit()
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
