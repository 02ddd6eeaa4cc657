"""The measured outcome of a data intervention: targets against controls, paired by item.

Pure: no SQL, no Textual.

:func:`evaluate_outcome` compares a result run with the baseline on pre-registered target and
control slices, paired by item. Per slice :func:`~capslice_tui.analysis.compare.paired_compare`
on the items both runs share, Benjamini-Hochberg across all target and control slices
(:func:`~capslice_tui.analysis.compare.adjust`). The intervention's effect is measured against
the controls by :func:`difference_in_differences`: with ``d_i = score_result(i) -
score_baseline(i)`` per item (c/n, or pass@k), ``DiD = mean(d over target items) - mean(d over
control items)`` (control items that are also target items are left out of the controls), with
a 95% stratified paired-bootstrap interval. A change that lifts every slice alike (a new prompt,
a longer training run) lifts the controls as much as the targets, and its DiD is near 0.

Outcomes, in this order:

- ``unmeasurable`` when the evaluation changed between the baseline and the result run
  (``evaluation_changed`` given by the caller: prompts, few-shot, decoding or scoring differ),
  so the runs do not measure the same thing and no change can be put down to the data;
- ``harmful``: some control slice dropped by at least ``tolerance`` (default 2 points) and is
  significant after correction;
- ``unmeasurable``: some target slice has no item in both runs (none at all, or, for pass@k,
  none with k samples): the pre-registered claim about it cannot be measured;
- ``inconclusive``: no target slice has enough items to test;
- ``unmeasurable``: no control slice (none given, or none with items outside the targets, or
  fewer than ``min_size`` control items; the targets may cover every item, as a plan for a
  benchmark with no finer slice does): without controls a target gain cannot be told from a
  change that lifts everything. The reason then gives the paired change over the pooled
  target items labelled uncontrolled (:func:`uncontrolled_change`), never a DiD;
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
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..formatting import (
    ITEM_MEAN_ACCURACY,
    ONE_SAMPLE_ACCURACY,
    change_span,
    confidence_pct,
    p_clause,
    pct,
    plural,
    points,
    row_p_adj,
)
from ..vocabulary import Outcome as OutcomeName
from ..vocabulary import label as slice_label
from .compare import PairedResult, adjust, paired_compare
from .metrics import MIN_SLICE_SIZE, WARN_SLICE_SIZE, per_item_scores, percentile_interval

DEFAULT_Q = 0.05
"""False discovery rate for Benjamini-Hochberg across an intervention's slices."""
DEFAULT_TOLERANCE = 0.02
"""A control drop (proportion) that counts as harm."""
DID_RESAMPLES = 2000
"""Bootstrap resamples of the difference-in-differences interval."""


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
        f"{confidence_pct(level)} interval",
        n_resamples=n_resamples, random_state=random_state,
    )  # fmt: skip


