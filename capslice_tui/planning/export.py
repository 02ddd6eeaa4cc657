"""Exports of a sampling plan: JSON, YAML, Megatron-LM blend and a Markdown review document.

Weights are written from the plan's integer micro-units (:data:`~capslice_tui.planning.mixture.UNITS`),
so every export sums to exactly 1.
"""

from __future__ import annotations

import json
import math

from ..formatting import pct, points
from ..vocabulary import label as slice_label
from .mixture import Plan, weight_text


def export_json(plan: Plan) -> str:
    """The new mixture as JSON ``{cell_id: weight}`` (6 decimals, summing to exactly 1)."""
    body = ",\n".join(f"  {json.dumps(c.id)}: {weight_text(c.weight_units)}" for c in plan.cells)
    return "{\n" + body + "\n}\n"


def export_yaml(plan: Plan) -> str:
    """The new mixture as YAML ``cell_id: weight`` with a provenance comment header."""
    lines = [
        "# capslice sampling plan: new mixture weights (cell id -> weight); they sum to 1 exactly.",
        f"# baseline: {plan.baseline or '-'}  benchmark: {plan.benchmark or '-'}  "
        f"budget_tokens: {plan.budget_tokens}",
        f"# {plan.summary}",
    ]
    lines += [f"{json.dumps(c.id)}: {weight_text(c.weight_units)}" for c in plan.cells]
    return "\n".join(lines) + "\n"


def export_megatron(plan: Plan) -> str:
    """Megatron-LM / NeMo blend: ``weight prefix weight prefix ...`` for ``--data-path``.

    Cells whose new weight is 0 are left out (Megatron would build an empty dataset for them).
    """
    parts = [f"{weight_text(c.weight_units)} {c.path}" for c in plan.cells if c.weight_units > 0]
    return " ".join(parts) + "\n"


def export_markdown(plan: Plan) -> str:
    """A review document: parameters, mixture table, trace, excluded slices and causes."""
    p = plan.params
    out = [
        f"# Sampling plan: the {plan.benchmark or '-'} change {plan.baseline}"
        if plan.baseline and " -> " in plan.baseline
        else f"# Sampling plan: {plan.benchmark or '-'} weakness of {plan.baseline or '-'}",
        "",
        plan.summary,
        "",
        f"- budget: {plan.budget_tokens:,} tokens; caps: multiplier <= {p['max_multiplier']:g}x, "
        f"epochs <= {p['max_epochs']:g}; strength {p['strength']:g}; slices with wrong answers "
        f"< {pct(p['min_wrong_answer_share'], 0)} of failures never boost data",
        f"- catalog: `{plan.catalog_file}`; mapping rules: `{plan.mapping_file}`",
        f"- diagnosis: {plan.diagnosis_words() if plan.verdict else '-'}"
        + (" (plan FORCED despite it)" if plan.forced else ""),
        "",
        "## Mixture",
        "",
        "| cell | source | domain | format | q | base | new | x | tokens | epochs | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in plan.cells:
        note = ", ".join((["boosted"] if c.boosted else []) + [f"at {b}" for b in c.bounds])
        lab = c.labels
        out.append(
            f"| {c.id} | {lab['source']} | {lab['domain']} | {lab['format']} | {lab['quality']} "
            f"| {c.base_weight:.4f} | {weight_text(c.weight_units)} | {_fmt_mult(c.multiplier)} "
            f"| {c.tokens:,} | {c.epochs:.3f} | {note} |"
        )
    out += ["", "## Why each boosted cell (trace)", ""]
    if not plan.boosted:
        out.append("No cell is boosted.")
    for c in plan.boosted:
        out.append(f"- **{c.id}** (demand {c.demand:.3f}, target x{c.target_multiplier:.2f}):")
        for t in c.trace:
            sl = slice_label(t["slice"])
            mark = "" if t["counted"] else " (overlaps a stronger rule; not counted)"
            out.append(
                f"  - {sl}: deficit {points(t['deficit'], signed=False)} x rule `{t['rule']}` weight "
                f"{t['rule_weight']:g} = {t['contribution']:.3f}{mark}. {t['rationale']}"
            )
    out += ["", "## Weak slices left out", ""]
    if not plan.excluded:
        out.append("None.")
    for d in plan.excluded:
        out.append(f"- {d.label}: " + "; ".join(d.reasons))
        for cause in d.non_data_causes:
            out.append(f"  - check `{cause['cause']}`: {cause['description']}")
    if plan.warnings:
        out += ["", "## Warnings", ""] + [f"- {w}" for w in plan.warnings]
    return "\n".join(out) + "\n"


def _fmt_mult(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.2f}"


EXPORTS = {
    "yaml": export_yaml,
    "json": export_json,
    "megatron": export_megatron,
    "md": export_markdown,
}
"""Export name -> function(plan) -> text."""
