"""lm-eval lines holding several generations per doc (``repeats``: gsm8k_cot_self_consistency's
``score-first`` and ``maj@k`` filters) give the right per-sample scores, or warn.

Fixture ``tests/fixtures/lmeval_self_consistency``: 4 docs, ``repeats: 4``, every response
"... The answer is N." (the harness's regex ``The answer is (...)``); 5 of the 16 generations
give the target, 3 of the 4 docs have one that does (pass@4 = 3/4); the results file reports
``score-first`` 0.50 (the first generation of each doc) and ``maj@4`` 0.25 (the vote).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from capslice_tui.ingest.scoring import extract_strict
from capslice_tui.workspace import Workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "lmeval_self_consistency"
TASK = "gsm8k_cot_self_consistency"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "store.db")


def _copy(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A copy of the fixture: (folder, results file, samples file)."""
    folder = tmp_path / "logs"
    shutil.copytree(FIXTURE, folder)
    (results,) = folder.glob("*/results_*.json")
    (samples,) = folder.glob("*/samples_*.jsonl")
    return folder, results, samples


def test_score_first_generations_scored_right_with_pass_at_k(ws: Workspace) -> None:
    report = ws.ingest([FIXTURE], run="sc")
    assert report.warnings == []  # the results file's scores are what the samples give
    table = ws.slices("sc", k=["4"])
    row = table.overall
    assert (row.correct, row.n_samples) == (5, 16)  # 31.25%: every generation scored
    assert row.pass_at_k[4]["expected_solved"] == 3.0 and row.pass_at_k[4]["n_eligible"] == 4
    rows, _ = ws.samples("sc", filter_name="score-first", limit=100)
    first = sorted((r["doc_id"], r["score"], r["extracted"]) for r in rows if r["sample_idx"] == 0)
    # generation 0 holds the log's exact_match and filtered answer (score-first = take_first)
    assert first == [("0", 1.0, "18"), ("1", 0.0, "9"), ("2", 1.0, "40"), ("3", 0.0, "5")]
    assert report.scored_by_capslice == 12  # generations 1-3 of 4 docs: the log scores none
    (note,) = [n for n in report.notes if "filter score-first:" in n]
    assert "of the first only" in note and "mean over all 4" in note


def test_a_vote_filter_is_one_voted_sample_per_doc(ws: Workspace) -> None:
    report = ws.ingest([FIXTURE], run="sc")
    row = ws.slices("sc", k=["4"], filter_name="maj@4").overall
    assert (row.correct, row.n_samples, row.score) == (1, 4, 0.25)  # the results file's maj@4
    assert row.pass_at_k == {}  # one vote per doc: no pass@4 over votes
    rows, _ = ws.samples("sc", filter_name="maj@4", limit=100)
    voted = sorted((r["doc_id"], r["sample_idx"], r["response"], r["score"]) for r in rows)
    assert voted == [
        ("0", 0, "18", 1.0),
        ("1", 0, "9", 0.0),
        ("2", 0, "42", 0.0),
        ("3", 0, "5", 0.0),
    ]
    (note,) = [n for n in report.notes if "filter maj@4:" in n]
    assert "majority vote" in note and "samples of filter score-first" in note


def test_strict_extraction_reads_the_capitalised_answer_is() -> None:
    # lm-eval's gsm8k-cot regex is "The answer is (...)"; BBH's is lowercase
    assert extract_strict("9*2 is 18. The answer is 18.", "final_number") == "18"
    assert extract_strict("so the answer is (B).", "option_letter") == "(B)"
    assert extract_strict("THE ANSWER IS 18.", "final_number") is None  # case kept otherwise


def test_a_reported_score_the_samples_do_not_give_warns_without_metric_list(
    ws: Workspace, tmp_path: Path
) -> None:
    # a results file whose config has no metric_list (lm-eval's defaults: exact_match is a
    # mean) is checked too
    folder, results, _ = _copy(tmp_path)
    doc = json.loads(results.read_text())
    del doc["configs"][TASK]["metric_list"]
    doc["results"][TASK]["exact_match,score-first"] = 0.9
    results.write_text(json.dumps(doc))
    report = ws.ingest([folder], run="sc")
    (warning,) = report.warnings
    assert "reports exact_match (score-first) = 0.90 but its samples give 2/4" in warning


def _unknown_filter(results: Path, samples: Path, response: str | None = None) -> None:
    """Rename filter score-first to ``pick``, a pipeline of a function capslice does not know;
    drop maj@4; ``response`` (``{x}`` = the answer) rewrites every generation."""
    doc = json.loads(results.read_text())
    config = doc["configs"][TASK]
    config["filter_list"] = [{"name": "pick", "filter": [{"function": "best_of_judge"}]}]
    doc["results"][TASK] = {"alias": TASK, "exact_match,pick": 0.5}
    results.write_text(json.dumps(doc))
    lines = []
    for text in samples.read_text().splitlines():
        line = json.loads(text)
        if line["filter"] != "score-first":
            continue
        line["filter"] = "pick"
        if response is not None:
            answers = [r.rsplit(" ", 1)[-1].rstrip(".") for r in line["resps"][0]]
            line["resps"] = [[response.format(x=x) for x in answers]]
        lines.append(json.dumps(line))
    samples.write_text("\n".join(lines) + "\n")


def test_repeats_under_an_unknown_filter_warn_and_score_each_generation(
    ws: Workspace, tmp_path: Path
) -> None:
    folder, results, samples = _copy(tmp_path)
    _unknown_filter(results, samples)
    report = ws.ingest([folder], run="sc")
    (warning,) = [w for w in report.warnings if "filter pick:" in w]
    assert "given to none of them" in warning
    assert report.scored_by_capslice == 16  # the log's score goes to no generation
    row = ws.slices("sc").overall
    assert (row.correct, row.n_samples) == (5, 16)


def test_strict_reading_nothing_where_lenient_reads_wrong_answers_is_a_caveat(
    ws: Workspace, tmp_path: Path
) -> None:
    # strict reads no answer in any of the 16 ("Final answer: N" is no official format);
    # lenient reads all 16, 11 of them wrong: the 0% is the format's, not the answers'
    folder, results, samples = _copy(tmp_path)
    _unknown_filter(results, samples, response="Final answer: {x}")
    report = ws.ingest([folder], run="sc")
    (caveat,) = [w for w in report.warnings if "strict answer format" in w]
    assert "read no answer in 16 of the 16 samples" in caveat
    assert "lenient score 31.2% (5/16)" in caveat
