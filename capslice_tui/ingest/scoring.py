"""Answer extraction and matching for logs that carry no correctness.

Two extraction modes share one matcher:

* **strict** (:func:`extract_strict`) takes only what an official-style harness filter would
  take: the text after "the answer is" up to the final period (lm-eval's BBH ``get-answer``
  regex ``(?<=the answer is )(.*)(?=.)``, and the BBH authors' own scoring; "The answer is",
  lm-eval's gsm8k-cot and self-consistency regex, likewise), gsm8k's first
  ``#### N`` (lm-eval ``strict-match``, ``take_first``) or a final ``A: N`` line (OpenAI
  grade-school-math), the last ``\\boxed{}`` for math, or the whole response when it is
  already a bare answer of the expected shape (answer-only prompting, lm-eval filter ``none``).
* **lenient** (:func:`extract_lenient_step`, :func:`extract_lenient`) reads what the model
  itself gave as its final answer, by one documented cascade per output constraint. Every
  step has a name (``last 'Answer:' statement``, ``last \\boxed{}``, ``last '####'``,
  ``bare letter``...) that travels with the answer (:class:`Extraction`) into the sample's
  failure-mode reason, so a person can see why an answer was read that way.

Text the lenient cascades read
    1. After a reasoning trace: the text after the last ``</think>`` (``</thinking>``,
       ``</reasoning>``) when any text follows it.
    2. Before the first chat-turn or end marker (:data:`END_MARKERS`: ``[/INST]``,
       ``<|im_end|>``, ``</s>``, ``<|endoftext|>``, ``<|eot_id|>``...), new few-shot block
       (:data:`FEW_SHOT_MARKERS`: ``\\nQ:``, ``\\nQuestion:``, ``\\nProblem:``) or run stop
       string (2+ non-blank characters) found after the start: what follows is not part of
       the answer ("The answer is 56. [/INST] ..." reads 56).

Answer statements (:data:`ANSWER_PREFIX_RE`)
    ``answer is`` / ``answer was`` / ``answer:`` / ``answer =`` in any case (``The answer is``,
    ``Final Answer:``, ``ANSWER IS``, ``**Answer:**``), and the localized prefixes of the
    multilingual MMLU evaluations (simple-evals ``MULTILINGUAL_ANSWER_REGEXES``: German
    ``Antwort:``, French ``Réponse :``, Spanish ``Respuesta:``, Italian ``Risposta:``,
    Portuguese ``Resposta:``, Indonesian ``Jawaban:``, Swahili ``Jibu:``, Yoruba ``Ìdáhùn:``,
    Chinese ``答案：``/``答：``, Japanese ``答え:``/``解答:``/``回答:``, Korean ``정답:``/``답변:``/
    ``답:``, Bengali ``উত্তর:``, Hindi ``उत्तर:``, Arabic ``الإجابة:``, plus Russian ``Ответ:``
    and the ``答案是``/``答えは``/``정답은`` forms). The **last** statement with text after it is
    the model's answer; its "clause" is its first line up to the first sentence end.

Cascades (first step that yields an answer wins)
    ``option_letter``: last answer statement (a letter at the clause start, wrapped or not:
    ``B``, ``(B)``, ``**B**``, ``$B$``, ``\\boxed{B}``, ``B.``, ``option B``, then any
    explanation, ``(E). Option (A) fails ...`` = E; else the first ``(X)`` in the clause; two
    letters there (``(A) or (B)``) or no letter is the model's non-letter answer, returned as
    text) → last ``\\boxed{X}`` → last ``(X)`` → bare letter (the last line is a letter).
    Full-width, Arabic and Bengali option letters (``Ｂ``, ``ب``, ``ব``) read as A–D.
    ``integer``/``final_number``: whichever of the last ``#### N``, the last answer statement
    holding a number, the last ``\\boxed{}`` holding a number and a final ``A: N`` line comes
    last in the text (the model's own final answer wins over numbers recited from few-shot
    examples or the question) → the last number. Numbers keep their written form (``9{,}500``,
    ``$1,000``, ``29.00``, ``50\\%``); :func:`answers_match` reads their value.
    ``boxed_expression``: last ``\\boxed{}`` → last answer statement (its first ``$...$`` or
    its clause; Minerva ``The final answer is $X$. I hope it is correct.``) → last ``$...$``,
    ``\\(...\\)`` or ``\\[...\\]`` → last number.
    ``yes_no``/``true_false``/``valid_invalid``: the first such word in the last answer
    statement's clause → the last such word.
    ``bracket_sequence``/``word_list``/``free_text``: the last answer statement's first line →
    the last non-empty line.

A text that ends inside a repetition loop (``failure_modes.loop_at_end``: an exact loop in its
tail, or back-to-back copies of a sentence or paragraph up to its end, the last copy perhaps
cut mid-sentence by the generation cap) is read for a final-answer statement only (an answer
statement, ``\\boxed{}``, ``####``, a final ``A:`` line; the loop may repeat one, and one made
before the loop began still counts). The fallback steps (:data:`FALLBACK_STEPS`) read nothing
there: the model never concluded, and the last ``(X)``, number or true/false word is a word of
the loop (``... = not False and True and``) or of the discussion before it (``If we look at
(A), ...``), not an answer. Such a sample gets no lenient credit and is classified a runaway.

:func:`answers_match` normalises both sides according to the ``output_constraint`` (the axis
values of ``taxonomies/evaluation.yaml``) and compares them. Math expressions: two exact
expressions (integers, decimals, fractions, powers, factorials) compare exactly as rationals,
never with a tolerance (``\\frac{1}{2^{98}}`` != ``\\frac{1}{2^{99}}``); times, ``\\pm``, lists
of answers, tuples, intervals and sets compare as such; anything else goes through
math-verify (``parse``/``verify``), whose numeric "equal" is accepted only when the two values
also agree to a relative 1e-6 (math-verify rounds absolute values, so tiny values all look
equal to it).

Validated on real data (see ``tests/unit/test_scoring.py``): the strict scorer reproduces the
BIG-Bench-Hard authors' per-task accuracies for code-davinci-002 (CoT and answer-only, 27
tasks each) within 0.1 points; the extraction corpus is ``tests/unit/test_extraction_corpus.py``.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from ..analysis.failure_modes import first_found, loop_at_end

OUTPUT_CONSTRAINTS: tuple[str, ...] = (
    "option_letter",
    "yes_no",
    "true_false",
    "valid_invalid",
    "integer",
    "final_number",
    "boxed_expression",
    "bracket_sequence",
    "word_list",
    "free_text",
)

FEW_SHOT_MARKERS: tuple[str, ...] = ("\nQ:", "\nQuestion:", "\nProblem:")
"""A new few-shot block: the model went on to write the next example."""

END_MARKERS: tuple[str, ...] = (
    "[/INST]",
    "[INST]",
    "</s>",
    "<|im_end|>",
    "<|im_start|>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<|eot_id|>",
    "<|start_header_id|>",
    "<end_of_turn>",
    "<start_of_turn>",
    "<|end|>",
    "<|user|>",
)
"""Chat-turn and end-of-sequence markers written as text: nothing after them is the answer."""

RUNAWAY_MARKERS: tuple[str, ...] = FEW_SHOT_MARKERS + END_MARKERS

TRACE_ENDS: tuple[str, ...] = ("</think>", "</thinking>", "</reasoning>")
"""Ends of a reasoning trace; the answer is read from the text after the last one."""

_WORD_PAIRS: dict[str, tuple[str, str]] = {
    "yes_no": ("yes", "no"),
    "true_false": ("true", "false"),
    "valid_invalid": ("valid", "invalid"),
}
_NUMBER_CONSTRAINTS = ("integer", "final_number")

# ---------------------------------------------------------------- step names
STEP_STRICT_ANSWER_IS = "first 'the answer is'"
STEP_STRICT_HASH = "first '####'"
STEP_HASH = "last '####'"
STEP_A_LINE = "final 'A:' line"
STEP_BOXED = "last \\boxed{}"
STEP_PAREN_LETTER = "last '(X)'"
STEP_BARE_LETTER = "bare letter"
STEP_NUMBER = "last number"
STEP_MATH_SPAN = "last $...$"
STEP_LAST_LINE = "last line"
STEP_WHOLE = "whole response"
STEP_STRICT_ANSWER_COLON = "'Answer:' letter"
STEP_CHOICE_SENTENCE = "one-sentence choice"


def _word_step(words: tuple[str, str]) -> str:
    return f"last '{words[0]}'/'{words[1]}' word"


FALLBACK_STEPS: frozenset[str] = frozenset(
    {STEP_PAREN_LETTER, STEP_BARE_LETTER, STEP_NUMBER, STEP_MATH_SPAN, STEP_LAST_LINE}
    | {_word_step(words) for words in _WORD_PAIRS.values()}
)
"""Cascade steps that read a mention, not a final-answer statement (answer statements,
``\\boxed{}``, ``####`` and ``A:`` lines are statements): the last ``(X)``, bare letter,
number, ``$...$``, line or true/false word. A text that ends inside a repetition loop gets
no answer from them (see :func:`extract_lenient_step`)."""


def _statement_step(prefix: str) -> str:
    return f"last '{' '.join(prefix.replace('*', '').replace('_', '').split())}' statement"


# ---------------------------------------------------------------- patterns
# A number as written: sign, currency, digits with thousands separators (",", "{,}", "\,",
# thin/no-break spaces), decimals. Bounded quantifiers only: linear on any input.
_SEP = r"(?:,|\{,\}|\\,|\\!|[\u2009\u202f\u00a0])"
_NUM_BODY = rf"(?:\d{{1,3}}(?:{_SEP}\d{{3}})+(?!\d)|\d+)(?:\.\d+)?|\.\d+"
_NUM_TOKEN_RE = re.compile(
    r"(?=[-−\\$€£¥₹\d.])"  # cheap first-character filter: most positions fail here
    rf"(?:(?<![\w)\]}}])[-−])?(?:(?:\\\$|[$€£¥₹])\s?)?(?:{_NUM_BODY})(?:\s?\\?%)?"
)
_PLAIN_NUMBER_RE = re.compile(r"^[-+]?\$?(?:\d[\d,]*(?:\.\d*)?|\.\d+)%?$")
_VALUE_NUMBER_RE = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")
_STRICT_ANSWER_RE = re.compile(r"[Tt]he answer is (.*)")
_GSM_HASH_RE = re.compile(r"####\s*(-?[\d,]*\.?\d+)")
_HASH_RE = re.compile(rf"####\s*({_NUM_TOKEN_RE.pattern})")
_LAST_A_LINE_RE = re.compile(r"\s*A:\s*(-?\$?[\d,]*\.?\d+)\s*\.?\s*$")
_A_LINE_RE = re.compile(r"(?:^|\n)\s*A:\s*(-?\$?[\d,]*\.?\d+)\s*\.?\s*$")
_SIMPLE_NUMBER_RE = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?")
_LETTER_PAREN_RE = re.compile(r"\(([A-Ra-r])\)")
_LETTER_ALONE_RE = re.compile(r"^\(?([A-Ra-r])\)?[.:]?$")
_LETTER_LEADING_RE = re.compile(r"^\(([A-Ra-r])\)")
_BRACKETS_RE = re.compile(r"^[\s\)\]\}>\(\[\{<]+$")
_LATEX_HINT_RE = re.compile(r"\\[a-zA-Z]+|[\^_{}]|\\\(|\$")
_STRIP_CHARS = " \t\n\r.,;:!?\"'`*“”‘’"

_LOCALIZED_PREFIXES = (
    # Latin, Cyrillic and Greek script words (a word boundary before them)
    r"\b(?:antwort|r[ée]ponse|respuesta|risposta|resposta|jawaban|jawapan|jibu|id[aá]h[uù]n"
    r"|ìdáhùn|àdáhùn|antwoord|svar|vastaus|odpowied[źz]|odpov[ěe]ď|r[ăa]spuns|cevap|sagot"
    r"|c[âa]u tr[ảa] l[ờo]i|đáp án|ответ|відповідь|απάντηση)",
    # scripts written without spaces between words
    r"(?:答案|答え|解答|回答|答复|答曰|正解|답변|정답|উত্তর|उत्तर|الإجابة النهائية|الإجابة الصحيحة هي"
    r"|الإجابة الصحيحة|الإجابة هي|الإجابة|الجواب النهائي|الجواب|إجابة|คำตอบ|پاسخ|תשובה|答|답)",
)
_EN_PREFIX = (
    r"\banswer(?:\*\*|__)?(?:\s+(?:is|was|would be|will be|should be|must be)\b(?:\s*[:：])?"
    r"|\s*[:：=])"
)
_LOCAL_PREFIX = (
    rf"(?:{_LOCALIZED_PREFIXES[0]}|{_LOCALIZED_PREFIXES[1]})(?:\*\*|__)?\s*[:：]"
    r"|উত্তরঃ|(?:答案|答え|正解|解答)\s*(?:是|为|為|は)|(?:정답|답)(?:은|는)"
)
_EN_PREFIX_RE = re.compile(_EN_PREFIX, re.IGNORECASE)
_LOCAL_PREFIX_RE = re.compile(_LOCAL_PREFIX, re.IGNORECASE)
ANSWER_PREFIX_RE = re.compile(f"{_EN_PREFIX}|{_LOCAL_PREFIX}", re.IGNORECASE)
"""An explicit answer statement, English or localized (see the module docstring)."""

_OPTION_LETTERS = str.maketrans(
    {
        "Ａ": "A", "Ｂ": "B", "Ｃ": "C", "Ｄ": "D", "Ｅ": "E", "Ｆ": "F", "Ｇ": "G", "Ｈ": "H",
        "Ｉ": "I", "Ｊ": "J",
        "أ": "A", "ب": "B", "ج": "C", "د": "D",  # Arabic option letters (MMMLU)
        "অ": "A", "ব": "B", "ড": "C", "ঢ": "D",  # Bengali option letters (MMMLU)
    }
)  # fmt: skip
_WRAP = r"(?:\*\*|__|\$|\\\(|\\boxed\{|\\text(?:bf)?\{|\\mathrm\{|\\mathbf\{|[\(\[\{'\"`“‘*])"
_LEAD_LETTER_RE = re.compile(
    rf"^(?:{_WRAP}\s*){{0,4}}(?:(?i:option|choice|letter)\s*(?:{_WRAP}\s*){{0,3}})?"
    r"(?:([A-Z])(?![A-Za-z0-9'’])|([a-z])(?=\s*(?:[).\]}*$:,]|$)))"
)
_NOT_A_LETTER_RE = re.compile(
    r"^I\s+(?:think|believe|am|would|will|guess|cannot|can't|don't|do|need|must|have)\b|^I['’]"
)
_HEDGE_RE = re.compile(
    r"^\s*(?:\)|\*\*|\$|\}|\])*\s*(?:,\s*)?(?:or|and|/|,)\s*(?:\(|\*\*|\$)?\s*[A-Ja-j](?![A-Za-z])"
)
_ANSWER_COLON_RE = re.compile(
    r"\banswer(?:\*\*|__)?[ \t]*[:：][ \t]*(?:\*\*|__|\$)?[ \t]*"
    r"(?:\(([A-J])\)|([A-J])(?:\)|(?=(?:\*\*|__|\$)?[ \t]*(?:[.:,;!]|$))))",
    re.IGNORECASE | re.MULTILINE,
)
r"""``Answer: B`` (openai/simple-evals' multiple-choice pattern ``(?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?``
without its fault: the ``B`` of ``Answer: Because`` is no letter): the letter alone, in
parentheses or followed by ``)``, or by a sentence end (``Answer: A joule is...`` is no A)."""
_CHOICE_SENTENCE_RE = re.compile(
    r"(?:I\s+(?:think|believe|guess|choose|pick|select)|I['’]d\s+(?:say|go\s+with|choose|pick)"
    r"|I\s+would\s+(?:say|go\s+with|choose|pick)|I['’]ll\s+go\s+with"
    r"|my\s+(?:final\s+)?(?:answer|choice)\s+is)\s+(?:(?:it['’]s|it\s+is)\s+)?(?:option\s+)?"
    r"\(?([A-J])\)?\s*[.!]?",
    re.IGNORECASE,
)
"""A whole one-sentence reply naming one option: ``I think A.``, ``I'd go with (C)``, ``My answer
is B`` (the letter upper case, nothing after it)."""
_BOXED_LETTER_RE = re.compile(r"^\s*(?:\\text(?:bf)?\{)?\s*\(?([A-Za-z])\)?\s*\}?\s*$")
_SENTENCE_END_RE = re.compile(r"[.!?;](?=\s|$)|。|\n")
_MATH_SPAN_RE = re.compile(r"\$\$([^$]+)\$\$|\$([^$]+)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)
_HUGE_RE = re.compile(r"\^\s*\{?\s*[-+]?\d{5,}|\d{5,}\s*!")
_TIME_RE = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:\\text\{\s*|\\mathrm\{\s*)?"
    r"(?:([ap])\.?\s*m\.?)?\s*\}?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Extraction:
    """An answer read from a response and the cascade step that read it.

    Attributes:
        answer: the answer text as written (not normalised), or None when no step found one.
        step: the step's name (``last 'Answer:' statement``, ``last \\boxed{}``,
            ``last '####'``, ``bare letter``...), with what was left out of the text when
            that mattered (``, after the reasoning trace``, ``; text after '[/INST]'
            ignored``); None when nothing was found.
    """

    answer: str | None
    step: str | None


class ExtractedAnswer(str):
    """An answer string that also carries the name of the step that read it (``step``).

    Returned by :func:`extract_lenient`, so callers that store or compare the answer as a
    string keep working while the failure-mode reason can name the step.
    """

    step: str | None

    def __new__(cls, answer: str, step: str | None = None) -> ExtractedAnswer:
        made = super().__new__(cls, answer)
        made.step = step
        return made

    def __reduce__(self) -> tuple[type[ExtractedAnswer], tuple[str, str | None]]:
        return (ExtractedAnswer, (str(self), self.step))


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """Outcome of scoring one response.

    Attributes:
        extracted: the extracted answer, or None when nothing answer-shaped was found.
        correct: True when the extracted answer matches the target.
        reason: ``match``, ``mismatch`` or ``no_answer`` (nothing extracted).
        step: the name of the extraction step that read the answer (see :class:`Extraction`),
            None when nothing was extracted.
    """

    extracted: str | None
    correct: bool
    reason: str
    step: str | None = None


def _check_constraint(output_constraint: str) -> None:
    if output_constraint not in OUTPUT_CONSTRAINTS:
        raise ValueError(
            f"unknown output_constraint {output_constraint!r}; valid: {', '.join(OUTPUT_CONSTRAINTS)}"
        )


def _boxed_at(text: str, start: int) -> str | None:
    """Content of the box whose command starts at ``start`` (balanced braces), else None."""
    brace = text.find("{", start)
    if brace < 0 or text[start:brace].strip() not in ("\\boxed", "\\fbox"):
        # "\boxed 5" form
        rest = text[start:].split(None, 1)
        if len(rest) == 2 and rest[0] in ("\\boxed", "\\fbox"):
            return rest[1].split("$")[0].strip() or None
        return None
    depth = 0
    for pos in range(brace, len(text)):
        ch = text[pos]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[brace + 1 : pos].strip()
    return None


def _last_boxed_pos(text: str) -> tuple[int, str] | None:
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    content = _boxed_at(text, start)
    return None if content is None else (start, content)


def last_boxed(text: str) -> str | None:
    r"""Content of the last ``\boxed{...}`` (or ``\fbox{...}``) with balanced braces.

    Returns None when there is none or its braces never close.
    """
    found = _last_boxed_pos(text)
    return found[1] if found else None


def _a_line(text: str) -> re.Match[str] | None:
    """``_A_LINE_RE.search(text)``, tried at the one place the match can start.

    What follows a match's ``A:`` (a number, whitespace, a period) holds no other ``A:``
    and ends in a digit or a period, so the ``A:`` is the text's last one, and the match
    starts at the first line break of the whitespace before it (or at the text's start when
    only whitespace precedes it); a match from a later break there would read the same
    text, so one try answers. Linear on any input (the search is quadratic on a long run of
    line breaks without an answer after it)."""
    last = text.rfind("A:")
    if last < 0:
        return None
    end = text.rstrip()[-1:]
    if not (end == "." or end.isdecimal()):
        return None
    before = len(text[:last].rstrip())
    start = 0 if before == 0 else text.find("\n", before, last)
    return None if start < 0 else _A_LINE_RE.match(text, start)


def _clean(text: str) -> str:
    """Strip markdown emphasis, quotes, surrounding whitespace and trailing punctuation."""
    text = text.replace("**", "").replace("__", "")
    return text.strip(_STRIP_CHARS)


def _ws(text: str) -> str:
    return " ".join(text.split())


def _cut(response: str, stop: Iterable[str] | None = None) -> tuple[str, str | None]:
    """Text before the first runaway/end marker or stop string after the start, and the marker.

    The markers are :data:`RUNAWAY_MARKERS` then the stop strings with 2+ non-blank
    characters; the first position after the start where one occurs is the cut, and of
    markers found there the first in that order (:func:`..analysis.failure_modes.first_found`)."""
    start = len(response) - len(response.lstrip())
    markers = list(RUNAWAY_MARKERS)
    for s in stop or ():
        if isinstance(s, str) and len(s.strip()) >= 2 and s not in markers:
            markers.append(s)
    hit = first_found(response, tuple(markers), start + 1)
    if hit is None:
        return response, None
    return response[: hit[0]], markers[hit[1]]


def cut_runaway(response: str, stop: Iterable[str] | None = None) -> str:
    """Text before the first runaway marker after the start.

    Markers: :data:`FEW_SHOT_MARKERS`, :data:`END_MARKERS` and the run's ``stop`` strings
    that have 2+ non-blank characters. A marker at the very start (after whitespace) is not
    a cut: it opens the response.
    """
    return _cut(response, stop)[0]


def _after_trace(response: str) -> tuple[str, bool]:
    """Text after the last reasoning-trace end, when text follows it; else the response."""
    if response.find("<") < 0:  # every trace end starts with '<' (a one-character search)
        return response, False
    best = -1
    end_len = 0
    for end in TRACE_ENDS:
        pos = response.rfind(end)
        if pos > best:
            best, end_len = pos, len(end)
    if best >= 0 and response[best + end_len :].strip():
        return response[best + end_len :], True
    return response, False


def _fits_shape(answer: str, output_constraint: str) -> bool:
    """True when a bare response already has the shape of an answer for the constraint."""
    if output_constraint == "option_letter":
        return bool(_LETTER_ALONE_RE.match(answer))
    if output_constraint in _WORD_PAIRS:
        return answer.casefold() in _WORD_PAIRS[output_constraint]
    if output_constraint in _NUMBER_CONSTRAINTS:
        return _parse_number(answer) is not None
    return "\n" not in answer


def extract_strict_step(response: str | None, output_constraint: str) -> Extraction:
    """:func:`extract_strict` with the name of the rule that read the answer."""
    _check_constraint(output_constraint)
    if not response:
        return Extraction(None, None)
    if output_constraint == "boxed_expression":
        boxed = last_boxed(response)
        if boxed:
            return Extraction(boxed, STEP_BOXED)
    if output_constraint in _NUMBER_CONSTRAINTS:
        hit = _GSM_HASH_RE.search(response)
        if hit:
            return Extraction(hit.group(1), STEP_STRICT_HASH)
        hit = _a_line(response)
        if hit:
            return Extraction(hit.group(1), STEP_A_LINE)
    hit = _STRICT_ANSWER_RE.search(response)
    if hit:
        answer = hit.group(1).strip()
        if answer.endswith("."):
            answer = answer[:-1]
        answer = _stated_answer(answer.strip(), output_constraint)
        return Extraction(answer or None, STEP_STRICT_ANSWER_IS if answer else None)
    if output_constraint == "option_letter":
        found = _answer_colon_letter(response) or _choice_sentence(response)
        if found is not None:
            return found
    bare = response.strip()
    if bare and _fits_shape(bare, output_constraint):
        return Extraction(bare, STEP_WHOLE)
    return Extraction(None, None)


def _stated_answer(answer: str, output_constraint: str) -> str:
    """A "the answer is" capture that states an option letter or a yes/no word first and goes
    on (``A. B is wrong because...``, ``E) Paris``, ``No, because yes is wrong``) becomes that
    letter or word (:func:`_stated_letter`, :func:`_stated_word`); otherwise it is kept."""
    if output_constraint == "option_letter" and _option_letter(answer) is None:
        return _stated_letter(answer) or answer
    if output_constraint in _WORD_PAIRS:
        words = _WORD_PAIRS[output_constraint]
        said = _clean(answer).casefold()
        if said not in words:
            word = _stated_word(said, words)
            return answer[: len(word) + answer.casefold().find(word)].strip() if word else answer
    return answer


def _answer_colon_letter(response: str) -> Extraction | None:
    """The option letter every ``Answer:`` statement of ``response`` states, when they state
    one and the same (``Answer: B``, ``answer: b``); two different letters are ambiguous:
    None."""
    if "nswer" not in response and "NSWER" not in response:
        return None
    letters = {
        (hit.group(1) or hit.group(2)).upper() for hit in _ANSWER_COLON_RE.finditer(response)
    }
    return Extraction(letters.pop(), STEP_STRICT_ANSWER_COLON) if len(letters) == 1 else None


def _choice_sentence(response: str) -> Extraction | None:
    """The letter of a whole one-line reply that names one option (:data:`_CHOICE_SENTENCE_RE`)."""
    text = response.strip()
    hit = _CHOICE_SENTENCE_RE.fullmatch(text) if len(text) <= 60 else None
    if hit is None or not hit.group(1).isupper():
        return None
    return Extraction(hit.group(1), STEP_CHOICE_SENTENCE)


def extract_strict(response: str | None, output_constraint: str) -> str | None:
    """Answer an official-style filter would take, or None when absent.

    Args:
        response: raw model output.
        output_constraint: one of :data:`OUTPUT_CONSTRAINTS`.

    Returns:
        The answer text (not normalised; :func:`answers_match` normalises), or None.

    Rules, in order:
        1. ``boxed_expression``: the last ``\\boxed{}``.
        2. ``integer``/``final_number``: the first gsm8k ``#### N`` (lm-eval ``strict-match``
           takes the first match), then a final ``A: N`` line.
        3. The first "the answer is X" or "The answer is X" (case-sensitive otherwise: lm-eval's
           BBH ``get-answer`` regex ``(?<=the answer is )(.*)(?=.)``, its gsm8k-cot
           ``strict-match`` and self-consistency regex ``The answer is (...)``), up to the end
           of its line, one final period dropped (the BBH authors' rule).
        4. The whole response when it is one line and already answer-shaped for the
           constraint (answer-only prompting; lm-eval filter ``none``).

    Raises:
        ValueError: unknown ``output_constraint``.
    """
    return extract_strict_step(response, output_constraint).answer


# ---------------------------------------------------------------- lenient cascades


@dataclass(frozen=True, slots=True)
class _Statement:
    pos: int  # where the prefix starts
    prefix: str  # the prefix as written
    tail: str  # text after the prefix up to the next statement (or the end)


# Literal words every answer prefix contains (lower case), and how far before the word the
# prefix may start ("回答" starts one character before its "答"). Finding them with str.find is
# C speed; the full pattern is then tried only where one occurs.
_PREFIX_KEYWORDS: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    ("answer", 0, _EN_PREFIX_RE),
    *(
        (word, 0, _LOCAL_PREFIX_RE)
        for word in (
            "antwort réponse reponse respuesta risposta resposta jawaban jawapan jibu idahun "
            "idáhùn ìdáhùn àdáhùn antwoord svar vastaus odpowied odpov răspuns raspuns "
            "cevap sagot câu cau đáp ответ відповідь απάντηση 正解 উত্তর उत्तर الإجابة الجواب "
            "إجابة คำตอบ پاسخ תשובה"
        ).split()
    ),
    ("答", 1, _LOCAL_PREFIX_RE),
    ("답", 1, _LOCAL_PREFIX_RE),
)

_PREFIX_KEYWORDS_ASCII = tuple(k for k in _PREFIX_KEYWORDS if k[0].isascii())


_LOCAL_WORD_CHARS = 11
"""The longest text the first of :data:`_LOCALIZED_PREFIXES` (the words written with spaces)
matches: ``cau tra loi``; a test checks it."""
_COLON_WINDOWS = 8
"""Colons up to which :func:`_keyword_occurrences` looks for localized prefixes near each."""


def _keyword_occurrences(lowered: str) -> list[tuple[int, int, re.Pattern[str]]]:
    """``(position, back, pattern)`` of every :data:`_PREFIX_KEYWORDS` word in ``lowered``
    where its prefix can match, keyword by keyword, each in ascending position.

    A word with a non-ASCII letter never occurs in ASCII text: its search is skipped. In
    ASCII text every localized prefix ends in ``:`` (word, ``**``/``__``, blanks, ``:``; the
    others are written in other scripts), so its words are looked for only in the
    :data:`_LOCAL_WORD_CHARS` + 2 characters before each colon's blanks (with more than
    :data:`_COLON_WINDOWS` colons, everywhere), and without a colon not at all."""
    windows: list[tuple[int, int]] | None = None
    keywords = _PREFIX_KEYWORDS
    if lowered.isascii():
        keywords = _PREFIX_KEYWORDS_ASCII
        windows = []
        colon = lowered.find(":")
        while colon >= 0 and windows is not None:
            end = colon  # where the blanks before the colon start (``rstrip`` of the text before)
            while end and lowered[end - 1].isspace():
                end -= 1
            windows.append((max(0, end - _LOCAL_WORD_CHARS - 2), end))
            colon = lowered.find(":", colon + 1)
            if len(windows) > _COLON_WINDOWS:
                windows = None
    occurrences: list[tuple[int, int, re.Pattern[str]]] = []
    word, back, pattern = keywords[0]  # "answer", looked for everywhere
    pos = lowered.find(word)
    while pos >= 0:
        occurrences.append((pos, back, pattern))
        pos = lowered.find(word, pos + 1)
    if windows is None:
        for word, back, pattern in keywords[1:]:
            pos = lowered.find(word)
            while pos >= 0:
                occurrences.append((pos, back, pattern))
                pos = lowered.find(word, pos + 1)
        return occurrences
    if not windows:  # ASCII without a colon: no localized prefix
        return occurrences
    near = "\n".join(lowered[lo:hi] for lo, hi in windows)  # each word first looked for here
    for word, back, pattern in keywords[1:]:
        if word in near:
            found = {pos for lo, hi in windows for pos in _finds(lowered, word, lo, hi)}
            occurrences += [(pos, back, pattern) for pos in sorted(found)]
    return occurrences


def _finds(text: str, word: str, lo: int, hi: int) -> Iterator[int]:
    """Every start of ``word`` wholly inside ``text[lo:hi]``, ascending (overlaps too)."""
    pos = text.find(word, lo, hi)
    while pos >= 0:
        yield pos
        pos = text.find(word, pos + 1, hi)


def _statements_from_end(text: str) -> Iterator[_Statement]:
    """Answer statements of ``text`` from the last to the first, each with its tail.

    A statement's tail runs to the start of the next statement (or the end of the text).
    Lazy: a cascade that stops at the last usable statement never matches the earlier ones.
    """
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lower-cased
        hits = list(ANSWER_PREFIX_RE.finditer(text))
        next_start = len(text)
        for hit in reversed(hits):
            yield _Statement(hit.start(), hit.group(0), text[hit.end() : next_start])
            next_start = hit.start()
        return
    occurrences = _keyword_occurrences(lowered)
    occurrences.sort(key=lambda o: o[0], reverse=True)
    next_start = len(text)
    for pos, back, pattern in occurrences:
        if pos >= next_start:
            continue  # inside the prefix of a statement already read
        for start in range(max(0, pos - back), pos + 1):
            matched = pattern.match(text, start)
            if matched:
                yield _Statement(start, matched.group(0), text[matched.end() : next_start])
                next_start = start
                break


def _last_in_lines(pattern: re.Pattern[str], text: str) -> str | None:
    """The last match of ``pattern`` in ``text``, searching line by line from the end."""
    for line in reversed(text.splitlines()):
        found = pattern.findall(line)
        if found:
            return found[-1]
    return None


def _first_line(tail: str) -> str:
    for line in tail.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _clause(tail: str) -> str:
    """The first sentence of a statement's tail (its first non-empty line up to a sentence end)."""
    line = _first_line(tail)
    end = _SENTENCE_END_RE.search(line)
    return line[: end.start()] if end else line


