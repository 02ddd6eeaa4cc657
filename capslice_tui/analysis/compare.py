"""Two runs on the same items: paired tests, multiple-testing control, comparability checks.

Numpy (imported on first use: two greedy runs are compared from counts with the standard
library alone, their interval included) and the standard library (no scipy: issue 14). Formulas, sources and test vectors: ``shared/statistics.md``.

- Greedy 0/1 runs: exact McNemar test on the discordant counts b (right in base, wrong in
  candidate) and c (the reverse); interval for the difference compatible with that test
  (Fay & Lumbard 2021: it excludes 0 exactly when p < 0.05), so the interval and the p-value
  never tell a reader two different things.
- Several samples per item or pass@k: paired bootstrap over items of the per-item score
  difference; two-sided p-value from the bootstrap distribution shifted to the null.
- Many slices: Benjamini–Hochberg (1995) over the slices actually tested; slices below the
  minimum size are reported but not tested and do not count in m.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from capslice_tui.analysis.metrics import (
    MIN_SLICE_SIZE,
    N_BOOT,
    WARN_SLICE_SIZE,
    Z95,
    SliceScore,
    bootstrap_means,
    greedy_score,
    is_single_binary,
    per_item_scores,
    percentile_interval,
    slice_score,
)

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use: two greedy runs are compared from counts alone (start-up)
    from .lazy import np

DEFAULT_P_DISCORDANT = 0.5
"""Discordant share assumed by :func:`min_detectable_difference` when none is known: the
largest value two independent runs can have (both at 50%), so the MDD is conservative."""


# ``scipy.stats.norm.ppf`` at the quantiles the tests use, to the last bit (the standard
# library's inverse CDF can differ from it in the last unit of precision)
_Z_EXACT = {0.975: 1.959963984540054, 0.8: 0.8416212335729143, 0.995: 2.5758293035489004}


def _z(q: float) -> float:
    """Standard normal quantile (no scipy: importing it costs seconds of start-up, issue 14)."""
    exact = _Z_EXACT.get(q)
    if exact is not None:
        return exact
    from statistics import NormalDist

    return NormalDist().inv_cdf(q)


EXACT_BINOMIAL_TERMS = 300
"""Up to this many tail terms (``k``) the McNemar p-value is an exact integer sum; above, a
fixed-point sum with proven error bounds (:func:`_binom_half_cdf`); both correctly rounded."""


def _binom_half_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2) = sum of C(n, i) / 2**n over i <= k, correctly
    rounded to the nearest double (subnormal or 0.0 where it underflows), for any n.

    The exact binomial tail (the distribution of McNemar's 1947 exact test: b of the b + c
    discordant pairs under p = 1/2). Up to :data:`EXACT_BINOMIAL_TERMS` terms (and for
    k >= n/2) the sum is formed with exact integers and divided once (int / int is correctly
    rounded in Python); its cost grows as k² log n, so above, for k < n/2:
    C(n, k) is a product of k ratios (n - k + i) / i carried as a 128+-bit integer mantissa
    truncated after each chunk of factors (a lower bound L, with the upper bound
    L (1 + 2^-P)^(2·chunks) + 1), and the tail sum R = Σ_j C(n, k - j) / C(n, k) is a
    fixed-point series whose ratios (k - j) / (n - k + j + 1) are below 1, truncated term by
    term (each term's error at most its index in units; the terms dropped once zero are below
    that bound and decreasing). When both bounds of L·R·2^-n round to the same double it is
    the correctly rounded value; otherwise (a value within the bounds' width of a rounding
    boundary) the sums run again with 64 more bits, and after three tries with exact
    integers. Cost: O(k) operations on small integers (~25 ms at k = 50,000), with no
    overflow or underflow at any n.
    """
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if k <= EXACT_BINOMIAL_TERMS or 2 * k >= n:
        return _binom_half_cdf_exact(k, n)
    # the tail is below C(n, k) 2^-n (n - k + 1)/(n - 2k + 1) (term ratios below k/(n - k + 1));
    # when that bound is far below half the smallest subnormal (2^-1075), the value rounds
    # to 0.0 (lgamma's error at any n is far inside the margin)
    log2_bound = (
        (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)
        - n
        + math.log2((n - k + 1) / (n - 2 * k + 1))
    )
    if log2_bound < -1100:
        return 0.0
    for bits in (128, 192, 256):
        value = _binom_half_cdf_bounded(k, n, bits)
        if value is not None:
            return value
    return _binom_half_cdf_exact(k, n)


def _binom_half_cdf_exact(k: int, n: int) -> float:
    """:func:`_binom_half_cdf` by exact integers (one correctly rounded division)."""
    term, total = 1, 1
    for i in range(k):
        term = term * (n - i) // (i + 1)
        total += term
    return total / (1 << n)  # int / int: correctly rounded, however large


