"""Multiple-choice answers a careful grader reads, and the wrong_answer legend (walk 17, F4).

capslice's strict scorer (the headline score of a log without correctness) missed "Answer: B",
"answer: b", "The answer is A. B is wrong because...", "The answer is E) Paris", "I think A."
and "The answer is No, because yes is wrong." (6/14 where 12/14 are right). A letter only
mentioned ("B is wrong", "(A) is wrong; the correct option is (C)") is never read, and two
different stated letters are no answer. A sample with no answer found is a wrong_answer, and
the legend now says so ("a wrong answer, or none found"; it said "an answer was read").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.ingest.scoring import answers_match, score

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "walk17"


def cli(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    assert res.exit_code == 0, res.output
    return res.output


@pytest.mark.parametrize(
    ("response", "target", "read"),
    [
        ("Answer: B", "B", "B"),
        ("answer: b", "B", "B"),
        ("**Answer:** (C)", "(C)", "C"),
        ("I think A.", "A", "A"),
        ("My answer is (D)", "D", "D"),
    ],
)
def test_strict_reads_a_stated_letter(response: str, target: str, read: str) -> None:
    got = score(response, target, "option_letter")
    assert (got.extracted, got.correct) == (read, True)


@pytest.mark.parametrize(
    "response",
    [
        "Answer: A\nAnswer: B",  # two different letters stated
        "Answer: A or B",
        "Answer: Because the others fail",  # the B of Because is no letter
        "Answer: I think B",
        "I think B is wrong.",
        "(B) is wrong; the correct option is (C).",
        "The answer is not B.",
        "The answer is A, or B.",
    ],
)
def test_strict_never_reads_a_mention_or_a_hedge(response: str) -> None:
    assert not score(response, "B", "option_letter").correct


@pytest.mark.parametrize(
    ("answer", "target", "constraint"),
    [
        ("A. B is wrong because...", "A", "option_letter"),
        ("E) Paris", "(E)", "option_letter"),
        ("(E). Option (A) fails", "E", "option_letter"),
        ("No, because yes is wrong", "No", "yes_no"),
    ],
)
def test_a_stated_answer_followed_by_more_text_is_that_answer(
    answer: str, target: str, constraint: str
) -> None:
    assert answers_match(answer, target, constraint)


@pytest.mark.parametrize(
    ("answer", "target", "constraint"),
    [
        ("B is wrong, so A", "A", "option_letter"),
        ("A, or B", "A", "option_letter"),
        ("no, or yes", "No", "yes_no"),
        ("yes or no", "Yes", "yes_no"),
    ],
)
def test_a_hedge_or_a_mention_first_is_no_answer(answer: str, target: str, constraint: str) -> None:
    assert not answers_match(answer, target, constraint)


def test_the_walk_multiple_choice_rows_score_12_of_14(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    cli(store, "ingest", "--run", "mc", "--benchmark", "toy", str(FIXTURES / "mc.jsonl"))
    rows = json.loads(cli(store, "samples", "--run", "mc", "--format", "json", "--limit", "100"))
    rows = rows["samples"] if isinstance(rows, dict) else rows
    got = [int(r["score"]) for r in sorted(rows, key=lambda r: int(r["doc_id"]))]
    assert got == json.loads((FIXTURES / "expected.json").read_text())["mc.jsonl"]


def test_the_wrong_answer_legend_covers_no_answer_found(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"id": 0, "answer": "A", "response": "I do not know."}) + "\n")
    store = tmp_path / "s.db"
    cli(store, "ingest", "--run", "r", "--benchmark", "toy", str(path))
    assert "failure mode: wrong_answer (no answer found" in cli(store, "sample", "1")
    legend = " ".join(cli(store, "samples", "--run", "r").split())
    assert "wrong = wrong_answer (a wrong answer, or none found)" in legend
