"""Scoring samples: the one per-sample scoring path, and re-scoring a stored run.

:func:`score_sample` is what ingest calls for every record and what :func:`rescore_run` calls
for every stored response, so a run re-scored after a change to ``capslice_tui.scoring`` or
to the taxonomy holds exactly what a fresh ingest would store. The harness's official score
(``official``) is an input, never an output: re-scoring never changes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..analysis.failure_modes import classify, scoring_text
from ..scoring import answers_match, extract_lenient, infer_output_constraint_from_target, score

SCORE_SOURCE_HARNESS = "harness"
SCORE_SOURCE_CAPSLICE = "capslice-strict"


@dataclass(frozen=True, slots=True)
class SampleScore:
    """What capslice derives from one response.

    Attributes:
        extracted: the harness's answer when scored by the harness; else capslice's strict
            extraction when the log gave none (None: nothing extracted).
        score: the score statistics use: the official one, else 1.0/0.0 from capslice's
            strict extraction.
        score_source: ``harness`` or ``capslice-strict``.
        lenient_extracted: the answer capslice's lenient extraction found (None: none).
        lenient: 1.0 when the lenient answer matches the target (or the sample is scored
            correct), else 0.0.
        failure_mode, failure_reason: from :func:`capslice_tui.analysis.failure_modes.classify`.
        failure_signals: comma-separated evidence flags, None when there are none.
    """

    extracted: str | None
    score: float
    score_source: str
    lenient_extracted: str | None
    lenient: float
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

    Returns:
        A :class:`SampleScore`.
    """
    target = target or ""
    # a generation that ran past a stop sequence or wrote its EOS as text is scored on the
    # text before it; classify() flags the rest
    text = scoring_text(response, until, eos_token) or ""
    if official is not None:
        sample_score, source = float(official), SCORE_SOURCE_HARNESS
    else:
        result = score(text, target, output_constraint, mode="strict")
        sample_score, source = (1.0 if result.correct else 0.0), SCORE_SOURCE_CAPSLICE
        if extracted is None:
            extracted = result.extracted
    if sample_score >= 1.0:
        # the lenient re-extraction only ever adds answers, so an officially correct sample
        # is lenient-correct too; skipping it keeps metric-heavy ingests fast
        lenient_answer, lenient_ok = extracted, True
        if text != (response or ""):  # ran past a stop: the answer of the text before it
            lenient_answer = extract_lenient(text, output_constraint) or extracted
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
    )
    return SampleScore(
        extracted=extracted,
        score=sample_score,
        score_source=source,
        lenient_extracted=lenient_answer,
        lenient=1.0 if lenient_ok else 0.0,
        failure_mode=mode.mode,
        failure_reason=mode.reason,
        failure_signals=",".join(mode.signals) or None,
    )


def output_constraint_of(label: str | None, target: str | None) -> str:
    """The output constraint scoring uses: the item's label, else one inferred from the target."""
    return label or infer_output_constraint_from_target(target or "")
