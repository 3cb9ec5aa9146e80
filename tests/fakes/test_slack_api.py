"""The fake Slack Web API answers like Slack, records calls and injects failures (through slack_sdk)."""

from __future__ import annotations

import time

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack_api import FakeSlackApi, all_text


@pytest.fixture
def fake() -> FakeSlackApi:
    with FakeSlackApi() as f:
        yield f


def client(fake: FakeSlackApi, **kw: object) -> WebClient:
    return WebClient(token="xoxb-1-2-abc", base_url=fake.base_url, retry_handlers=[], **kw)  # type: ignore[arg-type]


def test_base_url_is_loopback_and_ends_with_slash(fake: FakeSlackApi) -> None:
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.base_url.endswith("/api/")
    assert fake.port > 0


def test_post_message_records_params_and_returns_unique_ts(fake: FakeSlackApi) -> None:
    c = client(fake)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}]
    r1 = c.chat_postMessage(
        channel="C1", text="hi", blocks=blocks, metadata={"event_type": "nudge", "event_payload": {"id": 7}}
    )
    r2 = c.chat_postMessage(channel="C1", text="again")
    assert r1["ok"] and r1["channel"] == "C1"
    assert r1["ts"] != r2["ts"]
    call = fake.calls_to("chat.postMessage")[0]
    assert call.params["text"] == "hi"
    assert call.params["blocks"] == blocks
    assert call.token == "xoxb-1-2-abc"
    assert "*hello*" in all_text(call)


def test_post_to_user_id_lands_in_dm_channel(fake: FakeSlackApi) -> None:
    c = client(fake)
    opened = c.conversations_open(users="U123")
    posted = c.chat_postMessage(channel="U123", text="psst")
    assert opened["channel"]["id"] == posted["channel"] == "D123"


def test_history_returns_metadata_only_when_asked(fake: FakeSlackApi) -> None:
    c = client(fake)
    meta = {"event_type": "accountbot_nudge", "event_payload": {"outbox_id": 42}}
    c.chat_postMessage(channel="D9", text="one", metadata=meta)
    c.chat_postMessage(channel="D9", text="two")
    plain = c.conversations_history(channel="D9")
    assert [m["text"] for m in plain["messages"]] == ["two", "one"]
    assert all("metadata" not in m for m in plain["messages"])
    full = c.conversations_history(channel="D9", include_all_metadata=True, limit=10)
    assert full["messages"][1]["metadata"] == meta
    limited = c.conversations_history(channel="D9", limit=1)
    assert limited["has_more"] is True and len(limited["messages"]) == 1


def test_update_changes_stored_message(fake: FakeSlackApi) -> None:
    c = client(fake)
    posted = c.chat_postMessage(channel="C1", text="old")
    c.chat_update(channel="C1", ts=posted["ts"], text="new")
    assert fake.messages["C1"][0]["text"] == "new"
    with pytest.raises(SlackApiError) as err:
        c.chat_update(channel="C1", ts="1.000000", text="x")
    assert err.value.response["error"] == "message_not_found"


def test_fail_next_ok_false(fake: FakeSlackApi) -> None:
    fake.fail_next("chat.postMessage", error="channel_not_found", times=2)
    c = client(fake)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            c.chat_postMessage(channel="C1", text="x")
        assert err.value.response.status_code == 200
        assert err.value.response["error"] == "channel_not_found"
    assert c.chat_postMessage(channel="C1", text="x")["ok"]
    assert [call.ok for call in fake.calls_to("chat.postMessage")] == [False, False, True]


def test_fail_next_429_with_retry_after_is_retried_by_slack_sdk(fake: FakeSlackApi) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=0)
    c = WebClient(
        token="xoxb-x", base_url=fake.base_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)]
    )
    assert c.chat_postMessage(channel="C1", text="x")["ok"]
    calls = fake.calls_to("chat.postMessage")
    assert [call.status for call in calls] == [429, 200]


def test_fail_next_429_sends_retry_after_header(fake: FakeSlackApi) -> None:
    fake.fail_next("users.info", status=429, retry_after=7)
    r = httpx.post(
        fake.base_url + "users.info", data={"user": "U1"}, headers={"Authorization": "Bearer xoxb-x"}
    )
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert r.json() == {"ok": False, "error": "ratelimited"}