def _letter_in(clause: str) -> tuple[str | None, bool]:
    """(letter, hedged) of a statement clause: the stated option letter, or None.

    ``hedged`` is True when the clause names two options (``(A) or (B)``).
    """
    head = clause.lstrip().translate(_OPTION_LETTERS)
    lead = _LEAD_LETTER_RE.match(head) if not _NOT_A_LETTER_RE.match(head) else None
    if lead:
        letter = (lead.group(1) or lead.group(2)).upper()
        if _HEDGE_RE.match(head[lead.end() :]):
            return None, True
        return letter, False
    parens = _LETTER_PAREN_RE.findall(head)
    if len({x.upper() for x in parens}) > 1:
        return None, True
    if parens:
        return parens[0].upper(), False
    boxed = last_boxed(head)
    if boxed is not None:
        hit = _BOXED_LETTER_RE.match(boxed)
        if hit:
            return hit.group(1).upper(), False
    return None, False


def _option_cascade(text: str) -> Extraction:
    for st in _statements_from_end(text):
        clause = _clause(st.tail)
        if not _clean(clause):
            continue
        letter, _hedged = _letter_in(clause)
        if letter:
            return Extraction(letter, _statement_step(st.prefix))
        # an explicit statement without one letter ("(A) or (B)", "None of the above") is
        # the model's answer, not a cue to hunt for a letter elsewhere
        return Extraction(_clean(clause), _statement_step(st.prefix) + " (not one letter)")
    boxed = last_boxed(text)
    if boxed is not None:
        hit = _BOXED_LETTER_RE.match(boxed.translate(_OPTION_LETTERS))
        if hit:
            return Extraction(hit.group(1).upper(), STEP_BOXED)
    found = _LETTER_PAREN_RE.findall(text)
    if found:
        return Extraction(found[-1].upper(), STEP_PAREN_LETTER)
    lines = [line for line in text.splitlines() if line.strip()]
    if lines:
        last = _clean(lines[-1]).translate(_OPTION_LETTERS)
        last = last.strip("$").removeprefix("\\boxed{").removeprefix("\\text{").rstrip("}")
        hit = _LETTER_ALONE_RE.match(_clean(last))
        if hit:
            return Extraction(hit.group(1).upper(), STEP_BARE_LETTER)
        return _choice_sentence(lines[-1]) or Extraction(None, None)
    return Extraction(None, None)


