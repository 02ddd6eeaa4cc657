"""The plan honours the diagnosis: no boost unless the same pair/run is diagnosed ``data``;
``--force`` boosts anyway and says so everywhere; a broad capability gap targets the
benchmark's whole domain through the mapping rules."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from plan_fixtures import CELLS, RULES, write_generic_run

from capslice_tui.cli import main
from capslice_tui.planning.mixture import Plan, build_plan
from capslice_tui.taxonomy.catalog import parse_catalog
from capslice_tui.taxonomy.data import load_data_taxonomy
from capslice_tui.taxonomy.evaluation import load_taxonomy
from capslice_tui.taxonomy.mapping import parse_mapping
from capslice_tui.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "sample_data" / "catalog.yaml"
STAT01 = ROOT / "tests" / "fixtures" / "cases" / "stat-01-many-slices"

TAX = load_data_taxonomy()
WEAK = {"slice": {"solving_operation": "modular_arithmetic"}, "deficit": -0.25,
        "p_adjusted": 0.001, "wrong_answer_share": 0.9, "dominant_failure_mode": "wrong_answer",
        "n_items": 40, "score": 0.3}  # fmt: skip


def _build(**kw: Any) -> Plan:
    cat = parse_catalog(CELLS, "cat.yaml", TAX)
    rules = parse_mapping(RULES, "map.yaml", load_taxonomy().axes, TAX)
    return build_plan([WEAK], rules, cat, 10_000, **kw)


TOKEN = re.compile(r"\b[a-z]+_[a-z_]+\b")  # internal tokens like weak_evidence


def test_only_a_data_verdict_boosts():
    assert _build(verdict="data", reason="localized_wrong_answers").boosted
    for verdict, reason, words in (
        ("inconclusive", "weak_evidence", "inconclusive (too little evidence to tell)"),
        ("inconclusive", "broad_change", "not localized"),
        ("not_data", "format_failures", "not a data problem (format or termination"),
    ):
        plan = _build(verdict=verdict, reason=reason)
        assert plan.boosted == [] and not plan.forced
        assert [c.weight_units for c in plan.cells] == [200000, 800000]  # the mixture is kept
        assert plan.summary.startswith("No data boost: the diagnosis is ")
        assert words in plan.summary and words in plan.excluded[0].reasons[0]
        assert not TOKEN.findall(plan.summary), plan.summary


def test_force_boosts_and_is_recorded_everywhere():
    plan = _build(verdict="inconclusive", reason="weak_evidence", force=True)
    assert plan.forced and [c.id for c in plan.boosted] == ["math_tut"]
    assert plan.summary.startswith("FORCED against the diagnosis (inconclusive (too little")
    assert plan.warnings[0].startswith("forced: the diagnosis is inconclusive")
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["forced"] is True and data["reason"] == "weak_evidence"
    assert Plan.from_dict(data).forced
    # forcing a plan the diagnosis already allows records nothing
    assert not _build(verdict="data", force=True).forced


@dataclass
class _Verdict:
    verdict: str
    reason: str
    summary: str


@dataclass
class _Diagnosis:
    """The public shape of ``Workspace.diagnose``'s result the plan relies on."""

    verdict: _Verdict
    slices: list[dict[str, Any]] = field(default_factory=list)
    failure_modes: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict.verdict, "reason": self.verdict.reason,
                "summary": self.verdict.summary, "slices": self.slices,
                "failure_modes": self.failure_modes, "benchmark": "math"}  # fmt: skip


@pytest.fixture
def math_ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "w.db")
    nt, alg = "minerva_math_num_theory", "minerva_math_algebra"
    ws.ingest(
        [write_generic_run(tmp_path / "a.jsonl", {nt: 30, alg: 30})], run="A", benchmark="math"
    )
    ws.ingest(
        [write_generic_run(tmp_path / "b.jsonl", {nt: 20, alg: 20})], run="B", benchmark="math"
    )
    return ws


