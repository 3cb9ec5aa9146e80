"""App Home: admins see whether nudges work (sent, share followed by a touch, median days, per reason and owner,
ignored longest, the weekly rate); others do not. End to end over HTTP, SQLite and PostgreSQL; the section's
rendering alone too."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.outcomes import outcome_report
from bot.render.outcomes import outcome_blocks
from storage.models import NudgeSent
from storage.nudge_ledger import nudge_records
from tests.bot.conftest import BotFactory
from tests.bot.seed import ADMIN, NOW, OTHER_TEAM, OWNER, STRANGER, all_text, portfolio, touch

pytestmark = pytest.mark.slow


def _nudges(session, accs, team: str) -> None:
    plan = [
        ("Acme Corp", 27.9, OWNER),
        ("Globex", 15, OWNER),
        ("Umbrella", 12, OWNER),
        ("Initech", 2, STRANGER),
    ]
    for i, (account, days_ago, to) in enumerate(plan):
        session.add(NudgeSent(team_id=team, outbox_id=100 + i, account_id=accs[account].id, recipient=to,
                              kind="digest", reason="stale", sent_at=NOW - timedelta(days=days_ago)))  # fmt: skip
    session.flush()
    # portfolio(): Acme touched 20 days ago (7.9 days after its nudge: too late), Umbrella 10 days ago (2 days
    # after); Globex never since; Initech's nudge is 2 days old (still within the window)


def test_admins_see_whether_nudges_work_in_app_home_others_do_not(
    make_bot_server: BotFactory, db_url: str
) -> None:
    h = make_bot_server(db_url, clock=lambda: NOW, admin_user_ids=ADMIN)
    with h.sessions.begin() as s:
        _nudges(s, portfolio(s, team=h.team_id), h.team_id)
        theirs = portfolio(s, team=OTHER_TEAM)  # another workspace's nudges never show here
        for i in range(5):
            s.add(NudgeSent(team_id=OTHER_TEAM, outbox_id=900 + i, account_id=theirs["Acme Corp"].id, recipient=OWNER,
                            kind="digest", reason="revenue_drop", sent_at=NOW - timedelta(days=3 + i)))  # fmt: skip
    for user in (ADMIN, OWNER):
        assert h.open_home(user_id=user).status_code == 200
    admin_home = all_text(
        h.fake_slack.wait_for("views.publish", where=lambda c: c.params["user_id"] == ADMIN)[0].params
    )
    owner_home = all_text(
        h.fake_slack.wait_for("views.publish", where=lambda c: c.params["user_id"] == OWNER)[0].params
    )
    assert "For admins: do nudges work?" in admin_home
    assert (
        "4 nudges sent; a touch followed *33%* of them within 7 days, after a median of *2.0 days*"
        in admin_home
    )
    assert (
        "Overdue for a touch: 4 sent, 33% followed, median 2.0 days (1 still within the window)" in admin_home
    )
    assert (
        f"<@{OWNER}>: 3 sent, 33% followed" in admin_home
        and f"<@{STRANGER}>: 1 sent, n/a followed" in admin_home
    )
    assert (
        "*Globex*" in admin_home.split("Ignored longest", 1)[1]
    )  # never touched since its nudge 15 days ago
    assert "Revenue dropping" not in admin_home
    assert "do nudges work" not in owner_home


def test_the_section_alone(session) -> None:
    from tests.bot.seed import portfolio as seed

    accs = seed(session)
    _nudges(session, accs, accs["Acme Corp"].team_id)
    touch(session, accs["Globex"], 14.5)  # half a day after its nudge
    records = nudge_records(session, accs["Acme Corp"].team_id, since=NOW - timedelta(days=28), now=NOW)
    report = outcome_report(records, NOW - timedelta(days=28), NOW, escalations=2)
    text = "\n".join(
        b.to_dict()["text"]["text"] for b in outcome_blocks(report) if b.to_dict()["type"] == "section"
    )
    assert "(last 28 days)" in text and "a touch followed *67%*" in text and "2 escalated" in text
    assert "median of *1.2 days*" in text  # 0.5 and 2 days
    assert "Ignored longest*\n• *Acme Corp*" not in text  # answered (late), so not ignored
    assert "*Response rate per week:* W44 0% · W46 100% · W47 n/a" in text
    empty = outcome_report([], NOW - timedelta(days=28), NOW)
    assert "No nudge was delivered in that time." in str(outcome_blocks(empty)[0].to_dict())
