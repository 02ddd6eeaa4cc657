"""Ambiguous generic logs are warned about, never read silently, and what is stored agrees.

Walk 7: a row with a response (``output``) and an extracted answer (``pred``) that disagree and
no correctness stored ``extracted 5``, ``score 1``, ``lenient 5 correct`` for target 4; a
``score`` of 0.7 was read as correctness; ``correct`` vs ``passed`` and ``target`` vs
``answer`` were picked without a word. lm-eval: a results file naming only the model type
(``config.model: hf``) gave the run the model ``hf`` without saying so.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from capslice_tui.ingest.lmeval import read_results
from capslice_tui.ingest.records import ReadContext
from capslice_tui.workspace import Workspace

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"
M4 = CASES / "ing-03-small-faults" / "m4_nsamples"


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "store.db")


def _rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _samples(ws: Workspace, run: str) -> list[dict[str, Any]]:
    rows = ws.store.conn.execute(
        "SELECT s.doc_id, s.extracted, s.score, s.lenient_extracted, s.lenient, s.failure_mode"
        " FROM samples s JOIN runs r ON r.id = s.run_id WHERE r.name = ?"
        " ORDER BY CAST(s.doc_id AS INTEGER)",
        (run,),
    )
    keys = ("doc_id", "extracted", "score", "lenient_extracted", "lenient", "failure_mode")
    return [dict(zip(keys, r, strict=True)) for r in rows]


AMB = [
    {"question": "2+2?", "output": "4", "gold": "4", "pred": "5"},
    {"question": "3+3?", "output": "6", "gold": "6", "pred": "6"},
]


def test_extracted_answer_without_correctness_is_set_aside_and_stored_results_agree(
    ws: Workspace, tmp_path: Path
) -> None:
    path = _rows(tmp_path / "amb4.jsonl", AMB)
    report = ws.ingest([path], run="r")
    for s in _samples(ws, "r"):  # extracted, score, lenient and failure mode say one thing
        target = AMB[int(s["doc_id"])]["gold"]
        assert s["extracted"] == target and s["score"] == 1.0, s
        assert s["lenient_extracted"] == target and s["lenient"] == 1.0, s
        assert s["failure_mode"] == "correct"
    (warning,) = [w for w in report.warnings if "'pred'" in w]
    assert f"{path}:1" in warning and "not in the response 'output'" in warning
    assert "--field response=pred" in warning and "lines" not in warning  # one row
    assert "not used: pred" in report.fields[0]


def test_choosing_the_extracted_answer_scores_it(ws: Workspace, tmp_path: Path) -> None:
    path = _rows(tmp_path / "amb4.jsonl", AMB)
    ws.ingest([path], run="r", field_map={"response": "pred"})
    first, second = _samples(ws, "r")
    assert (first["extracted"], first["score"], first["lenient"]) == ("5", 0.0, 0.0)
    assert first["failure_mode"] != "correct"
    assert (second["score"], second["lenient"]) == (1.0, 1.0)


def test_extracted_answer_beside_a_logged_correctness_is_kept(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = [{"question": "2+2?", "output": "so 4", "gold": "4", "pred": "4", "correct": 1}]
    report = ws.ingest([_rows(tmp_path / "ok.jsonl", rows)], run="r")
    assert _samples(ws, "r")[0]["extracted"] == "4"
    assert report.warnings == [] and "not used" not in report.fields[0]


def test_fractional_score_is_named_a_mean_score(ws: Workspace, tmp_path: Path) -> None:
    rows = [
        {"id": 1, "question": "q1", "response": "a", "target": "a", "score": 0.7},
        {"id": 2, "question": "q2", "response": "b", "target": "b", "score": 0.2},
        {"id": 3, "question": "q3", "response": "c", "target": "c", "score": 1},
    ]
    path = _rows(tmp_path / "s07.jsonl", rows)
    report = ws.ingest([path], run="s")
    (warning,) = report.warnings
    assert "field 'score'" in warning and "mean scores, not accuracies" in warning
    assert "--field correct=KEY" in warning and f"2 lines (first {path}:1)" in warning


def test_disagreeing_correctness_fields_are_warned(ws: Workspace, tmp_path: Path) -> None:
    rows = [
        {"id": i, "question": f"q{i}", "response": "r", "target": "4", "correct": True, "passed": p}
        for i, p in enumerate([False, True, False])
    ]
    path = _rows(tmp_path / "cp.jsonl", rows)
    report = ws.ingest([path], run="c")
    (warning,) = report.warnings
    assert "fields 'correct' and 'passed' disagree" in warning
    assert "'correct' is read as the correctness" in warning
    assert "--field correct=passed" in warning and f"2 lines (first {path}:1)" in warning


def test_disagreeing_reference_fields_are_warned_and_agreeing_ones_not(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = [
        {"id": 0, "question": "q", "response": "The answer is 4", "target": "4", "answer": "5"},
        {"id": 1, "question": "q", "response": "The answer is 6", "target": "6", "answer": "6"},
        # a worked solution ending in its number says the same as the target
        {
            "id": 2,
            "question": "q",
            "response": "The answer is 7",
            "target": "7",
            "answer": "3+4\n#### 7",
        },
    ]
    path = _rows(tmp_path / "ta.jsonl", rows)
    report = ws.ingest([path], run="t")
    (warning,) = [w for w in report.warnings if "disagree" in w]
    assert "fields 'target' and 'answer' disagree" in warning
    assert "'target' is read as the target" in warning and "--field target=answer" in warning
    assert f"({path}:1)" in warning


def test_naming_the_field_is_a_choice_and_not_warned(ws: Workspace, tmp_path: Path) -> None:
    rows = [{"id": 0, "question": "q", "response": "4", "target": "4", "answer": "5"}]
    path = _rows(tmp_path / "ta.jsonl", rows)
    report = ws.ingest([path], run="t", field_map={"target": "answer"})
    assert report.warnings == []
    assert _samples(ws, "t")[0]["score"] == 0.0


def _results(folder: Path, doc: dict[str, Any]) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "results_2024-07-03T14-05-09.123456.json"
    path.write_text(json.dumps({"results": {"gsm8k": {}}, "configs": {}, **doc}))
    return path


@pytest.mark.parametrize(
    ("doc", "name"),
    [
        ({"config": {"model": "hf", "model_args": {"pretrained": "org/m-7b"}}}, "org/m-7b"),
        ({"config": {"model": "hf", "model_args": "dtype=bf16,pretrained=org/m-7b"}}, "org/m-7b"),
        ({"config": {"model": "openai-completions", "model_args": "model=gpt-x"}}, "gpt-x"),
        ({"config": {"model": "hf"}, "model_name_sanitized": "org__m-7b"}, "org__m-7b"),
        ({"config": {"model": "hf"}, "model_name": "", "model_name_sanitized": "a__b"}, "a__b"),
        ({"config": {"model": "hf", "model_args": "pretrained=x"}, "model_name": "org/y"}, "org/y"),
    ],
)
def test_lmeval_model_name_comes_from_what_names_the_model(
    tmp_path: Path, doc: dict[str, Any], name: str
) -> None:
    ctx = ReadContext()
    read_results(_results(tmp_path / "r", doc), ctx)
    assert ctx.run_meta["model_name"] == name
    assert "reader_notes" not in ctx.run_meta


def test_lmeval_model_type_only_is_said(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "m4"
    shutil.copytree(M4, folder)
    report = ws.ingest([folder], run="m4")
    (note,) = [n for n in report.notes if "model type" in n]
    assert "lm-eval model type 'hf' (config.model)" in note and "--model NAME" in note
    assert str(folder / "results_2024-07-03T14-05-09.123456.json") in note
    assert ws.store.get_run("m4")["model"] == "hf"
    named = ws.ingest([folder], run="named", model="org/m")
    assert ws.store.get_run("named")["model"] == "org/m" and named.runs == {"named": 2}


def test_fractional_scores_of_parallel_and_systems_layouts_are_named_mean_scores(
    ws: Workspace, tmp_path: Path
) -> None:
    parallel = [
        {"idx": 0, "question": "q", "gt": "4", "response": ["4", "5"], "score": [0.5, 1.0]},
        {"idx": 1, "question": "q", "gt": "4", "response": ["4", "4"], "score": [1, 1]},
    ]
    path = _rows(tmp_path / "par.jsonl", parallel)
    (warning,) = ws.ingest([path], run="p").warnings
    assert "field 'score'" in warning and "mean scores" in warning and f"({path}:1)" in warning
    systems = [{"question": "q", "answer": "4", "a": {"solution": "4", "is_correct": 0.25}}]
    path = _rows(tmp_path / "sys.jsonl", systems)
    (warning,) = ws.ingest([path], run="s").warnings
    assert "field '<system>.is_correct'" in warning and "mean scores" in warning


def test_parallel_extracted_answers_without_scores_are_not_stored(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = [
        {
            "idx": 0,
            "question": "q",
            "gt": "4",
            "response": ["4", "6"],
            "pred": ["5", "6"],
        }
    ]
    ws.ingest([_rows(tmp_path / "par.jsonl", rows)], run="p")
    assert [(s["extracted"], s["score"]) for s in _samples(ws, "p")] == [("4", 1.0), ("6", 0.0)]


def test_an_empty_object_is_named_not_listed_as_no_keys(ws: Workspace, tmp_path: Path) -> None:
    """Walk 7: a ``{}`` file's refusal read ``keys: .``."""
    log = _rows(tmp_path / "empty.jsonl", [{}])
    with pytest.raises(Exception) as err:
        ws.ingest([log], run="e")
    assert "keys: none (an empty object)." in str(err.value)
    assert "keys: ." not in str(err.value)
