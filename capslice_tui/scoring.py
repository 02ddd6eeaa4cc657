"""Answer extraction and matching for logs that carry no correctness.

Two extraction modes share one matcher:

* **strict** (:func:`extract_strict`) takes only what an official-style harness filter would
  take: the text after "the answer is" up to the final period (lm-eval's BBH ``get-answer``
  regex ``(?<=the answer is )(.*)(?=.)``, and the BBH authors' own scoring), gsm8k's
  ``#### N`` (lm-eval ``strict-match``) or a final ``A: N`` line (OpenAI grade-school-math),
  ``\\boxed{}`` for math, or the whole response when it is already a bare answer of the
  expected shape (answer-only prompting, lm-eval filter ``none``).
* **lenient** (:func:`extract_lenient`) is generous: it first cuts the response at a runaway
  marker (a new ``Q:``/``Question:``/``Problem:`` block, ``</s>``...), then takes the last
  answer-shaped token for the constraint.

:func:`answers_match` normalises both sides according to the ``output_constraint`` (the axis
values of ``taxonomies/evaluation.yaml``) and compares them; math expressions go through
math-verify (``parse``/``verify``) behind a plain-number fast path.

Validated on real data (see ``tests/unit/test_scoring.py``): the strict scorer reproduces the
BIG-Bench-Hard authors' per-task accuracies for code-davinci-002 (CoT and answer-only, 27
tasks each) within 0.1 points.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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

RUNAWAY_MARKERS: tuple[str, ...] = (
    "\nQ:",
    "\nQuestion:",
    "\nProblem:",
    "</s>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
)

_WORD_PAIRS: dict[str, tuple[str, str]] = {
    "yes_no": ("yes", "no"),
    "true_false": ("true", "false"),
    "valid_invalid": ("valid", "invalid"),
}

_NUMBER_RE = re.compile(r"-?\$?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_PLAIN_NUMBER_RE = re.compile(r"^[-+]?\$?(?:\d[\d,]*(?:\.\d*)?|\.\d+)%?$")
_STRICT_ANSWER_RE = re.compile(r"the answer is (.*)")
_LENIENT_ANSWER_RE = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*(.+)", re.IGNORECASE
)
_GSM_HASH_RE = re.compile(r"####\s*(-?[\d,]*\.?\d+)")
_A_LINE_RE = re.compile(r"(?:^|\n)\s*A:\s*(-?\$?[\d,]*\.?\d+)\s*\.?\s*$")
_LETTER_PAREN_RE = re.compile(r"\(([A-Ra-r])\)")
_LETTER_ALONE_RE = re.compile(r"^\(?([A-Ra-r])\)?[.:]?$")
_LETTER_LEADING_RE = re.compile(r"^\(([A-Ra-r])\)")
_BRACKETS_RE = re.compile(r"^[\s\)\]\}>\(\[\{<]+$")
_LATEX_HINT_RE = re.compile(r"\\[a-zA-Z]+|[\^_{}]|\\\(|\$")
_STRIP_CHARS = " \t\n\r.,;:!?\"'`*“”‘’"


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """Outcome of scoring one response.

    Attributes:
        extracted: the extracted answer, or None when nothing answer-shaped was found.
        correct: True when the extracted answer matches the target.
        reason: ``match``, ``mismatch`` or ``no_answer`` (nothing extracted).
    """

    extracted: str | None
    correct: bool
    reason: str


def _check_constraint(output_constraint: str) -> None:
    if output_constraint not in OUTPUT_CONSTRAINTS:
        raise ValueError(
            f"unknown output_constraint {output_constraint!r}; valid: {', '.join(OUTPUT_CONSTRAINTS)}"
        )


def last_boxed(text: str) -> str | None:
    r"""Content of the last ``\boxed{...}`` (or ``\fbox{...}``) with balanced braces.

    Returns None when there is none or its braces never close.
    """
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    brace = text.find("{", start)
    if brace < 0:
        # "\boxed 5" form
        rest = text[start:].split(None, 1)
        return rest[1].split("$")[0].strip() if len(rest) == 2 else None
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


def _clean(text: str) -> str:
    """Strip markdown emphasis, quotes, surrounding whitespace and trailing punctuation."""
    text = text.replace("**", "").replace("__", "")
    return text.strip(_STRIP_CHARS)


def _ws(text: str) -> str:
    return " ".join(text.split())


def cut_runaway(response: str) -> str:
    """Text before the first runaway marker (new few-shot block, EOS string) after position 0."""
    cut = len(response)
    for marker in RUNAWAY_MARKERS:
        pos = response.find(marker, 1)
        if 0 < pos < cut:
            cut = pos
    return response[:cut]


def _fits_shape(answer: str, output_constraint: str) -> bool:
    """True when a bare response already has the shape of an answer for the constraint."""
    if output_constraint == "option_letter":
        return bool(_LETTER_ALONE_RE.match(answer))
    if output_constraint in _WORD_PAIRS:
        return answer.casefold() in _WORD_PAIRS[output_constraint]
    if output_constraint in ("integer", "final_number"):
        return _parse_number(answer) is not None
    if output_constraint == "boxed_expression":
        return "\n" not in answer
    return "\n" not in answer


def extract_strict(response: str | None, output_constraint: str) -> str | None:
    """Answer an official-style filter would take, or None when absent.

    Args:
        response: raw model output.
        output_constraint: one of :data:`OUTPUT_CONSTRAINTS`.

    Returns:
        The answer text (not normalised; :func:`answers_match` normalises), or None.

    Rules, in order:
        1. ``boxed_expression``: the last ``\\boxed{}``.
        2. ``integer``/``final_number``: gsm8k ``#### N``, then a final ``A: N`` line.
        3. The first "the answer is X" (case-sensitive, as lm-eval's BBH ``get-answer`` regex
           ``(?<=the answer is )(.*)(?=.)``), up to the end of its line, one final period
           dropped (the BBH authors' rule).
        4. The whole response when it is one line and already answer-shaped for the
           constraint (answer-only prompting; lm-eval filter ``none``).

    Raises:
        ValueError: unknown ``output_constraint``.
    """
    _check_constraint(output_constraint)
    if not response:
        return None
    if output_constraint == "boxed_expression":
        boxed = last_boxed(response)
        if boxed:
            return boxed
    if output_constraint in ("integer", "final_number"):
        hit = _GSM_HASH_RE.search(response)
        if hit:
            return hit.group(1)
        hit = _A_LINE_RE.search(response)
        if hit:
            return hit.group(1)
    hit = _STRICT_ANSWER_RE.search(response)
    if hit:
        answer = hit.group(1).strip()
        if answer.endswith("."):
            answer = answer[:-1]
        answer = answer.strip()
        return answer or None
    bare = response.strip()
    if bare and _fits_shape(bare, output_constraint):
        return bare
    return None


def _last_word(text: str, words: tuple[str, str]) -> str | None:
    pattern = re.compile(r"\b(" + "|".join(sorted(words, key=len, reverse=True)) + r")\b", re.I)
    found = pattern.findall(text)
    return found[-1] if found else None


def _lenient_from(text: str, output_constraint: str, whole_text: bool) -> str | None:
    """Last answer-shaped token of ``text`` for the constraint, or None."""
    if output_constraint == "option_letter":
        found = _LETTER_PAREN_RE.findall(text)
        if len({letter.upper() for letter in found}) > 1 and not whole_text:
            return _clean(text)  # hedged answer phrase such as "(A) or (B)": not one letter
        if found:
            return found[-1].upper()
        cleaned = _clean(text)
        hit = _LETTER_ALONE_RE.match(cleaned)
        return hit.group(1).upper() if hit else None
    if output_constraint in _WORD_PAIRS:
        return _last_word(text, _WORD_PAIRS[output_constraint])
    if output_constraint in ("integer", "final_number"):
        found = _NUMBER_RE.findall(text)
        return found[-1].rstrip(".") if found else None
    if output_constraint == "boxed_expression":
        boxed = last_boxed(text)
        if boxed:
            return boxed
        dollars = re.findall(r"\$([^$]+)\$", text)
        if dollars:
            return dollars[-1].strip()
        found = _NUMBER_RE.findall(text)
        return found[-1] if found else None
    cleaned = _clean(text)
    return cleaned or None


def extract_lenient(response: str | None, output_constraint: str) -> str | None:
    """Generous extraction: the last answer-shaped token, ignoring runaway continuations.

    Steps: cut at the first runaway marker (:data:`RUNAWAY_MARKERS`); if an "answer is /
    answer: / final answer" phrase is present, the answer comes from the text after the last
    one (its cleaned text when nothing answer-shaped is there); otherwise from the whole (cut)
    text. Per constraint: last ``(X)`` or bare letter; last yes/no, true/false,
    valid/invalid word; last number; last ``\\boxed{}`` or ``$...$``; for free text the
    phrase's text (or the last non-empty line) with markdown, quotes and trailing punctuation
    stripped.

    Returns:
        The answer text, or None.

    Raises:
        ValueError: unknown ``output_constraint``.
    """
    _check_constraint(output_constraint)
    if not response:
        return None
    text = cut_runaway(response)
    if output_constraint == "boxed_expression":
        boxed = last_boxed(text)
        if boxed:
            return boxed
    if output_constraint in ("integer", "final_number"):
        hit = _GSM_HASH_RE.search(text) or _A_LINE_RE.search(text)
        if hit:
            return hit.group(1)
    phrases = list(_LENIENT_ANSWER_RE.finditer(text))
    if phrases:
        tail = phrases[-1].group(1).strip()
        answer = _lenient_from(tail, output_constraint, whole_text=False)
        # An explicit answer phrase wins: a non-answer there ("(None of the above)") is the
        # model's answer, not a cue to hunt for a letter elsewhere.
        return answer or _clean(tail) or None
    if output_constraint in ("free_text", "word_list", "bracket_sequence"):
        lines = [line for line in text.splitlines() if line.strip()]
        return _clean(lines[-1]) if lines else None
    return _lenient_from(text, output_constraint, whole_text=True)


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


def _option_letter(text: str) -> str | None:
    cleaned = _clean(text)
    if len({letter.upper() for letter in _LETTER_PAREN_RE.findall(cleaned)}) > 1:
        return None  # hedged: "(A) or (B)"
    hit = _LETTER_ALONE_RE.match(cleaned) or _LETTER_LEADING_RE.match(cleaned)
    return hit.group(1).upper() if hit else None


def _math_equal(answer: str, target: str) -> bool:
    """math-verify equivalence; the signal-based timeout is used only on the main thread."""
    try:
        from math_verify import parse, verify
    except ImportError:  # pragma: no cover - math-verify is a declared dependency
        return False
    on_main = threading.current_thread() is threading.main_thread()
    timeout = 5 if on_main else None
    try:
        gold = parse(f"\\boxed{{{target}}}", parsing_timeout=timeout)
        pred = parse(f"\\boxed{{{answer}}}", parsing_timeout=timeout)
        if not gold or not pred:
            return False
        return bool(verify(gold, pred, timeout_seconds=timeout))
    except Exception:  # math-verify raises many kinds on odd LaTeX; unparseable = no match
        return False


def _strip_latex_wrappers(text: str) -> str:
    text = text.strip().strip("$").strip()
    for wrapper in ("\\(", "\\)", "\\[", "\\]"):
        text = text.replace(wrapper, "")
    if text.startswith("\\text{") and text.endswith("}"):
        text = text[6:-1]
    return text.strip()


def answers_match(answer: str | None, target: str | None, output_constraint: str) -> bool:
    """Whether an extracted answer equals the target under the constraint's normalisation.

    * ``option_letter``: ``(A)``, ``A``, ``a`` and ``(A) text`` are the letter A; when either
      side is not a letter (free-text targets such as BBH movie_recommendation 163
      ``Monsters, Inc``), whitespace-normalised exact comparison.
    * ``yes_no``/``true_false``/``valid_invalid``: case-folded, punctuation stripped.
    * ``integer``/``final_number``: numeric equality (``1,000`` == ``1000``, ``18.0`` ==
      ``18``, ``$18`` == ``18``); non-numbers compare as text.
    * ``boxed_expression``: plain numbers compare numerically without math-verify; otherwise
      equal text after removing spaces, else math-verify ``verify(parse(gold), parse(pred))``
      (exceptions count as no match).
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
        if left is not None and right is not None:
            return left == right
        return _ws(answer) == _ws(target)
    if output_constraint in _WORD_PAIRS:
        return _clean(answer).casefold() == _clean(target).casefold()
    if output_constraint in ("integer", "final_number"):
        # "$\boxed{561}$" or "$561$" is the number 561 (AIME-style answers)
        boxed = last_boxed(answer)
        answer = _strip_latex_wrappers(boxed if boxed is not None else answer)
        left_num, right_num = _parse_number(answer), _parse_number(target)
        if left_num is not None and right_num is not None:
            return left_num == right_num
        return _ws(answer) == _ws(target)
    if output_constraint == "boxed_expression":
        left_num, right_num = _parse_number(answer), _parse_number(target)
        if left_num is not None and right_num is not None:
            return left_num == right_num
        left_s = _strip_latex_wrappers(answer).replace(" ", "")
        right_s = _strip_latex_wrappers(target).replace(" ", "")
        if left_s == right_s:
            return True
        return _math_equal(_strip_latex_wrappers(answer), _strip_latex_wrappers(target))
    return _ws(answer) == _ws(target)


def clean_target(target: str | None, output_constraint: str) -> str | None:
    """The comparable part of a logged target.

    gsm8k-style references ending in ``#### N`` (lm-eval's gsm8k ``target``) or a final
    ``A: N`` line become ``N`` for number constraints; a target holding ``\\boxed{}`` becomes
    its content for ``boxed_expression``; otherwise the target stripped.
    """
    if target is None:
        return None
    if output_constraint in ("integer", "final_number", "boxed_expression"):
        hit = _GSM_HASH_RE.search(target) or _A_LINE_RE.search(target)
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
) -> ScoreResult:
    """Extract an answer from ``response`` and compare it with ``target``.

    Args:
        response: raw model output.
        target: reference answer (cleaned with :func:`clean_target`).
        output_constraint: one of :data:`OUTPUT_CONSTRAINTS`.
        mode: ``strict`` (:func:`extract_strict`) or ``lenient`` (:func:`extract_lenient`).

    Returns:
        :class:`ScoreResult`; ``reason`` is ``no_answer`` when extraction found nothing.

    Raises:
        ValueError: unknown mode or constraint.
    """
    if mode == "strict":
        extracted = extract_strict(response, output_constraint)
    elif mode == "lenient":
        extracted = extract_lenient(response, output_constraint)
    else:
        raise ValueError(f"unknown scoring mode {mode!r}; valid: strict, lenient")
    if extracted is None:
        return ScoreResult(None, False, "no_answer")
    ok = answers_match(extracted, clean_target(target, output_constraint), output_constraint)
    return ScoreResult(extracted, ok, "match" if ok else "mismatch")


def infer_output_constraint_from_target(target: str | None) -> str:
    """Guess the output constraint from a target string (fallback when the taxonomy gives none).

    ``(A)`` → option_letter; yes/no, true/false, valid/invalid (any case) → their pair; an
    integer → integer; another plain number or a ``#### N`` reference → final_number;
    closing/opening brackets only → bracket_sequence; LaTeX-looking text → boxed_expression;
    several lowercase words → word_list; anything else (and None) → free_text.
    """
    if target is None:
        return "free_text"
    text = target.strip()
    folded = text.casefold().rstrip(".")
    if _LETTER_ALONE_RE.match(text) and text.startswith("("):
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
    words = text.split()
    if len(words) >= 2 and all(word.isalpha() and word.islower() for word in words):
        return "word_list"
    return "free_text"
