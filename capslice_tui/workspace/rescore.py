"""Scoring samples: the one per-sample scoring path, and re-scoring a stored run.

:func:`score_sample` is what ingest calls for every record and what :func:`rescore_run` calls
for every stored response, so a run re-scored after a change to ``capslice_tui.ingest.scoring`` or
to the taxonomy holds exactly what a fresh ingest would store. The harness's official score
(``official``) is an input, never an output: re-scoring never changes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..analysis.failure_modes import classify, cut_after_no_answer, scoring_text, window
from ..formatting import plural
from ..ingest.scoring import (
    answers_match,
    extract_lenient,
    infer_output_constraint_from_target,
    score,
)
from ..store import Store
from ..store.rescore import RESCORED_COLUMNS
from .results import RescoreReportDict
from .strict_format import record_caveats, tally

SCORE_SOURCE_HARNESS = "harness"
SCORE_SOURCE_CAPSLICE = "capslice-strict"
CHECKS_REASON = (
    "scored wrong by the harness's own checks (e.g. instruction checks, unit tests): there is "
    "no answer to compare with a target"
)
"""Reason of a harness-scored wrong answer where the lenient extraction does not apply (an
item without an output constraint or a target): ``classify`` would compare an answer read
from the text with a placeholder or blank target."""


@dataclass(frozen=True, slots=True)
class SampleScore:
    """What capslice derives from one response.

    Attributes:
        extracted: the harness's answer when scored by the harness; else capslice's strict
            extraction when the log gave none (None: nothing extracted).
        score: the score statistics use: the official one, else 1.0/0.0 from capslice's
            strict extraction.
        score_source: ``harness`` or ``capslice-strict``.
        lenient_extracted: the answer capslice's lenient extraction found (None: none, or the
            extraction does not apply).
        lenient: 1.0 when the lenient answer matches the target (or the sample is scored
            correct), else 0.0; None when the lenient extraction does not apply (an item
            without an output constraint, e.g. instruction checks or unit tests, or without
            a target): there is no answer to re-extract.
        failure_mode, failure_reason: from :func:`capslice_tui.analysis.failure_modes.classify`.
        failure_signals: comma-separated evidence flags, None when there are none.
    """

    extracted: str | None
    score: float
    score_source: str
    lenient_extracted: str | None
    lenient: float | None
    failure_mode: str
    failure_reason: str
    failure_signals: str | None


def score_sample(
    response: str | None,
    target: str | None,
    output_constraint: str,
    *,
    official: float | None,
    extracted: str | None,
    max_gen_toks: int | None = None,
    n_output_tokens: int | None = None,
    finish_reason: str | None = None,
    until: Sequence[str] | None = None,
    eos_token: str | None = None,
    lenient_applies: bool = True,
) -> SampleScore:
    """Score and classify one sample with the current extraction rules.

    Args:
        response: the model's output (after any reasoning trace).
        target: the reference answer ('' or None: none).
        output_constraint: the item's ``output_constraint`` label (``scoring.OUTPUT_CONSTRAINTS``).
        official: the harness's score, None when the log carried none (capslice then scores
            the response with its strict extraction).
        extracted: the harness's filtered answer, None when not logged.
        max_gen_toks, n_output_tokens, finish_reason, until, eos_token: generation-cap and
            stop evidence for the failure mode, when known.
        lenient_applies: False when the item has no ``output_constraint`` label (the taxonomy
            leaves instruction-following items and items without a target unlabelled): the
            score rests on checks, not on an answer, so ``lenient`` and ``lenient_extracted``
            are None. A blank target has no answer to match either (also None).

    Returns:
        A :class:`SampleScore`.
    """
    target = target or ""
    # a generation that ran past a stop sequence or wrote its EOS as text is scored on the
    # text before it; classify() flags the rest
    # a 200 MB generation is read at its two ends (failure_modes.window): bounded work
    seen = window(response) if response else response
    text = scoring_text(seen, until, eos_token) or ""
    scored = extracted  # the answer the score was given to
    if official is not None:
        sample_score, source = float(official), SCORE_SOURCE_HARNESS
    else:
        result = score(text, target, output_constraint, mode="strict")
        sample_score, source = (1.0 if result.correct else 0.0), SCORE_SOURCE_CAPSLICE
        scored = result.extracted  # capslice's, not a logged answer it did not score
        if extracted is None:
            extracted = result.extracted
    if not lenient_applies or not target.strip():
        # no answer to re-extract (instruction checks, unit tests, no target): the failure
        # mode rests on the score alone
        lenient_answer, lenient_ok = None, None
    elif sample_score >= 1.0:
        # the lenient re-extraction only ever adds answers, so a correct sample is
        # lenient-correct too, with the answer that was scored; skipping it keeps
        # metric-heavy ingests fast
        lenient_answer, lenient_ok = scored, True
        # ran past a stop (the answer of the text before it), or the harness's filter kept the
        # whole response (filter "none"): extract the answer itself, never store the response
        whole = scored is not None and scored.strip() == (seen or "").strip()
        if text != (seen or "") or whole:
            lenient_answer = extract_lenient(text, output_constraint) or (None if whole else scored)
    else:
        lenient_answer = extract_lenient(text, output_constraint)
        lenient_ok = lenient_answer is not None and answers_match(
            lenient_answer, target, output_constraint
        )
    mode = classify(
        response,
        target,
        sample_score >= 1.0,
        extracted,
        output_constraint,
        max_gen_toks=max_gen_toks,
        n_output_tokens=n_output_tokens,
        finish_reason=finish_reason,
        until=until,
        eos_token=eos_token,
        lenient_answer=lenient_answer,
        lenient_correct=lenient_ok,
        lenient_step=getattr(lenient_answer, "step", None),  # scoring.ExtractedAnswer
        capslice_scored=official is None,
    )
    reason = mode.reason
    if lenient_ok is None and official is not None and mode.mode == "wrong_answer":
        reason = CHECKS_REASON
    return SampleScore(  # positional, in field order: a third of the keywords' cost
        extracted,
        sample_score,  # score
        source,  # score_source
        lenient_answer,  # lenient_extracted
        None if lenient_ok is None else 1.0 if lenient_ok else 0.0,  # lenient
        mode.mode,  # failure_mode
        reason,  # failure_reason
        ",".join(mode.signals) or None,  # failure_signals
    )


def output_constraint_of(label: str | None, target: str | None) -> str:
    """The output constraint scoring uses: the item's label, else one inferred from the target."""
    return label or infer_output_constraint_from_target(target or "")


