"""`accountbot workspace list|purge` and `accountbot tokens new-key|rotate`: the workspaces the bot serves,
what stops them (storage.holds), removing one's data for good, and the keys of the stored tokens."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from accountbot.cli.common import TEAM_ID, console, fail, open_runtime, settings_or_exit
from storage import holds
from storage.db import workspace_ids
from storage.models import Workspace
from storage.workspaces import accounts_per_workspace, rows_of
from storage.workspaces import purge as purge_workspace


def register(app: typer.Typer) -> None:
    workspace = typer.Typer(
        help="The workspaces in the database: list them, purge one's data.", no_args_is_help=True
    )
    tokens = typer.Typer(help="The keys that encrypt stored tokens (OAuth mode).", no_args_is_help=True)

    @workspace.command("list")
    def list_workspaces() -> None:
        """Every workspace with its accounts and, when it is on hold, why (and since when)."""
        rt = open_runtime()
        with rt.sessions() as session:
            teams = workspace_ids(session)
            held = holds.held_workspaces(session, team_ids=teams)
            counts = accounts_per_workspace(session)
        table = Table("Team", "Accounts", "State")
        for team in teams:
            hold = held.get(team)
            state = (
                f"on hold since {hold.since:%Y-%m-%d %H:%M}: {hold.reason}"
                if hold and hold.since
                else "active"
            )
            table.add_row(team, str(counts.get(team, 0)), Text(state))
        console.print(table)

    @workspace.command("purge")
    def purge(
        team: str = typer.Argument(..., help="The Slack team id whose data goes, e.g. T0123ABCD."),
        yes: bool = typer.Option(False, "--yes", help="Do it (without it, only say what would go)."),
        force: bool = typer.Option(
            False, "--force", help="Also for a workspace the app was not removed from."
        ),
    ) -> None:
        """Delete every row of one workspace (accounts, contacts, touches, outbox, feeds, its stored tokens). Only for
        a workspace the app was removed from, unless --force; nothing happens without --yes."""
        if not TEAM_ID.fullmatch(team):
            raise fail(f"{team!r} is not a Slack team id: use 1 to 32 letters or digits, such as T0123ABCD.")
        rt = open_runtime()
        with rt.sessions.begin() as session:
            if session.get(Workspace, team) is None:
                raise fail(f"no workspace {team} in the database (see `accountbot workspace list`).")
            hold = holds.held(session, team_id=team)
            if not force and (hold is None or not hold.reason.startswith(holds.REMOVED)):
                raise fail(
                    f"the app was not removed from {team}: its data is in use. Uninstall the app from that workspace "
                    "first, or pass --force to delete it anyway."
                )
            if not yes:
                would = rows_of(session, team)
                console.print(f"{team} would lose: " + ", ".join(f"{n} {t}" for t, n in would.items()))
                console.print("Nothing was deleted. Run again with --yes to delete it.")
                return
            counts = purge_workspace(session, team)
        console.print(f"Purged workspace {team}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))

    @tokens.command("new-key")
    def new_key() -> None:
        """Print a new Fernet key for TOKEN_ENCRYPTION_KEYS (put it first; keep the old ones after it)."""
        from cryptography.fernet import Fernet

        typer.echo(Fernet.generate_key().decode())

    @tokens.command("rotate")
    def rotate() -> None:
        """Re-encrypt every stored token (Slack installations, saved CRM connections) with the first key of
        TOKEN_ENCRYPTION_KEYS."""
        settings = settings_or_exit()
        from storage import crm_connections
        from storage.crypto import InvalidToken, TokenCipher

        rt = open_runtime(settings)
        try:
            cipher = TokenCipher(
                settings.token_encryption_keys.get_secret_value() if settings.token_encryption_keys else ""
            )
        except ValueError as exc:
            raise fail(str(exc)) from None
        try:
            with rt.sessions.begin() as session:
                crm = crm_connections.rotate(session, cipher)
        except InvalidToken:
            raise fail(
                "a saved CRM connection opens with none of TOKEN_ENCRYPTION_KEYS: keep the key it was saved with "
                "in the list (after the new one), or save it again (`accountbot crm connect ... --save`)."
            ) from None
        if not settings.oauth and not crm:
            raise fail(
                "no stored tokens to rotate: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are not set (OAuth mode), and "
                "no CRM connection is saved."
            )
        changed = 0
        if settings.oauth:
            from bot.installations import installation_store

            changed = installation_store(settings, rt.engine).rotate_keys()
        console.print(
            f"Re-encrypted the tokens of {changed} row(s) and {crm} saved CRM connection(s) with the first key. "
            "The older keys may go now."
        )

    app.add_typer(workspace, name="workspace")
    app.add_typer(tokens, name="tokens")
