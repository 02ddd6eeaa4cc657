"""The dependency direction is the architecture (style.md item 1), and CLI help is complete."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE_MODULES = [
    "capslice_tui.store",
    "capslice_tui.analysis.metrics",
    "capslice_tui.analysis.compare",
    "capslice_tui.analysis.failure_modes",
    "capslice_tui.ingest",
    "capslice_tui.ingest.scoring",
    "capslice_tui.taxonomy.evaluation",
    "capslice_tui.workspace",
]


def test_core_never_imports_textual() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE_MODULES)
        + "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core modules pulled in Textual: {out.stdout}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
    return names


@pytest.mark.parametrize(
    "path", sorted((ROOT / "capslice_tui" / "app").rglob("*.py")), ids=lambda p: p.name
)
def test_app_goes_through_the_facade(path: Path) -> None:
    banned = ("sqlite3", "sqlite_utils", "capslice_tui.store")
    for name in _imports(path):
        stripped = name.lstrip(".")
        assert not any(stripped == b or stripped.startswith(b + ".") for b in banned), (
            f"{path.relative_to(ROOT)} imports {name}; screens must call the workspace facade"
        )
        assert not (name.startswith("..") and stripped.startswith("store")), name


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((prefix + name, cmd))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, prefix + name + " ")
    return out


def test_every_cli_command_has_help() -> None:
    from capslice_tui.cli import main

    missing = [name for name, cmd in _commands(main) if not (cmd.help or "").strip()]
    assert not missing, f"commands without help: {missing}"


def test_ruff_lint_is_clean() -> None:
    ruff = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "capslice_tui",
            "store",
            "tests",
            "benchmarks",
            "sample_data",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if ruff.returncode != 0 and "No module named ruff" in ruff.stderr:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    assert ruff.returncode == 0, ruff.stdout[-3000:]
