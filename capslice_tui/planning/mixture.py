"""Weakness-targeted sampling plans and intervention outcomes. Pure: no SQL, no Textual.

Plan
----
Input: weak slices (from ``ws.diagnose``: each ``{slice, n_items, score, deficit, p_adjusted,
significant?, wrong_answer_share, dominant_failure_mode}``, ``deficit = score - reference`` as a
proportion, negative when the slice is weak; the plan uses the shortfall ``-deficit``), the mapping
rules, a data catalog and a token budget.

0. **The plan honours the diagnosis.** Data is boosted only when the diagnosis of the same
   pair or run is ``data``. Any other verdict (``not_data``, ``inconclusive``) excludes every
   slice with the verdict and its reason in words, and the mixture is kept. ``force=True``
   lifts this one gate (the per-slice checks below still apply); the plan then says it was
   forced, in its summary, its warnings and ``forced`` (stored with an intervention). When the
   verdict is ``data`` with reason ``broad_capability`` (the change is spread over the
   benchmark, or the benchmark has no finer slice), the facade passes *domain slices*: the
   benchmark's items grouped by their labels, each carrying the overall shortfall times its
   share of the items, so the mapping rules select the data of the benchmark's whole domain.
1. **Which slices may boost data.** A slice is *excluded* (listed with its reasons, never
   boosted) when: the diagnosis gate above is closed; its deficit is missing or <= 0; it is not
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
control slices, paired by item. Per slice :func:`~capslice_tui.analysis.compare.paired_compare`
on the items both runs share, Benjamini-Hochberg across all target and control slices
(:func:`~capslice_tui.analysis.compare.adjust`). The intervention's effect is measured against
the controls by :func:`difference_in_differences`: with ``d_i = score_result(i) -
score_baseline(i)`` per item (c/n, or pass@k), ``DiD = mean(d over target items) - mean(d over
control items)`` (control items that are also target items are left out of the controls), with
a 95% stratified paired-bootstrap interval. A change that lifts every slice alike (a new prompt,
a longer training run) lifts the controls as much as the targets, and its DiD is near 0.

Verdicts, in this order:

- ``unmeasurable`` when the evaluation changed between the baseline and the result run
  (``evaluation_changed`` given by the caller: prompts, few-shot, decoding or scoring differ),
  so the runs do not measure the same thing and no change can be put down to the data;
- ``harmful``: some control slice dropped by at least ``tolerance`` (default 2 points) and is
  significant after correction;
- ``inconclusive``: no target slice has enough items to test;
- ``unmeasurable``: no control slice (none given, or none with items outside the targets, or
  fewer than ``min_size`` control items): without controls a target gain cannot be told from a
  change that lifts everything;
- ``confirmed``: every tested target slice improved significantly (its own paired test, BH)
  **and** beat the controls significantly (its DiD interval lies above 0). Requiring every
  target to pass is an intersection-union test (Berger 1982, Technometrics 24:295), so no
  multiplicity correction is needed for this conjunction;
- ``refuted``: some tested target slice got significantly worse, the pooled targets fell
  significantly behind the controls (DiD interval below 0), or every tested target's DiD upper
  bound is below the expected effect (``tolerance`` when none was given);
- ``inconclusive``: otherwise (e.g. the targets rose but not significantly more than the
  controls).

Slices with fewer than 20 items carry a warning; below 10 they are reported but not tested.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..analysis.compare import adjust, paired_compare
from ..analysis.metrics import MIN_SLICE_SIZE, WARN_SLICE_SIZE, per_item_scores, percentile_interval
from ..taxonomy.data import Catalog, MappingRules
from ..vocabulary import label as slice_label

DEFAULT_MAX_MULTIPLIER = 3.0
DEFAULT_MAX_EPOCHS = 4.0
DEFAULT_STRENGTH = 4.0
DEFAULT_MIN_WRONG_ANSWER_SHARE = 0.5
DEFAULT_Q = 0.05
DEFAULT_TOLERANCE = 0.02
DID_RESAMPLES = 2000
"""Bootstrap resamples of the difference-in-differences interval."""
UNITS = 1_000_000
"""Weights are exported in micro-units (6 decimals) that sum to exactly this."""
_EPS = 1e-12


class PlanError(ValueError):
    """The plan cannot be built from these inputs (the message says which and why)."""


VERDICT_WORDS = {
    "data": "a data problem",
    "not_data": "not a data problem",
    "inconclusive": "inconclusive",
}
"""Diagnosis verdict token -> words for sentences (tokens never appear in a sentence)."""

REASON_WORDS = {
    "weak_evidence": "too little evidence to tell",
    "format_failures": "format or termination failures carry the change",
    "format_concentrated": "format failures concentrated in a few content slices",
    "localized_wrong_answers": "wrong answers localized in content slices",
    "broad_change": "a real change spread over the content slices, not localized",
    "broad_capability": "a broad capability gap over the benchmark's whole domain",
    "mixed_causes": "mixed causes",
    "no_weak_content_slice": "no content slice is weaker than the rest",
    "no_finer_slice": "the benchmark's items cannot be told apart on the content axes",
    "evaluation_sensitive": (
        "the same items score very differently under another evaluation in the store"
    ),
    "evaluation_changed": "the evaluation itself changed (prompts, few-shot, decoding or scoring)",
}
"""Diagnosis reason token -> words; an unknown token is shown with spaces for underscores."""


def diagnosis_words(verdict: str | None, reason: str | None = None) -> str:
    """``inconclusive (too little evidence to tell)``: a diagnosis verdict and reason in words."""
    text = VERDICT_WORDS.get(verdict or "", (verdict or "no verdict").replace("_", " "))
    if reason:
        text += f" ({REASON_WORDS.get(reason, reason.replace('_', ' '))})"
    return text


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
        scope: ``slice`` (a weak slice of the diagnosis) or ``domain`` (a share of the
            benchmark's whole domain, for a broad capability gap).
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
    scope: str = "slice"

    @property
    def label(self) -> str:
        """``task_type=number_theory & solving_operation=modular_arithmetic``."""
        return slice_label(self.slice)

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
        reason: the diagnosis reason token (e.g. ``weak_evidence``); shown in words only.
        diagnosis_summary: the diagnosis' own one-paragraph summary (plain words).
        forced: True when ``force`` lifted the diagnosis gate (boosts despite a verdict that
            is not ``data``).
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
    reason: str | None = None
    diagnosis_summary: str | None = None
    forced: bool = False

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
            "verdict": self.verdict, "reason": self.reason,
            "diagnosis_summary": self.diagnosis_summary, "forced": self.forced,
            "summary": self.summary, "warnings": list(self.warnings),
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
            reason=data.get("reason"), diagnosis_summary=data.get("diagnosis_summary"),
            forced=bool(data.get("forced", False)),
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
    gate: str | None,
    q: float,
    min_wrong_answer_share: float,
    not_data: bool = False,
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
        dominant_failure_mode=dominant, scope=str(raw.get("scope") or "slice"),
    )  # fmt: skip
    matching = rules.rules_for(d.slice)
    d.rules = [r.id for r in matching]
    d.cells = [c.id for c in catalog.cells if any(r.selects(c) for r in matching)]
    if gate is not None:
        d.reasons.append(gate)
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
    if share is None or share < min_wrong_answer_share or not_data:
        d.non_data_causes = rules.non_data_causes(dominant, d.slice.get("output_constraint"))
    if not matching:
        d.reasons.append("no mapping rule applies to this slice")
    elif not d.cells:
        d.reasons.append(f"mapping rules {', '.join(d.rules)} select no cell of the catalog")
    d.included = not d.reasons
    return d


def _evaluation_cause(difference: str | None) -> dict[str, Any]:
    """The one cause a slice lists when the diagnosis is ``evaluation_changed``."""
    what = difference or "prompts, few-shot, decoding or scoring differ"
    return {
        "cause": "evaluation_changed",
        "description": f"The evaluation changed between the two runs ({what}); compare runs "
        "evaluated the same way before reading this slice's failures as a model or data problem.",
        "rule": "diagnosis",
        "rationale": "the diagnosis found the evaluation itself differs between the runs",
        "check": "re-run both checkpoints with the same prompts, few-shot, decoding and scoring",
    }


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
    reason: str | None = None,
    diagnosis_summary: str | None = None,
    force: bool = False,
    baseline: str | None = None,
    benchmark: str | None = None,
    evaluation_difference: str | None = None,
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
        verdict: the diagnosis verdict of the same pair/run. Anything but ``data`` excludes
            every slice (the mixture is kept) unless ``force``. None means no diagnosis was
            given (a hand-made slice list): the slices are judged on their own.
        reason, diagnosis_summary: the diagnosis reason token and summary, for the words.
        force: boost although the verdict is not ``data``; recorded in ``Plan.forced``, the
            summary and the warnings.
        evaluation_difference: how the evaluation differs between the runs (e.g. ``the
            prompts of 6,511 of 6,511 items differ: prompting cot_3shot vs answer_only_3shot``);
            with reason ``evaluation_changed`` it is the only cause a slice lists (its format
            failures are read through the evaluation change, not training or decoding causes).

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
    closed = verdict is not None and verdict != "data"
    words = diagnosis_words(verdict, reason)
    gate = (
        f"the diagnosis is {words}: a targeted data fix is not indicated"
        if closed and not force
        else None
    )
    decisions = [
        _decide(s, rules, catalog, gate, q, min_wrong_answer_share, verdict == "not_data")
        for s in slices
    ]
    if reason == "evaluation_changed":
        cause = _evaluation_cause(evaluation_difference)
        for d in decisions:
            if d.non_data_causes:
                d.non_data_causes = [cause]
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
    domain = bool(decisions) and all(d.scope == "domain" for d in decisions)
    what = (
        f"label groups of the whole {benchmark or 'benchmark'} domain" if domain else "weak slices"
    )
    if gate is not None:
        fix = (
            "fix the non-data cause first" if verdict == "not_data"
            else "look at the diagnosis before changing data"
        )  # fmt: skip
        summary = (
            f"No data boost: the diagnosis is {words}; the mixture is unchanged "
            f"({len(decisions)} weak slice(s) set aside; {fix}; --force boosts anyway)."
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
            f"{len(included)} of {len(decisions)} {what} boost {len(boosted)} of "
            f"{len(cells)} cells (largest multiplier "
            f"{max(c.multiplier for c in boosted if c.base_weight > 0):.2f}x); "
            f"{len(decisions) - len(included)} excluded; untouched cells keep their proportions."
        )
    forced = bool(force and closed)
    if forced:
        warnings.insert(0, (
            f"forced: the diagnosis is {words}, so a targeted data fix is not indicated; "
            "this plan boosts data anyway because --force was given"
        ))  # fmt: skip
        summary = f"FORCED against the diagnosis ({words}): {summary}"
    return Plan(
        baseline=baseline, benchmark=benchmark, budget_tokens=budget_tokens,
        params={
            "max_multiplier": float(max_multiplier), "max_epochs": float(max_epochs),
            "strength": float(strength), "min_wrong_answer_share": float(min_wrong_answer_share),
            "q": float(q),
        },
        verdict=verdict, cells=cells, slices=decisions, warnings=warnings, summary=summary,
        catalog_file=catalog.file, mapping_file=rules.file, reason=reason,
        diagnosis_summary=diagnosis_summary, forced=forced,
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
        f"# Sampling plan: the {plan.benchmark or '-'} change {plan.baseline}"
        if plan.baseline and " -> " in plan.baseline
        else f"# Sampling plan: {plan.benchmark or '-'} weakness of {plan.baseline or '-'}",
        "",
        plan.summary,
        "",
        f"- budget: {plan.budget_tokens:,} tokens; caps: multiplier <= {p['max_multiplier']:g}x, "
        f"epochs <= {p['max_epochs']:g}; strength {p['strength']:g}; slices with wrong answers "
        f"< {100 * p['min_wrong_answer_share']:.0f}% of failures never boost data",
        f"- catalog: `{plan.catalog_file}`; mapping rules: `{plan.mapping_file}`",
        f"- diagnosis: {diagnosis_words(plan.verdict, plan.reason) if plan.verdict else '-'}"
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
            f"| {c.base_weight:.4f} | {_fmt_units(c.weight_units)} | {_fmt_mult(c.multiplier)} "
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
class DidResult:
    """Difference-in-differences of per-item changes: targets against controls.

    Attributes:
        target_change, control_change: mean per-item change (result - baseline) over the
            target / control items, proportions (0.233 = +23.3 points).
        target_low, target_high, control_low, control_high: their 95% percentile intervals
            (each group resampled on its own).
        did: ``target_change - control_change``; did_low, did_high: its 95% interval.
        p_value: two-sided bootstrap p for DiD = 0.
        n_target, n_control: items in each group.
        method: how the interval was computed; n_resamples, random_state: to reproduce it.
    """

    target_change: float
    target_low: float
    target_high: float
    control_change: float
    control_low: float
    control_high: float
    did: float
    did_low: float
    did_high: float
    p_value: float
    n_target: int
    n_control: int
    method: str
    n_resamples: int
    random_state: int

    @property
    def beats_controls(self) -> bool:
        """True when the interval lies above 0: the targets gained significantly more."""
        return self.did_low > 0

    @property
    def behind_controls(self) -> bool:
        """True when the interval lies below 0: the controls gained significantly more."""
        return self.did_high < 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def _resampled_means(d: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_resamples`` bootstrap resamples of ``d`` (with replacement, size len(d)).

    Drawing the counts of each distinct value from a multinomial is exactly a resample of the
    items (only the values' counts enter the mean) and is fast when values repeat, as 0/1 and
    c/n differences do.
    """
    values, counts = np.unique(d, return_counts=True)
    draws = rng.multinomial(d.size, counts / d.size, size=n_resamples)
    return draws @ values / d.size