# ---------------------------------------------------------------- re-scoring a stored run

INFERRED_CAP_REASON = "no generation cap logged:"
"""Start of the reason ``Store.infer_truncation`` writes when it marks a cap hit that the log
did not record; such a sample stays ``truncated`` when re-classified as wrong or runaway and
its text still reads as cut (``failure_modes.cut_after_no_answer``, the inference's test: a
store from before it read ``So the answer is (C).`` then a mid-sentence end as cut)."""


class RescoreCancelled(Exception):
    """The re-score was cancelled; the store is as it was before it started."""


@dataclass
class RescoreReport:
    """What re-scoring one run changed (or, with ``dry_run``, would change).

    Attributes:
        run: run name.
        dry_run: True when nothing was written.
        n_samples: samples examined.
        n_changed: samples with at least one re-scored column changed.
        transitions: ``(old mode, new mode)`` -> samples, for samples whose failure mode
            changed (the final mode, after generation-cap inference, when written).
        n_reason_only: changed samples whose failure mode stayed the same (new reason,
            lenient answer or signals).
        lenient_before, lenient_after: samples lenient-correct before and after.
        lenient_n_before, lenient_n_after: samples with a lenient score before and after
            (instruction checks and unit tests have none: no answer to re-extract).
        score_changed: samples whose score changed (only capslice-scored samples can).
        n_capslice_scored: samples scored by capslice (the log carried no correctness).
        n_kept_cut: samples left as they were because their stored response was cut at
            ingest (re-scoring a cut text could lose its final answer).
        examples: ``(old mode, new mode)`` label -> up to 3 sample ids, for ``capslice sample``.
    """

    run: str
    dry_run: bool
    n_samples: int = 0
    n_changed: int = 0
    transitions: dict[tuple[str, str], int] = field(default_factory=dict)
    n_reason_only: int = 0
    lenient_before: float = 0.0
    lenient_after: float = 0.0
    lenient_n_before: int = 0
    lenient_n_after: int = 0
    score_changed: int = 0
    n_capslice_scored: int = 0
    n_kept_cut: int = 0
    examples: dict[str, list[int]] = field(default_factory=dict)

    def transition_lines(self) -> list[str]:
        """``9 extraction_failure -> correct`` per mode change, most frequent first."""
        ordered = sorted(self.transitions.items(), key=lambda kv: (-kv[1], kv[0]))
        return [f"{n} {old} -> {new}" for (old, new), n in ordered]

    def lenient_line(self) -> str:
        """The lenient-correct count before and after, out of the samples that have a lenient
        score (``7 -> 9 of 12 samples with a lenient score``; where that number changed, each
        side's own and, on a second line, how many have none now)."""
        head = "lenient-correct (all filters): "
        before, after = f"{self.lenient_before:g}", f"{self.lenient_after:g}"
        if self.lenient_n_before == self.lenient_n_after:
            n = plural(self.lenient_n_after, "sample")
            return f"{head}{before} -> {after} of {n} with a lenient score"
        none = self.n_samples - self.lenient_n_after
        return (
            f"{head}{before} of {self.lenient_n_before} -> {after} of {self.lenient_n_after} "
            f"with a lenient score\n({none} now {'has' if none == 1 else 'have'} none: "
            "no answer to re-extract)"
        )

    def summary(self) -> str:
        """One line: ``12 samples changed: 9 extraction_failure -> correct, ...``."""
        verb = "would change" if self.dry_run else "changed"
        if not self.n_changed:
            return f"{self.run}: 0 of {plural(self.n_samples, 'sample')} {verb}"
        parts = self.transition_lines()
        if self.n_reason_only:
            parts.append(f"{self.n_reason_only} same mode, new reason or lenient answer")
        return f"{self.run}: {plural(self.n_changed, 'sample')} {verb}: " + ", ".join(parts)

    def to_dict(self) -> RescoreReportDict:
        """JSON-ready dict; ``transitions`` as a list of ``{from, to, n}``."""
        return {
            "run": self.run,
            "dry_run": self.dry_run,
            "n_samples": self.n_samples,
            "n_changed": self.n_changed,
            "transitions": [
                {"from": old, "to": new, "n": n}
                for (old, new), n in sorted(self.transitions.items(), key=lambda kv: -kv[1])
            ],
            "n_reason_only": self.n_reason_only,
            "lenient_before": self.lenient_before,
            "lenient_after": self.lenient_after,
            "lenient_n_before": self.lenient_n_before,
            "lenient_n_after": self.lenient_n_after,
            "score_changed": self.score_changed,
            "n_capslice_scored": self.n_capslice_scored,
            "n_kept_cut": self.n_kept_cut,
            "examples": self.examples,
            "summary": self.summary(),
        }


