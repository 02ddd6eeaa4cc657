"""Ingest trust: other data under an existing run name is said (and another model refused),
--system keeps the system as the run's model, a bad JSONL line names its file line only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capslice_tui.workspace import IngestError, Workspace


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "store.db")


def _rows(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _log(folder: Path, correct: list[bool], response: str = "The answer is 4.") -> Path:
    folder.mkdir()
    return _rows(
        folder / "arith.jsonl",  # one file name: the task is named after it
        [
            {"doc_id": i, "question": f"q{i}", "target": "4", "response": response, "correct": c}
            for i, c in enumerate(correct)
        ],
    )


def _scores(ws: Workspace, run: str) -> list[float]:
    rows = ws.store.conn.execute(
        "SELECT s.score FROM samples s JOIN runs r ON r.id = s.run_id WHERE r.name = ?"
        " ORDER BY CAST(s.doc_id AS INTEGER)",
        (run,),
    )
    return [r[0] for r in rows]


def test_reingest_with_other_scores_warns_and_keeps_the_stored(
    ws: Workspace, tmp_path: Path
) -> None:
    first = _log(tmp_path / "a", [True, True, False, False, True])
    ws.ingest([first], run="r")
    again = ws.ingest([first], run="r")  # identical: quiet
    assert again.runs == {"r": 0} and again.warnings == [] and again.n_conflicting == 0
    other = _log(tmp_path / "b", [False, True, True, False, True, False])
    report = ws.ingest([other], run="r")
    assert report.runs == {"r": 1}  # doc 5 is new
    assert report.n_conflicting == 2
    (warning,) = report.warnings
    assert warning.startswith("r: 2 samples already stored in this run arrived with another")
    assert "(2 with another score)" in warning and "stored ones were kept" in warning
    assert (
        "doc_id 0: stored score 1, new 0" in warning
        and "doc_id 2: stored score 0, new 1" in warning
    )
    assert _scores(ws, "r") == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]


def test_reingest_with_other_response_only_is_said(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest([_log(tmp_path / "a", [True, False])], run="r")
    report = ws.ingest([_log(tmp_path / "b", [True, False], "It is 4.")], run="r")
    (warning,) = report.warnings
    assert "2 samples already stored" in warning and "(0 with another score)" in warning
    assert "doc_id 0 (another response)" in warning


def _systems(path: Path) -> Path:
    return _rows(
        path,
        [
            {"question": f"q{i}", "ground_truth": "A: 4",
             "big": {"is_correct": i % 2 == 0, "solution": f"big {i}\nA: 4"},
             "small": {"is_correct": False, "solution": f"small {i}\nA: 5"}}
            for i in range(4)
        ],
    )  # fmt: skip


def test_system_is_the_runs_model_and_another_model_is_refused(
    ws: Workspace, tmp_path: Path
) -> None:
    path = _systems(tmp_path / "sys.jsonl")
    ws.ingest([path], run="gsm", benchmark="gsm8k", system="big")
    assert [(r["name"], r["model"]) for r in ws.runs()] == [("gsm", "big")]
    with pytest.raises(IngestError, match="run 'gsm' holds model 'big' and this log is of 'small'"):
        ws.ingest([path], run="gsm", benchmark="gsm8k", system="small")
    assert _scores(ws, "gsm") == [1.0, 0.0, 1.0, 0.0]
    # the user says it is the same model after all: added, and the changed samples named
    report = ws.ingest([path], run="gsm", benchmark="gsm8k", system="small", model="big")
    assert report.n_conflicting == 4 and "(2 with another score)" in report.warnings[0]
    # without --system every system is its own run, named and modelled by it
    ws.ingest([path], run="all", benchmark="gsm8k")
    assert {r["name"]: r["model"] for r in ws.runs()}["all/small"] == "small"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"doc_id": 3, "target": "4", "response": "x",', "unexpected end of data at the end of the line"),
        ('{"doc_id": 3, "target": "4" "response": "x"}', "expected ',' or '}' at column 29"),
    ],
)  # fmt: skip
def test_bad_jsonl_line_names_the_file_line_only(
    ws: Workspace, tmp_path: Path, line: str, reason: str
) -> None:
    good = [json.dumps({"doc_id": i, "target": "4", "response": "4"}) for i in range(3)]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([*good, line, *good]) + "\n")
    with pytest.raises(IngestError) as err:
        ws.ingest([path], run="b")
    assert f"{path}:4: bad line: invalid JSON: " in str(err.value)
    assert reason in str(err.value)
    assert "line 1" not in str(err.value) and "line 2" not in str(err.value)


CASES = Path(__file__).parents[1] / "fixtures" / "cases"


def test_strict_format_score_is_warned_in_ingest_runs_and_slices(ws: Workspace) -> None:
    # ext-05: `[bold]42[/bold]`, `The answer is 7 [/model/...]`: no correctness in the log,
    # capslice's strict extraction reads neither, the lenient one reads both right (`The
    # answer is 56. [/INST] ...` ends at the chat marker: strict reads 56)
    path = CASES / "ext-05-markup-in-text" / "llama2chat_arith.jsonl"
    report = ws.ingest([path], run="llama2[chat]")
    expected = (
        "llama2chat_arith: the score 33.3% (1/3) reflects capslice's strict answer format, not "
        "the answers: its strict extraction read no answer in 2 of the 3 samples it scored, "
        "where the lenient extraction reads one; lenient score 100.0% (3/3)"
    )
    assert report.warnings == [f"llama2[chat]: {expected}"]
    (run,) = ws.runs()
    assert run["score_caveats"] == [expected]
    assert ws.slices("llama2[chat]").notes[0] == f"warning: {expected}"
    assert ws.slices("llama2[chat]", benchmark="other").score_caveats == []
    # an identical re-ingest says it again and keeps one caveat
    assert ws.ingest([path], run="llama2[chat]").warnings == report.warnings
    assert ws.runs()[0]["score_caveats"] == [expected]


def test_no_strict_format_warning_when_strict_reads_answers_or_the_log_scores(
    ws: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    rows = [
        {"doc_id": i, "target": "4", "response": f"So the answer is {3 + i % 2}."} for i in range(4)
    ]
    report = ws.ingest([_rows(folder / "arith.jsonl", rows)], run="plain", benchmark="bbh")
    assert report.scored_by_capslice == 4 and report.warnings == []
    # the harness's own correctness: capslice's strict format plays no part
    scored = ws.ingest([_log(tmp_path / "scored", [False, False])], run="scored")
    assert scored.scored_by_capslice == 0 and scored.warnings == []
    assert all(r["score_caveats"] == [] for r in ws.runs())


def test_reingest_with_another_target_is_said_and_a_rescored_sample_is_not(
    ws: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    rows = [{"doc_id": i, "question": f"q{i}", "target": "4", "response": "4"} for i in range(3)]
    path = _rows(folder / "arith.jsonl", rows)
    ws.ingest([path], run="r")
    # capslice's own score of a stored sample changed (other extraction rules, as after an
    # upgrade without `capslice rescore`): the same data again is no conflict
    ws.store.conn.execute("UPDATE samples SET score = 1 - score")
    ws.store.conn.commit()
    assert ws.ingest([path], run="r").warnings == []
    rows[1]["target"] = "5"  # the same doc_id now names another item
    report = ws.ingest([_rows(folder / "arith.jsonl", rows)], run="r")
    (warning,) = report.warnings
    assert "r: 1 sample already stored" in warning
    assert "doc_id 1 (another question or target)" in warning


def test_rescore_brings_the_strict_format_caveat_up_to_date(ws: Workspace, tmp_path: Path) -> None:
    """The caveat is counted again by a re-score (the rules it reflects may have changed): a
    caveat the stored meta lacks comes back, a stale one goes; a dry run changes nothing."""
    path = CASES / "ext-05-markup-in-text" / "llama2chat_arith.jsonl"
    ws.ingest([path], run="llama2[chat]")
    (flagged,) = ws.runs()[0]["score_caveats"]
    run_id = int(ws.store.get_run("llama2[chat]")["id"])
    ws.store.merge_run_meta(run_id, {"strict_format": None})  # as an older capslice left it
    ws.rescore("llama2[chat]", dry_run=True)
    assert ws.runs()[0]["score_caveats"] == []
    ws.rescore("llama2[chat]")
    assert ws.runs()[0]["score_caveats"] == [flagged]

    folder = tmp_path / "plain"
    folder.mkdir()
    rows = [{"doc_id": i, "target": "4", "response": "So the answer is 4."} for i in range(4)]
    ws.ingest([_rows(folder / "arith.jsonl", rows)], run="plain", benchmark="bbh")
    plain_id = int(ws.store.get_run("plain")["id"])
    stale = {"bbh": ["bbh", "bbh: the score 0.0% (0/4) reflects ... (stale)"]}
    ws.store.merge_run_meta(plain_id, {"strict_format": stale})
    assert [r["score_caveats"] for r in ws.runs() if r["name"] == "plain"] == [[stale["bbh"][1]]]
    ws.rescore("plain")
    assert [r["score_caveats"] for r in ws.runs() if r["name"] == "plain"] == [[]]
