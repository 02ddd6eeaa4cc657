"""Decomposition, SliceLine, significant slices and verdicts on constructed runs.

Two stories are built item by item:

- EOS: the candidate stops emitting EOS; a quarter of its previously right answers run to the
  cap (truncated) or keep the answer but fail extraction, evenly across 9 task types.
- math: the candidate loses two (task_type, solving_operation) combinations to wrong answers.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from capslice_tui.analysis.compare import paired_compare
from capslice_tui.analysis.decompose import decompose_change, decompose_weakness
from capslice_tui.analysis.failure_modes import FailureMode, signal_counts
from capslice_tui.analysis.slice_search import paired_slices, significant_slices, sliceline
from capslice_tui.analysis.verdict import verdict_for_change, verdict_for_weakness

TASKS = [
    "algebra", "geometry", "number_theory", "prealgebra", "precalculus",
    "counting_probability", "intermediate_algebra", "word_problem", "logical_deduction",
]  # fmt: skip
OPS = ["equation_solving", "geometric_computation", "casework", "multi_step_arithmetic"]
BACKGROUNDS = ["school_math", "competition_math", "self_contained"]
OUTPUTS = ["integer", "boxed_expression", "final_number"]


def _labels(n_per_task: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = n_per_task * len(TASKS)
    task = np.repeat(TASKS, n_per_task)
    op = np.tile(np.repeat(OPS, n_per_task // len(OPS)), len(TASKS))
    return {
        "background_condition": np.array(BACKGROUNDS)[rng.integers(0, 3, n)],
        "task_type": task,
        "solving_operation": op,
        "output_constraint": np.array(OUTPUTS)[rng.integers(0, 3, n)],
    }


def _eos_story() -> dict:
    rng = np.random.default_rng(11)
    labels = _labels(100, rng)
    n = labels["task_type"].size
    base = (rng.random(n) < 0.7).astype(float)
    base_modes = np.where(base == 1, "correct", "wrong_answer").astype(object)
    cand = base.copy()
    cand_modes = base_modes.copy()
    hit = (base == 1) & (rng.random(n) < 0.25)
    half = rng.random(n) < 0.5
    cand[hit] = 0
    cand_modes[hit & half] = "truncated"
    cand_modes[hit & ~half] = "extraction_failure"
    base_fm = [FailureMode(m, "", ()) for m in base_modes]
    cand_fm = [
        FailureMode(m, "", ("cap",) if i else ()) for m, i in zip(cand_modes, hit, strict=True)
    ]
    return dict(labels=labels, base=base, cand=cand, base_modes=base_modes,
                cand_modes=cand_modes, base_fm=base_fm, cand_fm=cand_fm)  # fmt: skip


COMBOS = [("algebra", "equation_solving"), ("geometry", "geometric_computation")]


def _math_story() -> dict:
    rng = np.random.default_rng(5)
    labels = _labels(200, rng)
    n = labels["task_type"].size
    base = (rng.random(n) < 0.7).astype(float)
    cand = base.copy()
    in_combo = np.zeros(n, dtype=bool)
    for t, o in COMBOS:
        in_combo |= (labels["task_type"] == t) & (labels["solving_operation"] == o)
    cand[in_combo & (base == 1) & (rng.random(n) < 0.8)] = 0
    noise = ~in_combo & (rng.random(n) < 0.03)
    cand[noise] = 1 - cand[noise]
    modes = lambda c: np.where(c == 1, "correct", "wrong_answer").astype(object)  # noqa: E731
    return dict(labels=labels, base=base, cand=cand, base_modes=modes(base),
                cand_modes=modes(cand), in_combo=in_combo)  # fmt: skip


def _decompose(s: dict):
    return decompose_change(s["labels"], s["base"], s["cand"], s["base_modes"], s["cand_modes"])


def _overall(s: dict):
    ones = np.ones(s["base"].size)
    return paired_compare(ones, s["base"], ones, s["cand"])


def _paired(s: dict):
    """The paired test per distinct slice (as diagnose runs it), greedy 0/1 items."""
    ones = np.ones(s["base"].size)
    return paired_slices(
        s["labels"], ones, s["base"], ones, s["cand"], (s["base_modes"], s["cand_modes"])
    )


# ---------------------------------------------------------------- decomposition


def test_decomposition_sums_to_the_total_change() -> None:
    s = _eos_story()
    d = _decompose(s)
    assert d.total_change == pytest.approx(s["cand"].mean() - s["base"].mean())
    assert sum(d.mode_contributions.values()) == pytest.approx(d.total_change)
    assert d.mode_residual == pytest.approx(0.0, abs=1e-12)
    for axis, deltas in d.axes.items():
        assert sum(x.contribution for x in deltas) == pytest.approx(d.total_change), axis
    assert d.format_contribution / d.total_change > 0.95
    assert d.lost == pytest.approx(sum(d.lost_by_mode.values()))
    assert d.concentration["task_type"].pattern == "spread"
    assert d.concentration["task_type"].n_moving == 9
    assert d.content_pattern == "spread"
    assert d.to_dict()["content_pattern"] == "spread"


def test_decomposition_with_sample_weights() -> None:
    # two items, 2 samples each, weights 1/2: accuracy is the mean over items
    labels = {"task_type": ["a", "a", "b", "b"]}
    d = decompose_change(
        labels, [1, 1, 1, 0], [1, 0, 0, 0], ["correct", "correct", "correct", "wrong_answer"],
        ["correct", "truncated", "wrong_answer", "wrong_answer"], weights=[0.5] * 4, min_size=1,
    )  # fmt: skip
    assert d.n_items == 2
    assert d.total_change == pytest.approx(0.25 - 0.75)
    assert d.mode_contributions["truncated"] == pytest.approx(-0.25)
    with pytest.raises(ValueError, match="unknown failure mode 'oops'"):
        decompose_change(labels, [1] * 4, [1] * 4, ["oops"] * 4, ["correct"] * 4)
    with pytest.raises(ValueError, match="axis 'task_type': 4 labels for 3 rows"):
        decompose_change(labels, [1] * 3, [1] * 3, ["correct"] * 3, ["correct"] * 3)


def test_math_story_is_concentrated() -> None:
    d = _decompose(_math_story())
    assert d.wrong_answer_contribution / d.total_change > 0.95
    assert d.concentration["task_type"].pattern == "concentrated"
    assert d.content_pattern == "concentrated"


def test_weakness_deficits() -> None:
    s = _math_story()
    w = decompose_weakness(s["labels"], s["cand"], modes=s["cand_modes"])
    for axis, rows in w.axes.items():
        assert sum(r.contribution for r in rows) == pytest.approx(0.0, abs=1e-12), axis
    weakest = w.axes["task_type"][0]
    assert weakest.value in {"algebra", "geometry"} and weakest.deficit < 0
    assert weakest.lo <= weakest.score <= weakest.hi
    ref = decompose_weakness(s["labels"], s["cand"], reference_correct=s["base"])
    assert ref.reference == "reference run"
    assert sum(r.contribution for r in ref.axes["task_type"]) == pytest.approx(
        s["cand"].mean() - s["base"].mean()
    )


# ---------------------------------------------------------------- slice search


def _one_failing_combo(n: int = 2000, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = {a: np.array([f"{a}{i}" for i in rng.integers(0, 4, n)]) for a in "abcd"}
    err = (rng.random(n) < 0.1).astype(float)
    bad = (X["a"] == "a1") & (X["c"] == "c2")
    err[bad] = (rng.random(int(bad.sum())) < 0.9).astype(float)
    return X, err, bad


def _brute_force_top(X, err, alpha, min_sup, k):
    axes = list(X)
    n, e_bar = err.size, err.mean()
    found = []
    for level in range(1, len(axes) + 1):
        for subset in itertools.combinations(axes, level):
            for vals in itertools.product(*(np.unique(X[a]) for a in subset)):
                mask = np.all([X[a] == v for a, v in zip(subset, vals, strict=True)], axis=0)
                size, es = int(mask.sum()), float(err[mask].sum())
                if size < min_sup or es <= 0:
                    continue
                sc = alpha * (es / size / e_bar - 1) - (1 - alpha) * (n / size - 1)
                if sc > 0:
                    found.append((round(sc, 9), size, tuple(zip(subset, vals, strict=True))))
    found.sort(key=lambda t: (-t[0], -t[1]))
    return found[:k]


def test_sliceline_finds_the_failing_combination_and_matches_brute_force() -> None:
    X, err, bad = _one_failing_combo()
    top = sliceline(X, err, alpha=0.95, min_sup=10, k=5)
    assert top[0].predicates == (("a", "a1"), ("c", "c2"))
    assert top[0].size == int(bad.sum())
    assert top[0].error == pytest.approx(err[bad].mean())
    brute = _brute_force_top(X, err, 0.95, 10, 5)
    assert [(round(s.score, 9), s.size) for s in top] == [(b[0], b[1]) for b in brute]
    assert [s.predicates for s in top] == [tuple((a, str(v)) for a, v in b[2]) for b in brute]
    # the default alpha 0.6 weighs size more: same answer as brute force, fewer positive slices
    top6 = sliceline(X, err, k=5)
    brute6 = _brute_force_top(X, err, 0.6, 10, 5)
    assert [(round(s.score, 9), s.size) for s in top6] == [(b[0], b[1]) for b in brute6]


def test_significant_slices_collapse_parents_and_children() -> None:
    X, err, bad = _one_failing_combo()
    res = significant_slices(X, err)
    assert [s.slice.predicates for s in res.slices] == [(("a", "a1"), ("c", "c2"))]
    kept = res.slices[0]
    assert kept.p_adj < 1e-10 and kept.n_tested == res.n_tested
    notes = {s.label: s.note for s in res.dropped}
    assert "explained by child a=a1 & c=c2" in notes["a=a1"]
    assert "explained by child a=a1 & c=c2" in notes["c=c2"]
    children = [lbl for lbl in notes if "a=a1" in lbl and "c=c2" in lbl and lbl.count("&") == 2]
    assert len(children) == 8  # 4 values of b, 4 of d
    for c in children:
        assert "not different from the rest of parent a=a1 & c=c2" in notes[c]
    # an all-tested count covers the whole lattice, not only the significant slices
    assert res.n_tested > 100


# ---------------------------------------------------------------- verdicts


def test_eos_story_is_not_data_and_names_eos() -> None:
    s = _eos_story()
    d = _decompose(s)
    overall = _overall(s)
    v = verdict_for_change(
        d, overall, _paired(s), base_signals=signal_counts(s["base_fm"]),
        cand_signals=signal_counts(s["cand_fm"]),
    )  # fmt: skip
    assert v.verdict == "not_data"
    assert v.causes and v.causes[0].startswith("EOS not emitted")
    assert "spread" in v.summary
    names = {e.name for e in v.evidence}
    assert "samples at the generation cap" in names
    assert "task_type: slices moving with the change" in names
    spread = next(e for e in v.evidence if e.name == "task_type: slices moving with the change")
    assert spread.value == "9/9"
    assert v.to_dict()["verdict"] == "not_data"


def test_extraction_without_cap_names_the_filter() -> None:
    s = _eos_story()
    modes = np.where(s["cand_modes"] == "truncated", "extraction_failure", s["cand_modes"])
    d = decompose_change(s["labels"], s["base"], s["cand"], s["base_modes"], modes)
    no_cap = [FailureMode(m, "") for m in modes]
    v = verdict_for_change(
        d, _overall(s), None, base_signals=signal_counts(s["base_fm"]),
        cand_signals=signal_counts(no_cap),
    )  # fmt: skip
    assert v.verdict == "not_data"
    assert v.causes[0].startswith("answer-extraction filter")


def test_math_story_is_data_and_names_the_combinations() -> None:
    s = _math_story()
    d = _decompose(s)
    v = verdict_for_change(d, _overall(s), _paired(s))
    assert v.verdict == "data" and v.reason == "localized_wrong_answers"
    labels = {sl.label for sl in v.slices}
    assert labels == {
        "task_type=algebra & solving_operation=equation_solving",
        "task_type=geometry & solving_operation=geometric_computation",
    }
    for lbl in labels:
        assert lbl in v.summary
    ev = next(e for e in v.evidence if e.name.startswith("slice task_type=algebra"))
    assert "lost items by mode: wrong_answer" in ev.detail and "BH p_adj" in ev.detail
    assert ev.unit == "points" and ev.value == -48.0  # 62.0% -> 14.0% on 50 items


def test_weakness_verdict_names_the_combinations() -> None:
    s = _math_story()
    w = decompose_weakness(s["labels"], s["cand"], modes=s["cand_modes"])
    slices = significant_slices(s["labels"], 1 - s["cand"], modes=s["cand_modes"])
    v = verdict_for_weakness(w, slices)
    assert v.verdict == "data"
    assert "task_type=algebra & solving_operation=equation_solving" in v.summary


def test_inconclusive_says_how_many_items_would_settle_it() -> None:
    rng = np.random.default_rng(2)
    base = (rng.random(60) < 0.6).astype(float)
    cand = base.copy()
    cand[np.flatnonzero(base == 1)[:3]] = 0
    labels = {"task_type": np.array(TASKS[:3] * 20)}
    modes = lambda c: np.where(c == 1, "correct", "wrong_answer")  # noqa: E731
    d = decompose_change(labels, base, cand, modes(base), modes(cand))
    ones = np.ones(60)
    overall = paired_compare(ones, base, ones, cand)
    assert overall.p_value > 0.05
    ones = np.ones(60)
    search = paired_slices(labels, ones, base, ones, cand)
    v = verdict_for_change(d, overall, search)
    assert v.verdict == "inconclusive"
    assert "smallest detectable change" in v.summary and "more)" in v.summary
    mdd = next(e for e in v.evidence if e.name == "minimum detectable difference")
    # value in points (None when no difference is detectable, as JSON has no inf)
    if overall.mdd == float("inf"):
        assert mdd.value is None and "no difference" in mdd.detail
    else:
        assert mdd.value == pytest.approx(100 * overall.mdd, abs=0.05)
    assert mdd.unit == "points"


# ---------------------------------------------------------------- wording and new rules


def _eos_verdict(s: dict):
    d = _decompose(s)
    return d, verdict_for_change(
        d, _overall(s), _paired(s), base_signals=signal_counts(s["base_fm"]),
        cand_signals=signal_counts(s["cand_fm"]),
    )  # fmt: skip


def _eos_with_wrong_to_truncated() -> dict:
    """EOS story where half the base wrong answers also run to the cap (truncated)."""
    s = _eos_story()
    rng = np.random.default_rng(3)
    flip = (s["base"] == 0) & (rng.random(s["base"].size) < 0.5)
    s["cand_modes"] = s["cand_modes"].copy()
    s["cand_modes"][flip] = "truncated"
    s["cand_fm"] = [
        FailureMode(m, "", ("cap",) if m == "truncated" else fm.signals)
        for m, fm in zip(s["cand_modes"], s["cand_fm"], strict=True)
    ]
    return s


def test_opposite_parts_are_phrased_in_points_never_as_a_share_over_100() -> None:
    s = _eos_with_wrong_to_truncated()
    d, v = _eos_verdict(s)
    assert d.wrong_answer_contribution > 0 > d.total_change  # wrong answers moved the other way
    assert v.verdict == "not_data"
    assert "format failures account for" in v.summary and "net " in v.summary
    assert "became format failures" in v.summary
    assert not re_share_over_100(v.summary)
    fmt = next(e for e in v.evidence if e.name == "format failures' part of the change")
    assert fmt.unit == "points"
    assert fmt.value == pytest.approx(round(100 * d.format_contribution, 1))
    # the part larger than the net is said in points, with what offset it (never "236.3%")
    assert "on its own " in fmt.detail and "more than the net" in fmt.detail
    assert "moved the other way" in fmt.detail and "offset part of it" in fmt.detail
    assert not re_share_over_100(fmt.detail) and "threshold" not in fmt.detail
    wrong = next(e for e in v.evidence if e.name == "wrong answers' part of the change")
    assert wrong.value > 0 and "in the other direction from the net" in wrong.detail
    assert "carries none of it" in wrong.detail
    p = next(e for e in v.evidence if e.name == "paired p-value")
    assert p.unit == "p" and p.value == float(f"{p.value:.2g}")
    for e in v.evidence:  # no 16-digit floats
        if isinstance(e.value, float):
            assert len(repr(e.value)) <= 10, (e.name, e.value)


def re_share_over_100(text: str) -> bool:
    import re

    return any(float(x) > 100 for x in re.findall(r"(\d+(?:\.\d+)?)%", text))


def test_gain_from_fewer_format_failures_names_the_fix() -> None:
    s = _eos_story()
    # swap the runs: the candidate now emits EOS again
    r = dict(s, base=s["cand"], cand=s["base"], base_modes=s["cand_modes"],
             cand_modes=s["base_modes"], base_fm=s["cand_fm"], cand_fm=s["base_fm"])  # fmt: skip
    _, v = _eos_verdict(r)
    assert v.verdict == "not_data"
    assert "gain comes from fewer format failures" in v.summary
    assert v.causes[0].startswith("termination fixed")
    assert "EOS not emitted" not in v.summary
    assert not any(c.startswith("EOS not emitted") for c in v.causes)
    names = {e.name for e in v.evidence}
    assert "slices with a significant paired change" in names


def test_spread_eos_drop_counts_the_paired_slice_tests() -> None:
    _, v = _eos_verdict(_eos_story())
    ev = next(e for e in v.evidence if e.name == "slices with a significant paired change")
    assert ev.unit == "slices" and ev.value > 0
    assert "exact McNemar, two-sided" in ev.detail and "Benjamini-Hochberg" in ev.detail
    cap = next(e for e in v.evidence if e.name == "samples at the generation cap")
    assert "every mode, not only truncated ones" in cap.detail  # no cap hits by mode given


def _broad_wrong_answer_drop() -> dict:
    """Every task type loses right answers to wrong answers, two of them a bit more."""
    rng = np.random.default_rng(8)
    labels = _labels(200, rng)
    n = labels["task_type"].size
    base = (rng.random(n) < 0.75).astype(float)
    cand = base.copy()
    rate = np.where(np.isin(labels["task_type"], ["algebra", "geometry"]), 0.5, 0.3)
    cand[(base == 1) & (rng.random(n) < rate)] = 0
    modes = lambda c: np.where(c == 1, "correct", "wrong_answer").astype(object)  # noqa: E731
    return dict(labels=labels, base=base, cand=cand, base_modes=modes(base), cand_modes=modes(cand))


def test_broad_wrong_answer_change_is_a_broad_capability_data_verdict() -> None:
    s = _broad_wrong_answer_drop()
    d = _decompose(s)
    assert d.content_pattern == "spread"
    search = _paired(s)
    assert search.significant  # every task type drops significantly ...
    v = verdict_for_change(d, _overall(s), search)
    assert v.verdict == "data"  # ... a broad change of wrong answers is a capability change
    assert v.reason == "broad_capability" and v.to_dict()["reason"] == "broad_capability"
    assert ", localized in" not in v.summary
    assert "A broad capability drop, a data problem" in v.summary
    total = f"{abs(round(100 * d.total_change, 1)):.1f}"
    assert f"the candidate is {total} points below the base (" in v.summary  # no "by -x"
    assert "below the base by" not in v.summary
    assert "spread across the content slices" in v.summary
    assert "no format, termination or evaluation cause" in v.summary
    assert "largest drops are in task_type=" in v.summary
    # strong evidence: never worded as if more items were needed
    assert "would take about" not in v.summary and "more)" not in v.summary
    lost = next(e for e in v.evidence if e.name.startswith("slice "))
    assert "right->wrong" in lost.detail and "lost items by mode" in lost.detail


def _task_row(task: str, base: float, cand: float, p_adj: float, n: int = 200) -> dict:
    return {
        "slice": {"task": task}, "n_items": n, "base": {"score": base}, "cand": {"score": cand},
        "diff": cand - base, "p_value": p_adj / 2, "p_adjusted": p_adj,
        "significant": p_adj <= 0.05,
    }  # fmt: skip


def test_broad_change_lists_where_the_candidate_loses_most_and_where_it_wins() -> None:
    s = _broad_wrong_answer_drop()
    d = _decompose(s)
    tests = [
        _task_row("algebra", 0.8, 0.4, 1e-9),
        _task_row("geometry", 0.7, 0.5, 1e-4),
        _task_row("word_sorting", 0.4, 0.5, 0.004),
        _task_row("causal_judgement", 0.54, 0.636, 0.06),  # p < 0.05 raw, not after BH
        _task_row("prealgebra", 0.7, 0.69, 0.9),
    ]
    v = verdict_for_change(d, _overall(s), None, slice_tests=tests)
    assert v.verdict == "data" and v.reason == "broad_capability"
    assert "significantly worse on 2 and significantly better on 1" in v.summary
    loses, wins = v.summary.split("It loses most on ")[1].split(" It wins on ")
    assert "task algebra 80.0% -> 40.0% (-40.0 points" in loses and "geometry" in loses
    assert "task word_sorting 40.0% -> 50.0% (+10.0 points" in wins
    assert "not significant after correction: task causal_judgement" in wins
    assert "prealgebra" not in v.summary  # neither significant nor nominally so
    better = next(e for e in v.evidence if e.name == "tasks significantly better for the candidate")
    assert better.value == 1 and "word_sorting" in better.detail


def test_broad_gain_says_the_candidate_is_above_base_and_names_its_nature() -> None:
    s = _broad_wrong_answer_drop()
    r = dict(s, base=s["cand"], cand=s["base"], base_modes=s["cand_modes"],
             cand_modes=s["base_modes"])  # fmt: skip
    d = _decompose(r)
    assert d.total_change > 0 and d.content_pattern == "spread"
    tests = [_task_row(t, 0.5, 0.55, 0.3) for t in ("algebra", "geometry")]
    v = verdict_for_change(d, _overall(r), None, slice_tests=tests)
    assert v.verdict == "data" and v.reason == "broad_capability"
    assert "points above the base (" in v.summary and "above the base by" not in v.summary
    assert "is carried by answers becoming right (+" in v.summary
    assert "gain is wrong answers" not in v.summary and "fix" not in v.summary  # no fix for a gain
    assert "wrong answers turning right" in v.summary
    assert "no format failures" in v.summary and "not a termination or extraction" in v.summary
    assert "No task is significantly better on its own" in v.summary
    assert not re_share_over_100(v.summary) and "more than the net" not in v.summary


def test_weak_evidence_reason_only_for_non_significant_changes() -> None:
    rng = np.random.default_rng(2)
    base = (rng.random(60) < 0.6).astype(float)
    cand = base.copy()
    cand[np.flatnonzero(base == 1)[:3]] = 0
    labels = {"task_type": np.array(TASKS[:3] * 20)}
    modes = lambda c: np.where(c == 1, "correct", "wrong_answer")  # noqa: E731
    d = decompose_change(labels, base, cand, modes(base), modes(cand))
    ones = np.ones(60)
    v = verdict_for_change(d, paired_compare(ones, base, ones, cand), None)
    assert v.reason == "weak_evidence" and "too weak" in v.summary
    _, eos = _eos_verdict(_eos_story())
    assert eos.reason == "format_failures"


def test_weakness_summary_counts_every_slice_and_names_combinations() -> None:
    s = _math_story()
    w = decompose_weakness(s["labels"], s["cand"], modes=s["cand_modes"])
    slices = significant_slices(s["labels"], 1 - s["cand"], modes=s["cand_modes"])
    combos = [
        {"task_type": t, "solving_operation": o, "score": 0.1, "correct": 5, "n_samples": 50,
         "n_items": 50}
        for t, o in COMBOS
    ] + [{"task_type": "prealgebra", "solving_operation": "casework", "score": 0.99,
          "correct": 99, "n_samples": 100, "n_items": 100}]  # fmt: skip
    v = verdict_for_weakness(w, slices, combinations=combos)
    assert v.verdict == "data"
    n = len(slices.slices)
    assert (
        f"{n} slice{'' if n == 1 else 's'} {'is' if n == 1 else 'are'} significantly weaker"
        in v.summary
    )
    assert "algebra x equation_solving 10.0% (5/50 samples correct, 50 items)" in v.summary
    assert "prealgebra x casework" not in v.summary  # above the average: not weak
    overall = next(e for e in v.evidence if e.name == "overall accuracy (mean per item)")
    assert "pooled over samples" in overall.detail and overall.unit == "%"


def test_verdict_p_values_read_as_the_tables_print_them() -> None:
    """A verdict writes p-values as every table does (formatting.pvalue): <0.0001 below that,
    never 0.0e+00 for a p-value under the float floor."""
    from capslice_tui.analysis.verdict_wording import _p, _pe

    assert _p(0.0) == "<0.0001" and _pe(0.0) == "<0.0001"
    assert _pe(0.0312) == "=0.031" and _pe(4.6e-41) == "<0.0001"
    assert "e+00" not in _p(0.0)


def test_format_parts_list_every_mode_that_makes_up_the_total() -> None:
    from types import SimpleNamespace

    from capslice_tui.analysis.verdict_wording import _format_parts

    dec = SimpleNamespace(mode_contributions={
        "truncated": -0.310, "extraction_failure": -0.208, "runaway": -0.060, "empty": 0.0,
    }, format_contribution=-0.578)  # fmt: skip
    txt = _format_parts(dec)  # type: ignore[arg-type]
    assert txt == "truncated -31.0 points, extraction_failure -20.8 points, runaway -6.0 points"
    # the demo's parts: -35.2 - 20.8 - 6.0 is -62.0 beside a total of -62.1 (exact -62.08)
    dec = SimpleNamespace(mode_contributions={
        "truncated": -0.35208, "extraction_failure": -0.20833, "runaway": -0.06042, "empty": 0.0,
    }, format_contribution=-0.62083)  # fmt: skip
    txt = _format_parts(dec)  # type: ignore[arg-type]
    assert txt == (
        "truncated -35.2 points, extraction_failure -20.8 points, runaway -6.0 points; "
        "parts rounded separately"
    )
