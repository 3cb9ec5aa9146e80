"""bot.uploads against the loopback fake Slack: DM opening, the three upload steps, failures as UploadFailed
with a message for the person, and the history check used to avoid sharing twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.uploads import HistoryUnavailable, Png, UploadFailed, find_shared, upload_png, upload_pngs
from tests.fakes.slack_api import FakeSlackApi

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture
def fake() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as f:
        yield f


def client(fake: FakeSlackApi) -> WebClient:
    return WebClient(token="xoxb-1-2-abc", base_url=fake.base_url, retry_handlers=[])


def png(name: str = "quadrant.png") -> Png:
    return Png(filename=name, title="Portfolio quadrant", alt_text="A scatter of 3 accounts", content=PNG)


def test_user_recipient_gets_the_file_in_their_dm(fake: FakeSlackApi) -> None:
    done = upload_png(client(fake), "U0ALICE", png(), initial_comment="Here it is")
    assert done.channel == "D0ALICE" and len(done.file_ids) == 1
    assert [c.method for c in fake.calls] == [
        "conversations.open",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    (shared,) = fake.shared_files("D0ALICE")
    assert shared["content"] == PNG and shared["alt_txt"] == "A scatter of 3 accounts"
    assert shared["title"] == "Portfolio quadrant" and shared["initial_comment"] == "Here it is"


def test_channel_recipient_is_used_as_is_and_two_files_share_once(fake: FakeSlackApi) -> None:
    upload_pngs(client(fake), "C0SALES", [png("a.png"), png("b.png")])
    assert not fake.calls_to("conversations.open")
    assert len(fake.calls_to("files.completeUploadExternal")) == 1
    assert [u["filename"] for u in fake.shared_files("C0SALES")] == ["a.png", "b.png"]


def test_not_in_channel_becomes_an_invitation_to_invite_the_bot(fake: FakeSlackApi) -> None:
    fake.fail_next("files.completeUploadExternal", error="not_in_channel")
    with pytest.raises(UploadFailed) as err:
        upload_png(client(fake), "C0SALES", png())
    failed = err.value
    assert failed.step == "share" and failed.error == "not_in_channel"
    assert failed.maybe_shared is False
    assert "Invite @accountbot to <#C0SALES> first" in failed.user_message("<#C0SALES>")


def test_a_lost_answer_of_the_sharing_step_may_have_shared(fake: FakeSlackApi) -> None:
    fake.fail_next("files.completeUploadExternal", status=500)
    with pytest.raises(UploadFailed) as err:
        upload_png(client(fake), "C1", png())
    assert err.value.step == "share" and err.value.maybe_shared is True
    assert "try again" in err.value.user_message("<#C1>")


@pytest.mark.parametrize("method,step", [("files.getUploadURLExternal", "prepare"), ("upload", "bytes")])
def test_failures_before_sharing_are_known_not_to_have_shared(
    fake: FakeSlackApi, method: str, step: str
) -> None:
    fake.fail_next(method, status=500)
    with pytest.raises(UploadFailed) as err:
        upload_png(client(fake), "C1", png())
    assert err.value.step == step and err.value.maybe_shared is False
    assert err.value.failure.kind == "retryable"


def test_dm_that_cannot_be_opened(fake: FakeSlackApi) -> None:
    fake.fail_next("conversations.open", error="user_disabled")
    with pytest.raises(UploadFailed) as err:
        upload_png(client(fake), "U0GONE", png())
    assert err.value.step == "open"
    assert "could not open a direct message" in err.value.user_message("your DM")
    assert not fake.calls_to("files.getUploadURLExternal")


def test_find_shared_looks_for_the_marker_in_file_names(fake: FakeSlackApi) -> None:
    c = client(fake)
    assert find_shared(c, "D1", "outbox-7-", "0") == []
    upload_pngs(c, "D1", [png("report-outbox-7-quadrant.png"), png("report-outbox-7-concentration.png")])
    upload_png(c, "D1", png("report-outbox-70-quadrant.png"))
    assert find_shared(c, "D1", "outbox-7-", "0") == [
        "report-outbox-7-quadrant.png",
        "report-outbox-7-concentration.png",
    ]
    fake.fail_next("conversations.history", error="missing_scope")
    with pytest.raises(HistoryUnavailable) as err:
        find_shared(c, "D1", "outbox-7-", "0")
    assert err.value.error == "missing_scope"
