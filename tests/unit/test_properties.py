"""Property tests (hypothesis) of the statistics every slice table rests on."""

from __future__ import annotations

from math import comb

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from capslice_tui.analysis.compare import benjamini_hochberg, mcnemar_exact
from capslice_tui.analysis.metrics import pass_at_k, wilson_interval


@st.composite
def n_c_k(draw: st.DrawFn) -> tuple[int, int, int]:
    n = draw(st.integers(1, 200))
    c = draw(st.integers(0, n))
    k = draw(st.integers(1, n))
    return n, c, k


@settings(max_examples=300, deadline=None)
@given(n_c_k())
def test_pass_at_k_equals_the_combinatorial_definition(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    exact = 1 - comb(n - c, k) / comb(n, k)
    assert abs(float(pass_at_k(n, c, k)) - exact) < 1e-9


@settings(max_examples=200, deadline=None)
@given(n_c_k())
def test_pass_at_k_grows_with_k_and_with_correct_samples(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    value = float(pass_at_k(n, c, k))
    assert 0.0 <= value <= 1.0
    if k < n:
        assert float(pass_at_k(n, c, k + 1)) >= value - 1e-12
    if c < n:
        assert float(pass_at_k(n, c + 1, k)) >= value - 1e-12


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_the_estimate_and_is_never_zero_width(kn: tuple[int, int]) -> None:
    k, n = kn
    lo, hi = wilson_interval(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
    assert hi - lo > 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=60))
def test_benjamini_hochberg_never_lowers_a_p_value_and_keeps_order(p: list[float]) -> None:
    raw = np.array(p)
    adj = benjamini_hochberg(raw)
    assert np.all(adj >= raw - 1e-12) and np.all(adj <= 1.0)
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(adj[order]) >= -1e-12)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60))
def test_mcnemar_is_symmetric_and_a_probability(b: int, c: int) -> None:
    p = mcnemar_exact(b, c)
    assert 0.0 <= p <= 1.0
    assert p == mcnemar_exact(c, b)
