"""Who a Slack user is to a workspace, from a users.info answer: a full member, a guest, an outsider or a bot.

Only full members may read or change the workspace's accounts (bot.permissions.member_status).
Pure: no Slack or database I/O here, so the directory sync and the permission check classify alike.
"""

from __future__ import annotations

from typing import Any

MEMBER = "member"
GUEST = "guest"  # multi- or single-channel guest (is_restricted / is_ultra_restricted)
OUTSIDER = "outsider"  # a user of another workspace or organisation (Slack Connect)
BOT = "bot"
MEMBERSHIPS = (MEMBER, GUEST, OUTSIDER, BOT)


def of_workspace(user: dict[str, Any], team_id: str) -> bool:
    """Whether users.info's `user` belongs to `team_id`: their home team, or (Enterprise Grid) one of the
    organisation's workspaces they are in. An answer without any team says nothing against it."""
    home = user.get("team_id")
    if home in (None, "", team_id):
        return True
    teams = (user.get("enterprise_user") or {}).get("teams") or []
    return isinstance(teams, list) and team_id in teams


def membership_of(user: dict[str, Any], team_id: str) -> str:
    """The membership of users.info's `user` in `team_id` (one of MEMBERSHIPS)."""
    if user.get("is_bot") or user.get("id") == "USLACKBOT":
        return BOT
    if not of_workspace(user, team_id) or user.get("is_stranger"):
        return OUTSIDER
    if user.get("is_restricted") or user.get("is_ultra_restricted"):
        return GUEST
    return MEMBER


def admin_of(user: dict[str, Any], team_id: str) -> bool:
    """Slack's admin flags describe the user's home workspace: only a full member whose home is `team_id`
    is an admin here (a Slack Connect user who is an admin of their own workspace is not)."""
    home = user.get("team_id")
    return (
        bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        and home in (None, team_id)
        and membership_of(user, team_id) == MEMBER
    )