def _number_of(clause: str) -> str | None:
    """The number a statement clause states: after the last '=' when there is one, else the first."""
    if "=" in clause:
        after = _NUM_TOKEN_RE.findall(clause[clause.rfind("=") :])
        if after:
            return after[0].strip()
    found = _NUM_TOKEN_RE.search(clause)
    return found.group(0).strip() if found else None


def _number_cascade(text: str) -> Extraction:
    candidates: list[tuple[int, str, str]] = []  # (position, answer, step)
    hash_pos = text.rfind("####")
    while hash_pos >= 0:
        hit = _HASH_RE.match(text, hash_pos)
        if hit:
            candidates.append((hash_pos, hit.group(1).strip(), STEP_HASH))
            break
        hash_pos = text.rfind("####", 0, hash_pos)
    for st in _statements_from_end(text):
        number = _number_of(_clause(st.tail))
        if number is not None:
            candidates.append((st.pos, number, _statement_step(st.prefix)))
            break
    boxed = _last_boxed_pos(text)
    if boxed is not None:
        number = _number_of(boxed[1])
        if number is not None:
            candidates.append((boxed[0], number, STEP_BOXED))
    stripped = text.rstrip()
    line_start = stripped.rfind("\n") + 1
    a_line = _LAST_A_LINE_RE.match(stripped, line_start)
    if a_line:
        candidates.append((line_start, a_line.group(1), STEP_A_LINE))
    if candidates:
        _pos, answer, step = max(candidates, key=lambda c: c[0])
        return Extraction(answer, step)
    last = _last_in_lines(_NUM_TOKEN_RE, text)
    if last is not None:
        return Extraction(last.strip().rstrip("."), STEP_NUMBER)
    return Extraction(None, None)


