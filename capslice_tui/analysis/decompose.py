"""Where an accuracy change (or a weakness) comes from: failure modes, axis slices, combinations.

Pure numpy/scipy. Two tools:

- :func:`decompose_change`: split the accuracy change between two aligned runs into
  (a) failure-mode shifts and (b) per-slice contributions on every axis, and measure how
  concentrated the change is on the content axes.
- :func:`decompose_weakness`: the same view for one run against its own average (or a
  reference run).

The slice search (SliceLine, significant and paired slices) is in
:mod:`capslice_tui.analysis.slice_search`.

Concentration thresholds (documented defaults, overridable):

- a slice *moves* when its delta has the sign of the total change; slices with fewer than
  ``min_size`` items (sum of weights) are not counted;
- the *carrying* slices are the fewest eligible slices that together carry >= ``CARRY_SHARE``
  (60%) of the change in the direction of the total (largest first);
- ``concentrated``: the carrying slices hold <= ``CONCENTRATED_WEIGHT`` (35%) of the eligible
  items, i.e. the change sits in a minority of the items (checked first, so a small drift of
  every slice does not hide a localized drop);
- ``spread``: otherwise, when the change moves >= ``SPREAD_FRACTION`` (80%) of the eligible
  slices;
- ``mixed``: neither; ``no_change``: total change 0 or no slice moves.
Over the content axes: ``concentrated`` if any content axis is concentrated, ``spread`` if
every informative content axis (>= 2 eligible slices) is spread, else ``mixed``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from capslice_tui.analysis.failure_modes import FORMAT_MODES, MODES
from capslice_tui.analysis.inputs import (
    UNLABELLED,
    float_values,
    label_codes,
    mode_masks,
    mode_values,
)
from capslice_tui.analysis.metrics import MIN_SLICE_SIZE, wilson_interval
from capslice_tui.vocabulary import CONTENT_AXES as CONTENT_AXES

SPREAD_FRACTION = 0.8
CARRY_SHARE = 0.6
CONCENTRATED_WEIGHT = 0.35


# ---------------------------------------------------------------- input helpers


def _shares(
    modes: np.ndarray, w: np.ndarray, masks: Mapping[str, np.ndarray] | None = None
) -> dict[str, float]:
    """Weighted share of each mode; ``masks``: ``mode_masks(modes)`` when already made."""
    total = float(w.sum())
    is_mode = mode_masks(modes) if masks is None else masks
    return {m: float(w[is_mode[m]].sum() / total) if total else math.nan for m in MODES}


# ---------------------------------------------------------------- change decomposition


@dataclass(frozen=True)
class SliceDelta:
    """One axis value's part in a change.

    Attributes:
        axis, value: the slice.
        n: rows in the slice; items: sum of row weights (items when weights are 1/samples).
        weight: items / all items.
        base_correct, cand_correct: weighted correct counts.
        base_score, cand_score: slice accuracy in each run.
        delta: cand_score − base_score.
        contribution: weight · delta, in points of overall accuracy (sums to the total).
        eligible: items >= min_size (counted in concentration).
    """

    axis: str
    value: str
    n: int
    items: float
    weight: float
    base_correct: float
    cand_correct: float
    base_score: float
    cand_score: float
    delta: float
    contribution: float
    eligible: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class Concentration:
    """How concentrated a change is on one axis (thresholds in the module docstring).

    Attributes:
        axis: the axis.
        n_eligible: slices with items >= min_size.
        n_moving: eligible slices whose delta has the sign of the total change.
        spread_fraction: n_moving / n_eligible.
        top_value: slice carrying the largest share of the change, or None.
        top_share: that share (of the change in the direction of the total).
        n_carrying: fewest slices that together carry >= CARRY_SHARE of it.
        carrying_weight: share of the eligible items held by those slices.
        entropy: normalised Shannon entropy of the carried shares (1 = even, 0 = one slice).
        pattern: ``spread`` | ``concentrated`` | ``mixed`` | ``no_change`` | ``single_slice``.
    """

    axis: str
    n_eligible: int
    n_moving: int
    spread_fraction: float
    top_value: str | None
    top_share: float
    n_carrying: int
    carrying_weight: float
    entropy: float
    pattern: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class Decomposition:
    """An accuracy change split by failure mode and by slice.

    Attributes:
        n_rows: aligned rows (items, or samples with weights).
        n_items: sum of weights.
        base_score, cand_score: weighted accuracy of each run.
        total_change: cand_score − base_score (points of accuracy as a proportion).
        mode_shares_base, mode_shares_cand: weighted share of rows in each mode.
        mode_contributions: for each non-correct mode, −(share change): its part of the
            accuracy change (negative = it caused a drop). Sums to the change in the share
            of ``correct`` (= total_change when modes agree with correctness).
        mode_residual: total_change − Σ mode_contributions (0 when modes agree).
        format_contribution: Σ mode_contributions over FORMAT_MODES.
        wrong_answer_contribution: mode_contributions["wrong_answer"].
        lost, gained: weighted rows correct→wrong and wrong→correct.
        lost_by_mode: weighted lost rows by the candidate's failure mode.
        transitions: base mode → cand mode → weighted rows.
        axes: axis → list of :class:`SliceDelta` (sorted by contribution, most negative first).
        concentration: axis → :class:`Concentration`.
        content_pattern: ``spread`` | ``concentrated`` | ``mixed`` | ``no_change``.
        content_axes: the axes treated as content.
        min_size: minimum slice size used.
    """

    n_rows: int
    n_items: float
    base_score: float
    cand_score: float
    total_change: float
    mode_shares_base: dict[str, float]
    mode_shares_cand: dict[str, float]
    mode_contributions: dict[str, float]
    mode_residual: float
    format_contribution: float
    wrong_answer_contribution: float
    lost: float
    gained: float
    lost_by_mode: dict[str, float]
    transitions: dict[str, dict[str, float]]
    axes: dict[str, list[SliceDelta]]
    concentration: dict[str, Concentration]
    content_pattern: str
    content_axes: tuple[str, ...] = CONTENT_AXES
    min_size: int = MIN_SLICE_SIZE

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["content_axes"] = list(self.content_axes)
        return d


def _concentration(axis: str, deltas: list[SliceDelta], total: float) -> Concentration:
    elig = [d for d in deltas if d.eligible]
    m = len(elig)
    if m < 2:
        return Concentration(
            axis, m, 0, math.nan, None, math.nan, 0, math.nan, math.nan, "single_slice"
        )
    sign = np.sign(total)
    if sign == 0:
        return Concentration(axis, m, 0, 0.0, None, 0.0, 0, 0.0, math.nan, "no_change")
    moving = [d for d in elig if np.sign(d.delta) == sign]
    carried = np.array([max(sign * d.contribution, 0.0) for d in elig])
    total_carried = carried.sum()
    if not moving or total_carried <= 0:
        return Concentration(axis, m, 0, 0.0, None, 0.0, 0, 0.0, math.nan, "no_change")
    shares = carried / total_carried
    order = np.argsort(-shares, kind="stable")
    cum = np.cumsum(shares[order])
    n_carrying = int(np.searchsorted(cum, CARRY_SHARE - 1e-12) + 1)
    nz = shares[shares > 0]
    entropy = float(-(nz * np.log(nz)).sum() / math.log(m))
    spread_fraction = len(moving) / m
    items = np.array([d.items for d in elig])
    carrying_weight = float(items[order[:n_carrying]].sum() / items.sum())
    if carrying_weight <= CONCENTRATED_WEIGHT:
        pattern = "concentrated"
    elif spread_fraction >= SPREAD_FRACTION:
        pattern = "spread"
    else:
        pattern = "mixed"
    return Concentration(
        axis=axis, n_eligible=m, n_moving=len(moving), spread_fraction=spread_fraction,
        top_value=elig[int(order[0])].value, top_share=float(shares[order[0]]),
        n_carrying=n_carrying, carrying_weight=carrying_weight, entropy=entropy,
        pattern=pattern,
    )  # fmt: skip


def _content_pattern(conc: Mapping[str, Concentration], content_axes: Sequence[str]) -> str:
    pats = [conc[a].pattern for a in content_axes if a in conc]
    informative = [p for p in pats if p != "single_slice"]
    if not informative or all(p == "no_change" for p in informative):
        return "no_change"
    if any(p == "concentrated" for p in informative):
        return "concentrated"
    if all(p == "spread" for p in informative):
        return "spread"
    return "mixed"


def decompose_change(
    axis_labels: Mapping[str, Any],
    base_correct: Any,
    cand_correct: Any,
    base_modes: Any,
    cand_modes: Any,
    weights: Any = None,
    content_axes: Sequence[str] = CONTENT_AXES,
    min_size: int = MIN_SLICE_SIZE,
) -> Decomposition:
    """Split the accuracy change between two aligned runs by failure mode and by slice.

    Args:
        axis_labels: axis → labels per row, shape (m,) each (None/"" = unlabelled).
        base_correct, cand_correct: per-row score in [0, 1], shape (m,), aligned by item
            (and sample index when rows are samples).
        base_modes, cand_modes: per-row failure mode (str or FailureMode), shape (m,).
        weights: per-row weight, shape (m,); use 1/n_samples_of_item for sample rows so that
            every item weighs 1. Default 1.
        content_axes: axes whose concentration decides ``content_pattern``.
        min_size: slices with fewer items (sum of weights) are not counted in concentration.

    Returns:
        :class:`Decomposition`. Per-axis contributions weight·delta sum to ``total_change``.

    Raises:
        ValueError: arrays of different lengths, NaN scores, unknown modes, zero total weight.
    """
    bc = float_values("base_correct", base_correct)
    m = bc.size
    cc = float_values("cand_correct", cand_correct, m)
    w = np.ones(m) if weights is None else float_values("weights", weights, m)
    if w.sum() <= 0:
        raise ValueError("decompose_change: total weight must be > 0")
    bm = mode_values("base_modes", base_modes, m)
    cm = mode_values("cand_modes", cand_modes, m)
    wsum = float(w.sum())
    base_score = float((w * bc).sum() / wsum)
    cand_score = float((w * cc).sum() / wsum)
    total = cand_score - base_score
    # one mask per mode and side (object arrays compare in Python: issue 14)
    b_is, c_is = mode_masks(bm), mode_masks(cm)
    sb, sc = _shares(bm, w, b_is), _shares(cm, w, c_is)
    contrib = {mode: -(sc[mode] - sb[mode]) for mode in MODES if mode != "correct"}
    residual = total - sum(contrib.values())
    lost_mask = (bc >= 0.5) & (cc < 0.5)
    gained_mask = (bc < 0.5) & (cc >= 0.5)
    lost_by_mode = {mode: float(w[lost_mask & c_is[mode]].sum()) for mode in MODES}
    transitions: dict[str, dict[str, float]] = {}
    for a in MODES:
        row = {b: float(w[b_is[a] & c_is[b]].sum()) for b in MODES}
        transitions[a] = {b: v for b, v in row.items() if v}
    axes: dict[str, list[SliceDelta]] = {}
    conc: dict[str, Concentration] = {}
    for axis, raw in axis_labels.items():
        _, values, inv = label_codes(axis, raw, m)
        items = np.bincount(inv, weights=w, minlength=values.size)
        rows = np.bincount(inv, minlength=values.size)
        b_k = np.bincount(inv, weights=w * bc, minlength=values.size)
        c_k = np.bincount(inv, weights=w * cc, minlength=values.size)
        deltas = []
        for j, v in enumerate(values):
            bs_ = b_k[j] / items[j] if items[j] else math.nan
            cs_ = c_k[j] / items[j] if items[j] else math.nan
            weight = items[j] / wsum
            deltas.append(
                SliceDelta(
                    axis=axis,
                    value=str(v),
                    n=int(rows[j]),
                    items=float(items[j]),
                    weight=float(weight),
                    base_correct=float(b_k[j]),
                    cand_correct=float(c_k[j]),
                    base_score=float(bs_),
                    cand_score=float(cs_),
                    delta=float(cs_ - bs_),
                    contribution=float(weight * (cs_ - bs_)),
                    eligible=bool(items[j] >= min_size and v != UNLABELLED),
                )  # fmt: skip
            )
        deltas.sort(key=lambda d: (d.contribution, d.value))
        axes[axis] = deltas
        conc[axis] = _concentration(axis, deltas, total)
    return Decomposition(
        n_rows=m, n_items=wsum, base_score=base_score, cand_score=cand_score,
        total_change=total, mode_shares_base=sb, mode_shares_cand=sc,
        mode_contributions=contrib, mode_residual=float(residual),
        format_contribution=float(sum(contrib[f] for f in FORMAT_MODES)),
        wrong_answer_contribution=float(contrib["wrong_answer"]),
        lost=float(w[lost_mask].sum()), gained=float(w[gained_mask].sum()),
        lost_by_mode=lost_by_mode, transitions=transitions, axes=axes, concentration=conc,
        content_pattern=_content_pattern(conc, content_axes),
        content_axes=tuple(content_axes), min_size=min_size,
    )  # fmt: skip


# ---------------------------------------------------------------- weakness (one run)


@dataclass(frozen=True)
class SliceDeficit:
    """One axis value's weakness in a single run.

    Attributes:
        axis, value, n (rows), items (sum of weights), weight (items share).
        correct: weighted correct count; score: slice accuracy; lo, hi: Wilson 95% interval
            on (correct, items) (approximate when weights are fractional).
        reference_score: the overall score, or the reference run's score on the slice.
        deficit: score − reference_score (negative = weaker than the reference).
        contribution: weight · deficit (points of overall accuracy).
        mode_shares: weighted share of each failure mode inside the slice (empty if no modes).
        eligible: items >= min_size.
    """

    axis: str
    value: str
    n: int
    items: float
    weight: float
    correct: float
    score: float
    lo: float
    hi: float
    reference_score: float
    deficit: float
    contribution: float
    mode_shares: dict[str, float]
    eligible: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class Weakness:
    """Per-slice deficits of one run.

    Attributes:
        n_rows, n_items, score: the run's size and weighted accuracy.
        reference: ``"own average"`` or ``"reference run"``.
        reference_score: the overall reference accuracy.
        mode_shares: weighted failure-mode shares over the whole run (empty if no modes).
        axes: axis → list of :class:`SliceDeficit` sorted by contribution (weakest first).
        rows_correct: unweighted sum of the per-row scores (correct samples when rows are
            samples), so ``rows_correct / n_rows`` is the accuracy pooled over samples.
    """

    n_rows: int
    n_items: float
    score: float
    reference: str
    reference_score: float
    mode_shares: dict[str, float]
    axes: dict[str, list[SliceDeficit]]
    rows_correct: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def decompose_weakness(
    axis_labels: Mapping[str, Any],
    correct: Any,
    modes: Any = None,
    weights: Any = None,
    reference_correct: Any = None,
    min_size: int = MIN_SLICE_SIZE,
) -> Weakness:
    """Deficit of every slice against the run's own average (or an aligned reference run).

    deficit_v = score_v − ref_v with ref_v the overall score (or the reference run's score on
    slice v); contribution_v = weight_v · deficit_v. Against the own average the weighted
    contributions of one axis sum to 0; against a reference run they sum to the total gap.

    Args:
        axis_labels: axis → labels per row, shape (m,).
        correct: per-row score in [0, 1], shape (m,).
        modes: per-row failure mode, shape (m,), optional.
        weights: per-row weight (1/n_samples for sample rows), optional.
        reference_correct: the reference run's per-row scores on the same rows, optional.
        min_size: slices with fewer items are flagged not eligible.

    Raises:
        ValueError: arrays of different lengths, NaN scores, unknown modes.
    """
    c = float_values("correct", correct)
    m = c.size
    w = np.ones(m) if weights is None else float_values("weights", weights, m)
    if w.sum() <= 0:
        raise ValueError("decompose_weakness: total weight must be > 0")
    md = None if modes is None else mode_values("modes", modes, m)
    ref = (
        None
        if reference_correct is None
        else float_values("reference_correct", reference_correct, m)
    )
    wsum = float(w.sum())
    score = float((w * c).sum() / wsum)
    ref_score = score if ref is None else float((w * ref).sum() / wsum)
    axes: dict[str, list[SliceDeficit]] = {}
    for axis, raw in axis_labels.items():
        _, values, inv = label_codes(axis, raw, m)
        items = np.bincount(inv, weights=w, minlength=values.size)
        rows = np.bincount(inv, minlength=values.size)
        k = np.bincount(inv, weights=w * c, minlength=values.size)
        rk = None if ref is None else np.bincount(inv, weights=w * ref, minlength=values.size)
        out = []
        for j, v in enumerate(values):
            s = k[j] / items[j]
            r = ref_score if rk is None else rk[j] / items[j]
            lo, hi = wilson_interval(min(k[j], items[j]), items[j])
            shares = {} if md is None else _shares(md[inv == j], w[inv == j])
            out.append(
                SliceDeficit(
                    axis=axis,
                    value=str(v),
                    n=int(rows[j]),
                    items=float(items[j]),
                    weight=float(items[j] / wsum),
                    correct=float(k[j]),
                    score=float(s),
                    lo=lo,
                    hi=hi,
                    reference_score=float(r),
                    deficit=float(s - r),
                    contribution=float(items[j] / wsum * (s - r)),
                    mode_shares=shares,
                    eligible=bool(items[j] >= min_size and v != UNLABELLED),
                )  # fmt: skip
            )
        out.sort(key=lambda d: (d.contribution, d.value))
        axes[axis] = out
    return Weakness(
        n_rows=m, n_items=wsum, score=score,
        reference="own average" if ref is None else "reference run",
        reference_score=ref_score, mode_shares={} if md is None else _shares(md, w), axes=axes,
        rows_correct=float(c.sum()),
    )  # fmt: skip


def regression_errors(base_correct: Any, cand_correct: Any) -> np.ndarray:
    """Per-row "error" for a slice search on a change: max(base − cand, 0).

    For 0/1 scores this is 1 exactly where the row went right → wrong. Shape (m,).
    """
    b = float_values("base_correct", base_correct)
    c = float_values("cand_correct", cand_correct, b.size)
    return np.maximum(b - c, 0.0)
