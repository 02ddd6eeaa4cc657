"""``rescore``: stored responses re-scored with the current extraction rules, never the model."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import RescoreCancelled, Workspace
from capslice_tui.workspace import rescore as rescore_module

TS = "2026-01-01T00-00-00.000000"


def lm_line(doc_id: int, response: str, extracted: str, em: float, target: str = "18") -> str:
    """One lm-eval 0.4 GSM8K sample line on the ``strict-match`` filter."""
    return json.dumps(
        {
            "doc_id": doc_id,
            "doc": {"question": f"How many apples, case {doc_id}?", "answer": f"#### {target}"},
            "target": f"#### {target}",
            "arguments": {"gen_args_0": {"arg_0": f"Question: q{doc_id}\nAnswer:",
                                         "arg_1": {"until": ["Question:"]}}},
            "resps": [[response]],
            "filtered_resps": [extracted],
            "filter": "strict-match",
            "metrics": ["exact_match"],
            "exact_match": em,
        }
    )  # fmt: skip


def write_gsm8k(folder: Path) -> Path:
    """12 items: 4 right (``#### 18``), 5 whose answer the strict filter missed
    (``The answer is 18.``), 3 wrong (``#### 17``)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for d in range(12):
        if d < 4:
            lines.append(lm_line(d, "6 + 12 = 18.\n#### 18", "18", 1.0))
        elif d < 9:
            lines.append(lm_line(d, "6 apples and 12 more. The answer is 18.", "[invalid]", 0.0))
        else:
            lines.append(lm_line(d, "6 + 11 = 17.\n#### 17", "17", 0.0))
    path = folder / f"samples_gsm8k_{TS}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def old_lenient_rule(response: str | None, output_constraint: str) -> str | None:
    """A broken lenient extraction (finds nothing), standing for an earlier rule."""
    return None


def dump(path: Path) -> list[tuple[Any, ...]]:
    """Every stored row of the tables a re-score may touch."""
    conn = sqlite3.connect(path)
    try:
        out = []
        for table in ("samples", "item_scores", "slice_counts"):
            out += [(table, *r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4")]
        return out
    finally:
        conn.close()


@pytest.fixture()
def old_rule_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A run ingested while the lenient extraction was the old, broken rule."""
    ws = Workspace(tmp_path / "store.db")
    with monkeypatch.context() as m:
        m.setattr(rescore_module, "extract_lenient", old_lenient_rule)
        ws.ingest([write_gsm8k(tmp_path / "logs")], run="r1")
    return ws


def test_rescore_after_an_extraction_fix_changes_lenient_scores(old_rule_run: Workspace) -> None:
    ws = old_rule_run
    before = ws.slices("r1", by="task").overall
    assert (before.correct, before.lenient) == (4, pytest.approx(4 / 12))
    report = ws.rescore("r1")
    assert report.n_samples == 12
    assert report.n_changed == 8
    assert report.transitions == {("wrong_answer", "extraction_failure"): 5}
    assert report.n_reason_only == 3  # #### 17 now names the answer 17, not "no answer found"
    assert (report.lenient_before, report.lenient_after) == (4.0, 9.0)
    assert report.score_changed == 0
    assert report.summary() == (
        "r1: 8 samples changed: 5 wrong_answer -> extraction_failure, "
        "3 same mode, new reason or lenient answer"
    )
    after = ws.slices("r1", by="task").overall
    # the official score is untouched; the lenient one (and the aggregates) follow the new rule
    assert (after.correct, after.n_samples) == (4, 12)
    assert after.lenient == pytest.approx(9 / 12)
    missed = ws.samples("r1", failure_mode="extraction_failure")[0]
    assert len(missed) == 5
    assert {r["lenient_extracted"] for r in missed} == {"18"}
    assert {r["score"] for r in missed} == {0.0}
    # a second re-score finds nothing left to change
    assert ws.rescore("r1").n_changed == 0


def test_dry_run_reports_the_same_changes_and_writes_nothing(
    old_rule_run: Workspace, tmp_path: Path
) -> None:
    before = dump(tmp_path / "store.db")
    report = old_rule_run.rescore("r1", dry_run=True)
    assert report.transitions == {("wrong_answer", "extraction_failure"): 5}
    assert report.n_changed == 8
    assert report.summary().startswith("r1: 8 samples would change: ")
    assert dump(tmp_path / "store.db") == before


def test_a_failed_write_leaves_the_store_as_it_was(
    old_rule_run: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = old_rule_run.store
    before = dump(tmp_path / "store.db")
    real = store.update_sample_scores
    calls = {"n": 0}

    def fail_on_third_batch(run_id: int, rows: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(run_id, rows)

    monkeypatch.setattr(store, "update_sample_scores", fail_on_third_batch)
    with pytest.raises(RuntimeError, match="disk full"):
        rescore_module.rescore_run(store, "r1", batch_size=3)
    assert calls["n"] > 3  # two batches were written, then restored
    assert dump(tmp_path / "store.db") == before


def test_cancel_leaves_the_store_as_it_was(old_rule_run: Workspace, tmp_path: Path) -> None:
    before = dump(tmp_path / "store.db")
    polls = iter([False, False, True])
    with pytest.raises(RescoreCancelled):
        rescore_module.rescore_run(
            old_rule_run.store, "r1", batch_size=4, should_cancel=lambda: next(polls)
        )
    assert dump(tmp_path / "store.db") == before


def write_generic(folder: Path) -> Path:
    """A generic JSONL log with no correctness field: capslice scores it (option letters)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for d in range(6):
        response = "Let me think. So the answer is (B)." if d < 4 else "So the answer is (C)."
        rows.append(
            {"task": "mcq", "doc_id": str(d), "prompt": f"Q{d}: pick one. (A) x (B) y (C) z",
             "target": "(B)", "response": response}
        )  # fmt: skip
    path = folder / "mcq.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_capslice_scored_samples_get_new_scores_official_ones_never(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace(tmp_path / "store.db")
    real_score = rescore_module.score
    with monkeypatch.context() as m:
        # the old rule found no option letter at all
        m.setattr(rescore_module, "score", lambda *a, **k: real_score("", "(B)", "free_text"))
        m.setattr(rescore_module, "extract_lenient", old_lenient_rule)
        report = ws.ingest([write_generic(tmp_path / "logs")], run="g", benchmark="mcq")
    assert report.scored_by_capslice == 6
    assert ws.slices("g").overall.correct == 0
    done = ws.rescore("g")
    assert done.n_capslice_scored == 6
    assert done.score_changed == 4
    assert done.transitions == {("wrong_answer", "correct"): 4}
    assert done.n_changed == 6  # the two (C) answers now name the wrong letter they gave
    overall = ws.slices("g").overall
    assert (overall.correct, overall.n_samples) == (4, 6)
    rows, _ = ws.samples("g", correct=True)
    assert {(r["extracted"], r["score"]) for r in rows} == {("(B)", 1.0)}
    stored = (
        sqlite3.connect(tmp_path / "store.db")
        .execute("SELECT count(*) FROM samples WHERE official IS NOT NULL")
        .fetchone()[0]
    )
    assert stored == 0  # capslice never writes an official score


def test_responses_stored_cut_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from capslice_tui.workspace.ingest import MAX_RESPONSE_CHARS

    folder = tmp_path / "logs"
    folder.mkdir()
    long_tail = "x " * MAX_RESPONSE_CHARS + " The answer is 18."
    lines = [
        lm_line(0, long_tail, "[invalid]", 0.0),
        lm_line(1, "The answer is 18.", "[invalid]", 0.0),
    ]
    (folder / f"samples_gsm8k_{TS}.jsonl").write_text("\n".join(lines) + "\n")
    ws = Workspace(tmp_path / "store.db")
    with monkeypatch.context() as m:
        m.setattr(rescore_module, "extract_lenient", old_lenient_rule)
        ws.ingest([folder], run="r1")
    report = ws.rescore("r1")
    assert report.n_kept_cut == 1
    assert report.transitions == {("wrong_answer", "extraction_failure"): 1}


def test_cli_rescore_prints_the_change_and_json(old_rule_run: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "store.db")
    dry = runner.invoke(main, ["--store", store, "rescore", "--run", "r1", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "r1: 8 samples would change: 5 wrong_answer -> extraction_failure" in dry.output
    assert "dry run: nothing was written" in dry.output
    assert max(len(line) for line in dry.output.splitlines()) <= 80
    done = runner.invoke(main, ["--store", store, "rescore", "--run", "r1", "--format", "json"])
    assert done.exit_code == 0, done.output
    payload = json.loads(done.output)
    assert payload["transitions"] == [{"from": "wrong_answer", "to": "extraction_failure", "n": 5}]
    assert payload["lenient_after"] == 9.0
    again = runner.invoke(main, ["--store", store, "rescore", "--run", "r1"])
    assert "r1: 0 of 12 samples changed" in again.output
    missing = runner.invoke(main, ["--store", store, "rescore", "--run", "nope"])
    assert missing.exit_code == 1
    assert "no run named 'nope'" in missing.output


def test_taxonomy_apply_reads_the_stored_prompt_of_generic_logs(tmp_path: Path) -> None:
    from capslice_tui.taxonomy.evaluation import default_taxonomy_dir

    folder = tmp_path / "logs"
    folder.mkdir()
    rows = [
        {"task": "quiz", "doc_id": str(d), "target": str(d + 2), "response": f"#### {d + 2}",
         "prompt": "Q: 1+1?\nA: 2\n\nQ: " + ("Solve the equation x - 2 = " + str(d) if d < 3
                                           else f"How many apples are {d} + 2 apples?")}
        for d in range(5)
    ]  # fmt: skip
    (folder / "quiz.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    Workspace(tmp_path / "store.db").ingest([folder], run="g", benchmark="quiz")
    edited = tmp_path / "taxonomy"
    edited.mkdir()
    text = (default_taxonomy_dir() / "evaluation.yaml").read_text(encoding="utf-8")
    (edited / "evaluation.yaml").write_text(
        text
        + "  - id: quiz-equations\n"
        + "    match: {benchmark: quiz, prompt: '(?i)\\bsolve the equation\\b'}\n"
        + "    set: {task_type: algebra}\n",
        encoding="utf-8",
    )
    ws = Workspace(tmp_path / "store.db", edited)
    assert ws.apply_taxonomy() == 3  # the rule reads the question after the last "Q:"
    table = ws.slices("g", by="task_type")
    assert {r.key["task_type"]: r.n_items for r in table.rows}["algebra"] == 3
    assert not [line for line in ws.check_taxonomy() if "quiz-equations" in line]


def test_an_extracted_answer_the_log_carried_is_kept(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    rows = [
        {"task": "mcq", "doc_id": str(d), "target": "(B)", "extracted_answer": "B?",
         "response": "So the answer is (B)." if d < 2 else "So the answer is (C).",
         "correct": d < 2}  # an extracted answer is kept beside the score it was given
        for d in range(4)
    ]  # fmt: skip
    (folder / "mcq.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ws = Workspace(tmp_path / "store.db")
    report = ws.ingest([folder], run="g", benchmark="mcq")
    assert any("extracted answer: extracted_answer" in line for line in report.fields)
    conn = sqlite3.connect(tmp_path / "store.db")
    conn.execute("UPDATE samples SET lenient = 0, lenient_extracted = NULL")  # an old rule
    conn.commit()
    conn.close()
    done = ws.rescore("g")
    assert done.n_changed == 4  # every lenient answer is read again
    assert (done.lenient_before, done.lenient_after) == (0.0, 2.0)
    rows_after, _ = ws.samples("g", limit=10)
    assert {r["extracted"] for r in rows_after} == {"B?"}  # the log's answer, not capslice's
