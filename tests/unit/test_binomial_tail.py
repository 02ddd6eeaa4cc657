"""McNemar's exact p-value and the Benjamini-Hochberg adjustment of ``compare`` without numpy.

The binomial tail is checked bit for bit against exact integer sums (one correctly rounded
division) and against ``scipy.stats.binomtest`` (statistics.md's reference) up to a million
discordant pairs; the plain-Python BH against the numpy one bit for bit.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from capslice_tui.analysis.compare import (
    EXACT_BINOMIAL_TERMS,
    _bh_floats,
    _binom_half_cdf,
    _binom_half_cdf_bounded,
    adjust,
    benjamini_hochberg,
    mcnemar_exact,
    paired_greedy_counts,
)


def _exact_tail(k: int, n: int) -> float:
    """P(X <= k), X ~ Binomial(n, 1/2), from exact integers: the correctly rounded value."""
    term, total = 1, 1  # C(n, 0); C(n, i + 1) = C(n, i) (n - i) / (i + 1), exactly
    for i in range(k):
        term = term * (n - i) // (i + 1)
        total += term
    assert k > 40 or total == sum(math.comb(n, i) for i in range(k + 1))
    return total / (1 << n)


def test_tail_is_the_correctly_rounded_exact_sum() -> None:
    rng = random.Random(11)
    cases = [(k, n) for n in range(1, 41) for k in range(n + 1)]
    # above EXACT_BINOMIAL_TERMS terms: the bounded fixed-point sums
    cases += [(rng.randint(EXACT_BINOMIAL_TERMS + 1, n // 2), n)
              for n in (rng.randint(4_100, 7_000) for _ in range(60))]  # fmt: skip
    cases += [(rng.randint(0, n), n) for n in (rng.randint(41, 3_000) for _ in range(200))]
    for k, n in cases:
        assert _binom_half_cdf(k, n) == _exact_tail(k, n), (k, n)


def test_tail_underflow_and_subnormals() -> None:
    # values near and below the smallest subnormal (2^-1074) round as the exact sum does,
    # whichever path computes them (exact sums, the lgamma bound for 0.0, the bounded sums)
    for n in (1_074, 1_075, 1_076, 1_200, 5_000, 20_000):
        for k in (0, 1, 2, 30):
            assert _binom_half_cdf(k, n) == _exact_tail(k, n), (k, n)
    n = 12_000  # k where the tail crosses 2^-1075 from above: the 0.0 shortcut's edge
    edge = 2_001
    while _exact_tail(edge + 50, n) == 0.0:
        edge += 50
    while _exact_tail(edge + 1, n) == 0.0:
        edge += 1
    for k in range(edge - 20, edge + 21):
        assert _binom_half_cdf(k, n) == _exact_tail(k, n), k
    assert _binom_half_cdf(10, 10**6) == 0.0
    assert mcnemar_exact(0, 5_000) == 0.0
    assert mcnemar_exact(400_000, 600_000) == 0.0


def test_bounds_that_straddle_a_rounding_boundary_are_refused() -> None:
    # C(788, <=7) / 2^788 has ~55 significant bits and lies exactly halfway between two
    # doubles: no finite precision decides it, the exact sum does
    assert _binom_half_cdf_bounded(7, 788, 128) is None
    assert _binom_half_cdf_bounded(7, 788, 256) is None
    assert _binom_half_cdf(7, 788) == _exact_tail(7, 788)


def test_mcnemar_matches_scipy_binomtest() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(7)
    pairs = [(b, c) for b in range(0, 25) for c in range(0, 25)]
    pairs += [(rng.randint(0, 4_000), rng.randint(0, 4_000)) for _ in range(150)]
    pairs += [(rng.randint(0, 60_000), rng.randint(0, 60_000)) for _ in range(5)]
    pairs += [(18_415, 18_543), (908, 917), (499_000, 501_000), (120_000, 130_000), (3, 999_997)]
    for b, c in pairs:
        want = 1.0 if b + c == 0 else stats.binomtest(b, b + c, 0.5).pvalue
        # scipy's own relative error reaches ~1e-13 at a million pairs (ours is exact)
        assert mcnemar_exact(b, c) == pytest.approx(want, rel=1e-11, abs=1e-300), (b, c)


def test_mcnemar_of_large_counts_is_the_exact_value() -> None:
    # the 10M store's compare ckpt-049 ckpt-050 (ALL row and a task): exact integer sums
    for b, c in [(18_415, 18_543), (908, 917), (915, 962)]:
        assert mcnemar_exact(b, c) == min(1.0, 2.0 * _exact_tail(min(b, c), b + c))


def test_plain_bh_is_numpy_bh_to_the_bit() -> None:
    rng = np.random.default_rng(5)
    for m in [0, 1, 2, 3, 10, 57, 400]:
        for _ in range(20):
            p = rng.random(m) ** 3
            if m > 3:
                p[1:3] = p[0]  # ties
                p[rng.integers(0, m, size=m // 4)] = np.nan  # not tested
                p[rng.integers(0, m)] = 1.0
            want = benjamini_hochberg(p)
            got = _bh_floats(p.tolist())
            assert np.array_equal(np.array(got, dtype=float), want, equal_nan=True), m
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        _bh_floats([0.2, 1.5])


def test_adjust_gives_the_numpy_bh_values() -> None:
    rng = random.Random(3)
    results = [
        paired_greedy_counts(n, n // 2, n // 2 + d, b, b + d)
        for n, d, b in ((rng.randint(5, 400), rng.randint(0, 4), rng.randint(0, 3))
                        for _ in range(40))
    ]  # fmt: skip
    out = adjust(results, q=0.05)
    raw = np.array([math.nan if r.below_min_size else r.p_value for r in results])
    assert np.array_equal(np.array([a.p_adj for a in out]), benjamini_hochberg(raw),
                          equal_nan=True)  # fmt: skip
    assert {a.n_tested for a in out} == {int(np.sum(~np.isnan(raw)))}
    assert [a.tested for a in out] == [not math.isnan(p) for p in raw.tolist()]
