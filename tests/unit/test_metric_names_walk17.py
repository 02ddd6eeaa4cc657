"""Walk 17: a score is named for what it is.

F5/F1: one sample per item was always "greedy accuracy", also under sampling (do_sample
true, temperature 1 in the results file) and on a ``maj@8`` vote filter, whose ``--k`` note
said "one sample per item (greedy)". F8: per-item means were "accuracy (mean over samples)"
beside ``1093/5888 samples = 18.6%``; ``samples_per_item`` 128 when most items have 16; a
gain headed "DATA (localized wrong answers)". F11: a log-likelihood choice task took ``acc``
over ``acc_norm`` silently, was "greedy accuracy" and showed a lenient re-extraction.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from lmeval_lines import TS, gsm8k_line, write_gsm8k_file

from capslice_tui.cli import main
from capslice_tui.formatting import (
    GREEDY_ACCURACY,
    ITEM_MEAN_ACCURACY,
    ONE_SAMPLE_ACCURACY,
    one_sample_metric,
    short_metric,
)
from capslice_tui.report import verdict_reason
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.core import choice_metric, decoding, per_item_mix


def _results(folder: Path, task: str, gen: dict[str, object], filters: list[str]) -> None:
    doc = {
        "results": {task: {"alias": task}},
        "configs": {
            task: {
                "task": task,
                "generation_kwargs": gen,
                "filter_list": [{"name": f} for f in filters],
            }
        },
    }
    (folder / f"results_{TS}.json").write_text(json.dumps(doc))


def _gsm(folder: Path, gen: dict[str, object] | None) -> Path:
    lines = [gsm8k_line(d, "18" if d < 8 else "17", float(d < 8), until=False) for d in range(12)]
    write_gsm8k_file(folder, lines)
    if gen is not None:
        _results(folder, "gsm8k", gen, ["strict-match"])
    return folder


def _mc(folder: Path, n: int = 20) -> Path:
    """``n`` log-likelihood multiple-choice lines (lm-eval 0.4.8): acc right on the first
    12, acc_norm on the first 7."""
    lines = []
    for d in range(n):
        args = {f"gen_args_{i}": {"arg_0": f"Q{d}?\nAnswer:", "arg_1": f" {c}"}
                for i, c in enumerate("ABCD")}  # fmt: skip
        resps = [[[str(-1.0 - i), str(i == 0)]] for i in range(4)]
        lines.append(json.dumps({
            "doc_id": d, "doc": {"question": f"Q{d}?", "choices": list("wxyz"), "answer": 0},
            "target": "0", "arguments": args, "resps": resps,
            "filtered_resps": [r[0] for r in resps], "filter": "none",
            "metrics": ["acc", "acc_norm"], "acc": float(d < 12), "acc_norm": float(d < 7),
        }))  # fmt: skip
    write_gsm8k_file(folder, lines, task="mmlu_abstract_algebra")
    return folder


def _vote(folder: Path) -> Path:
    """Eight sampled generations per doc, filters score-first and maj@8 (gen_rep.py's layout)."""
    lines = []
    for d in range(10):
        resps = [[f"so #### {18 if i < 5 else 17}" for i in range(8)]]
        for filt, kept in (("score-first", ["18"]), ("maj@8", ["18"])):
            lines.append(json.dumps({
                "doc_id": d, "doc": {"question": f"How many, case {d}?", "answer": "#### 18"},
                "target": "#### 18", "arguments": {"gen_args_0": {"arg_0": f"Q{d}"}},
                "resps": resps, "filtered_resps": kept, "filter": filt,
                "metrics": ["exact_match"], "exact_match": 1.0,
            }))  # fmt: skip
    write_gsm8k_file(folder, lines, task="hendrycks_math")
    return folder


def test_names_of_one_sample_per_item() -> None:
    assert decoding({"do_sample": 0, "temperature": None}) == ("greedy", None)
    assert decoding({"do_sample": None, "temperature": 0.0}) == ("greedy", 0.0)
    assert decoding({"do_sample": 1, "temperature": 1.0}) == ("sampled", 1.0)
    assert decoding({"do_sample": None, "temperature": 0.7}) == ("sampled", 0.7)
    assert decoding({"do_sample": None, "temperature": None}) == (None, None)
    assert one_sample_metric("greedy") == GREEDY_ACCURACY
    assert one_sample_metric(None) == ONE_SAMPLE_ACCURACY
    assert one_sample_metric("sampled", 1.0) == "accuracy (one sample per item, sampled at T=1)"
    assert one_sample_metric("sampled", 0.7, vote=8) == "maj@8 accuracy (vote over 8 samples)"
    assert one_sample_metric(None, choice_metric="acc") == "acc (log-likelihood choice)"
    assert [short_metric(m) for m in (GREEDY_ACCURACY, ITEM_MEAN_ACCURACY, ONE_SAMPLE_ACCURACY,
            one_sample_metric("sampled", 1.0), one_sample_metric(None, vote=8),
            one_sample_metric(None, choice_metric="acc_norm"))] == [
        "greedy acc", "acc mean", "1-sample acc", "sampled acc", "maj@8 acc", "acc_norm"
    ]  # fmt: skip
    assert choice_metric({"acc": 1.0, "acc_norm": 0.0}, 0.0) == "acc_norm"
    assert choice_metric({"acc": 1.0, "acc_norm": 1.0}, 1.0) == "acc"
    assert choice_metric({"exact_match": 1.0}, 1.0) is None
    assert per_item_mix(16, 128) is None and per_item_mix(8, 8) == 8


@pytest.mark.parametrize(
    ("gen", "metric", "why"),
    [
        ({"do_sample": False, "temperature": 0.0}, GREEDY_ACCURACY, "(greedy decoding)"),
        ({"do_sample": True, "temperature": 1.0},
         "accuracy (one sample per item, sampled at T=1)", "(sampled at T=1)"),
        (None, ONE_SAMPLE_ACCURACY, "this run has one sample per item"),
    ],
)  # fmt: skip
def test_one_sample_is_greedy_only_when_recorded_greedy(
    tmp_path: Path, gen: dict[str, object] | None, metric: str, why: str
) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_gsm(tmp_path / "logs", gen)], run="r")
    table = ws.slices("r")
    assert table.overall.metric == metric
    assert all(r.metric == metric for r in table.rows)
    assert why in table.one_sample_reason
    assert ws.runs()[0]["benchmarks"]["gsm8k"]["metric"] == metric
    out = (
        CliRunner()
        .invoke(
            main,
            ["--store", str(tmp_path / "s.db"), "slices", "r", "--k", "4"],
            env={"COLUMNS": "200"},
        )
        .output
    )
    assert f"metric: {metric};" in out, out
    assert f"--k 4 ignored: {table.one_sample_reason}" in " ".join(out.split()), out
    assert ("(greedy)" in out) is False


