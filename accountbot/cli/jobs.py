"""`accountbot jobs list` and `accountbot jobs run NAME [--at ISO8601] [--team T] [--dry-run] [--json]`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from accountbot.cli.common import console, err_console, fail, open_runtime, print_unreachable
from bot.delivery import Delivered, deliver, reach, sync_directory
from bot.redaction import redact
from jobs import digest
from jobs.registry import JOBS
from jobs.runner import JobResult, team_ids
from jobs.scheduler import cipher_of
from storage.db import utcnow, workspace_ids
from storage.queues.ledger import recent_runs
from storage.queues.outbox import dedup_key
from storage.reads.slack_users import unreachable_owners

MIN_YEAR, MAX_YEAR = 1900, 9998


def parse_instant(value: str | None) -> datetime:
    """--at: ISO 8601; a time without an offset is taken as UTC; default now."""
    if value is None:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise fail(
            f"--at {value!r} is not an ISO 8601 instant; use e.g. 2026-11-24T09:00:00+01:00 or 2026-11-24T08:00Z"
        ) from None
    try:
        instant = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59-01:00 is past the last representable instant in UTC
        instant = None
    if instant is None or not MIN_YEAR <= instant.year <= MAX_YEAR:
        # the jobs look weeks and months back and ahead of the instant; keep that within the calendar
        raise fail(
            f"--at {value!r} is out of range; give an instant between the years {MIN_YEAR} and {MAX_YEAR}."
        )
    return instant


def messages_json(result: JobResult) -> list[dict[str, Any]]:
    """What was (or would be) sent. digest: the per-recipient section lists; other jobs: one object per
    message with its kind and facts."""
    if result.job == digest.NAME:
        return digest.dry_run_json(result)
    return [
        {"team": team, "recipient": m.recipient, "kind": m.kind, "period": m.period, "facts": m.facts}
        for team, m in result.messages
    ]


def register(app: typer.Typer) -> None:
    jobs_app = typer.Typer(
        help="Scheduled jobs (digest, weekly_focus, tier_watch, portfolio_report).", no_args_is_help=True
    )

    @jobs_app.command("list")
    def list_jobs(
        team: str | None = typer.Option(None, "--team", help="Also show this workspace's latest runs."),
    ) -> None:
        """The jobs, when they run, and their latest ledger entries."""
        table = Table(box=box.SIMPLE_HEAD)
        for col in ("Job", "Schedule (UTC ticks)", "What it does"):
            table.add_column(col)
        for spec in JOBS.values():
            table.add_row(spec.name, spec.schedule, spec.description)
        console.print(table)
        rt = open_runtime()
        with rt.sessions.begin() as session:
            teams = [team] if team else workspace_ids(session)
            runs = [(t, r) for t in teams for r in recent_runs(session, team_id=t, limit=10)]
        if runs:
            last = Table(box=box.SIMPLE_HEAD, title="Latest runs")
            for col in ("Workspace", "Job", "Period", "Status", "Started", "By"):
                last.add_column(col)
            for t, r in runs:
                last.add_row(
                    Text(t),
                    r.job,
                    Text(r.period),
                    r.status,
                    r.started_at.isoformat(timespec="seconds"),
                    Text(r.claimed_by or ""),
                )
            console.print(last)

    @jobs_app.command("run")
    def run_job(
        name: str = typer.Argument(..., help="Job name (see `accountbot jobs list`)."),
        at: str | None = typer.Option(None, "--at", help="Run as of this ISO 8601 instant (default: now)."),
        team: str | None = typer.Option(
            None, "--team", help="Only this workspace (default: SLACK_TEAM_ID, else all)."
        ),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Record and send nothing; show what would be sent."
        ),
        queue_only: bool = typer.Option(
            False, "--queue-only", help="Queue the messages and leave delivery to a running `accountbot run`."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the messages as JSON."),
    ) -> None:
        """Run one job once as of an instant, under the same once-per-period rules as the scheduler: sync the
        owner directory, run the job, then deliver what it queued through the relay (unless --queue-only)."""
        spec = JOBS.get(name)
        if spec is None:
            raise fail(f"unknown job {name!r}; the jobs are: {', '.join(JOBS)}.")
        if dry_run and queue_only:
            raise fail("--dry-run sends and queues nothing; --queue-only queues without sending: choose one.")
        now = parse_instant(at)
        rt = open_runtime()
        team = team or rt.settings.slack_team_id
        delivering = not dry_run and not queue_only
        with rt.sessions() as session:
            known = workspace_ids(session)
            if team and team not in known:
                raise fail(f"no workspace {team!r} in the database; known: {', '.join(known) or 'none'}.")
            teams = team_ids(session, team)
        access = reach(rt.settings, rt.sessions, teams)
        if delivering and not access.clients:
            why = (
                "; ".join(f"{t}: {reason}" for t, reason in access.missing.items())
                or "no workspace to run for"
            )
            raise fail(
                f"cannot deliver ({why}). Use --queue-only to leave delivery to a running bot, or --dry-run to "
                "see what would be sent."
            )
        notes: list[str] = []
        for t, client in access.clients.items():
            synced = sync_directory(rt.sessions, client, t, rt.settings)
            if synced.failed or synced.more:
                notes.append(f"{t}: the directory sync could not finish ({synced.failed} lookup(s) failed)")
        for t, reason in access.missing.items():
            if delivering:
                notes.append(f"{t}: skipped, {reason}")
            else:
                notes.append(
                    f"{t}: directory not synced ({reason}); owners whose time zone is unknown are not due"
                )
        served = list(access.clients) if delivering else None
        session = rt.sessions()
        try:
            result = spec(
                session,
                now,
                rt.settings.thresholds,
                team_id=team,
                dry_run=dry_run,
                listed_admins=rt.settings.listed_admins,
                served=served,
                cipher=cipher_of(rt.settings),
            )
            unreachable = {t: unreachable_owners(session, t) for t in (served or teams)}
        finally:
            session.close()
        delivered = {}
        if delivering:
            for t in sorted({t for t, _ in result.messages}):
                keys = [
                    dedup_key(m.kind, m.recipient, m.account_id, m.period)
                    for tt, m in result.messages
                    if tt == t
                ]
                delivered[t] = deliver(rt.sessions, access.clients[t], t, keys)
        out = console if not as_json else err_console
        for note in notes:
            out.print(f"note: {note}", highlight=False, markup=False)
        for t, people in unreachable.items():
            print_unreachable(out, t, people)
        if as_json:
            typer.echo(json.dumps(messages_json(result), indent=2, default=str))
        else:
            _print_result(spec.name, now, result, dry_run, queue_only)
        for t, d in delivered.items():
            _print_delivered(out, t, d)

    app.add_typer(jobs_app, name="jobs")


def _print_result(name: str, now: datetime, result: JobResult, dry_run: bool, queue_only: bool) -> None:
    verb = "would send" if dry_run else "queued"
    console.print(
        f"{name} as of {now.isoformat(timespec='seconds')}: {result.claimed} period(s) due and not yet done, "
        f"{len(result.messages)} message(s) {verb}"
        + ("" if dry_run else f" ({result.enqueued} new in the outbox)")
    )
    for _team, m in result.messages:
        console.print(f"  {m.kind} -> {m.recipient} ({m.period})", highlight=False, markup=False)
    if result.held_elsewhere:
        _print_held_elsewhere(result.held_elsewhere)
    if queue_only and result.messages:
        console.print("Nothing was sent: a running `accountbot run` delivers them (see `accountbot outbox`).")


def _print_held_elsewhere(held: list[tuple[str, str, str | None, datetime | None]]) -> None:
    """Periods skipped because another run's claim is live: it may still be working, or it died before it
    could mark them failed (the database dropped) and they wait for its lease to end."""
    until = max((u for *_, u in held if u is not None), default=None)
    workers = sorted({by or "?" for _, _, by, _ in held})
    console.print(
        f"{len(held)} due period(s) skipped: another run holds them ({', '.join(workers)}). If that run is not "
        "working any more (it stopped when the database dropped), they are taken over when its claim ends"
        + (f" at {until.isoformat(timespec='seconds')}: run this again then." if until else "."),
        highlight=False,
        markup=False,
    )
    for team, period, _, _ in held[:10]:
        console.print(f"  {team} {period}", highlight=False, markup=False)


def _print_delivered(out: Console, team: str, d: Delivered) -> None:
    out.print(
        f"{team}: sent {len(d.sent)}, dead {len(d.dead)}, still waiting {len(d.waiting)}", highlight=False
    )
    for row in d.sent:
        out.print(f"  sent {row.kind} -> {row.recipient} (outbox {row.id})", highlight=False, markup=False)
    for row in d.dead:
        out.print(
            f"  dead {row.kind} -> {row.recipient}: {redact(row.last_error or '')}",
            highlight=False,
            markup=False,
        )
    for row in d.waiting:
        why = redact(row.last_error or "not attempted yet")
        out.print(
            f"  waiting {row.kind} -> {row.recipient} ({why}); a running bot or the next run sends it",
            highlight=False,
            markup=False,
        )
