"""Numbers and user text as every front end prints them: the CLI tables, the Markdown report
and the app read percentages, points, counts, intervals and p-values from here, so one figure
never reads two ways.

Plain text only (no Rich, no Textual): the core may use it for the words it writes.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .vocabulary import FAILURE_MARK_MEANING, FAILURE_MARKS

# How a score over several tasks weighs them (capslice_tui.vocabulary.AVERAGES); every roll-up
# names the one it uses.
AVERAGE_MEANING: dict[str, str] = {
    "micro": "micro mean: pooled over items, every item weighs the same",
    "macro": "macro mean: unweighted mean of the task scores, every task weighs the same",
}


# ---- the terminal's glyphs: one policy for the app and the CLI ------------------------------

ASCII_ENV = "CAPSLICE_ASCII"
"""Environment variable that forces (``1``) or forbids (``0``) console (ASCII) mode."""

# Text markers the front ends use, and their ASCII forms (same meaning, readable as text).
ASCII_GLYPHS: dict[str, str] = {
    "…": "...",
    "—": "-",
    "–": "-",
    "→": "->",
    "←": "<-",
    "↑": "up",
    "↓": "down",
    "⌫": "backspace",
    "⏎": "enter",
    "✓": "+",
    "✗": "x",
    "×": "x",
    "↳": "^",
    "█": "=",
    "▏": "|",
    "Δ": "d",
    "≥": ">=",
    "≤": "<=",
    "≠": "!=",
    "•": "*",
    "⭘": "=",
    "🔎": ">",
    "▶": ">",
    "▼": "v",
}
_ASCII_TABLE = str.maketrans(ASCII_GLYPHS)


def ascii_console(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the app and the CLI write their markers in ASCII (console mode): the Linux
    console's fonts lack the arrows, ellipsis and check marks, so one form each is used
    there (``->``, ``...``, ``x``), never a mix of both.

    ``CAPSLICE_ASCII=1`` (or ``true``/``yes``) forces it, ``CAPSLICE_ASCII=0`` turns it off;
    otherwise it is on when ``TERM`` is the Linux console (``linux``, ``linux-16color``...).
    """
    env = os.environ if environ is None else environ
    forced = env.get(ASCII_ENV, "").strip().lower()
    if forced in ("1", "true", "yes", "on"):
        return True
    if forced in ("0", "false", "no", "off"):
        return False
    return env.get("TERM", "").startswith("linux")


def to_ascii(text: str) -> str:
    """``text`` with each known marker glyph replaced by its ASCII form (``…`` -> ``...``,
    ``→`` -> ``->``, ``×`` -> ``x``).

    Characters outside :data:`ASCII_GLYPHS` are kept (user text such as a Chinese prompt is
    shown as stored; the terminal draws what it can)."""
    return text.translate(_ASCII_TABLE)


EXTRA_DIGITS = 2
"""How many decimals :func:`percent_number` and :func:`count` add, at most, so a value that
is not a bound does not read as one (``99.95%``, ``31.98/32``); past them it reads ``>99.999%``."""


def _unsigned_zero(text: str) -> str:
    """``-0.0`` -> ``0.0``: a negative value that rounds to zero prints without its sign (a
    bound of ``-0.0`` reads as a negative number that is not there).

    >>> _unsigned_zero("-0.00"), _unsigned_zero("-0.1"), _unsigned_zero("0")
    ('0.00', '-0.1', '0')
    """
    if text.startswith("-") and float(text) == 0:
        return text[1:]
    return text


def percent_number(value: float, digits: int = 1) -> str:
    """``value`` (a 0..1 fraction) in percent without the sign, ``digits`` decimals, except that
    a value strictly between 0 and 1 never reads as a bound it is not: where ``digits`` decimals
    would print ``100.0`` or ``0.0``, up to :data:`EXTRA_DIGITS` more are added (``0.99952`` ->
    ``99.95``, ``0.0004`` -> ``0.04``), and past those it reads ``>99.999`` / ``<0.001``.

    The value is first rounded to 12 decimals, so float noise around 1 (``1 - 1e-16`` from a
    pass@k product) still reads ``100.0``. Values outside 0..1 (a share of a change can be)
    print with ``digits`` decimals.

    >>> [percent_number(x) for x in (0.532, 1.0, 0.0, 0.99952, 0.9995, 0.0004, 0.999999, 1e-7)]
    ['53.2', '100.0', '0.0', '99.95', '99.95', '0.04', '>99.999', '<0.001']
    """
    v = round(value, 12)
    text = _unsigned_zero(f"{100 * v:.{digits}f}")
    if not 0 < v < 1:
        return text
    for more in range(digits, digits + EXTRA_DIGITS + 1):
        text = f"{100 * v:.{more}f}"
        if 0 < float(text) < 100:
            return text
    step = 10.0**-more
    return f">{100 - step:.{more}f}" if v > 0.5 else f"<{step:.{more}f}"


