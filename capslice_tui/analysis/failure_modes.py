"""Per-sample failure modes: why a generation was scored wrong, and what was odd about it.

Modes (design.md): ``correct``, ``wrong_answer``, ``extraction_failure`` (answer present but not
extracted/accepted), ``truncated`` (cut by the generation cap), ``runaway`` (a repetition loop,
or a generation that ran past its end: a new few-shot block, a stop sequence or the EOS token
written as text), ``empty``.

Where a generation ends (:func:`stop_cut`): the first place after character 0 where it writes
the model's EOS or another special token as text (:data:`STOP_LITERALS`) or a chat-template
turn marker (:data:`CHAT_MARKERS`: ``The answer is 56. [/INST] ...`` is scored on
``The answer is 56. ``), one of the task's ``until`` strings (2+ non-blank characters), or a
new few-shot block (``Q:``, ``Question:``, ``Problem:`` at a line start, or ``Q:`` /
``Question:`` after a sentence end on the same line). The text before it is what should have
been scored (:func:`scoring_text`; ``workspace.rescore.score_sample`` extracts answers from
it, strict and lenient alike); the rest is flagged.

Precedence, first match wins:

1. ``empty``: response None or whitespace only.
2. ``correct``: the official score says correct (without one, the lenient re-scoring of the
   text before any stop decides). A correct sample still carries flags (``signals``) for a
   repetition, a stop sequence or EOS written as text, or a new block, named in its reason.
3. Lenient answer right, official wrong: ``extraction_failure`` whose reason blames the
   comparison when the official extraction (or capslice's strict one) read that same answer
   (``10000`` for the target ``10{,}000``: the scorer's comparison with the target's written
   form failed, not the extraction); else ``runaway`` when the generation ran past a stop
   (the harness read the continuation; the text before the stop holds the right answer),
   else ``extraction_failure`` (the answer is in the text; the loss is the extractor's). The
   lenient answer of a text that ends inside a repetition loop is a final-answer statement
   or nothing (:func:`loop_at_end`; ``scoring.extract_lenient_step``): a word the loop
   repeats, or a mention before it, gives no credit, so such a loop falls to rule 4.
4. ``runaway`` (repetition): a sentence or paragraph (a block of 1–12 sentences or lines)
   repeated back to back (4+ copies, or 3+ when the block has 80+ characters), or a tail
   that ends inside an exact loop (the word 8-gram before the last word recurs >= 5 times in
   the last 300 words with the same text between, or the last 200 characters are periodic
   with period <= 8). At the cap or below it; a loop that ran to the cap is a runaway, not a
   truncation (the cap is what stopped it, the loop is why it got there).
5. ``truncated``: the text was cut. Needs a logged finish reason (``length``...) or a token
   count >= 0.98·``max_gen_toks``; or a text that is visibly cut: it ends mid-expression
   (open brace, ``\\(``, ``$``, ``<<`` or an operator at the end) whatever the cap, or its
   length is near the cap estimated from characters (>= 0.9·3.5·``max_gen_toks``) and it has
   no final answer or ends mid-sentence. A response near the character estimate that ends in
   a complete final answer (``#### 37``) is not truncated. A text that ends in a complete
   answer statement (``So the answer is ) ].``) is not read for brackets left open before it
   (:func:`ends_cut`). At the cap, an answer cut mid-word where the text ends (``So the
   answer is Y`` for ``Yes``: :func:`cut_answer`) is truncated, not a wrong answer.
   Rules 4 and 5 give way to a complete wrong answer: when the answer (the lenient one; without
   lenient input, a valid official extraction) stands whole in the text's last final-answer
   statement and the model wrote on after it (:func:`complete_answer`: ``So the answer is
   True.`` then filler or a loop to the cap), the sample is a ``wrong_answer``; the cap, the
   loop and the cut end are secondary facts in its reason and ``signals``. A format failure
   is a sample whose answer was lost (cut, never given, only mentioned, or not extracted),
   not one whose answer was wrong.
6. ``wrong_answer`` when an answer was found (the lenient answer; without lenient input, a
   valid official extraction) and it is wrong; flags stay in the reason and ``signals``.
7. ``runaway`` when no answer was found and the generation ran past a stop.
8. ``wrong_answer`` otherwise: no answer found, but the response ended normally.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..vocabulary import FAILURE_MODES
from ..vocabulary import FORMAT_MODES as FORMAT_MODES

MODES: tuple[str, ...] = FAILURE_MODES
"""All failure modes, in display order (:data:`capslice_tui.vocabulary.FAILURE_MODES`)."""

SIGNALS: tuple[str, ...] = (
    "cap",
    "repetition",
    "new_block",
    "stop_literal",
    "past_stop",
    "cut_end",
    "answer_present",
)
"""Evidence flags a :class:`FailureMode` can carry (see :func:`signal_counts`).

``cap``: hit the generation cap (wrong samples only); ``repetition``: a repeated sentence,
paragraph or loop; ``new_block``: a new few-shot block; ``stop_literal``: EOS or another special
token written as text; ``past_stop``: one of the task's ``until`` strings inside the text (the
generation continued past it); ``cut_end``: ends mid-sentence or mid-expression;
``answer_present``: the lenient extraction found the right answer."""

FLAG_SIGNALS: tuple[str, ...] = ("repetition", "new_block", "stop_literal", "past_stop")
"""Signals a correct sample can carry too (the others are only gathered for wrong samples)."""

CAP_TOKEN_FRACTION = 0.98
CHARS_PER_TOKEN = 3.5
CAP_CHAR_FRACTION = 0.9
NGRAM = 8
MIN_REPEATS = 5
TAIL_WORDS = 300
PERIOD_TAIL_CHARS = 200
MAX_PERIOD = 8
MAX_BLOCK_UNITS = 12
"""Longest repeated block looked for, in sentences or lines."""
MIN_BLOCK_COPIES = 4
"""Back-to-back copies of a short block (>= :data:`MIN_BLOCK_CHARS` characters) that make a loop."""
MIN_LONG_BLOCK_COPIES = 3
"""Back-to-back copies of a long block (>= :data:`LONG_BLOCK_CHARS` characters) that make a loop."""
MIN_BLOCK_CHARS = 20
LONG_BLOCK_CHARS = 80
MIN_BLOCK_WORDS = 4
WINDOW_CHARS = 128 * 1024
"""Characters read at each end of a longer response (:func:`window`): the classifier's work
stays bounded on a 200 MB generation, and a loop shows at both ends."""

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

CHAT_MARKERS: tuple[str, ...] = (
    "[/INST]",
    "[INST]",
    "<|im_start|>",
    "<|start_header_id|>",
    "<start_of_turn>",
    "<|user|>",
)
"""Chat-template turn markers (Llama 2 ``[INST]``/``[/INST]``, ChatML ``<|im_start|>``, Llama 3
``<|start_header_id|>``, Gemma ``<start_of_turn>``, Phi ``<|user|>``) written as text: the
model went on to write the next turn, and nothing after the marker is its answer (the scorer's
``END_MARKERS`` are these and :data:`STOP_LITERALS`)."""

_NEW_BLOCK = re.compile(r"(?:\n[ \t]*|(?<=[.!?])[ \t]+(?=Q:|Question:))(Q:|Question:|Problem:)")
"""A new few-shot block: ``Q:``, ``Question:`` or ``Problem:`` at a line start, or ``Q:`` /
``Question:`` right after a sentence end on the same line (``The answer is 56. Q: What
is ...``: the model went on to the next example). :func:`_new_block` finds it faster."""
_NEW_BLOCK_LINE = re.compile(r"\n[ \t]*(Q:|Question:|Problem:)")
_NEW_BLOCK_INLINE = re.compile(r"(?<=[.!?])[ \t]+(Q:|Question:)")


def _new_block(text: str, start: int = 1) -> tuple[int, str, int] | None:
    """``(position of the marker, marker, blocks in the whole text)`` for the first
    :data:`_NEW_BLOCK` match at or after ``start``, None when there is none: the same answer
    as its ``search`` and ``findall``, faster (the line-start form is one pattern that starts
    on a line break; the same-line form is searched only when ``Q:`` or ``Question:`` occurs,
    two C-level finds: 1.4 against 9.4 us CPU per text over the demo's BBH and math responses,
    where the lookbehind tried every blank; the line-start form is searched from the first
    line break, the same-line form only when a one-character find sees a ``Q``). The two
    forms never overlap (the spaces before the marker follow a line break in one, a sentence
    end in the other)."""
    line = text.find("\n", start)  # a line-start match starts at a line break: from the first
    m = _NEW_BLOCK_LINE.search(text, line) if line >= 0 else None
    best = (m.start(1), m.group(1)) if m is not None else None
    inline = text.find("Q", start) >= 0 and (  # a one-character find first (most texts: no Q)
        text.find("Q:", start) >= 0 or text.find("Question:", start) >= 0
    )
    if inline:
        n = _NEW_BLOCK_INLINE.search(text, start)
        if n is not None and (best is None or n.start(1) < best[0]):
            best = (n.start(1), n.group(1))
    if best is None:
        return None
    count = len(_NEW_BLOCK_LINE.findall(text))
    if inline:
        count += len(_NEW_BLOCK_INLINE.findall(text))
    return best[0], best[1], count


_LENGTH_REASONS = frozenset({"length", "max_tokens", "max_length", "max_new_tokens"})
_UNIT_SPLIT = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")
"""Where :func:`repeated_block` splits a text into units: a whole whitespace run that
follows a sentence end or holds a line break (:func:`_units` computes the same split)."""
_SENTENCE_GAP = re.compile(r"([.!?])\s+")
_FINAL_ANSWER = re.compile(
    r"####\s*[-+]?\$?\s*\d"
    r"|(?i:\b(?:final answer|the answer|answer)\s*(?:is|:)\s*\S)"
    r"|(?m:^[ \t]*A:[ \t]*\S[^\n]{0,40}$)"
)
_BOXED_OPEN = re.compile(r"\\(?:boxed|fbox)\s*\{")
_ANSWER_LINE_END = re.compile(
    r"(?:####\s*\S+|(?i:\banswer\b[^\n]{0,12}?(?:is|:)\s*[^\n]{1,60})|^\s*A:\s*\S[^\n]{0,40})$",
    re.M,
)
_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]{2,}|\$\$")
# an answer statement whose value opens a bracket and stops: ``So the answer is (`` at a cap
_ANSWER_OPEN_END = re.compile(r"(?i:\banswer\b[^\n]{0,12}?(?:is|:))\s*[(\[][^()\[\]\n]{0,3}$")
_OPERATOR_END = re.compile(r"(?:[+\-/=^{\\]|(?<=[\s\d])[*_]|\\[a-zA-Z]+)$")
_SENTENCE_END = frozenset(".!?。！？…")
_CLOSERS = ")]}\"'`$*»”’>|"
_BOXED_END = re.compile(r"\\(?:boxed|fbox)\{.*\}[\s$.)\]]*$")
_ANSWER_WORD_END = re.compile(r"(?i:\banswer\b[^\n]{0,12}?(?:is|:)\s*[^\n]{1,60})$")
"""The ``answer is X`` branch of :data:`_ANSWER_LINE_END` (see :func:`_ends_in_answer_line`)."""
_A_LINE_END = re.compile(r"\s*A:\s*\S[^\n]{0,40}$")
"""The ``A: X`` branch of :data:`_ANSWER_LINE_END`, matched at a line's start."""


