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

from ..formatting import middle_cut, visible

FORMATS = ("table", "json", "md")


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
    whole: Sequence[str] = (),
) -> None:
    """Print rows as a text table (``table``), a Markdown table (``md``) or ``payload`` as JSON.

    Args:
        payload: what ``--format json`` prints; defaults to a list of header -> cell dicts.
        whole: headers of columns never shortened in a narrow terminal, as figures (a
            text bar whose length is its value).
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
    text = [
        h not in whole and not all(_is_figure(r[i]) for r in rows) for i, h in enumerate(headers)
    ]
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
