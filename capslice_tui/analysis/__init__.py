"""Pure statistics and diagnosis: numpy arrays in, frozen dataclasses out.

Never imports SQLite, the store or Textual (tests/unit/test_architecture.py guards this).

- :mod:`.metrics`: Wilson intervals, pass@k, clustered slice scores.
- :mod:`.compare`: paired tests (exact McNemar, paired bootstrap), BH, MDD, comparability.
- :mod:`.failure_modes`: per-sample failure mode with its evidence.
- :mod:`.decompose`: change/weakness decomposition.
- :mod:`.slice_search`: SliceLine, significant slices and paired slice tests.
- :mod:`.verdict`: data / not-data / inconclusive verdicts with checkable evidence.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names resolve on first use (PEP 562) so that importing one submodule, as the workspace does
# for metrics, does not import scipy through the others: commands start in well under a
# second (issue 14).
_SOURCE = {
    "AdjustedComparison": "compare",
    "PairedResult": "compare",
    "adjust": "compare",
    "benjamini_hochberg": "compare",
    "check_comparable": "compare",
    "compare_slices": "compare",
    "mcnemar_exact": "compare",
    "min_detectable_difference": "compare",
    "paired_compare": "compare",
    "required_items": "compare",
    "CONTENT_AXES": "decompose",
    "Decomposition": "decompose",
    "SignificantSlice": "slice_search",
    "Slice": "slice_search",
    "SliceSearch": "slice_search",
    "Weakness": "decompose",
    "decompose_change": "decompose",
    "decompose_weakness": "decompose",
    "regression_errors": "decompose",
    "significant_slices": "slice_search",
    "sliceline": "slice_search",
    "FORMAT_MODES": "failure_modes",
    "MODES": "failure_modes",
    "FailureMode": "failure_modes",
    "classify": "failure_modes",
    "classify_many": "failure_modes",
    "mode_counts": "failure_modes",
    "signal_counts": "failure_modes",
    "SliceScore": "metrics",
    "pass_at_k": "metrics",
    "pass_at_k_curve": "metrics",
    "score_groups": "metrics",
    "slice_score": "metrics",
    "wilson_interval": "metrics",
    "wilson_interval_array": "metrics",
    "Evidence": "verdict",
    "Verdict": "verdict",
    "verdict_for_change": "verdict",
    "verdict_for_weakness": "verdict",
}


def __getattr__(name: str) -> Any:
    module = _SOURCE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
