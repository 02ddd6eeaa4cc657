"""Intervention outcomes measured against controls: difference-in-differences, its interval,
the verdicts it allows, and the warning a rejection "because of a regression" must carry."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from capslice_tui.analysis.outcome import (
    claims_regression,
    difference_in_differences,
    evaluate_outcome,
    regression_warning,
)
from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


def _binary(right: int, n: int) -> np.ndarray:
    return np.r_[np.ones(right), np.zeros(n - right)]


def test_did_value_and_interval_match_the_normal_approximation():
    # targets: 30/100 items gained, controls 10/100: DiD = 0.2. Normal approximation on the
    # paired differences: se = sqrt(.3*.7/100 + .1*.9/100) = 0.05477 -> [0.0926, 0.3074].
    r = difference_in_differences(_binary(30, 100), _binary(10, 100), random_state=0)
    assert r.did == pytest.approx(0.2)
    assert r.target_change == pytest.approx(0.3) and r.control_change == pytest.approx(0.1)
    se = math.sqrt(0.3 * 0.7 / 100 + 0.1 * 0.9 / 100)
    assert r.did_low == pytest.approx(0.2 - 1.959964 * se, abs=0.02)
    assert r.did_high == pytest.approx(0.2 + 1.959964 * se, abs=0.02)
    assert r.beats_controls and not r.behind_controls and r.p_value < 0.01
    again = difference_in_differences(_binary(30, 100), _binary(10, 100), random_state=0)
    assert (again.did_low, again.did_high) == (r.did_low, r.did_high)  # fixed random_state


def test_did_refuses_an_empty_group():
    with pytest.raises(ValueError, match="controls 0"):
        difference_in_differences(np.ones(5), np.array([np.nan]))


def _three_slices(target, controls):
    """Greedy 0/1 runs: one target slice and control slices, each ``(n, base_right,
    cand_right)``; every item that is right in the baseline stays right."""
    task_type, base, cand = [], [], []
    for name, (n, b, c) in [("target", target), *[(f"control{i}", x) for i, x in
                                                    enumerate(controls)]]:  # fmt: skip
        task_type += [name] * n
        base.append(_binary(b, n))
        cand.append(_binary(c, n))
    labels = {"task_type": np.array(task_type, dtype=object)}
    ones = np.ones(len(task_type))
    return labels, ones, np.concatenate(base), ones, np.concatenate(cand)


def test_controls_that_rose_as_much_as_the_targets_do_not_confirm():
    # the BBH CoT story: target +23.3 points, controls +30.8 and +21.4 points
    labels, bn, bc, cn, cc = _three_slices((750, 278, 453), [(750, 375, 606), (500, 353, 460)])
    out = evaluate_outcome([{"task_type": "target"}],
                           [{"task_type": "control0"}, {"task_type": "control1"}],
                           labels, bn, bc, cn, cc)  # fmt: skip
    assert out.rows[0].significant and out.rows[0].diff == pytest.approx(175 / 750)
    assert out.outcome != "confirmed"
    assert out.did["did"] == pytest.approx(175 / 750 - (231 + 107) / 1250)
    assert out.did["did_low"] < 0
    assert "controls" in out.reason and "DiD" in out.reason


def test_targets_that_beat_the_controls_are_confirmed():
    labels, bn, bc, cn, cc = _three_slices((100, 20, 60), [(200, 100, 102), (100, 50, 49)])
    out = evaluate_outcome([{"task_type": "target"}],
                           [{"task_type": "control0"}, {"task_type": "control1"}],
                           labels, bn, bc, cn, cc)  # fmt: skip
    assert out.outcome == "confirmed", out.reason
    assert out.did["did_low"] > 0 and out.rows[0].did["did"] == pytest.approx(0.4 - 1 / 300)
    assert out.label.startswith("confirmed: every target slice improved significantly")


def test_a_non_significant_gain_over_controls_is_not_confirmed():
    # targets +12 points (significant on their own), controls +8: DiD +4 is within noise
    labels, bn, bc, cn, cc = _three_slices((100, 40, 52), [(100, 40, 48)])
    out = evaluate_outcome([{"task_type": "target"}], [{"task_type": "control0"}], labels,
                           bn, bc, cn, cc)  # fmt: skip
    assert out.rows[0].significant
    assert (
        out.outcome == "inconclusive" and "not significantly more than the controls" in out.reason
    )


def test_no_control_slice_is_unmeasurable_not_confirmed():
    labels, bn, bc, cn, cc = _three_slices((100, 20, 60), [(50, 25, 25)])
    out = evaluate_outcome([{"task_type": "target"}], [], labels, bn, bc, cn, cc)
    assert out.rows[0].significant and out.rows[0].diff > 0
    assert out.outcome == "unmeasurable" and out.did is None
    assert out.label.startswith("unmeasurable: no control slice (none was pre-registered)")
    # a control slice whose items are all target items leaves no control either
    out = evaluate_outcome([{"task_type": "target"}], [{"task_type": "target"}], labels,
                           bn, bc, cn, cc)  # fmt: skip
    assert out.outcome == "unmeasurable" and "0 items outside the targets" in out.reason
    assert any("also in a target slice" in w for w in out.warnings)


def test_an_evaluation_change_makes_the_outcome_unmeasurable():
    labels, bn, bc, cn, cc = _three_slices((100, 20, 60), [(200, 100, 102)])
    out = evaluate_outcome([{"task_type": "target"}], [{"task_type": "control0"}], labels,
                           bn, bc, cn, cc, evaluation_changed="prompts differ")  # fmt: skip
    assert out.outcome == "unmeasurable" and "evaluation changed" in out.reason
    assert "prompts differ" in out.reason
    # nor can a control drop be put down to the data when the evaluation changed
    labels, bn, bc, cn, cc = _three_slices((100, 20, 60), [(200, 100, 40)])
    args = ([{"task_type": "target"}], [{"task_type": "control0"}], labels, bn, bc, cn, cc)
    assert evaluate_outcome(*args).outcome == "harmful"
    assert evaluate_outcome(*args, evaluation_changed="prompts differ").outcome == "unmeasurable"


def test_regression_claims_and_their_warning():
    assert claims_regression("Regression on algebra") and claims_regression("it harmed code")
    assert not claims_regression("too costly")
    assert "no outcome was measured" in regression_warning(None)
    labels, bn, bc, cn, cc = _three_slices((100, 50, 52), [(100, 60, 57)])
    flat = evaluate_outcome([{"task_type": "target"}], [{"task_type": "control0"}], labels,
                            bn, bc, cn, cc).to_dict()  # fmt: skip
    warning = regression_warning(flat)
    assert warning.startswith("the measured outcome shows no significant regression")
    assert "control task_type=control0 -3.0 points" in warning and "DiD" in warning
    labels, bn, bc, cn, cc = _three_slices((100, 50, 52), [(100, 60, 20)])
    harmed = evaluate_outcome([{"task_type": "target"}], [{"task_type": "control0"}], labels,
                              bn, bc, cn, cc).to_dict()  # fmt: skip
    assert harmed["verdict"] == "harmful" and regression_warning(harmed) is None


def _write_run(path, right):
    """Generic JSONL, benchmark math: task -> items answered right (of 40)."""
    lines = []
    for task, n_right in right.items():
        for doc in range(40):
            ok = doc < n_right
            lines.append({"task": task, "doc_id": doc, "target": "7", "correct": ok,
                          "response": "The answer is 7." if ok else "The answer is 3."})  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


@pytest.fixture
def flat_store(tmp_path):
    """Targets (number theory) +5 of 40 and controls (algebra) -3 of 40: nothing significant."""
    store = tmp_path / "w.db"
    ws = Workspace(store)
    nt, alg = "minerva_math_num_theory", "minerva_math_algebra"
    ws.ingest([_write_run(tmp_path / "b.jsonl", {nt: 10, alg: 25})], run="base", benchmark="math")
    ws.ingest([_write_run(tmp_path / "c.jsonl", {nt: 15, alg: 22})], run="after", benchmark="math")
    rec = ws.new_intervention(title="nt data", hypothesis="more number theory", baseline="base",
                              benchmark="math", targets=[{"task_type": "number_theory"}],
                              controls=[{"task_type": "algebra"}], who="alice")  # fmt: skip
    ws.accept_intervention(rec["id"], who="bob")
    ws.link_intervention(rec["id"], "after", who="bob")
    return store, rec["id"]


def test_rejecting_for_a_regression_within_noise_stores_the_warning(flat_store):
    store, iid = flat_store
    ws = Workspace(store)
    rec = ws.intervention(iid)
    assert rec["verdict"] != "confirmed"
    rec = ws.reject_intervention(iid, reason="regression on algebra", who="carol")
    assert rec["status"] == "rejected"
    assert rec["decision_warning"].startswith("the measured outcome shows no significant")
    hist = ws.intervention(iid)["history"]
    assert any(h["field"] == "decision_warning" and h["who"] == "carol" for h in hist)
    shown = CliRunner().invoke(main, ["--store", str(store), "intervention", "show", str(iid)])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "decision warning the measured outcome shows no significant regression" in text


def test_cli_shows_target_change_control_change_and_did(flat_store):
    store, iid = flat_store
    res = CliRunner().invoke(main, ["--store", str(store), "intervention", "show", str(iid)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "DiD vs controls" in text
    assert (
        "change against controls: targets +12.5 points, controls -7.5 points, DiD +20.0 points"
        in text
    )
    res = CliRunner().invoke(
        main, ["--store", str(store), "intervention", "show", str(iid), "--format", "json"]
    )
    did = json.loads(res.output)["outcome"]["did"]
    assert did["did"] == pytest.approx(0.2) and did["random_state"] == 0


def test_rejecting_without_a_regression_claim_stores_no_warning(flat_store):
    store, iid = flat_store
    rec = Workspace(store).reject_intervention(iid, reason="too costly", who="carol")
    assert rec["decision_warning"] is None


SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
BBH = SHARED / "bbh" / "outputs"
CATALOG = Path(__file__).resolve().parents[2] / "sample_data" / "catalog.yaml"


@pytest.fixture(scope="module")
def bbh_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (BBH / "code-davinci-002_cot.jsonl").is_file():
        pytest.skip(f"real BBH outputs not found at {BBH}")
    store = tmp_path_factory.mktemp("bbh") / "bbh.db"
    for name, run in (("cot", "bbh-cot"), ("direct", "bbh-direct")):
        res = CliRunner().invoke(main, ["--store", str(store), "ingest",
                                        str(BBH / f"code-davinci-002_{name}.jsonl"), "--run", run,
                                        "--benchmark", "bbh"])  # fmt: skip
        assert res.exit_code == 0, res.output
    return store


def _run(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    assert res.exit_code == 0, res.output
    return res.output


def test_real_bbh_cot_to_answer_only_plan_keeps_the_mixture(bbh_store: Path) -> None:
    plan = json.loads(_run(bbh_store, "plan", "--baseline", "bbh-cot", "--candidate", "bbh-direct",
                           "--benchmark", "bbh", "--catalog", str(CATALOG),
                           "--budget-tokens", "100000000000", "--format", "json"))  # fmt: skip
    assert plan["verdict"] != "data" and not plan["forced"]
    assert all(c["multiplier"] == pytest.approx(1.0) for c in plan["cells"])
    assert plan["summary"].startswith("No data boost: the diagnosis is ")


def test_real_bbh_intervention_whose_controls_rose_as_much_is_not_confirmed(
    bbh_store: Path,
) -> None:
    """The issue's numbers: target +23.3 points, controls +30.8 and +21.4 (answer-only -> CoT)."""
    new = json.loads(_run(
        bbh_store, "intervention", "new", "--title", "deduction data", "--hypothesis", "h",
        "--baseline", "bbh-direct", "--benchmark", "bbh",
        "--target", "solving_operation=deductive_inference,output_constraint=option_letter",
        "--control", "task_type=spatial_visual", "--control", "task_type=temporal_reasoning",
        "--format", "json",
    ))  # fmt: skip
    iid = str(new["id"])
    _run(bbh_store, "intervention", "accept", iid)
    shown = json.loads(_run(bbh_store, "intervention", "link", iid, "--run", "bbh-cot",
                            "--format", "json"))  # fmt: skip
    diffs = [round(100 * r["diff"], 1) for r in shown["outcome"]["rows"]]
    assert diffs == [23.3, 30.8, 21.4]
    assert shown["verdict"] != "confirmed"
    did = shown["outcome"]["did"]
    assert round(100 * did["did"], 1) == -3.7 and did["did_low"] < 0
    text = " ".join(_run(bbh_store, "intervention", "show", iid).split())
    assert (
        "change against controls: targets +23.3 points, controls +27.0 points, DiD -3.7 points"
        in text
    )


