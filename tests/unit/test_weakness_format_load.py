"""Weakness mode (one run, no base) reads format failures with the pair rule: a run whose
failures are mostly truncation, extraction failures, runaways or empty outputs, spread over
the content slices, is not a data problem; a run with a few format failures keeps its slice
verdict (the math demo runs, the real GSM8K and BBH runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from capslice_tui.analysis.decompose import decompose_weakness
from capslice_tui.analysis.failure_modes import FailureMode, signal_counts
from capslice_tui.analysis.slice_search import significant_slices
from capslice_tui.analysis.verdict import FORMAT_SHARE, format_load, verdict_for_weakness
from capslice_tui.workspace import Workspace

EXT04 = Path(__file__).parents[1] / "fixtures" / "cases" / "ext-04-recited-fewshot"

TASKS = ["date", "logic", "sports", "nav", "objects", "temporal"]
OPS = ["deduction", "counting", "recall", "tracking"]


def _labels(n_per_task: int) -> dict[str, np.ndarray]:
    task = np.repeat(TASKS, n_per_task)
    op = np.tile(np.repeat(OPS, n_per_task // len(OPS)), len(TASKS))
    return {"task_type": task, "solving_operation": op}


def _verdict(modes: np.ndarray, labels: dict[str, np.ndarray], cap: np.ndarray | None = None):
    correct = (modes == "correct").astype(float)
    w = decompose_weakness(labels, correct, modes=modes)
    search = significant_slices(labels, 1 - correct, modes=modes)
    fms = [
        FailureMode(m, "", ("cap",) if cap is not None and cap[i] else ())
        for i, m in enumerate(modes)
    ]
    return w, verdict_for_weakness(w, search, signals=signal_counts(fms))


def _eos_masked_run() -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """The demo's EOS story in one run: 31% right, 2% wrong, the rest truncated (at the
    cap), extraction failures and runaways, evenly over every task type."""
    rng = np.random.default_rng(4)
    labels = _labels(80)
    n = labels["task_type"].size
    u = rng.random(n)
    modes = np.select(
        [u < 0.31, u < 0.33, u < 0.73, u < 0.94],
        ["correct", "wrong_answer", "truncated", "extraction_failure"],
        "runaway",
    ).astype(object)
    cap = np.isin(modes, ["truncated", "runaway"])
    return modes, labels, cap


def test_a_run_failing_mostly_by_format_is_not_a_data_problem() -> None:
    modes, labels, cap = _eos_masked_run()
    w, v = _verdict(modes, labels, cap)
    load = format_load(w)
    assert load is not None and load.share >= FORMAT_SHARE and load.pattern == "spread"
    assert (v.verdict, v.reason) == ("not_data", "format_failures")
    # the failure modes and their shares are named, and what to do first
    for mode in ("truncated", "extraction_failure", "runaway"):
        assert mode in v.summary
    assert "of the run's failures" in v.summary
    assert (
        "Fix the training config, the generation settings or the answer extraction first"
        in v.summary
    )
    assert v.causes and v.causes[0].startswith("EOS not emitted")
    ev = next(e for e in v.evidence if e.name == "format failures' share of the run's failures")
    assert ev.unit == "%" and ev.value == round(100 * load.share, 1)
    # the run alone: signals are the run's, never a "candidate"
    cap_ev = next(e for e in v.evidence if e.name == "samples at the generation cap")
    assert "candidate" not in cap_ev.detail and "the run" in cap_ev.detail


def test_format_failures_in_a_few_slices_do_not_make_the_run_not_data() -> None:
    """Format failures concentrated in one task type are a length need of those items,
    perhaps: the slice verdict stands and a note says so."""
    labels = _labels(80)
    n = labels["task_type"].size
    rng = np.random.default_rng(9)
    modes = np.where(rng.random(n) < 0.93, "correct", "wrong_answer").astype(object)
    date = labels["task_type"] == "date"
    modes[date & (rng.random(n) < 0.9)] = "truncated"
    w, v = _verdict(modes, labels)
    load = format_load(w)
    assert load is not None and load.share >= FORMAT_SHARE and load.pattern == "concentrated"
    # read from the weak slices (the run-wide rule names no slice)
    assert [s.label for s in v.slices] == ["task_type=date"]
    assert "Fix the training config" not in v.summary
    assert "Note: format failures are" in v.summary and "task_type=date" in v.summary


def test_a_few_format_failures_keep_the_data_verdict() -> None:
    """Wrong answers in two task types, 3% truncations spread everywhere: still data."""
    labels = _labels(80)
    n = labels["task_type"].size
    rng = np.random.default_rng(2)
    modes = np.where(rng.random(n) < 0.75, "correct", "wrong_answer").astype(object)
    weak = np.isin(labels["task_type"], ["logic", "nav"])
    modes[weak & (rng.random(n) < 0.7)] = "wrong_answer"
    modes[(modes == "correct") & (rng.random(n) < 0.03)] = "truncated"
    w, v = _verdict(modes, labels)
    load = format_load(w)
    assert load is not None and load.share < 0.3
    assert (v.verdict, v.reason) == ("data", "localized_wrong_answers")
    assert "Note: format failures" not in v.summary


def test_a_run_without_failure_modes_or_failures_has_no_format_load() -> None:
    labels = _labels(8)
    ones = np.ones(labels["task_type"].size)
    assert format_load(decompose_weakness(labels, ones)) is None  # no modes
    modes = np.array(["correct"] * ones.size, dtype=object)
    assert format_load(decompose_weakness(labels, ones, modes=modes)) is None  # no failures


def test_ext04_reasoning_run_alone_is_an_extraction_problem(tmp_path: Path) -> None:
    """Case ext-04: 28 of the 40 items of the reasoning run are extraction failures; alone it
    is not_data (answer extraction), as its pair with the base model is, never a data
    weakness. The 2-item run stays inconclusive: 2 format failures are too few to decide."""
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([EXT04 / "pair_cand"], run="cand")
    ws.ingest([EXT04 / "single"], run="single")
    d = ws.diagnose("cand").to_dict()
    assert (d["verdict"], d["reason"]) == ("not_data", "format_failures")
    assert "extraction_failure 70.0% of the items" in d["summary"]
    assert d["causes"][0].startswith("answer-extraction filter")
    small = ws.diagnose("single").to_dict()
    assert small["verdict"] == "inconclusive"
    assert "Note: format failures are 100.0% of the items (2/2 items)" in small["summary"]


SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def test_real_gsm8k_runs_with_few_format_failures_keep_their_verdicts(tmp_path: Path) -> None:
    """The real GSM8K systems fail by wrong answers (at most 5 format failures of 1,319
    items): alone, none is called not_data and none gets a format note."""
    src = SHARED / "gsm8k" / "example_model_solutions.jsonl"
    if not src.is_file():
        pytest.skip(f"shared evaluation logs not found at {src}")
    ws = Workspace(tmp_path / "gsm.db")
    ws.ingest([src], run="gsm", benchmark="gsm8k")
    for system in ("6b_verification", "175b_finetuning"):
        d = ws.diagnose(f"gsm/{system}").to_dict()
        assert d["reason"] != "format_failures" and d["verdict"] == "data", (system, d["summary"])
        assert "Note: format failures" not in d["summary"]
        share = next(
            e for e in d["evidence"] if e["name"] == "format failures' share of the run's failures"
        )
        assert share["value"] < 1.0  # percent of the failures
