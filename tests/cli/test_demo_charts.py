"""`accountbot demo --out DIR` writes both portfolio charts of the sample data and prints their paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image


def run_demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SLACK_TEAM_ID")}
    env |= {"COLUMNS": "200", "DATABASE_URL": f"sqlite:///{cwd / 'untouched.db'}"}
    return subprocess.run(
        [sys.executable, "-c", "from accountbot.cli import main; main()", "demo", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_out_folder_gets_both_charts_as_large_pngs(tmp_path: Path) -> None:
    proc = run_demo(tmp_path, "--out", "pictures/week48")
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "pictures" / "week48"
    for name in ("quadrant.png", "concentration.png"):
        path = folder / name
        assert f"Wrote pictures/week48/{name}" in proc.stdout
        with Image.open(path) as image:
            image.load()  # decodes the whole file
            assert image.format == "PNG"
            assert image.size[0] >= 1600 and image.size[1] >= 1000
    assert "Portfolio pictures" in proc.stdout
    assert "Concentration: top 26% of clients = 64% of revenue." in proc.stdout
    assert not (tmp_path / "demo-output").exists()  # only the folder asked for
    assert not (tmp_path / "untouched.db").exists()


def test_out_that_is_a_file_is_refused_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("not a folder")
    proc = run_demo(tmp_path, "--out", "taken")
    assert proc.returncode == 1
    assert "is a file, not a folder" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
