"""Verdicts that hold on real pairs: evaluation changes first, broad vs localized, one test.

Cases: ``tests/fixtures/cases/stat-01-many-slices`` (40 task types, two with 6-0 discordant
pairs; from ../shared/cases), and small generic logs written here whose rows name their
prompting, as the BBH authors' CoT / answer-only rows do.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from capslice_tui.analysis.compare import paired_compare
from capslice_tui.analysis.decompose import decompose_change
from capslice_tui.analysis.evaluation import (
    compare_evaluations,
    evaluation_settings,
    settings_json,
)
from capslice_tui.analysis.slice_search import (
    distinct_slices,
    paired_slices,
    uninformative_axes,
)
from capslice_tui.analysis.verdict import verdict_for_change
from capslice_tui.report import FAIL_ON_CODES, gate_status
from capslice_tui.workspace import Workspace

CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "stat-01-many-slices"

TOKENS = (
    "no_change", "single_slice", "broad_capability", "evaluation_changed", "weak_evidence",
    "localized_wrong_answers", "mixed_causes", "format_concentrated", "format_failures",
    "broad_change", "evaluation_sensitive", "no_weak_content_slice", "no_finer_slice",
    "mcnemar-exact", "paired-bootstrap",
)  # fmt: skip


def assert_plain(text: str) -> None:
    """No internal token (reason, pattern or test name) inside a sentence."""
    for token in TOKENS:
        assert token not in text, (token, text)


# ---------------------------------------------------------------- what defines an evaluation


def test_evaluation_settings_use_canonical_keys_and_hash_equal_values_alike() -> None:
    task = {"num_fewshot": 3, "max_gen_toks": 1024, "temperature": 0.0, "repeats": 1}
    a = evaluation_settings({"n_shot": 3, "prompting": "cot_3shot"}, task, harness="jsonl")
    assert a == {
        "num_fewshot": 3, "max_gen_toks": 1024, "temperature": 0, "n": 1,
        "harness": "jsonl", "prompting": "cot_3shot",
    }  # fmt: skip
    b = evaluation_settings({"prompting": "cot_3shot", "shots": 3.0}, dict(task, temperature=0))
    b["harness"] = "jsonl"
    assert settings_json(a) == settings_json(b)
    meta = {"lm_eval_version": "0.4.8", "chat_template": "{{ messages }}"}
    c = evaluation_settings(None, None, meta, scorer="harness")
    assert c["harness_version"] == "0.4.8" and len(c["chat_template"]) == 64
    assert c["scorer"] == "harness"


def test_prompting_difference_is_named_as_the_issue_asks() -> None:
    base = [{"prompting": "cot_3shot", "harness": "jsonl"}] * 6511
    cand = [{"prompting": "answer_only_3shot", "harness": "jsonl"}] * 6511
    check = compare_evaluations(base, cand)
    assert check.changed
    assert check.summary() == (
        "the prompts of 6,511 of 6,511 items differ: prompting cot_3shot vs answer_only_3shot"
    )
    assert check.to_dict()["differences"][0]["category"] == "prompt"


def test_each_category_and_what_is_not_material() -> None:
    base = [{"num_fewshot": 5, "temperature": 0, "filter": "strict-match", "prompt": "a" * 64,
             "harness_version": "0.4.3", "max_gen_toks": 256}] * 4  # fmt: skip
    cand = [{"num_fewshot": 0, "temperature": 0.6, "filter": "flexible-extract",
             "prompt": "b" * 64, "harness_version": "0.4.8"}] * 2 + base[:2]  # fmt: skip
    check = compare_evaluations(base, cand)
    phrases = check.phrases(True)
    assert phrases == [
        "the prompts of 2 of 4 items differ (the prompt texts, compared by their hash)",
        "the few-shot examples of 2 of 4 items differ: num_fewshot 5 vs 0",
        "the decoding settings of 2 of 4 items differ: temperature 0 vs 0.6",
        "the scoring of 2 of 4 items differs: filter strict-match vs flexible-extract",
    ]
    assert check.phrases(False) == [
        "the harness of 2 of 4 items differs: harness_version 0.4.3 vs 0.4.8"
    ]
    assert check.unchecked == ["max_gen_toks (base only)"]  # recorded by one run only
    only_harness = compare_evaluations(
        [{"harness_version": "0.4.3"}], [{"harness_version": "0.4.8"}]
    )
    assert not only_harness.changed and only_harness.differences


# ---------------------------------------------------------------- one test per question


def _stat01_labels() -> dict[str, np.ndarray]:
    task = np.repeat([f"t{i:02d}" for i in range(1, 41)], 25)
    return {
        "background_condition": np.array([None] * task.size, dtype=object),
        "task_type": task,
        "solving_operation": np.array([None] * task.size, dtype=object),
        "output_constraint": np.array(["free_text"] * task.size, dtype=object),
    }


def _stat01_scores() -> tuple[np.ndarray, np.ndarray]:
    base, cand = [], []
    for s in range(1, 41):
        pairs = [(1, 0)] * 6 + [(1, 1)] * 12 + [(0, 0)] * 7 if s <= 2 else (
            [(1, 0), (0, 1)] + [(1, 1)] * 12 + [(0, 0)] * 11
        )  # fmt: skip
        base += [a for a, _ in pairs]
        cand += [b for _, b in pairs]
    return np.array(base, dtype=float), np.array(cand, dtype=float)


def test_identical_item_sets_are_one_slice_with_all_descriptions() -> None:
    slices, n_desc = distinct_slices(_stat01_labels())
    assert len(slices) == 40 and n_desc == 80  # output_constraint=free_text is every item
    preds, aliases, idx = slices[0]
    assert preds == (("task_type", "t01"),)
    assert aliases == ("task_type=t01 & output_constraint=free_text",)
    assert idx.tolist() == list(range(25))


def test_stat01_paired_slices_match_compare_and_nothing_survives() -> None:
    base, cand = _stat01_scores()
    ones = np.ones(base.size)
    search = paired_slices(_stat01_labels(), ones, base, ones, cand)
    assert search.n_tested == 40 and not search.significant
    first = search.slices[0]
    assert first.label in ("task_type=t01", "task_type=t02")
    assert (first.result.b, first.result.c) == (6, 0)
    assert first.p_value == pytest.approx(0.03125)
    assert first.p_adj == pytest.approx(0.625)  # 0.03125 * 40 / 2
    overall = paired_compare(ones, base, ones, cand)
    assert round(100 * overall.diff, 1) == -1.2 and round(overall.p_value, 2) == 0.24
    modes = (
        np.where(base == 1, "correct", "wrong_answer"),
        np.where(cand == 1, "correct", "wrong_answer"),
    )
    dec = decompose_change(_stat01_labels(), base, cand, *modes)
    v = verdict_for_change(dec, overall, search, uninformative=uninformative_axes(_stat01_labels()))
    assert v.verdict == "inconclusive" and v.reason == "weak_evidence"
    assert "none of the 40 slices passes the corrected paired test" in v.summary
    ev = next(e for e in v.evidence if e.name == "slices with a significant paired change")
    assert ev.value == 0 and "the smallest adjusted p is 0.62" in ev.detail
    assert_plain(v.summary)


def test_a_localized_drop_hidden_in_a_flat_total_needs_the_correction() -> None:
    """One slice collapses (20-0) while the rest gains a little: the overall change is not
    significant, the slice survives Benjamini-Hochberg, so the verdict is data, localized."""
    labels = _stat01_labels()
    base, cand = _stat01_scores()
    base[:25], cand[:25] = 1.0, 1.0
    cand[:20] = 0.0  # t01: 20 right -> wrong
    rest = np.flatnonzero(base[25:] == 0)[:16] + 25
    cand[rest] = 1.0  # small gains elsewhere
    ones = np.ones(base.size)
    overall = paired_compare(ones, base, ones, cand)
    assert overall.p_value > 0.05
    modes = (
        np.where(base == 1, "correct", "wrong_answer"),
        np.where(cand == 1, "correct", "wrong_answer"),
    )
    search = paired_slices(labels, ones, base, ones, cand, modes)
    dec = decompose_change(labels, base, cand, *modes)
    v = verdict_for_change(dec, overall, search)
    assert v.verdict == "data" and v.reason == "localized_wrong_answers"
    assert [s.label for s in v.slices] == ["task_type=t01"]
    assert_plain(v.summary)


# ---------------------------------------------------------------- through the workspace


def _ingest_stat01(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "s.db", taxonomy_dir=CASE / "tax")
    ws.ingest([CASE / "runA.jsonl"], run="A", benchmark="toy")
    ws.ingest([CASE / "runB.jsonl"], run="B", benchmark="toy")
    return ws


def test_stat01_diagnose_is_inconclusive_and_consistent_with_compare(tmp_path: Path) -> None:
    ws = _ingest_stat01(tmp_path)
    diag = ws.diagnose("A", "B")
    d = diag.to_dict()
    assert d["verdict"] == "inconclusive" and d["reason"] == "weak_evidence"
    acc = next(e for e in d["evidence"] if e["name"] == "accuracy change")
    p = next(e for e in d["evidence"] if e["name"] == "paired p-value")
    assert acc["value"] == -1.2 and p["value"] == 0.24
    assert d["slices_tested"] == 40 and d["slices"] == []
    assert not d["evaluation"]["changed"]
    cmp = ws.compare("A", "B", by="task_type")
    t01 = next(r for r in cmp.rows if r["slice"]["task_type"] == "t01")
    assert t01["p_adjusted"] == pytest.approx(0.625) and cmp.n_tested == 40
    decision = ws.diagnose_verdict("A", "B")
    assert (decision.verdict, decision.reason) == ("inconclusive", "weak_evidence")
    assert not decision.significant_drop and not decision.evaluation_changed
    assert_plain(d["summary"])


def test_weakness_with_reference_tests_each_slice_paired(tmp_path: Path) -> None:
    ws = _ingest_stat01(tmp_path)
    d = ws.diagnose("B", reference="A").to_dict()
    assert d["verdict"] == "inconclusive" and d["reason"] == "no_weak_content_slice"
    tested = next(e for e in d["evidence"] if e["name"] == "slices tested")
    assert tested["value"] == 40 and "paired test per slice against A" in tested["detail"]
    assert_plain(d["summary"])


def _write_rows(path: Path, prompting: str, correct: list[bool], tasks: int = 4) -> Path:
    n = len(correct) // tasks
    with path.open("w") as fh:
        for i, ok in enumerate(correct):
            row = {
                "task": f"slice{i // n + 1:02d}", "doc_id": i % n, "prompting": prompting,
                "prompt": f"Q slice{i // n + 1:02d} {i % n}", "target": "X",
                "response": "X" if ok else "Y", "correct": ok,
            }  # fmt: skip
            fh.write(json.dumps(row) + "\n")
    return path


def test_prompting_change_is_not_data_unless_same_evaluation(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "p.db", taxonomy_dir=CASE / "tax")
    rng = np.random.default_rng(0)
    base = (rng.random(200) < 0.8).tolist()
    cand = [b and rng.random() < 0.6 for b in base]
    ws.ingest([_write_rows(tmp_path / "a.jsonl", "cot_3shot", base)], run="cot", benchmark="toy")
    ws.ingest([_write_rows(tmp_path / "b.jsonl", "answer_only_3shot", cand)], run="direct",
              benchmark="toy")  # fmt: skip
    d = ws.diagnose("cot", "direct").to_dict()
    if not d["evaluation"]["differences"]:
        pytest.skip("the generic reader does not keep `prompting` as a setting yet")
    assert d["verdict"] == "not_data" and d["reason"] == "evaluation_changed"
    assert (
        "the prompts of 200 of 200 items differ: prompting cot_3shot vs answer_only_3shot"
        in d["summary"]
    )
    assert_plain(d["summary"])
    same = ws.diagnose("cot", "direct", same_evaluation=True).to_dict()
    assert same["reason"] != "evaluation_changed"
    assert same["summary"].startswith("Assuming the same evaluation (--same-evaluation)")
    assert same["verdict"] == "data" and same["reason"] == "broad_capability"
    assert_plain(same["summary"])
    # one run alone: the other prompting of the same items scores far higher on the weak
    # slices, so a prompting effect is not called a data weakness
    weak = ws.diagnose("direct").to_dict()
    assert weak["other_evaluations"] and weak["other_evaluations"][0]["run"] == "cot"
    assert weak["other_evaluations"][0]["large"]
    assert weak["verdict"] != "data"
    assert_plain(weak["summary"])
    # against a reference evaluated differently, the gaps measure the evaluation
    ref = ws.diagnose("direct", reference="cot").to_dict()
    assert ref["verdict"] == "not_data" and ref["reason"] == "evaluation_changed"
    assert "the reference run cot evaluated these items differently" in ref["summary"]
    assumed = ws.diagnose("direct", reference="cot", same_evaluation=True).to_dict()
    assert assumed["reason"] != "evaluation_changed"
    assert "Assumed the same evaluation as cot (--same-evaluation)" in assumed["summary"]


# ---------------------------------------------------------------- the CI gate


class _Decision:
    def __init__(self, verdict: str, mode: str = "change", drop: bool = False) -> None:
        self.verdict, self.mode, self.significant_drop = verdict, mode, drop


def test_gate_codes_are_distinct_and_only_when_the_condition_holds() -> None:
    assert sorted(FAIL_ON_CODES.values()) == [3, 4, 5]
    assert gate_status(_Decision("data", drop=True), "regression")["exit_code"] == 3
    assert gate_status(_Decision("data"), "regression")["exit_code"] == 0
    assert gate_status(_Decision("not_data"), "not_data")["exit_code"] == 4
    held = gate_status(_Decision("data"), "data")
    assert held["holds"] and held["exit_code"] == 5 and "exit code 5" in held["text"]
    assert gate_status(_Decision("inconclusive"), "data")["exit_code"] == 0
    with pytest.raises(ValueError, match="needs two runs"):
        gate_status(_Decision("data", mode="weakness"), "regression")
    with pytest.raises(ValueError, match="expected one of"):
        gate_status(_Decision("data"), "flaky")


def test_report_states_each_exit_condition(tmp_path: Path) -> None:
    ws = _ingest_stat01(tmp_path)
    text = ws.report("A", "B")
    assert "**CI gate** (`capslice diagnose BASE CAND --fail-on CONDITION`):" in text
    for cond in ("regression", "not_data", "data"):
        assert f"- --fail-on {cond} (" in text
    assert text.count("does not hold, exit code 0") == 3
    assert "Slices with a significant paired change: none (40 slices tested;" in text  # d17fba5
    one = ws.report("A", "B", fail_on="regression")
    assert one.count("- --fail-on ") == 1
    assert "mcnemar-exact" not in text


def test_runs_stored_before_settings_were_recorded_say_so(tmp_path: Path) -> None:
    import sqlite3

    _ingest_stat01(tmp_path)
    with sqlite3.connect(tmp_path / "s.db") as conn:  # as a store migrated from before 0007
        conn.execute("UPDATE samples SET settings_id = NULL")  # settings_hash before 0021
    diag = Workspace(tmp_path / "s.db", taxonomy_dir=CASE / "tax").diagnose("A", "B")
    ev = diag.evaluation
    assert ev is not None and ev["not_recorded"] == ["base", "candidate"]
    assert any("base and candidate run were not recorded" in n for n in diag.notes)
    assert not ev["changed"]  # prompts, filter and task settings still compared


def test_weak_slices_with_identical_items_are_listed_once() -> None:
    """Three descriptions of the same 25 items (task type, and with a constant output
    constraint, and with a background every one of them has) are one weak slice."""
    from capslice_tui.analysis.slice_search import significant_slices

    labels = _stat01_labels()
    labels["background_condition"] = np.where(
        labels["task_type"] == "t01", "self_contained", "commonsense"
    ).astype(object)
    errors = np.zeros(1000)
    errors[:25] = 1.0  # every t01 item fails
    errors[25::7] = 1.0
    search = significant_slices(labels, errors)
    t01 = [s for s in search.slices if s.slice.size == 25]
    assert len(t01) == 1
    descriptions = {t01[0].label, *t01[0].slice.aliases}
    assert descriptions == {
        "background_condition=self_contained",
        "task_type=t01",
        "background_condition=self_contained & task_type=t01",
        "background_condition=self_contained & output_constraint=free_text",
        "task_type=t01 & output_constraint=free_text",
        "background_condition=self_contained & task_type=t01 & output_constraint=free_text",
    }
