"""Failing and changed slices: SliceLine search, significance tests, paired slice tests.

Pure numpy/scipy.

- :func:`sliceline`: failing conjunctions of axis values (SliceLine, Sagadeeva & Boehm,
  SIGMOD 2021);
- :func:`significant_slices`: a corrected significance test of those slices and collapse of
  nested slices;
- :func:`paired_slices`: the paired test of every distinct slice of two aligned runs
  (:func:`distinct_slices` groups slices that hold the same items);
- :func:`uninformative_axes`: axes on which the items cannot be told apart.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from capslice_tui.analysis.compare import (
    PairedResult,
    adjust,
    benjamini_hochberg,
    fisher_exact_two_sided,
    paired_compare,
    paired_greedy_counts,
)
from capslice_tui.analysis.failure_modes import MODES
from capslice_tui.analysis.inputs import (
    UNLABELLED,
    float_values,
    label_codes,
    mode_codes,
    mode_values,
    n_rows,
)
from capslice_tui.analysis.metrics import MIN_SLICE_SIZE, is_single_binary
from capslice_tui.formatting import p_clause
from capslice_tui.vocabulary import label as slice_label

# ---------------------------------------------------------------- slice search


@dataclass(frozen=True)
class Slice:
    """A conjunction of axis = value predicates with its error statistics.

    Attributes:
        predicates: ((axis, value), ...) sorted by axis order of the input.
        size: rows in the slice.
        errors: sum of errors in the slice.
        error: mean error in the slice.
        score: SliceLine score α·(ē_S/ē − 1) − (1 − α)·(n/|S| − 1).
        level: number of predicates.
        aliases: other descriptions (labels) of exactly the same rows.
    """

    predicates: tuple[tuple[str, str], ...]
    size: int
    errors: float
    error: float
    score: float
    level: int
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Human form, e.g. ``task_type=algebra & output_constraint=integer``."""
        return slice_label(self.predicates)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["predicates"] = [list(p) for p in self.predicates]
        d["aliases"] = list(self.aliases)
        d["label"] = self.label
        return d


def _encode(X_labels: Mapping[str, Any]) -> tuple[list[str], np.ndarray, list[np.ndarray]]:
    axes = list(X_labels)
    if not axes:
        raise ValueError("slice search: no axis given")
    n = np.asarray(X_labels[axes[0]], dtype=object).size
    codes = np.empty((n, len(axes)), dtype=np.int64)
    vocab = []
    for j, axis in enumerate(axes):
        _, values, inv = label_codes(axis, X_labels[axis], n)
        inv = inv.astype(np.int64)
        if UNLABELLED in values:
            miss = int(np.flatnonzero(values == UNLABELLED)[0])
            inv[inv == miss] = -1
        codes[:, j] = inv
        vocab.append(values)
    return axes, codes, vocab


