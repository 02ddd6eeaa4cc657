"""Plan arithmetic with exact values, caps, budget, no collapse, exclusions, exports, outcomes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from capslice_tui.analysis.outcome import evaluate_outcome
from capslice_tui.planning.export import (
    export_json,
    export_markdown,
    export_megatron,
    export_yaml,
)
from capslice_tui.planning.mixture import (
    UNITS,
    Plan,
    PlanError,
    build_plan,
)
from capslice_tui.taxonomy.catalog import parse_catalog
from capslice_tui.taxonomy.data import load_data_taxonomy
from capslice_tui.taxonomy.evaluation import load_taxonomy
from capslice_tui.taxonomy.mapping import parse_mapping

TAX = load_data_taxonomy()
EVAL_AXES = load_taxonomy().axes

CATALOG = """
cells:
  - {id: math_tut, source: OpenWebMath, domain: "Science & Technology", format: Tutorial, quality: 4, tokens: 1000, weight: 0.1, path: /d/math_tut}
  - {id: math_qa, source: OpenWebMath, domain: "Science & Technology", format: "Q&A Forum", quality: 3, tokens: 1000, weight: 0.1, path: /d/math_qa}
  - {id: web_a, source: CommonCrawl, domain: Entertainment, format: Personal Blog, quality: 1, tokens: 100000, weight: 0.5, path: /d/web_a}
  - {id: web_b, source: CommonCrawl, domain: Politics, format: News Article, quality: 2, tokens: 100000, weight: 0.3, path: /d/web_b}
"""

MAPPING = """
version: 1
data_rules:
  - id: modular
    when: {solving_operation: modular_arithmetic}
    select: {domain: "Science & Technology", format: Tutorial, quality: ">=3"}
    weight: 1.0
    rationale: worked congruences
  - id: nt
    when: {task_type: number_theory}
    select: {domain: "Science & Technology", format: [Tutorial, "Q&A Forum"]}
    weight: 0.5
    rationale: number theory threads
causes:
  eos_loss_masking: EOS masked
non_data_rules:
  - id: trunc
    when: {failure_mode: truncated}
    causes: [eos_loss_masking]
    rationale: did not stop
