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
DEACTIVATED = "deactivated"  # the account was deactivated in Slack (users.info `deleted`)
MEMBERSHIPS = (MEMBER, GUEST, OUTSIDER, BOT, DEACTIVATED)


def of_workspace(user: dict[str, Any], team_id: str, enterprise_id: str | None = None) -> bool:
    """Whether users.info's `user` belongs to `team_id`: their home team, or (Enterprise Grid) one of the
    organisation's workspaces they are in, or a member of `enterprise_id`, the organisation the request came
    from (an org-wide channel reaches members of every workspace of it). An answer without any team says
    nothing against it."""
    home = user.get("team_id")
    if home in (None, "", team_id):
        return True
    grid = user.get("enterprise_user") or {}
    teams = grid.get("teams") or []
    if isinstance(teams, list) and team_id in teams:
        return True
    return bool(enterprise_id) and grid.get("enterprise_id") == enterprise_id


def membership_of(user: dict[str, Any], team_id: str, enterprise_id: str | None = None) -> str:
    """The membership of users.info's `user` in `team_id` (one of MEMBERSHIPS)."""
    if user.get("deleted"):
        return DEACTIVATED
    if user.get("is_bot") or user.get("id") == "USLACKBOT":
        return BOT
    if not of_workspace(user, team_id, enterprise_id) or user.get("is_stranger"):
        return OUTSIDER
    if user.get("is_restricted") or user.get("is_ultra_restricted"):
        return GUEST
    return MEMBER


def admin_of(user: dict[str, Any], team_id: str, enterprise_id: str | None = None) -> bool:
    """Slack's admin flags describe the user's home workspace: only a full member whose home is `team_id`
    is an admin here (a Slack Connect user who is an admin of their own workspace is not). An Enterprise Grid
    organisation's admins and owners (`enterprise_user`) are admins in every workspace of `enterprise_id`."""
    if membership_of(user, team_id, enterprise_id) != MEMBER:
        return False
    grid = user.get("enterprise_user") or {}
    if (
        enterprise_id
        and grid.get("enterprise_id") == enterprise_id
        and (grid.get("is_admin") or grid.get("is_owner"))
    ):
        return True
    home = user.get("team_id")
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")) and home in (
        None,
        team_id,
    )