@dataclass
class SliceOutcome:
    """One target or control slice: result run minus baseline on the shared items.

    Attributes:
        role: ``target`` or ``control``; slice: ``{grouping: value}``.
        n_items: paired items; base_score, cand_score; diff, diff_low, diff_high (proportions);
        p_value, p_adjusted (BH over all tested slices), significant, test, warning, tested;
        n_boot: the bootstrap resamples of the test (0 for McNemar's exact test).
        pass_at_k: for multi-sample runs compared on accuracy, ``{k, base, cand, diff,
            diff_low, diff_high, p_value, p_adjusted}`` at k = the smallest samples-per-item in
            the slice (else None; None too when the outcome's metric is already pass@k).
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
    n_boot: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


OUTCOME_KEY = "verdict"
"""The JSON key of the outcome name in :meth:`InterventionOutcome.to_dict` and in the stored
intervention record. The code calls it the outcome (``verdict`` means only a diagnosis: data,
not_data, inconclusive); the key keeps its first name so stores, exchange files and scripts
written before stay readable; read it with :func:`outcome_name`."""


def outcome_name(outcome: Mapping[str, Any] | None) -> str | None:
    """The outcome name (``confirmed``...) of an outcome dict (:data:`OUTCOME_KEY`); None when
    there is none."""
    if not outcome:
        return None
    name = outcome.get(OUTCOME_KEY)
    return None if name is None else str(name)


@dataclass
class InterventionOutcome:
    """An intervention's measured outcome (rules in the module docstring).

    Attributes:
        outcome: ``confirmed``, ``refuted``, ``harmful``, ``inconclusive`` or ``unmeasurable``
            (:data:`capslice_tui.vocabulary.OUTCOMES`; JSON key :data:`OUTCOME_KEY`);
            reason: why, in words.
        did: the pooled targets against the pooled controls (:class:`DidResult` as a dict), or
            None when there is no control item (then the outcome is ``unmeasurable``).
        evaluation_changed: the caller's description of how the evaluation differs between the
            two runs (None when it does not, or was not checked).
        uncontrolled: when the outcome is ``unmeasurable`` for want of controls, the paired
            change over every targeted item, labelled uncontrolled
            (:func:`uncontrolled_change`; it never decides the outcome), else None.
        rows, warnings, metric, k, tolerance, q, expected_effect, n_tested, random_state.
    """

    outcome: OutcomeName
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
    uncontrolled: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        """``unmeasurable: no control slice ...``: the outcome and its reason on one line."""
        return f"{self.outcome}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; the outcome name is under :data:`OUTCOME_KEY`."""
        d = asdict(self)
        d = {OUTCOME_KEY: d.pop("outcome"), **d}
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
    masks: Sequence[np.ndarray] | None = None,
) -> InterventionOutcome:
    """Judge an intervention on aligned per-item counts of the baseline and the result run.

    Args:
        targets, controls: pre-registered slices ``{grouping: value}`` (groupings are keys of
            ``labels``: task, benchmark or an axis).
        labels: grouping -> array of shape (m,) with each row's value.
        base_n, base_c, cand_n, cand_c: shape (m,), samples and correct per item, aligned.
        k: None compares accuracy (the mean of per-item accuracies, the unbiased pass@1 when
            sampled; one sample's accuracy otherwise); an int compares pass@k.
        expected_effect: pre-registered gain on targets (proportion), used by ``refuted``.
        tolerance: control regression that counts as harm (proportion, default 0.02).
        q: false discovery rate for BH across all target and control slices.
        evaluation_changed: a sentence saying how the evaluation differs between the runs
            (prompts, few-shot, decoding, scoring); it makes the outcome ``unmeasurable``
            whatever the slices did (checked first).
        masks: each slice's rows (targets then controls, as ``keys``), when its membership
            is frozen (the items it held when the outcome was first measured) instead of
            read from ``labels``. A control row is measured on its control-only items (those
            in no target slice), the items the verdict's "controls" pools (walk 18 F2).

    Returns:
        :class:`InterventionOutcome` (rules in the module docstring; changes in proportions).

    Raises:
        ValueError: no target slice, unknown grouping, misaligned arrays.
    """
    if not targets:
        raise ValueError("an intervention needs at least one target slice")
    arrays = [np.asarray(a, dtype=float) for a in (base_n, base_c, cand_n, cand_c)]
    keys = [("target", dict(t)) for t in targets] + [("control", dict(c)) for c in controls]
    multi = bool(arrays[0].size) and (arrays[0].max() > 1 or arrays[2].max() > 1)
    if masks is None:
        masks = [slice_mask(labels, key) for _role, key in keys]
    masks = [np.asarray(m, dtype=bool) for m in masks]
    results, extra = _slice_tests(keys, masks, arrays, k, multi, random_state, min_size)
    adjusted = adjust(results, [f"{r}:{json.dumps(k_)}" for r, k_ in keys], q=q)
    pk_results = [e["result"] for e in extra if e is not None]
    pk_adjusted = iter(adjust(pk_results, q=q)) if pk_results else iter(())
    warnings: list[str] = []
    # per-item change, paired by item (NaN where pass@k is undefined for the item)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = per_item_scores(arrays[2], arrays[3], k) - per_item_scores(arrays[0], arrays[1], k)
    n_rows = len(next(iter(labels.values()))) if labels else 0
    in_target, control_items, n_control, pooled = _pooled_did(
        keys, masks, d, n_rows, min_size, random_state, warnings
    )
    rows: list[SliceOutcome] = []
    for (role, key), adj, e, mask in zip(keys, adjusted, extra, masks, strict=True):
        did = None
        if role == "target" and pooled is not None and (mask & ~np.isnan(d)).any():
            did = difference_in_differences(
                d[mask], d[control_items], random_state=random_state
            ).to_dict()
        pk = None if e is None else _pass_at_k_row(e, next(pk_adjusted))
        rows.append(_slice_outcome(role, key, adj, pk, did))
        warning = _size_warning(role, key, adj.result.n_items, min_size)
        if warning:
            warnings.append(warning)
    metric = f"pass@{k}" if k else (ITEM_MEAN_ACCURACY if multi else ONE_SAMPLE_ACCURACY)
    uncontrolled = None
    if pooled is None and not evaluation_changed:  # a changed evaluation measures nothing
        uncontrolled = uncontrolled_change(
            in_target, arrays, k, random_state, n_control=n_control, min_size=min_size
        )
    name, reason = _judge(
        rows, pooled, expected_effect, tolerance, n_control, min_size, evaluation_changed,
        n_controls=len(controls), n_control_all=int(control_items.sum()), k=k,
        uncontrolled=uncontrolled,
    )  # fmt: skip
    return InterventionOutcome(
        outcome=name, reason=reason, metric=metric, k=k, tolerance=tolerance, q=q,
        expected_effect=expected_effect, n_tested=adjusted[0].n_tested if adjusted else 0,
        rows=rows, warnings=warnings, random_state=random_state,
        did=None if pooled is None else pooled.to_dict(), evaluation_changed=evaluation_changed,
        uncontrolled=uncontrolled if name == "unmeasurable" else None,
    )  # fmt: skip


