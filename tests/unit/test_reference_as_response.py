"""A dataset's reference solution is never read as a model's response (walk 9, #14).

``capslice ingest ../shared/data/math/math500_test.jsonl --run m500`` read MATH-500's reference
``solution`` as the model's output and stored a 100.0% (500/500) run. ``solution`` is a
response key because GSM8K's example_model_solutions holds model output under it (beside an
``is_correct``); a flat file whose only response-like field is ``solution``, with a target,
no correctness and no model column, is a dataset: refused unless ``--field response=solution``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.ingest import read_paths
from capslice_tui.ingest.records import SampleRecord

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MATH500 = DATA / "math" / "math500_test.jsonl"
GSM8K_SOLUTIONS = DATA / "gsm8k" / "example_model_solutions.jsonl"
ROW = {"problem": "1+1?", "solution": "So it is $\\boxed{2}$.", "answer": "2", "unique_id": "a"}


def cli(store: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    return res.exit_code, res.output


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_dataset_with_a_reference_solution_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", [ROW])
    code, out = cli(tmp_path / "s.db", "ingest", str(path), "--run", "d")
    assert code == 1
    assert "the only response-like field is 'solution'" in out
    assert "--field response=solution" in out
    code, out = cli(tmp_path / "s.db", "ingest", str(path), "--run", "d",
                    "--field", "response=solution")  # fmt: skip
    assert code == 0 and "d: 1 new sample" in out


@pytest.mark.parametrize(
    "extra", [{"model": "m1"}, {"correct": True}, {"response": "It is 2."}], ids=str
)
def test_solution_beside_a_model_a_correctness_or_a_response_is_read(
    tmp_path: Path, extra: dict
) -> None:
    path = write(tmp_path / "d.jsonl", [{**ROW, **extra}])
    _ctx, stream = read_paths([path])
    assert len([r for r in stream if isinstance(r, SampleRecord)]) == 1


def test_math500_from_shared_data_is_refused(tmp_path: Path) -> None:
    if not MATH500.exists():
        pytest.skip(f"shared data absent: {MATH500} (the ../shared checkout holds it)")
    code, out = cli(tmp_path / "s.db", "ingest", str(MATH500), "--run", "m500",
                    "--benchmark", "math")  # fmt: skip
    assert code == 1 and "'solution'" in out and "100.0%" not in out


def test_gsm8k_model_solutions_are_still_read_as_responses(tmp_path: Path) -> None:
    if not GSM8K_SOLUTIONS.exists():
        pytest.skip(f"shared data absent: {GSM8K_SOLUTIONS} (the ../shared checkout holds it)")
    code, out = cli(tmp_path / "s.db", "ingest", str(GSM8K_SOLUTIONS), "--run", "g",
                    "--system", "6b_verification")  # fmt: skip
    assert code == 0, out
    assert "response: <system>.solution" in out and "g: 1,319 new samples" in out.replace(
        "1319", "1,319"
    )
