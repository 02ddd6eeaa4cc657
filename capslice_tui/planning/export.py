"""Exports of a sampling plan: JSON, YAML, Megatron-LM blend and a Markdown review document.

Weights are written from the plan's integer micro-units (:data:`~capslice_tui.planning.mixture.UNITS`),
so every export sums to exactly 1.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..formatting import pct, plural, points
from ..vocabulary import label as slice_label
from .mixture import CellPlan, Plan, weight_text

#: the keys every plan saved with ``capslice plan --format json`` (``Plan.to_dict``) carries;
#: a file without them (the ``--export json`` weights, a hand-made mapping) is not a plan
PLAN_KEYS = ("baseline", "budget_tokens", "weights", "cells", "slices")


BOUND_WORDS = {"max_multiplier": "at cap", "max_epochs": "at epochs", "target_capped": "capped"}
"""Each cell bound (:attr:`~capslice_tui.planning.mixture.CellPlan.bounds`) -> the word every
front end's note column shows (the CLI table, the Markdown export, the app)."""


REPEATED = "repeated"
"""The note word of a cell planned above one epoch of its catalog tokens (walk 9 #29: such a
cell, 1.11 epochs, had no note)."""


def repeated(cell: CellPlan) -> bool:
    """Whether the plan reads ``cell``'s catalog tokens more than once (epochs above 1, as
    the table shows them to 2 decimals)."""
    return round(cell.epochs, 2) > 1


BOOSTED = "boosted"
CHOSEN = "chosen"
"""The note words of a cell weak slices' rules chose (``CellPlan.selected``): ``boosted`` when
its weight rises beyond the rounding, ``chosen`` when it does not (walk 11 #2: a 0.99x cell
read boosted)."""


def cell_note(cell: CellPlan) -> str:
    """A plan cell's note: ``boosted`` (its weight rises) or ``chosen`` (selected by a rule,
    but its weight does not rise), its bounds in words (:data:`BOUND_WORDS`) and ``repeated``
    above one epoch: ``boosted, capped``; ``""`` for an untouched cell."""
    words = [BOUND_WORDS.get(b, b) for b in cell.bounds]
    words += [REPEATED] if repeated(cell) else []
    mark = [BOOSTED] if cell.boosted else [CHOSEN] if cell.selected else []
    return ", ".join(mark + words)


def mark_lines(plan: Plan) -> list[str]:
    """What ``boosted`` and ``chosen`` mean, for the plan's cells that carry them."""
    out = []
    if plan.boosted:
        out.append(f"{BOOSTED} = weak slices' mapping rules chose the cell and its new weight "
                   "is above the old (by more than the 1e-6 rounding)")  # fmt: skip
    unrisen = [c for c in plan.cells if c.selected and not c.boosted]
    if any("max_epochs" not in c.bounds for c in unrisen):
        out.append(f"{CHOSEN} = the rules chose the cell, but its boost is smaller than the "
                   "renormalisation that pays for the others, so its weight does not rise "
                   "(x about 1.00 or below)")  # fmt: skip
    if any("max_epochs" in c.bounds for c in unrisen):  # walk 18 F9: the cap, not the boost
        out.append(f"{CHOSEN}, at epochs = the rules chose the cell, but the epoch cap holds "
                   "its tokens, so its weight cannot rise (x at or below 1.00)")  # fmt: skip
    return out