def _math_span(text: str) -> str | None:
    spans = _MATH_SPAN_RE.findall(text)
    if not spans:
        return None
    content = next((part for part in spans[-1] if part), "")
    return content.strip() or None


def _math_cascade(text: str) -> Extraction:
    boxed = last_boxed(text)
    if boxed:
        return Extraction(boxed, STEP_BOXED)
    for st in _statements_from_end(text):
        line = _first_line(st.tail)
        if not line:
            continue
        if line.startswith("$") or line.startswith("\\(") or line.startswith("\\["):
            head = _MATH_SPAN_RE.match(line)
            if head:
                content = next((part for part in head.groups() if part), "").strip()
                if content:
                    return Extraction(content.rstrip("."), _statement_step(st.prefix))
        clause = _clean(_clause(st.tail))
        if clause:
            return Extraction(clause, _statement_step(st.prefix))
    span = _math_span(text)
    if span:
        return Extraction(span, STEP_MATH_SPAN)
    last = _last_in_lines(_NUM_TOKEN_RE, text)
    if last is not None:
        return Extraction(last.strip().rstrip("."), STEP_NUMBER)
    return Extraction(None, None)


_WORD_PAIR_RES = {
    words: re.compile(r"\b(" + "|".join(sorted(words, key=len, reverse=True)) + r")\b", re.I)
    for words in _WORD_PAIRS.values()
}


