"""`accountbot escalation [enable|disable|channel|manager]`: a workspace's escalation switch (off by default), the
channel an escalation goes to when the owner has no manager the bot can reach, and owners' managers by hand
(the owner directory's `manager` column fills them on import). See docs/nudges.md#escalation-and-outcomes."""

from __future__ import annotations

import json
import re

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from accountbot.cli.common import TeamOption, console, fail, open_runtime, resolve_team
from storage.db import utcnow
from storage.escalation import (
    escalation_choice,
    managers,
    managers_of,
    set_escalation,
    set_manager,
    unresolved_manager_emails,
)
from storage.reads.account_states import owners

CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,31}$")
USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


def _channel(value: str) -> str | None:
    if value.lower() == "none":
        return None
    if not CHANNEL.match(value):
        raise fail(f"{value!r} is not a channel id: give one such as C0123ABCD (Slack: channel details, at the "
                   "bottom), or none.")  # fmt: skip
    return value


def _person(value: str, what: str) -> str:
    text = value.strip()
    if USER.match(text) or EMAIL.match(text):
        return text
    raise fail(f"{what} {value!r}: give a Slack user id (U0123ABCD) or an email.")


def register(app: typer.Typer) -> None:
    esc = typer.Typer(
        help="Escalation of ignored nudges to owners' managers (off unless enabled).",
        invoke_without_command=True,
    )

    @esc.callback()
    def show(
        ctx: typer.Context, team: str | None = TeamOption, as_json: bool = typer.Option(False, "--json")
    ) -> None:
        """Whether the workspace escalates, where to, and which owners have no manager the bot can reach."""
        if ctx.invoked_subcommand is not None:
            return
        rt = open_runtime()
        with rt.sessions() as session:
            team_id = resolve_team(session, rt.settings, team)
            choice = escalation_choice(session, team_id)
            stored = managers(session, team_id)
            people = sorted(owners(session, team_id))
            reached = managers_of(session, team_id, people)
            waiting = unresolved_manager_emails(session, team_id)
        data = {
            "team": team_id,
            "enabled": choice.enabled,
            "channel": choice.channel,
            "managers": {o: {"manager": m, "source": s} for o, (m, s) in sorted(stored.items())},
            "owners_reaching_a_manager": {o: reached[o] for o in people if o in reached},
            "owners_without_a_manager": [o for o in people if o not in reached],
            "manager_emails_not_found_in_slack_yet": waiting,
        }
        if as_json:
            typer.echo(json.dumps(data, indent=2))
            return
        state = "on" if choice.enabled else "off (accountbot escalation enable)"
        console.print(Text(f"Escalation in {team_id}: {state}; channel: {choice.channel or 'none'}"))
        table = Table("Owner", "Manager", "Source", "Reached as", box=box.SIMPLE_HEAD, title=Text("Managers"))
        for o, (m, s) in sorted(stored.items()):
            table.add_row(Text(o), Text(m), s, Text(reached.get(o, "")))
        if stored:
            console.print(table)
        missing = [o for o in people if o not in reached]
        if missing:
            where = f"go to {choice.channel}" if choice.channel else "go nowhere (set a channel)"
            console.print(Text(f"{len(missing)} owner(s) without a manager the bot can reach; their escalations "
                               f"{where}: " + ", ".join(missing)))  # fmt: skip
        if waiting:
            console.print(
                Text(
                    "Managers not found in Slack yet (the directory sync looks them up): "
                    + ", ".join(waiting)
                )
            )

    @esc.command("enable")
    def enable(
        team: str | None = TeamOption,
        channel: str | None = typer.Option(
            None, "--channel", help="Where escalations go for owners without a manager."
        ),
    ) -> None:
        """Switch escalation on for the workspace (optionally with its channel)."""
        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team, create=True)
            if channel is not None:
                choice = set_escalation(
                    session, team_id, now=utcnow(), enabled=True, channel=_channel(channel), by="cli"
                )
            else:
                choice = set_escalation(session, team_id, now=utcnow(), enabled=True, by="cli")
        console.print(Text(f"Escalation is on in {team_id}; channel: {choice.channel or 'none'}."))

    @esc.command("disable")
    def disable(team: str | None = TeamOption) -> None:
        """Switch escalation off for the workspace (the default)."""
        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team)
            set_escalation(session, team_id, now=utcnow(), enabled=False, by="cli")
        console.print(Text(f"Escalation is off in {team_id}."))

    @esc.command("channel")
    def channel_cmd(
        channel: str = typer.Argument(..., help="A channel id (C0123ABCD), or none."),
        team: str | None = TeamOption,
    ) -> None:
        """Where escalations go when the owner has no manager the bot can reach (invite the bot there)."""
        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team, create=True)
            choice = set_escalation(session, team_id, now=utcnow(), channel=_channel(channel), by="cli")
        console.print(Text(f"Escalation channel of {team_id}: {choice.channel or 'none'}."))

    @esc.command("manager")
    def manager_cmd(
        owner: str = typer.Argument(
            ..., help="The owner: a Slack user id or the email their accounts carry."
        ),
        manager: str = typer.Argument(
            ..., help="Their manager: a Slack user id or an email; none forgets it."
        ),
        team: str | None = TeamOption,
    ) -> None:
        """Name an owner's manager by hand (wins over the owner directory's manager column)."""
        who = _person(owner, "owner")
        boss = None if manager.lower() == "none" else _person(manager, "manager")
        if boss is not None and boss.lower() == who.lower():
            raise fail("an owner cannot be their own manager.")
        rt = open_runtime()
        with rt.sessions.begin() as session:
            team_id = resolve_team(session, rt.settings, team, create=True)
            set_manager(session, team_id, who, boss, now=utcnow())
        console.print(Text(f"{who}'s manager in {team_id}: {boss or 'none'}."))

    app.add_typer(esc, name="escalation")