def test_fail_next_500(fake: FakeSlackApi) -> None:
    fake.fail_next("views.publish", status=500)
    with pytest.raises(SlackApiError) as err:
        client(fake).views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert err.value.response.status_code == 500


def test_per_channel_rate_limit() -> None:
    with FakeSlackApi(rate_per_channel=1) as fake:
        c = client(fake)
        c.chat_postMessage(channel="C1", text="a")
        c.chat_postMessage(channel="C2", text="other channel is fine")
        with pytest.raises(SlackApiError) as err:
            c.chat_postMessage(channel="C1", text="b")
        assert err.value.response.status_code == 429
        assert err.value.response.headers.get("Retry-After") in ("1", ["1"])
        time.sleep(1.05)
        assert c.chat_postMessage(channel="C1", text="c")["ok"]


def test_users_info_and_lookup(fake: FakeSlackApi) -> None:
    fake.add_user("U1", tz="Europe/Berlin", is_admin=True, email="Ann@Example.com")
    c = client(fake)
    user = c.users_info(user="U1")["user"]
    assert user["tz"] == "Europe/Berlin" and user["is_admin"] is True
    assert user["profile"]["email"] == "Ann@Example.com"
    assert c.users_lookupByEmail(email="ann@example.com")["user"]["id"] == "U1"
    with pytest.raises(SlackApiError) as err:
        c.users_lookupByEmail(email="nobody@example.com")
    assert err.value.response["error"] == "users_not_found"
    assert c.users_info(user="U2")["user"]["is_admin"] is False  # auto user


def test_unknown_user_when_auto_users_off() -> None:
    with FakeSlackApi(auto_users=False) as fake:
        with pytest.raises(SlackApiError) as err:
            client(fake).users_info(user="U404")
        assert err.value.response["error"] == "user_not_found"


def test_views(fake: FakeSlackApi) -> None:
    c = client(fake)
    opened = c.views_open(
        trigger_id="123.456",
        view={"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []},
    )
    view_id = opened["view"]["id"]
    assert view_id.startswith("V")
    updated = c.views_update(
        view_id=view_id, view={"type": "modal", "title": {"type": "plain_text", "text": "U"}, "blocks": []}
    )
    assert updated["view"]["id"] == view_id
    c.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert fake.home_views["U1"]["type"] == "home"
    with pytest.raises(SlackApiError):
        c.views_open(trigger_id="expired", view={"type": "modal", "blocks": []})


def test_missing_token_and_unknown_method(fake: FakeSlackApi) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=fake.base_url, retry_handlers=[]).chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as err:
        client(fake).api_call("no.such.method")
    assert err.value.response["error"] == "unknown_method"


def test_response_url_posts_are_recorded_and_can_fail(fake: FakeSlackApi) -> None:
    hook = WebhookClient(fake.response_url("abc"))
    assert hook.send(text="done", response_type="ephemeral").status_code == 200
    call = fake.wait_for_response()
    assert call.params["text"] == "done" and call.path == "/response/abc"
    fake.fail_next("response", status=500)
    assert hook.send(text="again").status_code == 500


def test_wait_for_times_out_with_a_clear_message(fake: FakeSlackApi) -> None:
    with pytest.raises(AssertionError, match="views.open"):
        fake.wait_for("views.open", timeout=0.1)


def test_file_upload_flow(fake: FakeSlackApi) -> None:
    c = client(fake)
    c.files_upload_v2(channel="C1", content="a,b\n1,2\n", filename="export.csv", title="Export")
    (file_id,) = fake.uploads
    assert fake.uploads[file_id]["content"] == b"a,b\n1,2\n"
    assert fake.uploads[file_id]["channel_id"] == "C1"


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # binary, not UTF-8: must arrive unchanged


