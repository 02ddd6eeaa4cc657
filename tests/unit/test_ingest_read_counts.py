"""The ingest's "N read" counts the records read, not the samples kept (walk 9, #19).

m5_dup (4 lines, one exact repeat and one repeat with another score) said ``2 new samples (2
read ...)``: the count was the samples kept. It says ``(4 read, 2 kept, ...)``; a run that
keeps every record says ``(N read, ...)`` as before; several runs from one file (a systems
layout) say what each kept and, once, what was read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.formatting import ingest_run_lines

M5_DUP = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "cases"
    / "ing-03-small-faults"
    / "m5_dup"
)


def cli(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    assert res.exit_code == 0, res.output
    return res.output


def test_the_lines_say_records_read_and_samples_kept() -> None:
    assert ingest_run_lines({"r": 2}, {"r": 2}, 4, "lm-eval") == [
        "r: 2 new samples (4 read, 2 kept, format lm-eval)"
    ]
    assert ingest_run_lines({"r": 0}, {"r": 3}, 3, "csv") == [
        "r: 0 new samples (3 read, format csv)"
    ]
    assert ingest_run_lines({"g/a": 1, "g/b": 1}, {"g/a": 1, "g/b": 1}, 2, "jsonl") == [
        "g/a: 1 new sample (1 kept, format jsonl)",
        "g/b: 1 new sample (1 kept, format jsonl)",
        "2 sample records read for 2 runs",
    ]


def test_a_repeated_row_is_read_but_not_kept(tmp_path: Path) -> None:
    row = {"id": 1, "sample_idx": 0, "response": "The answer is 4", "target": "4", "correct": 1}
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (row, row, {**row, "id": 2})))
    out = cli(tmp_path / "s.db", "ingest", str(path), "--run", "d")
    assert "d: 2 new samples (3 read, 2 kept, format jsonl)" in out


def test_m5_dup_from_the_shared_cases(tmp_path: Path) -> None:
    if not M5_DUP.exists():
        pytest.skip(f"shared case absent: {M5_DUP} (the ../shared checkout holds it)")
    out = cli(tmp_path / "s.db", "ingest", str(M5_DUP), "--run", "r")
    assert "r: 2 new samples (4 read, 2 kept, format lm-eval)" in out