def difference_in_differences(
    target_diff: Any,
    control_diff: Any,
    *,
    n_resamples: int = DID_RESAMPLES,
    level: float = 0.95,
    random_state: int = 0,
) -> DidResult:
    """Target change minus control change, with a stratified paired-bootstrap interval.

    Each input holds per-item differences ``d_i = score_result(i) - score_baseline(i)`` of the
    same item in the two runs (paired by item; score = c/n or pass@k of the item). Then

        DiD = mean(d_T) - mean(d_C)

    the classic two-group, two-period difference-in-differences (Card & Krueger 1994, AER
    84:772; Angrist & Pischke 2009, *Mostly Harmless Econometrics*, ch. 5) with items as
    units. Interval: the two groups are resampled independently, each over its own items
    with replacement (a stratified bootstrap keeps each item's pair together, so the pairing
    is respected), ``n_resamples`` times with a fixed ``random_state``; the interval is the
    percentile interval of the replicated DiD (Efron & Tibshirani 1993, *An Introduction to
    the Bootstrap*, §13.3), and the two-sided p is ``min(1, 2 * min(#{DiD* <= 0} + 1,
    #{DiD* >= 0} + 1) / (B + 1))`` (ibid. ch. 16, with the usual +1 correction).

    Args:
        target_diff, control_diff: shape (n_T,), (n_C,) per-item differences in [-1, 1];
            NaN entries (items without a score) are dropped.
        n_resamples: bootstrap resamples B (>= 100).
        level: interval coverage.
        random_state: seed of ``numpy.random.default_rng``.

    Returns:
        :class:`DidResult` (proportions).

    Raises:
        ValueError: an empty group, or fewer than 100 resamples.
    """
    t = np.asarray(target_diff, dtype=float)
    c = np.asarray(control_diff, dtype=float)
    t, c = t[~np.isnan(t)], c[~np.isnan(c)]
    if t.size == 0 or c.size == 0:
        raise ValueError(
            f"difference-in-differences needs items in both groups (targets {t.size}, "
            f"controls {c.size})"
        )
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be >= 100, got {n_resamples}")
    rng = np.random.default_rng(random_state)
    bt = _resampled_means(t, n_resamples, rng)
    bc = _resampled_means(c, n_resamples, rng)
    boot = bt - bc
    did = float(t.mean() - c.mean())
    below = int(np.sum(boot <= 0)) + 1
    above = int(np.sum(boot >= 0)) + 1
    p = min(1.0, 2.0 * min(below, above) / (n_resamples + 1))
    tl, th = percentile_interval(bt, level)
    cl, ch = percentile_interval(bc, level)
    dl, dh = percentile_interval(boot, level)
    return DidResult(
        target_change=float(t.mean()), target_low=tl, target_high=th,
        control_change=float(c.mean()), control_low=cl, control_high=ch,
        did=did, did_low=dl, did_high=dh, p_value=p, n_target=int(t.size),
        n_control=int(c.size),
        method=f"stratified paired bootstrap over items, {n_resamples} resamples, percentile "
        f"{100 * level:g}% interval",
        n_resamples=n_resamples, random_state=random_state,
    )  # fmt: skip