def _binom_half_cdf_bounded(k: int, n: int, bits: int) -> float | None:
    """:func:`_binom_half_cdf` for 0 < k < n/2 from a lower and an upper bound carried with
    ``bits`` bits of precision: the double both round to, or None when they round apart."""
    chunk = 32  # factors per step (one multiplication and one division of small integers)
    m, exp, steps = 1 << bits, -bits, 0  # C(n, k) >= m * 2**exp
    i = 1
    while i <= k:
        g = min(chunk, k - i + 1)
        m = m * math.prod(range(n - k + i, n - k + i + g)) // math.prod(range(i, i + g))
        s = m.bit_length() - bits - 8
        if s > 0:
            m >>= s
            exp += s
        steps += 1
        i += g
    # each step truncates twice (the division and the shift), each time by less than one unit
    # of a mantissa of at least 2**bits: the true mantissa is below m (1 + 2**-bits)**(2 steps)
    m_hi = m + ((m * (4 * steps + 1)) >> bits) + 1
    q = bits + 2 * (k + 2).bit_length()
    term, total, j = 1 << q, 0, 0
    while term and j <= k:
        total += term
        term = term * (k - j) // (n - k + j + 1)
        j += 1
    # term j's truncation error is at most j units (ratios < 1); the terms left when one
    # reaches 0 are each below j + 1 units: at most (k + 1)(j + 1) units in all, doubled
    err = 2 * (j + 1) * (k + 2)
    shift = n + q - exp

    def scaled(x: int) -> float:
        return x / (1 << shift) if shift >= 0 else float(x << -shift)

    lo, hi = scaled(m * total), scaled(m_hi * (total + err))
    return lo if lo == hi else None


