"""When a task's capslice score is no measure of its answers, only of the strict answer format.

A log that carries no correctness is scored by capslice's strict extraction, an emulation of
the official harness filters (BBH's case-sensitive ``the answer is``, gsm8k's ``#### N``...).
A task most of whose capslice-scored samples are strict extraction failures in which the
lenient extraction did read an answer, and whose lenient score is above the strict one by at
least one sample (the format costs score), gets a caveat: kept in the run's meta
(``strict_format``: task -> [benchmark, sentence]) and shown by the listings
(:func:`capslice_tui.workspace.core.strict_format_caveats`). Ingest counts the samples it
scores; a re-score counts every sample of the run again, so the caveat follows the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..formatting import count as count_text
from ..formatting import pct, plural

STRICT_FAILURE_SHARE = 0.5
"""Share of a task's capslice-scored samples in which the strict extraction read no answer
while the lenient one read one, from which the task's score is said to reflect the strict
answer format (:func:`strict_format_caveat`), provided the lenient score is above the strict
one by at least :data:`MIN_SAMPLES_LOST` samples."""

MIN_SAMPLES_LOST = 1
"""Samples (at the task's ``n``) by which the lenient score must exceed the strict one for the
caveat: lenient answers that are wrong, or right no more often than the strict ones (BBH's
word_sorting, cut-off outputs read as ``The second letter: ...``), cost the format nothing."""

Counts = list[float]
"""Per task: [samples capslice scored, of them strict extraction failures the lenient
extraction read (``n_lenient_only``), strict score sum, lenient right, lenient scored]."""


_NOT_GIVEN: Any = object()


def tally(
    counts: dict[Any, Counts],
    key: Any,
    score: float | None,
    lenient_extracted: str | None,
    lenient: float | None,
    failure_mode: str | None,
    extracted: str | None = _NOT_GIVEN,
) -> None:
    """Add one capslice-scored sample to ``counts[key]`` (created at zero).

    A strict failure the lenient extraction read is an ``extraction_failure`` with a lenient
    answer, or, when ``extracted`` (the sample's stored answer: capslice's strict one unless
    the log gave its own) is given, any sample whose strict extraction read nothing while the
    lenient one read an answer, right or wrong: a strict format the model never writes makes
    every such answer a failure, the wrong ones included."""
    row = counts.get(key)
    if row is None:
        row = counts[key] = [0, 0, 0.0, 0.0, 0]
    row[0] += 1
    row[1] += lenient_extracted is not None and (
        failure_mode == "extraction_failure" or (extracted is None)
    )
    row[2] += score or 0.0
    if lenient is not None:
        row[3] += lenient
        row[4] += 1


def strict_format_caveat(
    task: str, n: float, n_lenient_only: float, strict: float, lenient: float, n_lenient: float
) -> str:
    """Why a task's capslice score (its strict extraction) is no measure of the answers:
    ``''`` unless at least :data:`STRICT_FAILURE_SHARE` of its ``n`` capslice-scored samples
    are extraction failures in which the lenient extraction read an answer
    (``n_lenient_only``) and the lenient score, taken over ``n``, is above the strict one by
    at least :data:`MIN_SAMPLES_LOST` samples. ``strict``: the strict score's sum;
    ``lenient`` right of ``n_lenient`` lenient-scored samples (the order of :data:`Counts`)."""
    if not n or n_lenient_only < STRICT_FAILURE_SHARE * n or not n_lenient:
        return ""
    if lenient / n_lenient * n - strict < MIN_SAMPLES_LOST - 1e-9:
        return ""  # the lenient extraction scores no better: the format costs nothing
    lenient_text = f"{pct(lenient / n_lenient)} ({count_text(lenient, int(n_lenient))})"
    return (
        f"{task}: the score {pct(strict / n)} ({count_text(strict, int(n))}) reflects capslice's "
        f"strict answer format, not the answers: its strict extraction read no answer in "
        f"{n_lenient_only} of {'the ' if n > 1 else ''}{plural(int(n), 'sample')} it scored, "
        "where the lenient extraction reads "
        f"one; lenient score {lenient_text}"
    )


def record_caveats(
    store: Any,
    run_id: int,
    meta: Mapping[str, Any] | None,
    counts: Mapping[str, Counts],
    benchmarks: Mapping[str, str],
) -> list[str]:
    """Keep in the run's meta the caveat of each task in ``counts`` (task -> :data:`Counts`)
    and clear a task that no longer has one; tasks not counted keep what they had.

    Args:
        store: the :class:`~capslice_tui.store.Store` holding run ``run_id``.
        meta: the run's meta as read before.
        benchmarks: task -> its benchmark (stored beside the sentence).

    Returns:
        The caveat sentences (a warning each), in ``counts`` order.
    """
    kept = dict((meta or {}).get("strict_format") or {})
    sentences = []
    for task, row in counts.items():
        text = strict_format_caveat(task, *row)
        if text:
            kept[task] = [benchmarks[task], text]
            sentences.append(text)
        else:
            kept.pop(task, None)
    if kept != ((meta or {}).get("strict_format") or {}):
        store.merge_run_meta(run_id, {"strict_format": kept or None})
    return sentences