def test_a_vote_filter_is_named_a_vote_and_k_points_to_the_sample_filter(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_vote(tmp_path / "logs")], run="v")
    table = ws.slices("v", filter_name="maj@8", k=["1", "8"])
    assert table.overall.metric == "maj@8 accuracy (vote over 8 samples)"
    assert table.one_sample_reason == (
        "filter maj@8 holds one majority vote per item (over 8 samples), not 8 samples; "
        "pass@k reads a filter of every sample: --filter score-first"
    )
    assert ws.slices("v", k=["8"]).ks == [8]  # score-first holds the 8 samples
    out = " ".join(
        CliRunner()
        .invoke(
            main,
            [
                "--store",
                str(tmp_path / "s.db"),
                "slices",
                "v",
                "--filter",
                "maj@8",
                "--k",
                "1",
                "--k",
                "8",
            ],
            env={"COLUMNS": "200"},
        )  # fmt: skip
        .output.split()
    )
    assert "greedy" not in out, out
    assert "--k 1 8 ignored: filter maj@8 holds one majority vote per item" in out, out


def test_log_likelihood_choice_names_its_metric_and_has_no_lenient(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_mc(tmp_path / "logs")], run="mc")
    table = ws.slices("mc")
    assert table.overall.metric == "acc (log-likelihood choice)"
    assert (table.overall.correct, table.overall.n_samples) == (12, 20)
    assert table.overall.lenient is None and all(r.lenient is None for r in table.rows)
    assert table.metric_notes == [
        "metric: acc (the choice of highest log-likelihood) on mmlu_abstract_algebra; "
        "acc_norm also logged: 35.0% (7/20); no lenient score: nothing was generated to "
        "re-extract"
    ]
    assert table.to_dict()["overall"]["lenient_score"] is None
    assert table.metric_notes[0] in table.to_dict()["notes"]
    assert ws.runs()[0]["benchmarks"]["mmlu"]["metric"] == "acc (log-likelihood choice)"