def test_the_facade_asks_the_diagnosis_of_the_same_pair(math_ws, monkeypatch):
    asked = []
    weak = {**WEAK, "slice": {"task_type": "number_theory"}}

    def diagnose(base, cand=None, **kw):
        asked.append((base, cand, kw.get("benchmark")))
        return _Diagnosis(_Verdict("inconclusive", "broad_change", "spread over every slice"),
                          slices=[weak])  # fmt: skip

    monkeypatch.setattr(math_ws, "diagnose", diagnose)
    plan = math_ws.plan("A", candidate="B", benchmark="math", catalog=CATALOG,
                        budget_tokens=10**9)  # fmt: skip
    assert asked == [("A", "B", "math")]
    assert plan.boosted == [] and plan.diagnosis_summary == "spread over every slice"
    forced = math_ws.plan("A", candidate="B", benchmark="math", catalog=CATALOG,
                          budget_tokens=10**9, force=True)  # fmt: skip
    assert forced.forced and forced.boosted
    rec = math_ws.new_intervention(title="t", hypothesis="h", baseline="A", benchmark="math",
                                   plan=forced, controls=[{"task_type": "algebra"}])  # fmt: skip
    assert rec["plan_forced"] == 1 and rec["plan"]["forced"] is True
    hist = math_ws.intervention(rec["id"])["history"]
    assert any(h["field"] == "plan" and h["new_value"].startswith("FORCED") for h in hist)
    store = str(math_ws.store.path)
    listed = CliRunner().invoke(main, ["--store", store, "intervention", "list"]).output
    assert "t [plan forced]" in listed
    shown = CliRunner().invoke(main, ["--store", store, "intervention", "show", str(rec["id"])])
    assert "FORCED against its diagnosis" in " ".join(shown.output.split())
    assert "not decided" in shown.output


def test_intervention_show_names_the_decision(math_ws):
    rec = math_ws.new_intervention(title="t", hypothesis="h", baseline="A", benchmark="math",
                                   targets=[{"task_type": "algebra"}])  # fmt: skip
    store = str(math_ws.store.path)

    def decision() -> str:
        out = CliRunner().invoke(main, ["--store", store, "intervention", "show", str(rec["id"])])
        return next(line for line in out.output.splitlines() if "decision" in line)

    assert "not decided" in decision()
    math_ws.accept_intervention(rec["id"], who="ana")
    line = decision()
    assert "accepted by ana at " in line and "- (" not in line, line
    other = math_ws.new_intervention(title="u", hypothesis="h", baseline="A", benchmark="math",
                                     targets=[{"task_type": "algebra"}])  # fmt: skip
    math_ws.reject_intervention(other["id"], who="bo", reason="too costly")
    out = CliRunner().invoke(main, ["--store", store, "intervention", "show", str(other["id"])])
    assert "rejected by bo at " in out.output and "too costly" in out.output


def test_broad_capability_targets_the_whole_domain(math_ws, monkeypatch):
    verdict = _Verdict("data", "broad_capability", "a broad capability gap")
    monkeypatch.setattr(
        math_ws, "diagnose",
        lambda *a, **k: _Diagnosis(verdict, failure_modes={"B": {"correct": 40, "wrong_answer": 40}}),
    )  # fmt: skip
    plan = math_ws.plan("A", candidate="B", benchmark="math", catalog=CATALOG,
                        budget_tokens=10**11)  # fmt: skip
    assert {d.scope for d in plan.slices} == {"domain"}
    assert {d.slice.get("task_type") for d in plan.slices} == {"number_theory", "algebra"}
    # the shares of the 25-point overall drop (60/80 -> 40/80) sum to the whole drop
    assert sum(d.deficit for d in plan.slices) == pytest.approx(0.25)
    assert all(d.included for d in plan.slices) and plan.boosted
    assert plan.warnings[-2].startswith("broad capability gap: the plan targets the whole math")
    # ... so no item is left as a control, and the plan says so last
    assert plan.warnings[-1].startswith("no control: the plan targets every item of math in B")
    # weakness mode: against a reference run (paired), else against perfect (the error rate)
    ref = math_ws.plan("B", reference="A", benchmark="math", catalog=CATALOG, budget_tokens=10**11)
    assert sum(d.deficit for d in ref.slices) == pytest.approx(0.25)
    alone = math_ws.plan("B", benchmark="math", catalog=CATALOG, budget_tokens=10**11)
    assert sum(d.deficit for d in alone.slices) == pytest.approx(0.5)
    assert "the error rate of B (50.0%, no reference run)" in alone.warnings[-2]


