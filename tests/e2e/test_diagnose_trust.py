"""Trust of ``diagnose``/``compare`` on a pair whose evaluation was not recorded and whose
models differ: GSM8K's example solutions of 6b_finetuning and 6b_verification (verifier
reranking of 100 samples) record no few-shot or decoding setting, so "same evaluation" must
not be said and the different models must be named; the same run on both sides is warned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.analysis.evaluation import compare_evaluations
from capslice_tui.cli import main
from capslice_tui.workspace.diagnose import pair_warning

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
GSM = SHARED / "gsm8k" / "example_model_solutions.jsonl"


def run(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture(scope="module")
def gsm_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GSM.is_file():
        pytest.skip(f"shared GSM8K example solutions not found at {GSM}")
    store = tmp_path_factory.mktemp("gsm") / "gsm.db"
    run(store, "ingest", str(GSM), "--run", "gsm", "--benchmark", "gsm8k")
    return store


def test_unrecorded_evaluation_is_never_called_the_same(gsm_store: Path) -> None:
    out = run(gsm_store, "diagnose", "gsm/6b_finetuning", "gsm/6b_verification")
    assert "same evaluation" not in out
    assert "no format, termination or evaluation cause" not in out
    assert "not in how it was evaluated" not in out
    assert (
        "evaluation cause (other prompts, few-shot, decoding or reranking) cannot be ruled out"
        in out
    )
    assert "evaluation not recorded: the few-shot and decoding settings" in out
    # two systems (one behind a verifier), not two checkpoints of one lineage: no data verdict
    assert out.startswith("VERDICT: INCONCLUSIVE (not a checkpoint pair)")
    # read as one lineage on purpose, the classification stays (wrong answers turning right),
    # hedged on the evaluation as before
    out = run(gsm_store, "diagnose", "gsm/6b_finetuning", "gsm/6b_verification", "--same-lineage")
    assert out.startswith("VERDICT: DATA (broad capability gain)")
    assert "not in how it was evaluated" not in out
    assert "cannot be ruled out" in out


def test_different_models_are_warned_in_text_and_json(gsm_store: Path) -> None:
    out = run(gsm_store, "diagnose", "gsm/6b_finetuning", "gsm/6b_verification")
    assert "warning: different models (6b_finetuning vs 6b_verification)" in out
    d = json.loads(
        run(gsm_store, "diagnose", "gsm/6b_finetuning", "gsm/6b_verification", "--format", "json")
    )
    assert d["pair_warning"].startswith("different models (6b_finetuning vs 6b_verification)")
    assert d["evaluation"]["not_compared"] == ["few-shot", "decoding"]
    md = run(gsm_store, "report", "gsm/6b_finetuning", "gsm/6b_verification")
    assert "**Warning**: different models" in md
    assert "same evaluation" not in md


def test_same_run_on_both_sides_is_warned(gsm_store: Path) -> None:
    out = run(gsm_store, "compare", "gsm/6b_finetuning", "gsm/6b_finetuning")
    assert "warning: the same run on both sides (gsm/6b_finetuning)" in out
    cmp = json.loads(
        run(gsm_store, "compare", "gsm/6b_finetuning", "gsm/6b_finetuning", "--format", "json")
    )
    assert cmp["pair_warning"].startswith("the same run on both sides")
    d = json.loads(
        run(gsm_store, "diagnose", "gsm/6b_finetuning", "gsm/6b_finetuning", "--format", "json")
    )
    assert d["pair_warning"].startswith("the same run on both sides")


def test_pair_warning_reuses_trends_model_family() -> None:
    a = {"id": 1, "model": "org/m-step100"}
    assert pair_warning("a", "b", a, {"id": 2, "model": "org/m-step200"}) is None
    assert pair_warning("a", "b", a, {"id": 2, "model": None}) is None
    assert "different models" in (
        pair_warning("a", "b", a, {"id": 2, "model": "org/n-step1"}) or ""
    )
    assert "same run" in (pair_warning("a", "a", a, a) or "")


def test_not_compared_lists_categories_neither_run_recorded() -> None:
    bare = {"task": "t", "filter": "none", "samples per item": 1}
    check = compare_evaluations([bare], [bare])
    assert check.not_compared == ["few-shot", "decoding"]
    assert not check.complete and not check.changed
    full = {**bare, "num_fewshot": 3, "temperature": 0}
    check = compare_evaluations([full], [full])
    assert check.not_compared == [] and check.complete
    # recorded on one side only is not compared either
    assert compare_evaluations([full], [bare]).not_compared == ["few-shot", "decoding"]
