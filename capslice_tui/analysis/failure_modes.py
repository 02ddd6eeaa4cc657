"""Per-sample failure modes: why a generation was scored wrong.

Modes (design.md): ``correct``, ``wrong_answer``, ``extraction_failure`` (answer present but not
extracted/accepted), ``truncated`` (hit the generation cap, no correct answer), ``runaway`` (repetition
loop, a new few-shot block or literal stop-token text, no answer), ``empty``.

Precedence, first match wins:

1. ``empty``: response None or whitespace only.
2. ``correct``: the official score says correct. When the log has no official score
   (``official_correct`` None), the lenient re-scoring decides correct/not correct.
3. ``extraction_failure``: the lenient re-extraction (``capslice_tui.scoring.extract_lenient``,
   supplied by the caller) finds the right answer. This wins over truncation and runaway: the
   answer is in the text, so the loss is the extractor's. The reason still names the cap,
   loop, new block or stop-token evidence, because "ran to the token cap, answer present,
   extraction failed" is the missing-EOS story.
4. ``truncated``: not correct and the generation hit the cap (``finish_reason`` length, or
   ``n_output_tokens >= 0.98·max_gen_toks``, or, with neither, at least
   ``0.9·3.5·max_gen_toks`` characters), whatever answer-shaped token an extractor found: a
   text cut by the cap never reached its final answer (a lenient extractor that falls back
   to the last number would otherwise turn every cut text into a "wrong answer"). Truncation
   wins over runaway when both show, since the cap is what ended the text; the loop evidence
   stays in the reason.
5. ``runaway`` when the tail is an exact repetition loop (the word 8-gram before the last
   word recurs >= 5 times in the last 300 words with the same text between occurrences, or
   the last 200 characters are periodic with period <= 8): a degenerate text has no final
   answer either.
6. ``wrong_answer`` when an answer was found (the lenient answer; without lenient input, a
   valid official extraction) and it is wrong. A new few-shot block or stop-token text after
   a stated answer stays as evidence in the reason and ``signals``.
7. ``runaway`` when no answer was found and the response holds a new few-shot block
   (``\\nQ:``, ``Question:``, ``Problem:`` at a line start) or literal stop-token text
   (``</s>``, ``<|im_end|>``, the run's EOS, any ``until`` string of 2+ non-blank characters).
8. ``wrong_answer`` otherwise: no answer found, but the response ended normally (no cap hit,
   no loop, no new block, no literal stop token), so the reason says it counts as a wrong
   answer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

MODES: tuple[str, ...] = (
    "correct",
    "wrong_answer",
    "extraction_failure",
    "truncated",
    "runaway",
    "empty",
)
"""All failure modes, in display order."""

FORMAT_MODES: tuple[str, ...] = ("extraction_failure", "truncated", "runaway", "empty")
"""Modes driven by format, termination or extraction rather than by what the model knows."""

SIGNALS: tuple[str, ...] = (
    "cap",
    "repetition",
    "new_block",
    "stop_literal",
    "answer_present",
)
"""Evidence flags a :class:`FailureMode` can carry (see :func:`signal_counts`)."""

CAP_TOKEN_FRACTION = 0.98
CHARS_PER_TOKEN = 3.5
CAP_CHAR_FRACTION = 0.9
NGRAM = 8
MIN_REPEATS = 5
TAIL_WORDS = 300
PERIOD_TAIL_CHARS = 200
MAX_PERIOD = 8

INVALID_EXTRACTIONS = frozenset({"", "[invalid]", "[no_answer]", "[none]", "none", "null"})
"""Harness fallbacks meaning "nothing was extracted" (lower-cased, stripped)."""

STOP_LITERALS: tuple[str, ...] = (
    "</s>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<end_of_turn>",
    "<|end|>",
)
"""Special-token texts that should never appear literally in a decoded response."""

_NEW_BLOCK = re.compile(r"\n[ \t]*(Q:|Question:|Problem:)")
_LENGTH_REASONS = frozenset({"length", "max_tokens", "max_length", "max_new_tokens"})


@dataclass(frozen=True)
class FailureMode:
    """Failure mode of one sample.

    Attributes:
        mode: one of :data:`MODES`.
        reason: short human string naming the evidence.
        signals: evidence flags from :data:`SIGNALS` seen in the text (any mode).
    """

    mode: str
    reason: str
    signals: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["signals"] = list(self.signals)
        return d


# ---------------------------------------------------------------- evidence


def cap_evidence(
    response: str,
    max_gen_toks: int | None = None,
    n_output_tokens: int | None = None,
    finish_reason: str | None = None,
) -> str | None:
    """Evidence that the generation hit the length cap, or None.

    Order: ``finish_reason`` (length-like values) decides when present; then the token count
    against ``max_gen_toks``; then, with no token count, characters against
    ``CAP_CHAR_FRACTION·CHARS_PER_TOKEN·max_gen_toks`` (≈ 3.5 characters per token for English
    BPE text, a proxy from formats.md §9).
    """
    if finish_reason is not None:
        fr = str(finish_reason).strip().lower()
        if fr in _LENGTH_REASONS:
            return f"finish_reason={fr}"
        if fr:
            return None
    if max_gen_toks:
        if n_output_tokens is not None:
            if n_output_tokens >= CAP_TOKEN_FRACTION * max_gen_toks:
                return f"response {n_output_tokens} tokens of max_gen_toks {max_gen_toks}"
            return None
        threshold = CAP_CHAR_FRACTION * CHARS_PER_TOKEN * max_gen_toks
        if len(response) >= threshold:
            return (
                f"response {len(response)} chars, about the cap of max_gen_toks {max_gen_toks} "
                f"(~{CHARS_PER_TOKEN} chars/token)"
            )
    return None


def repetition_evidence(response: str, output_constraint: str = "") -> str | None:
    """Evidence of a repetition loop in the tail of the response, or None.

    Word level: in the last ``TAIL_WORDS`` words, the word ``NGRAM``-gram that ends just before
    the last word occurs >= ``MIN_REPEATS`` times (non-overlapping) and the text between
    consecutive occurrences is identical at least ``MIN_REPEATS − 1`` times: the text ends
    inside an exact loop. Numbered steps and stack traces (BBH dyck_languages) repeat n-grams
    but differ between occurrences, so they are not loops.
    Character level (for loops without spaces): the last ``PERIOD_TAIL_CHARS`` characters are
    periodic with period <= ``MAX_PERIOD``; skipped for ``bracket_sequence`` answers.
    """
    if len(response) < NGRAM * MIN_REPEATS * 2:
        return None
    words = response[-TAIL_WORDS * 12 :].split()[-TAIL_WORDS:]
    if len(words) >= NGRAM * MIN_REPEATS:
        # the n-gram just before the last word (which a cap may have cut mid-word)
        probe = " ".join(words[-NGRAM - 1 : -1])
        parts = " ".join(words).split(probe)
        count = len(parts) - 1
        # an exact loop: the text between consecutive occurrences is the same each time
        inner = parts[1:-1]
        if count >= MIN_REPEATS and Counter(inner).most_common(1)[0][1] >= MIN_REPEATS - 1:
            text = probe if len(probe) <= 40 else probe[:37] + "..."
            return f"repeated {NGRAM}-gram {text!r} x{count} in tail"
    if output_constraint != "bracket_sequence" and len(response) >= PERIOD_TAIL_CHARS:
        tail = response[-PERIOD_TAIL_CHARS:]
        for p in range(1, MAX_PERIOD + 1):
            if tail[p:] == tail[:-p] and tail.strip():
                return f"repeated {tail[-p:]!r} x{PERIOD_TAIL_CHARS // p} in tail"
    return None


def new_block_evidence(response: str, answer: str | None = None) -> str | None:
    """Evidence that the response starts a new few-shot block (``Q:``, ``Question:``,
    ``Problem:`` at the start of a line after the first character), or None."""
    m = _NEW_BLOCK.search(response, 1)
    if m is None:
        return None
    marker = m.group(1)
    if answer:
        pos = response.find(answer)
        if 0 <= pos < m.start():
            return f"new {marker!r} block after the answer"
    return f"new {marker!r} block at char {m.start() + 1}"


def stop_literal_evidence(
    response: str,
    until: Sequence[str] | None = None,
    eos_token: str | None = None,
) -> str | None:
    """Evidence of literal stop-token text inside the response, or None.

    Checks :data:`STOP_LITERALS`, the run's ``eos_token`` and every ``until`` string with at
    least 2 non-blank characters (single letters like BBH's ``Q`` and blank strings like
    ``\\n\\n`` occur in normal text).
    """
    if eos_token and eos_token in response:
        return f"literal {eos_token!r} in text"
    for lit in STOP_LITERALS:
        if lit in response:
            return f"literal {lit!r} in text"
    for stop in until or ():
        if stop and len(stop.strip()) >= 2 and stop in response:
            return f"stop sequence {stop!r} in text (not applied)"
    return None


def _valid(extracted: str | None) -> bool:
    return extracted is not None and str(extracted).strip().lower() not in INVALID_EXTRACTIONS


def _short(text: str | None, limit: int = 30) -> str:
    if text is None:
        return "None"
    t = str(text)
    return repr(t if len(t) <= limit else t[: limit - 3] + "...")


# ---------------------------------------------------------------- classification


def classify(
    response: str | None,
    target: str | None,
    official_correct: bool | float | None,
    extracted: str | None,
    output_constraint: str = "",
    *,
    max_gen_toks: int | None = None,
    n_output_tokens: int | None = None,
    finish_reason: str | None = None,
    until: Sequence[str] | None = None,
    eos_token: str | None = None,
    lenient_answer: str | None = None,
    lenient_correct: bool | None = None,
) -> FailureMode:
    """Classify one sample (precedence in the module docstring).

    Args:
        response: raw model output.
        target: reference answer (used in reasons only).
        official_correct: the harness's score (truthy = correct; a fractional score counts as
            correct when >= 0.5); None when the log has none.
        extracted: the harness's filtered answer (``[invalid]`` or empty = nothing extracted).
        output_constraint: the item's ``output_constraint`` axis value.
        max_gen_toks, n_output_tokens, finish_reason: generation cap evidence, when logged.
        until, eos_token: the task's stop sequences and the model's EOS text, when known.
        lenient_answer: answer found by ``scoring.extract_lenient`` (None = none found).
        lenient_correct: ``scoring.answers_match(lenient_answer, target, ...)``; None when the
            caller did not re-extract.

    Returns:
        :class:`FailureMode`.
    """
    if response is None:
        return FailureMode("empty", "response is None")
    if not response.strip():
        return FailureMode("empty", f"response is blank ({len(response)} whitespace chars)")
    if official_correct is None:
        if lenient_correct is not None:
            if lenient_correct:
                return FailureMode(
                    "correct", f"no official score; lenient answer {_short(lenient_answer)} "
                    "matches the target", ("answer_present",),
                )  # fmt: skip
            official = False
        else:
            official = False
    else:
        official = float(official_correct) >= 0.5
    if official:
        return FailureMode("correct", "official score correct")

    signals: list[str] = []
    evidence: list[str] = []
    cap = cap_evidence(response, max_gen_toks, n_output_tokens, finish_reason)
    if cap:
        signals.append("cap")
        evidence.append(cap)
    loop = repetition_evidence(response, output_constraint)
    if loop:
        signals.append("repetition")
        evidence.append(loop)
    block = new_block_evidence(response, lenient_answer)
    if block:
        signals.append("new_block")
        evidence.append(block)
    literal = stop_literal_evidence(response, until, eos_token)
    if literal:
        signals.append("stop_literal")
        evidence.append(literal)
    extra = ("; " + "; ".join(evidence)) if evidence else ""

    if lenient_correct and official_correct is not None:
        signals.insert(0, "answer_present")
        found = (
            f"lenient extraction found {_short(lenient_answer)}"
            if lenient_answer is not None
            else "lenient extraction matched the target"
        )
        return FailureMode(
            "extraction_failure",
            f"answer present: {found} but official extraction gave {_short(extracted)}{extra}",
            tuple(signals),
        )
    got = f"official extraction gave {_short(extracted)}"
    if lenient_answer is not None:
        got += f", lenient extraction {_short(lenient_answer)}"
    if cap:
        return FailureMode("truncated", f"{'; '.join(evidence)}; {got}", tuple(signals))
    if loop:
        return FailureMode("runaway", f"{'; '.join(evidence)}; {got}", tuple(signals))
    lenient_given = lenient_answer is not None or lenient_correct is not None
    answer = lenient_answer if lenient_given else extracted
    answer_found = lenient_answer is not None if lenient_given else _valid(extracted)
    if answer_found:
        return FailureMode(
            "wrong_answer",
            f"answer {_short(answer)} does not match target {_short(target)}{extra}",
            tuple(signals),
        )
    if block or literal:
        return FailureMode("runaway", f"{'; '.join(evidence)}; {got}", tuple(signals))
    none = "nothing" if extracted is None else f"{_short(extracted)}, not a valid answer"
    return FailureMode(
        "wrong_answer",
        f"no answer found in the response (the official extraction returned {none}); the "
        "response ended normally (no cap hit, no repetition loop, no new few-shot block, no "
        "literal stop token), so it counts as a wrong answer",
        tuple(signals),
    )


def _per_sample(value: Any, n: int, name: str) -> Sequence[Any]:
    """Broadcast a scalar setting to n samples, or check a per-sample sequence's length."""
    if isinstance(value, (list, tuple)) and not (name == "until" and _is_flat_strs(value)):
        if len(value) != n:
            raise ValueError(f"classify_many: {name} has {len(value)} entries for {n} samples")
        return value
    if hasattr(value, "__len__") and not isinstance(value, (str, bytes, list, tuple)):
        seq = list(value)
        if len(seq) != n:
            raise ValueError(f"classify_many: {name} has {len(seq)} entries for {n} samples")
        return seq
    return [value] * n


