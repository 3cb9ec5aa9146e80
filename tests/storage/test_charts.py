"""storage.reads.charts: a workspace's accounts as the charts see them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from accounts.charts import concentration_chart, quadrant_chart
from accounts.thresholds import Thresholds
from storage.reads.assessments import assess_workspace
from storage.reads.charts import chart_accounts, concentration_inputs
from tests.bot.seed import NOW, OTHER_TEAM, OWNER, STRANGER, TEAM, account, contact, portfolio, touch
from tests.sql_capture import statements_sent

TH = Thresholds()


def test_accounts_carry_measures_ratings_and_the_assessment(session: Session) -> None:
    accs = portfolio(session)
    acme = accs["Acme Corp"]
    people = [contact(session, acme, f"Person {i}") for i in range(3)]
    for i, who in enumerate(people):
        touch(session, acme, 5 + i, who=who, colleague=f"U0COLL{i}")
    touch(session, acme, 200, who=people[0], colleague="U0LATE")  # outside the window: no pair
    accs["Globex"].engagement = "high"
    accs["Globex"].potential = "medium"
    session.flush()

    charted = {a.name: a for a in chart_accounts(session, TEAM, NOW, TH)}
    assert list(charted) == ["Acme Corp", "Globex", "Hooli", "Initech", "Umbrella"]  # name order
    verdicts = {v.name: v for v in assess_workspace(session, TEAM, NOW, TH).values()}
    for name, a in charted.items():
        assert (a.tier, a.grade, a.quadrant) == (
            verdicts[name].tier,
            verdicts[name].grade,
            verdicts[name].quadrant,
        )
    a = charted["Acme Corp"]
    # seed's two touches (Jane, Bob by the owner) + three new colleague-contact pairs
    assert (a.engagement_pairs, a.wallet_share, a.annual_revenue, a.tier, a.quadrant) == (
        5,
        40.0,
        2_000_000.0,
        "key",
        "key",
    )
    g = charted["Globex"]
    assert (g.engagement, g.potential, g.engagement_pairs, g.quadrant) == ("high", "medium", 0, "maintenance")
    h = charted["Hooli"]
    assert (h.tier, h.grade, h.prospect_fit, h.quadrant) == ("prospect", None, "ideal", "growth")
    # The numbers feed the pure chart straight away, and every point lands in its quadrant.
    chart = quadrant_chart(list(charted.values()), TH)
    assert all(chart.quadrant_at(p.x, p.y) == p.quadrant for p in chart.points)


def test_another_workspace_never_appears(session: Session) -> None:
    portfolio(session)
    stranger = account(session, "Secret Co", OTHER_TEAM, annual_revenue=99_000_000, owner_user_id=OWNER)
    other_acme = account(session, "Acme Corp", OTHER_TEAM, annual_revenue=5.0, owner_user_id=OWNER)
    for i in range(4):  # pairs in the other workspace must not count for our Acme Corp
        touch(session, other_acme, 1, who=contact(session, other_acme, f"X{i}"), colleague=f"U0X{i}")
    touch(session, stranger, 1, who=contact(session, stranger, "Y"))

    ours = chart_accounts(session, TEAM, NOW, TH)
    assert "Secret Co" not in {a.name for a in ours}
    assert {a.name: a.engagement_pairs for a in ours}["Acme Corp"] == 2
    assert max(a.annual_revenue or 0 for a in ours) == 2_000_000
    mine = chart_accounts(session, TEAM, NOW, TH, owner_user_id=OWNER)
    assert "Secret Co" not in {a.name for a in mine}
    theirs = chart_accounts(session, OTHER_TEAM, NOW, TH)
    assert sorted(a.name for a in theirs) == ["Acme Corp", "Secret Co"]
    assert {a.name: a.engagement_pairs for a in theirs} == {"Acme Corp": 4, "Secret Co": 1}
    assert chart_accounts(session, "T0NOBODY0", NOW, TH) == []


def test_owner_filter_keeps_workspace_wide_tiers(session: Session) -> None:
    portfolio(session)
    everyone = {a.name: a for a in chart_accounts(session, TEAM, NOW, TH)}
    mine = chart_accounts(session, TEAM, NOW, TH, owner_user_id=OWNER)
    assert [a.name for a in mine] == ["Acme Corp", "Globex", "Hooli", "Umbrella"]
    assert all(a == everyone[a.name] for a in mine)  # same tier, grade and pairs as in the whole workspace
    assert [a.name for a in chart_accounts(session, TEAM, NOW, TH, owner_user_id=STRANGER)] == ["Initech"]
    assert chart_accounts(session, TEAM, NOW, TH, owner_user_id="U0NOBODY1") == []


def test_every_statement_is_scoped_by_the_team(session: Session) -> None:
    portfolio(session)
    with statements_sent(session.get_bind()) as statements:
        chart_accounts(session, TEAM, NOW, TH)
        chart_accounts(session, TEAM, NOW, TH, owner_user_id=OWNER)
    assert statements
    for statement, parameters in statements:
        assert "team_id" in statement, statement
        assert TEAM in (parameters.values() if isinstance(parameters, dict) else parameters), statement


def test_concentration_inputs_are_the_clients_only(session: Session) -> None:
    accs = portfolio(session)
    accs["Umbrella"].annual_revenue = None
    session.flush()
    revenues, key_count = concentration_inputs(chart_accounts(session, TEAM, NOW, TH))
    assert sorted(revenues, key=lambda r: r or 0) == [None, 400_000.0, 1_500_000.0, 2_000_000.0]  # no Hooli
    assert key_count == 1  # ceil(25% of 3 clients with revenue)
    chart = concentration_chart(revenues, key_count)
    assert chart.headline == "top 25% of clients = 51% of revenue"  # 2.0 of 3.9 million
    assert concentration_inputs([]) == ([], 0)


def test_the_window_follows_now(session: Session) -> None:
    accs = portfolio(session)
    later = NOW + timedelta(days=TH.engagement_window_days)  # the seed's touches (10-40 days ago) fall out
    charted = {a.name: a.engagement_pairs for a in chart_accounts(session, TEAM, later, TH)}
    assert charted["Acme Corp"] == 0 and accs["Acme Corp"].name == "Acme Corp"