def _slice_tests(
    keys: Sequence[tuple[str, dict[str, str]]],
    masks: Sequence[np.ndarray],
    arrays: Sequence[np.ndarray],
    k: int | None,
    multi: bool,
    random_state: int,
    min_size: int,
) -> tuple[list[PairedResult], list[dict[str, Any] | None]]:
    """Per slice (rows ``masks``): the paired comparison at ``k`` and, for multi-sample runs
    compared on accuracy (``k`` None), ``{k, result}`` at k = the slice's smallest
    samples-per-item (else None: when ``k`` is given the comparison is already pass@k, and a
    second column at another k would put two ks in one row). A control slice is tested on
    its items outside every target slice: the items the pooled "controls" are (walk 18 F2:
    a control row said +7.7 on 64 items while the verdict said controls -1.0 on 50)."""
    results = []
    extra: list[dict[str, Any] | None] = []
    in_target = np.zeros(len(arrays[0]), dtype=bool)
    for (role, _key), mask in zip(keys, masks, strict=True):
        if role == "target":
            in_target |= mask
    for (role, _key), mask in zip(keys, masks, strict=True):
        if role != "target":
            mask = mask & ~in_target
        bn, bc, cn, cc = (a[mask] for a in arrays)
        results.append(paired_compare(bn, bc, cn, cc, k=k, random_state=random_state,
                                      min_size=min_size))  # fmt: skip
        if multi and mask.any() and k is None:  # at a given k the metric is already pass@k
            kk = int(min(bn.min(), cn.min()))
            extra.append({"k": kk, "result": paired_compare(
                bn, bc, cn, cc, k=kk, random_state=random_state, min_size=min_size)})  # fmt: skip
        else:
            extra.append(None)
    return results, extra


