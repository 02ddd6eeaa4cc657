"""The words capslice uses, defined once: slice axes, failure modes, verdicts, outcomes, slice
sizes, averages, and how a slice is written.

Every other module imports these names from here (``tests/unit/test_vocabulary.py`` checks that
no module defines one of them again). The tuples are typed ``tuple[str, ...]`` so dicts keyed
by them stay ``dict[str, ...]``; the ``Literal`` types (:data:`Axis`, :data:`FailureMode`,
:data:`Verdict`, :data:`Outcome`, :data:`Average`) name the same words for annotations. This module imports nothing from the package, so any
layer (store, analysis, workspace, CLI, app) may use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

Axis = Literal["background_condition", "task_type", "solving_operation", "output_constraint"]
AXES: tuple[str, ...] = (
    "background_condition",
    "task_type",
    "solving_operation",
    "output_constraint",
)
"""The four slice axes, in display order. A taxonomy must declare exactly these."""

CONTENT_AXES: tuple[str, ...] = AXES[:3]
"""The axes that describe what an item asks (``output_constraint`` describes its answer's form)."""

FailureMode = Literal[
    "correct", "wrong_answer", "extraction_failure", "truncated", "runaway", "empty"
]
FAILURE_MODES: tuple[str, ...] = (
    "correct",
    "wrong_answer",
    "extraction_failure",
    "truncated",
    "runaway",
    "empty",
)
"""Every sample's failure mode (``correct`` for a right answer), in display order."""

FORMAT_MODES: tuple[str, ...] = ("extraction_failure", "truncated", "runaway", "empty")
"""Modes driven by format, termination or extraction rather than by what the model knows: the
only modes non-data rules may name (``correct`` and ``wrong_answer`` are not evidence of a
non-data cause)."""

Verdict = Literal["data", "not_data", "inconclusive"]
VERDICTS: tuple[str, ...] = ("data", "not_data", "inconclusive")
"""What ``diagnose`` decides: the fix belongs in the data, somewhere else, or cannot be told."""

Outcome = Literal["confirmed", "refuted", "inconclusive", "harmful", "unmeasurable"]
OUTCOMES: tuple[str, ...] = ("confirmed", "refuted", "inconclusive", "harmful", "unmeasurable")
"""What a measured data intervention came to (difference-in-differences against its controls)."""

MIN_SLICE_SIZE = 10
"""Items: slices with fewer are reported but not tested (statistics.md, Defaults)."""

WARN_SLICE_SIZE = 20
"""Items: slices with fewer carry a small-slice warning."""


def few_items_no_interval(n_samples: int, n_items: int) -> bool:
    """Whether a group of ``n_samples`` samples over ``n_items`` items gets no interval: its
    items have several samples each and there are fewer than :data:`MIN_SLICE_SIZE` of them
    (the samples of one item are not independent, so an interval over the samples is too
    narrow, and a bootstrap over a handful of items cannot be trusted)."""
    return n_samples > n_items and n_items < MIN_SLICE_SIZE


FEW_ITEMS_NO_INTERVAL = (
    f"no interval for a group of fewer than {MIN_SLICE_SIZE} items with several samples each "
    "(one item's samples are not independent: an interval over them would be too narrow)"
)
"""The note beside a group printed without an interval (:func:`few_items_no_interval`)."""

Average = Literal["micro", "macro"]
AVERAGES: tuple[str, ...] = ("micro", "macro")
"""How a score over several tasks weighs them; every roll-up names the one it uses."""

UNLABELLED = "(unlabelled)"
"""How a slice shows the items without a label on an axis."""

SLICE_JOINER = " & "
"""Between the predicates of a slice written out: ``task_type=algebra & output_constraint=integer``."""

QUESTION_WORD = "q:"
"""The prefix of a discovery term (and of a group named after one) that is a word of the
item's question rather than of the response: ``q:digit``, written so in the CLI and the app."""
QUESTION_WORD_NOTE = "q:word = a word of the question (other terms are words of the response)"
"""The note beside a discovery table that shows a :data:`QUESTION_WORD` term or group."""

FAILURE_MARKS = {"wrong_answer": "wrong", "extraction_failure": "fmt!", "truncated": "trunc"}
"""The failure modes a samples table shows by a short marker, one scheme in the CLI and the
app (``runaway`` and ``empty`` are short already), so the mode column is never cut and never
mixes a full name with markers; :data:`FAILURE_MARK_MEANING` is the legend beside it."""
FAILURE_MARK_MEANING = {
    "wrong_answer": "wrong = wrong_answer (a wrong answer, or none found)",
    "extraction_failure": "fmt! = extraction_failure (the right answer is in the response but the scorer missed it)",
    "truncated": "trunc = truncated (the response stopped at the generation length cap)",
}
"""What each of :data:`FAILURE_MARKS` stands for: the legend under a table that shows it."""
MODE_MARKS = {"correct": "correct", **FAILURE_MARKS, "runaway": "runaway", "empty": "empty"}
"""Every failure mode as a narrow column or cell shows it (the samples tables, a narrow
``trend --modes`` table): :data:`FAILURE_MARKS` and the modes short already; a mode not here
(``(unclassified)``) keeps its name."""


def label(
    slice_: Mapping[str, object] | Iterable[tuple[str, object]], *, values_only: bool = False
) -> str:
    """A slice written out: ``axis=value`` predicates joined by :data:`SLICE_JOINER`.

    ``slice_``: a mapping ``{axis: value}`` or ``(axis, value)`` pairs, in the order to print.
    ``values_only``: print ``value & value`` (a table whose header names the axes).
    ``{}`` gives ``""``.
    """
    pairs = slice_.items() if isinstance(slice_, Mapping) else slice_
    if values_only:
        return SLICE_JOINER.join(str(v) for _, v in pairs)
    return SLICE_JOINER.join(f"{a}={v}" for a, v in pairs)
