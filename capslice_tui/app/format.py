"""Text formatting for the app's tables (plain text, never markup); the numbers (``pct``,
``points``, ``count``, ``interval``, ``pvalue``) are :mod:`capslice_tui.formatting`'s, re-exported.

Tables get ``rich.text.Text`` cells built here, so model output such as ``[bold]`` shows as
typed and numbers read the same with or without colour.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

from rich.text import Text

# Numbers read as the CLI and the Markdown report print them: one module formats them all.
from ..formatting import count as count
from ..formatting import distinct_cuts as distinct_cuts
from ..formatting import interval as interval
from ..formatting import keep_cut as keep_cut
from ..formatting import pct as pct
from ..formatting import points as points
from ..formatting import pvalue as pvalue
from ..formatting import shorten, visible
from ..vocabulary import label as join_slice

BAR_CHAR = "█"


def short(value: Any, width: int) -> str:
    """One line of ``value`` cut to ``width`` characters with ``…`` when cut
    (:func:`capslice_tui.formatting.shorten`)."""
    return shorten(value, width)


def first_column_room(
    labels: list[str],
    rows: list[list[str]],
    width: int,
    least: int = 18,
    *,
    scrollbar: bool = True,
) -> int:
    """Characters left for the first column of a ``width``-column ``ResultTable``.

    ``labels``: the column headers; ``rows``: each row's cells as strings (same order).
    Every other column keeps its widest cell (or header); each column costs 2 more for the
    table's cell padding and 2 go to the vertical scrollbar (``scrollbar=False``: the rows
    fit the table's height, so there is none and the names get its room). Never less than
    ``least``.
    """
    others = 0
    for i, label in enumerate(labels[1:], start=1):
        others += max([len(label), *(len(r[i]) for r in rows)]) + 2
    return max(least, width - others - 2 - (2 if scrollbar else 0))


def fit_names(names: Sequence[str], room: int, *, middle: bool = True) -> list[str]:
    """``names`` (run names shown on one line) cut so that together they take at most
    ``room`` characters and stay apart (:func:`distinct_cuts`).

    Every name gets the same width ``w``, the largest for which the names' lengths capped
    at ``w`` add up to ``room``: short names stay whole and leave their room to long ones.
    Each name keeps at least 6 characters (the line is then wider than ``room``).
    """
    if sum(map(len, names)) <= room:
        return list(names)
    width = 6
    while sum(min(len(n), width + 1) for n in names) <= room:
        width += 1
    return distinct_cuts(names, width, middle=middle)


def cell(value: Any, width: int | None = None, style: str = "") -> Text:
    """A table cell as ``Text`` (never parsed as markup; control characters shown as escapes,
    :func:`capslice_tui.formatting.visible`), optionally cut to ``width``. One line; where
    its column or line is narrower than it, it ends in ``…`` (never cropped without a mark)."""
    text = "" if value is None else visible(value)
    if width is not None:
        text = short(text, width)
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


def verdict_mark(score: float | None) -> str:
    """``✓ ok`` for a positive score, ``✗ no`` for zero, ``-`` when unknown."""
    if score is None:
        return "-"
    return "✓ ok" if score > 0 else "✗ no"


def bar(fraction: float, width: int, char: str = BAR_CHAR) -> str:
    """A bar of ``round(fraction * width)`` characters, fraction clamped to [0, 1]."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return ""
    return char * int(round(max(0.0, min(1.0, fraction)) * width))


def short_task(task: str) -> str:
    """A task name without its benchmark prefix (``bbh_cot_fewshot_navigate`` -> ``navigate``)."""
    for prefix in ("bbh_cot_fewshot_", "bbh_cot_zeroshot_", "bbh_", "minerva_math_", "mmlu_"):
        if task.startswith(prefix):
            return task[len(prefix) :]
    return task


def slice_label(key: dict[str, Any]) -> str:
    """A slice key ``{axis: value}`` as ``value & value``; task names lose their prefix."""
    shown = ((g, short_task(str(v)) if g == "task" else str(v)) for g, v in key.items())
    return join_slice(shown, values_only=True)


def slice_parts(key: dict[str, Any]) -> list[str]:
    """The values :func:`slice_label` joins, in order (for :func:`fit_parts`)."""
    return [short_task(str(v)) if g == "task" else str(v) for g, v in key.items()]