def _pooled_did(
    keys: Sequence[tuple[str, dict[str, str]]],
    masks: Sequence[np.ndarray],
    d: np.ndarray,
    n_rows: int,
    min_size: int,
    random_state: int,
    warnings: list[str],
) -> tuple[np.ndarray, np.ndarray, int, DidResult | None]:
    """The target items, the control-only items, how many of those have a change, and the
    pooled targets against them (None with fewer than ``min_size`` control items); warns when
    controls overlap targets."""
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
            f"{plural(int(shared.sum()), 'control item')} also in a target slice "
            "(counted as targets only)"
        )
    control_items = in_control & ~in_target
    n_control = int((control_items & ~np.isnan(d)).sum())
    pooled: DidResult | None = None
    if n_control >= min_size and (in_target & ~np.isnan(d)).any():
        pooled = difference_in_differences(
            d[in_target], d[control_items], random_state=random_state
        )
    return in_target, control_items, n_control, pooled


def uncontrolled_change(
    in_target: np.ndarray,
    arrays: Sequence[np.ndarray],
    k: int | None,
    random_state: int,
    *,
    n_control: int,
    min_size: int = MIN_SLICE_SIZE,
) -> dict[str, Any] | None:
    """The paired change over every targeted item, for an outcome with no control to measure
    it against (fewer than ``min_size`` control-only items): one paired test over the pooled
    target items (exact McNemar for one sample per item, paired bootstrap otherwise, as
    :func:`~capslice_tui.analysis.compare.paired_compare` chooses), with no difference in
    differences. It is a before/after change only: anything else that changed between the two
    runs (more training, a new prompt) moves it as much as the data, so it never decides the
    outcome; it is shown, labelled uncontrolled.

    Returns:
        ``{n_items, n_rows, covers_all, n_control, base_score, cand_score, diff, diff_low,
        diff_high, p_value, test, n_boot}`` (``n_rows``: the items both runs share;
        ``covers_all``: the targets hold every one of them; ``n_control``: control-only items
        with a change), or None when no target item has a change.
    """
    bn, bc, cn, cc = (a[in_target] for a in arrays)
    if not bn.size:
        return None
    r = paired_compare(bn, bc, cn, cc, k=k, random_state=random_state, min_size=min_size)
    if r.n_items == 0:
        return None
    return {
        "n_items": r.n_items, "n_rows": int(in_target.size),
        "covers_all": bool(in_target.all()), "n_control": n_control,
        "base_score": r.base.score, "cand_score": r.cand.score, "diff": r.diff,
        "diff_low": r.diff_lo, "diff_high": r.diff_hi, "p_value": r.p_value, "test": r.test,
        "n_boot": r.n_boot, "min_size": min_size,
    }  # fmt: skip


TEST_WORDS = {"mcnemar-exact": "exact McNemar", "paired-bootstrap": "paired bootstrap"}
"""A paired test's name in words."""


def uncontrolled_text(u: Mapping[str, Any]) -> str:
    """``uncontrolled, the 1,319 targeted items went 39.0% -> 21.7% (-17.3 points [-20.1,
    -14.6], exact McNemar p<0.0001): a before/after change, not evidence that the data caused
    it`` (the CLI and the app print this same sentence)."""
    test = TEST_WORDS.get(str(u.get("test")), str(u.get("test")))
    return (
        f"uncontrolled, the {plural(u['n_items'], 'targeted item', ',')} went {pct(u['base_score'])} "
        f"-> {pct(u['cand_score'])} ({points(u['diff'])} {change_span(u['diff_low'], u['diff_high'])}"
        f", {test} {p_clause(u['p_value'], n_boot=u.get('n_boot'))})"
        ": a before/after change, not evidence that the data caused it"
    )