def test_real_bbh_intervention_across_a_prompt_change_is_unmeasurable(bbh_store: Path) -> None:
    """Targets that did beat the controls, but the result run was evaluated with another
    prompt (answer-only -> chain of thought): the outcome cannot be read as the data's."""
    targets = ["solving_operation=multi_step_arithmetic", "solving_operation=state_update"]
    new = json.loads(_run(
        bbh_store, "intervention", "new", "--title", "arithmetic data", "--hypothesis", "h",
        "--baseline", "bbh-direct", "--benchmark", "bbh",
        *[a for t in targets for a in ("--target", t)], "--format", "json",
    ))  # fmt: skip
    iid = str(new["id"])
    assert new["control_slices"]  # chosen by default
    _run(bbh_store, "intervention", "accept", iid)
    shown = json.loads(_run(bbh_store, "intervention", "link", iid, "--run", "bbh-cot",
                            "--format", "json"))  # fmt: skip
    assert shown["verdict"] == "unmeasurable"
    assert shown["outcome"]["did"]["did_low"] > 0  # the targets did beat the controls
    reason = shown["outcome"]["reason"]
    assert reason.startswith("the evaluation changed between the baseline and the result run")
    assert "answer_only_3shot vs cot_3shot" in reason


def test_pass_at_k_controls_without_k_samples_say_so() -> None:
    """Walk 8: pass@128 against controls whose items hold 16 samples read 'the control slices
    hold 0 items outside the targets' (they held 96)."""
    n_t, n_c = 30, 96
    labels = {"task": np.array(["aime"] * n_t + ["other"] * n_c, dtype=object),
              "task_type": np.array(["t"] * n_t + ["algebra"] * n_c, dtype=object)}  # fmt: skip
    n = np.r_[np.full(n_t, 128.0), np.full(n_c, 16.0)]
    base_c = np.r_[np.zeros(n_t), np.full(n_c, 4.0)]
    cand_c = np.r_[np.full(n_t, 2.0), np.full(n_c, 5.0)]
    out = evaluate_outcome(
        [{"task": "aime"}], [{"task_type": "algebra"}], labels, n, base_c, n, cand_c, k=128
    )
    assert out.outcome == "unmeasurable"
    assert "96 items outside the targets, 0 of them with at least 128 samples" in out.reason
