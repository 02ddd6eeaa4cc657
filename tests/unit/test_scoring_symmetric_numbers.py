"""Numbers compare by value with the target read like the answer (walk 17, F3).

A target written "1,000", "5.0", "$5" or "2.50" (CSV/JSONL targets are often strings) was
labelled free_text by the target-shape rules and compared as text, so the right answer "1000",
"5", "5" or "$2.5" scored wrong while the mirror pairs scored right. A fraction equals its
exact decimal (0.5 == 1/2) as lm-eval's minerva_math scores (normalize_final_answer on both
sides, is_equiv by sympy); 1/3 is never 0.33.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.ingest.scoring import answers_match

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "walk17"

PAIRS = [("1000", "1,000"), ("5", "5.0"), ("5", "$5"), ("$2.5", "2.50"), ("1/2", "0.5")]


@pytest.mark.parametrize("constraint", ["free_text", "integer", "final_number"])
@pytest.mark.parametrize(("answer", "target"), PAIRS)
def test_number_equivalence_is_symmetric(answer: str, target: str, constraint: str) -> None:
    assert answers_match(answer, target, constraint)
    assert answers_match(target, answer, constraint)


@pytest.mark.parametrize(
    ("answer", "target"),
    [("0.33", "1/3"), ("4", "-4"), ("17", "7"), ("1,00", "100"), ("5 apples", "5.0"), ("2", "1/2")],
)
def test_other_numbers_stay_wrong(answer: str, target: str) -> None:
    assert not answers_match(answer, target, "free_text")
    assert not answers_match(target, answer, "free_text")


def test_free_text_that_is_no_number_compares_as_text() -> None:
    assert answers_match("Monsters, Inc", "Monsters, Inc", "free_text")
    assert not answers_match("Paris", "paris, france", "free_text")


def test_the_walk_numbers_score_as_a_careful_grader_would(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    src = FIXTURES / "numbers.jsonl"
    expected = json.loads((FIXTURES / "expected.json").read_text())["numbers.jsonl"]
    for bench in ("toy", "gsm8k"):
        res = CliRunner().invoke(
            main, ["--store", str(store), "ingest", "--run", bench, "--benchmark", bench, str(src)]
        )
        assert res.exit_code == 0, res.output
        res = CliRunner().invoke(
            main, ["--store", str(store), "samples", "--run", bench, "--sort", "doc",
                   "--format", "json", "--limit", "100"],
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        rows = json.loads(res.output)
        rows = rows["samples"] if isinstance(rows, dict) else rows
        got = [int(r["score"]) for r in sorted(rows, key=lambda r: int(r["doc_id"]))]
        assert got == expected, bench
