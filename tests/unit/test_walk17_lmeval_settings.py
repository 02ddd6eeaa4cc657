"""Walk 17: what every lm-eval sample line says about its evaluation is read.

Fixtures ``tests/fixtures/walk17_lmeval`` (``make.py`` there; built like the walk's inputs):
lm-eval 0.4.8 gsm8k lines whose ``arguments.gen_args_0.arg_1`` carries the decoding settings,
with no results file unless said.

* F1: greedy vs do_sample T=1 on the same prompts, no results file: the per-line arguments
  are the evaluation settings, so diagnose says NOT_DATA (evaluation changed), not DATA.
* F2: max_gen_toks 256 -> 64 on every line: evaluation changed (max_gen_toks 256 vs 64), not
  "EOS not emitted"; the task's truncation cap is the lines' 64.
* lines against their results file, and lines against each other within a task: warned.
* F7: a 0.4.0 array without its results file keeps both filter lines of each doc, and a
  conflicting repeat's warning names what differs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from capslice_tui.workspace import Workspace

FIXTURES = Path(__file__).parents[1] / "fixtures" / "walk17_lmeval"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "store.db")


def _ingest(ws: Workspace, name: str, step: int | None = None, run: str | None = None) -> object:
    return ws.ingest([FIXTURES / name], run=run or name, step=step)


def _task(ws: Workspace, run: str) -> dict:
    (task,) = ws.store.run_tasks(int(ws.store.get_run(run)["id"]))
    return dict(task)


def test_f1_sampled_lines_without_results_file_are_an_evaluation_change(ws: Workspace) -> None:
    _ingest(ws, "base")
    _ingest(ws, "temp1")
    assert _task(ws, "temp1")["do_sample"] in (1, True)
    assert _task(ws, "temp1")["temperature"] == 1.0
    d = ws.diagnose("base", "temp1")
    assert (d.verdict.verdict, d.verdict.reason) == ("not_data", "evaluation_changed")
    assert "do_sample false vs true" in d.verdict.summary
    assert "temperature 0 vs 1" in d.verdict.summary
    assert d.evaluation is not None and "decoding" not in d.evaluation["not_compared"]


def test_f2_lower_generation_cap_is_an_evaluation_change_and_the_cap(ws: Workspace) -> None:
    _ingest(ws, "base")
    _ingest(ws, "cap64")
    assert _task(ws, "cap64")["max_gen_toks"] == 64  # the truncation check's cap
    assert _task(ws, "base")["max_gen_toks"] == 256
    d = ws.diagnose("base", "cap64")
    assert (d.verdict.verdict, d.verdict.reason) == ("not_data", "evaluation_changed")
    assert "max_gen_toks 256 vs 64" in d.verdict.summary


def test_lines_that_disagree_with_their_results_file_are_warned(ws: Workspace) -> None:
    report = _ingest(ws, "res_cap")
    (warning,) = [w for w in report.warnings if "generation arguments" in w]
    assert "max_gen_toks 64 vs 256" in warning and "results file" in warning
    assert _task(ws, "res_cap")["max_gen_toks"] == 64  # what the requests carried


def test_lines_that_disagree_among_themselves_are_warned(ws: Workspace) -> None:
    report = _ingest(ws, "mixed")
    (warning,) = [w for w in report.warnings if "generation arguments" in w]
    assert "10 of 30 lines carry other generation arguments" in warning
    assert "max_gen_toks 64 on 10" in warning
    _ingest(ws, "base")
    # each such sample keeps its own settings: diagnose sees the ten items' other cap
    d = ws.diagnose("base", "mixed")
    assert d.verdict.reason == "evaluation_changed"
    assert "10 of 30 items" in d.verdict.summary and "max_gen_toks 256 vs 64" in d.verdict.summary


def test_f7_legacy_array_without_results_file_keeps_both_filters(ws: Workspace) -> None:
    report = _ingest(ws, "legacy")
    assert report.runs == {"legacy": 60}
    assert report.n_conflicting == 0 and not report.warnings
    (note,) = [n for n in report.notes if "unnamed-1" in n]
    assert "2 lines with the same response and other filtered answers" in note
    assert "results.json" in note
    first = ws.slices("legacy").overall
    second = ws.slices("legacy", filter_name="unnamed-2").overall
    assert (first.correct, first.n_samples) == (0, 30)  # strict-match: no '#### N'
    assert (second.correct, second.n_samples) == (20, 30)  # flexible-extract: last number
    assert _task(ws, "legacy")["filters"] == ["unnamed-1", "unnamed-2"]


def test_f7_conflicting_repeat_names_what_differs(ws: Workspace, tmp_path: Path) -> None:
    """A repeated (task, filter, doc_id) line with the same score but another filtered answer:
    the warning says so, not 'another response or score' beside an example of equal scores."""
    import json

    src = next((FIXTURES / "base" / "org__m").glob("samples_*.jsonl"))
    lines = src.read_text().splitlines()
    again = json.loads(lines[0])
    again["filtered_resps"] = ["[invalid]"]  # same response and score 0.0
    folder = tmp_path / "rep" / "org__m"
    folder.mkdir(parents=True)
    (folder / src.name).write_text("\n".join([*lines, json.dumps(again)]) + "\n")
    report = ws.ingest([tmp_path / "rep"], run="rep")
    (warning,) = report.warnings
    assert "1 repeated sample (same task, filter, doc_id and sample)" in warning
    assert "same score 0.0; other extracted answer (filtered_resps)" in warning