@dataclass(frozen=True)
class FailureMode:
    """Failure mode of one sample.

    Attributes:
        mode: one of :data:`MODES`.
        reason: short human string naming the evidence.
        signals: evidence flags from :data:`SIGNALS` (correct samples: only
            :data:`FLAG_SIGNALS`).
    """

    mode: str
    reason: str
    signals: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["signals"] = list(self.signals)
        return d


@dataclass(frozen=True)
class StopCut:
    """Where a generation ran past its end.

    Attributes:
        pos: character offset of the marker (> 0); the text before it is what should be scored.
        kind: ``eos_text`` (EOS or a special token written as text), ``chat_marker`` (a
            chat-template turn marker written as text, :data:`CHAT_MARKERS`),
            ``stop_sequence`` (an ``until`` string), or ``new_block``
            (``Q:``/``Question:``/``Problem:`` at a line start, ``Q:``/``Question:`` after a
            sentence end).
        marker: the marker text.
        count: occurrences of the marker in the response.
    """

    pos: int
    kind: str
    marker: str
    count: int

    def describe(self) -> str:
        """``"EOS token '<|endoftext|>' written as text x120 from char 57"`` and the like."""
        times = f" x{self.count}" if self.count > 1 else ""
        if self.kind == "eos_text":
            return f"EOS token {self.marker!r} written as text{times} from char {self.pos}"
        if self.kind == "chat_marker":
            return (
                f"chat-template marker {self.marker!r} written as text{times} from char "
                f"{self.pos} (the model went on to a new turn)"
            )
        if self.kind == "stop_sequence":
            return (
                f"leak: continued past the stop sequence {self.marker!r} at char {self.pos}{times}"
            )
        return f"new {self.marker!r} block at char {self.pos}"


# ---------------------------------------------------------------- evidence


_GAP = "\n\n…\n\n"
"""What stands for the skipped middle in a :func:`window`: no digit or word an answer
extractor could read."""


def window(text: str, keep: int = WINDOW_CHARS) -> str:
    """``text`` when it has at most ``2 * keep`` characters (plus a little), else its first
    and last ``keep`` characters around :data:`_GAP`. A text capped at ingest
    (``ingest.bounded.CappedText``: ``head()``, ``tail()``) is read as its kept head and tail
    around the same gap, never with the marker's figures (an extractor would take them for
    an answer)."""
    if hasattr(text, "head_chars"):
        head, tail = text.head(), text.tail()  # type: ignore[attr-defined]
        return head[:keep] + _GAP + tail[len(tail) - min(keep, len(tail)) :]
    if len(text) <= 2 * keep + 4096:
        return text
    return f"{text[:keep]}{_GAP}{text[-keep:]}"


def text_chars(text: str) -> int:
    """Characters of the whole text: ``full_chars`` of a text capped at ingest, else its
    length."""
    return int(getattr(text, "full_chars", len(text)))