def test_files_upload_v2_three_steps_are_recorded(fake: FakeSlackApi) -> None:
    answer = client(fake).files_upload_v2(
        channel="D123",
        content=PNG,
        filename="quadrant.png",
        title="Portfolio quadrant",
        alt_txt="Scatter of 3 accounts",
        initial_comment="Your chart",
        thread_ts="1.000001",
    )
    assert [c.method for c in fake.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    step1, step2, step3 = fake.calls
    assert step1.params["filename"] == "quadrant.png" and int(step1.params["length"]) == len(PNG)
    assert step1.params["alt_txt"] == "Scatter of 3 accounts"
    upload_url = step1.answer["upload_url"]  # type: ignore[index]
    assert upload_url.startswith(fake.root_url + "upload/")  # the same loopback server
    assert step2.path == "/upload/" + step1.answer["file_id"] and step2.params["bytes"] == len(PNG)  # type: ignore[index]
    assert step3.params["channel_id"] == "D123" and step3.params["initial_comment"] == "Your chart"
    assert step3.params["thread_ts"] == "1.000001"
    assert answer["file"]["id"] == step1.answer["file_id"]  # type: ignore[index]
    (shared,) = fake.shared_files("D123")
    assert shared["content"] == PNG and shared["filename"] == "quadrant.png"
    assert shared["title"] == "Portfolio quadrant" and shared["alt_txt"] == "Scatter of 3 accounts"
    assert shared["initial_comment"] == "Your chart" and shared["thread_ts"] == "1.000001"


def test_several_files_share_as_one_message_seen_in_history(fake: FakeSlackApi) -> None:
    c = client(fake)
    c.files_upload_v2(
        channel="D9",
        file_uploads=[
            {"content": PNG, "filename": "a.png", "title": "A", "alt_txt": "first"},
            {"content": PNG[:100], "filename": "b.png", "title": "B", "alt_txt": "second"},
        ],
    )
    assert [u["filename"] for u in fake.shared_files("D9")] == ["a.png", "b.png"]
    assert len(fake.calls_to("files.completeUploadExternal")) == 1
    (message,) = c.conversations_history(channel="D9")["messages"]
    assert [f["name"] for f in message["files"]] == ["a.png", "b.png"]
    assert message["files"][0]["mimetype"] == "image/png" and message["files"][1]["alt_txt"] == "second"


@pytest.mark.parametrize("method", ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"])
def test_each_upload_step_can_be_made_to_fail(fake: FakeSlackApi, method: str) -> None:
    fake.fail_next(method, status=500)
    with pytest.raises(Exception):  # noqa: B017 - SlackApiError for the API steps, HTTPError for the bytes
        client(fake).files_upload_v2(channel="C1", content=PNG, filename="x.png")
    assert fake.shared_files() == []
    assert fake.messages.get("C1", []) == []
    client(fake).files_upload_v2(channel="C1", content=PNG, filename="x.png")  # the next one goes through
    assert len(fake.shared_files("C1")) == 1


def test_complete_upload_refuses_unknown_or_unsent_files(fake: FakeSlackApi) -> None:
    c = client(fake)
    with pytest.raises(SlackApiError) as err:
        c.files_completeUploadExternal(files=[{"id": "F404"}], channel_id="C1")
    assert err.value.response["error"] == "file_not_found"
    step1 = c.files_getUploadURLExternal(filename="x.png", length=3)
    with pytest.raises(SlackApiError) as err:  # bytes never sent
        c.files_completeUploadExternal(files=[{"id": step1["file_id"]}], channel_id="C1")
    assert err.value.response["error"] == "file_not_found"
    fake.fail_next("files.completeUploadExternal", error="not_in_channel")
    with pytest.raises(SlackApiError) as err:
        c.files_upload_v2(channel="C2", content=PNG, filename="x.png")
    assert err.value.response["error"] == "not_in_channel"


def test_reset_forgets_uploads(fake: FakeSlackApi) -> None:
    client(fake).files_upload_v2(channel="C1", content=PNG, filename="x.png")
    fake.reset()
    assert fake.uploads == {} and fake.shared_files() == []


def test_processed_failure_acts_then_answers_the_failure(fake: FakeSlackApi) -> None:
    fake.fail_next("files.completeUploadExternal", status=500, processed=True)
    with pytest.raises(SlackApiError):
        client(fake).files_upload_v2(channel="C1", content=PNG, filename="x.png")
    assert len(fake.shared_files("C1")) == 1  # shared, although the answer said 500
    fake.fail_next("chat.postMessage", status=500, processed=True)
    with pytest.raises(SlackApiError):
        client(fake).chat_postMessage(channel="C1", text="hi")
    assert [m["text"] for m in fake.messages["C1"]][-1] == "hi"