def log_gave_extracted(run: dict[str, Any]) -> bool:
    """Whether the run's log carried the harness's extracted answers: every harness format
    does; a generic JSONL/CSV file only when its field mapping named one
    (``extracted answer: KEY`` in ``meta["field_mapping"]``)."""
    if run.get("source_format") not in ("jsonl", "csv"):
        return True
    mapping = (run.get("meta") or {}).get("field_mapping") or []
    return any("extracted answer:" in str(line) for line in mapping)


def _rescored(row: Any, task: dict[str, Any] | None, logged_extracted: bool) -> tuple[Any, ...]:
    """The re-scored column values of one stored sample (``RESCORED_COLUMNS`` order)."""
    harness = row["score_source"] == SCORE_SOURCE_HARNESS
    scored = score_sample(
        row["response"],
        row["target"],
        output_constraint_of(row["output_constraint"], row["target"]),
        official=row["official"] if harness else None,
        # a capslice-scored sample of a log without extracted answers holds capslice's own
        # strict extraction: derive it afresh; a logged extracted answer is kept as it is
        extracted=row["extracted"] if harness or logged_extracted else None,
        max_gen_toks=task["max_gen_toks"] if task else None,
        n_output_tokens=row["n_output_tokens"],
        finish_reason=row["finish_reason"],
        until=task["until"] if task else None,
        eos_token=task["eos_token"] if task else None,
        lenient_applies=row["output_constraint"] is not None,
    )
    mode, reason, signals = scored.failure_mode, scored.failure_reason, scored.failure_signals
    old_reason = row["failure_reason"] or ""
    if (
        row["failure_mode"] == "truncated"
        and old_reason.startswith(INFERRED_CAP_REASON)
        and mode in ("wrong_answer", "runaway")
        and cut_after_no_answer(row["response"]) is not None
    ):  # the run-level cap inference judged this text cut, and it still reads as cut
        mode, reason = "truncated", old_reason
        signals = "cap" if not signals else f"{signals},cap"
    return (
        scored.extracted,
        scored.score,
        scored.lenient_extracted,
        scored.lenient,
        mode,
        reason,
        signals,
    )


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        return old is not None and new is not None and abs(float(old) - float(new)) < 1e-12
    return old == new