def cap_evidence(
    response: str,
    max_gen_toks: int | None = None,
    n_output_tokens: int | None = None,
    finish_reason: str | None = None,
    n_chars: int | None = None,
) -> str | None:
    """Evidence that the generation reached the length cap, or None.

    Order: ``finish_reason`` (length-like values) decides when present; then the token count
    against ``max_gen_toks``; then, with no token count, characters against
    ``CAP_CHAR_FRACTION·CHARS_PER_TOKEN·max_gen_toks`` (≈ 3.5 characters per token for English
    BPE text, a proxy from formats.md §9). Only the first two are proof of a cut; see
    :func:`cap_is_logged`. ``n_chars``: the whole response's length when ``response`` is a
    :func:`window` of it (default: :func:`text_chars` of ``response``).
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
        length = text_chars(response) if n_chars is None else n_chars
        if length >= threshold:
            return (
                f"response {length:,} chars, about the cap of max_gen_toks {max_gen_toks} "
                f"(~{CHARS_PER_TOKEN} chars/token)"
            )
    return None


def cap_is_logged(
    max_gen_toks: int | None = None,
    n_output_tokens: int | None = None,
    finish_reason: str | None = None,
) -> bool:
    """True when the log itself says the generation hit the cap (a length-like
    ``finish_reason``, or a token count >= ``CAP_TOKEN_FRACTION·max_gen_toks``), as opposed to
    the character estimate of :func:`cap_evidence`."""
    if finish_reason is not None and str(finish_reason).strip():
        return str(finish_reason).strip().lower() in _LENGTH_REASONS
    return bool(
        max_gen_toks
        and n_output_tokens is not None
        and n_output_tokens >= CAP_TOKEN_FRACTION * max_gen_toks
    )


_OTHER_SPACE = re.compile(r"[\t\n\x0b\x0c\r\x1c-\x1f]|  ")
"""ASCII whitespace that ``str.split()`` splits at besides one space (and two spaces)."""
_OTHER_SPACE_CHAR = re.compile(r"[\t\n\x0b\x0c\r\x1c-\x1f]")


def _other_space(text: str) -> bool:
    """``_OTHER_SPACE.search(text) is not None``, without its search (13 us per KB of text
    that holds neither: the alternation is tried at every position): its characters are
    all control characters, which ``isprintable`` (a C loop) tells apart, and two spaces
    are one C-level find."""
    if not text.isprintable() and _OTHER_SPACE_CHAR.search(text) is not None:
        return True
    return "  " in text


def _tail_loop(response: str, output_constraint: str) -> str | None:
    """The text ends inside an exact loop (word 8-grams, or a short character period)."""
    if len(response) < NGRAM * MIN_REPEATS * 2:
        return None
    tail = response[-TAIL_WORDS * 12 :]
    # Cheap necessary conditions before the tail is split into words (same result): the
    # probe (the last words alone, split from the end) that repeats MIN_REPEATS times has
    # its longest word that often in the tail, and, when every space of the tail is one
    # ASCII space (ASCII text without :data:`_OTHER_SPACE`: the joined words are a part
    # of it), itself that often there.
    last = tail.rsplit(None, NGRAM + 1)[-NGRAM - 1 : -1]
    may_loop = (
        len(last) == NGRAM
        and tail.count(max(last, key=len)) >= MIN_REPEATS
        and (not tail.isascii() or _other_space(tail) or tail.count(" ".join(last)) >= MIN_REPEATS)
    )
    words = tail.split()[-TAIL_WORDS:] if may_loop else []
    if len(words) >= NGRAM * MIN_REPEATS:
        # the n-gram just before the last word (which a cap may have cut mid-word)
        probe = " ".join(words[-NGRAM - 1 : -1])
        joined = " ".join(words)
        count = joined.count(probe)  # non-overlapping, as split() counts them
        # an exact loop: the text between consecutive occurrences is the same each time
        if (
            count >= MIN_REPEATS
            and Counter(joined.split(probe)[1:-1]).most_common(1)[0][1] >= MIN_REPEATS - 1
        ):
            text = probe if len(probe) <= 40 else probe[:37] + "..."
            return f"repeated {NGRAM}-gram {text!r} x{count} in tail"
    if output_constraint != "bracket_sequence" and len(response) >= PERIOD_TAIL_CHARS:
        tail = response[-PERIOD_TAIL_CHARS:]
        end = tail[-1]
        # a period p needs the last character again p back: none of them, no p to try
        for p in range(1, MAX_PERIOD + 1) if end in tail[-MAX_PERIOD - 1 : -1] else ():
            if tail[-1 - p] == end and tail[p:] == tail[:-p] and tail.strip():
                return f"repeated {tail[-p:]!r} x{PERIOD_TAIL_CHARS // p} in tail"
    return None


def _units(text: str) -> list[str]:
    """The non-blank units of ``_UNIT_SPLIT.split(text)``, the same and in the same order,
    in about a quarter of the time (blank units may differ in number: the caller drops them).

    The separators are whole whitespace runs (``\\s``, as ``str.strip`` reads whitespace)
    that follow ``.``/``!``/``?`` or hold a ``\\n``. The runs after a sentence end go first
    (a regex that starts on the punctuation, which it hands back to its sentence), then each
    piece is cut at its line breaks, the whitespace around each break dropped (a piece starts
    after a run, so only the text's own first and last characters keep theirs)."""
    parts = _SENTENCE_GAP.split(text)
    if len(parts) > 1:
        pieces = [body + end for body, end in zip(parts[0::2], parts[1::2], strict=False)]
        pieces.append(parts[-1])
    else:
        pieces = parts
    if "\n" not in text:
        return pieces
    units: list[str] = []
    for piece in pieces:
        if "\n" not in piece:
            units.append(piece)
            continue
        lines = piece.split("\n")  # two or more
        units.append(lines[0].rstrip())
        units += [line.strip() for line in lines[1:-1]]
        units.append(lines[-1].lstrip())
    return units


def _has_ends(text: str, n: int) -> bool:
    """True when ``text`` holds ``n`` or more line breaks and ``.``/``!``/``?`` in all
    (counted with one-character finds, stopping at ``n``)."""
    found = 0
    for mark in "\n.!?":
        pos = text.find(mark)
        while pos >= 0:
            found += 1
            if found >= n:
                return True
            pos = text.find(mark, pos + 1)
    return found >= n


def _loop_steps(units: list[str]) -> list[int]:
    """The block lengths k (1 to :data:`MAX_BLOCK_UNITS`, ascending) at which
    :func:`repeated_block` can find a block: a block of k units copied c times in a row
    (c >= the smaller of :data:`MIN_BLOCK_COPIES` and :data:`MIN_LONG_BLOCK_COPIES`) is a
    run of (c - 1)·k units each equal to the one k later, and its first unit occurs c times.
    Most texts have no unit that often (a C-level count says so) and no k is tried; else
    each k's run is looked for in a bytes string of those equalities (C-level too)."""
    copies = min(MIN_BLOCK_COPIES, MIN_LONG_BLOCK_COPIES)
    # a unit found c times leaves c - 1 out of the set of units: with fewer duplicates than
    # copies - 1 in all, none is found that often (a set is cheaper than a Counter)
    if len(units) - len(set(units)) < copies - 1:
        return []
    if max(Counter(units).values(), default=0) < copies:
        return []
    steps = []
    # a run of (copies - 1)·k equalities needs (copies - 1)·k of the len(units) - k places
    for k in range(1, min(MAX_BLOCK_UNITS, len(units) // copies) + 1):
        same = bytes(map(operator.eq, units, units[k:]))  # 1 where units[i] == units[i + k]
        if b"\x01" * ((copies - 1) * k) in same:
            steps.append(k)
    return steps


def repeated_block(text: str) -> tuple[str, int, int] | None:
    """The longest back-to-back repetition of a sentence or paragraph, or None.

    The text is split into units at sentence ends (``.``, ``!``, ``?`` then whitespace) and
    line breaks; a block is 1 to :data:`MAX_BLOCK_UNITS` consecutive units. A block counts when
    it has at least :data:`MIN_BLOCK_WORDS` words and :data:`MIN_BLOCK_CHARS` characters and
    occurs :data:`MIN_BLOCK_COPIES` times in a row (:data:`MIN_LONG_BLOCK_COPIES` when it has
    :data:`LONG_BLOCK_CHARS`+ characters). Steps that differ in one number are not copies.

    Returns:
        ``(block text, copies, index of its first unit)`` for the block with the most copies
        (ties: the shorter block), or None.
    """
    # a split needs a line break or a sentence end: fewer than two such characters give at
    # most two units, never a repetition (a cheap exact check before the split)
    if not _has_ends(text, MIN_LONG_BLOCK_COPIES - 1):
        return None
    units = [u for u in _units(text) if u and u.strip()]
    if len(units) < MIN_LONG_BLOCK_COPIES:
        return None
    best: tuple[str, int, int] | None = None
    for k in _loop_steps(units):
        if len(units) < k * MIN_LONG_BLOCK_COPIES:
            break
        run = 0
        for i in range(len(units) - k):
            if units[i] == units[i + k]:
                run += 1
            else:
                run = 0
                continue
            copies = run // k + 1
            if copies < MIN_LONG_BLOCK_COPIES or (best is not None and copies <= best[1]):
                continue
            start = i - run + 1  # first unit of the repeated stretch
            unit = units[start : start + k]
            if any(
                k % p == 0 and all(unit[j] == unit[j % p] for j in range(k)) for p in range(1, k)
            ):
                continue  # copies of a shorter block: that block is the one to report
            block = " ".join(unit)
            if len(block) < MIN_BLOCK_CHARS or len(block.split()) < MIN_BLOCK_WORDS:
                continue
            needed = MIN_LONG_BLOCK_COPIES if len(block) >= LONG_BLOCK_CHARS else MIN_BLOCK_COPIES
            if copies >= needed:
                best = (block, copies, start)
    return best


def repetition_evidence(response: str, output_constraint: str = "") -> str | None:
    """Evidence of repetition anywhere in the response, or None.

    Two checks: a sentence or paragraph repeated back to back (:func:`repeated_block`; at any
    length, at or below the cap), and a tail that ends inside an exact loop. Word level: in the
    last ``TAIL_WORDS`` words, the word ``NGRAM``-gram that ends just before the last word
    occurs >= ``MIN_REPEATS`` times (non-overlapping) and the text between consecutive
    occurrences is identical at least ``MIN_REPEATS − 1`` times. Character level (loops without
    spaces): the last ``PERIOD_TAIL_CHARS`` characters are periodic with period <=
    ``MAX_PERIOD``; skipped for ``bracket_sequence`` answers. Numbered steps and stack traces
    (BBH dyck_languages) repeat n-grams but differ between occurrences, so they are not loops.
    """
    block = repeated_block(response)
    if block is not None:
        text, copies, _ = block
        shown = text if len(text) <= 60 else text[:57] + "..."
        what = "paragraph" if ("\n" in text or len(_UNIT_SPLIT.split(text)) > 1) else "sentence"
        return f"{what} {shown!r} repeated {copies} times in a row"
    return _tail_loop(response, output_constraint)


LOOP_END_CHARS = 24 * 1024
"""Characters at the end of a text :func:`loop_at_end` reads for a repeated block (three
copies of a 12-line paragraph fit)."""


def loop_at_end(text: str | None, output_constraint: str = "") -> str | None:
    """Evidence that ``text`` ends inside a repetition loop, or None.

    The text ends inside a loop when its tail is an exact loop (:func:`_tail_loop`, as
    :func:`repetition_evidence` reads it) or when its last units (sentences or lines, as
    :func:`repeated_block` splits them) are back-to-back copies of one block, as many as
    :func:`repeated_block` needs, the last copy possibly unfinished (its last unit a prefix of
    the unit it copies: a loop cut by the generation cap mid-sentence). A loop that the model
    left and then concluded after is not at the end. Only the last :data:`LOOP_END_CHARS`
    characters are read for the block. ``scoring.extract_lenient_step`` reads no fallback
    answer (a last ``(X)``, number or true/false word) from such a text: the model never
    stated a conclusion, and the word a fallback would take is whatever the loop repeats.
    """
    if not text or not text.strip():
        return None
    loop = _tail_loop(text, output_constraint)
    if loop is not None:
        return loop
    block = _block_at_end(text[-LOOP_END_CHARS:])
    if block is None:
        return None
    shown, copies = block if len(block[0]) <= 60 else (block[0][:57] + "...", block[1])
    return f"ends inside {shown!r} repeated {copies} times in a row"


def _block_at_end(tail: str) -> tuple[str, int] | None:
    """``(block, complete copies)`` of the repeated block the text ends in (the
    :func:`repeated_block` thresholds), or None. The smallest block length wins (a block
    made of copies of a shorter one is reported as that one)."""
    if not _has_ends(tail, MIN_LONG_BLOCK_COPIES - 1):
        return None
    units = [u for u in _units(tail) if u and u.strip()]
    n = len(units)
    for k in range(1, MAX_BLOCK_UNITS + 1):
        if n < k * MIN_LONG_BLOCK_COPIES:
            break
        last = n - 1
        if units[last] != units[last - k]:
            if not units[last - k].startswith(units[last]):
                continue
            last -= 1  # an unfinished last copy: its last unit was cut
        i = last
        while i - k >= 0 and units[i] == units[i - k]:
            i -= 1
        start = max(0, i - k + 1)  # where the repeated stretch starts
        copies = (last - start + 1) // k
        block = " ".join(units[start : start + k])
        if len(block) < MIN_BLOCK_CHARS or len(block.split()) < MIN_BLOCK_WORDS:
            continue
        needed = MIN_LONG_BLOCK_COPIES if len(block) >= LONG_BLOCK_CHARS else MIN_BLOCK_COPIES
        if copies >= needed:
            return block, copies
    return None


def stop_cut(
    response: str,
    until: Sequence[str] | None = None,
    eos_token: str | None = None,
) -> StopCut | None:
    """Where the generation ran past its end, or None (first marker after character 0).

    Markers: the run's ``eos_token`` and :data:`STOP_LITERALS` (``eos_text``), a chat-template
    turn marker (:data:`CHAT_MARKERS`, ``chat_marker``); every ``until`` string with at
    least 2 non-blank characters (``stop_sequence``; single letters like BBH's
    ``Q`` and blank strings like ``\\n\\n`` occur in normal text); a new few-shot block
    (``new_block``). When several start at the same place the order above decides.
    """
    last = _LAST_CUT[0]
    stops = tuple(until) if until is not None else None  # iterated the same either way
    # scoring and classification ask about the same text in a row: the second is a lookup
    if last is not None and last[0] is response and last[1] == stops and last[2] == eos_token:
        return last[3]
    cut = _stop_cut(response, until, eos_token)
    _LAST_CUT[0] = (response, stops, eos_token, cut)
    return cut


_LAST_CUT: list[tuple[str, tuple[str, ...] | None, str | None, StopCut | None] | None] = [None]
"""The last :func:`stop_cut` call and its answer (the text object itself, so never a stale hit)."""


def _stop_cut(response: str, until: Sequence[str] | None, eos_token: str | None) -> StopCut | None:
    found: list[tuple[int, int, str, str]] = []
    markers, n_literals = _stop_markers(until, eos_token)
    hit = first_found(response, markers, 1)
    if hit is not None:
        pos, i = hit
        kind = "chat_marker" if markers[i] in CHAT_MARKERS else "eos_text"
        found.append((pos, 0, kind, markers[i]) if i < n_literals
                     else (pos, 1, "stop_sequence", markers[i]))  # fmt: skip
    block = _new_block(response, 1)
    if block is not None:
        found.append((block[0], 2, "new_block", block[1]))
    if not found:
        return None
    pos, _, kind, marker = min(found)
    count = response.count(marker) if kind != "new_block" else block[2]  # type: ignore[index]
    return StopCut(pos, kind, marker, count)


_STOP_MARKERS: dict[tuple[Any, ...], tuple[tuple[str, ...], int]] = {}


def _stop_markers(
    until: Sequence[str] | None, eos_token: str | None
) -> tuple[tuple[str, ...], int]:
    """The texts :func:`stop_cut` looks for and how many of them are literals: the
    ``eos_token``, :data:`STOP_LITERALS` and :data:`CHAT_MARKERS`, then the ``until`` strings with 2+ non-blank
    characters that are not literals, each part in lexicographic order. At one position a
    literal then the smaller text wins (two texts found at one place are a prefix of one
    another, and the shorter is the smaller), as ``min`` over each one's find would pick.
    Kept per (until, eos_token) (the cache is cleared past 256)."""
    try:
        key = (eos_token, None if until is None else tuple(until))
        known = _STOP_MARKERS.get(key)
    except TypeError:  # an unhashable stop: computed every time
        key, known = None, None
    if known is not None:
        return known
    literals = [eos_token] if eos_token else []
    literals += [lit for lit in STOP_LITERALS + CHAT_MARKERS if lit != eos_token]
    stops = [
        stop
        for stop in until or ()
        if isinstance(stop, str) and len(stop.strip()) >= 2 and stop not in literals
    ]
    made = (tuple(sorted(literals) + sorted(stops)), len(literals))
    if key is not None:
        if len(_STOP_MARKERS) >= 256:
            _STOP_MARKERS.clear()
        _STOP_MARKERS[key] = made
    return made


_LEAD_GROUPS: dict[tuple[str, ...], tuple[tuple[str, re.Pattern[str], dict[str, int]], ...]] = {}


def first_found(text: str, markers: tuple[str, ...], start: int) -> tuple[int, int] | None:
    """``(position, index)`` of the first of ``markers`` (non-empty texts) found in ``text``
    at or after ``start``, the earlier marker of two found at one position; None when none
    is. The same as the smallest ``(text.find(m, start), i)`` over the markers found, with
    fewer scans: the markers are grouped by first character, each group one pattern of its
    markers in order (``re`` moves the shared first character out, so its search skips to
    that character in C and tries the group there; compiled once per tuple, the cache
    cleared past 256), searched only when a one-character find sees that character (the
    fastest search; most texts hold no ``<`` or ``[``). Shared with the scorer's stop cut
    (``ingest.scoring``)."""
    groups = _LEAD_GROUPS.get(markers)
    if groups is None:
        by_lead: dict[str, list[str]] = {}
        for marker in markers:
            by_lead.setdefault(marker[0], []).append(marker)
        first = {m: i for i, m in reversed(list(enumerate(markers)))}
        if len(_LEAD_GROUPS) >= 256:
            _LEAD_GROUPS.clear()
        groups = _LEAD_GROUPS[markers] = tuple(
            (lead, re.compile("|".join(map(re.escape, group))), first)
            for lead, group in by_lead.items()
        )
    best_pos, best_i = len(text), -1
    for lead_char, pattern, first in groups:
        lead = text.find(lead_char, start)
        if lead < 0 or lead > best_pos:
            continue
        hit = pattern.search(text, lead)
        if hit is not None:
            pos, i = hit.start(), first[hit.group()]
            if pos < best_pos or (pos == best_pos and i < best_i):
                best_pos, best_i = pos, i
    return (best_pos, best_i) if best_i >= 0 else None


def scoring_text(
    response: str | None,
    until: Sequence[str] | None = None,
    eos_token: str | None = None,
) -> str | None:
    """The part of ``response`` that should be scored: the text before :func:`stop_cut`'s
    marker, or the whole response when it has none (None stays None)."""
    if not response:
        return response
    cut = stop_cut(response, until, eos_token)
    return response if cut is None else response[: cut.pos]


def final_answer_evidence(text: str | None) -> str | None:
    """The final-answer statement a response makes, or None.

    Recognised: ``#### N``, ``answer is X`` / ``answer: X`` / ``final answer is X``, a short
    ``A: X`` line, and a closed ``\\boxed{...}``. A lenient extractor's fallback to the last
    number of a text is not a final answer.
    """
    if not text:
        return None
    last = _last_final_answer(text)
    box = None
    opens = [(m.start(), m.end() - 1) for m in _BOXED_OPEN.finditer(text)] if "\\" in text else []
    if opens:
        closes = _brace_pairs(text)  # one pass: never quadratic on a loop of open boxes
        for start, brace in opens:
            close = closes.get(brace)
            if close is not None:
                box = text[start : close + 1]
    if box is not None:
        return box if len(box) <= 40 else box[:37] + "..."
    if last is not None:
        line_end = text.find("\n", last)
        shown = text[last : line_end if line_end >= 0 else len(text)].strip()
        return shown if len(shown) <= 40 else shown[:37] + "..."
    return None


_BRACE = re.compile(r"[{}]")


def _last_final_answer(text: str) -> int | None:
    """Start of the last match ``_FINAL_ANSWER.finditer(text)`` yields, or None.

    ASCII text: the pattern is tried only where a match can start (``####``; ``answer``,
    4 and 6 characters before it for ``the answer`` and ``final answer``; the start of a line
    holding ``A:``), in order and past each match's end, which is what ``finditer`` yields
    (the boundary and line-start checks see the text before the start position). Other
    text (case folding beyond ASCII) runs ``finditer`` itself.
    """
    if not text.isascii():
        hits = list(_FINAL_ANSWER.finditer(text))
        return hits[-1].start() if hits else None
    lowered = text.lower()
    starts: set[int] = set()
    pos = text.find("####") if "#" in text else -1  # one-character finds first: most texts
    while pos >= 0:
        starts.add(pos)
        pos = text.find("####", pos + 1)
    pos = lowered.find("answer")
    while pos >= 0:
        starts.update(p for p in (pos - 6, pos - 4, pos) if p >= 0)
        pos = lowered.find("answer", pos + 1)
    pos = text.find("A:") if "A" in text else -1  # hold neither # nor A
    while pos >= 0:
        starts.add(text.rfind("\n", 0, pos) + 1)
        pos = text.find("A:", pos + 1)
    last, done = None, 0
    for start in sorted(starts):
        if start < done:
            continue
        m = _FINAL_ANSWER.match(text, start)
        if m is not None:
            last, done = start, m.end()
    return last


def _brace_pairs(text: str) -> dict[int, int]:
    """Position of each ``{`` in ``text`` that is closed -> position of its ``}``."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for m in _BRACE.finditer(text):
        if m.group() == "{":
            stack.append(m.start())
        elif stack:
            pairs[stack.pop()] = m.start()
    return pairs


def _last_paragraph(text: str) -> str:
    cut = text.rfind("\n\n")
    return text[cut + 2 :] if cut >= 0 else text


_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _ends_on_operator(text: str) -> bool:
    """``_OPERATOR_END.search(text)`` read from the end: a match ends at the end of the text,
    so it starts at the last character or at the backslash before a trailing run of letters
    (the search starts there; the lookbehind still sees the character before)."""
    letters = len(text) - len(text.rstrip(_ASCII_LETTERS))
    return _OPERATOR_END.search(text, max(0, len(text) - letters - 2)) is not None


def _ends_answer_open(text: str) -> bool:
    """``_ANSWER_OPEN_END.search(text)`` read from the end: its bracket is one of the last 4
    characters, the whitespace before it is the whole run (so ``is``/``:`` ends where that run
    starts) and ``answer`` starts at most 20 characters before that."""
    first = None
    for b in range(max(0, len(text) - 4), len(text)):
        if text[b] in "([":
            first = b
            break
    if first is None:
        return False
    start = len(text[:first].rstrip())  # where the whitespace before the bracket starts
    return _ANSWER_OPEN_END.search(text, max(0, start - 32)) is not None


_ANSWER_STATEMENT = re.compile(r"(?i:\banswer\s*(?:is|:))")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_ANSWER_TAIL_CHARS = 100
"""Characters at the end of a text searched for a closing answer statement
(:func:`_ends_in_answer`: the statement and its value, at most 60 characters, fit)."""


def _last_answer_statement(tail: str) -> re.Match[str] | None:
    """The last match ``_ANSWER_STATEMENT.finditer(tail)`` yields, or None. In ASCII text
    it is tried only where ``answer`` occurs, from the last one back: two matches never
    overlap (none holds another ``answer``), so finditer yields every place it matches."""
    if not tail.isascii():
        hits = list(_ANSWER_STATEMENT.finditer(tail))
        return hits[-1] if hits else None
    lowered = tail.lower()
    pos = lowered.rfind("answer")
    while pos >= 0:
        hit = _ANSWER_STATEMENT.match(tail, pos)
        if hit is not None:
            return hit
        pos = lowered.rfind("answer", 0, pos)  # "answer" never overlaps itself
    return None


def _ends_in_answer(text: str) -> bool:
    """True when ``text`` (right-stripped) ends with a complete answer statement on its last
    line: ``... the answer is X`` / ``answer: X`` where X (the rest of the text, 1-60
    characters) leaves no bracket it opens unclosed, no ``\\(``, ``\\[`` or ``<<`` open and
    no odd ``$``. Closers without an opener are allowed (a BBH dyck_languages answer
    ``So the answer is ) ].`` closes brackets the reasoning opened). Only the last
    :data:`_ANSWER_TAIL_CHARS` characters are read."""
    tail = text[-_ANSWER_TAIL_CHARS:]
    tail = tail[tail.rfind("\n") + 1 :]
    hit = _last_answer_statement(tail)
    if hit is None:
        return False
    value = tail[hit.end() :].strip()
    if not value or len(value) > 60 or value.count("$") % 2:
        return False
    if _open_in_last_paragraph(value) is not None:  # ``\\(``, ``\\[``, ``<<`` left open
        return False
    stack: list[str] = []
    for ch in value:
        if ch in _OPENERS:
            stack.append(_OPENERS[ch])
        elif ch in ")]}" and stack and stack[-1] == ch:
            stack.pop()
    return not stack


def _open_in_last_paragraph(text: str) -> str | None:
    """How the last paragraph of ``text`` leaves an expression open (a brace, ``\\(``,
    ``\\[``, a ``<<`` annotation, or an odd ``$`` in LaTeX text), or None."""
    para = _last_paragraph(text)
    # one-character finds skip what cannot match: without a backslash there is nothing to
    # drop and no ``\\(`` or ``\\[``; without ``<`` no ``<<``; the ``$`` count before the
    # LaTeX pattern (the same answer: both must hold)
    backslash = "\\" in para
    plain = para.replace("\\{", "").replace("\\}", "").replace("\\$", "") if backslash else para
    depth = 0
    if "{" in plain:  # only the braces are walked (a C-level scan finds them)
        for ch in _BRACE.findall(plain):
            if ch == "{":
                depth += 1
            elif depth:
                depth -= 1
    if depth > 0:
        return "ends mid-expression (an open brace)"
    if backslash and (
        para.rfind("\\(") > para.rfind("\\)") or para.rfind("\\[") > para.rfind("\\]")
    ):
        return "ends mid-expression (an open \\( or \\[)"
    if "<" in para and para.rfind("<<") > para.rfind(">>"):
        return "ends mid-expression (an open <<...>> annotation)"
    if plain.count("$") % 2 == 1 and _LATEX_COMMAND.search(para):
        return "ends mid-expression (an open $)"
    return None


def _ends_in_answer_line(line: str) -> bool:
    """``_ANSWER_LINE_END.search(line) is not None`` for a line without ``\\n``, in linear
    time (the search is quadratic on ``####`` runs: 55 s on 120 KB).

    ``#### X``: the line ends in a non-blank run holding ``####`` before its last character,
    or that run follows blanks after ``####``. ``answer is X``: its value (1-60 characters)
    starts in the last 60 and only blanks come between, so the statement starts at most 20
    characters before those blanks; the branch is searched from there. ``A: X``: at the
    start."""
    if line[-1:] and not line[-1].isspace():
        last = line.rsplit(None, 1)[-1]
        start = len(line) - len(last)
        if "####" in last[:-1] or line[:start].rstrip().endswith("####"):
            return True
    value_from = len(line[: max(0, len(line) - 60)].rstrip())
    if _ANSWER_WORD_END.search(line, max(0, value_from - 20)) is not None:
        return True
    return _A_LINE_END.match(line) is not None


def _ends_in_box(line: str) -> bool:
    """``_BOXED_END.search(line) is not None`` for a line without ``\\n``, in linear time
    (the search is quadratic on repeated boxes: 6 s on 160 KB): after the closing brace
    only blanks, ``$``, ``.``, ``)`` or ``]``, and a ``\\boxed{`` or ``\\fbox{`` opening
    before it."""
    end = len(line)
    while end and (line[end - 1].isspace() or line[end - 1] in "$.)]"):
        end -= 1
    if not end or line[end - 1] != "}":
        return False
    boxed, fbox = line.find("\\boxed{"), line.find("\\fbox{")
    return 0 <= boxed < end - 1 - 6 or 0 <= fbox < end - 1 - 5


def ends_cut(response: str | None) -> str | None:
    """How the text is visibly cut at its end, or None when it ends cleanly.

    ``mid-expression``: the last paragraph leaves a brace, ``\\(``, ``\\[`` or a GSM8K
    ``<<`` calculator annotation open, or (when it uses LaTeX) an odd number of ``$``, or the
    text ends on an operator (``+ - * / = ^ _ {`` or a LaTeX command). ``mid-sentence``: the
    text does not end in ``.``, ``!`` or ``?`` (closing brackets, quotes and ``$`` after it
    allowed), and its last line is not a final-answer line (``#### 37``, ``A: 18``,
    ``... answer is X``, a closed ``\\boxed{...}``). A word list cut at the cap
    (``... < "ow" < ["pir"``) is cut; ``So the answer is (B)`` is not. ``mid-answer``: the
    text stops right after an answer statement that opens a bracket (``So the answer is (``),
    so the answer itself was cut. A text that ends in a complete answer statement
    (:func:`_ends_in_answer`: ``So the answer is ).``, ``the answer is empty``) is not
    read for open braces, ``\\(``, ``<<`` or ``$`` before it: BBH dyck_languages reasoning
    (``stack: ( [ {``) leaves brackets open by design, and the text it ends with is whole.
    """
    if not response or not response.strip():
        return None
    text = response.rstrip()
    if not _ends_in_answer(text):
        open_end = _open_in_last_paragraph(text)
        if open_end is not None:
            return open_end
    if _ends_on_operator(text):
        return f"ends mid-expression (on {text[-12:].split()[-1]!r})"
    if _ends_answer_open(text):
        return f"ends mid-answer (...{text[-24:].split(chr(10))[-1]!r}: an open bracket)"
    core = text.rstrip(_CLOSERS)
    if core and core[-1] in _SENTENCE_END:
        return None
    last_line = text[text.rfind("\n") + 1 :]
    if _ends_in_answer_line(last_line) or _ends_in_box(last_line):
        return None
    tail = text[-24:].split("\n")[-1]
    return f"ends mid-sentence (...{tail!r})"


_STATED_VALUE = re.compile(
    r"(?i:\banswer\b[^\n]{0,12}?(?:is|:))\s*(\S[^\n]{0,59}?)(?:[.!?](?=\s)|\n)"
    r"|####\s*(\S+)\s"
)
"""A final answer whose value was written whole: ``answer is X`` / ``answer: X`` up to a
sentence end or a line break, or ``#### X`` followed by white space."""


def cut_after_no_answer(response: str | None) -> str | None:
    """:func:`ends_cut` of a text that gives no complete final answer before it ends; None
    when it is not cut, or when its last final-answer statement (:func:`final_answer_evidence`
    reads the same ones) holds a whole value (:data:`_STATED_VALUE`) and more text follows.

    For a cut inferred without a logged cap (``Store.infer_truncation`` takes an ``ends_cut``
    callable): ``So the answer is (C).\\nLet me check ... the`` ends mid-sentence but its answer
    was complete, so a wrong (C) stays a wrong answer; ``... So the answer is (`` and a text
    with no answer statement are cut."""
    end = ends_cut(response)
    if end is None or not response:
        return end
    text = window(response)
    start = _last_final_answer(text)
    if start is None:
        return end
    hit = _STATED_VALUE.search(text, start, start + 100)  # the statement starts there
    if hit is None or not text[hit.end() :].strip():
        return end
    return None


def _valid(extracted: str | None) -> bool:
    return extracted is not None and str(extracted).strip().lower() not in INVALID_EXTRACTIONS


def _short(text: str | None, limit: int = 30) -> str:
    """``text`` quoted and cut to ``limit`` characters for a reason; a missing extraction
    (None) reads ``no answer``, never Python's ``None``."""
    if text is None:
        return "no answer"
    t = str(text)
    return repr(t if len(t) <= limit else t[: limit - 3] + "...")


def _stop_signals(cut: StopCut | None, response: str) -> list[str]:
    """Signals of a generation that ran past its end (a block marker also counts as new_block)."""
    if cut is None:
        return []
    out = {"eos_text": ["stop_literal"], "chat_marker": ["stop_literal"],
           "stop_sequence": ["past_stop"], "new_block": []}[cut.kind]  # fmt: skip
    if _new_block(response, 1) is not None:
        out.append("new_block")
    return out


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
    lenient_step: str | None = None,
    capslice_scored: bool = False,
) -> FailureMode:
    """Classify one sample (precedence in the module docstring).

    Args:
        response: raw model output (the whole of it: what follows a stop marker is evidence).
        target: reference answer (used in reasons only).
        official_correct: the harness's score (truthy = correct; a fractional score counts as
            correct when >= 0.5); None when the log has none.
        extracted: the harness's filtered answer (``[invalid]`` or empty = nothing extracted).
        output_constraint: the item's ``output_constraint`` axis value.
        max_gen_toks, n_output_tokens, finish_reason: generation cap evidence, when logged.
        until, eos_token: the task's stop sequences and the model's EOS text, when known.
        lenient_answer: answer ``scoring.extract_lenient`` found in :func:`scoring_text` of
            the response (None = none found).
        lenient_correct: ``scoring.answers_match(lenient_answer, target, ...)``; None when the
            caller did not re-extract.
        lenient_step: the extraction step that read ``lenient_answer``
            (``scoring.Extraction.step``, e.g. ``last 'Answer:' statement``), named in the
            reason after the answer.
        capslice_scored: ``official_correct`` and ``extracted`` are capslice's strict
            extraction's, the log having no score: reasons name it (:data:`CAPSLICE_STRICT`),
            never an official extraction that does not exist.

    Returns:
        :class:`FailureMode`.
    """
    read = _short(lenient_answer) + (f" ({lenient_step})" if lenient_step else "")
    if response is None:
        return FailureMode("empty", "response is None")
    if not response or response.isspace():  # never a stripped copy of a huge text
        return FailureMode("empty", f"response is blank ({len(response)} whitespace chars)")
    n_chars = text_chars(response)
    response = window(response)  # bounded work on a 200 MB generation
    if official_correct is None:
        official = False
    else:
        official = float(official_correct) >= 0.5
    no_official_but_right = official_correct is None and bool(lenient_correct)

    cut = stop_cut(response, until, eos_token)
    loop = repetition_evidence(response, output_constraint)
    if official or no_official_but_right:
        return _correct_mode(official, read, cut, loop, response, capslice_scored)

    ev = _failure_evidence(
        response, cut, loop, lenient_answer, max_gen_toks, n_output_tokens, finish_reason, n_chars
    )
    got = _gave(extracted, capslice_scored)
    if lenient_answer is not None:
        got += f", lenient extraction {read}"

    if lenient_correct and official_correct is not None:
        return _answer_present_mode(
            ev, cut, read, lenient_answer, extracted, capslice_scored, target
        )
    cut_short = _cut_short_mode(
        ev, loop, got, cut_answer(response, lenient_answer, target, output_constraint)
    )
    if cut_short is not None:
        # a complete wrong answer stays a wrong answer, whatever the text did after it
        lenient_given = lenient_answer is not None or lenient_correct is not None
        answer = lenient_answer if lenient_given else (extracted if _valid(extracted) else None)
        scored = response if cut is None else response[: cut.pos]
        if complete_answer(scored, answer, lenient_step if lenient_given else None) is None:
            return cut_short
        shown = read if lenient_given else _short(answer)
        return _kept_going_mode(ev, shown, target, extracted, answer, capslice_scored)
    return _no_match_mode(
        ev, cut, got, read, target, extracted, (lenient_answer, lenient_correct), capslice_scored
    )


CAPSLICE_STRICT = "capslice's strict extraction"
"""Who scored a sample whose log carried no score (a generic file, a harness log without a
metric, or generation 1..K-1 of an lm-eval line whose score went to generation 0); reasons
name it where an official extraction would be named."""
_NO_OFFICIAL = "the log has no official score for this sample"
"""Said of a sample :data:`CAPSLICE_STRICT` scored: true whether the log scored nothing or
scored another generation of the same item (``capslice sample`` shows which)."""


def _gave(extracted: str | None, capslice_scored: bool) -> str:
    """``official extraction gave X``, or capslice's strict extraction when it scored."""
    if capslice_scored:
        return f"{CAPSLICE_STRICT} gave {_short(extracted)} ({_NO_OFFICIAL})"
    return f"official extraction gave {_short(extracted)}"


@dataclass(frozen=True)
class _Evidence:
    """What a failed sample's text shows, gathered once for :func:`classify`'s rules.

    Attributes:
        signals: signal names in the order found (cap, repetition, stop signals, cut_end).
        evidence: the matching human-readable descriptions.
        cap: cap evidence (:func:`cap_evidence`), or None.
        logged_cap: the cap hit is in the log (not estimated).
        final: complete final answer in the scored text (:func:`final_answer_evidence`), or None.
        end: how the text visibly ends cut (:func:`ends_cut`), or None.
        cut_by_cap: the cap counts as the cause of the cut.
    """

    signals: list[str]
    evidence: list[str]
    cap: str | None
    logged_cap: bool
    final: str | None
    end: str | None
    cut_by_cap: bool

    @property
    def extra(self) -> str:
        """The evidence as a ``"; a; b"`` suffix ("" when there is none)."""
        return ("; " + "; ".join(self.evidence)) if self.evidence else ""


def _correct_mode(
    official: bool,
    read: str,
    cut: StopCut | None,
    loop: str | None,
    response: str,
    capslice_scored: bool = False,
) -> FailureMode:
    """The ``correct`` mode, flagged with any stop or repetition signal seen. ``official``:
    scored correct (by the log, or by :data:`CAPSLICE_STRICT` when ``capslice_scored``)."""
    flags = _stop_signals(cut, response) + (["repetition"] if loop else [])
    notes = [n for n in (cut.describe() + ", scored on the text before it" if cut else "",
                         loop or "") if n]  # fmt: skip
    if official and capslice_scored:
        head = f"{CAPSLICE_STRICT} scored it correct ({_NO_OFFICIAL})"
    elif official:
        head = "official score correct"
    else:
        head = f"no official score; lenient answer {read} matches the target"
    if not official:
        flags.insert(0, "answer_present")
    return FailureMode(
        "correct", head + ("; flagged: " + "; ".join(notes) if notes else ""), tuple(flags)
    )


def _failure_evidence(
    response: str,
    cut: StopCut | None,
    loop: str | None,
    lenient_answer: str | None,
    max_gen_toks: int | None,
    n_output_tokens: int | None,
    finish_reason: str | None,
    n_chars: int,
) -> _Evidence:
    """Gather the cap, repetition, stop and cut-end evidence of a sample scored wrong."""
    signals: list[str] = []
    evidence: list[str] = []
    cap = cap_evidence(response, max_gen_toks, n_output_tokens, finish_reason, n_chars)
    logged_cap = cap is not None and cap_is_logged(max_gen_toks, n_output_tokens, finish_reason)
    scored = response if cut is None else response[: cut.pos]
    final = final_answer_evidence(scored)
    end = ends_cut(response)
    cut_by_cap = cap is not None and (logged_cap or final is None or end is not None)
    if cut_by_cap:
        signals.append("cap")
        evidence.append(cap)  # type: ignore[arg-type]
    if loop:
        signals.append("repetition")
        evidence.append(loop)
    if cut is not None:
        signals.extend(_stop_signals(cut, response))
        after = bool(lenient_answer) and str(lenient_answer) in scored
        evidence.append(cut.describe() + (" (after the answer)" if after else ""))
    if end is not None:
        signals.append("cut_end")
    return _Evidence(signals, evidence, cap, logged_cap, final, end, cut_by_cap)


def _answer_present_mode(
    ev: _Evidence,
    cut: StopCut | None,
    read: str,
    lenient_answer: str | None,
    extracted: str | None,
    capslice_scored: bool = False,
    target: str | None = None,
) -> FailureMode:
    """Scored wrong but the lenient answer matches: ``runaway`` past a stop, else extraction;
    :func:`_comparison_mode` when the scored extraction read that same answer."""
    if _same_answer(extracted, lenient_answer):
        return _comparison_mode(ev, read, extracted, target, capslice_scored)
    if cut is not None:
        scored = (
            _gave(extracted, True)
            if capslice_scored
            else f"the harness scored the whole text (official extraction: {_short(extracted)})"
        )
        return FailureMode(
            "runaway",
            f"{cut.describe()}: the text before it answers {_short(lenient_answer)}, which "
            f"matches the target, but {scored}"
            + "".join(f"; {e}" for e in ev.evidence if not e.startswith(cut.describe())),
            tuple(["answer_present", *ev.signals]),
        )
    found = (
        f"lenient extraction found {read}"
        if lenient_answer is not None
        else "lenient extraction matched the target"
    )
    return FailureMode(
        "extraction_failure",
        f"answer present: {found} but {_gave(extracted, capslice_scored)}{ev.extra}",
        tuple(["answer_present", *ev.signals]),
    )


def _same_answer(extracted: str | None, lenient_answer: str | None) -> bool:
    """The scored extraction is a valid answer that reads as the lenient one (the same text
    once runs of whitespace are made one space)."""
    return (
        lenient_answer is not None
        and _valid(extracted)
        and " ".join(str(extracted).split()) == " ".join(str(lenient_answer).split())
    )


def _comparison_mode(
    ev: _Evidence, read: str, extracted: str | None, target: str | None, capslice_scored: bool
) -> FailureMode:
    """``extraction_failure`` whose fault is the comparison, not the extraction: the scored
    extraction and the lenient one read the same answer, the lenient comparison accepts it
    (``10000`` for the target ``10{,}000``), and the score is wrong all the same. The
    answer is present and the loss is the scorer's, as for any ``extraction_failure``; the
    reason says the comparison with the target's written form is what failed (no
    "lenient found X but official gave X")."""
    if capslice_scored:
        who, verdict = CAPSLICE_STRICT, f"its score is 0 all the same ({_NO_OFFICIAL})"
        fault = "capslice's strict comparison with the target"
    else:
        who, verdict = "the official extraction", "the harness scored it wrong all the same"
        fault = "the harness's comparison with the target"
    return FailureMode(
        "extraction_failure",
        f"answer present: {who} gave {_short(extracted)} and the lenient extraction found "
        f"{read}, the same answer, which matches the target {_short(target)}; {verdict}: "
        f"the fault is {fault}'s written form, not the extraction"
        f"{ev.extra}",
        tuple(["answer_present", *ev.signals]),
    )


_FORMAT_OPTIONS: dict[str, tuple[str, ...]] = {
    "yes_no": ("Yes", "No"),
    "true_false": ("True", "False"),
    "valid_invalid": ("valid", "invalid"),
}
"""The answers an ``output_constraint`` allows, where it names them (the word pairs
``ingest.scoring`` extracts)."""


def cut_answer(
    response: str | None,
    answer: str | None,
    target: str | None,
    output_constraint: str = "",
) -> tuple[str, str] | None:
    """``(answer, whole)`` when the text ends in an answer cut mid-word, else None.

    Cut: ``answer`` (stripped) is where the right-stripped ``response`` ends (no letter or
    digit before it) and is a strict proper prefix, case-folded, of ``whole``: the target, or
    an answer the ``output_constraint`` allows (:data:`_FORMAT_OPTIONS`). ``So the answer is
    Y`` with target ``Yes``, or ``... is N`` under ``yes_no``, is cut; ``So the answer is Y.``
    (a full stop after it) and ``So the answer is No`` are not. :func:`classify` calls it
    truncated only at the cap (:func:`cap_evidence`).
    """
    if not response or not answer or not str(answer).strip():
        return None
    got = str(answer).strip()
    end = response.rstrip()
    if not end.endswith(got):
        return None
    before = end[: len(end) - len(got)]
    if before and before[-1].isalnum():
        return None
    folded = got.casefold()
    wholes = ((target or "").strip(), *_FORMAT_OPTIONS.get(output_constraint, ()))
    for whole in wholes:
        if len(got) < len(whole) and whole.casefold().startswith(folded):
            return got, whole
    return None


def _cut_short_mode(
    ev: _Evidence, loop: str | None, got: str, cut: tuple[str, str] | None = None
) -> FailureMode | None:
    """Repetition (``runaway``), then a visible or a cap cut, then an answer cut mid-word at
    the cap (``truncated``); None when none. ``cut``: :func:`cut_answer` of the sample."""
    cap = ev.cap
    if loop:
        to_cap = f" to the cap ({cap})" if cap else ""
        rest = [e for e in ev.evidence if e not in (loop, cap)]
        return FailureMode(
            "runaway",
            f"repetition: {loop}{to_cap}; {got}" + "".join(f"; {e}" for e in rest),
            tuple(ev.signals),
        )
    end = ev.end
    if end is not None and end.startswith("ends mid-expression"):
        how = cap if ev.cut_by_cap else "no cap hit logged, but the text is visibly cut"
        return FailureMode("truncated", f"{end}: {how}; {got}", tuple(ev.signals))
    if ev.cut_by_cap:
        why = (
            "the log says it hit the cap"
            if ev.logged_cap
            else " and it ".join(
                w for w in ("no final answer" if ev.final is None else "", end) if w
            )
        )
        rest = [e for e in ev.evidence if e != cap]
        return FailureMode(
            "truncated",
            f"{cap} and {why}; {got}" + "".join(f"; {e}" for e in rest),
            tuple(ev.signals),
        )
    if cut is not None and cap is not None:  # here the cap is not yet in the signals
        signals = ["cap", *ev.signals] + ([] if "cut_end" in ev.signals else ["cut_end"])
        return FailureMode(
            "truncated",
            f"ends mid-answer ({_short(cut[0])} is the start of {_short(cut[1])} and the text "
            f"ends there): {cap}, so the answer was cut, not wrong; {got}{ev.extra}",
            tuple(signals),
        )
    return None


_STATEMENT_STEPS = ("statement", "\\boxed{}", "'####'", "'A:' line", "whole response")
"""Words in a lenient step name (``scoring.Extraction.step``) that mark an answer the model
stated as final (an answer statement, ``\\boxed{}``, ``####``, an ``A:`` line, a bare answer);
the other steps (the last ``(X)``, number, ``$...$``, line or true/false word: the scorer's
``FALLBACK_STEPS``) read a mention."""
_ANSWER_GOES_ON = re.compile(r"[.,]\d|\s*[-+*/^=_{\\]|\.?\s*$")
"""What may follow an answer that is not complete yet: a decimal or thousands part, an
operator, or nothing (the text ends on it, or on a full stop right after it)."""


def complete_answer(text: str | None, answer: str | None, step: str | None = None) -> int | None:
    """End position in ``text`` of the final answer ``answer`` when it was written whole, or
    None.

    Whole: ``answer`` (stripped) stands, as a word of its own (no letter or digit on either
    side), at or after the start of the text's last final-answer statement (``answer is X``,
    ``answer: X``, ``#### X``, a short ``A: X`` line or a closed ``\\boxed{X}``, as
    :func:`final_answer_evidence` reads them), and the model wrote on after it: what follows
    is neither nothing, nor a lone full stop at the end, nor a decimal or thousands part or
    an operator (:data:`_ANSWER_GOES_ON`). ``So the answer is True.\\nLet me check ...`` and
    ``So the answer is (C), and ...`` are whole; ``So the answer is T`` and ``... is 12.``
    where the text ends are not (the cap may have cut them). ``step``: the lenient step that
    read ``answer``; a fallback step (not in :data:`_STATEMENT_STEPS`) is never a stated
    answer.
    """
    if not text or answer is None or not str(answer).strip():
        return None
    if step is not None and not any(word in step for word in _STATEMENT_STEPS):
        return None
    got = str(answer).strip()
    anchors = [_last_final_answer(text)]
    box = text.rfind("\\boxed{")
    anchors.append(box if box >= 0 else None)
    start = max((a for a in anchors if a is not None), default=None)
    if start is None:
        return None
    at = re.compile(r"(?<![A-Za-z0-9])" + re.escape(got) + r"(?![A-Za-z0-9])")
    hit = at.search(text, start)
    if hit is None or _ANSWER_GOES_ON.match(text, hit.end()) is not None:
        return None
    return hit.end()


def _kept_going_mode(
    ev: _Evidence,
    shown: str,
    target: str | None,
    extracted: str | None,
    answer: str | None,
    capslice_scored: bool,
) -> FailureMode:
    """``wrong_answer`` for a complete final answer that is wrong (:func:`complete_answer`),
    whatever the text did after it: running on to the cap, looping, a new block or a stop
    sequence are secondary facts (its reason and ``signals``). Only a sample whose answer
    was lost (cut, never given, or not extracted) is a format failure."""
    went_on = list(ev.evidence)
    if ev.cap is not None and not ev.cut_by_cap:
        went_on.insert(0, ev.cap)
    if ev.end is not None:
        went_on.append(ev.end)
    after = (
        "; after it the model went on (" + "; ".join(went_on) + "), which is secondary"
        if went_on
        else ""
    )
    other = ""
    if _valid(extracted) and not _same_answer(extracted, answer):
        other = f"; {_gave(extracted, capslice_scored)}"
    return FailureMode(
        "wrong_answer",
        f"answer {shown} does not match target {_short(target)}: a complete answer, so a "
        f"wrong answer{after}{other}",
        tuple(ev.signals),
    )


def _no_match_mode(
    ev: _Evidence,
    cut: StopCut | None,
    got: str,
    read: str,
    target: str | None,
    extracted: str | None,
    lenient: tuple[str | None, bool | None],
    capslice_scored: bool = False,
) -> FailureMode:
    """Not cut short: a wrong answer, a ``runaway`` past a stop, or no answer at all.
    ``lenient``: the lenient answer and whether it matches (:func:`classify`)."""
    lenient_answer, lenient_correct = lenient
    near_cap_note = ""
    if ev.cap is not None and ev.final is not None:
        near_cap_note = (
            f"; {ev.cap}, but it ends in a complete final answer ({ev.final}), so it is not "
            "counted truncated"
        )
    lenient_given = lenient_answer is not None or lenient_correct is not None
    answer = lenient_answer if lenient_given else extracted
    answer_found = lenient_answer is not None if lenient_given else _valid(extracted)
    if answer_found:
        return FailureMode(
            "wrong_answer",
            f"answer {read if lenient_given else _short(answer)} does not match target "
            f"{_short(target)}{ev.extra}{near_cap_note}",
            tuple(ev.signals),
        )
    if cut is not None:
        return FailureMode(
            "runaway", f"{cut.describe()}, with no answer before it; {got}", tuple(ev.signals)
        )
    none = "nothing" if extracted is None else f"{_short(extracted)}, not a valid answer"
    returned = (
        f"{CAPSLICE_STRICT} returned {none}; {_NO_OFFICIAL}"
        if capslice_scored
        else f"the official extraction returned {none}"
    )
    ended = (
        f"the response {ev.end} but no cap hit is logged or estimated"
        if ev.end is not None
        else "the response ended normally"
    )
    return FailureMode(
        "wrong_answer",
        f"no answer found in the response ({returned}); {ended} "
        "(no cap hit, no repetition, no new few-shot block, no stop sequence or EOS written "
        f"as text), so it counts as a wrong answer{near_cap_note}",
        tuple(ev.signals),
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

    ``cap`` and ``cut_end`` are only gathered for samples that were not correct, so ``cap``
    counts the wrong samples that hit the generation cap; the flags of :data:`FLAG_SIGNALS`
    are counted on correct samples too."""
    counts = dict.fromkeys(SIGNALS, 0)
    counts["n"] = 0
    for m in modes:
        counts["n"] += 1
        for s in m.signals:
            counts[s] = counts.get(s, 0) + 1
    return counts
