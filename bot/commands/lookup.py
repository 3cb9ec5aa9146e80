"""The account a command names, looked up in the requester's workspace, and whether they may change it
(the rules are in bot.permissions). Both raise Refused with the reply to show."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.commands.types import Refused, Request
from bot.permissions import may_change
from bot.render.replies import render_admin_check_failed, render_ambiguous, render_not_found, render_refusal
from storage.models import Account
from storage.reads.accounts import find_account, labels
from storage.reads.contacts import contacts_of


def resolve(session: Session, team_id: str, typed: str) -> Account:
    """The account `typed` names in this workspace, or Refused with a not-found / ambiguous reply."""
    found = find_account(session, team_id, typed)
    if found.account is not None:
        return found.account
    if found.ambiguous:
        raise Refused(render_ambiguous(typed, labels(found.candidates)))
    raise Refused(render_not_found(typed, found.suggestions))


def require_change_right(req: Request, acc: Account, action: str) -> None:
    if acc.owner_user_id == req.user_id:
        return
    if not may_change(acc.owner_user_id, req.user_id, req.admin()):
        if req.admin_check_failed():
            raise Refused(render_admin_check_failed(action, acc.name, acc.owner_user_id))
        raise Refused(render_refusal(action, acc.name, acc.owner_user_id))


def known_contacts_hint(session: Session, team_id: str, acc: Account) -> str:
    """For a contact name that matched nobody: up to five active contacts of the account, or that it has none."""
    known = [c.name for c in contacts_of(session, team_id, acc.id) if c.active][:5]
    return ("Known contacts: " + ", ".join(known) + ".") if known else "It has no contacts yet."