def _subset_stats(
    codes: np.ndarray, subset: tuple[int, ...], errors: np.ndarray, sq: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Group rows by the values of the axes in ``subset``.

    Returns (value codes (g, l), sizes (g,), error sums (g,), max errors (g,), sum of squared
    errors or None, group index per row with -1 for rows missing a label).
    """
    sub = codes[:, subset]
    ok = np.all(sub >= 0, axis=1)
    radix = sub.max(axis=0) + 1 if sub.size else np.ones(len(subset), dtype=np.int64)
    radix = np.maximum(radix, 1)
    key = np.zeros(codes.shape[0], dtype=np.int64)
    for j in range(len(subset)):
        key = key * radix[j] + np.where(ok, sub[:, j], 0)
    keys, inv = np.unique(key[ok], return_inverse=True)
    sizes = np.bincount(inv, minlength=keys.size)
    esum = np.bincount(inv, weights=errors[ok], minlength=keys.size)
    emax = np.zeros(keys.size)
    np.maximum.at(emax, inv, errors[ok])
    esq = None if sq is None else np.bincount(inv, weights=sq[ok], minlength=keys.size)
    vals = np.empty((keys.size, len(subset)), dtype=np.int64)
    rest = keys.copy()
    for j in range(len(subset) - 1, -1, -1):
        vals[:, j] = rest % radix[j]
        rest //= radix[j]
    group = np.full(codes.shape[0], -1, dtype=np.int64)
    group[ok] = inv
    return vals, sizes, esum, emax, esq, group


def _groups(
    codes: np.ndarray, subset: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The groups of :func:`_subset_stats` with their rows, from one stable sort.

    Returns (value codes (g, l), sizes (g,), rows (r,), bounds (g + 1,)): group ``j`` holds
    ``rows[bounds[j]:bounds[j + 1]]`` in ascending order; groups are numbered as
    ``_subset_stats`` numbers them (ascending mixed-radix key); rows missing a label on an
    axis of ``subset`` are in no group.
    """
    sub = codes[:, subset]
    ok = np.all(sub >= 0, axis=1)
    radix = sub.max(axis=0) + 1 if sub.size else np.ones(len(subset), dtype=np.int64)
    radix = np.maximum(radix, 1)
    key = np.zeros(codes.shape[0], dtype=np.int64)
    for j in range(len(subset)):
        key = key * radix[j] + np.where(ok, sub[:, j], 0)
    labelled = np.flatnonzero(ok)
    order = np.argsort(key[labelled], kind="stable")
    rows = labelled[order]
    sorted_key = key[rows]
    starts = np.flatnonzero(np.diff(sorted_key, prepend=-1) != 0) if rows.size else rows
    bounds = np.append(starts, rows.size)
    sizes = np.diff(bounds)
    vals = np.empty((starts.size, len(subset)), dtype=np.int64)
    rest = sorted_key[starts]
    for j in range(len(subset) - 1, -1, -1):
        vals[:, j] = rest % radix[j]
        rest = rest // radix[j]
    return vals, sizes, rows, bounds


def _score(alpha: float, err_mean: Any, size: Any, e_bar: float, n: int) -> Any:
    return alpha * (np.asarray(err_mean) / e_bar - 1.0) - (1.0 - alpha) * (
        n / np.asarray(size, dtype=float) - 1.0
    )


def _upper_bound(
    alpha: float, ss_ub: float, se_ub: float, sm_ub: float, min_sup: int, e_bar: float, n: int
) -> float:
    """SliceLine's score upper bound for a candidate from its parents' statistics."""
    if ss_ub < min_sup or se_ub <= 0 or sm_ub <= 0:
        return -math.inf
    points = {float(min_sup), float(ss_ub), min(max(se_ub / sm_ub, min_sup), ss_ub)}
    best = -math.inf
    for ss in points:
        err = min(se_ub, ss * sm_ub) / ss
        best = max(best, float(_score(alpha, err, ss, e_bar, n)))
    return best


def _check_search_input(X_labels: Mapping[str, Any], errors: Any) -> tuple[
    list[str], np.ndarray, list[np.ndarray], np.ndarray
]:  # fmt: skip
    axes, codes, vocab = _encode(X_labels)
    e = float_values("errors", errors, codes.shape[0])
    if np.any((e < 0) | (e > 1)):
        raise ValueError("errors: values must lie in [0, 1]")
    return axes, codes, vocab, e


def sliceline(
    X_labels: Mapping[str, Any],
    errors: Any,
    alpha: float = 0.6,
    min_sup: int = 10,
    max_l: int = 4,
    k: int = 10,
) -> list[Slice]:
    """Top-k failing slices by the SliceLine score (Sagadeeva & Boehm, SIGMOD 2021).

    Level-wise lattice search: level 1 = single predicates with support >= ``min_sup`` and
    error > 0; a level-l candidate is kept only if all its l parents were kept at level l−1,
    its support >= ``min_sup``, its error > 0, and SliceLine's upper bound on its score (from
    the parents' minimum size, error sum and max error) reaches the current k-th best score.
    Counting is done by grouping rows once per axis subset (up to 2^A − 1 passes) instead of
    SliceLine's sparse matrix products; the slices enumerated and scored are the same.

    Args:
        X_labels: axis → label per row, shape (m,) each (None/"" = no label; such rows never
            match a predicate on that axis).
        errors: per-row error in [0, 1] (1 − correct, or a regression indicator).
        alpha: weight of error concentration against size, in (0, 1].
        min_sup: minimum slice size.
        max_l: maximum number of predicates.
        k: number of slices returned.

    Returns:
        up to k :class:`Slice` with score > 0, best first (ties: larger slice first).

    Raises:
        ValueError: alpha outside (0, 1], errors outside [0, 1], or mismatched lengths.
    """
    if not 0 < alpha <= 1:
        raise ValueError(f"sliceline: alpha={alpha} must be in (0, 1]")
    axes, codes, vocab, e = _check_search_input(X_labels, errors)
    n = e.size
    e_bar = float(e.mean()) if n else 0.0
    if n == 0 or e_bar == 0:
        return []
    top: list[Slice] = []

    def threshold() -> float:
        return top[k - 1].score if len(top) >= k else 0.0

    prev: dict[tuple[tuple[int, int], ...], tuple[int, float, float]] = {}
    for level in range(1, min(max_l, len(axes)) + 1):
        cur: dict[tuple[tuple[int, int], ...], tuple[int, float, float]] = {}
        found: list[Slice] = []
        thr = threshold()
        for subset in itertools.combinations(range(len(axes)), level):
            vals, sizes, esum, emax, _, _ = _subset_stats(codes, subset, e, None)
            keep = np.flatnonzero((sizes >= min_sup) & (esum > 0))
            for g in keep:
                key = tuple(zip(subset, vals[g].tolist(), strict=True))
                if level > 1:
                    parents = [prev.get(key[:i] + key[i + 1 :]) for i in range(level)]
                    if any(p is None for p in parents):
                        continue
                    ss_ub = min(p[0] for p in parents)  # type: ignore[index]
                    se_ub = min(p[1] for p in parents)  # type: ignore[index]
                    sm_ub = min(p[2] for p in parents)  # type: ignore[index]
                    if _upper_bound(alpha, ss_ub, se_ub, sm_ub, min_sup, e_bar, n) < thr:
                        continue
                size, es = int(sizes[g]), float(esum[g])
                cur[key] = (size, es, float(emax[g]))
                sc = float(_score(alpha, es / size, size, e_bar, n))
                if sc > 0:
                    preds = tuple((axes[a], str(vocab[a][v])) for a, v in key)
                    found.append(Slice(preds, size, es, es / size, sc, level))
        top = sorted(top + found, key=lambda s: (-s.score, -s.size, s.label))[:k]
        prev = cur
        if not prev:
            break
    return top


@dataclass(frozen=True)
class SignificantSlice:
    """A failing slice that passed the corrected test and survived nesting collapse.

    Attributes:
        slice: the :class:`Slice` (SliceLine score with the given alpha).
        overall_error: mean error over all rows.
        p_value: one-sided p that the slice's error exceeds its complement's (Fisher exact
            for 0/1 errors; Welch's z otherwise).
        p_adj: BH-adjusted over all ``n_tested`` slices.
        n_tested: slices enumerated and tested (every conjunction with support >= min_sup).
        mode_counts: failure modes of the slice's rows with error > 0 (when modes given).
        note: why it was dropped (for dropped slices), else None.
    """

    slice: Slice
    overall_error: float
    p_value: float
    p_adj: float
    n_tested: int
    mode_counts: dict[str, int] = field(default_factory=dict)
    note: str | None = None

    @property
    def label(self) -> str:
        """Human form of the slice."""
        return self.slice.label

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["slice"] = self.slice.to_dict()
        d["label"] = self.label
        return d


@dataclass(frozen=True)
class SliceSearch:
    """Result of :func:`significant_slices`.

    Attributes:
        slices: kept slices, most significant first.
        dropped: significant slices removed by nesting collapse, each with its ``note``.
        n_tested: number of slices tested (BH m).
        n_significant: slices with p_adj <= q before collapse.
        overall_error: mean error over all rows.
        q: the false discovery rate.
    """

    slices: list[SignificantSlice]
    dropped: list[SignificantSlice]
    n_tested: int
    n_significant: int
    overall_error: float
    q: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "slices": [s.to_dict() for s in self.slices],
            "dropped": [s.to_dict() for s in self.dropped],
            "n_tested": self.n_tested, "n_significant": self.n_significant,
            "overall_error": self.overall_error, "q": self.q,
        }  # fmt: skip