@dataclass
class SliceOutcome:
    """One target or control slice: result run minus baseline on the shared items.

    Attributes:
        role: ``target`` or ``control``; slice: ``{grouping: value}``.
        n_items: paired items; base_score, cand_score; diff, diff_low, diff_high (proportions);
        p_value, p_adjusted (BH over all tested slices), significant, test, warning, tested.
        pass_at_k: for multi-sample runs, ``{k, base, cand, diff, diff_low, diff_high, p_value,
            p_adjusted}`` at k = the smallest samples-per-item in the slice (else None).
        did: target slices only, when there are control items: this slice's
            :class:`DidResult` against the pooled controls, as a dict (else None).
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
    did: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass
class Outcome:
    """An intervention's measured outcome and verdict (rules in the module docstring).

    Attributes:
        verdict: ``confirmed``, ``refuted``, ``harmful``, ``inconclusive`` or ``unmeasurable``;
            reason: why, in words.
        did: the pooled targets against the pooled controls (:class:`DidResult` as a dict), or
            None when there is no control item (then the verdict is ``unmeasurable``).
        evaluation_changed: the caller's description of how the evaluation differs between the
            two runs (None when it does not, or was not checked).
        rows, warnings, metric, k, tolerance, q, expected_effect, n_tested, random_state.
    """

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
    did: dict[str, Any] | None = None
    evaluation_changed: str | None = None

    @property
    def label(self) -> str:
        """``unmeasurable: no control slice ...``: the verdict and its reason on one line."""
        return f"{self.verdict}: {self.reason}"

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
    evaluation_changed: str | None = None,
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
        evaluation_changed: a sentence saying how the evaluation differs between the runs
            (prompts, few-shot, decoding, scoring); it makes the outcome ``unmeasurable``
            whatever the slices did (checked first).

    Returns:
        :class:`Outcome` (verdict rules in the module docstring; changes in proportions).

    Raises:
        ValueError: no target slice, unknown grouping, misaligned arrays.
    """
    if not targets:
        raise ValueError("an intervention needs at least one target slice")
    arrays = [np.asarray(a, dtype=float) for a in (base_n, base_c, cand_n, cand_c)]
    keys = [("target", dict(t)) for t in targets] + [("control", dict(c)) for c in controls]
    results = []
    masks = []
    extra: list[dict[str, Any] | None] = []
    multi = bool(arrays[0].size) and (arrays[0].max() > 1 or arrays[2].max() > 1)
    for _role, key in keys:
        mask = slice_mask(labels, key)
        masks.append(mask)
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
    warnings: list[str] = []
    # per-item change, paired by item (NaN where pass@k is undefined for the item)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = per_item_scores(arrays[2], arrays[3], k) - per_item_scores(arrays[0], arrays[1], k)
    n_rows = len(next(iter(labels.values()))) if labels else 0
    in_target = np.zeros(n_rows, dtype=bool)
    in_control = np.zeros(n_rows, dtype=bool)
    for (role, _key), mask in zip(keys, masks, strict=True):
        if role == "target":
            in_target |= mask
        else:
            in_control |= mask
    shared = in_target & in_control
    if shared.any():
        warnings.append(
            f"{int(shared.sum())} control item(s) are also in a target slice; they count as "
            "targets only"
        )
    control_items = in_control & ~in_target
    n_control = int((control_items & ~np.isnan(d)).sum())
    pooled: DidResult | None = None
    if n_control >= min_size and (in_target & ~np.isnan(d)).any():
        pooled = difference_in_differences(
            d[in_target], d[control_items], random_state=random_state
        )
    rows: list[SliceOutcome] = []
    for (role, key), adj, e, mask in zip(keys, adjusted, extra, masks, strict=True):
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
        did = None
        if role == "target" and pooled is not None and (mask & ~np.isnan(d)).any():
            did = difference_in_differences(
                d[mask], d[control_items], random_state=random_state
            ).to_dict()
        rows.append(SliceOutcome(
            role=role, slice=key, n_items=r.n_items, base_score=r.base.score,
            cand_score=r.cand.score, diff=r.diff, diff_low=r.diff_lo, diff_high=r.diff_hi,
            p_value=r.p_value, p_adjusted=adj.p_adj, significant=adj.significant,
            tested=adj.tested, test=r.test, warning=r.warning, pass_at_k=pk, did=did,
        ))  # fmt: skip
        label = slice_label(key)
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
    verdict, reason = _verdict(
        rows, pooled, expected_effect, tolerance, n_control, min_size, evaluation_changed,
        n_controls=len(controls),
    )  # fmt: skip
    return Outcome(
        verdict=verdict, reason=reason, metric=metric, k=k, tolerance=tolerance, q=q,
        expected_effect=expected_effect, n_tested=adjusted[0].n_tested if adjusted else 0,
        rows=rows, warnings=warnings, random_state=random_state,
        did=None if pooled is None else pooled.to_dict(), evaluation_changed=evaluation_changed,
    )  # fmt: skip


