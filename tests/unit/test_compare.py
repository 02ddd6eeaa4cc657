"""Paired comparison: McNemar and BH vectors (statistics.md), MDD, bootstrap, comparability."""

from __future__ import annotations

import math

import numpy as np
import pytest

from capslice_tui.analysis.compare import (
    adjust,
    benjamini_hochberg,
    check_comparable,
    compare_slices,
    fisher_exact_two_sided,
    mcnemar_exact,
    min_detectable_difference,
    paired_compare,
    required_items,
)


@pytest.mark.parametrize(
    ("b", "c", "p"), [(6, 0, 0.03125), (10, 3, 0.0922852), (25, 12, 0.047031), (1, 0, 1.0)]
)
def test_mcnemar_vectors(b: int, c: int, p: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(p, abs=5e-7)


def test_statistics_match_scipy() -> None:
    # compare.py computes McNemar, BH and the normal quantiles without scipy (start-up cost,
    # issue 14); scipy's own functions are the reference, small and large (fixed-point
    # bounded) counts
    stats = pytest.importorskip("scipy.stats")
    for b, c in [(0, 1), (3, 9), (17, 17), (40, 2), (400, 451), (9000, 9400), (14558, 13886)]:
        want = stats.binomtest(b, b + c, 0.5).pvalue
        assert mcnemar_exact(b, c) == pytest.approx(want, rel=1e-9)
    rng = np.random.default_rng(3)
    for _ in range(20):
        p = rng.random(int(rng.integers(2, 30))) ** 3
        p[:2] = p[0]  # a tie
        assert np.array_equal(benjamini_hochberg(p), stats.false_discovery_control(p, method="bh"))
    za, zb = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    assert required_items(0.05, 0.3) == math.ceil(
        (za * math.sqrt(0.3) + zb * math.sqrt(0.3 - 0.05**2)) ** 2 / 0.05**2 - 1e-9
    )


def test_fisher_two_sided_matches_scipy() -> None:
    # the slice search's nested-slice test; scipy's fisher_exact is the reference
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(4)
    tables = [[[0, 5], [3, 0]], [[1, 1], [1, 1]], [[5000, 3000], [20000, 21000]], [[0, 0], [4, 2]]]
    tables += [rng.integers(0, 60, (2, 2)).tolist() for _ in range(200)]
    for t in tables:
        want = stats.fisher_exact(t).pvalue
        assert fisher_exact_two_sided(t) == pytest.approx(want, rel=1e-9, abs=1e-300)
    with pytest.raises(ValueError, match="non-negative"):
        fisher_exact_two_sided([[1, -1], [2, 3]])


def test_mcnemar_no_discordance_and_bad_counts() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    with pytest.raises(ValueError, match="non-negative"):
        mcnemar_exact(-1, 2)


def test_bh_vector() -> None:
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216]
    expected = [0.01, 0.04, 0.084, 0.084, 0.084, 0.1, 0.1057, 0.216, 0.216, 0.216]
    got = benjamini_hochberg(p)
    assert np.round(got, 4).tolist() == expected
    assert int(np.sum(got <= 0.05)) == 2


def test_bh_empty_and_nan() -> None:
    assert benjamini_hochberg([]).size == 0
    got = benjamini_hochberg([0.01, float("nan"), 0.04])
    assert math.isnan(got[1])
    # NaN is not counted: m = 2
    assert got[0] == pytest.approx(0.02) and got[2] == pytest.approx(0.04)
    with pytest.raises(ValueError):
        benjamini_hochberg([1.5])


def test_connor_sample_size_and_mdd_round_trip() -> None:
    # (1.959964·√0.2 + 0.841621·√0.19)² / 0.1² = 154.6 → 155
    assert required_items(0.1, 0.2) == 155
    d = min_detectable_difference(155, 0.2)
    assert d == pytest.approx(0.0998, abs=5e-4)
    assert min_detectable_difference(1000, 0.2) < min_detectable_difference(100, 0.2)
    assert math.isinf(min_detectable_difference(5, 0.1))
    assert math.isnan(min_detectable_difference(0))


def test_paired_greedy_uses_exact_mcnemar() -> None:
    base = np.array([1] * 40 + [0] * 60, dtype=float)
    cand = base.copy()
    cand[:10] = 0  # 10 right → wrong
    cand[40:43] = 1  # 3 wrong → right
    ones = np.ones(100)
    r = paired_compare(ones, base, ones, cand)
    assert r.test == "mcnemar-exact"
    assert (r.b, r.c) == (10, 3)
    assert r.p_value == pytest.approx(0.0922852, abs=5e-7)
    assert r.diff == pytest.approx(-0.07)
    assert r.diff_lo < r.diff < r.diff_hi
    assert r.base.counts == "40/100" and r.cand.counts == "33/100"
    assert r.mdd > 0 and r.warning is None
    assert r.to_dict()["base"]["counts"] == "40/100"


def test_paired_bootstrap_for_several_samples() -> None:
    rng = np.random.default_rng(0)
    n = np.full(80, 8)
    bc = rng.integers(0, 9, 80)
    cc = np.clip(bc - rng.integers(1, 4, 80), 0, 8)
    r = paired_compare(n, bc, n, cc, random_state=1)
    assert r.test == "paired-bootstrap"
    assert r.b is None and r.c is None
    assert r.diff == pytest.approx(np.mean((cc - bc) / 8))
    assert r.diff_lo < r.diff < r.diff_hi < 0
    assert r.p_value < 0.01
    assert r == paired_compare(n, bc, n, cc, random_state=1)
    same = paired_compare(n, bc, n, bc)
    assert same.p_value == 1.0 and same.diff == 0.0
    pk = paired_compare(n, bc, n, cc, k=4)
    assert pk.cand.metric_name == "pass@4"


def test_paired_refuses_misaligned() -> None:
    with pytest.raises(ValueError, match="aligned"):
        paired_compare(np.ones(3), np.ones(3), np.ones(4), np.ones(4))


def test_adjust_reports_small_slices_untested() -> None:
    rng = np.random.default_rng(2)
    keys, bn, bc, cn, cc = [], [], [], [], []
    for i, size in enumerate([200, 200, 200, 6]):
        b = (rng.random(size) < 0.6).astype(float)
        c = b.copy()
        if i == 0:
            c[np.flatnonzero(b == 1)[:40]] = 0  # a real drop
        keys.append(f"s{i}")
        bn.append(np.ones(size))
        bc.append(b)
        cn.append(np.ones(size))
        cc.append(c)
    out = compare_slices(keys, bn, bc, cn, cc)
    assert [o.key for o in out] == keys
    assert out[3].tested is False and math.isnan(out[3].p_adj)
    assert all(o.n_tested == 3 for o in out)
    assert out[0].significant
    raw = [o.p_raw for o in out[:3]]
    assert [o.p_adj for o in out[:3]] == pytest.approx(benjamini_hochberg(raw).tolist())
    again = adjust([o.result for o in out], keys)
    assert [a.p_adj for a in again[:3]] == pytest.approx([o.p_adj for o in out[:3]])


def test_check_comparable() -> None:
    base = {"filter": "strict-match", "n_samples": 1, "temperature": 0.0}
    assert check_comparable(base, dict(base)) == []
    assert check_comparable(base, {}) == []
    reasons = check_comparable(
        base, {"filter": "flexible-extract", "n_samples": 8, "temperature": 0.6}
    )
    assert len(reasons) == 3
    assert "filter" in reasons[0] and "'flexible-extract'" in reasons[0]
    assert "samples per item" in reasons[1]
    assert "temperature" in reasons[2]
