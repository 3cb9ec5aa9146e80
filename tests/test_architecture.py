"""The arrows that must never exist (docs/architecture.md): accounts -> anything of ours; storage -> bot|jobs;
jobs -> bot; news -> storage|bot|jobs; crm -> storage|bot|jobs; nothing below accountbot/ imports it. Checked
on every import statement of every module, function-level ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"accounts", "storage", "bot", "jobs", "news", "crm", "accountbot"}
# Settings (bot.settings) may be read anywhere but in the rules; the CLI and demo are the top of the house.
TOP = {"accountbot.cli", "accountbot.demo"}
FORBIDDEN = {
    "accounts": OURS - {"accounts"},
    "storage": {"bot", "jobs"} | TOP,
    "jobs": {"bot"} | TOP,
    "news": {"bot", "jobs"} | TOP,
    "crm": {"storage", "bot", "jobs"} | TOP,  # the CRM API layer: HTTP only; the sync engine feeds storage
    "bot": TOP,
}


def _hits(imported: set[str], forbidden: set[str]) -> set[str]:
    return {m for m in imported for f in forbidden if m == f or m.startswith(f + ".")}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layering(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _hits(_imports(path), FORBIDDEN[package])
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "layering broken:\n" + "\n".join(offenders)


def test_rules_read_no_clock() -> None:
    """accounts/ gets `now` passed in; it never reads the clock."""
    offenders = []
    for path in sorted((ROOT / "accounts").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for needle in ("datetime.now(", "date.today(", "time.time(", "utcnow("):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders, offenders


def test_layering_check_detects_a_bad_import(tmp_path: Path) -> None:
    bad = tmp_path / "mod.py"
    bad.write_text(
        "from bot.render import kit\nimport jobs.digest\nfrom accountbot.demo import main\nimport accounts\n"
    )
    assert _hits(_imports(bad), FORBIDDEN["storage"]) == {"bot.render", "jobs.digest", "accountbot.demo"}


def test_plotting_libraries_load_only_when_a_chart_is_drawn() -> None:
    """matplotlib and numpy add ~40 MB: `accountbot run` (app, relay, scheduler, CLI) must start without them."""
    import subprocess
    import sys

    code = (
        "import sys; import accountbot.cli, accountbot.cli.run, bot.app, bot.relay, jobs.registry, jobs.scheduler; "
        "print(sorted(m for m in ('matplotlib', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Our modules and the modules of ours each one imports (function-level imports included)."""
    files = {
        _module_name(p): p
        for pkg in sorted(OURS)
        for p in (ROOT / pkg).rglob("*.py")
        if "migrations" not in p.parts
    }
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        targets: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from pkg import name`: the submodule pkg.name when there is one, else pkg itself
                names = [
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in files else node.module
                    for a in node.names
                ]
            targets.update(n for n in names if n in files and n != mod)
        graph[mod] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    """No module of ours reaches itself through imports, not even through one inside a function."""
    assert _cycles(_import_graph()) == []


def test_cycle_check_detects_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
