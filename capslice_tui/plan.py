"""Weakness-targeted sampling plans and intervention outcomes. Pure: no SQL, no Textual.

Plan
----
Input: weak slices (from ``ws.diagnose``: each ``{slice, n_items, score, deficit, p_adjusted,
significant?, wrong_answer_share, dominant_failure_mode}``, ``deficit = score - reference`` as a
proportion, negative when the slice is weak; the plan uses the shortfall ``-deficit``), the mapping
rules, a data catalog and a token budget.

1. **Which slices may boost data.** A slice is *excluded* (listed with its reasons, never
   boosted) when: the diagnosis verdict is ``not_data``; its deficit is missing or <= 0; it is not
   significant (``significant`` False, or when absent ``p_adjusted > q``); fewer than
   ``min_wrong_answer_share`` (default 0.5) of its failures are wrong answers, i.e. most failures
   are extraction/truncation/runaway/empty, a format or termination problem that more data does
   not fix (the matching non-data causes from the mapping are attached); or no mapping rule
   applies / the rules select no catalog cell.
2. **Demand per cell.** For included slice s and cell j,
   ``d_sj = deficit_s * max{w_r : rule r applies to s and selects j}`` (the max, not the sum,
   so overlapping rules written for the same slice do not double-count), and
   ``D_j = sum_s d_sj``. Every (slice, rule, cell) match is kept in the cell's trace.
3. **Multiplier.** ``m_j = min(max_multiplier, 1 + strength * D_j)`` (default strength 4: a
   25-point deficit under a weight-1 rule doubles a cell; default cap 3x). Untouched cells have
   ``m_j = 1``.
4. **New mixture.** ``w'_j ∝ w_j * m_j``, normalised to 1. Untouched cells are all scaled by the
   same factor, so they keep their relative proportions (replay) and the plan cannot collapse onto
   the boosted cells. Upper bounds ``w'_j <= max_multiplier * w_j`` and
   ``w'_j * budget <= max_epochs * tokens_j`` are enforced by water-filling: cells over a bound
   are fixed at it and the remaining mass is re-spread over the free cells in proportion to
   ``w_j * m_j``, repeated until no bound is violated (at most one pass per cell). If the
   bounds cannot absorb the whole mass (budget larger than ``max_epochs`` times the corpus),
   :class:`PlanError` is raised.
5. **Rounding.** Weights are rounded to ``1e-6`` by the largest-remainder method on integer
   micro-units, so the exported weights sum to exactly 1 (1 000 000 units); round-ups go to
   cells that are not at a bound when possible. Tokens per cell are
   ``units_j * budget / 1e6`` rounded the same way, so they sum to the budget exactly.

This is a heuristic in the spirit of weakness-targeted / domain-reweighting methods (e.g.
DoReMi, Xie et al. 2023, which upweights domains with high excess loss; here the signal is
the evaluation deficit mapped through hand-written rules). It proposes a testable change; the
intervention log then measures whether it worked.

Outcome
-------
:func:`evaluate_outcome` compares a result run with the baseline on pre-registered target and
control slices: per slice :func:`~capslice_tui.analysis.compare.paired_compare` on the items
both runs share, Benjamini-Hochberg across all target and control slices
(:func:`~capslice_tui.analysis.compare.adjust`), and a verdict:

- ``harmful``: some control slice dropped by at least ``tolerance`` (default 2 points) and is
  significant after correction (checked first);
- ``confirmed``: every tested target slice improved significantly;
- ``refuted``: some tested target slice got significantly worse, or every tested target's
  upper interval bound is below the expected effect (``tolerance`` when none was given);
- ``inconclusive``: otherwise, including when no target slice has enough items to test.

Slices with fewer than 20 items carry a warning; below 10 they are reported but not tested.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .analysis.compare import adjust, paired_compare
from .analysis.metrics import MIN_SLICE_SIZE, WARN_SLICE_SIZE
from .datataxonomy import Catalog, MappingRules

DEFAULT_MAX_MULTIPLIER = 3.0
DEFAULT_MAX_EPOCHS = 4.0
DEFAULT_STRENGTH = 4.0
DEFAULT_MIN_WRONG_ANSWER_SHARE = 0.5
DEFAULT_Q = 0.05
DEFAULT_TOLERANCE = 0.02
UNITS = 1_000_000
"""Weights are exported in micro-units (6 decimals) that sum to exactly this."""
_EPS = 1e-12


class PlanError(ValueError):
    """The plan cannot be built from these inputs (the message says which and why)."""


# --------------------------------------------------------------------------- dataclasses


@dataclass
class SliceDecision:
    """What the plan did with one weak slice.

    Attributes:
        slice: ``{axis: value}``; n_items, score, deficit (shortfall below the reference as a
        positive proportion, i.e. minus the diagnosis' signed deficit), p_adjusted,
        significant, wrong_answer_share, dominant_failure_mode: as given by the diagnosis.
        included: True when the slice drives boosts.
        reasons: why it was excluded (empty when included).
        rules: ids of the mapping rules that apply to it.
        cells: ids of the catalog cells those rules select.
        non_data_causes: causes suggested by the failure-mode evidence (from the mapping).
    """

    slice: dict[str, str]
    n_items: int | None
    score: float | None
    deficit: float | None
    p_adjusted: float | None
    significant: bool
    wrong_answer_share: float | None
    dominant_failure_mode: str | None
    included: bool = False
    reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    non_data_causes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``task_type=number_theory & solving_operation=modular_arithmetic``."""
        return " & ".join(f"{k}={v}" for k, v in self.slice.items())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass
class CellPlan:
    """One data cell in the plan.

    Attributes:
        id, labels (data axis -> value), path, tokens_available.
        base_weight: weight in the current mixture.
        demand: D_j (sum over slices of deficit x max rule weight); 0 for untouched cells.
        target_multiplier: m_j before normalisation and bounds.
        new_weight: exported weight (multiple of 1e-6; all cells sum to 1 exactly).
        weight_units: new_weight in micro-units (int).
        multiplier: new_weight / base_weight (NaN when base_weight is 0).
        tokens: tokens drawn from the cell under the budget (ints summing to the budget).
        epochs: tokens / tokens_available.
        bounds: ``"max_multiplier"`` / ``"max_epochs"`` when the final weight sits at that bound;
            ``"target_capped"`` when 1 + strength * demand exceeded the multiplier cap.
        boosted: True when some slice and rule selected it.
        trace: ``[{slice, rule, rule_weight, deficit, contribution, counted, rationale}]``.
    """

    id: str
    labels: dict[str, Any]
    path: str
    tokens_available: int
    base_weight: float
    demand: float = 0.0
    target_multiplier: float = 1.0
    new_weight: float = 0.0
    weight_units: int = 0
    multiplier: float = 1.0
    tokens: int = 0
    epochs: float = 0.0
    bounds: list[str] = field(default_factory=list)
    boosted: bool = False
    trace: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass
class Plan:
    """A weakness-targeted sampling plan.

    Attributes:
        baseline, benchmark: where the weak slices came from (may be None).
        budget_tokens: training tokens the mixture is drawn for.
        params: max_multiplier, max_epochs, strength, min_wrong_answer_share, q.
        verdict: the diagnosis verdict given (``data`` / ``not_data`` / ``inconclusive`` / None).
        cells: one :class:`CellPlan` per catalog cell, in catalog order.
        slices: every weak slice with its decision (included and excluded).
        warnings: things a reviewer should know (zero-weight cells selected, bounds hit...).
        summary: one sentence.
        catalog_file, mapping_file: provenance.
    """

    baseline: str | None
    benchmark: str | None
    budget_tokens: int
    params: dict[str, float]
    verdict: str | None
    cells: list[CellPlan]
    slices: list[SliceDecision]
    warnings: list[str]
    summary: str
    catalog_file: str
    mapping_file: str

    @property
    def included(self) -> list[SliceDecision]:
        """Slices that drive boosts."""
        return [s for s in self.slices if s.included]

    @property
    def excluded(self) -> list[SliceDecision]:
        """Slices left out, each with its reasons."""
        return [s for s in self.slices if not s.included]

    @property
    def boosted(self) -> list[CellPlan]:
        """Cells some slice and rule selected."""
        return [c for c in self.cells if c.boosted]

    def weights(self) -> dict[str, float]:
        """cell id -> new weight (sums to 1 up to float representation; units sum exactly)."""
        return {c.id: c.weight_units / UNITS for c in self.cells}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with ``cells``, ``slices`` (included), ``excluded`` and the rest."""
        return {
            "baseline": self.baseline, "benchmark": self.benchmark,
            "budget_tokens": self.budget_tokens, "params": dict(self.params),
            "verdict": self.verdict, "summary": self.summary, "warnings": list(self.warnings),
            "catalog": self.catalog_file, "mapping": self.mapping_file,
            "weights": {c.id: _fmt_units(c.weight_units) for c in self.cells},
            "cells": [c.to_dict() for c in self.cells],
            "slices": [s.to_dict() for s in self.included],
            "excluded": [s.to_dict() for s in self.excluded],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """Rebuild a plan from :meth:`to_dict` output (as stored with an intervention)."""
        cells = [CellPlan(**c) for c in data["cells"]]
        slices = [SliceDecision(**s) for s in [*data["slices"], *data["excluded"]]]
        return cls(
            baseline=data.get("baseline"), benchmark=data.get("benchmark"),
            budget_tokens=int(data["budget_tokens"]), params=dict(data["params"]),
            verdict=data.get("verdict"), cells=cells, slices=slices,
            warnings=list(data.get("warnings", [])), summary=data.get("summary", ""),
            catalog_file=data.get("catalog", ""), mapping_file=data.get("mapping", ""),
        )  # fmt: skip


# --------------------------------------------------------------------------- building a plan


def _float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _decide(
    raw: Mapping[str, Any],
    rules: MappingRules,
    catalog: Catalog,
    verdict: str | None,
    q: float,
    min_wrong_answer_share: float,
) -> SliceDecision:
    key = raw.get("slice")
    if not isinstance(key, Mapping) or not key:
        raise PlanError(f"weak slice {raw!r} has no 'slice' mapping {{axis: value}}")
    p_adj = _float(raw.get("p_adjusted"))
    if "significant" in raw and raw["significant"] is not None:
        significant = bool(raw["significant"])
    else:
        significant = p_adj is not None and p_adj <= q
    signed = _float(raw.get("deficit"))
    # ws.diagnose reports deficit = score - reference (negative when the slice is weak); the
    # plan works with the shortfall, positive when weak.
    deficit = None if signed is None else -signed
    if deficit is not None and abs(deficit) > 1:
        raise PlanError(
            f"slice {dict(key)}: deficit {deficit} must be a proportion in [-1, 1] (not points)"
        )
    share = _float(raw.get("wrong_answer_share"))
    dominant = raw.get("dominant_failure_mode")
    d = SliceDecision(
        slice={str(k): str(v) for k, v in key.items()},
        n_items=raw.get("n_items"), score=_float(raw.get("score")), deficit=deficit,
        p_adjusted=p_adj, significant=significant, wrong_answer_share=share,
        dominant_failure_mode=dominant,
    )  # fmt: skip
    matching = rules.rules_for(d.slice)
    d.rules = [r.id for r in matching]
    d.cells = [c.id for c in catalog.cells if any(r.selects(c) for r in matching)]
    if verdict == "not_data":
        d.reasons.append(
            "the diagnosis verdict is not_data: the drop is explained by format/termination "
            "evidence, so no data boost is proposed"
        )
    if deficit is None or deficit <= 0:
        d.reasons.append("no deficit: the slice is not below the reference")
    if not significant:
        shown = "-" if p_adj is None else f"{p_adj:.4g}"
        d.reasons.append(f"not significant (p_adjusted={shown}, q={q:g})")
    if share is None:
        d.reasons.append(
            "no failure-mode breakdown: cannot tell wrong answers from format failures"
        )
    elif share < min_wrong_answer_share:
        d.reasons.append(
            f"failures are mostly {dominant or 'non-answer'} (wrong answers are {100 * share:.0f}% "
            f"of failures, below {100 * min_wrong_answer_share:.0f}%): a format/termination "
            "problem, not missing data"
        )
    if share is None or share < min_wrong_answer_share or verdict == "not_data":
        d.non_data_causes = rules.non_data_causes(dominant, d.slice.get("output_constraint"))
    if not matching:
        d.reasons.append("no mapping rule applies to this slice")
    elif not d.cells:
        d.reasons.append(f"mapping rules {', '.join(d.rules)} select no cell of the catalog")
    d.included = not d.reasons
    return d


def _water_fill(
    raw: np.ndarray, upper: np.ndarray, ids: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Normalise ``raw`` to sum 1 under per-cell upper bounds (see module docstring, step 4).

    Returns:
        (weights, at_bound) with weights summing to 1 and ``at_bound`` marking fixed cells.

    Raises:
        PlanError: the bounds sum to less than 1.
    """
    n = raw.size
    fixed = np.zeros(n, dtype=bool)
    w = np.zeros(n)
    for _ in range(n + 1):
        free = ~fixed
        mass = 1.0 - float(upper[fixed].sum())
        total_raw = float(raw[free].sum())
        if mass < -_EPS or (mass > _EPS and total_raw <= 0):
            break
        w = np.where(fixed, upper, 0.0)
        if total_raw > 0:
            w[free] = raw[free] * (max(mass, 0.0) / total_raw)
        over = free & (w > upper * (1 + 1e-12) + _EPS)
        if not over.any():
            return w, fixed
        fixed |= over
    supply = float(upper.sum())
    raise PlanError(
        "the caps cannot absorb the budget: at their bounds the cells can supply only "
        f"{100 * supply:.1f}% of it (raise --max-epochs or --max-multiplier, lower the budget, "
        "or add cells); tightest cells: " + ", ".join(ids[i] for i in np.argsort(upper)[:3])
    )


def _largest_remainder(
    ideal: np.ndarray, total: int, avoid: np.ndarray | None = None
) -> np.ndarray:
    """Integers >= floor(ideal) summing to ``total``; leftovers go to the largest remainders,
    cells flagged in ``avoid`` last (ties by index)."""
    base = np.floor(ideal + 1e-9).astype(np.int64)
    base = np.minimum(base, np.ceil(ideal).astype(np.int64))
    left = int(total - base.sum())
    rem = ideal - base
    avoid = np.zeros(ideal.size, dtype=bool) if avoid is None else avoid
    order = sorted(range(ideal.size), key=lambda i: (bool(avoid[i]), -rem[i], i))
    order = [i for i in order if ideal[i] > 0] or order
    i = 0
    while left > 0 and order:
        base[order[i % len(order)]] += 1
        left -= 1
        i += 1
    while left < 0:  # only from float noise in ideal; take from the largest cells
        j = int(np.argmax(base))
        base[j] -= 1
        left += 1
    return base


def build_plan(
    slices: Sequence[Mapping[str, Any]],
    rules: MappingRules,
    catalog: Catalog,
    budget_tokens: int,
    *,
    max_multiplier: float = DEFAULT_MAX_MULTIPLIER,
    max_epochs: float = DEFAULT_MAX_EPOCHS,
    strength: float = DEFAULT_STRENGTH,
    min_wrong_answer_share: float = DEFAULT_MIN_WRONG_ANSWER_SHARE,
    q: float = DEFAULT_Q,
    verdict: str | None = None,
    baseline: str | None = None,
    benchmark: str | None = None,
) -> Plan:
    """Compute a weakness-targeted sampling plan (algorithm in the module docstring).

    Args:
        slices: weak slices, each ``{slice: {axis: value}, deficit, p_adjusted, significant?,
            wrong_answer_share, dominant_failure_mode, n_items?, score?}``; deficit =
            score - reference as a proportion (-0.25 = 25 points below the reference).
        rules: validated mapping rules; catalog: validated data catalog.
        budget_tokens: tokens to train on with the new mixture (int > 0).
        max_multiplier: cap on new/base weight per cell (>= 1).
        max_epochs: cap on tokens drawn / tokens available per cell (> 0).
        strength: multiplier per unit of demand (>= 0).
        min_wrong_answer_share: below this share of wrong answers among failures a slice is
            treated as a format/termination problem and never boosts data.
        q: significance level used when a slice has no ``significant`` flag.
        verdict: the diagnosis verdict; ``not_data`` excludes every slice.

    Returns:
        A :class:`Plan`; weights sum to exactly 1 in micro-units, tokens to the budget.

    Raises:
        PlanError: invalid parameters, a slice without ``slice``, a deficit outside [-1, 1],
            or caps too tight for the budget.
    """
    if isinstance(budget_tokens, bool) or int(budget_tokens) != budget_tokens or budget_tokens <= 0:
        raise PlanError(f"budget_tokens must be a positive integer, got {budget_tokens!r}")
    budget_tokens = int(budget_tokens)
    if not max_multiplier >= 1:
        raise PlanError(f"max_multiplier must be >= 1, got {max_multiplier}")
    if not max_epochs > 0:
        raise PlanError(f"max_epochs must be > 0, got {max_epochs}")
    if not strength >= 0:
        raise PlanError(f"strength must be >= 0, got {strength}")
    decisions = [_decide(s, rules, catalog, verdict, q, min_wrong_answer_share) for s in slices]
    rules_by_id = {r.id: r for r in rules.data_rules}
    cells = [
        CellPlan(
            id=c.id,
            labels=c.labels(),
            path=c.path,
            tokens_available=c.tokens,
            base_weight=c.weight,
        )  # fmt: skip
        for c in catalog.cells
    ]
    index = {c.id: i for i, c in enumerate(cells)}
    for d in decisions:
        if not d.included:
            continue
        assert d.deficit is not None
        for cell_id in d.cells:
            cell = catalog.cells[index[cell_id]]
            hits = [rules_by_id[r] for r in d.rules if rules_by_id[r].selects(cell)]
            best = max(hits, key=lambda r: r.weight)
            plan_cell = cells[index[cell_id]]
            plan_cell.demand += d.deficit * best.weight
            plan_cell.boosted = True
            for r in hits:
                plan_cell.trace.append({
                    "slice": dict(d.slice), "rule": r.id, "rule_weight": r.weight,
                    "deficit": d.deficit, "contribution": d.deficit * r.weight,
                    "counted": r is best, "rationale": r.rationale,
                })  # fmt: skip
    warnings: list[str] = []
    base = np.array([c.base_weight for c in cells], dtype=float)
    base = base / base.sum()
    m = np.array([min(max_multiplier, 1.0 + strength * c.demand) for c in cells])
    for c, mult in zip(cells, m, strict=True):
        c.target_multiplier = float(mult)
        if c.boosted and c.base_weight == 0:
            warnings.append(
                f"cell {c.id} is selected but has base weight 0: a multiplier cannot boost it; "
                "give it a small weight in the catalog"
            )
    tokens_avail = np.array([c.tokens_available for c in cells], dtype=float)
    mult_bound = max_multiplier * base
    epoch_bound = max_epochs * tokens_avail / budget_tokens
    upper = np.minimum(mult_bound, epoch_bound)
    new, at_bound = _water_fill(base * m, upper, [c.id for c in cells])
    units = _largest_remainder(new * UNITS, UNITS, avoid=at_bound)
    token_ideal = units.astype(float) * budget_tokens / UNITS
    tokens = _largest_remainder(token_ideal, budget_tokens, avoid=at_bound)
    for i, c in enumerate(cells):
        c.weight_units = int(units[i])
        c.new_weight = c.weight_units / UNITS
        c.multiplier = c.new_weight / c.base_weight if c.base_weight > 0 else math.nan
        c.tokens = int(tokens[i])
        c.epochs = c.tokens / c.tokens_available
        if at_bound[i]:
            if epoch_bound[i] <= mult_bound[i]:
                c.bounds.append("max_epochs")
            else:
                c.bounds.append("max_multiplier")
        if c.boosted and 1.0 + strength * c.demand > max_multiplier:
            c.bounds.append("target_capped")
    for c in cells:
        if "max_epochs" in c.bounds:
            warnings.append(
                f"cell {c.id} is capped at {max_epochs:g} epochs over its "
                f"{c.tokens_available:,} tokens; the rest of its share went to the other cells"
            )
    included = [d for d in decisions if d.included]
    boosted = [c for c in cells if c.boosted]
    if verdict == "not_data":
        summary = (
            "No data boost: the diagnosis verdict is not_data (format/termination evidence, "
            f"{len(decisions)} weak slices excluded); fix the non-data cause, the mixture is "
            "unchanged."
        )
    elif not decisions:
        summary = "No weak slice was given: the plan keeps the current mixture."
    elif not included:
        summary = (
            f"No data boost: all {len(decisions)} weak slices were excluded "
            f"({_reason_summary(decisions)}); the mixture is unchanged."
        )
    else:
        summary = (
            f"{len(included)} of {len(decisions)} weak slices boost {len(boosted)} of "
            f"{len(cells)} cells (largest multiplier "
            f"{max(c.multiplier for c in boosted if c.base_weight > 0):.2f}x); "
            f"{len(decisions) - len(included)} excluded; untouched cells keep their proportions."
        )
    return Plan(
        baseline=baseline, benchmark=benchmark, budget_tokens=budget_tokens,
        params={
            "max_multiplier": float(max_multiplier), "max_epochs": float(max_epochs),
            "strength": float(strength), "min_wrong_answer_share": float(min_wrong_answer_share),
            "q": float(q),
        },
        verdict=verdict, cells=cells, slices=decisions, warnings=warnings, summary=summary,
        catalog_file=catalog.file, mapping_file=rules.file,
    )  # fmt: skip


def _reason_summary(decisions: Sequence[SliceDecision]) -> str:
    counts: dict[str, int] = {}
    for d in decisions:
        first = d.reasons[0] if d.reasons else "included"
        short = first.split(":")[0].split(" (")[0]
        counts[short] = counts.get(short, 0) + 1
    return "; ".join(f"{n} {r}" for r, n in counts.items())


# --------------------------------------------------------------------------- exports


def _fmt_units(units: int) -> str:
    """Micro-units as an exact decimal string: 123456 -> ``0.123456``."""
    return f"{units // UNITS}.{units % UNITS:06d}"


def export_json(plan: Plan) -> str:
    """The new mixture as JSON ``{cell_id: weight}`` (6 decimals, summing to exactly 1)."""
    body = ",\n".join(f"  {json.dumps(c.id)}: {_fmt_units(c.weight_units)}" for c in plan.cells)
    return "{\n" + body + "\n}\n"


def export_yaml(plan: Plan) -> str:
    """The new mixture as YAML ``cell_id: weight`` with a provenance comment header."""
    lines = [
        "# capslice sampling plan: new mixture weights (cell id -> weight); they sum to 1 exactly.",
        f"# baseline: {plan.baseline or '-'}  benchmark: {plan.benchmark or '-'}  "
        f"budget_tokens: {plan.budget_tokens}",
        f"# {plan.summary}",
    ]
    lines += [f"{json.dumps(c.id)}: {_fmt_units(c.weight_units)}" for c in plan.cells]
    return "\n".join(lines) + "\n"


def export_megatron(plan: Plan) -> str:
    """Megatron-LM / NeMo blend: ``weight prefix weight prefix ...`` for ``--data-path``.

    Cells whose new weight is 0 are left out (Megatron would build an empty dataset for them).
    """
    parts = [f"{_fmt_units(c.weight_units)} {c.path}" for c in plan.cells if c.weight_units > 0]
    return " ".join(parts) + "\n"


def export_markdown(plan: Plan) -> str:
    """A review document: parameters, mixture table, trace, excluded slices and causes."""
    p = plan.params
    out = [
        f"# Sampling plan: {plan.benchmark or '-'} weakness of {plan.baseline or '-'}",
        "",
        plan.summary,
        "",
        f"- budget: {plan.budget_tokens:,} tokens; caps: multiplier <= {p['max_multiplier']:g}x, "
        f"epochs <= {p['max_epochs']:g}; strength {p['strength']:g}; slices with wrong answers "
        f"< {100 * p['min_wrong_answer_share']:.0f}% of failures never boost data",
        f"- catalog: `{plan.catalog_file}`; mapping rules: `{plan.mapping_file}`",
        f"- diagnosis verdict: {plan.verdict or '-'}",
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
            f"| {c.base_weight:.4f} | {_fmt_units(c.weight_units)} | {_fmt_mult(c.multiplier)} "
            f"| {c.tokens:,} | {c.epochs:.3f} | {note} |"
        )
    out += ["", "## Why each boosted cell (trace)", ""]
    if not plan.boosted:
        out.append("No cell is boosted.")
    for c in plan.boosted:
        out.append(f"- **{c.id}** (demand {c.demand:.3f}, target x{c.target_multiplier:.2f}):")
        for t in c.trace:
            sl = " & ".join(f"{k}={v}" for k, v in t["slice"].items())
            mark = "" if t["counted"] else " (overlaps a stronger rule; not counted)"
            out.append(
                f"  - {sl}: deficit {100 * t['deficit']:.1f} pts x rule `{t['rule']}` weight "
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


# --------------------------------------------------------------------------- outcomes


@dataclass
class SliceOutcome:
    """One target or control slice: result run minus baseline on the shared items.

    Attributes:
        role: ``target`` or ``control``; slice: ``{grouping: value}``.
        n_items: paired items; base_score, cand_score; diff, diff_low, diff_high (proportions);
        p_value, p_adjusted (BH over all tested slices), significant, test, warning, tested.
        pass_at_k: for multi-sample runs, ``{k, base, cand, diff, diff_low, diff_high, p_value,
            p_adjusted}`` at k = the smallest samples-per-item in the slice (else None).
    """

    role: str
    slice: dict[str, str]
    n_items: int
    base_score: float
    cand_score: float
    diff: float
    diff_low: float
    diff_high: float
    p_value: float
    p_adjusted: float
    significant: bool
    tested: bool
    test: str
    warning: str | None
    pass_at_k: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass
class Outcome:
    """An intervention's measured outcome and verdict (rules in the module docstring)."""

    verdict: str
    reason: str
    metric: str
    k: int | None
    tolerance: float
    q: float
    expected_effect: float | None
    n_tested: int
    rows: list[SliceOutcome]
    warnings: list[str]
    random_state: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["rows"] = [r.to_dict() for r in self.rows]
        return d


def slice_mask(labels: Mapping[str, np.ndarray], key: Mapping[str, str]) -> np.ndarray:
    """Boolean mask of the rows in the slice ``{grouping: value}`` (conjunction).

    Raises:
        ValueError: a grouping the labels do not have.
    """
    first = next(iter(labels.values()))
    mask = np.ones(len(first), dtype=bool)
    for g, v in key.items():
        if g not in labels:
            raise ValueError(f"unknown slice axis {g!r} (use one of: {', '.join(labels)})")
        mask &= labels[g] == v
    return mask


def evaluate_outcome(
    targets: Sequence[Mapping[str, str]],
    controls: Sequence[Mapping[str, str]],
    labels: Mapping[str, np.ndarray],
    base_n: np.ndarray,
    base_c: np.ndarray,
    cand_n: np.ndarray,
    cand_c: np.ndarray,
    *,
    k: int | None = None,
    expected_effect: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    q: float = DEFAULT_Q,
    min_size: int = MIN_SLICE_SIZE,
    random_state: int = 0,
) -> Outcome:
    """Judge an intervention on aligned per-item counts of the baseline and the result run.

    Args:
        targets, controls: pre-registered slices ``{grouping: value}`` (groupings are keys of
            ``labels``: task, benchmark or an axis).
        labels: grouping -> array of shape (m,) with each row's value.
        base_n, base_c, cand_n, cand_c: shape (m,), samples and correct per item, aligned.
        k: None compares accuracy (mean over samples = unbiased pass@1 when sampled; greedy
            accuracy otherwise); an int compares pass@k.
        expected_effect: pre-registered gain on targets (proportion), used by ``refuted``.
        tolerance: control regression that counts as harm (proportion, default 0.02).
        q: false discovery rate for BH across all target and control slices.

    Returns:
        :class:`Outcome` (verdict rules in the module docstring).

    Raises:
        ValueError: no target slice, unknown grouping, misaligned arrays.
    """
    if not targets:
        raise ValueError("an intervention needs at least one target slice")
    arrays = [np.asarray(a, dtype=float) for a in (base_n, base_c, cand_n, cand_c)]
    keys = [("target", dict(t)) for t in targets] + [("control", dict(c)) for c in controls]
    results = []
    extra: list[dict[str, Any] | None] = []
    multi = bool(arrays[0].size) and (arrays[0].max() > 1 or arrays[2].max() > 1)
    for _role, key in keys:
        mask = slice_mask(labels, key)
        bn, bc, cn, cc = (a[mask] for a in arrays)
        results.append(paired_compare(bn, bc, cn, cc, k=k, random_state=random_state,
                                      min_size=min_size))  # fmt: skip
        if multi and mask.any():
            kk = int(min(bn.min(), cn.min()))
            extra.append({"k": kk, "result": paired_compare(
                bn, bc, cn, cc, k=kk, random_state=random_state, min_size=min_size)})  # fmt: skip
        else:
            extra.append(None)
    adjusted = adjust(results, [f"{r}:{json.dumps(k_)}" for r, k_ in keys], q=q)
    pk_results = [e["result"] for e in extra if e is not None]
    pk_adjusted = iter(adjust(pk_results, q=q)) if pk_results else iter(())
    rows: list[SliceOutcome] = []
    warnings: list[str] = []
    for (role, key), adj, e in zip(keys, adjusted, extra, strict=True):
        r = adj.result
        pk = None
        if e is not None:
            pa = next(pk_adjusted)
            pr = e["result"]
            pk = {
                "k": e["k"], "base": pr.base.score, "cand": pr.cand.score, "diff": pr.diff,
                "diff_low": pr.diff_lo, "diff_high": pr.diff_hi, "p_value": pr.p_value,
                "p_adjusted": pa.p_adj, "significant": pa.significant,
            }  # fmt: skip
        rows.append(SliceOutcome(
            role=role, slice=key, n_items=r.n_items, base_score=r.base.score,
            cand_score=r.cand.score, diff=r.diff, diff_low=r.diff_lo, diff_high=r.diff_hi,
            p_value=r.p_value, p_adjusted=adj.p_adj, significant=adj.significant,
            tested=adj.tested, test=r.test, warning=r.warning, pass_at_k=pk,
        ))  # fmt: skip
        label = " & ".join(f"{a}={v}" for a, v in key.items())
        if r.n_items < WARN_SLICE_SIZE:
            warnings.append(
                f"too few items in {role} slice {label} (n={r.n_items}"
                + (
                    f" < {min_size}: not tested)"
                    if r.n_items < min_size
                    else f" < {WARN_SLICE_SIZE})"
                )
            )
    metric = f"pass@{k}" if k else ("accuracy (mean over samples = pass@1)" if multi
                                     else "greedy accuracy")  # fmt: skip
    verdict, reason = _verdict(rows, expected_effect, tolerance)
    return Outcome(
        verdict=verdict, reason=reason, metric=metric, k=k, tolerance=tolerance, q=q,
        expected_effect=expected_effect, n_tested=adjusted[0].n_tested if adjusted else 0,
        rows=rows, warnings=warnings, random_state=random_state,
    )  # fmt: skip


def _verdict(
    rows: Sequence[SliceOutcome], expected: float | None, tolerance: float
) -> tuple[str, str]:
    def name(r: SliceOutcome) -> str:
        return " & ".join(f"{a}={v}" for a, v in r.slice.items())

    harmed = [
        r for r in rows
        if r.role == "control" and r.significant and r.diff <= -tolerance
    ]  # fmt: skip
    if harmed:
        return "harmful", (
            "control slice(s) regressed beyond the tolerance of "
            f"{100 * tolerance:.1f} points: "
            + ", ".join(f"{name(r)} {100 * r.diff:+.1f} pts" for r in harmed)
        )
    targets = [r for r in rows if r.role == "target" and r.tested]
    if not targets:
        return "inconclusive", "no target slice has enough items to test"
    gains = ", ".join(f"{name(r)} {100 * r.diff:+.1f} pts" for r in targets)
    if all(r.significant and r.diff > 0 for r in targets):
        return "confirmed", f"every target slice improved significantly ({gains})"
    threshold = expected if expected is not None else tolerance
    if any(r.significant and r.diff < 0 for r in targets):
        return "refuted", f"a target slice got significantly worse ({gains})"
    if all(r.diff_high < threshold for r in targets):
        return "refuted", (
            f"the intervals exclude the expected gain of {100 * threshold:.1f} points on every "
            f"target slice ({gains})"
        )
    return "inconclusive", f"not every target slice improved significantly ({gains})"