def _one_sided_p(
    size: np.ndarray, esum: np.ndarray, esq: np.ndarray | None,
    n: int, e_total: float, sq_total: float | None, binary: bool,
) -> np.ndarray:  # fmt: skip
    """p that the error rate inside exceeds the rate in the complement."""
    from scipy import stats  # lazy: seconds of start-up; diagnose of a change never needs it

    size = np.asarray(size, dtype=float)
    esum = np.asarray(esum, dtype=float)
    if binary:
        # Fisher exact one-sided = hypergeometric upper tail P(X >= errors in slice)
        return np.asarray(
            stats.hypergeom.sf(np.round(esum) - 1, n, round(e_total), size), dtype=float
        )
    assert esq is not None and sq_total is not None
    rest = n - size
    m1 = esum / size
    m2 = np.where(rest > 0, (e_total - esum) / np.maximum(rest, 1), np.nan)
    v1 = np.maximum(esq / size - m1**2, 0) / np.maximum(size - 1, 1)
    v2 = np.maximum((sq_total - esq) / np.maximum(rest, 1) - m2**2, 0) / np.maximum(rest - 1, 1)
    se = np.sqrt(v1 + v2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (m1 - m2) / se
    p = stats.norm.sf(z)
    p = np.where(se == 0, np.where(m1 > m2, 0.0, 1.0), p)
    return np.where(np.isnan(p), 1.0, p)


def _two_group_p(
    size_a: float, err_a: float, size_b: float, err_b: float, binary: bool,
    alternative: str,
) -> float:  # fmt: skip
    """Fisher exact (0/1 errors) or two-proportion z test of group a against group b."""
    if size_a <= 0 or size_b <= 0:
        return 1.0
    if binary:
        table = [
            [round(err_a), round(size_a - err_a)],
            [round(err_b), round(size_b - err_b)],
        ]
        if alternative == "two-sided":
            return fisher_exact_two_sided(table)  # no scipy import (issue 14)
        from scipy import stats

        return float(stats.fisher_exact(table, alternative=alternative).pvalue)
    p_a, p_b = err_a / size_a, err_b / size_b
    pool = (err_a + err_b) / (size_a + size_b)
    se = math.sqrt(max(pool * (1 - pool), 1e-12) * (1 / size_a + 1 / size_b))
    z = (p_a - p_b) / se
    from scipy import stats

    if alternative == "greater":
        return float(stats.norm.sf(z))
    return float(2 * stats.norm.sf(abs(z)))


def significant_slices(
    X_labels: Mapping[str, Any],
    errors: Any,
    modes: Any = None,
    alpha: float = 0.6,
    min_sup: int = 10,
    max_l: int = 4,
    q: float = 0.05,
    nest_alpha: float = 0.05,
) -> SliceSearch:
    """Failing slices that pass a BH-corrected test, with nested slices collapsed.

    Steps:

    1. Enumerate every conjunction of up to ``max_l`` predicates with support >= ``min_sup``
       (support only shrinks with more predicates, so this is the SliceLine lattice without
       score pruning); conjunctions selecting the same rows are one slice with all its
       descriptions (``Slice.aliases``) and the all-rows set is left out
       (:func:`distinct_slices`). All of them are tested, so m counts the distinct slices.
    2. Test each against its complement, one-sided (error higher inside): Fisher exact for
       0/1 errors (hypergeometric upper tail), Welch's z test for fractional errors.
       BH across all tested; keep p_adj <= q with error above the overall error.
    3. Collapse nesting among the significant slices (both rules use the significant set
       before any removal):
       - drop a child whose error is not different from the rest of a significant parent
         (two-sided Fisher/z, p >= ``nest_alpha``): the parent explains it;
       - drop a parent when, for some significant child, the parent's remaining rows are
         not worse than the rows outside the parent (one-sided, p >= ``nest_alpha``): the
         child explains it.

    Args:
        X_labels: axis → label per row, shape (m,) each.
        errors: per-row error in [0, 1].
        modes: per-row failure mode, optional; fills ``mode_counts`` of kept slices.
        alpha: SliceLine score weight (for ranking and display).
        min_sup, max_l: lattice limits.
        q: false discovery rate.
        nest_alpha: level of the nesting tests.

    Returns:
        :class:`SliceSearch`.

    Raises:
        ValueError: mismatched lengths, errors outside [0, 1], unknown modes.
    """
    axes, codes, vocab, e = _check_search_input(X_labels, errors)
    n = e.size
    md = None if modes is None else mode_values("modes", modes, n)
    e_bar = float(e.mean()) if n else 0.0
    binary = bool(np.all((e == 0) | (e == 1)))
    sq = None if binary else e * e
    e_total = float(e.sum())
    sq_total = None if sq is None else float(sq.sum())
    if n == 0 or e_bar == 0 or e_bar == 1:
        return SliceSearch([], [], 0, 0, e_bar, q)
    found, _ = _distinct(axes, codes, vocab, min_sup, max_l)
    if not found:
        return SliceSearch([], [], 0, 0, e_bar, q)
    keys = [preds for preds, _, _ in found]
    sizes_a = np.array([idx.size for _, _, idx in found], dtype=float)
    esum_a = np.array([e[idx].sum() for _, _, idx in found])
    esq_a = None if sq is None else np.array([sq[idx].sum() for _, _, idx in found])
    p_a = np.clip(_one_sided_p(sizes_a, esum_a, esq_a, n, e_total, sq_total, binary), 0.0, 1.0)
    p_adj = benjamini_hochberg(p_a)
    n_tested = len(keys)
    sig_idx = np.flatnonzero((p_adj <= q) & (esum_a / sizes_a > e_bar))
    # every description of a significant slice (identical item sets are one slice)
    index: dict[str, int] = {}
    for i in sig_idx:
        index[slice_label(keys[i])] = int(i)
        for alias in found[i][1]:
            index[alias] = int(i)

    def make(i: int, note: str | None = None) -> SignificantSlice:
        preds, aliases, idx = found[i]
        size, es = int(sizes_a[i]), float(esum_a[i])
        sl = Slice(preds, size, es, es / size, float(_score(alpha, es / size, size, e_bar, n)),
                   len(preds), aliases)  # fmt: skip
        counts: dict[str, int] = {}
        if md is not None:
            failing = idx[e[idx] > 0]
            counts = {m: int(np.sum(md[failing] == m)) for m in MODES}
            counts = {m: c for m, c in counts.items() if c}
        return SignificantSlice(sl, e_bar, float(p_a[i]), float(p_adj[i]), n_tested, counts, note)

    drop_note = _nesting_notes(
        sig_idx, found, index, sizes_a, esum_a, n, e_total, binary, nest_alpha
    )
    kept = [make(int(i)) for i in sig_idx if int(i) not in drop_note]
    dropped = [make(int(i), drop_note[int(i)]) for i in sig_idx if int(i) in drop_note]
    kept.sort(key=lambda s: (s.p_adj, -s.slice.score, s.label))
    dropped.sort(key=lambda s: (s.p_adj, -s.slice.score, s.label))
    return SliceSearch(kept, dropped, n_tested, int(sig_idx.size), e_bar, q)


def _nesting_notes(
    sig_idx: np.ndarray,
    found: Sequence[tuple[Any, Any, np.ndarray]],
    index: Mapping[str, int],
    sizes_a: np.ndarray,
    esum_a: np.ndarray,
    n: int,
    e_total: float,
    binary: bool,
    nest_alpha: float,
) -> dict[int, str]:
    """Significant slices explained by a significant parent or child, with the note why: a
    child not different from the rest of its parent (two-sided), or a parent whose items
    outside the child are not worse than the items outside the parent (one-sided)."""
    keys = [preds for preds, _, _ in found]
    drop_note: dict[int, str] = {}

    def label(i: int) -> str:
        return slice_label(keys[i])

    for i in sig_idx:
        descriptions = [keys[i]] + [
            tuple(tuple(p.split("=", 1)) for p in a.split(" & ")) for a in found[i][1]
        ]
        for key in descriptions:
            if len(key) < 2:
                continue
            for j in range(len(key)):
                parent = key[:j] + key[j + 1 :]
                pi = index.get(slice_label(parent))
                if pi is None or pi == i:
                    continue
                rest_size = sizes_a[pi] - sizes_a[i]
                rest_err = esum_a[pi] - esum_a[i]
                p = _two_group_p(sizes_a[i], esum_a[i], rest_size, rest_err, binary, "two-sided")
                if p >= nest_alpha:
                    drop_note.setdefault(
                        int(i), f"not different from the rest of parent {label(pi)} ({p_clause(p)})"
                    )
                    # a child the parent explains cannot in turn explain the parent away
                    continue
                # parent explained by this child?
                out_size = n - sizes_a[pi]
                out_err = e_total - esum_a[pi]
                p_par = _two_group_p(rest_size, rest_err, out_size, out_err, binary, "greater")
                if p_par >= nest_alpha:
                    drop_note.setdefault(
                        pi,
                        f"explained by child {label(int(i))}: the rest of the slice is not worse "
                        f"than outside it ({p_clause(p_par)})",
                    )
    return drop_note


# ---------------------------------------------------------------- paired slice tests


@dataclass(frozen=True)
class PairedSlice:
    """One slice (a set of items) with the paired test of the change on its items.

    Attributes:
        predicates: the shortest description, ((axis, value), ...).
        aliases: other descriptions of exactly the same items (labels), e.g.
            ``task_type=t01 & output_constraint=single_letter`` beside ``task_type=t01``.
        result: :func:`compare.paired_compare` of the candidate against the base on the
            slice's items (exact McNemar for greedy 0/1 runs, paired bootstrap otherwise).
        p_value: the raw two-sided p (NaN when not tested).
        p_adj: Benjamini–Hochberg adjusted over the ``n_tested`` slices (NaN when not tested).
        n_tested: slices that entered the correction.
        significant: tested and p_adj <= q.
        mode_counts: failure modes of the items moving with the change inside the slice
            (lost items, right → wrong, by the candidate's dominant mode for a drop; gained
            items by the base's dominant mode for a gain), when modes were given.
        note: why the slice is not named on its own (nesting), else None.
    """

    predicates: tuple[tuple[str, str], ...]
    aliases: tuple[str, ...]
    result: PairedResult
    p_value: float
    p_adj: float
    n_tested: int
    significant: bool
    mode_counts: dict[str, int] = field(default_factory=dict)
    note: str | None = None

    @property
    def label(self) -> str:
        """Human form, e.g. ``task_type=algebra & solving_operation=equation_solving``."""
        return slice_label(self.predicates)

    @property
    def n_items(self) -> int:
        """Items paired in the slice."""
        return self.result.n_items

    @property
    def diff(self) -> float:
        """Candidate minus base on the slice (proportion)."""
        return self.result.diff

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (label, predicates, aliases, n_items, diff, p, p_adj, ...)."""
        r = self.result
        return {
            "label": self.label, "predicates": [list(p) for p in self.predicates],
            "aliases": list(self.aliases), "n_items": self.n_items, "diff": r.diff,
            "diff_low": r.diff_lo, "diff_high": r.diff_hi, "base_score": r.base.score,
            "cand_score": r.cand.score, "test": r.test, "b": r.b, "c": r.c,
            "p_value": self.p_value, "p_adjusted": self.p_adj, "n_tested": self.n_tested,
            "significant": self.significant, "mode_counts": dict(self.mode_counts),
            "note": self.note,
        }  # fmt: skip


@dataclass(frozen=True)
class PairedSliceSearch:
    """Result of :func:`paired_slices`.

    Attributes:
        slices: every distinct slice enumerated, most significant first.
        n_tested: distinct slices tested (the m of Benjamini–Hochberg).
        n_descriptions: conjunctions enumerated before identical item sets were merged.
        q: the false discovery rate.
        masks: label -> boolean item mask of each slice, shape (n_items,) (not serialised).
    """

    slices: list[PairedSlice]
    n_tested: int
    n_descriptions: int
    q: float
    masks: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def significant(self) -> list[PairedSlice]:
        """Slices significant after the correction, most significant first."""
        return [s for s in self.slices if s.significant]

    def kept(self, direction: int) -> list[PairedSlice]:
        """Significant slices moving in ``direction`` (-1 drop, +1 gain) that nesting does not
        explain away (``note`` None), most significant first."""
        return [
            s for s in self.slices
            if s.significant and s.note is None and s.diff * direction > 0
        ]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: significant slices only, with the counts."""
        return {
            "slices": [s.to_dict() for s in self.significant], "n_tested": self.n_tested,
            "n_descriptions": self.n_descriptions, "q": self.q,
        }  # fmt: skip


def distinct_slices(
    X_labels: Mapping[str, Any], min_sup: int = MIN_SLICE_SIZE, max_l: int = 4
) -> tuple[list[tuple[tuple[tuple[str, str], ...], tuple[str, ...], np.ndarray]], int]:
    """Every conjunction of up to ``max_l`` axis values with >= ``min_sup`` rows, with
    conjunctions that select exactly the same rows merged into one slice.

    The slice holding every row is left out (it is the overall comparison, not a slice).
    Rows without a label on an axis never match a predicate on that axis.

    Returns:
        (slices, n_descriptions): each slice is (shortest predicates, other descriptions as
        labels, sorted row indices); n_descriptions counts the conjunctions kept before
        merging (those selecting every row are not counted).
    """
    axes, codes, vocab = _encode(X_labels)
    return _distinct(axes, codes, vocab, min_sup, max_l)


def _distinct(
    axes: list[str], codes: np.ndarray, vocab: list[np.ndarray], min_sup: int, max_l: int
) -> tuple[list[tuple[tuple[tuple[str, str], ...], tuple[str, ...], np.ndarray]], int]:
    """:func:`distinct_slices` on labels already encoded by ``_encode``."""
    n = codes.shape[0]
    seen: dict[bytes, int] = {}
    out: list[tuple[tuple[tuple[str, str], ...], list[str], np.ndarray]] = []
    n_desc = 0
    for level in range(1, min(max_l, len(axes)) + 1):
        for subset in itertools.combinations(range(len(axes)), level):
            vals, sizes, rows, bounds = _groups(codes, subset)
            for g in np.flatnonzero(sizes >= min_sup):
                idx = rows[bounds[g] : bounds[g + 1]]
                if idx.size == n:
                    continue
                n_desc += 1
                preds = tuple(
                    (axes[a], str(vocab[a][v]))
                    for a, v in zip(subset, vals[g].tolist(), strict=True)
                )
                key = idx.tobytes()
                if key in seen:
                    out[seen[key]][1].append(slice_label(preds))
                    continue
                seen[key] = len(out)
                out.append((preds, [], idx))
    return [(p, tuple(a), i) for p, a, i in out], n_desc


def paired_slices(
    X_labels: Mapping[str, Any],
    base_n: Any,
    base_c: Any,
    cand_n: Any,
    cand_c: Any,
    modes: Any = None,
    *,
    k: int | None = None,
    min_sup: int = MIN_SLICE_SIZE,
    max_l: int = 4,
    q: float = 0.05,
    nest_alpha: float = 0.05,
    random_state: int = 0,
) -> PairedSliceSearch:
    """Paired test of the change on every distinct slice, Benjamini–Hochberg across them.

    One question, one test, the same as ``capslice compare``: each slice's items go through
    :func:`compare.paired_compare` (exact McNemar, two-sided, for greedy 0/1 runs; paired
    bootstrap over items otherwise) and :func:`compare.adjust` corrects across every slice
    tested. Slices are the conjunctions of :func:`distinct_slices` (identical item sets are
    one slice with all its descriptions; the all-items set is the overall test).

    Overlap among significant slices moving the same way, so the slices named are the ones
    that carry the change rather than every slice that holds some of its items:

    - slices holding exactly the same moved items describe one effect: the largest is kept
      (the others only leave out items that did not move);
    - taken in order of effect size (largest |change| first), a slice is explained by the
      slices already kept when its items outside them do not pass the bar the correction set
      (paired test, p above the largest raw p that Benjamini–Hochberg called significant, or
      above ``nest_alpha``); e.g. a random third of the items that holds a third of a
      localized drop, or the parent of a failing combination;
    - a kept child is explained by a kept parent when the share of its items moving with the
      change is not different from the rest of the parent (two-sided Fisher exact on items
      moved / not moved, p >= ``nest_alpha``).
    Explained slices stay in the list with a ``note``; :meth:`PairedSliceSearch.kept` leaves
    them out.

    Args:
        X_labels: axis -> label per item, shape (m,) each.
        base_n, base_c, cand_n, cand_c: per-item samples and correct counts, shape (m,),
            aligned by item.
        modes: per item, the failure mode that describes a move: the candidate's dominant
            failing mode (used for lost items) — or a pair (base modes, candidate modes) so
            gained items use the base's mode; optional.
        k: pass@k instead of accuracy (multi-sample runs).
        min_sup, max_l: slice limits; q: false discovery rate; nest_alpha: nesting level.
        random_state: bootstrap seed.

    Returns:
        :class:`PairedSliceSearch`.

    Raises:
        ValueError: mismatched lengths or invalid counts.
    """
    bn = float_values("base_n", base_n)
    m = bn.size
    bc, cn, cc = (float_values(nm, v, m) for nm, v in
                  (("base_c", base_c), ("cand_n", cand_n), ("cand_c", cand_c)))  # fmt: skip
    if isinstance(modes, tuple):
        base_modes, cand_modes = (None if x is None else mode_values("modes", x, m) for x in modes)
    else:
        base_modes, cand_modes = None, (None if modes is None else mode_values("modes", modes, m))
    if n_rows(X_labels) != m:
        raise ValueError(f"paired_slices: labels for {n_rows(X_labels)} items, counts for {m}")
    found, n_desc = distinct_slices(X_labels, min_sup=min_sup, max_l=max_l)
    sb, sc = bc / np.maximum(bn, 1), cc / np.maximum(cn, 1)
    lost, gained = sb > sc, sc > sb
    results = _paired_results(found, bn, bc, cn, cc, k, random_state, min_sup)
    adjusted = adjust(results, list(range(len(found))), q=q)
    n_tested = adjusted[0].n_tested if adjusted else 0
    rows = _slice_rows(found, adjusted, m, lost, gained, base_modes, cand_modes)
    sig = [r for r in rows if r[2].significant and not math.isnan(r[2].result.diff)]
    for r in sig:  # masks for the overlap rules; the others only when asked (SliceMasks)
        r[4] = _mask(m, r[4])
    # the raw p below which Benjamini–Hochberg called a slice significant: the items a slice
    # adds beyond the slices already kept must pass the same bar
    p_crit = max((r[2].p_raw for r in sig), default=0.0)
    counts4 = (bn, bc, cn, cc)
    for direction in (-1.0, 1.0):
        moved = lost if direction < 0 else gained
        cands = [r for r in sig if r[2].result.diff * direction > 0]
        _note_same_moved_items(cands, direction, moved)
        cands = [r for r in cands if r[5] is None]
        cands.sort(key=lambda r: (-abs(r[2].result.diff), -int(r[4].sum()), slice_label(r[0])))
        bar = min(p_crit, nest_alpha)
        kept = _keep_unexplained(cands, direction, counts4, m, bar, k, random_state)
        _note_nested(kept, moved, nest_alpha)
    out = []
    masks = SliceMasks(m)
    for (preds, aliases, adj, counts, _, note), (_, _, idx) in zip(rows, found, strict=True):
        s = PairedSlice(preds, aliases, adj.result, adj.p_raw, adj.p_adj, adj.n_tested,
                        adj.significant, counts, note)  # fmt: skip
        masks.add(s.label, idx)
        out.append(s)
    out.sort(key=lambda s: (
        math.inf if math.isnan(s.p_adj) else s.p_adj,
        -abs(s.diff) if not math.isnan(s.diff) else 0.0, s.label,
    ))  # fmt: skip
    return PairedSliceSearch(out, n_tested, n_desc, q, masks)


def _paired_results(
    found: Sequence[tuple[Any, Any, np.ndarray]],
    bn: np.ndarray, bc: np.ndarray, cn: np.ndarray, cc: np.ndarray,
    k: int | None, random_state: int, min_sup: int,
) -> list[PairedResult]:  # fmt: skip
    """:func:`compare.paired_compare` of each slice's items. Two greedy runs (one 0/1 sample
    per item on both sides, accuracy): every slice is too, so its test is the exact McNemar of
    its counts alone (:func:`compare.paired_greedy_counts`, the same result as
    ``paired_compare`` on the slice's arrays), counted without per-slice array copies."""
    greedy = (k is None or k == 1) and is_single_binary(bn, bc) and is_single_binary(cn, cc)
    if not greedy:
        return [
            paired_compare(bn[idx], bc[idx], cn[idx], cc[idx], k=k, random_state=random_state,
                           min_size=min_sup)
            for _, _, idx in found
        ]  # fmt: skip
    lost = (bc == 1) & (cc == 0)
    gained = (bc == 0) & (cc == 1)
    return [
        paired_greedy_counts(int(idx.size), float(bc[idx].sum()), float(cc[idx].sum()),
                             int(np.count_nonzero(lost[idx])),
                             int(np.count_nonzero(gained[idx])), min_size=min_sup)
        for _, _, idx in found
    ]  # fmt: skip


def _slice_rows(
    found: Sequence[tuple[Any, Any, np.ndarray]],
    adjusted: Sequence[Any],
    m: int,
    lost: np.ndarray,
    gained: np.ndarray,
    base_modes: np.ndarray | None,
    cand_modes: np.ndarray | None,
) -> list[list[Any]]:
    """``[predicates, aliases, adjusted result, moved items by failure mode, item indices,
    note]`` per distinct slice; lost items are counted by the candidate's mode, gained ones by
    the base's (when given)."""
    rows: list[list[Any]] = []
    # failure modes as codes (index in MODES, len(MODES) for any other value), once
    base_codes, cand_codes = (
        None if x is None else mode_codes(x) for x in (base_modes, cand_modes)
    )
    for (preds, aliases, idx), adj in zip(found, adjusted, strict=True):
        drop = adj.result.diff < 0
        moved = idx[(lost if drop else gained)[idx]]
        src = cand_codes if drop or base_codes is None else base_codes
        counts: dict[str, int] = {}
        if src is not None:
            tally = np.bincount(src[moved], minlength=len(MODES) + 1)
            counts = {md: int(tally[i]) for i, md in enumerate(MODES) if tally[i]}
        rows.append([preds, aliases, adj, counts, idx, None])
    return rows


def _mask(m: int, idx: np.ndarray) -> np.ndarray:
    """Boolean mask of shape (m,) holding ``idx``."""
    mask = np.zeros(m, dtype=bool)
    mask[idx] = True
    return mask


class SliceMasks(Mapping[str, np.ndarray]):
    """Slice label -> boolean item mask, shape (n_items,), each made from the slice's item
    indices when first asked for (a search tests hundreds of slices and names a few)."""

    def __init__(self, n_items: int) -> None:
        self._n = n_items
        self._idx: dict[str, np.ndarray] = {}
        self._made: dict[str, np.ndarray] = {}

    def add(self, label: str, idx: np.ndarray) -> None:
        """The slice ``label`` holds items ``idx`` (a later slice of the same label wins)."""
        self._idx[label] = idx
        self._made.pop(label, None)

    def __getitem__(self, label: str) -> np.ndarray:
        mask = self._made.get(label)
        if mask is None:
            mask = self._made[label] = _mask(self._n, self._idx[label])
        return mask

    def __iter__(self) -> Iterator[str]:
        return iter(self._idx)

    def __len__(self) -> int:
        return len(self._idx)


def _note_same_moved_items(cands: Sequence[list[Any]], direction: float, moved: np.ndarray) -> None:
    """Slices holding exactly the same moved items describe one effect: the largest is kept,
    the others get a note."""
    # slices holding exactly the same moved items describe one effect: keep the largest
    by_moved: dict[bytes, list[Any]] = {}
    for r in cands:
        by_moved.setdefault(np.flatnonzero(r[4] & moved).tobytes(), []).append(r)
    for group in by_moved.values():
        group.sort(key=lambda r: (-int(r[4].sum()), len(r[0]), slice_label(r[0])))
        for r in group[1:]:
            r[5] = (
                f"the same {'lost' if direction < 0 else 'gained'} items as "
                f"{slice_label(group[0][0])}, which holds {int(group[0][4].sum() - r[4].sum())} "
                "more items that did not move"
                if group[0][4].sum() > r[4].sum()
                else f"the same moved items as {slice_label(group[0][0])}"
            )


def _keep_unexplained(
    cands: Sequence[list[Any]],
    direction: float,
    counts4: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    m: int,
    bar: float,
    k: int | None,
    random_state: int,
) -> list[list[Any]]:
    """Largest change first, the slices whose items outside the slices already kept still
    change significantly (p <= ``bar``); the others get a note naming what explains them."""
    covered = np.zeros(m, dtype=bool)
    kept: list[list[Any]] = []
    for r in cands:
        rest = r[4] & ~covered
        if rest.sum() < r[4].sum():
            # the kept slices overlapping this one, named only when it is explained
            idx_r = np.flatnonzero(r[4])

            def overlapping(idx_r: np.ndarray = idx_r, kept: list[Any] = kept) -> str:
                return ", ".join(slice_label(k[0]) for k in kept if k[4][idx_r].any())

            if not rest.any():
                r[5] = f"explained by {overlapping()}: all its items are in those slices"
                continue
            bn, bc, cn, cc = (a[rest] for a in counts4)
            res = paired_compare(bn, bc, cn, cc, k=k, random_state=random_state, min_size=1)
            if not (res.diff * direction > 0 and res.p_value <= bar):
                r[5] = (
                    f"explained by {overlapping()}: its other {int(rest.sum())} items show no "
                    f"significant change ({p_clause(res.p_value, n_boot=res.n_boot)})"
                )
                continue
        kept.append(r)
        covered |= r[4]
    return kept


def _note_nested(kept: Sequence[list[Any]], moved: np.ndarray, nest_alpha: float) -> None:
    """A kept child whose share of moved items is not different from the rest of a kept parent
    (two-sided Fisher exact, p >= ``nest_alpha``) gets a note."""
    size = [int(r[4].sum()) for r in kept]
    members = [np.flatnonzero(r[4]) for r in kept]
    for ci, child in enumerate(kept):
        for pi, parent in enumerate(kept):
            cm, pm = child[4], parent[4]
            # a parent: larger, and holding every item of the child
            if ci == pi or size[ci] >= size[pi] or child[5] or not pm[members[ci]].all():
                continue
            rest = pm & ~cm
            p = _two_group_p(float(cm.sum()), float((moved & cm).sum()), float(rest.sum()),
                             float((moved & rest).sum()), True, "two-sided")  # fmt: skip
            if p >= nest_alpha:
                child[5] = (
                    f"not different from the rest of {slice_label(parent[0])} ({p_clause(p)})"
                )


def uninformative_axes(
    X_labels: Mapping[str, Any], min_size: int = MIN_SLICE_SIZE
) -> dict[str, str]:
    """Axes on which the items cannot be told apart: axis -> plain reason.

    An axis is uninformative when fewer than two of its values hold >= ``min_size`` labelled
    items (every item carries the same label, or none).
    """
    out: dict[str, str] = {}
    n = n_rows(X_labels)
    for axis, raw in X_labels.items():
        _, names, inv = label_codes(axis, raw, n)
        counts = np.bincount(inv, minlength=names.size)
        labelled = names != UNLABELLED
        values, counts = names[labelled], counts[labelled]
        big = values[counts >= min_size]
        if big.size >= 2:
            continue
        if values.size == 0:
            out[axis] = "no item is labelled"
        elif values.size == 1:
            out[axis] = f"every labelled item is {axis}={values[0]}"
        else:
            out[axis] = (
                f"only {axis}={big[0]} holds {min_size} or more items"
                if big.size
                else f"no value holds {min_size} or more items"
            )
    return out
