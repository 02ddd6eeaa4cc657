"""Scores of one slice: accuracy with a Wilson interval, pass@k, clustered bootstrap intervals.

Pure numpy/scipy. Formulas, sources and test vectors: ``shared/statistics.md``.

Inputs are per-item arrays: ``n`` (samples of the item, int >= 1) and ``c`` (correct samples of
the item, 0 <= c <= n; may be fractional for accuracy when a harness logs fractional scores).
A run with one 0/1 sample per item (a *greedy* run when its decoding is greedy) is reported as
"accuracy (one sample per item)" with a Wilson interval (the workspace names it "greedy
accuracy" where the run recorded greedy decoding, ``formatting.one_sample_metric``); runs with several samples per item are scored per item (mean of its samples,
or pass@k) and the interval comes from a bootstrap over items (samples of one item are not
independent; Anthropic, "Adding Error Bars to Evals", arXiv 2411.00640).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

# the slice-size thresholds (items) are defined in the vocabulary module; re-exported here
from ..formatting import ITEM_MEAN_ACCURACY, ONE_SAMPLE_ACCURACY, count
from ..vocabulary import MIN_SLICE_SIZE as MIN_SLICE_SIZE
from ..vocabulary import WARN_SLICE_SIZE as WARN_SLICE_SIZE
from .proportion import Z95 as Z95
from .proportion import size_warning, wilson

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use (issue 14: a compare of greedy runs needs none)
    from .lazy import np

N_BOOT = 1000
"""Default number of bootstrap resamples."""

SMALL_NO_INTERVAL = "no interval: too few items for a bootstrap over items"
"""Why a slice with several samples per item and fewer items than the minimum slice size has
no interval (its warning says it): a percentile bootstrap over a handful of items cannot be
trusted, and a Wilson interval over its samples would count the samples of one item as
independent. A greedy slice (one 0/1 sample per item), or one whose items each scored 0 or 1
(all samples of an item agree), is a count of 0/1 item outcomes and keeps its Wilson interval
over items, valid at any size (statistics.md: 1/1 -> [0.2065, 1.0])."""

_BOOT_CHUNK_ELEMENTS = 4_000_000  # max resample-index matrix size held in memory at once


@dataclass(frozen=True)
class SliceScore:
    """Score of one slice with its 95% interval.

    Attributes:
        n_items: items in the slice (all items, eligible or not).
        n_samples: generations in the slice (sum of n).
        correct: correct generations (sum of c; fractional if the harness scores are).
        score: mean per-item score in [0, 1] (accuracy = mean of c/n, or mean pass@k over the
            eligible items); NaN when no item is eligible.
        lo, hi: 95% interval of ``score``; NaN when undefined (no eligible item, or several
            samples per item and fewer eligible items than the minimum slice size).
        method: ``"wilson"`` (one 0/1 sample per item) or ``"cluster-bootstrap"`` (bootstrap
            over items, percentile interval) or ``"none"`` (no interval: no eligible item, or
            too few items to bootstrap, :data:`SMALL_NO_INTERVAL`).
        metric_name: ``"accuracy (one sample per item)"`` (:data:`ONE_SAMPLE_ACCURACY`),
            ``"accuracy (mean of per-item accuracies)"`` (:data:`ITEM_MEAN_ACCURACY`), ``"mean
            score"`` (some per-item score sum is not a whole number: fractional scores such as
            F1, not a share of right answers) or ``"pass@k"``.
        coverage: eligible items / items (items with n >= k for pass@k; 1.0 for accuracy).
        warning: small-slice or coverage warning, or None.
        k: the k of pass@k, or None for accuracy.
        n_eligible: items that entered the score.
        n_boot: bootstrap resamples used (0 for Wilson).
        random_state: seed of the bootstrap (recorded with every result).
    """

    n_items: int
    n_samples: int
    correct: float
    score: float
    lo: float
    hi: float
    method: str
    metric_name: str
    coverage: float
    warning: str | None
    k: int | None = None
    n_eligible: int = 0
    n_boot: int = 0
    random_state: int | None = None

    @property
    def counts(self) -> str:
        """Counts to show beside the percentage, e.g. ``"8/30"`` (correct/samples), worded by
        :func:`capslice_tui.formatting.count` (``31.98/32``, never ``32.0/32`` below all)."""
        return count(self.correct, self.n_samples)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN kept as float NaN; callers serialise with orjson/json)."""
        d = asdict(self)
        d["counts"] = self.counts
        return d