def no_control_text(u: Mapping[str, Any] | None, n_control: int | None = None) -> str:
    """Why there is no change against controls, in a few words: ``no control item outside the
    targets`` or ``3 control items outside the targets, fewer than 10``."""
    n = (u or {}).get("n_control", n_control) or 0
    if u and u.get("covers_all"):
        return "the targets cover every item: no control item outside them"
    if not n:
        return "no control item outside the targets"
    least = (u or {}).get("min_size", MIN_SLICE_SIZE)
    return f"{plural(n, 'control item')} outside the targets, fewer than {least}"


def _pass_at_k_row(e: Mapping[str, Any], pa: Any) -> dict[str, Any]:
    """The ``pass_at_k`` entry of a slice row from its comparison and its BH adjustment."""
    pr = e["result"]
    return {
        "k": e["k"], "base": pr.base.score, "cand": pr.cand.score, "diff": pr.diff,
        "diff_low": pr.diff_lo, "diff_high": pr.diff_hi, "p_value": pr.p_value,
        "p_adjusted": pa.p_adj, "significant": pa.significant, "n_boot": pr.n_boot,
    }  # fmt: skip


def _slice_outcome(
    role: str, key: dict[str, str], adj: Any, pk: dict[str, Any] | None,
    did: dict[str, Any] | None,
) -> SliceOutcome:  # fmt: skip
    r = adj.result
    return SliceOutcome(
        role=role, slice=key, n_items=r.n_items, base_score=r.base.score,
        cand_score=r.cand.score, diff=r.diff, diff_low=r.diff_lo, diff_high=r.diff_hi,
        p_value=r.p_value, p_adjusted=adj.p_adj, significant=adj.significant,
        tested=adj.tested, test=r.test, warning=r.warning, pass_at_k=pk, did=did,
        n_boot=r.n_boot,
    )  # fmt: skip


def _size_warning(role: str, key: Mapping[str, str], n_items: int, min_size: int) -> str | None:
    if n_items >= WARN_SLICE_SIZE:
        return None
    return f"too few items in {role} slice {slice_label(key)} (n={n_items}" + (
        f" < {min_size}: not tested)" if n_items < min_size else f" < {WARN_SLICE_SIZE})"
    )


def did_text(did: Mapping[str, Any]) -> str:
    """``targets +23.3 points, controls +27.0 points, DiD -3.7 points [-7.9, +0.6]`` (the
    interval's bounds are bare: the figure before it names the unit)."""
    return (
        f"targets {points(did['target_change'])}, controls {points(did['control_change'])},"
        f" DiD {points(did['did'])} {change_span(did['did_low'], did['did_high'])}"
    )


def _judge(
    rows: Sequence[SliceOutcome],
    pooled: DidResult | None,
    expected: float | None,
    tolerance: float,
    n_control: int,
    min_size: int,
    evaluation_changed: str | None,
    *,
    n_controls: int,
    n_control_all: int | None = None,
    k: int | None = None,
    uncontrolled: Mapping[str, Any] | None = None,
) -> tuple[OutcomeName, str]:
    """The outcome and its reason. ``n_control``: control-only items with a change (for
    pass@k: with at least k samples in both runs); ``n_control_all``: control-only items;
    ``uncontrolled``: :func:`uncontrolled_change`, said after the reason when there is no
    control (never a difference in differences)."""

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
            ("a control slice" if len(harmed) == 1 else "control slices")
            + " regressed beyond the tolerance of "
            f"{points(tolerance, ' points', signed=False)}: "
            + ", ".join(f"{name(r)} {points(r.diff)}" for r in harmed)
        )
    empty = [r for r in rows if r.role == "target" and r.n_items == 0]
    if empty:
        return "unmeasurable", (
            ("target slice " if len(empty) == 1 else "target slices ")
            + "; ".join(name(r) for r in empty)
            + f" {'has' if len(empty) == 1 else 'have'} no item in both runs"
            + (f" with at least {k} samples (pass@{k})" if k else "")
            + ": there is nothing to measure the data change on"
        )
    targets = [r for r in rows if r.role == "target" and r.tested]
    if not targets:
        return "inconclusive", "no target slice has enough items to test"
    if pooled is None:
        return "unmeasurable", _no_control_reason(
            n_control, min_size, n_controls=n_controls, n_control_all=n_control_all, k=k,
            uncontrolled=uncontrolled,
        )  # fmt: skip
    gains = ", ".join(f"{name(r)} {points(r.diff)}" for r in targets)
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
            f"the expected gain of {points(threshold, ' points', signed=False)}" if expected is not None
            else f"a gain of {points(threshold, ' points', signed=False)} (the tolerance; no expected gain "
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