def _word_cascade(text: str, words: tuple[str, str]) -> Extraction:
    pattern = _WORD_PAIR_RES[words]
    for st in _statements_from_end(text):
        clause = _clause(st.tail)
        if not _clean(clause):
            continue
        hit = pattern.search(clause)
        if hit:
            return Extraction(hit.group(1), _statement_step(st.prefix))
        return Extraction(_clean(clause), _statement_step(st.prefix) + f" (not {'/'.join(words)})")
    last = _last_in_lines(pattern, text)
    if last is not None:
        return Extraction(last, _word_step(words))
    return Extraction(None, None)


def _text_cascade(text: str) -> Extraction:
    for st in _statements_from_end(text):
        line = _clean(_first_line(st.tail))
        if line:
            return Extraction(line, _statement_step(st.prefix))
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and _clean(lines[-1]):
        return Extraction(_clean(lines[-1]), STEP_LAST_LINE)
    return Extraction(None, None)


_CASCADES: dict[str, Callable[[str], Extraction]] = {
    "option_letter": _option_cascade,
    "integer": _number_cascade,
    "final_number": _number_cascade,
    "boxed_expression": _math_cascade,
    "bracket_sequence": _text_cascade,
    "word_list": _text_cascade,
    "free_text": _text_cascade,
}


def extract_lenient_step(
    response: str | None, output_constraint: str, stop: Iterable[str] | None = None
) -> Extraction:
    """The model's own final answer and the cascade step that read it.

    Args:
        response: raw model output.
        output_constraint: one of :data:`OUTPUT_CONSTRAINTS`.
        stop: the run's stop strings (lm-eval ``until``); those with 2+ non-blank characters
            end the answer text like :data:`END_MARKERS` do.

    Returns:
        :class:`Extraction`; the text read and the cascades are described in the module
        docstring. ``Extraction(None, None)`` when no step found an answer, or when only a
        fallback step (:data:`FALLBACK_STEPS`) did and the text ends inside a repetition loop
        (``failure_modes.loop_at_end``): a final-answer statement is the only answer such a
        text gives, whether it comes before the loop or is what the loop repeats.

    Raises:
        ValueError: unknown ``output_constraint``.
    """
    _check_constraint(output_constraint)
    if not response:
        return Extraction(None, None)
    text, after_trace = _after_trace(response)
    text, marker = _cut(text, stop)
    if output_constraint in _WORD_PAIRS:
        found = _word_cascade(text, _WORD_PAIRS[output_constraint])
    else:
        found = _CASCADES[output_constraint](text)
    if found.answer is None or found.step is None:
        return Extraction(None, None)
    if found.step in FALLBACK_STEPS and loop_at_end(text, output_constraint) is not None:
        return Extraction(None, None)  # a word of the loop, or a mention before it
    step = found.step
    if after_trace:
        step += ", after the reasoning trace"
    if marker is not None:
        step += f"; text after {marker.strip()!r} ignored"
    return Extraction(found.answer, step)


def extract_lenient(
    response: str | None, output_constraint: str, stop: Iterable[str] | None = None
) -> str | None:
    """The model's own final answer (:func:`extract_lenient_step` as a string).

    Returns:
        The answer text as an :class:`ExtractedAnswer` (a ``str`` whose ``step`` names the
        cascade step that read it), or None.

    Raises:
        ValueError: unknown ``output_constraint``.
    """
    found = extract_lenient_step(response, output_constraint, stop)
    return None if found.answer is None else ExtractedAnswer(found.answer, found.step)


# ---------------------------------------------------------------- matching


def _parse_number(text: str) -> Decimal | None:
    """Decimal value of a plain number (``1,000``, ``$18``, ``18.0``, ``50%``), else None."""
    raw = _clean(text).replace(" ", "")
    if not _PLAIN_NUMBER_RE.match(raw):
        return None
    raw = raw.replace(",", "").replace("$", "").rstrip("%")
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


_NUMBER_NOISE = (
    ("{,}", ""),
    ("\\,", ""),
    ("\\!", ""),
    ("\\ ", ""),
    ("\u2009", ""),
    ("\u202f", ""),
    ("\u00a0", ""),
    ("\\$", ""),
    ("\\%", ""),
    ("−", "-"),
)
_CURRENCY = "$€£¥₹"