def _pts(x: float) -> str:
    return f"{100 * x:+.1f}"


def did_text(did: Mapping[str, Any]) -> str:
    """``targets +23.3 pts, controls +27.0 pts, DiD -3.7 pts [-7.9, +0.6]``."""
    return (
        f"targets {_pts(did['target_change'])} pts, controls {_pts(did['control_change'])} pts,"
        f" DiD {_pts(did['did'])} pts [{_pts(did['did_low'])}, {_pts(did['did_high'])}]"
    )


def _verdict(
    rows: Sequence[SliceOutcome],
    pooled: DidResult | None,
    expected: float | None,
    tolerance: float,
    n_control: int,
    min_size: int,
    evaluation_changed: str | None,
    *,
    n_controls: int,
) -> tuple[str, str]:
    def name(r: SliceOutcome) -> str:
        return slice_label(r.slice)

    if evaluation_changed:
        return "unmeasurable", (
            f"the evaluation changed between the baseline and the result run "
            f"({evaluation_changed}), so the two runs do not measure the same thing"
            + (f"; {did_text(pooled.to_dict())}" if pooled is not None else "")
        )
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
    if pooled is None:
        why = (
            "none was pre-registered" if n_controls == 0
            else f"the control slices hold {n_control} item(s) outside the targets "
            f"(< {min_size})"
        )  # fmt: skip
        return "unmeasurable", (
            f"no control slice ({why}): without controls a target gain cannot be told from a "
            "change that lifts every slice (a new prompt, more training)"
        )
    gains = ", ".join(f"{name(r)} {100 * r.diff:+.1f} pts" for r in targets)
    vs = did_text(pooled.to_dict())

    def beats(r: SliceOutcome) -> bool:
        return r.did is not None and r.did["did_low"] > 0

    if all(r.significant and r.diff > 0 and beats(r) for r in targets):
        return "confirmed", (
            f"every target slice improved significantly and beat the controls ({vs})"
        )
    if any(r.significant and r.diff < 0 for r in targets):
        return "refuted", f"a target slice got significantly worse ({gains}; {vs})"
    if pooled.behind_controls:
        return "refuted", f"the controls gained significantly more than the targets ({vs})"
    threshold = expected if expected is not None else tolerance
    if all(r.did is not None and r.did["did_high"] < threshold for r in targets):
        gain = (
            f"the expected gain of {100 * threshold:.1f} points" if expected is not None
            else f"a gain of {100 * threshold:.1f} points (the tolerance; no expected gain "
            "was pre-registered)"
        )  # fmt: skip
        return "refuted", (
            f"measured against the controls, the intervals exclude {gain} on every target "
            f"slice ({vs})"
        )
    if all(r.significant and r.diff > 0 for r in targets):
        return "inconclusive", (
            f"the targets improved significantly ({gains}) but not significantly more than "
            f"the controls ({vs})"
        )
    return "inconclusive", f"not every target slice beat the controls significantly ({vs})"


