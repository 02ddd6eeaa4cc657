"""Commands start fast: the facade and the CLI import no heavy library until a command needs it.

scipy, scikit-learn, Textual, pyarrow and math-verify each cost from a tenth of a second to
seconds of start-up (issue 14: ``capslice runs`` took 2.6 s, nearly all of it importing scipy).
These tests check which modules a fresh interpreter holds, never how long anything took.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup_logs import write_gsm8k_run  # noqa: E402

from capslice_tui.workspace import Workspace  # noqa: E402

HEAVY = ("scipy", "sklearn", "textual", "pyarrow", "math_verify")


def _heavy_after(code: str) -> list[str]:
    """Heavy top-level packages in ``sys.modules`` after running ``code`` in a fresh Python."""
    probe = (
        code
        + "\nimport sys"
        + f"\nprint(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_workspace_and_cli_import_no_heavy_library() -> None:
    assert _heavy_after("import capslice_tui.workspace, capslice_tui.cli") == []


def test_opening_a_workspace_imports_no_heavy_library(tmp_path) -> None:
    code = (
        "from capslice_tui.workspace import Workspace\n"
        f"ws = Workspace({str(tmp_path / 'c.db')!r})\n"
        "ws.runs()\n"
    )
    assert _heavy_after(code) == []


def test_paired_statistics_need_no_scipy() -> None:
    # McNemar, Benjamini-Hochberg and the MDD are computed with numpy and the standard
    # library (exact binomial sums; compare and diagnose call them per slice), so they import
    # no heavy library at all; the values are checked against scipy in test_compare.py
    code = (
        "from capslice_tui.analysis import mcnemar_exact, min_detectable_difference\n"
        "from capslice_tui.analysis.compare import benjamini_hochberg\n"
        "assert abs(mcnemar_exact(10, 2) - 0.0385742) < 1e-6\n"
        "assert 0 < min_detectable_difference(500) < 1\n"
        "assert benjamini_hochberg([0.01, 0.04]).tolist() == [0.02, 0.04]\n"
    )
    assert _heavy_after(code) == []


def test_cheap_commands_import_no_heavy_library(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    Workspace(store).ingest([write_gsm8k_run(tmp_path / "logs")], run="base")
    for args, shown in (
        (["--help"], "Usage"),
        (["runs"], "8/12"),
        (["slices", "--run", "base", "--by", "task_type"], "8/12"),
        (["samples", "--run", "base", "--limit", "50"], "wrong_answer"),
    ):
        code = (
            "from capslice_tui.cli import main\n"
            f"main.main({['--store', str(store), *args]!r}, standalone_mode=False)\n"
        )
        probe = code + f"import sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        assert shown in out.stdout, (args, out.stdout[-500:], out.stderr[-500:])
        assert out.stdout.strip().splitlines()[-1] == "[]", (args, out.stdout[-500:])