def fit_parts(
    parts: list[str],
    width: int,
    sep: str = " & ",
    siblings: Sequence[Sequence[str]] = (),
) -> str:
    """Join ``parts`` with ``sep`` in at most ``width`` characters, cutting the longest parts.

    Short parts keep their full text; the room they leave goes to the long ones, each cut
    with ``…`` so every part stays recognisable: its start (``self_contained & logical_d…``
    and ``self_contained & logical_f…`` stay apart), or, when ``siblings`` (the parts of the
    other rows shown, position by position) hold a value that starts the same way, the part
    where it differs with its end (``logical_deduction_five_objects`` beside
    ``…_seven_objects`` -> ``logical_…five_objects``; the CLI's cutter,
    :func:`capslice_tui.formatting.distinct_cuts`). Falls back to
    :func:`short` when even one character per part does not fit.

    With ``siblings``, a cut that would end inside a word (``commonsen… & knowledge_…``)
    gives way to cuts after whole words (``commonsense… & knowledge…``, :func:`word_cuts`),
    each kept only where no sibling value of its position starts the same way; when even
    the first words do not fit, the cuts above stand. Without siblings a word cut could read
    like a value not shown (``logical…``), so the cuts above stand.
    """
    joined = sep.join(parts)
    if len(joined) <= width or not parts:
        return joined
    room = width - len(sep) * (len(parts) - 1)
    if room < 2 * len(parts):
        return short(joined, width)
    budget = {i: len(p) for i, p in enumerate(parts)}
    while sum(budget.values()) > room:
        longest = max(budget, key=lambda i: budget[i])
        budget[longest] -= 1
    column = [[row[i] for row in siblings if len(row) > i] for i in range(len(parts))]
    cuts = [
        distinct_cuts([p, *(o for o in column[i] if o != p)], budget[i])[0]
        for i, p in enumerate(parts)
    ]
    if not siblings or all(_at_word_ends(c, p) for c, p in zip(cuts, parts, strict=True)):
        return sep.join(cuts)
    words = word_cuts(parts, room, column)
    return sep.join(words if words is not None else cuts)


_WORD_ENDS = "-_/.: "
"""Characters that end a word of a value (``commonsense_judgement``: two words)."""


def _at_word_ends(cut: str, value: str) -> bool:
    """Whether each ``…`` of ``cut`` (``value`` cut) stands between whole words of ``value``:
    ``logical_…three_objects`` and ``commonsense…`` do, ``commonsen…`` does not."""
    if cut == value:
        return True
    pieces = cut.split("…")
    head, tail = pieces[0], pieces[-1]
    ends = len(head) >= len(value) or not head or head[-1] in _WORD_ENDS
    ends = ends or value[len(head)] in _WORD_ENDS
    starts = not tail or tail[0] in _WORD_ENDS or value[-len(tail) - 1] in _WORD_ENDS
    return value.startswith(head) and value.endswith(tail) and ends and starts


def word_cuts(parts: list[str], room: int, column: list[list[str]]) -> list[str] | None:
    """``parts`` each cut between whole words with ``…``, keeping its first words
    (``commonsense_judgement`` -> ``commonsense…``, never ``commonsen…``) or, shorter, its
    last ones (``…judgement``), so that together they take at most ``room`` characters: the
    longest part gives way first, then parts grow back where room is left. A cut that another
    value of its position (``column[i]``, the other rows') also starts (or ends) with is not
    used. None when even each part's shortest such cut does not fit."""
    options: list[list[str]] = []
    for i, part in enumerate(parts):
        ends = [k for k, c in enumerate(part) if c in _WORD_ENDS and 0 < k < len(part) - 1]
        others = [o for o in column[i] if o != part]
        heads = {part[:k].rstrip(_WORD_ENDS) for k in ends}
        tails = {part[k + 1 :].lstrip(_WORD_ENDS) for k in ends}
        starts = sorted(
            {h + "…" for h in heads if h and not any(o.startswith(h) for o in others)},
            key=len,
            reverse=True,
        )
        # the last words only where they are shorter than every cut keeping the first ones
        least = min(map(len, starts), default=len(part))
        last = {"…" + t for t in tails if t and not any(o.endswith(t) for o in others)}
        options.append([part, *starts, *sorted((t for t in last if len(t) < least), key=len,
                                                reverse=True)])  # fmt: skip
    pick = [0] * len(parts)

    def total() -> int:
        return sum(len(options[i][pick[i]]) for i in range(len(parts)))

    while total() > room:
        shrinkable = [i for i in range(len(parts)) if pick[i] + 1 < len(options[i])]
        if not shrinkable:
            return None
        longest = max(shrinkable, key=lambda i: len(options[i][pick[i]]))
        pick[longest] += 1
    for i in range(len(parts)):  # give back what the last cuts did not need
        while pick[i] and total() - len(options[i][pick[i]]) + len(options[i][pick[i] - 1]) <= room:
            pick[i] -= 1
    return [options[i][pick[i]] for i in range(len(parts))]


