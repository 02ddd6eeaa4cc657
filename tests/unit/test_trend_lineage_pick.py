"""The trend's default pick (workspace.trend.lineage_pick): the highlighted run's checkpoints
and the runs continued from its model, on the same benchmarks."""

from __future__ import annotations

from capslice_tui.workspace.trend import lineage_pick

RUNS = [
    {"name": "base", "step": 100000, "model": "demo-org/demo-1b-step100000", "benchmarks": ["bbh"]},
    {"name": "masked", "step": 110000, "model": "demo-org/demo-1b-eosmask-step110000",
     "benchmarks": {"bbh": {}}},
    {"name": "restored", "step": 120000, "model": "demo-org/demo-1b-step120000",
     "benchmarks": ["bbh"]},
    {"name": "math", "step": 100000, "model": "demo-org/demo-1b-step100000", "benchmarks": ["math"]},
    {"name": "other", "step": 110000, "model": "demo-org/demo-1bx-step110000", "benchmarks": ["bbh"]},
    {"name": "nomodel", "step": 115000, "model": None, "benchmarks": ["bbh"]},
    {"name": "nostep", "step": None, "model": "demo-org/demo-1b-step90000", "benchmarks": ["bbh"]},
]  # fmt: skip


def test_the_pick_is_the_lineage_on_the_same_benchmarks() -> None:
    # was base and restored only (the same model_family): the EOS dip at 110000 was left out
    assert lineage_pick(RUNS, "base") == ["base", "masked", "restored"]
    assert lineage_pick(RUNS, "masked") == ["base", "masked", "restored"]
    assert lineage_pick(RUNS, "math") == ["math"]
    assert lineage_pick(RUNS, "other") == ["other"]  # demo-1bx is not demo-1b continued


def test_a_run_without_a_model_goes_only_with_runs_without_one() -> None:
    assert lineage_pick(RUNS, "nomodel") == ["nomodel"]
    assert "nomodel" not in lineage_pick(RUNS, "restored")
    assert lineage_pick(RUNS, "unknown") == []