# ---------------------------------------------------------------- Wilson


def wilson_interval_array(
    k: np.ndarray | list[float], n: np.ndarray | list[int], z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Wilson score interval (Wilson 1927).

    centre = (p + z²/2n)/(1 + z²/n), half = z·sqrt(p(1−p)/n + z²/4n²)/(1 + z²/n), p = k/n.
    Same as ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``.

    Args:
        k: successes, shape (m,), 0 <= k <= n (may be fractional).
        n: trials, shape (m,), >= 0.
        z: normal quantile (1.959964 for 95%).

    Returns:
        (lo, hi), each shape (m,), clipped to [0, 1]; NaN where n == 0. Never −0.0.

    Raises:
        ValueError: shapes differ, n < 0, or k outside [0, n].
    """
    k_arr = np.asarray(k, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    if k_arr.shape != n_arr.shape:
        raise ValueError(f"wilson_interval: k shape {k_arr.shape} != n shape {n_arr.shape}")
    if np.any(n_arr < 0):
        raise ValueError("wilson_interval: n must be >= 0")
    if np.any((k_arr < 0) | (k_arr > n_arr)):
        raise ValueError("wilson_interval: k must be within [0, n]")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k_arr / n_arr
        z2 = z * z
        denom = 1.0 + z2 / n_arr
        centre = (p + z2 / (2.0 * n_arr)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n_arr + z2 / (4.0 * n_arr * n_arr)) / denom
        lo = np.clip(centre - half, 0.0, 1.0) + 0.0  # + 0.0 turns -0.0 into 0.0
        hi = np.clip(centre + half, 0.0, 1.0) + 0.0
        # at k = 0 (k = n) the bound is exactly 0 (1); rounding would leave 3e-18 (1 - 1e-16)
        lo = np.where(k_arr == 0, 0.0, lo)
        hi = np.where(k_arr == n_arr, 1.0, hi)
    empty = n_arr == 0
    lo[empty] = np.nan
    hi[empty] = np.nan
    return lo, hi


def wilson_interval(k: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of one proportion k/n (Wilson 1927); (nan, nan) when n == 0.

    See :func:`wilson_interval_array` for the formula. ``wilson_interval(8, 30)`` is
    (0.1418, 0.4445) to 4 decimals.

    Raises:
        ValueError: n < 0 or k outside [0, n].
    """
    kf, nf = float(k), float(n)
    if nf < 0 or kf != kf or nf != nf:  # the array path raises or returns NaN
        lo_a, hi_a = wilson_interval_array(
            np.array([k], dtype=float), np.array([n], dtype=float), z
        )
        return float(lo_a[0]), float(hi_a[0])
    if kf < 0 or kf > nf:
        raise ValueError("wilson_interval: k must be within [0, n]")
    if nf == 0:
        return math.nan, math.nan
    return wilson(kf, nf, z)


# ---------------------------------------------------------------- pass@k


def _check_nc(n: np.ndarray, c: np.ndarray, where: str) -> None:
    if n.shape != c.shape:
        raise ValueError(f"{where}: n shape {n.shape} != c shape {c.shape}")
    if n.ndim != 1:
        raise ValueError(f"{where}: n and c must be 1-D per-item arrays, got ndim={n.ndim}")
    if np.any(n < 1):
        bad = int(np.flatnonzero(n < 1)[0])
        raise ValueError(f"{where}: item {bad}: n={n[bad]} must be >= 1")
    if np.any((c < 0) | (c > n)):
        bad = int(np.flatnonzero((c < 0) | (c > n))[0])
        raise ValueError(f"{where}: item {bad}: c={c[bad]} must be within [0, n={n[bad]}]")


def pass_at_k(n: Any, c: Any, k: int) -> Any:
    """Unbiased pass@k estimator per item (Chen et al. 2021, §2.1).

    pass@k = 1 − C(n−c, k)/C(n, k) = 1 − ∏_{i=n−c+1}^{n} (1 − k/i), exactly 1 when n − c < k.
    The product is evaluated as exp(Σ log1p(−k/i)) through a cumulative table, so it is
    vectorised over items and stable for n in the thousands.

    Args:
        n: samples per item (int or int array, >= 1).
        c: correct samples per item (int or int array, 0 <= c <= n).
        k: the k of pass@k (int >= 1).

    Returns:
        float for scalar input, else float array of shape (m,). Items with n < k are NaN
        (undefined: excluded from slice means; :func:`slice_score` reports coverage).

    Raises:
        ValueError: k < 1, non-integer n/c, shapes differ, or c outside [0, n].
    """
    scalar = np.ndim(n) == 0 and np.ndim(c) == 0
    n_arr = np.atleast_1d(np.asarray(n))
    c_arr = np.atleast_1d(np.asarray(c))
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError(f"pass_at_k: k={k!r} must be an integer >= 1")
    k = int(k)
    if np.any(np.asarray(n_arr, dtype=float) % 1 != 0) or np.any(
        np.asarray(c_arr, dtype=float) % 1 != 0
    ):
        raise ValueError("pass_at_k: n and c must be whole numbers of samples")
    n_arr = n_arr.astype(np.int64)
    c_arr = c_arr.astype(np.int64)
    _check_nc(n_arr, c_arr, "pass_at_k")
    out = np.full(n_arr.shape, np.nan)
    eligible = n_arr >= k
    if eligible.any():
        max_n = int(n_arr[eligible].max())
        # table[m] = Σ_{i=k+1}^{m} log1p(−k/i) for m >= k (0 for m <= k)
        i = np.arange(max_n + 1, dtype=float)
        terms = np.zeros(max_n + 1)
        upper = i > k
        terms[upper] = np.log1p(-k / i[upper])
        table = np.cumsum(terms)
        ne = n_arr[eligible]
        ce = c_arr[eligible]
        lower = ne - ce  # product runs over i = lower+1 .. ne
        log_prod = table[ne] - table[np.maximum(lower, k)]
        vals = 1.0 - np.exp(log_prod)
        vals[lower < k] = 1.0
        vals[ce == 0] = 0.0
        out[eligible] = vals
    if scalar:
        return float(out[0])
    return out


# ---------------------------------------------------------------- bootstrap


def bootstrap_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_boot`` resamples (with replacement) of ``values``, vectorised in chunks.

    Args:
        values: shape (m,), m >= 1.
        n_boot: number of resamples.
        rng: numpy Generator (seeded by the caller).

    Returns:
        shape (n_boot,) array of resample means.
    """
    m = values.shape[0]
    out = np.empty(n_boot)
    rows = max(1, _BOOT_CHUNK_ELEMENTS // max(m, 1))
    start = 0
    while start < n_boot:
        stop = min(n_boot, start + rows)
        idx = rng.integers(0, m, size=(stop - start, m))
        out[start:stop] = values[idx].mean(axis=1)
        start = stop
    return out


def percentile_interval(boot: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval (Efron & Tibshirani 1993, §13.3) of bootstrap replicates."""
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(boot, [tail, 100.0 - tail])
    return float(lo), float(hi)


# ---------------------------------------------------------------- slice score


def is_single_binary(n: np.ndarray, c: np.ndarray) -> bool:
    """True when every item has exactly one sample scored 0 or 1 (a greedy run)."""
    return bool(np.all(n == 1) and np.all((c == 0) | (c == 1)))


def per_item_scores(n: np.ndarray, c: np.ndarray, k: int | None) -> np.ndarray:
    """Per-item score: c/n when k is None, else pass@k (NaN for items with n < k)."""
    if k is None:
        return c / n
    return pass_at_k(n, c, k)


def greedy_score(
    n_items: int, correct: float, min_size: int = MIN_SLICE_SIZE, warn_size: int = WARN_SLICE_SIZE
) -> SliceScore:
    """:func:`slice_score` of a greedy slice from its counts alone: ``n_items`` items of one
    0/1 sample each (>= 1), ``correct`` of them right; accuracy with the Wilson interval.
    What compare reads from SQL aggregates, without per-item arrays."""
    lo, hi = wilson_interval(correct, n_items)
    return SliceScore(
        n_items=n_items,
        n_samples=n_items,
        correct=float(correct),
        score=correct / n_items,
        lo=lo,
        hi=hi,
        method="wilson",
        metric_name=ONE_SAMPLE_ACCURACY,
        coverage=1.0,
        warning=size_warning(n_items, min_size, warn_size),
        k=None,
        n_eligible=n_items,
        n_boot=0,
        random_state=None,
    )


def slice_score(
    n_per_item: Any,
    c_per_item: Any,
    k: int | None = None,
    random_state: int = 0,
    n_boot: int = N_BOOT,
    min_size: int = MIN_SLICE_SIZE,
    warn_size: int = WARN_SLICE_SIZE,
) -> SliceScore:
    """Score one slice: greedy accuracy (Wilson) or clustered accuracy / pass@k (bootstrap).

    Args:
        n_per_item: samples per item, shape (m,), ints >= 1.
        c_per_item: correct samples per item, shape (m,), within [0, n].
        k: None for accuracy; an int for pass@k (items with n < k are excluded, coverage shown).
            ``k=1`` with one 0/1 sample per item is reported as accuracy of one sample per
            item (greedy accuracy when greedy), not pass@1.
        random_state: seed of the bootstrap over items.
        n_boot: bootstrap resamples (B).
        min_size: below this many eligible items the warning says "not tested", and a slice
            with several samples per item gets no interval (:data:`SMALL_NO_INTERVAL`).
        warn_size: below this many eligible items a small-slice warning is set.

    Returns:
        :class:`SliceScore`.

    Raises:
        ValueError: bad shapes or counts (see :func:`pass_at_k`).
    """
    n = np.asarray(n_per_item, dtype=float).ravel()
    c = np.asarray(c_per_item, dtype=float).ravel()
    _check_nc(n, c, "slice_score")
    n_items = int(n.shape[0])
    n_samples = int(n.sum())
    correct = float(c.sum())
    single = n_items > 0 and is_single_binary(n, c)
    if single and (k is None or k == 1):
        return greedy_score(n_items, correct, min_size, warn_size)
    scores = per_item_scores(n, c, k)
    eligible = ~np.isnan(scores)
    vals = scores[eligible]
    n_eligible = int(vals.shape[0])
    coverage = n_eligible / n_items if n_items else 0.0
    metric = ITEM_MEAN_ACCURACY if k is None else f"pass@{k}"
    if k is None and bool(np.any(c != np.round(c))):
        metric = "mean score"  # scores between 0 and 1 (e.g. F1): not a share of right answers
    warning = size_warning(n_eligible, min_size, warn_size)
    if k is not None and n_eligible < n_items:
        cov_msg = f"coverage {n_eligible}/{n_items} items have n>={k} samples"
        warning = cov_msg if warning is None else f"{cov_msg}; {warning}"
    if n_eligible == 0:
        return SliceScore(
            n_items, n_samples, correct, math.nan, math.nan, math.nan, "none", metric,
            coverage, warning, k, 0, 0, random_state,
        )  # fmt: skip
    score = float(vals.mean())
    method = "cluster-bootstrap"
    binary_items = bool(np.all((vals == 0) | (vals == 1)))
    if n_eligible < min_size and not binary_items:
        # Too few items for an interval we can stand behind: a bootstrap over 6 items knows
        # only 6 values, and a Wilson interval over the pooled samples would treat the samples
        # of one item as independent (far too narrow). The score stands, without an interval.
        # (Items that each scored 0 or 1 are 0/1 outcomes: Wilson over items, below.)
        return SliceScore(
            n_items, n_samples, correct, score, math.nan, math.nan, "none", metric,
            coverage, f"{warning}; {SMALL_NO_INTERVAL}", k, n_eligible, 0, random_state,
        )  # fmt: skip
    if vals.min() == vals.max() or (n_eligible < min_size and binary_items):
        # every item scored the same (e.g. all 0): resampling items cannot vary, and a zero-width
        # interval would be false certainty; use the Wilson interval over items instead. So
        # too for a small slice whose items each scored 0 or 1 (0/1 outcomes of items).
        lo, hi = wilson_interval(float(vals.sum()), n_eligible)
        method = "wilson-over-items"
    else:
        rng = np.random.default_rng(random_state)
        boot = bootstrap_means(vals, n_boot, rng)
        lo, hi = percentile_interval(boot)
    return SliceScore(
        n_items=n_items,
        n_samples=n_samples,
        correct=correct,
        score=score,
        lo=lo,
        hi=hi,
        method=method,
        metric_name=metric,
        coverage=coverage,
        warning=warning,
        k=k,
        n_eligible=n_eligible,
        n_boot=n_boot,
        random_state=random_state,
    )


def pass_at_k_curve(
    n_per_item: Any,
    c_per_item: Any,
    random_state: int = 0,
    n_boot: int = N_BOOT,
    min_size: int = MIN_SLICE_SIZE,
) -> dict[int, SliceScore]:
    """pass@k for every k from 1 to max n, each with its bootstrap interval and coverage.

    Returns:
        {k: SliceScore}; empty dict for an empty slice.
    """
    n = np.asarray(n_per_item, dtype=float).ravel()
    if n.size == 0:
        return {}
    return {
        k: slice_score(n, c_per_item, k=k, random_state=random_state, n_boot=n_boot,
                       min_size=min_size)
        for k in range(1, int(n.max()) + 1)
    }  # fmt: skip


def score_groups(
    group_ids: Any,
    n: Any,
    c: Any,
    k: int | None = None,
    random_state: int = 0,
    n_boot: int = N_BOOT,
    min_size: int = MIN_SLICE_SIZE,
    n_groups: int | None = None,
) -> list[SliceScore]:
    """Score many slices at once; result ``[g]`` equals ``slice_score`` on group g's items.

    Greedy groups (one 0/1 sample per item) are scored with vectorised Wilson intervals from
    ``np.bincount`` counts; the others get the same seeded bootstrap as :func:`slice_score`.

    Args:
        group_ids: group of each item, shape (m,), ints in [0, G).
        n, c: per-item samples and correct samples, shape (m,).
        k: None for accuracy, or the k of pass@k.
        random_state, n_boot, min_size: as in :func:`slice_score`.
        n_groups: G (default max(group_ids)+1); empty groups give a score of NaN.

    Returns:
        list of G :class:`SliceScore`.

    Raises:
        ValueError: shapes differ or group ids are negative.
    """
    g = np.asarray(group_ids).ravel()
    n_arr = np.asarray(n, dtype=float).ravel()
    c_arr = np.asarray(c, dtype=float).ravel()
    if g.shape != n_arr.shape:
        raise ValueError(f"score_groups: group_ids shape {g.shape} != n shape {n_arr.shape}")
    _check_nc(n_arr, c_arr, "score_groups")
    if g.size and (g.min() < 0 or np.any(g % 1 != 0)):
        raise ValueError("score_groups: group_ids must be non-negative integers")
    g = g.astype(np.int64)
    n_g = int(n_groups if n_groups is not None else (g.max() + 1 if g.size else 0))
    items = np.bincount(g, minlength=n_g)
    samples = np.bincount(g, weights=n_arr, minlength=n_g)
    correct = np.bincount(g, weights=c_arr, minlength=n_g)
    not_single = (n_arr != 1) | ((c_arr != 0) & (c_arr != 1))
    multi = np.bincount(g, weights=not_single.astype(float), minlength=n_g) > 0
    greedy_ok = k is None or k == 1
    lo, hi = wilson_interval_array(np.where(multi, 0.0, correct), items.astype(float))
    order = np.argsort(g, kind="stable")
    bounds = np.searchsorted(g[order], np.arange(n_g + 1))
    out: list[SliceScore] = []
    for gi in range(n_g):
        if items[gi] > 0 and not multi[gi] and greedy_ok:
            n_items = int(items[gi])
            out.append(
                SliceScore(
                    n_items=n_items,
                    n_samples=int(samples[gi]),
                    correct=float(correct[gi]),
                    score=float(correct[gi] / n_items),
                    lo=float(lo[gi]),
                    hi=float(hi[gi]),
                    method="wilson",
                    metric_name=ONE_SAMPLE_ACCURACY,
                    coverage=1.0,
                    warning=size_warning(n_items, min_size, WARN_SLICE_SIZE),
                    k=None,
                    n_eligible=n_items,
                )
            )
        else:
            sel = order[bounds[gi] : bounds[gi + 1]]
            out.append(
                slice_score(n_arr[sel], c_arr[sel], k=k, random_state=random_state,
                            n_boot=n_boot, min_size=min_size)
            )  # fmt: skip
    return out
