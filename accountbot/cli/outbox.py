"""`accountbot outbox [--dead]` and `accountbot outbox retry ID`."""

from __future__ import annotations

import json
from datetime import timedelta

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from accountbot.cli.common import (
    RowIdArgument,
    TeamOption,
    console,
    err_console,
    fail,
    open_runtime,
    print_unreachable,
    resolve_team,
)
from accounts.dead_letters import summarize
from bot.redaction import redact
from storage import holds
from storage.db import utcnow
from storage.queues import outbox as store
from storage.reads.slack_users import unreachable_owners


def _age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def register(app: typer.Typer) -> None:
    outbox_app = typer.Typer(
        help="Messages waiting to be sent, sent, or dead-lettered.", invoke_without_command=True
    )

    @outbox_app.callback()
    def show(
        ctx: typer.Context,
        dead: bool = typer.Option(False, "--dead", help="Only dead-lettered messages (with the reason)."),
        status: str | None = typer.Option(None, "--status", help="Only pending|sending|sent|dead."),
        limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="At most this many, newest first."),
        team: str | None = TeamOption,
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List outbox messages, newest first (dead ones with `--dead`)."""
        if ctx.invoked_subcommand is not None:
            return
        if dead:
            status = "dead"
        if status is not None and status not in store.STATUSES:
            raise fail(f"--status {status!r}: use one of {', '.join(store.STATUSES)}.")
        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team)
            rows = store.list_messages(session, team_id=team_id, status=status, limit=limit)
            counts = store.count_by_status(session, team_id=team_id)
            on_hold = holds.held(session, team_id=team_id)
            unreachable = unreachable_owners(session, team_id)
            everywhere = store.waiting_by_team(session)  # counts of every workspace, so none waits unseen
            week_dead = summarize(
                "",
                store.dead_since(
                    session, team_id=team_id, since=utcnow() - timedelta(days=7), until=utcnow()
                ),
            )
            data = [
                {
                    "id": r.id,
                    "status": r.status,
                    "kind": r.kind,
                    "recipient": r.recipient,
                    "attempts": r.attempts,
                    "created_at": r.created_at.isoformat(timespec="seconds"),
                    "next_attempt_at": r.next_attempt_at.isoformat(timespec="seconds"),
                    "sent_at": r.sent_at.isoformat(timespec="seconds") if r.sent_at else None,
                    "slack_ts": r.slack_ts,
                    "last_error": redact(r.last_error)
                    if r.last_error
                    else None,  # rows stored before redaction
                }
                for r in rows
            ]
        if on_hold is not None:  # on stderr with --json, so the JSON stays a list
            since = on_hold.since.isoformat(timespec="seconds") if on_hold.since else "?"
            notice = f"On hold since {since}: {on_hold.reason}"
            if as_json:
                typer.echo(notice, err=True)
            else:
                console.print(Text(notice, style="bold red"))
        print_unreachable(err_console if as_json else console, team_id, unreachable)  # --json: on stderr
        if as_json:
            typer.echo(json.dumps(data, indent=2))
            return
        if week_dead is not None:
            console.print(Text(f"Given up in the last 7 days: {week_dead['total']}"))
            for r in week_dead["reasons"]:
                console.print(Text(f"  {r['reason']} ({r['count']}): {r['fix']}"))
        if everywhere:
            now = utcnow()
            parts = [
                f"{team} {b.waiting} (oldest {_age(now - b.oldest_waiting_at) if b.oldest_waiting_at else '?'})"
                for team, b in sorted(everywhere.items())
            ]
            console.print(Text("Waiting to be sent, every workspace: " + ", ".join(parts)))
        summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in store.STATUSES)
        table = Table(box=box.SIMPLE_HEAD, title=Text(f"outbox of {team_id}: {summary}"))
        for col in ("ID", "Status", "Kind", "To", "Tries", "Created", "Sent / next try", "Last error"):
            table.add_column(col)
        for d in data:
            when = d["sent_at"] if d["status"] == "sent" else d["next_attempt_at"]
            table.add_row(
                str(d["id"]),
                str(d["status"]),
                Text(str(d["kind"])),
                Text(str(d["recipient"])),
                str(d["attempts"]),
                str(d["created_at"]),
                str(when),
                Text(str(d["last_error"] or "")),
            )
        console.print(table)
        if dead and data:
            console.print("Retry one with: accountbot outbox retry ID")

    @outbox_app.command("retry")
    def retry(
        message_id: int = RowIdArgument("The id shown by `accountbot outbox --dead`."),
        team: str | None = TeamOption,
    ) -> None:
        """Put a dead-lettered message back in the queue (the relay sends it within seconds)."""
        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team)
            row = store.retry(session, team_id=team_id, message_id=message_id, now=utcnow())
            if row is None:
                found = store.find_message(session, team_id=team_id, message_id=message_id)
                if found is None:
                    raise fail(
                        f"no outbox message {message_id} in workspace {team_id} (see `accountbot outbox`)."
                    )
                raise fail(
                    f"outbox message {message_id} is {found.status}, not dead; only dead messages can be retried."
                )
        console.print(f"outbox message {message_id} queued again.")

    app.add_typer(outbox_app, name="outbox")