"""


def _cat():
    return parse_catalog(CATALOG, "cat.yaml", TAX)


def _rules():
    return parse_mapping(MAPPING, "map.yaml", EVAL_AXES, TAX)


def _slice(key, deficit=-0.25, p=0.001, share=0.9, mode="wrong_answer", **kw):
    return {"slice": key, "deficit": deficit, "p_adjusted": p, "wrong_answer_share": share,
            "dominant_failure_mode": mode, "n_items": 30, "score": 0.3, **kw}  # fmt: skip


NT_MOD = {"task_type": "number_theory", "solving_operation": "modular_arithmetic"}


def test_exact_weights_small_catalog():
    # demand: math_tut = 0.25 * max(1.0, 0.5) = 0.25 -> m = 1 + 4*0.25 = 2
    #         math_qa  = 0.25 * 0.5 = 0.125 -> m = 1.5
    # raw = 0.2, 0.15, 0.5, 0.3 -> sum 1.15
    plan = build_plan([_slice(NT_MOD)], _rules(), _cat(), 10_000)
    w = plan.weights()
    assert [c.weight_units for c in plan.cells] == [173913, 130435, 434783, 260869]
    assert sum(c.weight_units for c in plan.cells) == UNITS
    assert w["math_tut"] == pytest.approx(0.2 / 1.15, abs=1e-6)
    assert w["web_a"] / w["web_b"] == pytest.approx(5 / 3, rel=1e-5)  # replay proportions kept
    assert sum(c.tokens for c in plan.cells) == 10_000
    assert [c.tokens for c in plan.cells] == [1739, 1304, 4348, 2609]
    tut = plan.cells[0]
    assert tut.boosted and tut.demand == pytest.approx(0.25)
    assert [t["rule"] for t in tut.trace] == ["modular", "nt"]
    assert [t["counted"] for t in tut.trace] == [True, False]
    assert not plan.cells[2].boosted and plan.cells[2].trace == []


def test_multiplier_cap_and_no_collapse():
    plan = build_plan([_slice(NT_MOD, deficit=-0.9)], _rules(), _cat(), 10_000, max_multiplier=2.0)
    for c in plan.cells:
        assert c.new_weight <= 2.0 * c.base_weight + 1e-6
    untouched = [c for c in plan.cells if not c.boosted]
    assert sum(c.new_weight for c in untouched) > 0.6  # replay share stays large
    assert "target_capped" in plan.cells[0].bounds


def test_epoch_cap_redistributes():
    # budget 100k tokens: math_tut may give at most 4 * 1000 = 4000 tokens = 4% of the budget
    plan = build_plan([_slice(NT_MOD)], _rules(), _cat(), 100_000)
    tut = plan.cells[0]
    assert tut.weight_units == 40000 and "max_epochs" in tut.bounds
    assert tut.tokens == 4000 and tut.epochs == pytest.approx(4.0)
    assert sum(c.weight_units for c in plan.cells) == UNITS
    assert any("capped at 4 epochs" in w for w in plan.warnings)
    for c in plan.cells:
        assert c.tokens <= 4 * c.tokens_available


def test_budget_too_large_raises():
    with pytest.raises(PlanError, match="caps cannot absorb"):
        build_plan([], _rules(), _cat(), 10_000_000)


@pytest.mark.parametrize("bad", [0, -5, 1.5])
def test_bad_budget(bad):
    with pytest.raises(PlanError, match="budget_tokens"):
        build_plan([], _rules(), _cat(), bad)


def test_exclusion_reasons():
    slices = [
        _slice(NT_MOD, p=0.3),
        _slice(
            {"solving_operation": "modular_arithmetic", "output_constraint": "integer"},
            share=0.2,
            mode="truncated",
        ),  # fmt: skip
        _slice({"task_type": "algebra"}),
        _slice(NT_MOD, deficit=0.1),
        _slice(NT_MOD, p=None, significant=False),
    ]
    plan = build_plan(slices, _rules(), _cat(), 10_000)
    assert plan.included == [] and plan.boosted == []
    reasons = [" | ".join(d.reasons) for d in plan.excluded]
    assert "not significant (p_adjusted=0.3" in reasons[0]
    assert "mostly truncated" in reasons[1] and "20%" in reasons[1]
    assert plan.excluded[1].non_data_causes[0]["cause"] == "eos_loss_masking"
    assert "no mapping rule" in reasons[2]
    assert "no deficit" in reasons[3]
    assert "not significant" in reasons[4]
    assert [c.weight_units for c in plan.cells] == [100000, 100000, 500000, 300000]
    assert plan.summary.startswith("No data boost")


def test_not_data_verdict_excludes_everything():
    plan = build_plan([_slice(NT_MOD)], _rules(), _cat(), 10_000, verdict="not_data")
    assert plan.boosted == []
    assert "the diagnosis is not a data problem" in plan.excluded[0].reasons[0]
    assert "No data boost" in plan.summary


def test_deficit_in_points_is_refused():
    with pytest.raises(PlanError, match="proportion"):
        build_plan([_slice(NT_MOD, deficit=-25)], _rules(), _cat(), 10_000)


def test_exports_sum_to_one_and_round_trip():
    plan = build_plan([_slice(NT_MOD)], _rules(), _cat(), 10_000)
    weights = json.loads(export_json(plan))
    assert sum(round(v * UNITS) for v in weights.values()) == UNITS
    yaml_text = export_yaml(plan)
    assert '"math_tut": 0.173913' in yaml_text
    mega = export_megatron(plan).split()
    assert mega[:2] == ["0.173913", "/d/math_tut"] and len(mega) == 8
    md = export_markdown(plan)
    assert "math_tut" in md and "modular" in md
    again = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again.weights() == plan.weights()


def _labels(keys):
    return {"task_type": np.array([k[0] for k in keys], dtype=object),
            "solving_operation": np.array([k[1] for k in keys], dtype=object)}  # fmt: skip


def test_outcome_confirmed_and_harmful():
    m = 40
    keys = [("number_theory", "modular_arithmetic")] * m + [("algebra", "equation_solving")] * m
    labels = _labels(keys)
    n = np.full(2 * m, 16.0)
    base_c = np.r_[np.full(m, 2.0), np.full(m, 12.0)]
    cand_c = np.r_[np.full(m, 10.0), np.full(m, 12.0)]
    out = evaluate_outcome([{"task_type": "number_theory"}], [{"task_type": "algebra"}], labels,
                           n, base_c, n, cand_c)  # fmt: skip
    assert out.outcome == "confirmed"
    assert out.rows[0].diff == pytest.approx(0.5)
    assert out.rows[0].pass_at_k["k"] == 16
    harmed = np.r_[np.full(m, 10.0), np.full(m, 6.0)]
    out = evaluate_outcome([{"task_type": "number_theory"}], [{"task_type": "algebra"}], labels,
                           n, base_c, n, harmed)  # fmt: skip
    assert out.outcome == "harmful" and "algebra" in out.reason


def test_outcome_refuted_inconclusive_and_small():
    m = 40
    labels = _labels([("number_theory", "modular_arithmetic")] * m + [("algebra", "x")] * m)
    n = np.ones(2 * m)
    same = np.tile(np.r_[np.ones(m // 2), np.zeros(m // 2)], 2)
    out = evaluate_outcome([{"task_type": "number_theory"}], [{"task_type": "algebra"}], labels,
                           n, same, n, same, expected_effect=0.2)  # fmt: skip
    assert out.outcome == "refuted" and out.metric == "accuracy (one sample per item)"
    labels = _labels([("number_theory", "modular_arithmetic")] * 8)
    out = evaluate_outcome([{"task_type": "number_theory"}], [], labels, np.ones(8), np.zeros(8),
                           np.ones(8), np.ones(8))  # fmt: skip
    assert out.outcome == "inconclusive" and "too few items" in out.warnings[0]
    with pytest.raises(ValueError, match="unknown slice axis"):
        evaluate_outcome(
            [{"colour": "red"}], [], labels, np.ones(8), np.zeros(8), np.ones(8), np.ones(8)
        )
