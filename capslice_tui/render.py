"""Render listings as a terminal table, Markdown or JSON (the CLI's ``--format``).

Tables are plain text that reads without colour; JSON goes to stdout alone so scripts can pipe
it. Percentages always come with counts beside them (``53.2% (133/250)``).

Text is shown verbatim: every cell, header, title and note is handed to Rich as a ``Text``
(never parsed as console markup or emoji codes), so a run named ``llama2[chat]`` or a response
holding ``[/INST]``, ``[bold]`` or ``:smile:`` prints as written. Control characters in user
text (an escape sequence in a model's output) are shown as ``\x1b``-style escapes
(:func:`visible`) instead of being sent to the terminal.
"""

from __future__ import annotations

import io
import math
import re
import sys
from collections.abc import Sequence
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .vocabulary import AVERAGES as AVERAGES

FORMATS = ("table", "json", "md")

# How a score over several tasks weighs them (capslice_tui.vocabulary.AVERAGES); every roll-up
# names the one it uses.
AVERAGE_MEANING: dict[str, str] = {
    "micro": "micro mean: pooled over items, every item weighs the same",
    "macro": "macro mean: unweighted mean of the task scores, every task weighs the same",
}


def pct(value: float | None, digits: int = 1) -> str:
    """``0.532`` -> ``53.2%``; None or NaN -> ``-``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{100 * value:.{digits}f}%"


def interval(lo: float | None, hi: float | None) -> str:
    """``[45.8, 58.1]`` in percent, or ``-`` when undefined."""
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return "-"
    return f"[{100 * lo:.1f}, {100 * hi:.1f}]"


def count(correct: float, total: int) -> str:
    """``133/250``; fractional sums keep one decimal."""
    c = f"{correct:.0f}" if float(correct).is_integer() else f"{correct:.1f}"
    return f"{c}/{total}"


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
    if n_samples and pct(ratio) == pct(score):
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


def pvalue(p: float | None) -> str:
    """p-values with enough digits to check, ``<1e-4`` below that.

    Four decimals (``0.0312``), except a value that rounds to a significance threshold
    (0.001, 0.01, 0.05, 0.1) without being it: that one keeps six significant digits, so
    the side of the threshold it falls on shows (``0.049996``, ``0.050004``; ``0.0500`` only
    for 0.05 itself)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "-"
    if p < 1e-4:
        return "<1e-4"
    text = f"{p:.4f}"
    if p != float(text) and float(text) in P_THRESHOLDS:
        return f"{p:.6g}" if abs(p - float(text)) >= 5e-7 else f"{p:.9f}".rstrip("0")
    return text


def emit_json(payload: Any) -> None:
    """Write JSON to stdout and nothing else (NaN becomes null)."""
    sys.stdout.buffer.write(
        orjson.dumps(_clean(payload), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    )
    sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "to_dict"):
        return _clean(value.to_dict())
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    return value


def emit_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: str,
    *,
    title: str | None = None,
    notes: Sequence[str] = (),
    payload: Any = None,
) -> None:
    """Print rows as a text table (``table``), a Markdown table (``md``) or ``payload`` as JSON.

    Args:
        payload: what ``--format json`` prints; defaults to a list of header -> cell dicts.
    """
    if fmt == "json":
        emit_json(
            payload if payload is not None else [dict(zip(headers, r, strict=False)) for r in rows]
        )
        return
    if fmt == "md":
        lines = []
        if title:
            lines += [f"### {title}", ""]
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "|".join("---" for _ in headers) + "|")
        for r in rows:
            lines.append("| " + " | ".join(visible(c).replace("|", "\\|") for c in r) + " |")
        if notes:
            lines.append("")
            lines += [f"- {n}" for n in notes]
        print("\n".join(lines))
        return
    console = plain_console()
    if not rows:
        console.print(Text(f"{title}: nothing to show" if title else "nothing to show"))
        for n in notes:
            console.print(Text(n))
        return
    table = Table(
        title=None if title is None else Text(title),
        show_lines=False,
        header_style="bold",
        box=None,
        pad_edge=False,
    )
    widths = [max([len(h)] + [len(str(r[i])) for r in rows]) for i, h in enumerate(headers)]
    text = [not all(_is_figure(r[i]) for r in rows) for i in range(len(headers))]
    caps = fit_widths(widths, text, console.width)
    for i, h in enumerate(headers):
        last = i == len(headers) - 1
        # figures never shrink; in a terminal too narrow for the table, long text columns
        # (names, models, modes) give way with an ellipsis and the last column folds
        least = caps[i] if caps[i] is not None else min(widths[i], 40)
        table.add_column(Text(h), no_wrap=not last, min_width=None if last else least,
                         max_width=None if last else caps[i],
                         overflow="fold" if last else "ellipsis")  # fmt: skip
    for r in rows:
        table.add_row(*[Text(middle_cut(visible(c), caps[i])) for i, c in enumerate(r)])
    # figures alone wider than the terminal: cut at the right edge, never drop a column
    # from the middle (Rich would, silently)
    others = sum(c or w for c, w in zip(caps[:-1], widths[:-1], strict=True)) + 2 * (
        len(headers) - 1
    )
    needed = others + min(widths[-1], 2 * SQUEEZED_WIDTH)  # the last column folds
    room = console.width - others
    if needed > console.width and room >= min(widths[-1], MIN_SQUEEZED_WIDTH):
        # the last column folds into what is left rather than being cut at the edge
        table.columns[-1].max_width = room
        needed = console.width
    if needed > console.width:
        if title is not None:
            console.print(Text(title))
            table.title = None
        wide = Console(file=io.StringIO(), width=needed, highlight=False, markup=False,
                       emoji=False, soft_wrap=False, color_system=None)  # fmt: skip
        wide.print(table)
        for line in wide.file.getvalue().splitlines():  # type: ignore[attr-defined]
            console.print(Text(line.rstrip()[: console.width]))
        notes = [
            f"table cut at the terminal's right edge ({console.width} of {needed} columns): "
            "--format md or json shows all of it",
            *notes,
        ]
    else:
        console.print(table)
    for n in notes:
        console.print(Text(n))


