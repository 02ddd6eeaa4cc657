"""The lenient column is None ("-") where capslice's lenient extraction does not apply (walk 9 #16).

IFEval (instruction checks; the taxonomy leaves its items without an output constraint) and
codegen (unit tests; no target) have no answer to re-extract: the lenient score is not a copy
of the harness score, and a run mixing them with answer-scored tasks never shows a partial sum.
A lm-eval sample with neither a target nor a logged score is not scored against ''.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from capslice_tui.workspace import Workspace
from capslice_tui.workspace import _ingest_workers as ingest_workers
from capslice_tui.workspace.ingest import NO_TARGET_REASON
from capslice_tui.workspace.rescore import CHECKS_REASON, score_sample

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"
IFEVAL = CASES / "ing-01-ifeval-old-layout" / "v045"
CODEGEN = CASES / "ing-02-generic-ids" / "codegen_samples.jsonl"
TS = "2025-06-09T09-00-00.000011"  # the ing-01 fixture's


def test_score_sample_without_lenient_keeps_the_score_and_gives_no_lenient() -> None:
    right = score_sample("x = 1", "", "free_text", official=1.0, extracted=None,
                         lenient_applies=False)  # fmt: skip
    wrong = score_sample("The capital is Paris.", "0", "integer", official=0.0,
                         extracted="The capital is Paris.", lenient_applies=False)  # fmt: skip
    assert (right.score, right.lenient, right.lenient_extracted) == (1.0, None, None)
    assert (wrong.score, wrong.lenient, wrong.lenient_extracted) == (0.0, None, None)
    assert wrong.failure_mode == "wrong_answer"
    assert wrong.failure_reason == CHECKS_REASON  # never "does not match target '0'"
    # where it applies, a wrong answer is re-extracted as before
    applies = score_sample("The answer is 18.", "18", "integer", official=0.0, extracted=None)
    assert (applies.lenient, applies.lenient_extracted) == (1.0, "18")


def test_ifeval_and_codegen_show_no_lenient_score(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([IFEVAL], run="v045")
    ws.ingest([CODEGEN], run="code")
    for run in ("v045", "code"):
        table = ws.slices(run)
        assert [r.lenient for r in [*table.rows, table.overall]] == [None] * (
            len(table.rows) + 1
        ), run
        rows = ws.store.conn.execute(
            "SELECT s.lenient, s.lenient_extracted FROM samples s JOIN runs r"
            " ON r.id = s.run_id WHERE r.name = ?",
            (run,),
        ).fetchall()
        assert rows and all(tuple(r) == (None, None) for r in rows)
    # the score itself is unchanged (ing-01: 3/4; ing-02: 7 of 12 samples passed)
    assert ws.slices("v045").overall.score == 0.75
    # re-scoring the stored runs keeps them so
    for run in ("v045", "code"):
        ws.rescore(run)
        assert ws.slices(run).overall.lenient is None


def _gsm8k_line(doc_id: int, response: str, em: float) -> str:
    return json.dumps(
        {"doc_id": doc_id, "doc": {"question": f"How many apples, case {doc_id}?",
                                   "answer": "#### 18"},
         "target": "#### 18", "arguments": {"gen_args_0": {"arg_0": f"Q{doc_id}"}},
         "resps": [[response]], "filtered_resps": [response], "filter": "none",
         "metrics": ["exact_match"], "exact_match": em}
    )  # fmt: skip


@pytest.mark.parametrize("workers", ["0", "2"])  # read here, and in worker processes
def test_a_run_mixing_answer_and_check_scored_tasks_has_no_partial_lenient_sum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, workers)
    folder = tmp_path / "mixed" / "org__m"
    shutil.copytree(IFEVAL / "org__model-7b-it", folder)
    lines = [_gsm8k_line(i, "The answer is 18.", 0.0) for i in range(3)]
    lines.append(_gsm8k_line(3, "#### 18", 1.0))
    (folder / f"samples_gsm8k_{TS}.jsonl").write_text("\n".join(lines) + "\n")
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([folder.parent], run="mixed")
    table = ws.slices("mixed")
    by_task = {r.key["task"]: r for r in table.rows}
    assert by_task["gsm8k"].score == 0.25 and by_task["gsm8k"].lenient == 1.0
    assert by_task["ifeval"].lenient is None
    # ALL holds items with and without a lenient score: no number, never 4/8
    assert table.overall.lenient is None
    sums = ws.store.conn.execute("SELECT task, c_lenient FROM slice_counts").fetchall()
    assert {t: c for t, c in sums} == {"gsm8k": 4.0, "ifeval": None}


def test_an_item_mixing_lenient_and_none_is_no_partial_sum(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([CODEGEN], run="code")
    conn = ws.store.conn
    run_id = conn.execute("SELECT id FROM runs WHERE name = 'code'").fetchone()[0]
    with ws.store.write() as w:  # one sample of each item gets a lenient score
        w.execute(
            "UPDATE samples SET lenient = 1.0 WHERE id IN"
            " (SELECT min(id) FROM samples WHERE run_id = ? GROUP BY item_id)",
            (run_id,),
        )
    ws.store.refresh_item_scores(run_id)
    assert {r[0] for r in conn.execute("SELECT c_lenient FROM item_scores")} == {None}


@pytest.mark.parametrize("workers", ["0", "1"])
def test_a_sample_without_target_or_score_is_not_scored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, workers)
    folder = tmp_path / "nt" / "org__m"
    folder.mkdir(parents=True)
    lines = [_gsm8k_line(0, "#### 18", 1.0)]
    blank = json.loads(_gsm8k_line(1, "The answer is 7.", 0.0))
    for key in ("target", "metrics", "exact_match"):
        del blank[key]
    blank["target"] = ""
    lines.append(json.dumps(blank))
    path = folder / f"samples_gsm8k_{TS}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    ws = Workspace(tmp_path / "s.db")
    report = ws.ingest([folder.parent], run="nt")
    assert report.runs == {"nt": 1}
    assert [n for n in report.notes if NO_TARGET_REASON in n] == [f"{NO_TARGET_REASON} ({path}:2)"]
    assert ws.slices("nt").overall.score == 1.0  # 1/1, not 1/2 against ''