def _no_control_reason(
    n_control: int,
    min_size: int,
    *,
    n_controls: int,
    n_control_all: int | None,
    k: int | None,
    uncontrolled: Mapping[str, Any] | None,
) -> str:
    """Why an outcome without enough control items is ``unmeasurable``, then the uncontrolled
    change over the targeted items (:func:`uncontrolled_text`) when there is one."""
    after = f"; {uncontrolled_text(uncontrolled)}" if uncontrolled else ""
    if uncontrolled and uncontrolled.get("covers_all"):
        n = f"{uncontrolled['n_rows']:,}"
        return (
            f"no control: the target slices cover every item the two runs share ({n} of {n}), "
            "so no untargeted item is left as a control and a change of the targets cannot be "
            "told from a change that moves every item (a new prompt, more training); no "
            "difference in differences is computed" + after
        )
    if n_controls == 0:
        why = "none was pre-registered"
    elif k and n_control_all is not None and n_control_all > n_control:
        # the items are there: too few have the k samples pass@k needs
        why = (
            f"the control slices hold {plural(n_control_all, 'item')} outside the targets,"
            f" {n_control} of them with at least {k} samples in both runs as pass@{k} needs"
            f" (< {min_size}); a smaller k measures them"
        )
    elif n_control:
        why = (
            f"the control slices hold only {plural(n_control, 'item')} outside the targets "
            f"(< {min_size}): too few for a control"
        )
    else:
        why = f"the control slices hold 0 items outside the targets (< {min_size})"
    return (
        f"no control slice ({why}): without controls a target gain cannot be told from a "
        "change that lifts every slice (a new prompt, more training); no difference in "
        "differences is computed" + after
    )


def settings_change(recorded: Mapping[str, Any], asked: Mapping[str, Any]) -> str:
    """How the settings ``asked`` (k, tolerance, q, random_state; a missing one is the
    recorded one) differ from those of the ``recorded`` outcome dict: ``pass@16 (asked:
    pass@128)``, or '' when they are the same. ``k`` None is accuracy; the tolerance is a
    proportion (0.02 = 2 points)."""

    def metric(k: Any) -> str:
        return f"pass@{k}" if k else "accuracy"

    def tol(t: Any) -> str:
        return f"harm tolerance {points(t, ' points', signed=False)}"

    def q_text(q: Any) -> str:
        return f"q={q:g}"

    def seed(r: Any) -> str:
        return f"random_state {r}"

    shown: dict[str, Callable[[Any], str]] = {
        "k": metric, "tolerance": tol, "q": q_text, "random_state": seed,
    }  # fmt: skip
    was, now = [], []
    for key, show in shown.items():
        old, new = recorded.get(key), asked.get(key, recorded.get(key))
        same = old == new or (
            isinstance(old, (int, float)) and isinstance(new, (int, float))
            and key != "k" and abs(float(old) - float(new)) < 1e-9
        )  # fmt: skip
        if not same:
            was.append(show(old))
            now.append(show(new))
    return f"{', '.join(was)} (asked: {', '.join(now)})" if was else ""