SQUEEZED_WIDTH = 12
"""Narrowest a long text column of a table becomes in a terminal too narrow for the table."""
MIN_SQUEEZED_WIDTH = 8
"""Narrowest such a column becomes when the figures of the table leave less room."""

_FIGURE_RE = re.compile(r"[-+\d.,%/()\[\]\s<>e*]*")


def _is_figure(value: Any) -> bool:
    """Whether a cell holds only a figure (``64.6% (31/48)``, ``[50.4, 76.6]``, ``<1e-4``)."""
    return _FIGURE_RE.fullmatch(visible(value)) is not None


def fit_widths(widths: Sequence[int], text: Sequence[bool], width: int) -> list[int | None]:
    """Column width caps that make a table fit ``width`` terminal columns (None: no cap).

    Only text columns wider than :data:`SQUEEZED_WIDTH` other than the last are capped, each
    at no less than :data:`SQUEEZED_WIDTH` (:data:`MIN_SQUEEZED_WIDTH` when the figures leave
    less); the last column keeps up to twice that (it folds). Columns are 2 apart. A table
    that fits gets no caps; one that figures alone make too wide gets every text column at
    the floor (``emit_table`` then cuts it at the right edge).
    """
    n = len(widths)
    caps: list[int | None] = [None] * n
    if n < 2 or sum(widths) + 2 * (n - 1) <= width:
        return caps
    movable = [i for i in range(n - 1) if text[i] and widths[i] > SQUEEZED_WIDTH]
    last_room = min(widths[-1], 2 * SQUEEZED_WIDTH)
    fixed = sum(widths[i] for i in range(n - 1) if i not in movable)
    budget = width - 2 * (n - 1) - fixed - last_room
    # a floor of SQUEEZED_WIDTH, down to MIN_SQUEEZED_WIDTH when the figures leave less
    floor = max(MIN_SQUEEZED_WIDTH, min(SQUEEZED_WIDTH, budget // max(len(movable), 1)))
    floors = dict.fromkeys(movable, floor)
    if not movable or budget < sum(floors.values()):
        budget = max(budget, sum(floors.values()))
    remaining = sorted(movable, key=lambda i: widths[i])
    while remaining:
        share = budget // len(remaining)
        i = remaining.pop(0)
        cap = max(floors[i], min(widths[i], share))
        caps[i] = cap
        budget -= cap
    return caps


def middle_cut(text: str, width: int | None) -> str:
    """``text`` cut to ``width`` characters in the middle (``minerva_math_algebra`` at 12 ->
    ``min…_algebra``), so names that share a prefix stay apart; unchanged when it fits."""
    if width is None or len(text) <= width:
        return text
    head = max(1, (width - 1) // 3)
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def plain_console() -> Console:
    """A stdout console that prints text as given: no markup, emoji codes or highlighting;
    240 columns when stdout is not a terminal (so piped tables are not cut)."""
    return Console(
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
        width=None if sys.stdout.isatty() else 240,
    )


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: Any) -> str:
    """``str(text)`` with control characters other than newline and tab written as escapes
    (``"\\x1b[31m"`` for ESC ``[31m``), so model output never drives the terminal."""
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def shorten(text: Any, width: int) -> str:
    """``text`` on one line (whitespace runs collapsed), cut to ``width`` characters with
    ``…`` as the last one when longer; ``None`` gives ``""``."""
    s = "" if text is None else " ".join(str(text).split())
    return s if len(s) <= width else s[: width - 1] + "…"