def _cli(store: Path, *args: str) -> Any:
    res = CliRunner().invoke(main, ["--store", str(store), "--taxonomy", str(STAT01 / "tax"),
                                    *args])  # fmt: skip
    assert res.exit_code == 0, res.output
    return res


def test_stat01_many_slices_plan_keeps_the_mixture(tmp_path):
    """../shared/cases/stat-01-many-slices: -1.2 points, p=0.24, nothing survives BH."""
    store = tmp_path / "s.db"
    for run in ("A", "B"):
        _cli(store, "ingest", str(STAT01 / f"run{run}.jsonl"), "--run", run, "--benchmark", "toy")
    out = _cli(store, "plan", "--baseline", "A", "--candidate", "B", "--benchmark", "toy",
               "--catalog", str(CATALOG), "--budget-tokens", "1000000000", "--format", "json")  # fmt: skip
    plan = json.loads(out.output)
    assert plan["verdict"] != "data" and not plan["forced"]
    assert all(c["multiplier"] == pytest.approx(1.0) for c in plan["cells"])
    assert plan["summary"].startswith("No data boost: the diagnosis is inconclusive")
    table = _cli(store, "plan", "--baseline", "A", "--candidate", "B", "--benchmark", "toy",
                 "--catalog", str(CATALOG), "--budget-tokens", "1000000000", "--force")  # fmt: skip
    assert "FORCED against the diagnosis" in table.output


GSM8K = ROOT.parent / "shared" / "data" / "gsm8k" / "example_model_solutions.jsonl"


def test_real_gsm8k_two_systems_keep_the_mixture(tmp_path):
    """GSM8K 175b_verification -> 6b_verification: a drop carried by wrong answers, but between
    two model sizes, not two checkpoints of one lineage (walk 12): the diagnosis is
    inconclusive (not_a_checkpoint_pair), so the plan keeps the mixture (it boosted the
    school-maths data before). A broad capability plan over the whole domain:
    test_broad_capability_targets_the_whole_domain."""
    if not GSM8K.is_file():
        pytest.skip(f"real GSM8K solutions not found at {GSM8K}")
    store = tmp_path / "g.db"
    res = CliRunner().invoke(main, ["--store", str(store), "ingest", str(GSM8K), "--run", "gsm",
                                    "--benchmark", "gsm8k"])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, [
        "--store", str(store), "plan", "--baseline", "gsm/175b_verification",
        "--candidate", "gsm/6b_verification", "--benchmark", "gsm8k", "--catalog", str(CATALOG),
        "--budget-tokens", "100000000000", "--format", "json",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    plan = json.loads(res.output)
    assert (plan["verdict"], plan["reason"], plan["forced"]) == (
        "inconclusive", "not_a_checkpoint_pair", False,
    )  # fmt: skip
    assert not any(c["multiplier"] > 1 for c in plan["cells"])


def test_an_evaluation_change_is_the_only_cause_a_plan_lists():
    from capslice_tui.taxonomy.mapping import load_mapping

    rules = load_mapping(None, load_taxonomy().axes, TAX)
    cat = parse_catalog(CELLS, "cat.yaml", TAX)
    truncated = {"slice": {"output_constraint": "word_list"}, "deficit": -0.2,
                 "p_adjusted": 0.001, "wrong_answer_share": 0.09,
                 "dominant_failure_mode": "truncated"}  # fmt: skip
    plain = build_plan([truncated], rules, cat, 10_000, verdict="not_data",
                       reason="format_failures")  # fmt: skip
    assert any(c["cause"] == "generation_cap" for c in plain.excluded[0].non_data_causes)
    diff = "the prompts of 6,511 of 6,511 items differ: prompting cot_3shot vs answer_only_3shot"
    plan = build_plan([truncated], rules, cat, 10_000, verdict="not_data",
                      reason="evaluation_changed", evaluation_difference=diff,
                      baseline="bbh-cot -> bbh-direct", benchmark="bbh")  # fmt: skip
    causes = plan.excluded[0].non_data_causes
    assert [c["cause"] for c in causes] == ["evaluation_changed"], causes
    assert diff in causes[0]["description"]
    from capslice_tui.planning.export import export_markdown

    assert export_markdown(plan).startswith("# Sampling plan: the bbh change bbh-cot -> bbh-direct")