def _number_value(text: str) -> Decimal | None:
    """Value of a number as written in an answer, else None.

    Accepts thousands separators (``1,000``, ``9{,}500``, ``10\\,000``, thin spaces),
    currency (``$``, ``\\$``, ``€``, ``£``, ``¥``, ``₹``), percent (``50%``, ``50\\%``, read
    as 50), math delimiters (``$18$``, ``\\(18\\)``, ``\\boxed{18}``, ``\\text{18}``) and a
    trailing period. ``29.00`` is 29.
    """
    raw = text.strip()
    if _SIMPLE_NUMBER_RE.fullmatch(raw):  # digits, a sign, a decimal point: read as written
        return Decimal(raw)
    return _written_number_value(raw)


def _written_number_value(raw: str) -> Decimal | None:
    """:func:`_number_value` of a stripped text, every written form read (its full path)."""
    if raw.endswith("!"):
        return None  # a factorial, not a number followed by punctuation
    boxed = last_boxed(raw)
    if boxed is not None:
        raw = boxed
    for old, new in _NUMBER_NOISE:
        raw = raw.replace(old, new)
    raw = _strip_latex_wrappers(raw)
    raw = _clean(raw).replace(" ", "").strip(_CURRENCY).rstrip("%")
    if raw.startswith(("-", "+")) and raw[1:2] in _CURRENCY:
        raw = raw[0] + raw[2:]
    if "," in raw:
        if not re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
            return None
        raw = raw.replace(",", "")
    if not _VALUE_NUMBER_RE.match(raw):
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def _option_letter(text: str) -> str | None:
    """The option letter ``text`` states (``(B)``, ``B``, ``$B$``, ``\\boxed{B}``...), else
    None. Short texts (targets, mostly: a task's few repeat in every sample) are kept, the
    last 4096."""
    if len(text) <= 64:
        return _short_option_letter(text)
    return _read_option_letter(text)


@functools.lru_cache(maxsize=4096)
def _short_option_letter(text: str) -> str | None:
    return _read_option_letter(text)


def _read_option_letter(text: str) -> str | None:
    cleaned = _clean(text)
    if len({letter.upper() for letter in _LETTER_PAREN_RE.findall(cleaned)}) > 1:
        return None  # hedged: "(A) or (B)"
    hit = _LETTER_ALONE_RE.match(cleaned) or _LETTER_LEADING_RE.match(cleaned)
    if hit is None:
        # a letter in math or box wrappers: "$B$", "\boxed{B}", "\text{(B)}"
        unwrapped = _strip_latex_wrappers(last_boxed(cleaned) or cleaned)
        hit = _LETTER_ALONE_RE.match(_clean(unwrapped))
    return hit.group(1).upper() if hit else None


def _strip_latex_wrappers(text: str) -> str:
    text = text.strip().strip("$").strip()
    for wrapper in ("\\(", "\\)", "\\[", "\\]", "\\displaystyle"):
        text = text.replace(wrapper, "")
    if text.startswith("\\text{") and text.endswith("}"):
        text = text[6:-1]
    return text.strip()


# ---- exact arithmetic on the LaTeX of integers, decimals, fractions, powers, factorials

_EXACT_TOKEN_RE = re.compile(
    r"\s*(\d+(?:\.\d+)?|\.\d+|\\[dt]?frac|\\left|\\right|\\cdot|\\times|\\div|[-+*/^!(){}])"
)
_MAX_BITS = 80_000  # refuse powers whose result would be larger (2006! is ~19,000 bits)


class _NotExact(Exception):
    """The text is not an exact arithmetic expression this evaluator reads."""


def _exact_value(text: str) -> Fraction | None:
    """Exact rational value of an arithmetic LaTeX expression, else None.

    Grammar: numbers, ``+ - * / \\cdot \\times \\div``, ``^`` (integer exponents, braced or
    one digit), postfix ``!`` (n <= 5000), ``\\frac{a}{b}``/``\\dfrac``/``\\tfrac`` (also
    ``\\frac12``), ``( )``, ``{ }``, ``\\left``/``\\right``. Anything else (variables,
    ``\\sqrt``, ``\\pi``, commas) is not exact: None.
    """
    src = text.replace(" ", "")
    if not src:
        return None
    tokens: list[str] = []
    pos = 0
    while pos < len(src):
        hit = _EXACT_TOKEN_RE.match(src, pos)
        if not hit:
            return None
        tok = hit.group(1)
        if tok in ("\\left", "\\right"):
            pos = hit.end()
            continue
        if tok in ("\\frac", "\\dfrac", "\\tfrac") and src[hit.end() : hit.end() + 1].isdigit():
            # \frac12: two one-digit arguments
            digits = src[hit.end() : hit.end() + 2]
            if len(digits) < 2 or not digits.isdigit():
                return None
            tokens += ["\\frac", "{", digits[0], "}", "{", digits[1], "}"]
            pos = hit.end() + 2
            continue
        tokens.append(tok)
        pos = hit.end()
    try:
        value, end = _exact_sum(tokens, 0)
    except (_NotExact, ZeroDivisionError, IndexError):
        return None
    return value if end == len(tokens) else None


def _exact_sum(tokens: list[str], i: int) -> tuple[Fraction, int]:
    value, i = _exact_product(tokens, i)
    while i < len(tokens) and tokens[i] in ("+", "-"):
        op = tokens[i]
        right, i = _exact_product(tokens, i + 1)
        value = value + right if op == "+" else value - right
    return value, i


def _exact_product(tokens: list[str], i: int) -> tuple[Fraction, int]:
    value, i = _exact_unary(tokens, i)
    while i < len(tokens) and tokens[i] in ("*", "/", "\\cdot", "\\times", "\\div"):
        op = tokens[i]
        right, i = _exact_unary(tokens, i + 1)
        value = value / right if op in ("/", "\\div") else value * right
    return value, i


def _exact_unary(tokens: list[str], i: int) -> tuple[Fraction, int]:
    if tokens[i] in ("-", "+"):
        value, j = _exact_unary(tokens, i + 1)
        return (-value if tokens[i] == "-" else value), j
    return _exact_power(tokens, i)


def _exact_power(tokens: list[str], i: int) -> tuple[Fraction, int]:
    base, i = _exact_postfix(tokens, i)
    if i < len(tokens) and tokens[i] == "^":
        if tokens[i + 1] == "{":
            exponent, i = _exact_group(tokens, i + 1, "{", "}")
        elif tokens[i + 1] in ("-", "+"):
            exponent, i = _exact_unary(tokens, i + 1)
        else:
            tok = tokens[i + 1]
            if not tok.isdigit():
                raise _NotExact
            exponent, i = Fraction(int(tok[0])), i + 2
            if len(tok) > 1:  # "2^10" in LaTeX is 2^1 followed by 0: not a clean expression
                raise _NotExact
        if exponent.denominator != 1:
            raise _NotExact
        size = max(base.numerator.bit_length(), base.denominator.bit_length())
        if size * abs(exponent.numerator) > _MAX_BITS:
            raise _NotExact
        base = base**exponent.numerator
    return base, i


def _exact_postfix(tokens: list[str], i: int) -> tuple[Fraction, int]:
    value, i = _exact_atom(tokens, i)
    while i < len(tokens) and tokens[i] == "!":
        if value.denominator != 1 or not 0 <= value.numerator <= 5000:
            raise _NotExact
        result = 1
        for k in range(2, value.numerator + 1):
            result *= k
        value, i = Fraction(result), i + 1
    return value, i


def _exact_group(tokens: list[str], i: int, open_: str, close: str) -> tuple[Fraction, int]:
    if tokens[i] != open_:
        raise _NotExact
    value, i = _exact_sum(tokens, i + 1)
    if tokens[i] != close:
        raise _NotExact
    return value, i + 1


def _exact_atom(tokens: list[str], i: int) -> tuple[Fraction, int]:
    tok = tokens[i]
    if tok[0].isdigit() or tok[0] == ".":
        return Fraction(tok), i + 1
    if tok == "(":
        return _exact_group(tokens, i, "(", ")")
    if tok == "{":
        return _exact_group(tokens, i, "{", "}")
    if tok in ("\\frac", "\\dfrac", "\\tfrac"):
        num, i = _exact_group(tokens, i + 1, "{", "}")
        den, i = _exact_group(tokens, i, "{", "}")
        return num / den, i
    raise _NotExact


# ---- structured answers: times, \pm, lists, tuples, intervals, sets