def _is_flat_strs(value: Sequence[Any]) -> bool:
    return all(isinstance(v, str) for v in value)


def classify_many(
    responses: Sequence[str | None],
    targets: Sequence[str | None] | str | None,
    official_correct: Sequence[Any],
    extracted: Sequence[str | None] | None = None,
    output_constraints: Sequence[str] | str = "",
    *,
    max_gen_toks: Any = None,
    n_output_tokens: Any = None,
    finish_reason: Any = None,
    until: Any = None,
    eos_token: Any = None,
    lenient_answers: Sequence[str | None] | None = None,
    lenient_correct: Sequence[bool | None] | None = None,
) -> list[FailureMode]:
    """:func:`classify` over many samples.

    Every argument after ``responses`` is either one value for all samples or a sequence with
    one entry per sample (``until`` as a flat list of strings is one value for all samples; give
    a list of lists for per-sample stop sequences).

    Raises:
        ValueError: a per-sample sequence has the wrong length (names the argument).
    """
    n = len(responses)
    args = {
        "targets": _per_sample(targets, n, "targets"),
        "official_correct": _per_sample(official_correct, n, "official_correct"),
        "extracted": _per_sample(extracted, n, "extracted"),
        "output_constraints": _per_sample(output_constraints, n, "output_constraints"),
        "max_gen_toks": _per_sample(max_gen_toks, n, "max_gen_toks"),
        "n_output_tokens": _per_sample(n_output_tokens, n, "n_output_tokens"),
        "finish_reason": _per_sample(finish_reason, n, "finish_reason"),
        "until": _per_sample(until, n, "until"),
        "eos_token": _per_sample(eos_token, n, "eos_token"),
        "lenient_answers": _per_sample(lenient_answers, n, "lenient_answers"),
        "lenient_correct": _per_sample(lenient_correct, n, "lenient_correct"),
    }
    out = []
    for i in range(n):
        out.append(
            classify(
                responses[i],
                args["targets"][i],
                args["official_correct"][i],
                args["extracted"][i],
                args["output_constraints"][i] or "",
                max_gen_toks=args["max_gen_toks"][i],
                n_output_tokens=args["n_output_tokens"][i],
                finish_reason=args["finish_reason"][i],
                until=args["until"][i],
                eos_token=args["eos_token"][i],
                lenient_answer=args["lenient_answers"][i],
                lenient_correct=args["lenient_correct"][i],
            )  # fmt: skip
        )
    return out


def mode_counts(modes: Iterable[FailureMode | str]) -> dict[str, int]:
    """Count of samples per mode (every mode present, zeros included)."""
    counts = dict.fromkeys(MODES, 0)
    for m in modes:
        name = m.mode if isinstance(m, FailureMode) else m
        if name not in counts:
            raise ValueError(f"mode_counts: unknown failure mode {name!r}; expected {MODES}")
        counts[name] += 1
    return counts


def signal_counts(modes: Iterable[FailureMode]) -> dict[str, int]:
    """Count of samples carrying each evidence signal, plus ``n`` (all samples).

    Signals are only gathered for samples that were not correct, so ``cap`` counts the wrong
    samples that hit the generation cap."""
    counts = dict.fromkeys(SIGNALS, 0)
    counts["n"] = 0
    for m in modes:
        counts["n"] += 1
        for s in m.signals:
            counts[s] = counts.get(s, 0) + 1
    return counts
