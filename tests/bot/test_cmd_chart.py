"""/account chart end to end: signed slash command in, the three-step upload to the fake Slack, and a short
ephemeral answer on the response_url."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from storage.db import ensure_workspace
from tests.bot.conftest import BotHarness
from tests.bot.seed import NOW, OWNER, STRANGER, account, all_text, portfolio

pytestmark = pytest.mark.slow

OTHER = "T0OTHERWS"
NOBODY = "U0NOBODY1"  # owns no accounts


def ask(bot: BotHarness, text: str, user_id: str = OWNER, **kw: object) -> dict:
    resp = bot.post_command(text, user_id=user_id, **kw)
    assert resp.status_code == 200 and bot.ack_json(resp) is None
    call = bot.followup(resp, timeout=20)
    assert call.params["response_type"] == "ephemeral"
    return call.params


def seeded(bot: BotHarness) -> BotHarness:
    bot.ctx.clock = lambda: NOW
    with bot.sessions.begin() as s:
        portfolio(s, team=bot.team_id)
        account(s, "Secret Partner", team=OTHER, owner_user_id=OWNER, annual_revenue=9e9)
    return bot


def png_size(content: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(content))
    assert image.format == "PNG"
    return image.size


def test_quadrant_goes_to_the_requesters_dm_in_three_steps(bot_server_any_db: BotHarness) -> None:
    bot = seeded(bot_server_any_db)
    answer = ask(bot, "chart quadrant")
    assert "Posted the quadrant chart of your 4 accounts in your DM" in answer["text"]
    fake = bot.fake_slack
    assert fake.last_call("conversations.open").params["users"] == OWNER
    step1 = fake.last_call("files.getUploadURLExternal")
    assert step1.params["filename"].startswith("quadrant-mine-2026-11-24") and step1.params["alt_txt"]
    assert fake.last_call("upload").ok
    step3 = fake.last_call("files.completeUploadExternal")
    assert step3.params["channel_id"] == "D0OWNER01"
    (shared,) = fake.shared_files("D0OWNER01")
    assert png_size(shared["content"]) >= (1600, 1000)
    alt = shared["alt_txt"]
    assert "Bubble chart of 4 accounts" in alt and "Acme Corp" in alt
    assert "Initech" not in alt and "Secret Partner" not in alt  # someone else's, another workspace's
    assert shared["title"] == "Portfolio quadrant: your accounts (4)"


def test_all_in_a_channel_names_who_asked(bot_server: BotHarness) -> None:
    bot = seeded(bot_server)
    answer = ask(bot, "chart quadrant all in <#C0SALES|sales>")
    assert "Posted the quadrant chart of all 5 accounts in <#C0SALES>" in answer["text"]
    assert not bot.fake_slack.calls_to("conversations.open")
    (shared,) = bot.fake_slack.shared_files("C0SALES")
    assert f"<@{OWNER}> asked for this chart" in shared["initial_comment"]
    assert "Secret Partner" not in shared["alt_txt"]


def test_someone_without_accounts_gets_the_whole_workspace(bot_server: BotHarness) -> None:
    bot = seeded(bot_server)
    answer = ask(bot, "chart quadrant", user_id=NOBODY)
    assert "quadrant chart of all 5 accounts in your DM" in answer["text"]
    assert "You own no accounts" in all_text(answer)
    mine = ask(bot, "chart quadrant mine", user_id=NOBODY)
    assert "your 0 accounts" in mine["text"] and "/account chart quadrant all" in all_text(mine)
    assert [f["title"] for f in bot.fake_slack.shared_files("D0NOBODY1")] == [
        "Portfolio quadrant: all accounts (5)",
        "Portfolio quadrant: your accounts (0)",
    ]


def test_concentration_says_the_headline(bot_server: BotHarness) -> None:
    bot = seeded(bot_server)
    answer = ask(bot, "chart concentration", user_id=STRANGER)
    assert "Posted the concentration chart (top 25% of clients = 48% of revenue) in your DM" in answer["text"]
    (shared,) = bot.fake_slack.shared_files("D0OTHER01")
    assert (
        shared["title"] == "Revenue concentration (4 clients)"
        and "top 25% of clients = 48% of revenue" in shared["alt_txt"]
    )
    assert png_size(shared["content"]) >= (1600, 1000)


def test_empty_workspace_still_gets_sensible_charts(bot_server: BotHarness) -> None:
    bot = bot_server
    bot.ctx.clock = lambda: NOW
    with bot.sessions.begin() as s:
        ensure_workspace(s, bot.team_id)
    quadrant = ask(bot, "chart quadrant all")
    assert "quadrant chart of all 0 accounts" in quadrant["text"]
    concentration = ask(bot, "chart concentration")
    assert "Posted the concentration chart in your DM" in concentration["text"]
    shared = bot.fake_slack.shared_files("D0OWNER01")
    assert [png_size(f["content"]) >= (1600, 1000) for f in shared] == [True, True]
    assert "no accounts yet" in shared[0]["alt_txt"] and "no clients yet" in shared[1]["alt_txt"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("chart", "Which chart?"),
        ("chart pie", "`pie` is not a chart"),
        ("chart quadrant everyone", "I did not understand `everyone`"),
        ("chart concentration mine", "always covers the whole workspace"),
        ("chart quadrant in sales", "`sales` is not a channel"),
        ("chart quadrant #sales", "is not a linked channel"),
    ],
)
def test_bad_arguments_say_what_to_type(bot_server: BotHarness, text: str, expected: str) -> None:
    bot = seeded(bot_server)
    answer = ask(bot, text)
    body = all_text(answer)
    assert expected in body and "/account chart" in body
    assert not bot.fake_slack.calls_to("files.getUploadURLExternal")


def test_a_channel_without_the_bot_gets_a_clear_answer(bot_server: BotHarness) -> None:
    bot = seeded(bot_server)
    bot.fake_slack.fail_next("files.completeUploadExternal", error="not_in_channel")
    answer = ask(bot, "chart concentration in <#C0PRIVATE|deals>")
    assert "Invite @accountbot to #C0PRIVATE first" in answer["text"]
    assert "Invite @accountbot to <#C0PRIVATE> first" in all_text(answer["blocks"])  # a live channel link
    assert "Traceback" not in all_text(answer)
    assert bot.fake_slack.shared_files() == []


def test_slack_failing_the_upload_is_an_apology_not_a_trace(bot_server: BotHarness) -> None:
    bot = seeded(bot_server)
    bot.fake_slack.fail_next("upload", status=500)
    answer = ask(bot, "chart quadrant")
    assert "Slack did not accept the chart (http_500). Please try again in a minute." in answer["text"]


def test_a_chart_that_fails_to_draw_is_an_apology_that_names_the_chart(
    bot_server: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import bot.render.charts as render_charts

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("Agg exploded at /srv/secret/path")

    bot = seeded(bot_server)
    monkeypatch.setattr(render_charts, "quadrant_png", broken)
    answer = ask(bot, "chart quadrant all")
    body = all_text(answer)
    assert "could not draw the quadrant chart" in answer["text"] and "try again" in body
    assert "Agg exploded" not in body and "Traceback" not in body and "/srv/secret" not in body
    assert not bot.fake_slack.calls_to("files.getUploadURLExternal")  # nothing half-uploaded
    failed = [r for r in caplog.records if "chart_draw_failed" in r.getMessage()]
    assert failed and "kind=quadrant" in failed[0].getMessage() and failed[0].exc_info is not None
    monkeypatch.undo()
    assert "Posted the quadrant chart" in ask(bot, "chart quadrant all")["text"]  # the next one works


def test_hostile_account_names_stay_text_in_the_chart_and_the_answer(bot_server: BotHarness) -> None:
    bot = seeded(bot_server)
    hostile = [
        "<!channel> Alert",
        "<@U0ADMIN01> Corp",
        "$\\frac{1}{0}$",
        "שלום 🚀 Ltd",
        "Line\nBreak",
        "X" * 10_000,
    ]
    with bot.sessions.begin() as s:
        for i, name in enumerate(hostile):
            account(s, name, owner_user_id=OWNER, annual_revenue=9e9 + i)
    answer = ask(bot, "chart quadrant mine in <#C0SALES|sales>")
    body = all_text(answer)
    assert "<!channel>" not in body and "<@U0ADMIN01>" not in body
    (shared,) = bot.fake_slack.shared_files("C0SALES")
    assert png_size(shared["content"]) >= (1600, 1000)
    assert "<!channel>" not in shared["initial_comment"] and "<@U0ADMIN01>" not in shared["initial_comment"]
    alt = shared["alt_txt"]
    assert len(alt) <= 1000 and "\n" not in alt and "X" * 100 not in alt


@pytest.mark.parametrize(
    "error,expected",
    [
        ("channel_not_found", "I cannot see <#C0SECRET>. If it is a private channel, invite @accountbot"),
        ("is_archived", "<#C0SECRET> is archived; pick another channel."),
        ("missing_scope", "Ask a workspace admin to reinstall the app with the files:write permission."),
    ],
)
def test_refused_channel_uploads_say_why(bot_server: BotHarness, error: str, expected: str) -> None:
    bot = seeded(bot_server)
    bot.fake_slack.fail_next("files.completeUploadExternal", error=error)
    answer = ask(bot, "chart quadrant all in <#C0SECRET|deals>")
    body = all_text(answer["blocks"])
    assert expected in body and "Traceback" not in all_text(answer)
    assert bot.fake_slack.shared_files() == []