def test_item_means_are_named_means_of_item_accuracies_and_the_mix_is_said(
    tmp_path: Path,
) -> None:
    from demo_store import math_base_store

    store = math_base_store(tmp_path)
    table = Workspace(store).slices("math-base", benchmark="math").to_dict()
    assert (
        table["overall"]["metric"]
        == ITEM_MEAN_ACCURACY
        == ("accuracy (mean of per-item accuracies)")
    )
    assert table["samples_per_item"] is None  # items differ: no one number (a type-stable int|null)
    assert table["min_samples_per_item"] == 16 and table["max_samples_per_item"] == 128
    runs = Workspace(store).runs()
    assert {r["benchmarks"]["math"]["metric"] for r in runs} == {ITEM_MEAN_ACCURACY}


def test_a_gain_is_headed_as_a_gain() -> None:
    gain = {"mode": "change", "direction": "gain", "reason": "localized_wrong_answers"}
    assert verdict_reason(gain) == " (localized answers turning right)"
    drop = {**gain, "direction": "drop"}
    assert verdict_reason(drop) == " (localized wrong answers)"


def test_runs_names_each_score(tmp_path: Path) -> None:
    """``capslice runs`` named no metric: a sampled run's and a multiple-choice task's score
    read as greedy accuracy beside the others."""
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_gsm(tmp_path / "t1", {"do_sample": True, "temperature": 1.0})], run="t1")
    ws.ingest([_mc(tmp_path / "mc")], run="mc")
    out = (
        CliRunner()
        .invoke(main, ["--store", str(tmp_path / "s.db"), "runs"], env={"COLUMNS": "200"})
        .output
    )
    assert "metric accuracy (one sample per item, sampled at T=1): t1" in out, out
    assert "metric acc (log-likelihood choice): mc" in out, out


def test_sample_of_a_choice_task_names_its_metric_and_no_lenient(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_mc(tmp_path / "mc")], run="mc")
    out = (
        CliRunner()
        .invoke(main, ["--store", str(tmp_path / "s.db"), "sample", "10"], env={"COLUMNS": "200"})
        .output
    )
    assert "score source: harness: acc (a log-likelihood choice); acc_norm also logged: 0" in out
    assert "lenient extraction: - (a log-likelihood choice: nothing was generated" in out, out


def test_an_intervention_on_several_samples_names_the_item_mean() -> None:
    """The intervention footer read 'accuracy (mean over samples = pass@1)' above per-item
    means (number_theory & modular_arithmetic 3.9%, pooled 21/2528 = 0.8%)."""
    import numpy as np

    from capslice_tui.analysis.outcome import evaluate_outcome

    m = 40
    labels = {"task_type": np.array(["a"] * m + ["b"] * m, dtype=object)}
    n = np.full(2 * m, 4.0)
    c = np.tile(np.r_[np.full(m // 2, 3.0), np.zeros(m // 2)], 2)
    out = evaluate_outcome([{"task_type": "a"}], [{"task_type": "b"}], labels, n, c, n, c)
    assert out.metric == ITEM_MEAN_ACCURACY


def test_one_sample_name_for_other_callers(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_gsm(tmp_path / "g", {"do_sample": False, "temperature": 0.0})], run="g")
    ws.ingest([_gsm(tmp_path / "t", {"do_sample": True, "temperature": 1.0})], run="t")
    assert ws.one_sample_name("g") == GREEDY_ACCURACY
    assert ws.one_sample_name("t") == "accuracy (one sample per item, sampled at T=1)"