def pct(value: float | None, digits: int = 1) -> str:
    """``0.532`` -> ``53.2%``; None or NaN -> ``-``. A value strictly between 0 and 1 never
    reads ``100.0%`` or ``0.0%`` (:func:`percent_number`): ``0.99952`` -> ``99.95%``,
    ``0.0004`` -> ``0.04%``, ``0.999999`` -> ``>99.999%``.

    >>> pct(0.532), pct(1.0), pct(0.0), pct(0.99952), pct(None)
    ('53.2%', '100.0%', '0.0%', '99.95%', '-')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{percent_number(value, digits)}%"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def point_value(diff: float | None, digits: int = 1) -> float | None:
    """A difference of two fractions in percentage points, rounded once: the number every
    printed ``points()`` shows and JSON carries (``-15/48`` -> ``-31.2``).

    The fraction is first rounded to 12 decimals, so float noise from how the difference was
    computed (``16/48 - 31/48`` is ``-0.31250000000000006``) cannot push a tie one way in one
    place and the other way elsewhere; the tie then rounds half to even, as ``format`` does
    (``-31.25`` -> ``-31.2``). ``-0.0`` reads ``0.0``. None or NaN -> None; infinities pass.

    >>> point_value(16 / 48 - 31 / 48)
    -31.2
    """
    if _missing(diff):
        return None
    assert diff is not None
    if math.isinf(diff):
        return diff
    return round(100 * round(diff, 12), digits) + 0.0


def points(diff: float | None, unit: str = " points", digits: int = 1, signed: bool = True) -> str:
    """A difference of two 0..1 fractions as percentage points, rounded once
    (:func:`point_value`), so one change reads the same in every table and sentence.

    ``unit`` is appended as given: ``" points"`` (the default, for sentences and detail
    lines of the app and the CLI: ``-31.2 points``), or ``""`` (a table column whose
    header, legend or note names the unit: ``-31.2``). ``signed`` False drops the
    ``+`` for sizes that are not changes (a deficit, a tolerance, a minimum detectable
    difference: ``4.0 points``). None or NaN -> ``-``.

    >>> points(-15 / 48), points(0.031, ""), points(0.04, signed=False)
    ('-31.2 points', '+3.1', '4.0 points')
    """
    value = point_value(diff, digits)
    if value is None:
        return "-"
    return f"{value:{'+' if signed else ''}.{digits}f}{unit}"


ROUNDED_SEPARATELY = "parts rounded separately"
"""The note beside parts and their total in points when the parts, as printed, do not add
up to the total as printed (each number is rounded once, on its own)."""


def rounding_note(parts: Iterable[float | None], total: float | None, digits: int = 1) -> str:
    """:data:`ROUNDED_SEPARATELY` when ``parts`` (0..1 differences) printed in points
    (:func:`point_value`, ``digits`` decimals) do not visibly add up to ``total`` printed the
    same way, else ``""``. A part subtracted from the others (a control change in a
    difference-in-differences) is passed negated.

    Each number stays the correctly rounded value of what it measures (the same figure in
    every table and sentence); the note says why ``-35.2 - 20.8 - 6.0`` sits beside ``-62.1``
    (exact parts -35.21, -20.83, -6.04 sum to -62.08).

    >>> rounding_note([-0.3521, -0.2083, -0.0604], -0.6208)
    'parts rounded separately'
    >>> rounding_note([0.34, -0.621], -0.281)
    ''
    """
    shown = [point_value(p, digits) for p in parts]
    whole = point_value(total, digits)
    if whole is None or any(v is None for v in shown):
        return ""
    if abs(sum(v for v in shown if v is not None) - whole) < 0.5 * 10**-digits:
        return ""
    return ROUNDED_SEPARATELY


def mix_legend(glyphs: Mapping[str, str], modes: Sequence[str], *, cells: int | None = None) -> str:
    """The legend line of a stacked failure-mode bar: each mode's glyph with the marker the
    samples table shows for it (``vocabulary.FAILURE_MARKS``: ``wrong``, ``fmt!``, ``trunc``;
    other modes by name), one scheme in the CLI and the app. With ``cells`` (a CLI note) the
    scale too, the names two spaces apart as the CLI's legend beside full-name headers
    (``workspace.trend.mix_legend``); without it (the app's line) ``glyph=name``.

    >>> mix_legend({"correct": "#", "extraction_failure": "e"}, ["correct", "extraction_failure"])
    'mix: #=correct e=fmt!'
    >>> mix_legend({"truncated": "t"}, ["truncated"], cells=20)
    'mix: t trunc  (20 cells = 100% of samples)'
    """
    if cells is None:
        return "mix: " + " ".join(f"{glyphs.get(m, '?')}={FAILURE_MARKS.get(m, m)}" for m in modes)
    names = "  ".join(f"{glyphs.get(m, '?')} {FAILURE_MARKS.get(m, m)}" for m in modes)
    return f"mix: {names}  ({cells} cells = 100% of samples)"


def pct_count(score: float | None, correct: float | None, total: int | None) -> str:
    """A score with its count in parentheses, as :func:`sample_tally` words the count:
    ``53.2% (133/250)`` when the score is that ratio, ``43.1% (1093/5888 samples = 18.6%)``
    when it is a mean of per-item accuracies (several samples per item)."""
    if correct is None or total is None:
        return f"{pct(score)} ({count(correct, total)})"
    return f"{pct(score)} ({sample_tally(score, correct, total)})"


def item_mean(score: float | None, correct: float | None, n_samples: int | None) -> bool:
    """Whether ``score`` is a mean of per-item accuracies rather than the ratio of its
    ``correct`` samples to ``n_samples`` (items with several samples): a known score that
    reads as another percentage than that ratio, or one with no samples counted. The one
    test behind ``43.1% mean`` (:func:`pct_cell`) and ``(mean of 158 items; ...)``
    (:func:`score_counts`); False for an unknown (None or NaN) score."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return False
    if correct is None or not n_samples:
        return True
    return pct(correct / n_samples) != pct(score)


ITEM_MEAN_ACCURACY = "accuracy (mean of per-item accuracies)"
"""The metric name :func:`~capslice_tui.analysis.metrics.slice_score` gives accuracy over
several samples per item: each item's correct / its samples, then the mean over items (not
the pooled ratio of correct samples, which a count beside it names as ``samples = x%``)."""

GREEDY_ACCURACY = "greedy accuracy"
"""One sample per item whose decoding is recorded as greedy (do_sample false or
temperature 0)."""

ONE_SAMPLE_ACCURACY = "accuracy (one sample per item)"
"""One sample per item whose decoding is not recorded: neither greedy nor sampled is
claimed."""


def one_sample_metric(
    decoding: str | None = None,
    temperature: float | None = None,
    vote: int | None = None,
    choice_metric: str | None = None,
) -> str:
    """The name of a score of one 0/1 sample per item, by what is known of it: a
    log-likelihood choice names the metric read (``acc (log-likelihood choice)``); a
    majority-vote filter of ``vote`` samples, ``maj@8 accuracy (vote over 8 samples)``;
    otherwise the decoding (``"greedy"``: :data:`GREEDY_ACCURACY`; ``"sampled"``:
    ``accuracy (one sample per item, sampled at T=1)``; None, not recorded:
    :data:`ONE_SAMPLE_ACCURACY`)."""
    if choice_metric:
        return f"{choice_metric} (log-likelihood choice)"
    if vote:
        return f"maj@{vote} accuracy (vote over {vote} samples)"
    if decoding == "greedy":
        return GREEDY_ACCURACY
    if decoding == "sampled":
        at = "" if temperature is None else f" at T={temperature:g}"
        return f"accuracy (one sample per item, sampled{at})"
    return ONE_SAMPLE_ACCURACY


def short_metric(metric: str, width: int = 12) -> str:
    """A metric name in a narrow column (the app's runs table, the demo summary):
    ``greedy acc``, ``acc mean`` (:data:`ITEM_MEAN_ACCURACY`), ``1-sample acc`` (decoding not
    recorded), ``sampled acc``, ``maj@8 acc``, ``acc`` (a log-likelihood choice's metric as lm-eval
    names it); other names with ``accuracy`` as ``acc``, cut to ``width``."""
    words = {
        ITEM_MEAN_ACCURACY: "acc mean",
        ONE_SAMPLE_ACCURACY: "1-sample acc",
    }
    if metric in words:
        text = words[metric]
    elif metric.startswith("accuracy (one sample per item, sampled"):
        text = "sampled acc"
    elif metric.endswith(" (log-likelihood choice)"):
        text = metric.removesuffix(" (log-likelihood choice)")
    else:
        text = metric.split(" (vote over")[0].replace("accuracy", "acc")
    return text if len(text) <= width else text[: width - 1] + "…"


def score_meaning(metric: str, pooled_differs: bool = False, *, short: bool = False) -> str:
    """What a slice table's score is, for a status line or a ``metric:`` note: the metric
    name, except that :data:`ITEM_MEAN_ACCURACY` is said as ``accuracy: mean over items of each item's accuracy``, and, when the
    table's counts are another ratio (``pooled_differs``: :func:`item_mean` of a row), that
    c/n pools the samples (``...; c/n pools samples``). ``short``: ``score: item mean``
    (``score: item mean; c/n pooled``). Other metric names are returned as given."""
    if metric != ITEM_MEAN_ACCURACY:
        return metric
    if short:
        return "score: item mean" + ("; c/n pooled" if pooled_differs else "")
    text = "accuracy: mean over items of each item's accuracy"
    return text + ("; c/n pools samples" if pooled_differs else "")


INTERVAL_MARKS = {
    "cluster-bootstrap": ("b", "bootstrap over items"),
    "wilson-over-items": (
        "w",
        "Wilson over items (each item all right or all wrong, or all items the same score)",
    ),
    "wilson": ("w", "Wilson over items (one sample per item)"),
    "normal": ("n", "normal approximation of a mean of task scores"),
}
"""Method of a slice's interval -> its one-letter mark and its words, shown when a table
mixes methods (:func:`interval_mark`, :func:`interval_legend`); ``normal`` stands for every
``normal approx. of a mean of N task scores``. ``none`` has no interval and prints ``-``."""


def _interval_mark(method: str) -> tuple[str, str] | None:
    key = "normal" if method.startswith("normal") else method
    return INTERVAL_MARKS.get(key)


def interval_mark(text: str, method: str, mixed: bool) -> str:
    """The interval cell ``text`` (``[0.0, 39.0]``) with its method's mark (``[0.0, 39.0] w``)
    when the table ``mixed`` methods, so each row says which it has; unchanged otherwise,
    or when the cell has no interval (``-``) or the method has no mark."""
    mark = _interval_mark(method)
    if not mixed or mark is None or text == "-":
        return text
    return f"{text} {mark[0]}"


def mixed_intervals(methods: Iterable[str]) -> bool:
    """Whether a table's rows, of interval ``methods`` (a row's ``method``), mix methods (a
    bootstrap over items beside a Wilson interval over items; ``none``, no interval, does not
    count): each interval cell then carries its mark (:func:`interval_mark`) and the table
    its legend (:func:`interval_legend`).

    >>> mixed_intervals(["cluster-bootstrap", "wilson", "none"]), mixed_intervals(["wilson", "none"])
    (True, False)
    """
    return len({m for m in methods if m != "none"}) > 1


def interval_legend(methods: Iterable[str]) -> str:
    """What the marks of :func:`interval_mark` on a table with ``methods`` stand for:
    ``interval per row: b = bootstrap over items; w = Wilson over items (...); - = none: too
    few items to bootstrap``; each mark once, in the order of :data:`INTERVAL_MARKS`."""
    methods = list(methods)
    found = {m for m in (_interval_mark(x) for x in methods) if m}
    words: dict[str, list[str]] = {}
    for mark, text in (m for m in INTERVAL_MARKS.values() if m in found):
        words.setdefault(mark, []).append(text)
    parts = [f"{mark} = {' or '.join(texts)}" for mark, texts in words.items()]
    if "none" in methods:
        parts.append("- = none: too few items for a bootstrap over items")
    return "interval per row: " + "; ".join(parts)


CORRECT_FLAGS = {
    "stop_literal": ("eos", "an EOS token written as text (scored on the text before it)"),
    "past_stop": ("stop", "went on past a stop sequence"),
    "new_block": ("stop", "went on past a stop sequence"),
    "repetition": ("rep", "repeated text"),
    "cap": ("cap", "reached the generation length cap"),
}
"""Failure signals (``samples.failure_signals``) a correct sample can carry -> the word a
samples table adds to its mode (:func:`flagged_mode`) and what it means."""


WRONG_FLAGS = {
    "cap": ("cap", "a complete wrong answer, then the model ran on to the length cap"),
}
"""Failure signals a ``wrong_answer`` sample can carry -> the word a samples table adds to its
mode (``wrong+cap``: since 6306b16 a complete wrong answer that runs on to the cap stays a
wrong answer, the cap kept in its signals) and what it means."""

_MODE_FLAGS = {"correct": CORRECT_FLAGS, "wrong_answer": WRONG_FLAGS}
"""The modes whose table cell carries flags, and the signals each shows."""


def _flags(signals: str | None, mode: str | None = "correct") -> list[str]:
    known = _MODE_FLAGS.get(mode or "", {})
    words = [known[s][0] for s in (signals or "").split(",") if s in known]
    return list(dict.fromkeys(words))


def flagged_mode(mode: str | None, shown: str, signals: str | None) -> str:
    """A samples table's mode cell (the CLI's and the app's): ``shown`` (the mode as the
    table marks it), and for a ``correct`` sample with runaway signals their words:
    ``correct+eos`` (an EOS token written as text), ``correct+rep``, ``correct+eos+rep``, so
    an officially correct sample that ran on is seen without opening it; for a
    ``wrong_answer`` that ran on to the generation cap after its complete answer,
    ``wrong+cap`` (:data:`WRONG_FLAGS`). Other modes say the runaway themselves."""
    return "+".join([shown, *_flags(signals, mode)])


def mode_legend(modes: Iterable[str | None]) -> str:
    """``mode: wrong = wrong_answer (...); fmt! = extraction_failure (...)``: the note under a
    samples table (the CLI's and the app's) for the marked failure modes among ``modes``
    (:data:`~capslice_tui.vocabulary.FAILURE_MARKS`, in that order); '' when none is."""
    present = set(modes)
    shown = [FAILURE_MARK_MEANING[m] for m in FAILURE_MARKS if m in present]
    return "mode: " + "; ".join(shown) if shown else ""


def flag_legend(rows: Iterable[tuple[str | None, str | None]]) -> str:
    """The note under a samples table for the flags :func:`flagged_mode` shows among
    ``rows`` (mode, failure_signals): ``correct+flag: scored correct, but flagged: eos = an
    EOS token written as text (...); rep = repeated text``, and ``wrong+cap: a complete wrong
    answer, then ...`` (one line each, '; '-joined); '' when none shows."""
    rows = list(rows)
    lines = []
    words = {w for mode, signals in rows if mode == "correct" for w in _flags(signals)}
    if words:
        meanings = dict(CORRECT_FLAGS.values())
        shown = [f"{w} = {meanings[w]}" for w in dict.fromkeys(w for w, _ in CORRECT_FLAGS.values())
                 if w in words]  # fmt: skip
        lines.append("correct+flag: scored correct, but flagged: " + "; ".join(shown))
    if any("cap" in _flags(signals, mode) for mode, signals in rows if mode == "wrong_answer"):
        lines.append(f"wrong+cap: {WRONG_FLAGS['cap'][1]}")
    return "; ".join(lines)


NO_ANSWER = "-"
"""A samples table's extracted or lenient cell when no answer is there (the CLI's and the
app's): none was read from the response, or the log kept none; never a blank cell."""

_NO_ANSWERS = frozenset({"", "[invalid]", "[no_answer]", "[none]", "none", "null"})
"""Extracted answers that say none was read (as ``analysis.failure_modes``'
``INVALID_EXTRACTIONS``: ``[invalid]`` is lm-eval's)."""


def answer_text(value: Any) -> str:
    """An extracted answer for a samples table cell: the text, or :data:`NO_ANSWER` when
    none is stored or it is blank (a harness's ``[invalid]`` is shown as logged)."""
    text = "" if value is None else str(value)
    return text if text.strip() else NO_ANSWER


def answer_cell(text: Any, width: int) -> str:
    """``text`` on one line (:func:`shorten`'s spacing), cut to ``width`` characters when
    longer, keeping its start: at a space when that keeps half of it, never inside a number
    (``4, and this kind of…``; ``1420 apples`` is never ``142…``: the number goes whole or
    not at all). The CLI's and the app's samples tables cut an answer so.

    An answer holding a ``\\boxed{}`` keeps the box's content whole instead: the text up to
    the last box's closing brace cut from the left (``$\\boxed{394}$`` at 9 is
    ``…xed{394}``), else the content alone (``394``), else the content cut as above."""
    s = shorten(text, 10**6)
    if len(s) <= width:
        return s
    boxed = _boxed_cut(s, width)
    if boxed:
        return boxed
    head = s[: width - 1]
    if head[-1:].isdigit() and s[width - 1].isdigit():
        head = head.rstrip("0123456789")
    at = head.rfind(" ")
    if at * 2 >= width and len(head) == width - 1:
        head = head[:at]
    return head.rstrip() + "…"


def _last_box(text: str) -> tuple[int, int] | None:
    """``(start, end)`` of the last ``\\boxed{...}``'s content in ``text`` (braces balanced;
    ``text[end]`` is its closing brace), None when there is none or it is not closed."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth = 0
    for j in range(start + 6, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return start + 7, j
    return None


def _boxed_cut(s: str, width: int) -> str:
    """``s`` (one line, longer than ``width``) cut so that its last box's content shows whole
    (:func:`answer_cell`); ``""`` when it has no closed box with content."""
    span = _last_box(s)
    if span is None or span[1] == span[0]:
        return ""
    start, end = span
    content = s[start:end]
    if len(content) + 3 <= width:  # ``…{394}``, with as much of what precedes as fits
        upto = s[: end + 1]
        return upto + "…" if len(upto) < width else "…" + upto[len(upto) - width + 1 :]
    return content if len(content) <= width else answer_cell(content, width)


def extracted_cell(value: Any, width: int) -> str:
    """A samples table's ``extracted`` cell (the CLI's and the app's alike): the answer as
    the log keeps it (a filter that kept the whole response shows its start, or its last
    box), cut to ``width`` by :func:`answer_cell`; :data:`NO_ANSWER` when none is there."""
    return answer_cell(answer_text(value), width)


def _answer_key(value: Any) -> str:
    """What two answers are compared on: lowercase letters, digits, ``.`` and ``-`` of the
    answer or of its last ``\\boxed{}`` (``(B)`` is ``B``; ``$\\boxed{142}$`` and ``... so
    the answer is $\\boxed{142}$`` are ``142``), an answer of none of
    them as it is; '' for none."""
    text = "" if value is None else str(value).strip().lower()
    if text in _NO_ANSWERS:
        return ""
    start = text.rfind("\\boxed{")
    if start >= 0:  # a filter that kept the whole response: its last \boxed{} (balanced)
        depth, end = 0, len(text)
        for j in range(start + 6, len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                end = j
                break
        text = text[start + 7 : end]
    # an answer of marks only (``(``) is compared as it is
    return re.sub(r"[^0-9a-z.\-]", "", text) or text


def lenient_cell(row: Mapping[str, Any]) -> str:
    """A samples table's ``lenient`` cell for a sample ``row`` (``extracted``,
    ``lenient_extracted``, ``lenient``): what capslice's lenient extraction read where it
    reads another answer than the extracted one (:data:`NO_ANSWER` when it read none); ''
    where it reads the same (``B`` for ``(B)``) or does not apply (``lenient`` None: an item
    scored by checks, or without a target)."""
    lenient = row.get("lenient_extracted")
    if row.get("lenient") is None or _answer_key(row.get("extracted")) == _answer_key(lenient):
        return ""
    return answer_text(lenient)


LENIENT_NOTE = (
    f"lenient: capslice's lenient reading where it differs (blank: same; {NO_ANSWER}: none)"
)
"""The note under a samples table that shows the lenient column (CLI and app)."""
NO_ANSWER_NOTE = f"extracted {NO_ANSWER}: no answer was extracted, or the log kept none"
"""The note under a samples table where an extracted cell shows :data:`NO_ANSWER`."""


def answer_notes(rows: Iterable[Mapping[str, Any]], lenient_shown: bool) -> list[str]:
    """The notes under a samples table (the CLI's and the app's) on its answer columns:
    :data:`NO_ANSWER_NOTE` when an extracted cell of ``rows`` shows :data:`NO_ANSWER`,
    :data:`LENIENT_NOTE` when the lenient column is shown."""
    notes = (
        [NO_ANSWER_NOTE] if any(answer_text(r.get("extracted")) == NO_ANSWER for r in rows) else []
    )
    return notes + ([LENIENT_NOTE] if lenient_shown else [])


def pct_cell(score: float | None, correct: float | None, total: int | None) -> str:
    """A score with its count for a narrow table cell: ``59.6% 286/480`` when the score is
    that ratio, ``43.1% mean`` when it is a mean of per-item accuracies (several samples per
    item), whose sample ratio is another number: that count belongs in a wider place, worded
    by :func:`pct_count`. ``-`` counts when unknown."""
    if correct is None or total is None:
        return f"{pct(score)} {count(correct, total)}" if score is not None else "-"
    if total and item_mean(score, correct, total):
        return f"{pct(score)} mean"
    return f"{pct(score)} {count(correct, total)}"


def plural(n: Any, noun: str, spec: str = "") -> str:
    """``n`` with ``noun`` in the number it takes: ``1 item``, ``0 items``, ``3 samples``,
    ``1 weak slice``, ``2 weak slices`` (the last word takes the ``s``; ``…y`` after a
    consonant takes ``ies``). ``spec`` formats a number (``","``: ``12,345 samples``); a value
    that is not a number (``?``, ``-``) keeps the plural.

    >>> plural(1, "item"), plural(0, "sample"), plural(12345, "run", ","), plural("?", "slice")
    ('1 item', '0 samples', '12,345 runs', '? slices')
    """
    number = isinstance(n, numbers.Number) and not isinstance(n, bool)
    text = format(n, spec) if number and spec else str(n)
    if number and n == 1:
        return f"{text} {noun}"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        return f"{text} {noun[:-1]}ies"
    return f"{text} {noun}s"


def confidence_pct(confidence: float) -> str:
    """A confidence level as a percentage without trailing zeros: ``0.95`` -> ``95%``,
    ``0.995`` -> ``99.5%``."""
    return f"{100 * confidence:g}%"


def interval(lo: float | None, hi: float | None) -> str:
    """``[45.8, 58.1]`` in percent, or ``-`` when undefined; a bound strictly between 0 and 1
    never reads ``100.0`` or ``0.0`` (:func:`percent_number`), and neither does a small
    negative bound of an interval that lies below 0 (a difference's): ``[-0.04, -0.01]``,
    not ``[0.0, 0.0]``, so an interval that excludes 0 never prints as one that touches it.
    A small negative bound of an interval reaching above 0 reads ``0.0`` as before.

    >>> interval(-0.0004, -0.0001), interval(-0.0004, 0.082), interval(0.458, 0.581)
    ('[-0.04, -0.01]', '[0.0, 8.2]', '[45.8, 58.1]')
    """
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return "-"
    if hi < 0:
        return f"[{_below_zero(lo)}, {_below_zero(hi)}]"
    return f"[{percent_number(lo)}, {percent_number(hi)}]"


def _below_zero(value: float) -> str:
    """A negative fraction in percent that never reads ``0.0`` (:func:`percent_number` of its
    size, signed): ``-0.0004`` -> ``-0.04``, ``-1e-7`` -> ``>-0.001``."""
    if value <= -0.5:
        return percent_number(value)
    size = percent_number(-value)
    return f">-{size[1:]}" if size.startswith("<") else f"-{size}"


def count_number(value: float, total: float | None = None) -> str:
    """A count that may be fractional (an expected number of solved items, a sum of per-item
    accuracies): whole numbers without decimals (``133``), others with one (``12.5``), except
    that a value strictly between 0 and ``total`` never reads as ``0.0`` or as the total: up
    to :data:`EXTRA_DIGITS` more decimals are added (``31.98`` of 32, ``0.02``), past those it
    reads ``>31.999`` / ``<0.001``. Float noise (12th decimal) counts as whole.

    >>> [count_number(x, 32) for x in (32.0, 0.0, 12.5, 31.98464, 31.96, 0.02, 31.9999999)]
    ['32', '0', '12.5', '31.98', '31.96', '0.02', '>31.999']
    """
    v = round(float(value), 12)
    if v.is_integer():
        return _unsigned_zero(f"{v:.0f}")
    text = _unsigned_zero(f"{v:.1f}")
    top = math.inf if total is None else float(total)
    if not 0 < v < top:
        return text
    for more in range(1, 2 + EXTRA_DIGITS):
        text = f"{v:.{more}f}"
        if 0 < float(text) < top:
            return text
    step = 10.0**-more
    return f">{top - step:.{more}f}" if v > top / 2 else f"<{step:.{more}f}"


def count(correct: float | None, total: int | None) -> str:
    """``133/250``; fractional sums keep one decimal (``12.5/40``), more when one decimal would
    read as all or none (``31.98/32``, :func:`count_number`); ``-`` when either is None."""
    if correct is None or total is None:
        return "-"
    return f"{count_number(correct, total)}/{total}"


def score_counts(score: float | None, correct: float, n_samples: int, n_items: int) -> str:
    """A score with the counts that give it, so a reader can check the figure.

    When the score is the sample ratio (one sample per item, e.g. greedy accuracy), it reads
    ``59.6% (286/480)``. When it is the mean of per-item accuracies over several samples per
    item, the ratio of correct samples is a different number and is labelled as such:
    ``43.1% (mean of 158 items; samples 1093/5888 = 18.6%)``. No percentage is ever printed
    beside a ratio it does not equal.
    """
    ratio = correct / n_samples if n_samples else math.nan
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return f"- ({count(correct, n_samples)} samples)"
    if not item_mean(score, correct, n_samples):
        return f"{pct(score)} ({count(correct, n_samples)})"
    tally = count(correct, n_samples)
    return f"{pct(score)} (mean of {n_items} items; samples {tally} = {pct(ratio)})"


def sample_tally(score: float | None, correct: float, n_samples: int) -> str:
    """The count cell beside ``score``: ``286/480`` when the score is that ratio, otherwise the
    correct samples labelled with their own ratio, ``1093/5888 samples = 18.6%`` (the score
    being then the mean of per-item accuracies)."""
    ratio = correct / n_samples if n_samples else math.nan
    if n_samples and score is not None and pct(ratio) == pct(score):
        return count(correct, n_samples)
    return f"{count(correct, n_samples)} samples = {pct(ratio)}"


# Significance thresholds: a p-value that only rounds to one of them is printed with more
# digits, so ``0.049996`` (significant at q=0.05) never reads ``0.0500`` beside a mark that a
# printed ``0.0500`` would not justify to a reader of "p <= q" (nor ``0.050004`` the reverse).
P_THRESHOLDS = (0.001, 0.01, 0.05, 0.1)


P_FLOOR = 1e-4
"""The smallest p-value printed as a number: below it, ``<0.0001``."""


def pvalue(p: float | None) -> str:
    """A p-value (or BH-adjusted p / q-value) in one form everywhere: two significant digits
    (``0.031``, ``0.00020``, ``0.41``; trailing zeros kept, so every value shows two), and
    ``<0.0001`` below :data:`P_FLOOR`.

    A value whose two digits would read as a significance threshold (0.001, 0.01, 0.05, 0.1)
    without being it gets the fewest more digits that no longer do, which shows the side it
    falls on, since rounding keeps order and each threshold has one significant digit:

    >>> [pvalue(x) for x in (0.0312, 0.000976562, 0.0002, 0.000999001, 0.049996, 0.050004)]
    ['0.031', '0.00098', '0.00020', '0.000999', '0.049996', '0.050004']
    >>> [pvalue(x) for x in (0.05, 0.0099, 0.10004, 0.4056, 1.0, 0.00005, None)]
    ['0.050', '0.0099', '0.10004', '0.41', '1.0', '<0.0001', '-']
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "-"
    if p < P_FLOOR:
        return "<0.0001"
    for digits in range(2, 16):
        # p >= 1e-4, so "g" never switches to an exponent here; "#" keeps trailing zeros
        text = f"{p:#.{digits}g}"
        if p == float(text) or float(text) not in P_THRESHOLDS:
            return text
    return repr(p)


def run_pair(base: str, cand: str) -> str:
    """A base and candidate run as every surface heads their comparison (``capslice compare``,
    ``diagnose``, ``report`` and the app's compare and diagnose screens): base first, each
    named by its role, as the tables' ``base`` and ``cand`` columns read.

    >>> run_pair("bbh-cot", "bbh-direct")
    'base bbh-cot -> cand bbh-direct'
    """
    return f"base {base} -> cand {cand}"


def p_join(name: str, text: str) -> str:
    """A printed p-value (``text``) after its ``name``: the one way every sentence, verdict
    and evidence value joins them. ``name=text``, or ``name`` straight before a bound, whose
    sign says the relation (``p<0.0001``, a bootstrap floor ``p<0.001``, a BH bound
    ``p_adj<=0.0020``), never ``p=<0.001``. ``name=""`` gives what follows a name written
    by the caller (``=0.031``, ``<0.001``).

    >>> p_join("p", "0.031"), p_join("p_adj", "<=0.0020"), p_join("", "<0.001")
    ('p=0.031', 'p_adj<=0.0020', '<0.001')
    """
    return f"{name}{text}" if text.startswith("<") else f"{name}={text}"


def p_clause(p: float | None, name: str = "p", n_boot: int | None = 0) -> str:
    """A p-value (or q-value, ``name="q"``; ``name="p adj"``) in a sentence, as
    :func:`p_text` prints it (:func:`pvalue`, or ``<0.001`` for a paired-bootstrap p at its
    floor when ``n_boot`` is its B), joined by :func:`p_join`: ``p=0.031``, ``p<0.0001``,
    ``p=-`` when missing.

    >>> p_clause(0.03123), p_clause(1e-6, "q"), p_clause(1 / 1001, n_boot=1000)
    ('p=0.031', 'q<0.0001', 'p<0.001')
    """
    return p_join(name, p_text(p, n_boot))


def change_points(x: float | None, unit: str = " points") -> str:
    """A change (difference of two 0..1 fractions) in points that never reads as no change
    when it is not one: :func:`formatting.points` (one decimal) unless that rounds a non-zero
    change to ``0.0``; then two decimals (``+0.03``), or ``+<0.01`` / ``-<0.01`` below that.
    A change of exactly zero (after rounding to 12 decimals, as ``point_value`` does) reads
    ``+0.0``. None or NaN -> ``-``.

    >>> change_points(2 / 6511), change_points(-0.00004, ""), change_points(0.0)
    ('+0.03 points', '-<0.01', '+0.0 points')
    """
    shown = points(x, unit)
    if (
        x is None
        or (isinstance(x, float) and math.isnan(x))
        or point_value(x) != 0.0
        or round(float(x), 12) == 0.0
    ):
        return shown
    two = point_value(x, 2)
    if two:
        return points(x, unit, digits=2)
    return f"{'+' if x > 0 else '-'}<0.01{unit}"


def change_span(lo: float | None, hi: float | None) -> str:
    """A change's 95% interval in points with signed bounds, ``[+13.9, +25.0]``, or ``-`` when
    undefined; the figure or header before it names the unit. Each bound is a
    :func:`change_points`: a bound just below 0 reads ``-0.03`` (or ``-<0.01``), never
    ``+0.0``, so an interval that holds 0 never prints as one that excludes it.

    >>> change_span(-0.000327, 0.115), change_span(0.139, 0.25), change_span(None, 0.1)
    ('[-0.03, +11.5]', '[+13.9, +25.0]', '-')
    """
    if points(lo, "") == "-" or points(hi, "") == "-":
        return "-"
    return f"[{change_points(lo, '')}, {change_points(hi, '')}]"


def p_text(p: float | None, n_boot: int | None = 0) -> str:
    """A p-value as :func:`formatting.pvalue` prints it, except a paired-bootstrap p at its
    floor ``1/(B+1)`` (no resample as extreme as the observed change): the bootstrap cannot
    say more than ``p < 1/B``, so it reads ``<0.001`` for ``B = 1000`` wherever it is printed.
    ``n_boot``: the resamples B of the test (0 or None: not a bootstrap)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return pvalue(p)
    if n_boot and p * (n_boot + 1) <= 1 + 1e-9:
        return f"<{1 / n_boot:g}"
    return pvalue(p)


def p_adj_text(p_adjusted: float | None, p: float | None = None, n_boot: int | None = 0) -> str:
    """A Benjamini-Hochberg adjusted p as :func:`pvalue` prints it, except when the raw ``p``
    it was adjusted from is a paired-bootstrap p at its floor ``1/(B+1)`` (:func:`p_text`
    prints that one ``<0.001``): the true raw p is smaller, so the adjusted value (the floor
    times m/rank, e.g. 0.000999 x 4/2) is only an upper bound and reads ``<=0.0020``, not as an
    exact ``0.0020``. Adjusted values of raw ps above the floor are exact (BH's value for a
    larger p never uses a smaller one), so only these carry the bound. ``n_boot``: the
    resamples B of the test (0 or None: not a bootstrap, no bound).

    >>> p_adj_text(0.000999 * 2, 0.000999, 1000), p_adj_text(0.41, 0.2, 1000)
    ('<=0.0020', '0.41')
    """
    text = pvalue(p_adjusted)
    if p_adjusted is None or text.startswith("<") or text == "-":
        return text
    if p_text(p, n_boot).startswith("<") and p is not None and n_boot:
        return f"<={text}"
    return text


P_BOUND_NOTE = (
    "p adj <=x: adjusted from a bootstrap p at its floor 1/(B+1) (p printed <1/B: no resample "
    "as extreme as the change), so x is an upper bound, not an exact value"
)
"""The note under a table or detail that shows a :func:`p_adj_text` bound."""

PASS_AT_K_ESTIMATOR = "pass@k: unbiased estimator (Chen et al. 2021)"
"""The note, said once under an intervention outcome that shows pass@k (the CLI's outcome
table, the app's intervention detail): how pass@k is estimated from each item's n samples."""


def row_p_adj(row: Mapping[str, Any]) -> str:
    """:func:`p_adj_text` of a result row (a slice comparison, an intervention outcome's slice
    row or its ``pass_at_k`` entry): its ``p_adjusted``, ``p_value`` and ``n_boot``. A row
    without ``n_boot`` whose ``test`` is ``paired-bootstrap`` (an intervention outcome stored
    before rows carried it) counts as the default B (``analysis.metrics.N_BOOT``); any other
    row without it (a weakness slice's binomial test) is exact."""
    n_boot = row.get("n_boot")
    if n_boot is None:
        from .analysis.metrics import N_BOOT

        n_boot = N_BOOT if row.get("test") == "paired-bootstrap" else 0
    return p_adj_text(row.get("p_adjusted"), row.get("p_value"), int(n_boot))


def bound_notes(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """``[P_BOUND_NOTE]`` when any of ``rows`` (result rows: a comparison's, a diagnosis's
    slices) shows its p adj as a bound (:func:`row_p_adj`: ``<=0.0020``), else ``[]``: the
    note goes under every table or list that shows one."""
    return [P_BOUND_NOTE] if any(row_p_adj(r).startswith("<=") for r in rows) else []


def middle_cut(text: str, width: int | None) -> str:
    """``text`` cut to ``width`` characters in the middle (``minerva_math_algebra`` at 12 ->
    ``min…_algebra``), so names that share a prefix stay apart; unchanged when it fits."""
    if width is None or len(text) <= width:
        return text
    head = max(1, (width - 1) // 3)
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def distinct_cut(value: str, width: int, siblings: Iterable[str] = ()) -> str:
    """``value`` cut to ``width`` characters so it stays apart from ``siblings`` (the other
    values shown in the same column).

    Unchanged when it fits. Otherwise the end is cut (``logical_deduction`` at 9 ->
    ``logical_…``, the start being what a reader recognises), unless a sibling starts the same
    way: then the middle is cut (:func:`middle_cut`), keeping the tail that tells them apart
    (``counting_arithmetic`` beside ``counting_probability`` at 10 -> ``cou…hmetic``, not
    ``counting_…`` twice). A name of three words or more whose last two fit beside
    :data:`KEEP_HEAD` characters of its start keeps them (:func:`_variant_tail`,
    :func:`keep_cut`): ``logical_deduction_three_objects`` at 26 -> ``logical_…three_objects``,
    the variant its family's other names differ by, even when they are not shown beside it.
    A cut always shows ``…``.
    """
    if len(value) <= width:
        return value
    if width < 3:
        return shorten(value, width)
    head = value[: width - 1]
    if any(other != value and other.startswith(head) for other in siblings):
        return middle_cut(value, width)
    tail = _variant_tail(value)
    if tail and len(tail) + 1 + KEEP_HEAD <= width:
        return keep_cut(value, width, len(value) - len(tail), len(value))
    return head + "…"


def _variant_tail(value: str) -> str:
    """The last two words of a name of three or more (``three_objects`` of
    ``logical_deduction_three_objects``): where a family's variants differ (BBH's
    ``…_three_objects`` / ``…_five_objects``), so a name cut alone keeps them rather than
    ending in ``logical_deduction_three_o…`` or ``tracking_shuffled_objects…``, which leave
    the variant out. ``""`` for shorter names and for text with spaces (prose keeps its
    start)."""
    if " " in value:
        return ""
    ends = [i for i, c in enumerate(value) if c in _WORD_ENDS and 0 < i < len(value) - 1]
    if len(ends) < 2:
        return ""
    return value[ends[-2] + 1 :]


_WORD_ENDS = "-_/.: "
"""Characters that end a word of a name (``logical_deduction``, ``seed42-step11931``)."""


def _word_span(value: str, start: int, end: int, most: int) -> tuple[int, int]:
    """``start:end`` widened to whole words of ``value`` (``seed42``, not ``2``) while it
    spans fewer than ``most`` characters."""
    while start > 0 and value[start - 1] not in _WORD_ENDS and end - start < most:
        start -= 1
    while end < len(value) and value[end] not in _WORD_ENDS and end - start < most:
        end += 1
    return start, end


def _head(text: str, n: int) -> str:
    """The first ``n`` characters of ``text``, ended at a word end when that keeps at least
    half of them (``logical_deduc`` -> ``logical_``), so rows of one family read alike."""
    cut = text[:n]
    if n >= len(text) or text[n] in _WORD_ENDS:  # it ends a word already
        return cut
    at = max(cut.rfind(c) for c in _WORD_ENDS) + 1
    return cut[:at] if at > 0 and at * 2 >= n else cut


def _tail(text: str, n: int) -> str:
    """The last ``n`` characters of ``text``, started at a word start when that keeps at
    least half of them (``s_five_objects`` -> ``five_objects``)."""
    cut = text[len(text) - n :] if n > 0 else ""
    if n >= len(text) or text[len(text) - n - 1] in _WORD_ENDS:  # it starts a word already
        return cut
    at = min((i for i, c in enumerate(cut) if c in _WORD_ENDS), default=-1) + 1
    return cut[at:] if at > 0 and (len(cut) - at) * 2 >= n else cut


def keep_cut(value: str, width: int, start: int, end: int) -> str:
    """``value`` cut to ``width`` characters keeping ``value[start:end]`` (the part that tells
    it from a sibling) whole where it fits, with the end whole where it fits (the end of a
    name tells checkpoints and variants apart) and as much of the start as is left, each cut
    at a word end where that keeps half of it: ``logical_…five_objects``,
    ``olm…seed42…11931-hf``. Each cut shows ``…``; unchanged when it fits."""
    if len(value) <= width:
        return value
    start, end = _word_span(value, start, end, width - 6)
    middle = value[start:end]
    head, tail = value[:start], value[end:]
    avail = width - len(middle)
    if avail < 2:  # no room for a mark and one more character
        return middle_cut(value, width)
    if not head:
        return middle + "…" + _tail(tail, avail - 1)
    if not tail:  # the difference ends the name: after the start's first word, the words
        # just before it say what differs (…v3-step-049000, not demo-org/demo-1b-…049000)
        lead = _head(head, next((i + 1 for i, c in enumerate(head) if c in _WORD_ENDS), 0))
        before = (
            _tail(head[len(lead) :], avail - 1 - len(lead)) if 0 < len(lead) < avail // 2 else ""
        )
        if before:
            return lead + "…" + before + middle
        return _head(head, avail - 1) + "…" + middle
    if len(tail) + 2 <= avail:  # the end whole, the start cut
        return _head(head, avail - len(tail) - 1) + "…" + middle + tail
    if len(head) + 2 <= avail:  # the start whole, the end cut
        return head + middle + "…" + _tail(tail, avail - len(head) - 1)
    chars = avail - 2
    if chars < 2:
        return middle_cut(value, width)
    head_n = max(1, chars // 3)
    return _head(head, head_n) + "…" + middle + "…" + _tail(tail, chars - head_n)


def distinct_cuts(values: Sequence[str], width: int, *, middle: bool = False) -> list[str]:
    """``values`` (one column's names, in order) each cut to ``width`` characters so that
    different names stay different and each shows where it differs: the one cutter of the
    CLI's tables and the app's.

    Each is first cut as :func:`distinct_cut` cuts it (the end, or the middle where siblings
    share the start), or in the middle with ``middle`` (run names, whose end tells
    checkpoints apart; :func:`middle_cut`). A name that shares its start or its cut with
    others (``logical_deduction_five_objects`` beside ``…_seven_objects``; the ``seed42`` and
    ``seed43`` runs of one recipe) keeps instead the part where it differs whole, with its
    end (:func:`keep_cut`): ``logical_…five_objects``, ``olm…seed42…11931-hf``.
    """
    first = [middle_cut(v, width) if middle else distinct_cut(v, width, values) for v in values]
    cuts = list(first)
    for i, value in enumerate(values):
        if len(value) <= width:
            continue
        # the names it could be taken for: the same cut, or the same start as far as the cut
        # keeps it (``olmo2-7…d42-step11931-hf`` shows too little of ``seed42``)
        twins = [
            o
            for j, o in enumerate(values)
            if o != value
            and (first[j] == first[i] or len(os.path.commonprefix([value, o])) >= width // 3)
        ]
        if not twins:
            continue
        start = min(max(len(os.path.commonprefix([value, o])) for o in twins), len(value) - 1)
        end = len(value) - max(len(os.path.commonprefix([value[::-1], o[::-1]])) for o in twins)
        start, end = _word_span(value, start, max(end, start + 1), width - 6)
        if end - start > width - 2:
            continue
        kept = keep_cut(value, width, start, end)
        # a first cut apart from the others' and cut at its end stands where it shows the
        # difference (wiki_sci_knowl… beside wiki_history…) or where the kept one would
        # start less recognisably (c…knowledge_q3 for cc_sci_knowle…); logical_deduction_f…
        # gives way to logical_…five_objects
        apart = first.count(first[i]) == 1 and first[i].endswith("…")
        shows = value[start:end] in first[i]
        if not apart or (not shows and len(kept.split("…")[0]) >= min(KEEP_HEAD, start)):
            cuts[i] = kept
    return _separate(values, cuts, width)


def _separate(values: Sequence[str], cuts: list[str], width: int) -> list[str]:
    """``cuts`` with no two different ``values`` reading the same: a cut shared with a
    different name keeps instead where it differs from the names it reads like
    (:func:`keep_cut`). The twins :func:`distinct_cuts` weighs include names that merely
    share a long start, and a span drawn from all of them can miss the difference that
    matters: ``gsm/175b_verification`` and ``gsm/6b_verification`` both read
    ``gsm/…verification`` beside ``gsm/175b_finetuning``."""
    for i, value in enumerate(values):
        same = [o for j, o in enumerate(values) if o != value and cuts[j] == cuts[i]]
        if not same or len(value) <= width:
            continue
        start = min(max(len(os.path.commonprefix([value, o])) for o in same), len(value) - 1)
        end = len(value) - max(len(os.path.commonprefix([value[::-1], o[::-1]])) for o in same)
        start, end = _word_span(value, start, max(end, start + 1), width - 6)
        kept = keep_cut(value, width, start, end)
        if kept not in cuts:
            cuts[i] = kept
    return cuts


KEEP_HEAD = 6
"""Characters of a name's start a cut that keeps where names differ shows before preferring
it to a plain cut at the end (``logical…five_objects``, not ``c…knowledge_q3``)."""


RESPONSE_VIEWS = ("start", "after", "end")
"""What a response column shows of each response (:func:`response_cells`): its start; what
follows the start every response shares; its end."""


def response_cells(
    responses: Sequence[Any],
    width: int,
    view: str | None = None,
    tails: Sequence[Any] | None = None,
    shared: str | None = None,
    answers: Sequence[Any] | None = None,
) -> tuple[list[str], str, str]:
    """Model responses as one table column ``width`` characters wide, each on one line
    (:func:`shorten`); which of :data:`RESPONSE_VIEWS` they show; the start they all share.

    A response shows its start, unless two different responses would then read the same
    (BBH's CoT responses all begin ``Brackets are evaluated first, then not…``). Then the
    column shows whichever tells more rows apart (the start on a tie, then what follows it):
    each row's start; ``…`` and what follows the start all the responses share
    (``…not False and False or False. We work…``: the expression each evaluates); or ``…``
    and its end (``…So the answer is False.``), cut at a word start where that keeps half of
    it. Ends alone read alike when the responses follow one template (``…gives True. So the
    answer is True.`` on half the rows, the answer being in its own column); they tell
    apart responses that run on to different ends. ``view`` forces one way and ``shared`` the start left out (a
    page read later shows what the first did). ``tails``: each response's end where
    ``responses`` holds only its start (the store lists 200 characters and the last 120 of a
    longer response; None: the response is whole). Returns ``(cells, view, shared)``:
    ``shared`` is the start every non-empty response has, to a word end (``""`` for none, and
    for the ``start`` view), for the caller to say once. ``answers``: each row's extracted
    answer; where given, the starts are kept only when they show as many rows' answers as
    the ends do, and views that tell as many rows apart go to the one ending more cells with
    their row's answer (``…So the answer is False.``, not ``…So the answer is Fals…``).
    """
    lines = [shorten(r, 10**9) for r in responses]
    starts = [shorten(line, width) for line in lines]
    # a listed start and its listed end tell two responses apart, a start alone may not
    whole = [
        shorten(t, 10**9) if t else line for t, line in zip(tails or lines, lines, strict=True)
    ]
    ends = [line if len(line) <= width else "…" + _tail(line, width - 1) for line in whole]
    shown = answers or [None] * len(lines)
    if (
        view is None
        and _rows_apart(starts, lines, whole)
        and _answers_shown(starts, shown) >= _answers_shown(ends, shown)
    ):
        view = "start"
    if view == "start":
        return starts, "start", ""
    if shared is None:
        prefix = os.path.commonprefix([line for line in lines if line])
        shared = prefix[: max(prefix.rfind(c) for c in " ,.;:") + 1].rstrip(" ,.;:")
    after = [_after_start(line, shared, width) for line in lines]
    if view is None:  # the most rows told apart; on a tie more answers shown, the earlier view
        told = {"start": starts, "after": after if shared else starts, "end": ends}
        view = max(
            RESPONSE_VIEWS,
            key=lambda v: (
                len(set(told[v])),
                _answers_shown(told[v], shown),
                -RESPONSE_VIEWS.index(v),
            ),
        )
    if view == "start":
        return starts, "start", ""
    return (after, "after", shared) if view == "after" else (ends, "end", shared)


def _answers_shown(cells: Sequence[str], answers: Sequence[Any]) -> int:
    """How many of ``cells`` end with their row's answer (``answers``: extracted answers,
    None or blank for none; trailing ``.``, ``!`` and quotes after it allowed)."""
    count = 0
    for cell_text, answer in zip(cells, answers, strict=True):
        want = "" if answer is None else " ".join(str(answer).split()).rstrip(".")
        if want and cell_text.rstrip(" .!'\"").endswith(want):
            count += 1
    return count


def _rows_apart(cells: Sequence[str], lines: Sequence[str], whole: Sequence[str]) -> bool:
    """Whether no two different responses (listed start ``lines``, listed end ``whole``)
    read the same in ``cells``."""
    seen: dict[str, tuple[str, str]] = {}
    return all(
        seen.setdefault(c, (line, end)) == (line, end)
        for c, line, end in zip(cells, lines, whole, strict=True)
    )


def _after_start(line: str, shared: str, width: int) -> str:
    """``line`` (one response on one line) as ``…`` and what follows ``shared`` (the start
    every response has), cut to ``width`` (:func:`shorten`); its start when it lacks
    ``shared`` or has nothing after it."""
    rest = line[len(shared) :].lstrip(" ,.;:") if shared and line.startswith(shared) else ""
    return shorten("…" + rest, width) if rest else shorten(line, width)


_PREFIX_END = "_-/.: "
"""Characters a shared prefix left out of a column's names must end with (whole words)."""


def shared_prefix(values: Sequence[str]) -> str:
    """The prefix, ending in one of ``_-/.:`` or a space, that the longer of ``values`` share
    (``bbh_cot_fewshot_`` of BBH task names; ``demo-org/demo-1b-`` of checkpoint models);
    ``""`` when fewer than two share one of 4+ characters, or a value would be left empty."""
    long = sorted({v for v in values if len(v) > 4})
    if len(long) < 2:
        return ""
    prefix = os.path.commonprefix(long)
    cut = max(prefix.rfind(c) for c in _PREFIX_END) + 1
    prefix = prefix[:cut]
    if len(prefix) < 4 or any(v == prefix for v in values):
        return ""
    return prefix


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: Any) -> str:
    """``str(text)`` with control characters other than newline and tab written as escapes
    (``"\\x1b[31m"`` for ESC ``[31m``), so model output never drives the terminal."""
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def shorten(text: Any, width: int) -> str:
    """``text`` on one line (whitespace runs collapsed), cut to ``width`` characters with
    ``…`` as the last one when longer; ``None`` gives ``""``."""
    s = "" if text is None else " ".join(str(text).split())
    return s if len(s) <= width else s[: max(width - 1, 0)] + "…"


def utc_minute(value: Any) -> str:
    """An ISO timestamp (``2026-12-01T00:36:15+00:00``; an offset is turned into UTC, a stamp
    without one read as UTC) as ``2026-12-01 00:36``, for tables that say "UTC" once; any
    other value as ``str`` (``None``: ``-``)."""
    from datetime import datetime, timezone

    if value is None:
        return "-"
    text = str(value)
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if len(text) < 16 or text[4] != "-":  # a bare number or date is not a timestamp
        return text
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(timezone.utc)
    return stamp.strftime("%Y-%m-%d %H:%M")


def extracted_label(score_source: str | None) -> str:
    """The label of a sample's ``extracted`` answer in its detail view (CLI ``sample``, the
    app's sample screen): ``extracted (harness)`` when the harness scored the sample
    (``score_source`` ``harness``); otherwise plain ``extracted``: the log's extracted answer
    where it logged one, else capslice's strict extraction, which scored it
    (``workspace.rescore.score_sample``; the store does not keep which, so the label claims
    no source; the score source line beside it says who scored)."""
    return "extracted (harness)" if score_source == "harness" else "extracted"


def agree(n: Any, one: str, many: str) -> str:
    """The verb phrase ``one`` (``restates an existing label``) for a count of 1, else
    ``many`` (``restate existing labels``): a counted note's verb agrees with its number, as
    :func:`plural` words the noun.

    >>> agree(1, "holds", "hold"), agree(3, "holds", "hold"), agree(0, "has", "have")
    ('holds', 'hold', 'have')
    """
    return one if n == 1 else many


def ingest_run_lines(
    runs: Mapping[str, int], kept: Mapping[str, int], n_read: int, fmt: str
) -> list[str]:
    """The ingest's line per run (CLI ``ingest``, the app's ingest form): samples newly
    stored, sample records read, and the records kept where that differs (a repeat counted
    once, a NaN score left out, rows of another system): ``r: 2 new samples (4 read, 2 kept,
    format lm-eval)``. ``runs``: run -> new samples; ``kept``: run -> records kept for it;
    ``n_read``: records read in all (with several runs, read once and shared among them, so
    each run's line says what it kept and one line says what was read)."""
    several = len(runs) > 1
    lines = []
    for name, n_new in runs.items():
        k = kept.get(name, n_read)
        counts = (
            f"{k} kept" if several else f"{n_read} read" + (f", {k} kept" if k != n_read else "")
        )
        lines.append(f"{name}: {plural(n_new, 'new sample')} ({counts}, format {fmt})")
    if several:
        lines.append(f"{plural(n_read, 'sample record')} read for {plural(len(runs), 'run')}")
    return lines


def ingest_scored_lines(
    runs: Mapping[str, int], kept: Mapping[str, int], n_read: int, n_scored: int
) -> list[str]:
    """What an ingest stored and scored, after :func:`ingest_run_lines` (CLI ``ingest``, the
    app's ingest form; same arguments, plus ``n_scored``: the samples read whose log carried
    no correctness, scored by capslice's strict extraction as they were read).

    A re-ingest that stores nothing says so, and that nothing was scored into the store
    (walk 9 #41: ``0 new samples`` was followed by ``scored by ...: 6511 samples``); when
    some of the scored samples were already stored, their stored score is said to stay.
    Empty when nothing was kept and nothing scored (the bad lines say why)."""
    n_new = sum(runs.values())
    n_kept = sum(kept.get(name, n_read) for name in runs)
    if n_new == 0:
        if n_kept == 0:
            return []
        return [
            f"nothing stored: every sample read is already in the "
            f"{'run' if len(runs) == 1 else 'runs'}"
            + ("; nothing scored (the stored samples keep their scores)" if n_scored else "")
        ]
    if not n_scored:
        return []
    line = (
        f"scored by capslice's strict extraction: {plural(n_scored, 'sample')} whose log "
        "carried no correctness"
    )
    if n_scored > n_new:  # some were already stored: only the new ones were written
        line += (
            f" (as read; {plural(n_new, 'new sample')} stored, the samples already in the run"
            " keep their stored scores)"
        )
    return [line]
