"""Weakness-targeted sampling plans. Pure: no SQL, no Textual.

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
6. **Boosted or only selected.** A selected cell (some slice and rule chose it) is *boosted*
   only when its new weight is above its base weight by more than the rounding (one
   micro-unit). A selected cell whose demand is small can still end below its base weight:
   the renormalisation that pays for the larger boosts scales it down (walk 11 #2:
   ``owm_math_qa_q3 0.0120 -> 0.011893, 0.99x`` was called boosted); it stays *selected*
   (its trace says why; the note word is ``chosen``) but is not called boosted.

This is a heuristic in the spirit of weakness-targeted / domain-reweighting methods (e.g.
DoReMi, Xie et al. 2023, which upweights domains with high excess loss; here the signal is
the evaluation deficit mapped through hand-written rules). It proposes a testable change; the
intervention log then measures whether it worked.

The plan's exports (JSON, YAML, Megatron blend, Markdown) are in
:mod:`capslice_tui.planning.export`; the measured outcome of an intervention in
:mod:`capslice_tui.analysis.outcome`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..analysis.outcome import DEFAULT_Q
from ..formatting import p_clause, pct, plural
from ..taxonomy.catalog import Catalog
from ..taxonomy.mapping import MappingRules
from ..vocabulary import label as slice_label

DEFAULT_MAX_MULTIPLIER = 3.0
DEFAULT_MAX_EPOCHS = 4.0
DEFAULT_STRENGTH = 4.0
DEFAULT_MIN_WRONG_ANSWER_SHARE = 0.5
UNITS = 1_000_000
"""Weights are exported in micro-units (6 decimals) that sum to exactly this."""
_EPS = 1e-12


def weight_text(units: int) -> str:
    """Micro-units (:data:`UNITS`) as an exact decimal string: 123456 -> ``0.123456``."""
    return f"{units // UNITS}.{units % UNITS:06d}"


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
    "mixed_causes": "wrong answers and format failures each carry part of the change",
    "no_weak_content_slice": "no content slice is weaker than the rest",
    "no_finer_slice": "the benchmark's items cannot be told apart on the content axes",
    "evaluation_sensitive": (
        "the same items score very differently under another evaluation in the store"
    ),
    "evaluation_changed": "the evaluation itself changed (prompts, few-shot, decoding or scoring)",
    "not_a_checkpoint_pair": "not two checkpoints of one training lineage",
    "identical_responses": (
        "identical responses on every shared sample: one evaluation stored twice, nothing to "
        "explain"
    ),
}
"""Diagnosis reason token -> words, one entry for every reason ``analysis.verdict`` gives
(``tests/unit/test_reason_words_everywhere.py`` holds them to it); a token from elsewhere (an
older plan file) is shown with spaces for underscores."""

GAIN_VERDICT_WORDS = {**VERDICT_WORDS, "data": "data", "not_data": "not data"}
"""Verdicts of a gain (the candidate is better): no problem to name, as the diagnosis' own
``VERDICT: DATA`` says (walk 12 #6: a +21.5-point gain read "a data problem")."""

GAIN_REASON_WORDS = {
    "format_failures": "format or termination failures carry the gain",
    "localized_wrong_answers": "answers turning right, localized in content slices",
    "broad_change": "a real gain spread over the content slices, not localized",
    "broad_capability": "a broad capability gain over the benchmark's whole domain",
}
"""The words of a reason that read differently for a gain than for a drop (a gain is not a
gap)."""

GAIN_REASON_HEADINGS = {
    "localized_wrong_answers": "localized answers turning right",
    "broad_change": "broad gain",
    "broad_capability": "broad capability gain",
}
"""The reason token as a verdict heading says it for a gain (``VERDICT: DATA (localized
answers turning right)``; ``localized wrong answers`` headed a gain carried by answers
becoming right, walk 17); other tokens read the same for a gain and a drop."""

ONE_RUN_REASON_WORDS = {
    "format_failures": "format or termination failures carry most of this run's failures",
    "mixed_causes": "the weak slices fail by a mix of wrong answers and format failures",
}
"""The words of a reason that read differently for one run (weakness mode: no change between
two runs to carry) than for a pair (:data:`REASON_WORDS`)."""


def diagnosis_words(
    verdict: str | None,
    reason: str | None = None,
    *,
    one_run: bool = False,
    direction: str | None = None,
) -> str:
    """``inconclusive (too little evidence to tell)``: a diagnosis verdict and reason in words.

    ``one_run``: the diagnosis is of one run (weakness mode), not of a change between two, so
    a reason is worded for that run (:data:`ONE_RUN_REASON_WORDS`). ``direction``: of a change
    (``drop``, ``gain``, ``none``); a gain is worded as one (:data:`GAIN_VERDICT_WORDS`,
    :data:`GAIN_REASON_WORDS`), not as a problem or a gap."""
    gain = direction == "gain" and not one_run
    verdicts = GAIN_VERDICT_WORDS if gain else VERDICT_WORDS
    text = verdicts.get(verdict or "", (verdict or "no verdict").replace("_", " "))
    if reason:
        special = ONE_RUN_REASON_WORDS if one_run else GAIN_REASON_WORDS if gain else {}
        words = special.get(reason) or REASON_WORDS.get(reason)
        text += f" ({words or reason.replace('_', ' ')})"
    return text


def is_one_run(baseline: str | None) -> bool:
    """Whether a plan's ``baseline`` names one run (weakness mode) rather than a change
    ``base -> cand`` (the form :meth:`~capslice_tui.workspace.Workspace.plan_from_diagnosis`
    gives a pair); for plans stored before :attr:`Plan.one_run` was recorded."""
    return baseline is not None and " -> " not in baseline


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
        selected: True when some slice and rule selected it (it has a trace and a demand).
        boosted: True when it is selected and its new weight is above its base weight by more
            than the rounding (:func:`rises`): a selected cell that the renormalisation scales
            down is not boosted (module docstring, step 6).
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
    selected: bool = False

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
        one_run: the diagnosis is of one run (weakness mode), not of a change between two;
            its reason is worded for that run (:func:`diagnosis_words`).
        cells: one :class:`CellPlan` per catalog cell, in catalog order.
        slices: every weak slice with its decision (included and excluded).
        warnings: things a reviewer should know (zero-weight cells selected, bounds hit...).
        summary: one sentence.
        catalog_file, mapping_file: provenance.
        direction: of the diagnosed change (``drop``, ``gain``, ``none``; None for one run):
            a gain is worded as one, not as a gap (:func:`diagnosis_words`).
        compared_with: what the weak slices were measured against, in words (``the base run
            A``, ``the reference run R``, ``the run's own average``); None when not known.
        control: what an intervention recorded with the plan would have as a control
            (:meth:`~capslice_tui.workspace.Workspace.control_room`: items of the benchmark
            left untargeted, those in the default control slices, and a ``note`` when fewer
            than 10 are left, e.g. a plan that targets every item of a benchmark with no finer
            slice); None when the plan boosts nothing, or was built without a store.
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
    one_run: bool = False
    control: dict[str, Any] | None = None
    direction: str | None = None
    compared_with: str | None = None

    def diagnosis_words(self) -> str:
        """The diagnosis verdict and reason in words, worded for one run or for a change (a
        gain as a gain)."""
        return diagnosis_words(
            self.verdict, self.reason, one_run=self.one_run, direction=self.direction
        )

    def title(self, benchmark: str | None = None, *, change: bool = False) -> str:
        """What the plan was planned from, as every front end heads it: ``plan for the gsm8k
        change A -> B`` (a pair) or ``plan for gsm8k weakness of A against the run's own
        average`` (one run alone). ``benchmark``, ``change``: for a plan that does not name
        its benchmark, or is not marked as a change (built from a hand-made slice list)."""
        bench = self.benchmark or benchmark or "-"
        if (change or not self.one_run) and self.baseline:
            return f"plan for the {bench} change {self.baseline}"
        against = f" against {self.compared_with}" if self.compared_with else ""
        return f"plan for {bench} weakness of {self.baseline or '-'}{against}"

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
        """Cells the plan gives more weight (selected, and their weight rises)."""
        return [c for c in self.cells if c.boosted]

    @property
    def selected(self) -> list[CellPlan]:
        """Cells some slice and rule selected (boosted or not), each with its trace."""
        return [c for c in self.cells if c.selected]

    @property
    def targets_shrink(self) -> bool:
        """The chosen cells together lose weight (:func:`targets_shrink`): no targeted
        boost, whatever single cells say; no intervention is offered for such a plan."""
        return targets_shrink(self.cells)

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
            "one_run": self.one_run, "summary": self.summary, "warnings": list(self.warnings),
            "control": None if self.control is None else dict(self.control),
            "direction": self.direction, "compared_with": self.compared_with,
            "catalog": self.catalog_file, "mapping": self.mapping_file,
            "weights": {c.id: weight_text(c.weight_units) for c in self.cells},
            "cells": [c.to_dict() for c in self.cells],
            "slices": [s.to_dict() for s in self.included],
            "excluded": [s.to_dict() for s in self.excluded],
            "targets_shrink": self.targets_shrink,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """Rebuild a plan from :meth:`to_dict` output (as stored with an intervention)."""
        cells = [_cell_from_dict(c) for c in data["cells"]]
        slices = [SliceDecision(**s) for s in [*data["slices"], *data["excluded"]]]
        return cls(
            baseline=data.get("baseline"), benchmark=data.get("benchmark"),
            budget_tokens=int(data["budget_tokens"]), params=dict(data["params"]),
            verdict=data.get("verdict"), cells=cells, slices=slices,
            warnings=list(data.get("warnings", [])), summary=data.get("summary", ""),
            catalog_file=data.get("catalog", ""), mapping_file=data.get("mapping", ""),
            reason=data.get("reason"), diagnosis_summary=data.get("diagnosis_summary"),
            forced=bool(data.get("forced", False)),
            one_run=bool(data.get("one_run", is_one_run(data.get("baseline")))),
            control=data.get("control"), direction=data.get("direction"),
            compared_with=data.get("compared_with"),
        )  # fmt: skip


def rises(cell: CellPlan) -> bool:
    """Whether ``cell``'s new weight is above its base weight by more than the rounding of
    weights to micro-units (one unit, :data:`UNITS`): the test of ``boosted``."""
    return cell.weight_units - cell.base_weight * UNITS > 1 + 1e-6


def _cell_from_dict(data: Mapping[str, Any]) -> CellPlan:
    """A :class:`CellPlan` from its dict; a plan stored before ``selected`` existed had
    ``boosted`` meaning selected, so there ``boosted`` is recomputed (:func:`rises`)."""
    values = dict(data)
    if "selected" not in values:
        values["selected"] = bool(values.get("boosted"))
        cell = CellPlan(**values)
        cell.boosted = cell.selected and rises(cell)
        return cell
    return CellPlan(**values)


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
    no_deficit: Mapping[str, str] | None = None,
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
        d.reasons.append((no_deficit or {}).get(d.scope) or no_deficit_reason(d.scope, True, None))
    if not significant:
        d.reasons.append(f"not significant ({p_clause(p_adj, 'p_adjusted')}, q={q:g})")
    if share is None:
        d.reasons.append(
            "no failure-mode breakdown: cannot tell wrong answers from format failures"
        )
    elif share < min_wrong_answer_share:
        d.reasons.append(
            f"failures are mostly {dominant or 'non-answer'} (wrong answers are {pct(share, 0)} "
            f"of failures, below {pct(min_wrong_answer_share, 0)}): a format/termination "
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


def no_deficit_reason(
    scope: str, one_run: bool, compared_with: str | None, benchmark: str | None = None
) -> str:
    """Why a slice with no shortfall is excluded, naming what it was measured against (walk 12
    #6: "not below the reference" when no reference was given): for a change, ``no deficit:
    the candidate is not below the base run A on this slice``; for one run, ``no deficit: the
    slice is not below the run's own average`` (or ``the reference run R``). A ``domain``
    slice carries a share of the whole benchmark's shortfall, not its own: ``... on gsm8k as a
    whole``. Without ``compared_with`` (a hand-made slice list): ``not below the
    reference``."""
    if compared_with is None:
        return "no deficit: the slice is not below the reference"
    whole = f"on {benchmark or 'the benchmark'} as a whole"
    if not one_run:
        where = whole if scope == "domain" else "on this slice"
        return f"no deficit: the candidate is not below {compared_with} {where}"
    if scope == "domain":
        return f"no deficit: the run is not below {compared_with} {whole}"
    return f"no deficit: the slice is not below {compared_with}"


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
        f"{pct(supply)} of it (raise --max-epochs or --max-multiplier, lower the budget, "
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
    one_run: bool | None = None,
    direction: str | None = None,
    compared_with: str | None = None,
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
        one_run: the diagnosis is of one run (weakness mode), so its reason is worded for that
            run; None: one run when ``baseline`` is not of the form ``base -> cand``.
        direction: of the diagnosed change (``drop``, ``gain``, ``none``): a gain is worded
            as one, not as a gap or a problem.
        compared_with: what the slices were measured against, in words (``the base run A``,
            ``the reference run R``, ``the run's own average``), named where a slice with no
            shortfall is set aside (:func:`no_deficit_reason`); None: ``the reference``.

    Returns:
        A :class:`Plan`; weights sum to exactly 1 in micro-units, tokens to the budget.

    Raises:
        PlanError: invalid parameters, a slice without ``slice``, a deficit outside [-1, 1],
            or caps too tight for the budget.
    """
    budget_tokens = _check_params(budget_tokens, max_multiplier, max_epochs, strength)
    closed = verdict is not None and verdict != "data"
    one_run = is_one_run(baseline) if one_run is None else bool(one_run)
    words = diagnosis_words(verdict, reason, one_run=one_run, direction=direction)
    gate = (
        f"the diagnosis is {words}: a targeted data fix is not indicated"
        if closed and not force
        else None
    )
    no_deficit = {
        scope: no_deficit_reason(scope, one_run, compared_with, benchmark)
        for scope in ("slice", "domain")
    }
    decisions = [
        _decide(
            s, rules, catalog, gate, q, min_wrong_answer_share, verdict == "not_data", no_deficit
        )
        for s in slices
    ]
    if reason == "evaluation_changed":
        cause = _evaluation_cause(evaluation_difference)
        for d in decisions:
            if d.non_data_causes:
                d.non_data_causes = [cause]
    cells = _cells_with_demand(decisions, rules, catalog)
    warnings = _fill_weights(cells, budget_tokens, max_multiplier, max_epochs, strength)
    summary = _summary(
        decisions, cells, gate, verdict, words, benchmark,
        gain_over=compared_with if direction == "gain" and not one_run else None,
        epochs=(budget_tokens, max_epochs),
    )  # fmt: skip
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
        diagnosis_summary=diagnosis_summary, forced=forced, one_run=one_run,
        direction=direction, compared_with=compared_with,
    )  # fmt: skip


def _check_params(
    budget_tokens: Any, max_multiplier: float, max_epochs: float, strength: float
) -> int:
    """The budget as an int, after checking the plan's parameters.

    Raises:
        PlanError: a parameter out of range (the message names it and its value).
    """
    if isinstance(budget_tokens, bool) or int(budget_tokens) != budget_tokens or budget_tokens <= 0:
        raise PlanError(f"budget_tokens must be a positive integer, got {budget_tokens!r}")
    if not max_multiplier >= 1:
        raise PlanError(f"max_multiplier must be >= 1, got {max_multiplier}")
    if not max_epochs > 0:
        raise PlanError(f"max_epochs must be > 0, got {max_epochs}")
    if not strength >= 0:
        raise PlanError(f"strength must be >= 0, got {strength}")
    return int(budget_tokens)


def _cells_with_demand(
    decisions: Sequence[SliceDecision], rules: MappingRules, catalog: Catalog
) -> list[CellPlan]:
    """One :class:`CellPlan` per catalog cell with the demand of the included slices (the
    strongest applying rule counts; every match is traced)."""
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
            plan_cell.selected = True
            for r in hits:
                plan_cell.trace.append({
                    "slice": dict(d.slice), "rule": r.id, "rule_weight": r.weight,
                    "deficit": d.deficit, "contribution": d.deficit * r.weight,
                    "counted": r is best, "rationale": r.rationale,
                })  # fmt: skip
    return cells


def _fill_weights(
    cells: list[CellPlan],
    budget_tokens: int,
    max_multiplier: float,
    max_epochs: float,
    strength: float,
) -> list[str]:
    """Set each cell's multiplier, weight (micro-units), tokens, epochs and bounds (steps 3-5
    of the module docstring); returns the warnings."""
    warnings: list[str] = []
    base = np.array([c.base_weight for c in cells], dtype=float)
    base = base / base.sum()
    m = np.array([min(max_multiplier, 1.0 + strength * c.demand) for c in cells])
    for c, mult in zip(cells, m, strict=True):
        c.target_multiplier = float(mult)
        if c.selected and c.base_weight == 0:
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
        if c.selected and 1.0 + strength * c.demand > max_multiplier:
            c.bounds.append("target_capped")
        c.boosted = c.selected and rises(c)
    for c in cells:
        if "max_epochs" in c.bounds:
            warnings.append(
                f"cell {c.id} is capped at {max_epochs:g} epochs over its "
                f"{c.tokens_available:,} tokens; the rest of its share went to the other cells"
            )
    return warnings


def _summary(
    decisions: Sequence[SliceDecision],
    cells: Sequence[CellPlan],
    gate: str | None,
    verdict: str | None,
    words: str,
    benchmark: str | None,
    gain_over: str | None = None,
    epochs: tuple[int, float] | None = None,
) -> str:
    """The plan's one-sentence summary (before a ``FORCED`` prefix). ``gain_over``: the base
    run of a change that is a gain (``the base run A``), so a plan that boosts nothing says
    the candidate gained rather than that its slices were "weak". ``epochs``: (budget,
    epoch cap), to name the cap when it is what holds the chosen cells down
    (:func:`epoch_cap_text`)."""
    included = [d for d in decisions if d.included]
    boosted = [c for c in cells if c.boosted]
    shrunk = [c for c in cells if c.selected and not c.boosted]
    domain = bool(decisions) and all(d.scope == "domain" for d in decisions)
    of_domain = f" of the whole {benchmark or 'benchmark'} domain" if domain else ""
    what = ("label groups" if domain else "weak slices") + of_domain
    n = len(decisions)
    noun = "label group" if domain else "slice" if gain_over else "weak slice"
    counted = (f"the one {noun}{of_domain} was" if n == 1
               else f"all {plural(n, noun)}{of_domain} were")  # fmt: skip
    if gate is not None:
        fix = (
            "fix the non-data cause first" if verdict == "not_data"
            else "look at the diagnosis before changing data"
        )  # fmt: skip
        # --force lifts the gate only: offered when some slice has no other reason to be out
        force = (
            "--force boosts anyway"
            if any(d.reasons == [gate] for d in decisions)
            else "--force would boost nothing: each is also set aside for its own reason below"
        )
        aside = f"{plural(n, noun)}{of_domain} set aside"
        if not decisions:  # stat-01: no list below to point at, nothing to set aside
            aside, force = f"no {noun}{of_domain} to boost", "--force would boost nothing"
        summary = (
            f"No data boost: the diagnosis is {words}; the mixture is unchanged "
            f"({aside}; {fix}; {force})."
        )
    elif not decisions:
        summary = "No weak slice was given: the plan keeps the current mixture."
    elif not included and gain_over is not None:
        summary = (
            f"No data boost: the change is a gain (the candidate is above {gain_over}), so no "
            f"slice has a shortfall to target: {counted} set aside; the mixture is unchanged."
        )
    elif not included:
        summary = (
            f"No data boost: {counted} excluded ({_reason_summary(decisions)}); the mixture "
            "is unchanged."
        )
    else:
        capped = epoch_cap_text(cells, *epochs) if epochs else None
        if capped is not None and targets_shrink(cells):
            return capped
        largest = max((c.multiplier for c in boosted if c.base_weight > 0), default=None)
        held = [c for c in shrunk if "max_epochs" in c.bounds]
        small = len(shrunk) - len(held)
        more = (
            f"; {plural(small, 'more cell')} the rules chose "
            f"{'gains' if small == 1 else 'gain'} no weight (too small a boost to "
            "outweigh the renormalisation)"
            if small
            else ""
        ) + (f"; {capped}" if held and capped else "")
        summary = (
            f"{len(included)} of {len(decisions)} {what} boost {len(boosted)} of "
            f"{len(cells)} cells"
            + (f" (largest multiplier {largest:.2f}x)" if largest is not None else "")
            + f"{more}; {len(decisions) - len(included)} excluded; untouched cells keep their "
            "proportions."
        )
    return summary


def targets_shrink(cells: Sequence[CellPlan]) -> bool:
    """The cells the rules chose hold, together, no more of the new mixture than of the
    base one (walk 18 F9: 0.0800 -> 0.0752 at a 2e12-token budget): the plan does not
    target anything, whatever its boosted cells say."""
    chosen = [c for c in cells if c.selected]
    if not chosen:
        return False
    units = sum(c.weight_units for c in chosen)
    total = sum(c.base_weight for c in cells) or 1.0
    return units <= round(sum(c.base_weight for c in chosen) / total * UNITS)


def epoch_budgets(cells: Sequence[CellPlan], max_epochs: float) -> tuple[int, int] | None:
    """For the chosen cells: (the largest budget at which each one's boosted share, base
    weight x its multiplier before renormalising, fits ``max_epochs`` epochs over its tokens;
    the largest at which its base share alone does), in tokens; None without a chosen cell
    with weight and tokens."""
    total = sum(c.base_weight for c in cells) or 1.0
    chosen = [c for c in cells if c.selected and c.base_weight > 0 and c.tokens_available]
    if not chosen:
        return None
    fit = [max_epochs * c.tokens_available / (c.base_weight / total) for c in chosen]
    boost = [f / c.target_multiplier for f, c in zip(fit, chosen, strict=True)]
    return int(min(boost)), int(min(fit))


def epoch_cap_text(cells: Sequence[CellPlan], budget: int, max_epochs: float) -> str | None:
    """When the epoch cap holds chosen cells at or below their base share: which cells, the
    epochs their base share alone would need at this budget, and the budget (or cap) that
    would let the boost work; None when no chosen cell is held by it. When the chosen cells
    together shrink (:func:`targets_shrink`) it is the plan's headline: no targeted boost."""
    total = sum(c.base_weight for c in cells) or 1.0
    held = [c for c in cells if c.selected and not c.boosted and "max_epochs" in c.bounds]
    if not held:
        return None
    need = {c.id: c.base_weight / total * budget / c.tokens_available for c in held}
    named = ", ".join(f"{c.id} ({need[c.id]:.1f} epochs at its base share)" for c in held)
    budgets = epoch_budgets(cells, max_epochs)
    works = (
        f"a budget of at most {budgets[0]:,} tokens fits every chosen cell's boost (above "
        f"{budgets[1]:,} a chosen cell's base share alone passes the cap), or raise "
        "--max-epochs, or add data to those cells"
        if budgets
        else "raise --max-epochs or add data to those cells"
    )
    if not targets_shrink(cells):
        return (
            f"the {max_epochs:g}-epoch cap holds {plural(len(held), 'chosen cell')} at or "
            f"below {'its base share' if len(held) == 1 else 'their base shares'}: {named}"
        )
    chosen = [c for c in cells if c.selected]
    base = sum(c.base_weight for c in chosen) / total
    new = sum(c.weight_units for c in chosen) / UNITS
    return (
        f"No targeted boost at this budget ({budget:,} tokens): the {max_epochs:g}-epoch cap "
        f"holds {named} at or below {'its base share' if len(held) == 1 else 'their base shares'}, so the {plural(len(chosen), 'cell')} the "
        f"rules chose go from {base:.4f} to {new:.4f} of the mixture while untouched cells "
        f"take the rest; {works}."
    )


def _reason_summary(decisions: Sequence[SliceDecision]) -> str:
    counts: dict[str, int] = {}
    for d in decisions:
        first = d.reasons[0] if d.reasons else "included"
        short = first.split(":")[0].split(" (")[0]
        counts[short] = counts.get(short, 0) + 1
    return "; ".join(f"{n} {r}" for r, n in counts.items())
