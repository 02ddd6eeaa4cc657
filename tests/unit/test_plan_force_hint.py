"""A closed diagnosis offers `--force boosts anyway` only when forcing would boost: when every
slice is also out for its own reason, the plan says forcing would boost nothing (walk 13 #3:
the EOS pair's plan offered --force, and the forced plan boosted nothing)."""

from __future__ import annotations

from typing import Any

from plan_fixtures import CELLS, RULES

from capslice_tui.planning.mixture import Plan, build_plan
from capslice_tui.taxonomy.catalog import parse_catalog
from capslice_tui.taxonomy.data import load_data_taxonomy
from capslice_tui.taxonomy.evaluation import load_taxonomy
from capslice_tui.taxonomy.mapping import parse_mapping

TAX = load_data_taxonomy()
WEAK = {"slice": {"solving_operation": "modular_arithmetic"}, "deficit": -0.25,
        "p_adjusted": 0.001, "wrong_answer_share": 0.9, "dominant_failure_mode": "wrong_answer",
        "n_items": 40, "score": 0.3}  # fmt: skip
FORMAT = {**WEAK, "wrong_answer_share": 0.0, "dominant_failure_mode": "extraction_failure"}


def _build(slice_: dict[str, Any], **kw: Any) -> Plan:
    cat = parse_catalog(CELLS, "cat.yaml", TAX)
    rules = parse_mapping(RULES, "map.yaml", load_taxonomy().axes, TAX)
    return build_plan([slice_], rules, cat, 10_000, **kw)


def test_force_is_offered_when_it_would_boost() -> None:
    plan = _build(WEAK, verdict="not_data", reason="format_failures")
    assert "--force boosts anyway" in plan.summary
    assert _build(WEAK, verdict="not_data", reason="format_failures", force=True).boosted


def test_force_is_not_offered_when_it_would_boost_nothing() -> None:
    plan = _build(FORMAT, verdict="not_data", reason="format_failures")
    assert "--force boosts anyway" not in plan.summary
    assert "--force would boost nothing" in plan.summary
    assert not _build(FORMAT, verdict="not_data", reason="format_failures", force=True).boosted