def note_lines(plan: Plan) -> list[str]:
    """What the note column's words and the ``x`` column mean, for this plan's cells (one
    entry each, for a ``note:`` line under the table of the CLI, the Markdown and the app):
    the bounds used (:func:`bound_words`), ``repeated`` (epochs > 1) when a cell is,
    ``boosted`` and ``chosen`` (:func:`mark_lines`), and, when
    the plan changed weights, that ``x`` is new/base after renormalising, the cap applying
    before it (walk 9 #2: "cut to the 3x cap" beside rows reading 2.62x)."""
    words = bound_words(plan)
    used = sorted({b for c in plan.cells for b in c.bounds if b in words})
    out = [words[b][1] for b in used]
    if any(repeated(c) for c in plan.cells):
        out.append(f"{REPEATED} = epochs > 1: the budget reads the cell's tokens more than "
                   "once (data repeated)")  # fmt: skip
    out += mark_lines(plan)
    if plan.selected:
        mult = plan.params.get("max_multiplier")
        cap = f"the {mult:g}x cap" if mult else "the multiplier cap"
        out.append(
            "x = new/base weight after the mixture is renormalised to sum 1; "
            f"{cap} applies before it, so a capped cell reads below {mult:g}x and an "
            + (
                "untouched one below 1x"
                if not any("max_epochs" in c.bounds for c in plan.cells)
                else "untouched one below 1x, or above it where epoch-capped cells pass their "
                "share on"
            )
            if mult
            else f"x = new/base weight after the mixture is renormalised to sum 1 ({cap} "
            "applies before it)"
        )
    return out


TOP_SOURCES = 2
"""How many of a chosen cell's weak slices the plan table names (the largest demands); the
rest are counted, and ``--export md`` lists every one (walk 11 #4: a 16.6 KB wall of names)."""


def source_lines(plan: Plan, top: int = TOP_SOURCES) -> list[str]:
    """Why each chosen cell was chosen, short enough to read at 80 columns: one line per cell,
    ``cell <- demand D from N slices via R rules: largest <slice> via <rule> d; ...; M more``
    (the slices' demands counted in the plan, largest first), the cells by their demand D,
    largest first (ties in the table's order; walk 11: they were in catalog order under a
    heading saying largest first), the axis values every slice shares said once in a
    heading, and a cell fed by the same slices and rules as one above it named as such
    (the same traces give the same demand, so it sorts right after). Empty when no cell is
    chosen."""
    chosen = sorted(plan.selected, key=lambda c: -c.demand)
    counted = {c.id: [t for t in c.trace if t["counted"]] for c in chosen}
    slices = [t["slice"] for ts in counted.values() for t in ts]
    if not slices:
        return []
    shared = {a: v for a, v in slices[0].items() if all(s.get(a) == v for s in slices)}
    distinct = {tuple(sorted(s.items())) for s in slices}
    if len(distinct) == 1:
        shared = {}
    lines = [
        "why each chosen cell, largest demand first (demand = deficit x rule weight; "
        "a cell's slices largest first too"
        + (f"; every slice has {slice_label(shared)}" if shared else "")
        + "; --export md lists every slice and rule):"
    ]
    seen: dict[frozenset[tuple[str, str]], str] = {}
    for c in chosen:
        traces = sorted(counted[c.id], key=lambda t: -t["contribution"])
        key = frozenset((slice_label(t["slice"]), t["rule"]) for t in traces)
        n_slices = len({slice_label(t["slice"]) for t in traces})
        if key in seen:
            lines.append(f"{c.id} <- the same {plural(n_slices, 'slice')} and rules as "
                         f"{seen[key]}")  # fmt: skip
            continue
        seen[key] = c.id
        named = [
            f"{slice_label({a: v for a, v in t['slice'].items() if a not in shared}) or 'all'}"
            f" via {t['rule']} {t['contribution']:.2g}"
            for t in traces[:top]
        ]
        rest = len(traces) - len(named)
        n_rules = len({t["rule"] for t in traces})
        lines.append(
            f"{c.id} <- demand {c.demand:.2g} from {plural(n_slices, 'slice')} via "
            f"{plural(n_rules, 'rule')}: " + "; ".join(named) + (f"; {rest} more" if rest else "")
        )
    return lines


