"""The Markdown of a diagnosis says, per slice, the task_type x solving_operation cells the
text lists under it (``within it: ...``), in the same words.

Against ``--reference``, the text put the reference's score on each cell beside the run's
(``counting_probability x casework: math-base 12.0% (25/208), 13 items; math-targeted 54.3%
(-42.3 points)``) while ``--format md`` had no such column at all (the paired table) and the
reference's score sat under a column headed ``base``, though the report's base is the run
diagnosed. Without a reference the Markdown worded the cells its own way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir


@pytest.fixture(scope="module")
def math_pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("md-within") / "capslice.db"
    ws = Workspace(path)
    for name in ("math-base", "math-targeted"):
        ws.ingest([sample_data_dir() / "lm_eval" / name], run=name, benchmark="math")
    return path


def _cli(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args], terminal_width=400)
    assert res.exit_code == 0, res.output
    return res.output


def _within_lines(text: str) -> list[str]:
    """The text's ``within it:`` cells, whitespace folded (the text wraps its prose)."""
    flat = " ".join(text.split())
    return [m.strip() for m in re.findall(r"within it: (.*?)(?= within it: | - |note: |$)", flat)]


def _md_rows(md: str) -> list[list[str]]:
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in rows]


@pytest.mark.parametrize(
    "runs",
    [
        ("math-base", "--reference", "math-targeted"),
        ("math-base",),
        ("math-base", "math-targeted"),
    ],
    ids=["reference", "own-average", "change"],
)
def test_markdown_lists_the_cells_the_text_lists(math_pair: Path, runs: tuple[str, ...]) -> None:
    args = ("diagnose", *runs, "--benchmark", "math")
    within = _within_lines(_cli(math_pair, *args))
    md = _cli(math_pair, *args, "--format", "md")
    assert within, "the text lists no cell within a slice"
    for cell in within:
        assert cell in md, (cell, md)


def test_reference_columns_name_whose_score(math_pair: Path) -> None:
    args = ("diagnose", "math-base", "--reference", "math-targeted", "--benchmark", "math")
    md = _cli(math_pair, *args, "--format", "md")
    header = next(r for r in _md_rows(md) if r[0] == "slice" and "change (points)" in r)
    assert "base" not in header, header  # the base of the report is math-base itself
    assert header[2] == "reference math-targeted", header
    assert header[3] == "math-base mean per-item score (samples)", header
    assert header[-1].startswith("task_type x solving_operation within the slice, furthest "
                                 "below math-targeted first"), header  # fmt: skip
    row = next(r for r in _md_rows(md) if r[0].startswith("task_type=counting_probability"))
    assert row[-1].startswith(
        "counting_probability x casework: math-base 12.0% (25/208), 13 items; "
        "math-targeted 54.3% (-42.3 points)"
    ), row