def _split_top(text: str) -> list[str]:
    """Split at commas outside brackets and braces."""
    parts, depth, current = [], 0, []
    i = 0
    while i < len(text):
        ch = text[i]
        if text.startswith("\\{", i) or text.startswith("\\}", i):
            depth += 1 if ch == "\\" and text[i + 1] == "{" else -1
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return [p.strip() for p in parts]


_LIST_WORDS_RE = re.compile(
    r"\\text\{\s*(?:and|or)\s*\}|\\(?:q)?quad|(?<![a-zA-Z])(?:and|or)(?![a-zA-Z])"
)
_ASSIGN_RE = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?\s*=\s*(?!=)")


def _normalise_math(text: str) -> str:
    text = _strip_latex_wrappers(text)
    for old, new in _NUMBER_NOISE:
        text = text.replace(old, new)
    return text.strip().rstrip(".").strip()


def _elements(text: str) -> tuple[str, list[str]] | None:
    """``("tuple"|"set"|"interval"..., parts)`` for a bracketed answer, else None."""
    body = text.strip()
    if body.startswith("\\{") and body.endswith("\\}"):
        return "set", _split_top(body[2:-2])
    if body.startswith("\\left"):
        body = body.replace("\\left", "").replace("\\right", "")
    if len(body) >= 2 and body[0] in "([" and body[-1] in ")]":
        depth = 0
        for pos, ch in enumerate(body):
            depth += ch in "([{"
            depth -= ch in ")]}"
            if depth == 0 and pos < len(body) - 1:
                return None  # "(1)(2)": not one bracketed answer
        parts = _split_top(body[1:-1])
        if len(parts) >= 2:
            return body[0] + body[-1], parts
    return None


def _answers_list(text: str) -> list[str]:
    """Several answers ("1, 2, and 3", "\\pm 2") as a list; one answer as a list of one."""
    text = _LIST_WORDS_RE.sub(",", text)
    parts = [p for p in _split_top(text) if p]
    out: list[str] = []
    for part in parts:
        pm = part.replace("\\mp", "\\pm")
        if pm.count("\\pm") == 1 and "\\{" not in pm:
            left, right = pm.split("\\pm")
            left, right = left.strip(), right.strip()
            if left:
                out += [f"{left}+({right})", f"{left}-({right})"]
            else:
                out += [right, f"-({right})"]
        else:
            out.append(part)
    return out or [text]


def _time_of(text: str) -> tuple[int, int, int, str | None] | None:
    hit = _TIME_RE.match(text.strip())
    if not hit:
        return None
    ampm = hit.group(4).lower() if hit.group(4) else None
    return int(hit.group(1)), int(hit.group(2)), int(hit.group(3) or 0), ampm


def _math_equal(answer: str, target: str) -> bool:
    """Equivalence of two math answers (the ``boxed_expression`` rules of :func:`answers_match`)."""
    left, right = _normalise_math(answer), _normalise_math(target)
    if left.replace(" ", "") == right.replace(" ", ""):
        return True
    left, right = _ASSIGN_RE.sub("", left), _ASSIGN_RE.sub("", right)
    left_time, right_time = _time_of(left), _time_of(right)
    if left_time or right_time:
        if not (left_time and right_time):
            return False
        same_clock = left_time[:3] == right_time[:3]
        return same_clock and (None in (left_time[3], right_time[3]) or left_time == right_time)
    left_num, right_num = _number_value(left), _number_value(right)
    if left_num is not None and right_num is not None:
        return left_num == right_num  # before list splitting: "10,000" is one number
    left_parts, right_parts = _elements(left), _elements(right)
    if left_parts or right_parts:
        if left_parts is None or right_parts is None:
            return _math_scalar_equal(left, right)
        (kind_l, items_l), (kind_r, items_r) = left_parts, right_parts
        if len(items_l) != len(items_r):
            return False
        if kind_l == "set" or kind_r == "set":
            return kind_l == kind_r and _same_multiset(items_l, items_r)
        if kind_l != kind_r:
            return False
        return all(_math_equal(a, b) for a, b in zip(items_l, items_r, strict=True))
    many_l, many_r = _answers_list(left), _answers_list(right)
    if len(many_l) > 1 or len(many_r) > 1:
        return len(many_l) == len(many_r) and _same_multiset(many_l, many_r)
    return _math_scalar_equal(left, right)


def _same_multiset(left: list[str], right: list[str]) -> bool:
    remaining = list(right)
    for item in left:
        for k, other in enumerate(remaining):
            if _math_equal(item, other):
                del remaining[k]
                break
        else:
            return False
    return not remaining


def _math_scalar_equal(left: str, right: str) -> bool:
    if left.replace(" ", "") == right.replace(" ", ""):
        return True
    left_num, right_num = _number_value(left), _number_value(right)
    if left_num is not None and right_num is not None:
        return left_num == right_num
    left_exact, right_exact = _exact_value(left), _exact_value(right)
    if left_exact is not None and right_exact is not None:
        return (
            left_exact == right_exact
        )  # exact expressions compare exactly, never within a tolerance
    return _math_verify_equal(left, right)


def _math_verify_equal(answer: str, target: str) -> bool:
    """math-verify equivalence, its numeric "equal" checked to a relative 1e-6.

    The signal-based timeout is used only on the main thread; elsewhere math-verify has no
    timeout, so expressions with an exponent or factorial of 5+ digits (``2^{100000000}``)
    are not handed to it (they compare as text only). Its log warnings (timeouts, "timeout
    disabled") are silenced: a timeout or parse failure is a non-match, not a message.
    A pair costs milliseconds and comes back (the strict then the lenient answer of one
    sample, the same wrong answer in several samples): the last 4096 answers are kept, per
    thread kind (the timeout differs).
    """
    on_main = threading.current_thread() is threading.main_thread()
    return _math_verify_cached(answer, target, on_main)


@functools.lru_cache(maxsize=4096)
def _math_verify_cached(answer: str, target: str, on_main: bool) -> bool:
    """:func:`_math_verify_equal` of one pair; ``on_main``: called on the main thread."""
    if _HUGE_RE.search(answer) or _HUGE_RE.search(target):
        return False
    try:
        from math_verify import parse, verify
    except ImportError:  # pragma: no cover - math-verify is a declared dependency
        return False
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    timeout = 5 if on_main else None
    try:
        gold = parse(f"\\boxed{{{target}}}", parsing_timeout=timeout)
        pred = parse(f"\\boxed{{{answer}}}", parsing_timeout=timeout)
        if not gold or not pred:
            return False
        if not verify(gold, pred, timeout_seconds=timeout):
            return False
        return _relatively_close(gold[0], pred[0])
    except Exception:  # math-verify raises many kinds on odd LaTeX; unparseable = no match
        return False


def _relatively_close(gold: object, pred: object) -> bool:
    """False when both are numbers whose values differ by more than 1e-6 relative.

    Computed with sympy at 40 significant digits (Python floats would turn 2^-99999 into 0).
    """
    import sympy

    if not (isinstance(gold, sympy.Expr) and isinstance(pred, sympy.Expr)):
        return True
    if not (gold.is_number and pred.is_number):
        return True
    try:
        a, b = sympy.N(gold, 40), sympy.N(pred, 40)
        scale = sympy.Max(sympy.Abs(a), sympy.Abs(b))
        if scale == 0:
            return True
        return bool(sympy.Abs(a - b) <= scale * sympy.Float("1e-6", 40))
    except (TypeError, ValueError, OverflowError):
        return True