_REGRESSION_WORDS = re.compile(r"\b(regress\w*|harm\w*|worse\w*|drop\w*|hurt\w*)", re.IGNORECASE)


def claims_regression(reason: str) -> bool:
    """True when a decision's reason says the change made things worse (regress..., harm...,
    worse, drop..., hurt...)."""
    return bool(_REGRESSION_WORDS.search(reason or ""))


def named_rows(reason: str, rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The outcome rows whose slice a decision's ``reason`` names: a row is named when one of
    its slice's values (``prealgebra``; ``number_theory`` or ``number theory``) appears in the
    reason as a whole word. A value inside a longer named value does not count: ``algebra``
    is not named by ``prealgebra regression`` (word boundary) nor by ``intermediate algebra
    dropped`` when ``intermediate_algebra`` is also a measured slice value. [] when none."""
    text = reason or ""
    spans: dict[str, list[tuple[int, int]]] = {}
    for r in rows:
        for value in (r.get("slice") or {}).values():
            v = str(value)
            if v in spans or not v.strip():
                continue
            forms = {v, v.replace("_", " ")}
            spans[v] = [
                m.span()
                for form in forms
                for m in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w-])", text, re.I)
            ]

    def inside(span: tuple[int, int], value: str) -> bool:
        return any(
            o != value and a <= span[0] and span[1] <= b and (b - a) > (span[1] - span[0])
            for o, found in spans.items() for a, b in found
        )  # fmt: skip

    named = {v for v, found in spans.items() if any(not inside(s, v) for s in found)}
    return [r for r in rows if named & {str(x) for x in (r.get("slice") or {}).values()}]


def _row_change(r: Mapping[str, Any]) -> str:
    """``control task_type=algebra -1.8 points (p adj 0.41)``."""
    return f"{r['role']} {slice_label(r['slice'])} {points(r['diff'])} (p adj {row_p_adj(r)})"


def regression_warning(outcome: Mapping[str, Any] | None, reason: str = "") -> str | None:
    """The warning a rejection "because of a regression" must carry, or None when the measured
    outcome shows a significant regression.

    When the ``reason`` names slices the outcome measured (:func:`named_rows`), the claim is
    about them: no warning when one of them is significantly worse after Benjamini-Hochberg,
    else the warning gives those slices' own changes (``prealgebra regression`` while control
    task_type=prealgebra rose +1.2 points), not other slices' drops. Otherwise a regression is
    shown when the outcome is ``harmful``, some target or control slice is significantly worse,
    or the targets fell significantly behind the controls (DiD interval below 0); else the
    claim rests on a comparison that is not significant (or on none), and the warning says so
    with the numbers.
    """
    if not outcome:
        return (
            "no outcome was measured (no result run linked): the regression this rejection "
            "names is not shown by a paired comparison"
        )
    rows = outcome.get("rows") or []
    worse = [r for r in rows if r.get("significant") and (r.get("diff") or 0) < 0]
    named = named_rows(reason, rows)
    if named:
        if any(r in worse for r in named):
            return None
        others = [r for r in worse if r not in named]
        return (
            "the measured outcome shows no significant regression of the slice this rejection "
            f"names: {'; '.join(_row_change(r) for r in named[:4])}"
            + (
                f" (significantly worse elsewhere: {'; '.join(_row_change(r) for r in others[:4])})"
                if others
                else ""
            )
        )
    did = outcome.get("did")
    if outcome_name(outcome) == "harmful" or worse or (did and did["did_high"] < 0):
        return None
    drops = [r for r in rows if (r.get("diff") or 0) < 0]
    shown = "; ".join(_row_change(r) for r in drops[:4])
    return (
        "the measured outcome shows no significant regression"
        + (f" (drops within noise: {shown})" if shown else " (no slice dropped)")
        + (f"; {did_text(did)}" if did else "")
        + ": this rejection rests on a comparison that is not significant"
    )
