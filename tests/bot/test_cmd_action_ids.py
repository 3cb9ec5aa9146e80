"""Every button any renderer draws (command answers, nudges, news alerts, App Home, modals) has a listener."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt import BoltRequest, BoltResponse
from slack_sdk.models.views import View

from bot.app import create_app
from bot.context import BotContext
from bot.settings import load_settings
from storage.db import make_engine, session_factory
from tests.bot.samples import outbox_samples, samples
from tests.fakes.slack_signing import block_actions_payload


def _action_ids(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if node.get("type") in ("button", "static_select", "overflow") and "action_id" in node:
            found.add(node["action_id"])
        for value in node.values():
            found |= _action_ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= _action_ids(value)
    return found


def test_every_rendered_button_is_handled(tmp_path: Path) -> None:
    rendered = [make() for make in {**samples(False), **samples(True), **outbox_samples(False)}.values()]
    ids: set[str] = set()
    for r in rendered:
        ids |= _action_ids(r.to_dict() if isinstance(r, View) else r.payload())
    ids -= {"kind", "contact"}  # inputs inside the Log-touch modal: read on submission, not clicked
    assert {"open_grade", "log_touch", "snooze_week", "snooze_month", "share_card", "list_page"} <= ids

    settings = load_settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        slack_signing_secret="s",
        slack_bot_token="xoxb-0-0-x",
        slack_api_url="http://127.0.0.1:9/api/",
    )
    engine = make_engine(settings.database_url)
    app = create_app(BotContext(settings=settings, sessions=session_factory(engine)))
    listeners = app._listeners  # Bolt keeps its registered listeners here
    unhandled = []
    for action_id in [*sorted(ids), "no_such_button"]:
        body = urlencode({"payload": json.dumps(block_actions_payload(action_id, "x"))})
        request = BoltRequest(body=body, headers={"content-type": ["application/x-www-form-urlencoded"]})
        if not any(lst.matches(req=request, resp=BoltResponse(status=200)) for lst in listeners):
            unhandled.append(action_id)
    engine.dispose()
    assert unhandled == ["no_such_button"]  # the matcher is real: an unknown id is caught
