"""diagnose/compare's pair warning: the same run twice, or different models; a run continued
from another under a longer name (the demo's EOS story) is one lineage, not a warning."""

from __future__ import annotations

from capslice_tui.workspace.diagnose import pair_warning


def _w(b: str | None, c: str | None) -> str | None:
    return pair_warning("a", "b", {"id": 1, "model": b}, {"id": 2, "model": c})


def test_checkpoints_and_continued_runs_are_one_lineage() -> None:
    assert _w("demo-org/demo-1b-step100000", "demo-org/demo-1b-step120000") is None
    assert _w("demo-org/demo-1b-step100000", "demo-org/demo-1b-eosmask-step110000") is None
    assert _w(None, "x") is None


def test_different_models_are_named() -> None:
    w = _w("6b_finetuning", "6b_verification")
    assert w is not None and w.startswith("different models (6b_finetuning vs 6b_verification)")
    assert _w("demo-1b", "demo-1bx") is not None  # a longer name without a separator
    assert _w("gpt-3", "gpt-4") is not None


def test_the_same_run_twice() -> None:
    same = pair_warning("r", "r", {"id": 1}, {"id": 1})
    assert same is not None and same.startswith("the same run on both sides (r)")


def test_trend_treats_a_continued_run_as_one_lineage() -> None:
    from capslice_tui.workspace.trend import one_lineage

    eos_story = ["demo-org/demo-1b-step100000", "demo-org/demo-1b-eosmask-step110000",
                 "demo-org/demo-1b-step120000"]  # fmt: skip
    assert one_lineage(eos_story)
    assert not one_lineage(["6b_finetuning", "175b_finetuning"])
    assert not one_lineage(["demo-1b-eosmask", "demo-1b-mathfix"])  # siblings, no base named
    assert one_lineage([None, "x-step1"])


def test_a_benchmark_one_run_lacks_is_named_with_what_it_holds(tmp_path) -> None:
    import sys
    from pathlib import Path

    import pytest

    from capslice_tui.workspace import Workspace

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from startup_logs import write_gsm8k_run

    ws = Workspace(tmp_path / "s.db")
    ws.ingest([write_gsm8k_run(tmp_path / "a")], run="a", benchmark="gsm8k")
    ws.ingest([write_gsm8k_run(tmp_path / "b")], run="b", benchmark="gsm8k")
    with pytest.raises(ValueError) as err:
        ws.diagnose("a", "b", benchmark="bbh")
    assert str(err.value).startswith("a has no 'bbh' samples (its benchmarks: gsm8k); b has no")
