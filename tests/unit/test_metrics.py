"""Exact values for Wilson intervals, pass@k and clustered slice scores (statistics.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from capslice_tui.analysis.metrics import (
    pass_at_k,
    pass_at_k_curve,
    score_groups,
    slice_score,
    wilson_interval,
    wilson_interval_array,
)

WILSON_VECTORS = [
    (8, 30, 0.1418, 0.4445),
    (0, 25, 0.0000, 0.1332),
    (45, 50, 0.7864, 0.9565),
    (130, 250, 0.4582, 0.5812),
    (1, 1, 0.2065, 1.0000),
]

PASS_AT_K_VECTORS = [
    (16, 1, 1, 0.062500),
    (16, 1, 8, 0.500000),
    (16, 3, 4, 0.607143),
    (20, 2, 10, 0.763158),
    (128, 1, 64, 0.500000),
    (128, 0, 128, 0.000000),
    (10, 10, 5, 1.000000),
]


@pytest.mark.parametrize(("k", "n", "lo", "hi"), WILSON_VECTORS)
def test_wilson_vectors(k: int, n: int, lo: float, hi: float) -> None:
    got = wilson_interval(k, n)
    assert round(got[0], 4) == lo
    assert round(got[1], 4) == hi


def test_wilson_matches_scipy_and_never_negative_zero() -> None:
    for k, n in [(3, 17), (0, 5), (5, 5), (99, 1000)]:
        ci = stats.binomtest(k, n).proportion_ci(method="wilson")
        got = wilson_interval(k, n)
        assert got == pytest.approx((ci.low, ci.high), abs=1e-6)
    lo, _ = wilson_interval(0, 25)
    assert lo == 0.0 and math.copysign(1.0, lo) == 1.0


def test_wilson_array_and_empty() -> None:
    k = np.array([8, 0, 45, 0])
    n = np.array([30, 25, 50, 0])
    lo, hi = wilson_interval_array(k, n)
    for i in range(3):
        assert (lo[i], hi[i]) == pytest.approx(wilson_interval(k[i], n[i]))
    assert math.isnan(lo[3]) and math.isnan(hi[3])
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    with pytest.raises(ValueError, match="within"):
        wilson_interval(5, 3)


@pytest.mark.parametrize(("n", "c", "k", "expected"), PASS_AT_K_VECTORS)
def test_pass_at_k_vectors(n: int, c: int, k: int, expected: float) -> None:
    assert round(pass_at_k(n, c, k), 6) == expected


def test_pass_at_k_vectorised_matches_exact_combinatorics() -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(1, 60, 300)
    c = np.array([rng.integers(0, x + 1) for x in n])
    for k in (1, 2, 5, 16):
        got = pass_at_k(n, c, k)
        for ni, ci, gi in zip(n, c, got, strict=True):
            if ni < k:
                assert math.isnan(gi)
            else:
                exact = 1 - math.comb(int(ni - ci), k) / math.comb(int(ni), k)
                assert gi == pytest.approx(exact, abs=1e-12)


def test_pass_at_k_refuses_bad_input() -> None:
    assert math.isnan(pass_at_k(3, 1, 5))
    with pytest.raises(ValueError, match="k=0"):
        pass_at_k(4, 1, 0)
    with pytest.raises(ValueError, match="item 1"):
        pass_at_k(np.array([4, 4]), np.array([1, 5]), 2)


def test_greedy_slice_uses_wilson_and_shows_counts() -> None:
    s = slice_score(np.ones(30), np.r_[np.ones(8), np.zeros(22)])
    assert s.method == "wilson"
    assert s.metric_name == "accuracy (one sample per item)"
    assert s.counts == "8/30"
    assert (round(s.lo, 4), round(s.hi, 4)) == (0.1418, 0.4445)
    assert s.warning is None
    # k=1 on greedy samples is still one sample's accuracy, not pass@1
    assert slice_score(np.ones(30), np.zeros(30), k=1).metric_name == (
        "accuracy (one sample per item)"
    )
    assert s.to_dict()["counts"] == "8/30"


def test_small_slice_warnings() -> None:
    assert "below minimum slice size 10" in slice_score(np.ones(7), np.ones(7)).warning
    assert "n<20" in slice_score(np.ones(15), np.ones(15)).warning


def _clustered(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """100 items x 8 samples; items are all-right or all-wrong (strong within-item
    correlation)."""
    rng = np.random.default_rng(seed)
    n = np.full(100, 8)
    c = np.where(rng.random(100) < 0.6, 8, 0)
    return n, c


def test_cluster_bootstrap_interval_sane_and_deterministic() -> None:
    n, c = _clustered()
    s = slice_score(n, c, random_state=7)
    assert s.method == "cluster-bootstrap"
    assert s.metric_name == "accuracy (mean of per-item accuracies)"
    assert s.lo < s.score < s.hi
    assert s == slice_score(n, c, random_state=7)
    assert (s.lo, s.hi) != (
        slice_score(n, c, random_state=8).lo,
        slice_score(n, c, random_state=8).hi,
    )
    naive_lo, naive_hi = wilson_interval(int(c.sum()), int(n.sum()))
    # 800 correlated samples carry the information of ~100 items: the clustered interval is
    # much wider than Wilson on the pooled samples
    assert (s.hi - s.lo) > 2 * (naive_hi - naive_lo)


def test_pass_at_k_slice_reports_coverage() -> None:
    n = np.array([16] * 12 + [2] * 3)
    c = np.array([1] * 12 + [1] * 3)
    s = slice_score(n, c, k=8)
    assert s.metric_name == "pass@8"
    assert s.n_eligible == 12
    assert s.coverage == pytest.approx(12 / 15)
    assert s.score == pytest.approx(0.5)
    assert "coverage 12/15" in s.warning
    curve = pass_at_k_curve(n, c)
    assert sorted(curve) == list(range(1, 17))
    assert curve[1].score == pytest.approx(np.mean(c / n))
    assert curve[16].coverage == pytest.approx(12 / 15)


def test_score_groups_equals_slice_score() -> None:
    rng = np.random.default_rng(5)
    g = rng.integers(0, 6, 400)
    n = np.ones(400)
    c = (rng.random(400) < 0.4).astype(float)
    n[g == 5] = 4  # group 5 has several samples per item
    c[g == 5] = rng.integers(0, 5, int((g == 5).sum()))
    got = score_groups(g, n, c, random_state=3)
    assert len(got) == 6
    for gi in range(6):
        ref = slice_score(n[g == gi], c[g == gi], random_state=3)
        assert got[gi].method == ref.method
        assert (got[gi].score, got[gi].lo, got[gi].hi) == pytest.approx((ref.score, ref.lo, ref.hi))
    assert got[5].method == "cluster-bootstrap"
    assert got[0].method == "wilson"


def test_items_all_scoring_zero_get_a_wilson_interval_not_zero_width() -> None:
    from capslice_tui.analysis.metrics import slice_score, wilson_interval

    s = slice_score([128] * 6, [0] * 6, None)
    assert s.score == 0.0
    assert (s.lo, s.hi) == wilson_interval(0, 6)
    assert s.hi > 0.3 and s.method == "wilson-over-items"


def test_a_small_slice_with_several_samples_per_item_has_no_interval() -> None:
    """6 items x 128 samples, 3 of 768 right: a bootstrap over 6 items gave [0.0, 1.2] as if
    it were an interval to stand behind; a Wilson interval over the 768 samples would count
    the samples of one item as independent. No interval, and the warning says why."""
    from capslice_tui.analysis.metrics import SMALL_NO_INTERVAL

    s = slice_score(np.full(6, 128), np.array([0, 0, 1, 2, 0, 0]))
    assert s.score == pytest.approx(3 / 768)
    assert math.isnan(s.lo) and math.isnan(s.hi)
    assert s.method == "none" and s.n_boot == 0
    assert s.warning == (
        f"below minimum slice size 10 (n=6): reported, not tested; {SMALL_NO_INTERVAL}"
    )
    # pass@k on the same items: no interval either
    assert math.isnan(slice_score(np.full(6, 128), np.array([0, 0, 1, 2, 0, 0]), k=8).lo)
    # from 10 items on, the bootstrap over items
    big = slice_score(np.full(10, 128), np.array([0, 0, 1, 2, 0, 0, 5, 0, 0, 0]))
    assert big.method == "cluster-bootstrap" and big.lo < big.score < big.hi
    # items that each scored 0 or 1 are 0/1 outcomes: the Wilson interval over the items
    agree = slice_score(np.full(6, 128), np.array([0, 128, 0, 0, 128, 0]))
    assert agree.method == "wilson-over-items"
    assert (agree.lo, agree.hi) == pytest.approx(wilson_interval(2, 6))
    # a greedy slice keeps its Wilson interval at any size (statistics.md: 1/1)
    one = slice_score(np.ones(1), np.ones(1))
    assert one.method == "wilson"
    assert (one.lo, one.hi) == pytest.approx((0.2065, 1.0), abs=1e-4)
