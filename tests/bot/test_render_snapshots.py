"""Snapshots of every message and view the Slack face renders (fixed data, fixed clock).

A change in rendering shows up as a diff against tests/bot/snapshots/NAME.json. When the change is
intended, regenerate with `UPDATE_SNAPSHOTS=1 pytest tests/bot/test_render_snapshots.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from slack_sdk.models.views import View

from tests.bot.samples import samples

SNAPSHOTS = Path(__file__).with_name("snapshots")
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
SAMPLES = samples(hostile=False)


def _as_json(rendered: object) -> str:
    data = rendered.to_dict() if isinstance(rendered, View) else rendered.payload()  # type: ignore[attr-defined]
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_snapshot(name: str) -> None:
    path = SNAPSHOTS / f"{name}.json"
    actual = _as_json(SAMPLES[name]())
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1 once and review it"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} changed; if intended, rerun with UPDATE_SNAPSHOTS=1"
    )


def test_no_stale_snapshots() -> None:
    """Every snapshot file belongs to a renderer still in use."""
    assert {p.stem for p in SNAPSHOTS.glob("*.json")} <= set(SAMPLES)
