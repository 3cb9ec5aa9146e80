"""portfolio_report: Mondays from 09:00 in each admin's zone, one report per admin and week (the ledger),
with the five-line summary facts and both charts' data; nothing on other days."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from accounts.charts import ConcentrationChart, QuadrantChart
from accounts.thresholds import Thresholds
from jobs import portfolio_report
from jobs.registry import JOBS
from storage.models import JobRun, OutboxMessage, SlackUser
from storage.queues import outbox
from tests.jobs.conftest import TEAM, Builder
from tests.jobs.test_cli import cli_db, invoke  # noqa: F401 - the CLI fixture
from tests.sql_capture import statements_sent

TH = Thresholds()
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def CONFIGURED(team_id: str) -> set[str]:  # noqa: N802 - stands for ADMIN_USER_IDS=UCONFIG, counting everywhere
    return {"UCONFIG"}


def _reports(session) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "portfolio_report").order_by(OutboxMessage.id)
        )
    )


def _admin(build: Builder, user_id: str, tz: str | None = "UTC") -> None:
    build.user(user_id, tz=tz).is_admin = True
    build.session.flush()


def _setup(build: Builder) -> None:
    _admin(build, "UADMIN1")
    build.user("UPLAIN", tz="UTC")  # not an admin: never gets a report
    build.user("UCONFIG", tz="UTC")  # an ADMIN_USER_IDS admin whose zone the directory sync has learnt
    for name, revenue in [("Big", 9e6), ("Second", 8e6)]:
        build.account(name, revenue=revenue, profitability="high", strategic_value="high")
    build.filler(6, owner="U2", revenue=500_000.0)


def test_once_per_week_per_admin_with_summary_and_charts(session, build: Builder) -> None:
    _setup(build)
    session.commit()
    assert portfolio_report.run(session, MONDAY - timedelta(minutes=1), TH).claimed == 0  # 08:59: not yet
    first = portfolio_report.run(session, MONDAY, TH, listed_admins=CONFIGURED)
    assert first.enqueued == 2
    again = portfolio_report.run(session, MONDAY + timedelta(hours=3), TH, listed_admins=CONFIGURED)
    assert again.claimed == 0 and again.enqueued == 0
    reports = _reports(session)
    assert sorted(r.recipient for r in reports) == ["UADMIN1", "UCONFIG"]
    facts = reports[0].facts
    assert facts["week"] == "2026-W48" and facts["monday"] == "2026-11-23"
    assert facts["accounts"] == 8
    assert facts["tiers"] == {"key": 2, "secondary": 6, "prospect": 0}
    assert sum(facts["grades"].values()) == 8
    assert facts["concentration"]["headline"] == "top 25% of clients = 85% of revenue"
    assert facts["moves"] == [] and facts["moves_total"] == 0
    json.dumps(facts)  # JSON-safe
    assert len(QuadrantChart.from_facts(facts["quadrant_chart"]).points) == 8
    assert ConcentrationChart.from_facts(facts["concentration_chart"]).key_count == 2
    runs = session.scalars(select(JobRun.period).where(JobRun.job == "portfolio_report")).all()
    assert sorted(runs) == ["UADMIN1:2026-W48", "UCONFIG:2026-W48"]
    # next Monday: a new week, a new report each
    assert (
        portfolio_report.run(session, MONDAY + timedelta(weeks=1), TH, listed_admins=CONFIGURED).enqueued == 2
    )


def test_nothing_on_other_days(session, build: Builder) -> None:
    _setup(build)
    session.commit()
    for days in range(1, 7):  # Tuesday ... Sunday, even with nothing sent this week yet
        now = MONDAY + timedelta(days=days)
        assert portfolio_report.run(session, now, TH).claimed == 0, now
    assert _reports(session) == []
    assert (
        portfolio_report.run(session, MONDAY + timedelta(hours=9), TH).claimed == 0
    )  # 18:00: past the cut-off
    assert portfolio_report.run(session, MONDAY + timedelta(hours=8, minutes=59), TH).enqueued == 1  # 17:59


def test_admin_time_zone_decides_the_monday_morning(session, build: Builder) -> None:
    _admin(build, "UBERLIN", tz="Europe/Berlin")
    _admin(build, "UNYC", tz="America/New_York")
    build.filler(3)
    session.commit()
    at_8_utc = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, 03:00 in New York
    assert [m.recipient for m in portfolio_report.run(session, at_8_utc, TH).for_recipients()] == ["UBERLIN"]
    at_14_utc = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 in New York
    assert [m.recipient for m in portfolio_report.run(session, at_14_utc, TH).for_recipients()] == ["UNYC"]


def test_moves_of_the_last_seven_days_come_from_tier_changes(session, build: Builder) -> None:
    _setup(build)
    big = session.scalar(select(SlackUser).where(SlackUser.user_id == "UADMIN1"))
    assert big is not None

    def change(
        account: str, days_ago: float, old: tuple[str, str], new: tuple[str, str], account_id: int
    ) -> None:
        outbox.enqueue(
            session,
            team_id=TEAM,
            recipient="U1",
            kind="tier_change",
            account_id=account_id,
            facts={
                "account": account,
                "old_tier": old[0],
                "old_grade": old[1],
                "new_tier": new[0],
                "new_grade": new[1],
                "reasons": [],
            },
            period=f"p{account}{days_ago}",
            now=MONDAY - timedelta(days=days_ago),
        )

    ids = {a: build.account(a, revenue=1.0).id for a in ("Moved", "Twice", "Back", "Old")}
    change("Moved", 2, ("secondary", "B"), ("key", "A"), ids["Moved"])
    change("Twice", 6, ("secondary", "C"), ("secondary", "B"), ids["Twice"])
    change("Twice", 1, ("secondary", "B"), ("key", "A"), ids["Twice"])
    change("Back", 5, ("key", "A"), ("secondary", "A"), ids["Back"])
    change("Back", 3, ("secondary", "A"), ("key", "A"), ids["Back"])  # moved and came back: left out
    change("Old", 9, ("secondary", "B"), ("key", "A"), ids["Old"])  # before the window
    session.commit()
    (report,) = portfolio_report.run(session, MONDAY, TH).for_recipients()
    assert report.facts["moves"] == [
        {"account": "Moved", "old_tier": "secondary", "new_tier": "key", "old_grade": "B", "new_grade": "A"},
        {"account": "Twice", "old_tier": "secondary", "new_tier": "key", "old_grade": "C", "new_grade": "A"},
    ]
    assert report.facts["moves_total"] == 2


def test_workspaces_are_kept_apart(session, build: Builder) -> None:
    _setup(build)
    other = Builder(session, team="T2")
    _admin(other, "UOTHER")
    other.account("Elsewhere", revenue=1e9)
    session.commit()
    result = portfolio_report.run(session, MONDAY, TH)
    by_team = {(team, m.recipient): m.facts["accounts"] for team, m in result.messages}
    assert by_team == {("T1", "UADMIN1"): 8, ("T2", "UOTHER"): 1}


def test_empty_workspace_reports_zeroes(session, build: Builder) -> None:
    _admin(build, "UADMIN1")
    session.commit()
    (report,) = portfolio_report.run(session, MONDAY, TH).for_recipients()
    assert report.facts["accounts"] == 0 and report.facts["concentration"]["headline"] == "no clients yet"


def test_registered_for_the_scheduler_and_the_cli() -> None:
    spec = JOBS["portfolio_report"]
    assert spec.wants_listed_admins and spec.cron == {"minute": "0"}


def test_cli_dry_run_json(cli_db) -> None:  # noqa: F811 - the fixture
    with cli_db() as s:
        Builder(s).user("UADM", tz="UTC").is_admin = True
        s.commit()
    result = invoke("jobs", "run", "portfolio_report", "--at", "2026-11-23T09:00:00Z", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (
        row["recipient"] == "UADM" and row["kind"] == "portfolio_report" and row["period"] == "UADM:2026-W48"
    )
    assert row["facts"]["accounts"] == 11 and "quadrant_chart" in row["facts"]
    with cli_db() as s:
        assert s.scalars(select(OutboxMessage)).all() == []
    tuesday = invoke("jobs", "run", "portfolio_report", "--at", "2026-11-24T09:00:00Z", "--dry-run", "--json")
    assert tuesday.exit_code == 0 and json.loads(tuesday.stdout) == []


def test_facts_of_a_large_workspace_stay_small() -> None:
    """100,000 accounts: the facts (stored once per admin) were 8 MB; the largest accounts are drawn, all counted."""
    from datetime import date

    from accounts.charts import REPORT_MAX_POINTS, ChartAccount

    quads = ("key", "maintenance", "growth", "service")
    accounts = [
        ChartAccount(
            name=f"Account number {i} Holdings Ltd",
            tier="secondary",
            grade="ABC"[i % 3],
            annual_revenue=float((i * 7919) % 1_000_003),
            engagement_pairs=i % 9,
            engagement=None,
            potential=None,
            wallet_share=float(i % 100),
            prospect_fit=None,
            quadrant=quads[i % 4],
        )  # fmt: skip
        for i in range(100_000)
    ]
    facts = portfolio_report.summary_facts(accounts, TH, [], "2026-W48", date(2026, 11, 23))
    size = len(json.dumps(facts, allow_nan=False))
    assert size < 400_000, size
    assert facts["quadrants"] == {q: 25_000 for q in quads}
    quadrant = QuadrantChart.from_facts(facts["quadrant_chart"])
    assert len(quadrant.points) == REPORT_MAX_POINTS and quadrant.total == 100_000 and quadrant.capped
    assert ConcentrationChart.from_facts(facts["concentration_chart"]).n == 100_000


def test_a_workspace_without_admins_gets_no_report(session, build: Builder) -> None:
    build.user("UPLAIN", tz="UTC")
    build.account("Big", revenue=9e6)
    session.commit()
    result = portfolio_report.run(session, MONDAY, TH)
    assert result.claimed == 0 and result.enqueued == 0 and _reports(session) == []


def test_moves_and_admins_of_another_workspace_never_leak(session, build: Builder) -> None:

    from storage.reads.reports import recent_moves, report_admins

    _setup(build)
    other = Builder(session, team="T2")
    _admin(other, "UOTHER")
    theirs = other.account("Elsewhere Secret", revenue=1e9)
    outbox.enqueue(
        session, team_id="T2", recipient="UOTHER", kind="tier_change", account_id=theirs.id,
        facts={"account": "Elsewhere Secret", "old_tier": "secondary", "old_grade": "B", "new_tier": "key",
               "new_grade": "A", "reasons": []},
        period="p-elsewhere", now=MONDAY - timedelta(days=1),
    )  # fmt: skip
    session.commit()
    with statements_sent(session.get_bind()) as statements:
        assert list(report_admins(session, TEAM)) == ["UADMIN1"]
        assert recent_moves(session, TEAM, MONDAY - timedelta(days=7), MONDAY) == []
    assert statements and all("team_id" in s for s, _ in statements)
    result = portfolio_report.run(session, MONDAY, TH)
    by_team = {(team, m.recipient): m.facts for team, m in result.messages}
    assert by_team[("T1", "UADMIN1")]["moves"] == [] and "Elsewhere Secret" not in json.dumps(
        by_team[("T1", "UADMIN1")]
    )
    assert [m["account"] for m in by_team[("T2", "UOTHER")]["moves"]] == ["Elsewhere Secret"]


def test_listed_admins_count_only_where_the_settings_say(session, build: Builder) -> None:
    """With SLACK_TEAM_ID set, ADMIN_USER_IDS are admins of that workspace only (Settings.listed_admins)."""
    from bot.settings import load_settings

    _setup(build)
    elsewhere = load_settings(slack_team_id="T0ELSEWHERE", admin_user_ids="UCONFIG")
    assert elsewhere.listed_admins(TEAM) == frozenset() and elsewhere.listed_admins("T0ELSEWHERE") == {
        "UCONFIG"
    }
    portfolio_report.run(session, MONDAY, TH, listed_admins=elsewhere.listed_admins)
    assert "UCONFIG" not in {r.recipient for r in _reports(session)}
    here = load_settings(slack_team_id=TEAM, admin_user_ids="UCONFIG")
    portfolio_report.run(session, MONDAY, TH, listed_admins=here.listed_admins)
    assert "UCONFIG" in {r.recipient for r in _reports(session)}