def bound_words(plan: Plan) -> dict[str, tuple[str, str]]:
    """Each cell bound -> its word (:data:`BOUND_WORDS`) and its meaning for a note under a
    plan table, with the cap's value (``max_multiplier`` -> ``at cap``: the new weight sits
    at the 3x multiplier cap)."""
    mult = plan.params.get("max_multiplier")
    epochs = plan.params.get("max_epochs")
    mult_txt = f"the {mult:g}x multiplier cap" if mult else "the multiplier cap"
    epochs_txt = f"the {epochs:g}-epoch cap" if epochs else "the epoch cap"
    meaning = {
        "max_multiplier": f"the new weight sits at {mult_txt}",
        "max_epochs": f"the tokens drawn sit at {epochs_txt}",
        "target_capped": f"the boost it asked for (1 + strength x demand) was above {mult_txt} "
        "and was cut to it before renormalising",
    }
    return {b: (BOUND_WORDS[b], f"{BOUND_WORDS[b]} = {m}") for b, m in meaning.items()}


def check_plan_dict(data: object, source: str) -> dict[str, Any]:
    """``data`` as a plan dict, or ValueError naming ``source`` and what it lacks.

    Args:
        data: a parsed JSON value, meant to be :meth:`Plan.to_dict`'s output.
        source: the file (or other origin) named in the error.

    Raises:
        ValueError: ``data`` is not a mapping, or lacks one of :data:`PLAN_KEYS`; the message
            names ``source``, the missing keys and how a plan is saved.
    """
    how = "save a plan with `capslice plan ... --format json > plan.json`"
    if not isinstance(data, Mapping):
        raise ValueError(f"{source} is not a plan: it holds a JSON {type(data).__name__}, "
                         f"not an object ({how})")  # fmt: skip
    missing = [key for key in PLAN_KEYS if key not in data]
    if missing:
        weights_only = bool(data) and all(isinstance(v, int | float) for v in data.values())
        if not data:
            what = "an empty object"
        elif weights_only:
            what = "mixture weights only (as `plan --export json` writes)"
        else:
            what = "the keys " + ", ".join(list(map(str, data))[:3]) + (
                ", ..." if len(data) > 3 else "")  # fmt: skip
        raise ValueError(f"{source} is not a plan: it lacks {', '.join(missing)}; it holds "
                         f"{what} ({how})")  # fmt: skip
    return dict(data)


def read_plan_file(path: Path) -> dict[str, Any]:
    """The plan saved in ``path`` (``capslice plan --format json`` output) as a dict.

    Raises:
        ValueError: the file is not UTF-8 JSON, or not a plan (:func:`check_plan_dict`); the
            message names the file.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        # json's own "Extra data: line 1 column 10" says nothing a user can act on
        raise ValueError(
            f"{path} is not a plan: it is not JSON, so not the output of `capslice plan "
            "--format json` (an `--export` file, megatron, yaml, md or json, holds only the "
            "mixture weights); save a plan with `capslice plan ... --format json > plan.json`"
        ) from None
    return check_plan_dict(data, str(path))


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
    # what an intervention with it could be measured against, up front (said once)
    control = (plan.control or {}).get("note")
    out = [
        "# Sampling plan: " + plan.title().removeprefix("plan for "),
        "",
        plan.summary,
        "",
        *([f"**Warning:** {control}", ""] if control else []),
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
        note = cell_note(c)
        lab = c.labels
        out.append(
            f"| {c.id} | {lab['source']} | {lab['domain']} | {lab['format']} | {lab['quality']} "
            f"| {c.base_weight:.4f} | {weight_text(c.weight_units)} | {_fmt_mult(c.multiplier)} "
            f"| {c.tokens:,} | {c.epochs:.3f} | {note} |"
        )
    notes = note_lines(plan)
    if notes:
        out += ["", "Note: " + "; ".join(notes) + "."]
    out += ["", "## Why each chosen cell (trace)", ""]
    if not plan.selected:
        out.append("No cell is chosen.")
    for c in plan.selected:
        out.append(f"- **{c.id}** ({cell_note(c).split(',')[0]}; demand {c.demand:.3f}, "
                   f"target x{c.target_multiplier:.2f}):")  # fmt: skip
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
    warnings = [w for w in plan.warnings if w != control]
    if warnings:
        out += ["", "## Warnings", ""] + [f"- {w}" for w in warnings]
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