def fold_parts(text: str, width: int, sep: str = " · ") -> str:
    """``text`` broken into lines of at most ``width`` characters between its
    ``sep``-separated parts (a status line's figures and keys), so a part (``runaway 31``,
    ``s/S sort``) is never split over two lines; a part longer than ``width`` gets a line of
    its own, which the widget wraps at spaces. Lines already in ``text`` are kept."""
    out: list[str] = []
    for line in text.split("\n"):
        folded: list[str] = []
        for part in line.split(sep):
            if folded and len(folded[-1]) + len(sep) + len(part) <= width:
                folded[-1] += sep + part
            else:
                folded.append(part)
        out += folded
    return "\n".join(out)


def warning_mark(warning: str | None, n_items: int | None = None) -> str:
    """Short text marker for a slice warning: ``n<20`` for small slices, else ``warn``."""
    if not warning:
        return ""
    if n_items is not None and n_items < 20:
        return f"n<{20 if n_items >= 10 else 10}"
    return "warn"


def split_terms(terms: list[str]) -> tuple[list[str], list[str]]:
    """Discovery terms split into (question words, response words); ``q:`` prefix dropped."""
    question = [t[2:] for t in terms if t.startswith("q:")]
    response = [t for t in terms if not t.startswith("q:")]
    return question, response


def sample_name(row: dict[str, Any]) -> str:
    """A sample as the tables show it: ``navigate doc 0 #3`` (task without its prefix,
    ``doc_id``, ``sample_idx``), not the store's internal id."""
    return f"{short_task(str(row.get('task') or '?'))} doc {row.get('doc_id')} #{row.get('sample_idx')}"


class Hanging:
    """Rows of plain text wrapped, when drawn, to the width they are drawn at, each row's
    continuation lines under its body rather than at column 0 (a hanging indent), so a
    description, a field's value or a list item reads as one block at any terminal width and
    re-wraps when the terminal is resized (a Rich renderable: Textual draws it again at the
    new width).

    ``rows``: ``(head, body)`` or ``(head, body, head_style)``; the body's own line breaks are
    kept, each line wrapped at spaces (a word longer than the room is broken), its
    continuation indented by ``len(head)`` columns, or by ``indent`` when given (a list item
    whose head is ``"  - "``). ``margin``: columns left blank at the right (one before a
    scrollbar). Below :data:`HANGING_LEAST` columns for the body, continuation lines start
    at column 2 instead. Never markup: the text is drawn as typed.
    """

    def __init__(
        self,
        rows: Sequence[tuple[str, str] | tuple[str, str, str]],
        *,
        indent: int | None = None,
        margin: int = 1,
    ) -> None:
        self.rows = [(r[0], r[1], r[2] if len(r) > 2 else "") for r in rows]
        self.indent = indent
        self.margin = margin

    def lines(self, width: int) -> Text:
        """The rows wrapped to ``width`` columns, as one plain ``Text`` (lines joined)."""
        out = Text(no_wrap=True, overflow="fold")
        room = max(1, width - self.margin)
        for k, (head, body, style) in enumerate(self.rows):
            indent = len(head) if self.indent is None else self.indent
            if room - indent < HANGING_LEAST:
                indent = min(indent, 2)
            pieces: list[str] = []
            for n, para in enumerate(body.split("\n") or [""]):
                first = head if n == 0 else " " * indent
                pieces += textwrap.wrap(
                    para,
                    width=max(room, len(first) + 1),
                    initial_indent=first,
                    subsequent_indent=" " * indent,
                    break_on_hyphens=False,
                    drop_whitespace=True,
                ) or [first.rstrip()]
            if k:
                out.append("\n")
            if style and pieces[0].startswith(head):
                out.append(head, style=style)
                out.append(pieces[0][len(head) :])
            else:
                out.append(pieces[0])
            for piece in pieces[1:]:
                out.append("\n" + piece)
        return out

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield self.lines(options.max_width)

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        longest = max(
            (len(h) + len(line) for h, b, _ in self.rows for line in b.split("\n")), default=1
        )
        return Measurement(min(longest, HANGING_LEAST), longest + self.margin)


HANGING_LEAST = 20
"""Columns a :class:`Hanging` body needs beside its indent; with fewer it indents by 2."""
