"""Pure statistics and diagnosis: numpy arrays in, frozen dataclasses out.

Never imports SQLite, the store or Textual (tests/unit/test_architecture.py guards this).

- :mod:`.metrics`: Wilson intervals, pass@k, clustered slice scores.
- :mod:`.compare`: paired tests (exact McNemar, paired bootstrap), BH, MDD, comparability.
- :mod:`.failure_modes`: per-sample failure mode with its evidence.
- :mod:`.decompose`: change/weakness decomposition, SliceLine and significant slices.
- :mod:`.verdict`: data / not-data / inconclusive verdicts with checkable evidence.
"""

from capslice_tui.analysis.compare import (
    AdjustedComparison,
    PairedResult,
    adjust,
    benjamini_hochberg,
    check_comparable,
    compare_slices,
    mcnemar_exact,
    min_detectable_difference,
    paired_compare,
    required_items,
)
from capslice_tui.analysis.decompose import (
    CONTENT_AXES,
    Decomposition,
    SignificantSlice,
    Slice,
    SliceSearch,
    Weakness,
    decompose_change,
    decompose_weakness,
    regression_errors,
    significant_slices,
    sliceline,
)
from capslice_tui.analysis.failure_modes import (
    FORMAT_MODES,
    MODES,
    FailureMode,
    classify,
    classify_many,
    mode_counts,
    signal_counts,
)
from capslice_tui.analysis.metrics import (
    SliceScore,
    pass_at_k,
    pass_at_k_curve,
    score_groups,
    slice_score,
    wilson_interval,
    wilson_interval_array,
)
from capslice_tui.analysis.verdict import (
    Evidence,
    Verdict,
    verdict_for_change,
    verdict_for_weakness,
)

__all__ = [
    "AdjustedComparison",
    "CONTENT_AXES",
    "Decomposition",
    "Evidence",
    "FORMAT_MODES",
    "FailureMode",
    "MODES",
    "PairedResult",
    "SignificantSlice",
    "Slice",
    "SliceScore",
    "SliceSearch",
    "Verdict",
    "Weakness",
    "adjust",
    "benjamini_hochberg",
    "check_comparable",
    "classify",
    "classify_many",
    "compare_slices",
    "decompose_change",
    "decompose_weakness",
    "mcnemar_exact",
    "min_detectable_difference",
    "mode_counts",
    "paired_compare",
    "pass_at_k",
    "pass_at_k_curve",
    "regression_errors",
    "required_items",
    "score_groups",
    "signal_counts",
    "significant_slices",
    "slice_score",
    "sliceline",
    "verdict_for_change",
    "verdict_for_weakness",
    "wilson_interval",
    "wilson_interval_array",
]
