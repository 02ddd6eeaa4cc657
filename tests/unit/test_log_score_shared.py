"""The sample's ``log's score`` fact and the failure reason's wording are one function each,
in a non-CLI module (``report``) that the CLI's ``sample`` command and the app's sample
detail both import: the app imports nothing from ``capslice_tui.cli`` (798b4d9 had it import
``log_score`` and the private ``_for_this_sample`` from ``cli/root.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

import capslice_tui
from capslice_tui import report

PACKAGE = Path(capslice_tui.__file__).parent


def _imports(path: Path) -> list[str]:
    """The modules ``path`` imports from (relative ones with their dots), any nesting."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names)
    return found


def test_the_app_imports_nothing_from_the_cli() -> None:
    bad = {
        str(p.relative_to(PACKAGE)): m
        for p in (PACKAGE / "app").rglob("*.py")
        for m in _imports(p)
        if m.lstrip(".").split(".")[0] == "cli" or m.startswith("capslice_tui.cli")
    }
    assert not bad, bad


def test_one_copy_shared_by_cli_and_app() -> None:
    # cli/root.py imports them inside the sample command (cheap reads never load report:
    # test_startup_imports), so the check is on its source
    source = (PACKAGE / "cli" / "root.py").read_text(encoding="utf-8")
    assert "from ..report import for_this_sample, log_score" in source
    assert callable(report.log_score) and callable(report.for_this_sample)
    assert "def log_score" not in source and "def _for_this_sample" not in source
    detail = _imports(PACKAGE / "app" / "screens" / "sample_detail.py")
    assert "...report" in detail, detail
