"""One proportion without numpy: the Wilson interval of k/n and the small-slice warning.

The slice table of greedy runs is built from stored counts by the CLI's cheapest commands,
which must not import numpy (issue 14: start-up); :mod:`.metrics` builds on these same
functions, so a figure is computed by one formula wherever it is printed.
"""

from __future__ import annotations

import math

from ..vocabulary import MIN_SLICE_SIZE, WARN_SLICE_SIZE

Z95 = 1.959964
"""The 95% two-sided normal quantile used by every interval."""


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of one proportion k/n (Wilson 1927, JASA 22:209) in floats.

    centre = (p + z²/2n)/(1 + z²/n), half = z·sqrt(p(1−p)/n + z²/4n²)/(1 + z²/n), clipped
    to [0, 1]; exactly 0 at k = 0 and 1 at k = n; never -0.0. The operations are those of
    ``metrics.wilson_interval_array`` in the same order, so the same bits (IEEE).
    Requires n > 0 and 0 <= k <= n (``metrics.wilson_interval`` checks and handles the rest).
    """
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    lo = 0.0 if k == 0 else _clip01(centre - half) + 0.0  # + 0.0 turns -0.0 into 0.0
    hi = 1.0 if k == n else _clip01(centre + half) + 0.0
    return lo, hi


def _clip01(x: float) -> float:
    """``np.clip(x, 0.0, 1.0)`` of one float (NaN stays NaN)."""
    return x if x != x else min(max(x, 0.0), 1.0)


def size_warning(
    n_items: int, min_size: int = MIN_SLICE_SIZE, warn_size: int = WARN_SLICE_SIZE
) -> str | None:
    """The warning a slice of ``n_items`` items carries: empty, below the minimum size
    (reported, not tested), or small (a wide interval); None from ``warn_size`` on."""
    if n_items == 0:
        return "empty slice: no eligible item"
    if n_items < min_size:
        return f"below minimum slice size {min_size} (n={n_items}): reported, not tested"
    if n_items < warn_size:
        return f"n<{warn_size}: small slice (n={n_items}), the interval is wide"
    return None