# ---------------------------------------------------------------- tests


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: ``binomtest(b, b + c, 0.5).pvalue``; 1.0 if b + c = 0.

    Args:
        b: items right in base and wrong in candidate (int >= 0).
        c: items wrong in base and right in candidate (int >= 0).

    Raises:
        ValueError: negative or non-integer counts.
    """
    if int(b) != b or int(c) != c or b < 0 or c < 0:
        raise ValueError(f"mcnemar_exact: b={b!r}, c={c!r} must be non-negative integers")
    b, c = int(b), int(c)
    n = b + c
    if n == 0 or 2 * b == n:
        return 1.0
    # symmetric null: the outcomes as or less likely than b are the two tails beyond
    # min(b, c), so p = 2 P(X <= min(b, c)) (scipy's binomtest at p = 1/2 sums the same tails)
    return min(1.0, 2.0 * _binom_half_cdf(min(b, c), n))


def fisher_exact_two_sided(table: Sequence[Sequence[int]]) -> float:
    """Two-sided Fisher exact p-value of a 2x2 table, as ``scipy.stats.fisher_exact``
    computes it: the hypergeometric probability of every table with the same margins that is
    no more likely than the observed one (relative tolerance 1e-14); 1.0 when a margin is 0
    or the observed table is the most likely one.

    The probabilities come from cumulative log ratios of successive terms, normalised over
    the whole support (log-sum-exp), so no factorial is formed (relative error ~1e-12).

    Raises:
        ValueError: a negative or non-integer cell.
    """
    (a, b), (c, d) = ((int(x) for x in row) for row in table)
    if any(v < 0 for v in (a, b, c, d)) or [[a, b], [c, d]] != [list(r) for r in table]:
        raise ValueError(f"fisher_exact_two_sided: cells must be non-negative integers: {table}")
    n1, n2, n = a + b, c + d, a + c
    if 0 in (n1, n2, n, b + d):
        return 1.0
    lo, hi = max(0, n - n2), min(n, n1)
    x = np.arange(lo, hi, dtype=float)  # log pmf(x + 1) - log pmf(x) for x in [lo, hi)
    steps = np.log((n1 - x) * (n - x)) - np.log((x + 1) * (n2 - n + x + 1))
    log_p = np.concatenate(([0.0], np.cumsum(steps)))
    top = float(log_p.max())
    pmf = np.exp(log_p - top)
    pmf /= pmf.sum()
    exact = pmf[a - lo]
    mode = int((n + 1) * (n1 + 1) / (n1 + n2 + 2))
    p_mode = pmf[min(max(mode, lo), hi) - lo]
    if abs(exact - p_mode) / max(exact, p_mode) <= 1e-14:
        return 1.0
    return float(min(1.0, pmf[pmf <= exact * (1 + 1e-14)].sum()))


def benjamini_hochberg(pvals: Any) -> np.ndarray:
    """Benjamini–Hochberg (1995) adjusted p-values (``false_discovery_control(method="bh")``).

    NaN entries stay NaN and are not counted in m (they were not tested).

    Args:
        pvals: shape (m,), values in [0, 1] or NaN.

    Returns:
        float array of the same shape.

    Raises:
        ValueError: a value outside [0, 1].
    """
    p = np.asarray(pvals, dtype=float).ravel()
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return out
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError("benjamini_hochberg: p-values must lie in [0, 1]")
    out[ok] = _bh(p[ok])
    return out


def _bh(p: np.ndarray) -> np.ndarray:
    """BH step-up adjustment of a 1-D array without NaN, as ``scipy.stats.
    false_discovery_control(p, method="bh")`` computes it: sort, p·m/i, running minimum
    from the largest, back to input order, clip to [0, 1]."""
    m = p.size
    if m <= 1:
        return p.copy()
    order = np.argsort(p)
    ps = p[order] * (m / np.arange(1, m + 1, dtype=float))
    ps = np.minimum.accumulate(ps[::-1])[::-1]
    out = np.empty_like(ps)
    out[order] = ps
    return np.clip(out, 0.0, 1.0)


def _bh_floats(pvals: Sequence[float]) -> list[float]:
    """:func:`benjamini_hochberg` of a list of floats (NaN: not tested) in plain Python, to
    the same bits: the same operations, p·(m/i) then the running minimum from the largest and
    the clip, in IEEE doubles (ties in p get equal adjusted values whatever their order).

    Raises:
        ValueError: a value outside [0, 1].
    """
    tested = [i for i, p in enumerate(pvals) if not math.isnan(p)]
    out = [math.nan] * len(pvals)
    if any(not 0.0 <= pvals[i] <= 1.0 for i in tested):
        raise ValueError("benjamini_hochberg: p-values must lie in [0, 1]")
    m = len(tested)
    if m == 1:
        out[tested[0]] = pvals[tested[0]]
        return out
    order = sorted(tested, key=pvals.__getitem__)
    running = math.inf
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvals[i] * (m / rank))
        out[i] = min(max(running, 0.0), 1.0)
    return out


def min_detectable_difference(
    n: int,
    p_discordant: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Smallest paired accuracy difference a two-sided McNemar test on n items detects.

    Solves Connor's (1987) sample-size formula for McNemar's test (normal approximation;
    Connor, R. J., "Sample size for testing differences in proportions for the paired-sample
    design", Biometrics 43:207-211) for δ:

        √n · δ = z_{1−α/2} · √ψ + z_{power} · √(ψ − δ²)

    where ψ = P(discordant) = p10 + p01 and δ = p01 − p10 (the accuracy difference).

    Args:
        n: paired items (>= 1).
        p_discordant: ψ in (0, 1]; None assumes 0.5 (conservative, see DEFAULT_P_DISCORDANT).
        alpha: two-sided level.
        power: desired power.

    Returns:
        δ in (0, ψ] as a proportion; ``inf`` when even δ = ψ (all discordant pairs one way)
        cannot be detected with n items; NaN for n = 0.

    Raises:
        ValueError: ψ outside (0, 1] or alpha/power outside (0, 1).
    """
    if n <= 0:
        return math.nan
    psi = DEFAULT_P_DISCORDANT if p_discordant is None else float(p_discordant)
    if not 0 < psi <= 1:
        raise ValueError(f"min_detectable_difference: p_discordant={psi} must be in (0, 1]")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("min_detectable_difference: alpha and power must be in (0, 1)")
    za, zb = _z(1 - alpha / 2), _z(power)

    def f(d: float) -> float:
        return math.sqrt(n) * d - za * math.sqrt(psi) - zb * math.sqrt(max(psi - d * d, 0.0))

    if f(psi) < 0:
        return math.inf
    # f rises monotonically on [0, ψ] (f(0) < 0 <= f(ψ)): bisection to 1e-13
    lo, hi = 0.0, psi
    while hi - lo > 1e-13:
        mid = 0.5 * (lo + hi)
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def required_items(
    delta: float,
    p_discordant: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Paired items needed to detect an accuracy difference δ (Connor 1987, see above).

    n = (z_{1−α/2}·√ψ + z_{power}·√(ψ − δ²))² / δ², rounded up.

    Returns:
        items as a float (``inf`` when δ == 0; NaN when |δ| > ψ, which is impossible).
    """
    psi = DEFAULT_P_DISCORDANT if p_discordant is None else float(p_discordant)
    d = abs(float(delta))
    if d == 0:
        return math.inf
    if d > psi:
        return math.nan
    za, zb = _z(1 - alpha / 2), _z(power)
    return float(math.ceil((za * math.sqrt(psi) + zb * math.sqrt(psi - d * d)) ** 2 / d**2 - 1e-9))


# ---------------------------------------------------------------- paired comparison


@dataclass(frozen=True)
class PairedResult:
    """Candidate minus base on the same items.

    Attributes:
        n_items: paired items that entered the test.
        base, cand: each side's :class:`SliceScore` (over all given items).
        diff: cand score − base score over the paired eligible items (proportion).
        diff_lo, diff_hi: 95% interval of ``diff`` (for McNemar the exact interval of
            :func:`mcnemar_exact_interval`, excluding 0 exactly when p < 0.05; percentile
            bootstrap otherwise).
        p_value: two-sided p-value (NaN when no item).
        test: ``"mcnemar-exact"`` or ``"paired-bootstrap"``.
        b, c: discordant counts (right→wrong, wrong→right); None for the bootstrap.
        mdd: minimum detectable difference at α = 0.05, power 0.8 (proportion).
        warning: small-slice warning, or None.
        below_min_size: True when n_items < min slice size (reported, not tested).
        random_state, n_boot: bootstrap settings (n_boot 0 for McNemar).
    """

    n_items: int
    base: SliceScore
    cand: SliceScore
    diff: float
    diff_lo: float
    diff_hi: float
    p_value: float
    test: str
    b: int | None
    c: int | None
    mdd: float
    warning: str | None
    below_min_size: bool = False
    random_state: int | None = None
    n_boot: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with nested base/cand dicts."""
        d = asdict(self)
        d["base"] = self.base.to_dict()
        d["cand"] = self.cand.to_dict()
        return d


def agresti_min_interval(b: int, c: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Adjusted Wald interval for a paired difference (Agresti & Min 2005, Stat Med 24:729).

    Adds 0.5 to each cell of the 2x2 table: δ* = (c* − b*)/n*, with b* = b + 0.5,
    c* = c + 0.5, n* = n + 2, se = √((b* + c*) − (c* − b*)²/n*)/n*. Clipped to [−1, 1].

    Not the interval reported next to the exact McNemar test (it can exclude 0 while the
    test is not significant: b = 20, c = 9, n = 250 gives [−8.6, −0.1] points with p = 0.061);
    :func:`mcnemar_exact_interval` starts its root search from it.
    """
    bs, cs, ns = b + 0.5, c + 0.5, n + 2.0
    d = (cs - bs) / ns
    se = math.sqrt(max((bs + cs) - (cs - bs) ** 2 / ns, 0.0)) / ns
    return max(-1.0, d - z * se), min(1.0, d + z * se)


_GL_NODES = 48
"""Gauss–Legendre nodes of the integral in :func:`_melded_cdf` (at 48 the bounds' defining
tail probabilities match scipy's adaptive quadrature to ~1e-9 over n up to 5000)."""


@functools.lru_cache(maxsize=1)
def _gauss_legendre(k: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Nodes and weights of k-point Gauss–Legendre quadrature on [−1, 1] (Newton's method on
    the Legendre polynomial from the Chebyshev-like first guesses; as numpy's ``leggauss``
    to ~1e-15, without numpy)."""
    nodes, weights = [], []
    for i in range(1, k + 1):
        x = math.cos(math.pi * (i - 0.25) / (k + 0.5))
        for _ in range(100):
            p0, p1 = 1.0, x
            for j in range(2, k + 1):
                p0, p1 = p1, ((2 * j - 1) * x * p1 - (j - 1) * p0) / j
            dp = k * (x * p1 - p0) / (x * x - 1)
            x, step = x - p1 / dp, p1 / dp
            if abs(step) < 1e-16:
                break
        nodes.append(x)
        weights.append(2 / ((1 - x * x) * dp * dp))
    return tuple(nodes), tuple(weights)


@functools.lru_cache(maxsize=256)
def _beta_support(a: int, b: int) -> tuple[float, float, float]:
    """``(lo, hi, log B(a, b))``: outside [lo, hi] the Beta(a, b) density (a, b >= 1) is
    below e^-40 of its peak (its log is concave, so bisection from the mode finds both)."""
    lnorm = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    mode = (a - 1) / (a + b - 2) if a + b > 2 else 0.5

    def log_pdf(t: float) -> float:
        if t <= 0.0 or t >= 1.0:  # the density's limit at an end: finite only for a or b = 1
            end_param, other = (a, b) if t <= 0.0 else (b, a)
            return math.log(other) if end_param == 1 else -math.inf
        return (a - 1) * math.log(t) + (b - 1) * math.log1p(-t) - lnorm

    cut = log_pdf(mode) - 40.0

    def edge(inside: float, outside: float) -> float:
        if log_pdf(outside) >= cut:
            return outside
        for _ in range(60):
            mid = 0.5 * (inside + outside)
            inside, outside = (mid, outside) if log_pdf(mid) >= cut else (inside, mid)
        return outside

    return edge(mode, 0.0), edge(mode, 1.0), lnorm


def _binom_sf(k: int, n: int, q: float) -> float:
    """P(X >= k) for X ~ Binomial(n, q), 0 <= q <= 1 (absolute error ~1e-16): the smaller
    side's pmf summed from k outward (each term from the last by one ratio) until the terms
    fall below 1e-17 of the sum."""
    if k <= 0 or q >= 1.0:
        return 1.0
    if k > n or q <= 0.0:
        return 0.0
    odds = q / (1.0 - q)
    j = k if k > n * q else k - 1  # upper tail from k, or lower tail P(X <= k - 1) down
    log_term = (
        math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1)
        + j * math.log(q) + (n - j) * math.log1p(-q)
    )  # fmt: skip
    term = math.exp(log_term) if log_term > -745.0 else 0.0
    total = term
    if j == k:  # terms fall from k up (k is at or past the mode)
        while j < n and term > total * 1e-17:
            term *= (n - j) / (j + 1) * odds
            total += term
            j += 1
        return min(total, 1.0)
    while j > 0 and term > total * 1e-17:
        term *= j / ((n - j + 1) * odds)
        total += term
        j -= 1
    return max(0.0, 1.0 - total)


def _melded_cdf(delta: float, b: int, c: int, n: int) -> float:
    """Pr[T (2B − 1) <= delta]: the lower-tail confidence distribution of the paired
    difference in :func:`mcnemar_exact_interval` (B ~ Beta(c, b + 1), T ~ Beta(m, n − m + 1)
    for delta > 0 and Beta(m + 1, n − m) for delta < 0, m = b + c; Beta(0, ·) is 0 and
    Beta(·, 0) is 1). Increasing in delta; at 0 it is the exact McNemar tail P(X <= b),
    X ~ Binomial(m, 1/2)."""
    m = b + c
    if delta == 0.0:
        return _binom_half_cdf(b, m)
    if c == 0:  # B = 0: Pr[−T <= delta]
        if delta > 0 or m == n:
            return 1.0
        return 1.0 - _binom_sf(m + 1, n, -delta)  # Pr[T >= −delta], T ~ Beta(m + 1, n − m)
    if delta < 0 and m == n:  # T = 1
        return _binom_sf(c, m, 0.5 + delta / 2)
    a, bt = (m, n - m + 1) if delta > 0 else (m + 1, n - m)
    lo, hi, lnorm = _beta_support(a, bt)
    # delta > 0: for T <= delta the event holds whatever B is (Pr[T <= delta] = I_delta(a, bt))
    below = _binom_sf(a, a + bt - 1, min(delta, 1.0)) if delta > 0 else 0.0
    lo = max(lo, abs(delta))  # delta < 0: no T below |delta| meets the event
    if lo >= hi:
        return min(1.0, below)
    half, mid = 0.5 * (hi - lo), 0.5 * (hi + lo)
    total = 0.0
    for x, w in zip(*_gauss_legendre(_GL_NODES), strict=True):
        t = mid + half * x
        pdf = math.exp((a - 1) * math.log(t) + (bt - 1) * math.log1p(-t) - lnorm)
        q = 0.5 + delta / (2.0 * t)  # Pr[B <= q] = P(Binomial(m, q) >= c)
        total += w * pdf * (1.0 if q >= 1.0 else _binom_sf(c, m, max(q, 0.0)))
    return min(1.0, max(0.0, below + half * total))


def _brentq(f: Callable[[float], float], xa: float, xb: float, fa: float, fb: float) -> float:
    """Root of f in [xa, xb] (fa, fb of opposite signs) by Brent's method (Brent 1973,
    ch. 4, as scipy's ``brentq``), to 1e-10."""
    xpre, xcur, fpre, fcur = xa, xb, fa, fb
    xblk = fblk = spre = scur = 0.0
    for _ in range(100):
        if fpre != 0 and fcur != 0 and (fpre > 0) != (fcur > 0):
            xblk, fblk = xpre, fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):
            xpre, xcur, xblk = xcur, xblk, xcur
            fpre, fcur, fblk = fcur, fblk, fcur
        tol = 0.5e-10 + 4.4e-16 * abs(xcur)
        sbis = (xblk - xcur) / 2
        if fcur == 0 or abs(sbis) < tol:
            return xcur
        stry, interpolate = sbis, False  # bisection unless interpolation steps short enough
        if abs(spre) > tol and abs(fcur) < abs(fpre):
            if xpre == xblk:  # secant
                stry = -fcur * (xcur - xpre) / (fcur - fpre)
            else:  # inverse quadratic interpolation
                dpre = (fpre - fcur) / (xpre - xcur)
                dblk = (fblk - fcur) / (xblk - xcur)
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            interpolate = 2 * abs(stry) < min(abs(spre), 3 * abs(sbis) - tol)
        spre, scur = (scur, stry) if interpolate else (sbis, sbis)
        xpre, fpre = xcur, fcur
        xcur += scur if abs(scur) > tol else (tol if sbis > 0 else -tol)
        fcur = f(xcur)
    return xcur


def _melded_lower(b: int, c: int, n: int, alpha: float) -> float:
    """Lower bound of :func:`mcnemar_exact_interval`: the delta where
    :func:`_melded_cdf` reaches alpha/2, on the side of 0 the exact McNemar tail decides."""
    m, half = b + c, alpha / 2
    if m == n and c == 0:
        return -1.0
    # P(X <= b), the test's one-sided tail toward the candidate; past the middle from its
    # complement (the exact integer sum's cost grows as b² there: 0.4 s at b = 30,000)
    p0 = _binom_half_cdf(b, m) if 2 * b < m else 1.0 - _binom_half_cdf(m - b - 1, m)
    if p0 == half:
        return 0.0

    def f(d: float) -> float:
        return _melded_cdf(d, b, c, n) - half

    lo, hi, flo, fhi = (
        (0.0, 1.0, p0 - half, 1.0 - half) if p0 < half else (-1.0, 0.0, -half, p0 - half)
    )
    # narrow the bracket around the Agresti–Min bound (close to the root) before Brent
    step = max((hi - lo) / 64, 1e-4)
    guess = min(max(agresti_min_interval(b, c, n)[0], lo + step), hi - step)
    for _ in range(12):
        if not lo < guess < hi:
            break
        fg = f(guess)
        if fg < 0:
            lo, flo, guess = guess, fg, guess + step
        else:
            hi, fhi, guess = guess, fg, guess - step
        if hi - lo <= step:
            break
        step *= 2
    return _brentq(f, lo, hi, flo, fhi)


@functools.lru_cache(maxsize=4096)
def mcnemar_exact_interval(b: int, c: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Interval for the paired difference (c − b)/n compatible with the exact McNemar test:
    it excludes 0 exactly when :func:`mcnemar_exact` gives p < alpha (Fay & Lumbard 2021).

    Fay, M. P. and Lumbard, K. (2021), "Confidence intervals for difference in proportions
    for matched pairs compatible with exact McNemar's or sign tests", Statistics in Medicine
    40(5):1147-1159 (doi:10.1002/sim.8829); the melding of Fay, Proschan & Brittain (2015,
    Biometrics 71:146-156); R's ``exact2x2::mcnemarExactDP`` computes it. The difference is
    δ = ψ(2θ − 1), ψ = P(discordant), θ = P(a discordant item favours the candidate). Each
    factor gets the Beta confidence distributions of its Clopper–Pearson interval, m = b + c
    of n for ψ and c of m for θ; a bound is the δ where the melded tail reaches alpha/2:

        lower: Pr[T (2B − 1) <= δ] = alpha/2,  B ~ Beta(c, b + 1),
               T ~ Beta(m, n − m + 1) for δ > 0, Beta(m + 1, n − m) for δ < 0;
        upper: the lower bound of the mirrored table, −lower(c, b).

    At δ = 0 the tail is P(X <= b), X ~ Binomial(m, 1/2), the exact McNemar one-sided tail,
    so the bound's side of 0 is the test's decision (decided here with the test's own
    :func:`_binom_half_cdf`); elsewhere a 48-node Gauss–Legendre integral over T and Brent's
    root search. No discordant item (b = c = 0) still gives ±(1 − (alpha/2)^(1/n)), never
    [0, 0]. Agresti–Min (:func:`agresti_min_interval`, a Wald interval) is not used: it is
    narrower and disagrees with the exact test near p = 0.05.

    Args:
        b, c: discordant items (right→wrong, wrong→right), integers >= 0.
        n: paired items (>= b + c, >= 1).
        alpha: two-sided level (0.05: a 95% interval).

    Returns:
        (lower, upper) within [−1, 1], as proportions.

    Raises:
        ValueError: counts that are not integers, negative, or sum above n.
    """
    if int(b) != b or int(c) != c or int(n) != n or min(b, c) < 0 or n < max(1, b + c):
        raise ValueError(f"mcnemar_exact_interval: b={b!r}, c={c!r}, n={n!r} are not counts")
    b, c, n = int(b), int(c), int(n)
    return _melded_lower(b, c, n, alpha), -_melded_lower(c, b, n, alpha)


def paired_compare(
    base_n: Any,
    base_c: Any,
    cand_n: Any,
    cand_c: Any,
    k: int | None = None,
    random_state: int = 0,
    n_boot: int = N_BOOT,
    min_size: int = MIN_SLICE_SIZE,
    alpha: float = 0.05,
) -> PairedResult:
    """Compare two runs item by item.

    Greedy 0/1 on both sides (and k None or 1): exact McNemar on (b, c), diff = (c − b)/n,
    the interval compatible with it (:func:`mcnemar_exact_interval`, Fay & Lumbard 2021),
    MDD from Connor (1987) with ψ = (b + c)/n (0.5 if b + c = 0).

    Otherwise: per-item scores (c/n or pass@k) on items eligible on both sides, d = cand − base;
    diff = mean(d), percentile interval of B paired bootstrap means; two-sided p-value
    p = (1 + #{|d̄*_b − d̄| >= |d̄|}) / (B + 1): the bootstrap distribution shifted to mean 0
    approximates the null (Efron & Tibshirani 1993, §16.4; Hall & Wilson 1991). MDD by the
    paired normal approximation (z_{1−α/2} + z_{0.8})·sd(d)/√n.

    Args:
        base_n, base_c, cand_n, cand_c: per-item arrays, shape (m,), aligned (same items in
            the same order).
        k: None for accuracy, or the k of pass@k.
        random_state, n_boot: bootstrap settings.
        min_size: below this many items the result is flagged ``below_min_size``.
        alpha: level used for the MDD.

    Raises:
        ValueError: arrays of different lengths or invalid counts.
    """
    bn = np.asarray(base_n, dtype=float).ravel()
    bc = np.asarray(base_c, dtype=float).ravel()
    cn = np.asarray(cand_n, dtype=float).ravel()
    cc = np.asarray(cand_c, dtype=float).ravel()
    if not (bn.shape == bc.shape == cn.shape == cc.shape):
        raise ValueError(
            "paired_compare: base and candidate arrays must be aligned per item; got lengths "
            f"base_n={bn.size}, base_c={bc.size}, cand_n={cn.size}, cand_c={cc.size}"
        )
    base = slice_score(bn, bc, k=k, random_state=random_state, n_boot=n_boot, min_size=min_size)
    cand = slice_score(cn, cc, k=k, random_state=random_state, n_boot=n_boot, min_size=min_size)
    greedy = (k is None or k == 1) and is_single_binary(bn, bc) and is_single_binary(cn, cc)
    if greedy and bn.size > 0:
        b = int(np.sum((bc == 1) & (cc == 0)))
        c = int(np.sum((bc == 0) & (cc == 1)))
        return _mcnemar_result(base, cand, int(bn.size), b, c, min_size, alpha)
    sb = per_item_scores(bn, bc, k)
    sc = per_item_scores(cn, cc, k)
    ok = ~(np.isnan(sb) | np.isnan(sc))
    d = sc[ok] - sb[ok]
    n = int(d.size)
    if n == 0:
        return PairedResult(
            0, base, cand, math.nan, math.nan, math.nan, math.nan, "paired-bootstrap",
            None, None, math.nan, "no item eligible on both sides", True, random_state, n_boot,
        )  # fmt: skip
    mean = float(d.mean())
    rng = np.random.default_rng(random_state)
    boot = bootstrap_means(d, n_boot, rng)
    lo, hi = percentile_interval(boot)
    if np.all(d == 0):
        p = 1.0
    else:
        p = float((1 + np.sum(np.abs(boot - mean) >= abs(mean))) / (n_boot + 1))
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    mdd = (_z(1 - alpha / 2) + _z(0.8)) * sd / math.sqrt(n) if n > 1 else math.nan
    return PairedResult(
        n_items=n, base=base, cand=cand, diff=mean, diff_lo=lo, diff_hi=hi, p_value=p,
        test="paired-bootstrap", b=None, c=None, mdd=mdd, warning=_warn(n, min_size),
        below_min_size=n < min_size, random_state=random_state, n_boot=n_boot,
    )  # fmt: skip


def paired_greedy_counts(
    n: int,
    base_correct: float,
    cand_correct: float,
    b: int,
    c: int,
    min_size: int = MIN_SLICE_SIZE,
    alpha: float = 0.05,
) -> PairedResult:
    """:func:`paired_compare` of two greedy runs from counts alone (what SQL aggregates give).

    Args:
        n: paired items (>= 1), each with one 0/1 sample on both sides.
        base_correct, cand_correct: items right in base / in candidate.
        b, c: discordant items (right→wrong, wrong→right).

    Returns:
        the same :class:`PairedResult` as ``paired_compare`` on the per-item arrays.

    Raises:
        ValueError: n < 1 or negative counts.
    """
    if n < 1:
        raise ValueError(f"paired_greedy_counts: n={n} must be >= 1")
    base = greedy_score(n, base_correct, min_size)
    cand = greedy_score(n, cand_correct, min_size)
    return _mcnemar_result(base, cand, n, int(b), int(c), min_size, alpha)


def paired_interval(b: int, c: int, n: int, p: float, alpha: float = 0.05) -> tuple[float, float]:
    """The interval a greedy paired comparison reports for (c − b)/n, on the exact McNemar
    test's side of 0: Agresti–Min (:func:`agresti_min_interval`, Agresti & Min 2005) when it
    excludes 0 exactly when ``p`` < alpha, else the interval compatible with the test
    (:func:`mcnemar_exact_interval`, Fay & Lumbard 2021). The two differ only near the
    test's boundary, where the Wald-type interval can exclude 0 while the exact test does not
    reject (b = 20, c = 9, n = 250: [−8.6, −0.1] points beside p = 0.061); the exact one costs
    ~25 ms at 2,000 discordant items and ~0.1 s at 45,000, too slow for every row of a
    comparison of 100k items.

    Args:
        b, c: discordant items (right→wrong, wrong→right); n: paired items; p: the exact
            McNemar p-value of (b, c) (:func:`mcnemar_exact`); alpha: two-sided level.

    Returns:
        (lower, upper) as proportions.
    """
    lo, hi = agresti_min_interval(b, c, n, z=_z(1 - alpha / 2))
    if (lo > 0 or hi < 0) == (p < alpha):
        return lo, hi
    return mcnemar_exact_interval(b, c, n, alpha)


def _mcnemar_result(
    base: SliceScore, cand: SliceScore, n: int, b: int, c: int, min_size: int, alpha: float
) -> PairedResult:
    p = mcnemar_exact(b, c)
    lo, hi = paired_interval(b, c, n, p)
    psi = (b + c) / n if b + c > 0 else None
    mdd = min_detectable_difference(n, psi, alpha=alpha)
    return PairedResult(
        n_items=n, base=base, cand=cand, diff=(c - b) / n, diff_lo=lo, diff_hi=hi,
        p_value=p, test="mcnemar-exact", b=b, c=c, mdd=mdd,
        warning=_warn(n, min_size), below_min_size=n < min_size,
    )  # fmt: skip


def _warn(n: int, min_size: int) -> str | None:
    if n < min_size:
        return f"below minimum slice size {min_size} (n={n}): reported, not tested"
    if n < WARN_SLICE_SIZE:
        return f"n<{WARN_SLICE_SIZE}: small slice (n={n}), the test has little power"
    return None


# ---------------------------------------------------------------- many slices


@dataclass(frozen=True)
class AdjustedComparison:
    """One slice's comparison after multiple-testing control.

    Attributes:
        key: the caller's slice key (e.g. ``("task_type", "algebra")``).
        result: the :class:`PairedResult`.
        tested: False when the slice is below the minimum size (or had no p-value).
        p_raw: raw p-value (NaN when not tested).
        p_adj: BH-adjusted p-value over the tested slices (NaN when not tested).
        n_tested: number of slices that entered the BH correction.
        significant: tested and p_adj <= q.
        q: the false discovery rate used.
    """

    key: Any
    result: PairedResult
    tested: bool
    p_raw: float
    p_adj: float
    n_tested: int
    significant: bool
    q: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        key = list(self.key) if isinstance(self.key, tuple) else self.key
        return {
            "key": key, "result": self.result.to_dict(), "tested": self.tested,
            "p_raw": self.p_raw, "p_adj": self.p_adj, "n_tested": self.n_tested,
            "significant": self.significant, "q": self.q,
        }  # fmt: skip


def adjust(
    results: Sequence[PairedResult],
    keys: Sequence[Any] | None = None,
    q: float = 0.05,
) -> list[AdjustedComparison]:
    """BH-adjust many slice comparisons; slices below the minimum size are reported untested.

    Args:
        results: one :class:`PairedResult` per slice.
        keys: slice keys in the same order (default: the index).
        q: false discovery rate.

    Returns:
        list of :class:`AdjustedComparison` in input order.

    Raises:
        ValueError: keys and results differ in length.
    """
    if keys is None:
        keys = list(range(len(results)))
    if len(keys) != len(results):
        raise ValueError(f"adjust: {len(keys)} keys for {len(results)} results")
    raw = [
        math.nan if (r.below_min_size or math.isnan(r.p_value)) else float(r.p_value)
        for r in results
    ]
    adj = _bh_floats(raw)
    n_tested = sum(not math.isnan(p) for p in raw)
    out = []
    for key, r, p, pa in zip(keys, results, raw, adj, strict=True):
        tested = not math.isnan(p)
        out.append(
            AdjustedComparison(
                key=key,
                result=r,
                tested=tested,
                p_raw=float(p),
                p_adj=float(pa),
                n_tested=n_tested,
                significant=bool(tested and pa <= q),
                q=q,
            )  # fmt: skip
        )
    return out


def compare_slices(
    slice_keys: Sequence[Any],
    base_n: Sequence[Any],
    base_c: Sequence[Any],
    cand_n: Sequence[Any],
    cand_c: Sequence[Any],
    k: int | None = None,
    random_state: int = 0,
    n_boot: int = N_BOOT,
    min_size: int = MIN_SLICE_SIZE,
    q: float = 0.05,
) -> list[AdjustedComparison]:
    """:func:`paired_compare` on every slice, then :func:`adjust` across the tested ones.

    Args:
        slice_keys: one key per slice.
        base_n, base_c, cand_n, cand_c: per slice, the aligned per-item arrays.

    Raises:
        ValueError: the lists differ in length, or any slice's arrays are misaligned.
    """
    lens = {len(slice_keys), len(base_n), len(base_c), len(cand_n), len(cand_c)}
    if len(lens) != 1:
        raise ValueError("compare_slices: slice_keys and per-slice arrays differ in length")
    results = [
        paired_compare(bn, bc, cn, cc, k=k, random_state=random_state, n_boot=n_boot,
                       min_size=min_size)
        for bn, bc, cn, cc in zip(base_n, base_c, cand_n, cand_c, strict=True)
    ]  # fmt: skip
    return adjust(results, list(slice_keys), q=q)


# ---------------------------------------------------------------- comparability


def _samples_per_item(meta: Mapping[str, Any]) -> Any:
    for key in ("n_samples", "samples_per_item", "repeats"):
        if meta.get(key) is not None:
            return meta[key]
    return None


def check_comparable(base_meta: Mapping[str, Any], cand_meta: Mapping[str, Any]) -> list[str]:
    """Reasons to refuse comparing two runs; an empty list means comparable.

    Looks at ``filter`` (answer-extraction variant), samples per item (``n_samples``,
    ``samples_per_item`` or ``repeats``), ``temperature`` and ``do_sample``. A key missing on
    either side is not a reason (logs often lack it).

    Returns:
        list of sentences, one per reason.
    """
    reasons: list[str] = []
    bf, cf = base_meta.get("filter"), cand_meta.get("filter")
    if bf is not None and cf is not None and bf != cf:
        reasons.append(
            f"Different answer filters: base uses {bf!r}, candidate uses {cf!r}; scores from "
            "different filters are never blended. Pick the same filter for both runs."
        )
    bs, cs = _samples_per_item(base_meta), _samples_per_item(cand_meta)
    if bs is not None and cs is not None and bs != cs:
        reasons.append(
            f"Different numbers of samples per item: base has {bs}, candidate has {cs}; "
            "accuracy over samples and pass@k are not comparable across sample counts."
        )
    bt, ct = base_meta.get("temperature"), cand_meta.get("temperature")
    if bt is not None and ct is not None and not math.isclose(float(bt), float(ct), abs_tol=1e-9):
        reasons.append(
            f"Different sampling temperatures: base {bt}, candidate {ct}; a change in "
            "temperature changes scores without any change in the model."
        )
    bd, cd = base_meta.get("do_sample"), cand_meta.get("do_sample")
    if bd is not None and cd is not None and bool(bd) != bool(cd):
        reasons.append(
            f"One run samples and the other decodes greedily (do_sample: base {bd}, "
            f"candidate {cd}); greedy accuracy and sampled accuracy are different metrics."
        )
    return reasons