def rescore_run(
    store: Store,
    run: str,
    *,
    dry_run: bool = False,
    batch_size: int = 5000,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> RescoreReport:
    """Re-apply the current extraction, scoring and failure classification to a stored run.

    Reads every stored response of ``run`` (no model is run), scores it with
    :func:`score_sample` as ingest would today, and writes the columns that changed, one
    transaction per ``batch_size`` samples. The official score is never written; ``score`` only
    changes for samples capslice scored itself. Afterwards the generation-cap inference runs
    again and the per-item and per-slice aggregates are rebuilt. Samples whose stored response
    was cut at ingest are kept as they are (counted in ``n_kept_cut``).

    Args:
        dry_run: compute and report the changes without writing anything.
        progress: called with ``(samples examined, samples in the run)`` once per batch.
        should_cancel: polled once per batch; True stops the re-score.

    Returns:
        A :class:`RescoreReport`.

    Raises:
        NotFound: no such run.
        RescoreCancelled: ``should_cancel`` returned True (nothing stays changed).
        Any error of a write: the batches already written are restored first, so the store
        is as it was.
    """
    info = store.get_run(run)
    run_id = int(info["id"])
    tasks = {t["task"]: t for t in store.run_tasks(run_id)}
    logged_extracted = log_gave_extracted(info)
    report = RescoreReport(run=run, dry_run=dry_run)
    restore: list[tuple[Any, ...]] = []  # old values of the rows written so far
    old_modes: dict[int, str] = {}
    strict: dict[str, list[float]] = {}  # task -> strict-format counts (.strict_format)
    after = 0
    try:
        while True:
            if should_cancel is not None and should_cancel():
                raise RescoreCancelled(f"re-score of {run} cancelled; nothing was changed")
            rows = store.rescore_rows(run_id, after_id=after, limit=batch_size)
            if not rows:
                break
            after = int(rows[-1]["id"])
            writes: list[tuple[Any, ...]] = []
            for row in rows:
                report.n_samples += 1
                old = tuple(row[c] for c in RESCORED_COLUMNS)
                report.lenient_before += float(old[3] or 0.0)
                report.lenient_n_before += old[3] is not None
                if row["score_source"] != SCORE_SOURCE_HARNESS:
                    report.n_capslice_scored += 1
                if row["response_sha256"]:
                    report.n_kept_cut += 1
                    report.lenient_after += float(old[3] or 0.0)
                    report.lenient_n_after += old[3] is not None
                    _tally_strict(strict, row, old)
                    continue
                new = _rescored(row, tasks.get(row["task"]), logged_extracted)
                report.lenient_after += float(new[3] or 0.0)
                report.lenient_n_after += new[3] is not None
                _tally_strict(strict, row, new)
                if all(_same(a, b) for a, b in zip(old, new, strict=True)):
                    continue
                report.n_changed += 1
                if not _same(old[1], new[1]):
                    report.score_changed += 1
                old_modes[int(row["id"])] = str(old[4])
                if old[4] != new[4]:
                    _count(report, int(row["id"]), str(old[4]), str(new[4]))
                else:
                    report.n_reason_only += 1
                writes.append((*new, row["id"]))
                restore.append((*old, row["id"]))
            if writes and not dry_run:
                store.update_sample_scores(run_id, writes)
            if progress is not None:
                progress(report.n_samples, int(info["n_samples"] or report.n_samples))
        if not dry_run and restore:
            store.infer_truncation(run_id, ends_cut=cut_after_no_answer)
            store.refresh_item_scores(run_id)
            _final_transitions(store, report, old_modes)
        if not dry_run:  # the caveat follows the rules now applied (every sample was counted)
            counts = {task: strict.get(task, [0, 0, 0.0, 0.0, 0]) for task in tasks}
            benchmarks = {task: str(t["benchmark"]) for task, t in tasks.items()}
            record_caveats(store, run_id, info["meta"], counts, benchmarks)
    except BaseException:
        if restore and not dry_run:
            for start in range(0, len(restore), batch_size):
                store.update_sample_scores(run_id, restore[start : start + batch_size])
            store.refresh_item_scores(run_id)
        raise
    return report


def _tally_strict(counts: dict[str, list[float]], row: Any, values: Sequence[Any]) -> None:
    """Count a capslice-scored sample's ``values`` (in :data:`RESCORED_COLUMNS` order) for
    its task's strict-format caveat."""
    if row["score_source"] != SCORE_SOURCE_HARNESS:
        tally(counts, row["task"], values[1], values[2], values[3], values[4], values[0])


def _count(report: RescoreReport, sample_id: int, old: str, new: str) -> None:
    key = (old, new)
    report.transitions[key] = report.transitions.get(key, 0) + 1
    ids = report.examples.setdefault(f"{old} -> {new}", [])
    if len(ids) < 3:
        ids.append(sample_id)


def _final_transitions(store: Store, report: RescoreReport, old_modes: dict[int, str]) -> None:
    """Recount mode changes from what is stored after the generation-cap inference ran."""
    final = store.sample_failure_modes(sorted(old_modes))
    report.transitions.clear()
    report.examples.clear()
    report.n_reason_only = 0
    for sid, old in old_modes.items():
        new = str(final.get(sid))
        if new != old:
            _count(report, sid, old, new)
        else:
            report.n_reason_only += 1


class RescoreRunsMixin:
    """``rescore`` on the workspace facade."""

    store: Store

    def rescore(
        self,
        run: str,
        *,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> RescoreReport:
        """Re-score a stored run with the current rules; see :func:`rescore_run`."""
        return rescore_run(
            self.store, run, dry_run=dry_run, progress=progress, should_cancel=should_cancel
        )
