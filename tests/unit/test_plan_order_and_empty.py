"""The plan's wording (walk 11): the 'why each chosen cell' list is in the order its heading
says (largest demand first), and a plan kept by the diagnosis with no slice at all says no
sentence about a list that is empty (stat-01-many-slices)."""

from __future__ import annotations

from typing import Any

from test_plan import CATALOG

from capslice_tui.planning.export import source_lines
from capslice_tui.planning.mixture import build_plan
from capslice_tui.taxonomy.catalog import parse_catalog
from capslice_tui.taxonomy.data import load_data_taxonomy
from capslice_tui.taxonomy.evaluation import load_taxonomy
from capslice_tui.taxonomy.mapping import parse_mapping

# math_tut comes first in the catalog but gets the smaller demand
MAPPING = """
version: 1
data_rules:
  - id: tut
    when: {solving_operation: modular_arithmetic}
    select: {format: Tutorial}
    weight: 1.0
    rationale: worked congruences
  - id: qa
    when: {task_type: number_theory}
    select: {format: "Q&A Forum"}
    weight: 1.0
    rationale: number theory threads
causes:
  eos_loss_masking: EOS masked
non_data_rules:
  - id: trunc
    when: {failure_mode: truncated}
    causes: [eos_loss_masking]
    rationale: did not stop
"""


def _parts() -> tuple[Any, Any]:
    tax = load_data_taxonomy()
    return (parse_catalog(CATALOG, "cat.yaml", tax),
            parse_mapping(MAPPING, "map.yaml", load_taxonomy().axes, tax))  # fmt: skip


def _slice(key: dict[str, str], deficit: float) -> dict[str, Any]:
    return {"slice": key, "deficit": deficit, "p_adjusted": 0.001, "wrong_answer_share": 0.9,
            "dominant_failure_mode": "wrong_answer", "n_items": 30, "score": 0.3}  # fmt: skip


def test_why_each_chosen_cell_lists_the_largest_demand_first() -> None:
    """The gsm plan read 0.2, 0.2, 0.3 and the demo's 0.74, 0.34, 0.74 under 'largest first':
    the cells came in catalog order."""
    cat, rules = _parts()
    plan = build_plan(
        [_slice({"solving_operation": "modular_arithmetic"}, -0.1),
         _slice({"task_type": "number_theory"}, -0.4)], rules, cat, 1000,
    )  # fmt: skip
    assert [c.id for c in plan.selected] == ["math_tut", "math_qa"]  # catalog order
    lines = source_lines(plan)
    assert "largest demand first" in lines[0], lines[0]
    assert [line.split(" <- ")[0] for line in lines[1:]] == ["math_qa", "math_tut"], lines
    demands = [float(line.split("demand ")[1].split()[0]) for line in lines[1:]]
    assert demands == sorted(demands, reverse=True) == [0.4, 0.1], lines


def test_a_kept_plan_with_no_slice_points_at_no_list() -> None:
    """stat-01: 'mixture is unchanged (0 weak slices set aside; ...; --force would boost
    nothing: each is also set aside for its own reason below)' with nothing below."""
    cat, rules = _parts()
    plan = build_plan([], rules, cat, 1000, verdict="inconclusive", reason="weak_evidence")
    summary = plan.summary
    assert summary.startswith("No data boost: the diagnosis is"), summary
    assert "0 weak slices" not in summary and "each is also" not in summary, summary
    assert "below" not in summary, summary
    assert "no weak slice to boost" in summary and "--force would boost nothing" in summary
    # with slices that each have their own reason, the sentence about them stays
    other = build_plan(
        [_slice({"task_type": "algebra"}, -0.3)], rules, cat, 1000,
        verdict="inconclusive", reason="weak_evidence",
    )  # fmt: skip
    assert "1 weak slice set aside" in other.summary, other.summary
    assert "each is also set aside for its own reason below" in other.summary
