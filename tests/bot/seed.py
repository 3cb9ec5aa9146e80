"""Small, explicit data builders for the Slack-face tests (storage views/edits and end-to-end commands)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from storage.db import ensure_workspace
from storage.models import Account, Contact, Interaction
from storage.reads.accounts import name_key
from storage.writes.edits import touch_dedup_key
from tests.conftest import NOW

TEAM = "T0AAA1111"
OTHER_TEAM = "T0BBB2222"
OWNER = "U0OWNER01"
ADMIN = "U0ADMIN01"
STRANGER = "U0OTHER01"


def account(session: Session, name: str, team: str = TEAM, **fields: Any) -> Account:
    ensure_workspace(session, team)
    acc = Account(
        team_id=team,
        name=name,
        name_key=name_key(name),
        stage=fields.pop("stage", "client"),
        aliases=fields.pop("aliases", []),
        exclusions=[],
        created_at=NOW - timedelta(days=400),
        updated_at=NOW - timedelta(days=400),
        **fields,
    )
    session.add(acc)
    session.flush()
    return acc


def contact(
    session: Session, acc: Account, name: str, role: str = "user", title: str | None = None
) -> Contact:
    c = Contact(
        team_id=acc.team_id,
        account_id=acc.id,
        name=name,
        name_key=name_key(name),
        role=role,
        title=title,
        active=True,
    )
    session.add(c)
    session.flush()
    return c


def touch(
    session: Session,
    acc: Account,
    days_ago: float,
    kind: str = "meeting",
    who: Contact | None = None,
    colleague: str = OWNER,
    note: str | None = None,
) -> Interaction:
    when = NOW - timedelta(days=days_ago)
    row = Interaction(
        team_id=acc.team_id,
        account_id=acc.id,
        occurred_at=when,
        kind=kind,
        contact_id=who.id if who else None,
        colleague=colleague,
        note=note,
        created_by=colleague,
        dedup_key=touch_dedup_key(acc.id, when, kind, who.id if who else None, colleague, note),
    )
    session.add(row)
    session.flush()
    return row


def portfolio(session: Session, team: str = TEAM) -> dict[str, Account]:
    """A small realistic workspace: two key accounts, a B, a C, a prospect; one with contacts and touches."""
    accs = {
        "Acme Corp": account(
            session,
            "Acme Corp",
            team,
            owner_user_id=OWNER,
            annual_revenue=2_000_000,
            wallet_share=40,
            profit_margin=30,
            strategic_value="high",
            pain_factor="low",
            aliases=["ACME", "Acme Inc"],
            sponsor_user_id=OWNER,
            sponsor_level="executive",
        ),
        "Globex": account(
            session,
            "Globex",
            team,
            owner_user_id=OWNER,
            annual_revenue=1_500_000,
            wallet_share=80,
            profit_margin=12,
        ),
        "Initech": account(
            session,
            "Initech",
            team,
            owner_user_id=STRANGER,
            annual_revenue=400_000,
            profit_margin=5,
            pain_factor="high",
        ),
        "Umbrella": account(
            session,
            "Umbrella",
            team,
            owner_user_id=OWNER,
            annual_revenue=300_000,
            wallet_share=55,
            profit_margin=15,
        ),
        "Hooli": account(session, "Hooli", team, stage="prospect", owner_user_id=OWNER, prospect_fit="ideal"),
    }
    acme = accs["Acme Corp"]
    jane = contact(session, acme, "Jane Doe", "decision_maker", "CFO")
    bob = contact(session, acme, "Bob Stone", "user", "Buyer")
    touch(session, acme, 40, "meeting", jane, note="renewal talk")
    touch(session, acme, 20, "call", bob)
    touch(session, accs["Umbrella"], 10, "email")
    return accs


def all_text(payload: object) -> str:
    """Every string inside a Slack payload (text, blocks, fields, buttons), joined: for assertions."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload)
    return "\n".join(out)


def action_ids(payload: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    for block in payload.get("blocks") or []:
        for element in block.get("elements") or []:
            if "action_id" in element:
                ids.append(element["action_id"])
        accessory = block.get("accessory") or {}
        if "action_id" in accessory:
            ids.append(accessory["action_id"])
    return ids