_REGRESSION_WORDS = re.compile(r"\b(regress\w*|harm\w*|worse\w*|drop\w*|hurt\w*)", re.IGNORECASE)


def claims_regression(reason: str) -> bool:
    """True when a decision's reason says the change made things worse (regress..., harm...,
    worse, drop..., hurt...)."""
    return bool(_REGRESSION_WORDS.search(reason or ""))


def regression_warning(outcome: Mapping[str, Any] | None) -> str | None:
    """The warning a rejection "because of a regression" must carry, or None when the measured
    outcome shows a significant regression.

    A regression is shown when the outcome verdict is ``harmful``, some target or control
    slice is significantly worse after Benjamini-Hochberg, or the targets fell significantly
    behind the controls (DiD interval below 0). Otherwise the claim rests on a comparison that
    is not significant (or on none), and the warning says so with the numbers.
    """
    if not outcome:
        return (
            "no outcome was measured (no result run linked): the regression this rejection "
            "names is not shown by a paired comparison"
        )
    rows = outcome.get("rows") or []
    worse = [r for r in rows if r.get("significant") and (r.get("diff") or 0) < 0]
    did = outcome.get("did")
    if outcome.get("verdict") == "harmful" or worse or (did and did["did_high"] < 0):
        return None
    drops = [r for r in rows if (r.get("diff") or 0) < 0]
    shown = "; ".join(
        f"{r['role']} {slice_label(r['slice'])} "
        f"{100 * r['diff']:+.1f} pts (p adj {r['p_adjusted']:.3g})"
        for r in drops[:4]
    )
    return (
        "the measured outcome shows no significant regression"
        + (f" (drops within noise: {shown})" if shown else " (no slice dropped)")
        + (f"; {did_text(did)}" if did else "")
        + ": this rejection rests on a comparison that is not significant"
    )