def answers_match(answer: str | None, target: str | None, output_constraint: str) -> bool:
    """Whether an extracted answer equals the target under the constraint's normalisation.

    * ``option_letter``: ``(A)``, ``A``, ``a``, ``$A$``, ``\\boxed{A}`` and ``(A) text`` are
      the letter A (a bare-letter target ``D`` equals ``(D)``); when either side is not a
      letter (free-text targets such as BBH movie_recommendation 163 ``Monsters, Inc``),
      whitespace-normalised exact comparison.
    * ``yes_no``/``true_false``/``valid_invalid``: case-folded, punctuation stripped.
    * ``integer``/``final_number``: numeric equality (``1,000`` == ``9{,}500``-style
      separators, ``18.0`` == ``18``, ``29.00`` == ``29``, ``$18`` == ``18``, ``50\\%`` ==
      ``50``, ``$\\boxed{561}$`` == ``561``); non-numbers compare as text.
    * ``boxed_expression``: equal text after removing spaces and math delimiters; else
      times (``h:mm``), tuples/intervals (brackets and elements in order), sets (``\\{...\\}``,
      any order), several answers (``1, 2, and 3``, ``\\pm 2``: the same answers in any
      order), numbers by value, exact expressions (integers, decimals, fractions, powers,
      factorials) as exact rationals, otherwise math-verify ``verify(parse(gold),
      parse(pred))`` with its numeric "equal" confirmed to a relative 1e-6 (exceptions count
      as no match).
    * ``bracket_sequence``/``word_list``/``free_text``: whitespace-normalised exact.

    The target is first cleaned with :func:`clean_target` (a gsm8k ``... #### 18`` reference
    compares as ``18``).

    Returns:
        False when either side is None.

    Raises:
        ValueError: unknown ``output_constraint``.
    """
    _check_constraint(output_constraint)
    target = clean_target(target, output_constraint)
    if answer is None or target is None:
        return False
    if output_constraint == "option_letter":
        left, right = _option_letter(answer), _option_letter(target)
        if left is None and right is not None:
            left = _stated_letter(answer)
        if left is not None and right is not None:
            return left == right
        return _ws(answer) == _ws(target)
    if output_constraint in _WORD_PAIRS:
        said = _clean(answer).casefold()
        if said not in _WORD_PAIRS[output_constraint]:
            said = _stated_word(said, _WORD_PAIRS[output_constraint]) or said
        return said == _clean(target).casefold()
    if output_constraint in _NUMBER_CONSTRAINTS:
        same = _same_number(answer, target)
        if same is not None:
            return same
        boxed = last_boxed(answer)
        return _ws(_strip_latex_wrappers(boxed if boxed is not None else answer)) == _ws(target)
    if output_constraint == "boxed_expression":
        return _math_equal(answer, target)
    if _ws(answer) == _ws(target):
        return True
    # a free-text target that is a number ("1,000", "$5", "5.0", "2.50": the target-shape
    # rules label only bare integers `integer`) compares by value, as the answer would
    return output_constraint == "free_text" and bool(_same_number(answer, target))


_SIMPLE_FRACTION_RE = re.compile(r"[-+]?(?:\\[dt]?frac\{\d+\}\{\d+\}|\\[dt]?frac\d\d|\d+/\d+)")


def _plain_value(text: str) -> Fraction | None:
    """The exact value of an answer or target that is one number as written (thousands
    separators, currency, percent, math delimiters: :func:`_number_value`) or one fraction
    (``1/2``, ``\\frac{1}{2}``, ``-\\dfrac{3}{4}``), else None."""
    number = _number_value(text)
    if number is not None:
        return Fraction(number)
    boxed = last_boxed(text)
    raw = _clean(_strip_latex_wrappers(boxed if boxed is not None else text)).replace(" ", "")
    return _exact_value(raw) if _SIMPLE_FRACTION_RE.fullmatch(raw) else None


def _same_number(answer: str, target: str) -> bool | None:
    """Whether two texts that are both numbers have the same value, both sides read alike
    (None: either is not a number). ``1,000`` == ``1000``, ``5.0`` == ``5``, ``$5`` == ``5``,
    ``2.50`` == ``$2.5``, and a fraction equals its exact decimal (``1/2`` == ``0.5``, never
    ``1/3`` == ``0.33``), as lm-eval's minerva_math scores: ``normalize_final_answer`` is
    applied to the answer and to the target alike, and ``is_equiv`` holds when
    ``sympy.simplify(parse_latex(a) - parse_latex(b)) == 0``
    (lm_eval/tasks/minerva_math/utils.py)."""
    right = _plain_value(target)  # short, and most free-text targets are no number
    if right is None:
        return None
    left = _plain_value(answer)
    return None if left is None else left == right


def _stated_letter(answer: str) -> str | None:
    """The option letter an extracted answer states first, followed by more text: ``A. B is
    wrong because...``, ``E) Paris``, ``(E). Option (A) fails`` (the first sentence's leading
    letter, as the lenient extraction reads a statement: :func:`_letter_in`); None when that
    sentence names no letter first or hedges (``A or B``): a letter only mentioned later is
    never read."""
    letter, _hedged = _letter_in(_clause(answer))
    return letter


_STATED_WORD_RE = re.compile(r"^[*_\"'`“‘(]*\s*(\w+)[*_\"'`”’)]*\s*[,.;:!]")


def _stated_word(said: str, words: tuple[str, str]) -> str | None:
    """The yes/no (true/false...) word an extracted answer states first, followed by a clause
    break and more text (``no, because yes is wrong``), else None; ``yes or no`` is no word."""
    hit = _STATED_WORD_RE.match(said)
    if hit is None or hit.group(1) not in words or _OR_AND_RE.match(said, hit.end()):
        return None
    return hit.group(1)


_OR_AND_RE = re.compile(r"\s*(?:or|and)\b")


def clean_target(target: str | None, output_constraint: str) -> str | None:
    """The comparable part of a logged target.

    gsm8k-style references ending in ``#### N`` (lm-eval's gsm8k ``target``) or a final
    ``A: N`` line become ``N`` for number constraints; a target holding ``\\boxed{}`` becomes
    its content for ``boxed_expression``; otherwise the target stripped. A sample's target is
    cleaned several times (strict and lenient matching) and a task's targets repeat, so the
    last 4096 answers are kept.
    """
    if target is None:
        return None
    return _clean_target(target, output_constraint)


@functools.lru_cache(maxsize=4096)
def _clean_target(target: str, output_constraint: str) -> str:
    if output_constraint in ("integer", "final_number", "boxed_expression"):
        hit = _GSM_HASH_RE.search(target) or _a_line(target)
        if hit:
            return hit.group(1)
    if output_constraint == "boxed_expression" and "\\boxed" in target:
        boxed = last_boxed(target)
        if boxed:
            return boxed
    return target.strip()


def score(
    response: str | None,
    target: str | None,
    output_constraint: str,
    mode: str = "strict",
    stop: Iterable[str] | None = None,
) -> ScoreResult:
    """Extract an answer from ``response`` and compare it with ``target``.

    Args:
        response: raw model output.
        target: reference answer (cleaned with :func:`clean_target`).
        output_constraint: one of :data:`OUTPUT_CONSTRAINTS`.
        mode: ``strict`` (:func:`extract_strict`) or ``lenient`` (:func:`extract_lenient_step`).
        stop: the run's stop strings, for ``lenient`` (see :func:`extract_lenient_step`).

    Returns:
        :class:`ScoreResult`; ``reason`` is ``no_answer`` when extraction found nothing;
        ``step`` names the extraction step.

    Raises:
        ValueError: unknown mode or constraint.
    """
    if mode == "strict":
        found = extract_strict_step(response, output_constraint)
    elif mode == "lenient":
        found = extract_lenient_step(response, output_constraint, stop)
    else:
        raise ValueError(f"unknown scoring mode {mode!r}; valid: strict, lenient")
    if found.answer is None:
        return ScoreResult(None, False, "no_answer")
    ok = answers_match(found.answer, clean_target(target, output_constraint), output_constraint)
    return ScoreResult(found.answer, ok, "match" if ok else "mismatch", found.step)


_BARE_OPTION_TARGET_RE = re.compile(r"^\(?[A-J]\)?$")


def infer_output_constraint_from_target(target: str | None) -> str:
    """Guess the output constraint from a target string (fallback when the taxonomy gives none).

    ``(A)``, or one capital letter A–J (GPQA, MMLU, MMLU-Pro style ``D``) → option_letter;
    yes/no, true/false, valid/invalid (any case) → their pair; an integer → integer; another
    plain number or a ``#### N`` reference → final_number; closing/opening brackets only →
    bracket_sequence; LaTeX-looking text → boxed_expression; several lowercase words →
    word_list; anything else (and None) → free_text.
    """
    if target is None:
        return "free_text"
    text = target.strip()
    folded = text.casefold().rstrip(".")
    if _LETTER_ALONE_RE.match(text) and text.startswith("("):
        return "option_letter"
    if _BARE_OPTION_TARGET_RE.match(text):
        return "option_letter"
    for constraint, words in _WORD_PAIRS.items():
        if folded in words:
            return constraint
    if "####" in text:
        return "final_number"
    number = _parse_number(text)
    if number is not None:
        is_integer = number == number.to_integral_value() and "." not in text
        return "integer" if is_integer else "final_number"
    if text and _BRACKETS_RE.match(text):
        return "bracket_sequence"
    if _LATEX_HINT_RE.search(text):
        return "boxed_expression"
    tokens = text.split()
    if len(tokens) >= 2 and all(word.isalpha() and word.islower() for word in tokens):
        return "word_list"
    return "free_text"
