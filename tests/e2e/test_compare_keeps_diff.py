"""A compare at 80 columns never leaves out its ``diff`` column: on the real GSM8K solutions
(two systems, two grouping axes) the narrow table used to drop diff itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main

GSM8K = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "gsm8k"
SOLUTIONS = GSM8K / "example_model_solutions.jsonl"


@pytest.fixture(scope="module")
def gsm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SOLUTIONS.is_file():
        pytest.skip(f"real GSM8K solutions not found at {SOLUTIONS}")
    store = tmp_path_factory.mktemp("gsm") / "gsm.db"
    args = [
        "--store",
        str(store),
        "ingest",
        str(SOLUTIONS),
        "--run",
        "gsm2",
        "--benchmark",
        "gsm8k",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return store


def test_narrow_compare_keeps_the_diff_and_the_marker(gsm: Path) -> None:
    args = ["--store", str(gsm), "compare", "gsm2/6b_verification", "gsm2/175b_verification",
            "--by", "task_type,solving_operation"]  # fmt: skip
    result = CliRunner().invoke(main, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines), result.output
    head = lines[1].split()
    assert "diff" in head and "sig" in head, result.output
    all_row = next(ln.split() for ln in lines if ln.startswith("ALL"))
    assert "+17.2" in all_row, all_row  # 56.3% - 39.0% (742/1319 - 515/1319)
    shown = " ".join(result.output.split())
    assert "not shown at 80 columns: diff" not in shown and ", diff" not in shown
