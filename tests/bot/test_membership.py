"""bot.membership: how a users.info answer classifies a user for a workspace (pure, no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.membership import BOT, GUEST, MEMBER, OUTSIDER, admin_of, membership_of

TEAM = "T0HOME"


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ({"id": "U1", "team_id": TEAM}, MEMBER),
        ({"id": "U1"}, MEMBER),  # no team in the answer says nothing against it
        ({"id": "U1", "team_id": TEAM, "is_restricted": True}, GUEST),
        ({"id": "U1", "team_id": TEAM, "is_restricted": True, "is_ultra_restricted": True}, GUEST),
        ({"id": "U1", "team_id": TEAM, "is_ultra_restricted": True}, GUEST),
        ({"id": "U1", "team_id": "T0PARTNER"}, OUTSIDER),
        ({"id": "U1", "team_id": "T0PARTNER", "is_restricted": True}, OUTSIDER),
        ({"id": "U1", "team_id": TEAM, "is_stranger": True}, OUTSIDER),
        ({"id": "W1", "team_id": "T0SIBLING", "enterprise_user": {"teams": ["T0SIBLING", TEAM]}}, MEMBER),
        ({"id": "W1", "team_id": "T0SIBLING", "enterprise_user": {"teams": ["T0SIBLING"]}}, OUTSIDER),
        ({"id": "U1", "team_id": TEAM, "is_bot": True}, BOT),
        ({"id": "USLACKBOT", "team_id": TEAM}, BOT),
    ],
)
def test_membership_of(user: dict[str, Any], expected: str) -> None:
    assert membership_of(user, TEAM) == expected


def test_admin_only_for_full_members_of_their_home_workspace() -> None:
    assert admin_of({"id": "U1", "team_id": TEAM, "is_admin": True}, TEAM)
    assert admin_of({"id": "U1", "team_id": TEAM, "is_primary_owner": True}, TEAM)
    assert not admin_of({"id": "U1", "team_id": "T0PARTNER", "is_admin": True}, TEAM)
    assert not admin_of({"id": "U1", "team_id": TEAM, "is_owner": True, "is_restricted": True}, TEAM)
    assert not admin_of(
        {"id": "W1", "team_id": "T0SIBLING", "is_admin": True, "enterprise_user": {"teams": [TEAM]}}, TEAM
    )
