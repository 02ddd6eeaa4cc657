"""Render listings as a terminal table, Markdown or JSON (the CLI's ``--format``).

Tables are plain text that reads without colour; JSON goes to stdout alone so scripts can pipe
it. Percentages always come with counts beside them (``53.2% (133/250)``).

Text is shown verbatim: every cell, header, title and note is handed to Rich as a ``Text``
(never parsed as console markup or emoji codes), so a run named ``llama2[chat]`` or a response
holding ``[/INST]``, ``[bold]`` or ``:smile:`` prints as written. Control characters in user
text (an escape sequence in a model's output) are shown as ``\x1b``-style escapes
(:func:`visible`) instead of being sent to the terminal.

A terminal table never cuts a figure or a run name: only name-like text is cut (``…``, at one
place, never at both ends), names of one column stay apart, a prefix every name of a column
shares (``bbh_cot_fewshot_``) is left out of them with a note saying so, no cut ends inside a
number, and columns that cannot fit are left out whole with a note naming them. Piped output
is fitted to ``$COLUMNS`` when set. Markdown and JSON are never shortened.
"""

from __future__ import annotations

import io
import math
import os
import re
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..formatting import ascii_console, distinct_cuts, shared_prefix, to_ascii, visible
from ..vocabulary import label as slice_label

if TYPE_CHECKING:  # Rich loads when a table is printed, not at start-up (issue 14)
    from rich.console import Console

FORMATS = ("table", "json", "md")


class _QuietPipe(io.RawIOBase):
    """A writer of file descriptor ``fd`` that never raises for a reader that has gone:
    on the first ``BrokenPipeError`` (EPIPE: ``capslice runs | head -1`` once ``head``
    exits) ``/dev/null`` takes over the descriptor, so this and every later write (click,
    Rich, ``sys.stdout.buffer``, Python's flush at exit) succeeds and is dropped."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: Any) -> int:
        try:
            return os.write(self._fd, data)
        except BrokenPipeError:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._fd)
            os.close(null)
            return len(memoryview(data).cast("B"))


def quiet_broken_pipe() -> None:
    """Make the process's stdout and stderr (when they are its own, not a test runner's, and
    not a terminal) drop output whose reader has gone instead of raising (:class:`_QuietPipe`).

    Unix tools die of SIGPIPE (status 141, which ``set -o pipefail`` reads as a failure) and
    click exits 1 on EPIPE (which a CI gate reads as an error); here the command runs to its
    end and exits with its own status: 0, or ``diagnose --fail-on``'s 3/4/5 when the
    condition holds, so ``capslice diagnose A B --fail-on regression | head -1`` still gates.
    No message, no traceback."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or stream is not getattr(sys, f"__{name}__"):
            continue
        try:
            fd = stream.fileno()
        except (OSError, ValueError):
            continue
        if os.isatty(fd):
            continue
        stream.flush()
        wrapped = io.TextIOWrapper(
            io.BufferedWriter(_QuietPipe(fd)),
            encoding=stream.encoding,
            errors=stream.errors,
            line_buffering=stream.line_buffering,
            write_through=getattr(stream, "write_through", False),
        )
        setattr(sys, name, wrapped)


def emit_json(payload: Any) -> None:
    """Write JSON to stdout and nothing else (NaN becomes null)."""
    import orjson  # with the json module it loads, ~4 ms a table does not need

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
    expendable: Sequence[str] = (),
    keep: Sequence[str] = (),
    own_line: str | None = None,
    wrap: Sequence[str] = (),
    once: Sequence[str] = (),
) -> None:
    """Print rows as a text table (``table``), a Markdown table (``md``) or ``payload`` as JSON.

    Args:
        payload: what ``--format json`` prints; defaults to a list of header -> cell dicts.
        whole: headers of columns never shortened in a narrow terminal, as figures (a
            text bar whose length is its value).
        expendable: headers of columns left out first, in this order, when a narrow terminal
            cannot show every column (the others go from the right): what the user asked
            for (pass@k columns, scores) stays longer than what only supports it.
        keep: headers of columns never left out (a verdict such as ``sig``, which the notes
            explain): when the room runs out, the columns next to them go instead.
        wrap: headers of text columns (not the last, which always wraps) whose cells wrap
            at their spaces and after ``_`` (:func:`wrap_cell`) instead of being cut when the
            terminal is narrow, each at least as wide as its longest such piece.
        own_line: header of a column never cut (run names) whose longest values, when the
            table would otherwise leave out a column, are printed whole on their own line
            above their row, whose cell then shows ``↳`` (:func:`_stack_long_names`).
        once: headers of text columns said once in a note, however narrow, when they hold
            one value on every row of a table too wide for the terminal (a status every run
            shares; the one person who made every change): :func:`_constant_columns`.
    """
    if fmt == "json":
        emit_json(
            payload if payload is not None else [dict(zip(headers, r, strict=False)) for r in rows]
        )
        return
    if ascii_console() and title is not None:
        title = console_title(title)
    if fmt == "md":
        _emit_markdown(headers, rows, title, notes)
        return
    if ascii_console():  # one form of each marker, in ASCII, measured as printed
        headers = [to_ascii(visible(h)) for h in headers]
        rows = [[console_cell(c) if isinstance(c, str) else c for c in r] for r in rows]
    # piped output that Rich would print as plain text is written without importing Rich
    # (~50 ms of a command's start-up) when every cell fits (issue 14; _print_plain)
    plain = _plain_output()
    console = None if plain and rows else plain_console()
    width = console.width if console is not None else (output_width() or 0)
    if not rows:
        from rich.text import Text

        assert console is not None
        # wrapped at spaces like a note: Rich's own wrap leaves a blank at each line's end
        print_prose(console, Text, f"{title}: nothing to show" if title else "nothing to show")
        for n in notes:
            _print_note(console, n)
        return
    above: list[str] = []
    if own_line is not None and own_line in headers:
        rows, above = _stack_long_names(
            headers, rows, headers.index(own_line), whole, width, expendable, keep, once
        )
    layout = _fit_layout(
        [visible(h) for h in headers], rows, whole, width, expendable, keep, wrap, once
    )
    shown = [visible(h) for h in headers]
    if ascii_console():  # the marks the layout adds, one cell for one cell
        layout.cells = [[c.translate(_CELL_MARKS) for c in r] for r in layout.cells]
    all_notes = [*_layout_notes(layout, headers, width), *layout.below, *notes]
    if plain and _print_plain(layout, shown, title, above, all_notes, width):
        return
    from rich.table import Table
    from rich.text import Text

    console = console or plain_console()
    if title is not None:
        print_prose(console, Text, title)
    last = layout.kept[-1]
    fits, last_fits = _fits_unpadded(layout, shown)
    # Columns are 2 apart. Rich pads each cell (a Padding around every Text, rendered twice:
    # about a third of the table's time); when every cell of the other columns fits its width
    # on one line, the same text comes out of columns 2 wider with no padding, and a cell
    # that fits needs no cutting ("ignore": Rich skips its justify and truncate passes; the
    # table still pads each line to its column's width) (issue 14)
    gap = 2 if fits else 0
    table = Table(
        show_lines=False,
        header_style="bold",
        box=None,
        pad_edge=False,
        padding=0 if fits else (0, 1),
    )
    for i in layout.kept:
        h = shown[i]
        if i == last:
            # the last column wraps at spaces into what is left (a word longer than that
            # folds); when each of its cells fits on one line there is nothing to wrap
            one_line = fits and last_fits
            table.add_column(
                Text(h),
                no_wrap=one_line,
                max_width=layout.room,
                overflow="ignore" if one_line else "fold",
            )
        else:
            w = (layout.caps[i] or layout.widths[i]) + gap
            table.add_column(
                Text(h),
                no_wrap=True,
                min_width=w,
                max_width=w,
                overflow="ignore" if fits else "crop",
            )
    for r in layout.cells:
        cells = [r[i] for i in layout.kept]
        cells[-1] = wrap_cell(cells[-1], layout.room)
        table.add_row(*[Text(c) for c in cells])
    _print_table(console, table, above)
    for n in all_notes:
        _print_note(console, n)


_CELL_MARKS = str.maketrans({"…": "~", "↳": "^"})
"""In console mode (:func:`~capslice_tui.formatting.ascii_console`), the marks a fitted
table puts in its cells (a cut's ``…``, :data:`STACKED_MARK`) in one ASCII cell each, as the
app's console mode draws a cut (``~``): the columns keep their widths."""

_TITLE_MARKS = str.maketrans({"·": "-"})
"""In console mode, the ``·`` between the parts of a table's title (``math-base by task ·
filter none``) as ``-``, as the app's console mode joins its title and sub-title."""


def console_cell(text: str) -> str:
    """A table cell in console mode: a cut its command made (``…``, a sample's response or
    answer: :func:`~capslice_tui.formatting.shorten`) as ``~`` like the table's own cuts
    (:data:`_CELL_MARKS`; ``...`` read as a different mark), the other markers in ASCII
    (:func:`~capslice_tui.formatting.to_ascii`)."""
    return to_ascii(text.translate(_CELL_MARKS))


def console_title(title: str) -> str:
    """A table's title in console mode: its markers in ASCII and its parts joined by ``-``
    (:data:`_TITLE_MARKS`): the Linux console is written ASCII only."""
    return to_ascii(title).translate(_TITLE_MARKS)


_BREAK_AFTER = (";,&", "=", "_")
"""Characters after which a word longer than its column may go on to the next line, the
first group preferred (``task_type=`` / ``number_theory``), never between two digits."""


def wrap_cell(text: str, room: int) -> str:
    """``text`` with line breaks so that no line is longer than ``room``: at its spaces, and a
    word longer than ``room`` (``solving_operation=modular_arithmetic``) after one of
    :data:`_BREAK_AFTER`, not inside a name (Rich folds such a word anywhere:
    ``task_type=number_th`` / ``eory``); cut at ``room`` only where a word has no such break.
    Unchanged when every word fits ``room`` (Rich's own wrap at spaces does the rest)."""
    if room < 4 or all(len(w) <= room for w in text.split()):
        return text
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            for j, piece in enumerate(_word_pieces(word, room)):
                sep = "" if j else " "  # the pieces of a broken word join without a space
                if line and len(line) + len(sep) + len(piece) <= room:
                    line += sep + piece
                else:
                    if line:
                        lines.append(line)
                    line = piece
        if line:
            lines.append(line)
    return "\n".join(lines)


def _word_pieces(word: str, room: int) -> list[str]:
    """``word`` whole when it fits ``room``, else broken after :data:`_BREAK_AFTER`
    characters (the first group preferred; never between digits) into pieces of at most
    ``room``; a piece with no such break is cut at ``room`` unless it holds a digit (a
    figure is never cut: it is left whole, for Rich to fold)."""
    pieces, rest = [], word
    while len(rest) > room:
        at = 0 if any(c.isdigit() for c in rest) else room
        for group in _BREAK_AFTER:
            ends = [
                k + 1
                for k in range(room)
                if rest[k] in group
                and not (rest[k - 1 : k].isdigit() and rest[k + 1 : k + 2].isdigit())
            ]
            if ends:
                at = ends[-1]
                break
        if not at:
            break
        pieces.append(rest[:at])
        rest = rest[at:]
    return [*pieces, rest] if rest else pieces


def without_empty(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], names: Sequence[str]
) -> tuple[list[str], list[list[Any]]]:
    """``headers`` and ``rows`` without the columns named in ``names`` (a note column nobody
    wrote in) that are empty (``""`` or None) on every row: a terminal table gives their
    room to the others. Unchanged when there are no rows."""
    if not rows:
        return list(headers), [list(r) for r in rows]
    keep = [
        i
        for i, h in enumerate(headers)
        if h not in names or any(r[i] not in ("", None) for r in rows)
    ]
    return [headers[i] for i in keep], [[r[i] for i in keep] for r in rows]


def _emit_markdown(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None, notes: Sequence[str]
) -> None:
    """Print a Markdown table (cells whole, ``|`` escaped) with its notes as a list; no rows:
    ``nothing to show``, as the text table says, not a header over nothing."""
    lines = []
    if title:
        lines += [f"### {title}", ""]
    if rows:
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "|".join("---" for _ in headers) + "|")
    else:
        lines.append("nothing to show")
    for r in rows:
        lines.append("| " + " | ".join(visible(c).replace("|", "\\|") for c in r) + " |")
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    print("\n".join(lines))


def _print_table(console: Console, table: Any, above: Sequence[str]) -> None:
    """Print a Rich table. Piped: the same lines without the spaces Rich pads each one with
    to the table's width (``| cat -A``, diffs and greps see no trailing blanks). Each name of
    ``above`` goes on its own line above the first line of its row (the next row whose first
    cell is :data:`STACKED_MARK`)."""
    if output_width() is None and not above:
        console.print(table)
        return
    with console.capture() as captured:
        console.print(table)
    lines = captured.get().splitlines()
    console.file.write("".join(line + "\n" for line in _with_names_above(lines, above)))


def _with_names_above(lines: Sequence[str], above: Sequence[str]) -> list[str]:
    """The lines of a printed table, each name of ``above`` on its own line above the next
    line (after the header) that starts with :data:`STACKED_MARK`; piped (:func:`output_width`
    not None), without the spaces that end a line."""
    out, moved = [], iter(above)
    strip = output_width() is not None
    for k, line in enumerate(lines):
        if k > 0 and above and line.split(" ", 1)[0] == STACKED_MARK:
            out.append(visible(next(moved, "")))
        out.append(line.rstrip() if strip else line)
    return out


_ONE_CELL = frozenset("…↳·–—±×≥≤→←≈")
"""Characters besides printable ASCII that :func:`_print_plain` writes itself: each takes one
terminal cell, as Rich counts it (test_render_unpadded checks)."""


def _plain_text(text: str) -> bool:
    """Whether ``text`` is one line Rich prints as it is, one terminal cell per character:
    printable ASCII and :data:`_ONE_CELL` (no tab, newline, control, wide or combining
    character; those are left to Rich)."""
    if text.isascii():
        return text.isprintable()
    return all(" " <= c <= "~" or c in _ONE_CELL for c in text)


def _plain_output() -> bool:
    """Whether Rich would print a table to stdout as plain text: stdout is not a terminal
    (:func:`output_width`) and nothing makes Rich treat it as one or draw elsewhere
    (``FORCE_COLOR``, ``TTY_COMPATIBLE=1``, a Jupyter kernel, a Windows console)."""
    env = os.environ
    if output_width() is None or sys.platform == "win32":
        return False
    compatible = env.get("TTY_COMPATIBLE", "")
    if compatible == "1" or (compatible != "0" and env.get("FORCE_COLOR")):
        return False
    import builtins

    return not hasattr(builtins, "get_ipython")


def _print_plain(
    layout: _Layout,
    headers: Sequence[str],
    title: str | None,
    above: Sequence[str],
    notes: Sequence[str],
    width: int,
) -> bool:
    """Write the title, the table of ``layout`` and the notes to stdout exactly as Rich
    prints them to a pipe, without Rich, and return True; return False (writing nothing)
    unless every cell, header, name and prose line is :func:`_plain_text` (non-ASCII only to
    a UTF-8 stdout) and every cell fits its column on one line (:func:`_fits_unpadded`).

    Each column but the last is as wide as its width plus the 2 columns between columns,
    cells left-justified; trailing spaces are left out (:func:`_with_names_above`); prose is
    wrapped by :func:`wrap_prose`, as :func:`print_prose` does (test_render_unpadded compares
    it with Rich's output)."""
    prose = [*(wrap_prose(title, width) if title is not None else [])]
    tail = [line for n in notes for line in wrap_prose(n, width)]
    texts = [*headers, *above, *prose, *tail, *(c for r in layout.cells for c in r)]
    if not all(map(_plain_text, texts)):
        return False
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    if encoding != "utf8" and not all(t.isascii() for t in texts):
        return False
    if _fits_unpadded(layout, headers, len) != (True, True):
        return False
    *first, last = layout.kept
    pads = [(i, (layout.caps[i] or layout.widths[i]) + 2) for i in first]
    table = [
        "".join(r[i].ljust(w) for i, w in pads) + r[last] for r in [list(headers), *layout.cells]
    ]
    lines = [*prose, *_with_names_above(table, above), *tail]
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()
    return True


def _layout_notes(layout: _Layout, headers: Sequence[str], width: int) -> list[str]:
    """The notes a fitted table prints before the caller's: columns left out, shared
    prefixes left out of names, columns the same on every row."""
    notes: list[str] = []
    hidden = layout.hidden()  # a column empty on every row is left out unsaid
    if hidden:
        names = ", ".join(visible(headers[i]) for i in hidden)
        notes.append(
            f"not shown at {width} columns: {names} (shown: {len(layout.kept)} of "
            f"{len(headers) - len(layout.dropped) + len(hidden)} columns; any marks the notes explain for them are not shown here): "
            "--format md or json shows all of them"
        )
    for i, prefix in reversed(layout.prefixes.items()):
        which = (
            f"names starting with {prefix!r} shown without it"
            if i in layout.partial
            else f"names shown without their shared prefix {prefix!r}"
        )
        notes.append(
            f"{visible(headers[i])}: {which} (narrow terminal; --format md or json shows them "
            "whole)"
        )
    notes += [
        f"{visible(headers[i])}: {value} (every row)"
        for i, value in reversed(layout.constant.items())
    ]
    return notes


STACKED_MARK = "↳"
"""The cell of a row whose long name is printed on its own line above it."""


def _stack_long_names(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    col: int,
    whole: Sequence[str],
    width: int,
    expendable: Sequence[str],
    keep: Sequence[str],
    once: Sequence[str] = (),
) -> tuple[list[list[Any]], list[str]]:
    """The rows with the longest names of column ``col`` (the first column) replaced by
    :data:`STACKED_MARK`, and those names in row order, so that the table leaves out as few
    columns as it can (none when possible), then shortens as few other names as it can (a
    model cut to ``eosmask-s…`` beside a 58-character run name): names are moved from the
    longest down, only while that is needed (:func:`_layout_cost`). ``(rows, [])`` when the
    table fits as it is, or ``col`` is not the first column (the name must start its line)."""
    heads = [visible(h) for h in headers]
    base = [list(r) for r in rows]
    if col != 0:
        return base, []
    best: tuple[tuple[int, int], list[list[Any]], list[str]] = (
        _layout_cost(_fit_layout(heads, base, whole, width, expendable, keep, (), once)),
        base,
        [],
    )
    lengths = sorted({len(visible(r[col])) for r in rows}, reverse=True)
    for shortest_moved, cutoff in zip(lengths, lengths[1:], strict=False):
        long = shortest_moved >= LONG_NAME  # only long names move to spare the others a cut
        if best[0] == (0, 0) or (best[0][0] == 0 and not long):
            break
        moved = [[STACKED_MARK if len(visible(r[col])) > cutoff else r[col], *r[1:]] for r in base]
        names = [str(r[col]) for r in base if len(visible(r[col])) > cutoff]
        cost = _layout_cost(_fit_layout(heads, moved, whole, width, expendable, keep, (), once))
        if cost[0] < best[0][0] or (long and cost < best[0]):
            best = (cost, moved, names)
    return best[1], best[2]


LONG_NAME = 32
"""A name at least this long may go on its own line (:func:`_stack_long_names`) so that the
other columns keep their names whole; shorter ones move only to keep a column shown (moving
most names of a table to spare a model a shared prefix costs more than it gives)."""


def _layout_cost(layout: _Layout) -> tuple[int, int]:
    """What a fitted table gives up, worst first: columns left out, then columns (but the
    last, which wraps) whose names are shortened (cut, or a shared prefix left out)."""
    cut = sum(
        1
        for i in layout.kept[:-1]
        if i in layout.prefixes or (layout.caps[i] or layout.widths[i]) < layout.widths[i]
    )
    return len(layout.hidden()), cut


def _fits_unpadded(
    layout: _Layout, headers: Sequence[str], cell_len: Callable[[str], int] | None = None
) -> tuple[bool, bool]:
    """Whether the table of ``layout`` prints the same without Rich's cell padding: every
    header and cell of each column but the last is one line (no newline or tab) no wider than
    the column (:func:`emit_table` then widens those columns by the 2 columns of padding
    between them); and whether each cell of the last column is one line no wider than
    ``layout.room`` (it then needs no wrapping). Widths are terminal cells (``cell_len``,
    default Rich's; ``len`` for text of one cell per character)."""
    if cell_len is None:
        from rich.cells import cell_len as rich_cell_len

        cell_len = rich_cell_len
    measure = cell_len

    def one_line(value: str, width: int) -> bool:
        return "\n" not in value and "\t" not in value and measure(value) <= width

    last = layout.kept[-1]
    for i in layout.kept[:-1]:
        w = layout.caps[i] or layout.widths[i]
        if not one_line(headers[i], w) or not all(one_line(r[i], w) for r in layout.cells):
            return False, False
    room = layout.room
    return True, one_line(headers[last], room) and all(
        one_line(r[last], room) for r in layout.cells
    )


_COMMAND_RE = re.compile(r"capslice [^();]*")
"""A command to copy inside a note: from ``capslice `` to a bracket or semicolon or the end."""


def _print_note(console: Console, note: str) -> None:
    """Print a note under a table: wrapped at spaces to the width; a command to copy in it
    (``capslice ...``: resume, delete-run, see ...) is never broken: it starts a new line
    when it does not fit the rest of one and stays on one line even when longer than the
    width (the terminal wraps it where it shows it; an inserted line break would cut it)."""
    from rich.text import Text

    print_prose(console, Text, note)


def wrap_prose(text: str, width: int) -> list[str]:
    """``text`` wrapped at spaces to ``width`` columns (a word longer than that stays whole on
    its own line), with each ``capslice ...`` command in it kept on one line. Existing line
    breaks are kept. In console mode its markers are written in ASCII first
    (:func:`~capslice_tui.formatting.to_ascii`: ``→`` -> ``->``), so the lines are measured
    as printed."""
    if ascii_console():
        text = to_ascii(text)
    out: list[str] = []
    for line in text.split("\n"):
        if _fits_as_is(line, width):  # what textwrap would return (its import is ~2 ms)
            out.append(line)
        else:
            out += _wrap_line(line, width)
    return out


def _fits_as_is(line: str, width: int) -> bool:
    """Whether :func:`_wrap_line` returns ``[line]``: it fits, and holds nothing textwrap
    changes (a tab or other whitespace it replaces, a space at the end, a NUL)."""
    return (
        0 < len(line) <= max(width, 1)
        and not line[-1].isspace()
        and not any(c in line for c in "\t\v\f\r\0")
    )


def _wrap_line(line: str, width: int) -> list[str]:
    """One line of :func:`wrap_prose`, wrapped by :func:`textwrap.wrap`."""
    import textwrap

    glue = _COMMAND_RE.sub(_glue_command, line)
    wrapped = textwrap.wrap(
        glue, width=max(width, 1), break_long_words=False, break_on_hyphens=False,
        drop_whitespace=True,
    ) or [""]  # fmt: skip
    return [w.replace("\0", " ") for w in wrapped]


def _glue_command(m: re.Match[str]) -> str:
    """A command's inner spaces made unbreakable; the space after it (before a ``(``) kept."""
    text = m.group(0)
    command = text.rstrip()
    return command.replace(" ", "\0") + text[len(command) :]


class AsciiStream:
    """A text stream that writes to ``stream`` what it is given with its markers in ASCII
    (:func:`~capslice_tui.formatting.to_ascii`), for the CLI in console mode: text a command
    echoes itself (a sample's response, a heading) reads with the same ``->`` and ``x`` as
    its tables and prose (which are converted before they are fitted and wrapped). Anything
    else (``buffer``, where JSON goes; ``isatty``; ``encoding``) is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # text only: click probes with b"" for a binary stream
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._stream.write(to_ascii(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def use_console_glyphs() -> None:
    """In console mode (``TERM=linux`` or ``CAPSLICE_ASCII=1``:
    :func:`~capslice_tui.formatting.ascii_console`), route stdout and stderr through
    :class:`AsciiStream`, so every line the CLI writes uses one form of each marker; nothing
    otherwise. Called once a command starts (the ``capslice`` group)."""
    if not ascii_console():
        return
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, AsciiStream):
            setattr(sys, name, AsciiStream(stream))


def prose_width() -> int:
    """Columns prose is wrapped to: :func:`output_width` when piped, else the terminal's."""
    import shutil

    return output_width() or shutil.get_terminal_size((80, 24)).columns


def echo_prose(text: str = "", *, indent: str | None = None) -> None:
    """``click.echo`` of prose wrapped at spaces to :func:`prose_width` (a ``capslice ...``
    command stays on one line, :func:`wrap_prose`). Each line of ``text`` wraps on its own;
    its continuation lines are indented as ``indent`` says, by default as deep as the line's
    own text starts (after leading spaces and a ``- `` bullet)."""
    import click

    width = prose_width()
    if ascii_console():  # measured as printed (wrap_prose)
        text = to_ascii(text)
    for line in text.split("\n"):
        if len(line) <= width:
            click.echo(line)
            continue
        body = line.lstrip(" ")
        lead = line[: len(line) - len(body)]
        hang = indent if indent is not None else lead + ("  " if body.startswith("- ") else "")
        first, *rest = wrap_prose(body, max(width - len(lead), 20))
        click.echo(lead + first)
        rest_text = " ".join(rest)
        for piece in wrap_prose(rest_text, max(width - len(hang), 20)) if rest else []:
            click.echo(hang + piece)


def echo_next(why: str, command: str | None = None) -> None:
    """Print the loop's next step (walk 9 #1): ``command`` after ``next:`` (shell
    continuations where it is wider than the terminal, so it still pastes,
    :func:`~capslice_tui.report.command_lines`), then ``why`` in parentheses; with no
    command, ``why`` after ``next:``, wrapped as prose (a ``capslice ...`` command in it kept
    whole)."""
    import click

    from ..report import command_lines

    if command:
        for line in command_lines(command, prose_width()):
            click.echo(line)
        echo_prose(f"  ({why})")
    else:
        echo_prose(f"next: {why}", indent="  ")


def print_prose(console: Console, text_cls: Any, text: str) -> None:
    """Print prose (a note, a paragraph of ``diagnose``) wrapped by :func:`wrap_prose` to the
    console's width; ``text_cls`` is Rich's ``Text`` (text is never read as markup)."""
    for line in wrap_prose(text, console.width):
        console.print(text_cls(line), soft_wrap=True)


SQUEEZED_WIDTH = 12
"""Narrowest a long text column of a table becomes in a terminal too narrow for the table."""
MIN_SQUEEZED_WIDTH = 8
"""Narrowest such a column becomes when the figures of the table leave less room."""


def fit_widths(widths: Sequence[int], text: Sequence[bool], width: int) -> list[int | None]:
    """Column width caps that make a table fit ``width`` terminal columns (None: no cap).

    Only text columns wider than :data:`SQUEEZED_WIDTH` other than the last are capped, each
    at no less than :data:`SQUEEZED_WIDTH` (:data:`MIN_SQUEEZED_WIDTH` when the figures leave
    less); the last column keeps up to twice that (it folds). Columns are 2 apart. A table
    that fits gets no caps; one that figures alone make too wide gets every text column at
    the floor (``emit_table`` then drops whole columns from the right, naming them).
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


_STAMP_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
)
_FIGURE_TOKEN_RE = re.compile(r"\d%|\d/\d|\d\.\d|^\d+$|\[\s*-?\d")


def _is_stamp(value: str) -> bool:
    """Whether a cell is a timestamp (``2026-11-30T16:01:02+00:00``) or empty/``-``."""
    return value in ("", "-") or _STAMP_RE.fullmatch(value) is not None


def _holds_figure(value: str) -> bool:
    """Whether a cell is a short one holding a figure (``21/1760 samples = 1.2%``): such a cell
    is never cut, at most wrapped at its spaces. Longer text (a model's answer) may be cut,
    but never inside a number (:func:`_digits_whole`)."""
    return len(value) <= FIGURE_CELL_WIDTH and any(
        _FIGURE_TOKEN_RE.search(tok) for tok in value.split()
    )


FIGURE_CELL_WIDTH = 40
"""Longest cell that holding a figure makes its column a figure column (never cut)."""


@dataclass
class _Layout:
    """Which columns a terminal table shows and how wide (see :func:`_fit_layout`)."""

    cells: list[list[str]]
    widths: list[int]
    kept: list[int]
    dropped: list[int]
    caps: list[int | None]
    room: int
    prefixes: dict[int, str]
    """column -> the prefix its names share that is left out of them (said in a note)."""
    constant: dict[int, str]
    """column -> the one value of a text column the same on every row, left out of a table
    too wide for it and said in a note instead of cut on every row."""
    partial: frozenset[int] = frozenset()
    """columns of :attr:`prefixes` where some name lacks the prefix (``aime`` beside
    ``minerva_math_*``; ``code-davinci-002`` beside ``demo-org/demo-1b-*``): their note says
    which names it was left out of rather than calling it shared."""
    blank: frozenset[int] = frozenset()
    """columns empty on every row (:func:`_blank_columns`): left out first, never said."""
    below: list[str] = field(default_factory=list)
    """the lines that say, under the table, what a note column left out of it held
    (:func:`_move_below`): ``note: counting: below minimum slice size 10 ...``."""
    moved: int | None = None
    """the note column said under the table (:attr:`below`), None when none is."""

    def hidden(self) -> list[int]:
        """The columns left out that show something (not :attr:`blank`): the ones a note
        names and a caller may want to choose a shorter table for."""
        return [i for i in self.dropped if i not in self.blank]


def dropped_columns(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    width: int,
    *,
    whole: Sequence[str] = (),
    expendable: Sequence[str] = (),
    keep: Sequence[str] = (),
) -> list[str]:
    """Headers of the columns :func:`emit_table` would leave out at ``width`` terminal columns
    (none when the table fits), so a caller can choose a shorter form of its table first."""
    layout = _fit_layout([visible(h) for h in headers], rows, whole, width, expendable, keep)
    # a note column said under the table counts as left out while names are still cut: a
    # shorter form of the table may show them whole
    moved = [layout.moved] if layout.moved is not None and _cut_width(layout) else []
    return [headers[i] for i in sorted([*layout.hidden(), *moved])]


BELOW_WHEN_NARROW = ("note", "terms")
"""Headers of a last column of free text (a row's note, a group's terms) that a table too
narrow for it shows under the table, a line per row, rather than wrapped a word or two to a
line beside the figures or at the cost of cutting the names (:func:`_move_below`)."""
NOTE_LEAST = 24
"""Narrowest a :data:`BELOW_WHEN_NARROW` column wraps in before it goes under the table."""


def _fit_layout(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    whole: Sequence[str],
    width: int,
    expendable: Sequence[str] = (),
    keep: Sequence[str] = (),
    wrap: Sequence[str] = (),
    once: Sequence[str] = (),
) -> _Layout:
    """:func:`_fit_layout_once`, then again without a last note column
    (:data:`BELOW_WHEN_NARROW`) that it left out, wrapped narrower than :data:`NOTE_LEAST`,
    or kept at the cost of cutting names the table could otherwise show whole: that column's
    cells are said under the table instead (:func:`_move_below`)."""
    layout = _fit_layout_once(headers, rows, whole, width, expendable, keep, wrap, once)
    last = len(headers) - 1
    if last < 1 or headers[last] not in BELOW_WHEN_NARROW or headers[last] in (*keep, *whole):
        return layout
    hidden = last in layout.hidden()
    wraps = layout.kept[-1] == last and layout.widths[last] > layout.room
    if not (hidden or wraps):
        return layout  # on one line in the table, or empty on every row
    moved = _fit_layout_once(headers, rows, whole, width, expendable, keep, wrap, once, last)
    if wraps and layout.room >= min(NOTE_LEAST, layout.widths[last]):
        if _cut_width(moved) >= _cut_width(layout) or len(moved.hidden()) > len(layout.hidden()):
            return layout  # wide enough, and leaving it out would not show the names whole
    moved.below, moved.moved = _move_below(headers, rows, moved, last), last
    return moved


def _cut_width(layout: _Layout) -> int:
    """Characters the layout's kept columns are cut by (their widths above their caps)."""
    return sum(max(layout.widths[i] - (layout.caps[i] or layout.widths[i]), 0) for i in layout.kept)


def _move_below(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], layout: _Layout, column: int
) -> list[str]:
    """``note: counting, function_analysis: below minimum ...``: the non-empty cells of
    ``column`` (left out of the table), one line per value, after the whole names of the rows
    holding it (the leading text columns before the first kept figure, joined by `` & ``)."""
    figures = [i for i in layout.kept if any(_holds_figure(visible(r[i])) for r in rows)]
    lead = [i for i in range(min(figures, default=1)) if i != column] or [0]
    by_value: dict[str, list[str]] = {}
    for r in rows:
        value = " ".join(visible(r[column]).split())
        if value not in ("", "-"):
            parts = [(headers[i], v) for i in lead if (v := visible(r[i]).strip())]
            name = slice_label(parts, values_only=True)
            by_value.setdefault(value, []).append(name or "-")
    head = visible(headers[column])
    return [f"{head}: {', '.join(names)}: {value}" for value, names in by_value.items()]


def _fit_layout_once(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    whole: Sequence[str],
    width: int,
    expendable: Sequence[str] = (),
    keep: Sequence[str] = (),
    wrap: Sequence[str] = (),
    once: Sequence[str] = (),
    moved: int | None = None,
) -> _Layout:
    """Fit a table to ``width`` terminal columns without cutting a figure.

    Figures (cells such as ``64.5% (20.6/32)``, ``21/1760 samples = 1.2%``, columns named in
    ``whole``) are never cut: only name-like text columns are cut, each with
    :func:`distinct_cuts` so names of one column stay apart (a column whose cut names would
    collide is kept whole). Timestamps shorten to ``2026-11-30 16:01`` when the table is too
    wide. The last column wraps at its spaces (:func:`wrap_cell`). A table too wide first
    leaves out the columns empty on every row (:func:`_blank_columns`; not reported: they
    show nothing). When it still does not fit, whole columns are dropped (never the first,
    never one named in ``keep``): those named in ``expendable`` first, in its order, then
    from the right; the caller reports them. An expendable column of
    :data:`SUPPORTING_COLUMNS` (and those the caller ranks before it) is dropped too while
    the first (name) column would be cut below :data:`READABLE_NAME_WIDTH`; and while any
    text column would be, an expendable last column of figures does not wrap: the table
    fits only with them on one line (else the column goes). A column named in ``wrap`` wraps (:func:`wrap_cell`) instead of being
    cut, no narrower than its longest piece (:func:`_least_wrap`). A text column with one
    value on every row is said once in a note instead
    (:func:`_constant_columns`; those named in ``once`` however narrow).
    """
    n = len(headers)
    cells = [[visible(c) for c in r] for r in rows]
    stamps = [all(_is_stamp(r[i]) for r in cells) for i in range(n)]
    figure = [
        headers[i] in whole
        or headers[i] in NEVER_CUT
        or stamps[i]
        or any(_holds_figure(r[i]) for r in cells)
        for i in range(n)
    ]

    def widths_of() -> list[int]:
        return [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    widths = widths_of()
    if sum(widths) + 2 * (n - 1) > width and any(stamps):
        for r in cells:
            for i in range(n):
                m = _STAMP_RE.fullmatch(r[i]) if stamps[i] else None
                if m:
                    r[i] = f"{m.group(1)} {m.group(2)}"
        widths = widths_of()
    # too wide: the columns that show nothing go first
    dropped = _blank_columns(headers, cells, keep) if sum(widths) + 2 * (n - 1) > width else []
    dropped += [] if moved is None or moved in dropped else [moved]  # said under the table
    blank = frozenset(dropped)
    kept = [i for i in range(n) if i not in blank]
    constant = _constant_columns(headers, cells, widths, figure, width, once)
    kept = [i for i in kept if i not in constant]
    forced: dict[int, int] = {}
    while True:
        kw = [forced.get(i, widths[i]) for i in kept]
        text = [not figure[i] and i not in forced for i in kept]
        kcaps = fit_widths(kw, text, width) if len(kept) > 1 else [None]
        caps: list[int | None] = [None] * n
        for i, c in zip(kept, kcaps, strict=True):
            caps[i] = None if c is None else max(c, len(headers[i]))  # headers stay whole
            if c is not None and headers[i] in wrap:
                caps[i] = max(caps[i] or 0, _least_wrap([r[i] for r in cells]))
        collide = False
        for i in kept[:-1]:
            cap = caps[i]
            if headers[i] in wrap:
                continue  # wrapped, never cut: its names cannot collide
            if cap is not None and _column_cut([r[i] for r in cells], cap) is None:
                # the narrowest width at which this column's names stay apart
                column = [r[i] for r in cells]
                forced[i] = next(
                    w for w in range(cap + 1, widths[i] + 1) if _column_cut(column, w) is not None
                )
                collide = True
        if collide:
            continue
        for i, w in forced.items():
            caps[i] = w
        others = sum(caps[i] or widths[i] for i in kept[:-1]) + 2 * (len(kept) - 1)
        room = width - others
        last = kept[-1]
        if figure[last]:
            least = max(
                [len(h) for h in [headers[last]]]
                + [len(tok) for r in cells for tok in r[last].split()]
            )
        else:
            least = min(widths[last], MIN_SQUEEZED_WIDTH)
        named = kept[0] not in forced and _name_squeezed(caps[kept[0]], widths[kept[0]])
        text_cols = [i for i in kept[:-1] if i not in forced and not figure[i]]
        spare_last = figure[last] and headers[last] in expendable and headers[last] not in keep
        if spare_last and any(_name_squeezed(caps[i], widths[i]) for i in text_cols):
            least = widths[last]  # no figure wraps to cut names unreadably
        gone = _next_dropped(headers, kept, expendable, keep, room >= least, named)
        if gone is None:
            break
        kept.remove(gone)
        dropped.append(gone)
        forced.clear()  # the room the dropped column leaves may let names widen again
    wrapped = {i for i in kept[:-1] if headers[i] in wrap}
    prefixes, partial = _cut_columns(cells, kept[:-1], caps, wrapped)
    return _Layout(
        cells, widths, kept, sorted(dropped), caps, max(room, 1), prefixes, constant,
        frozenset(partial), blank,
    )  # fmt: skip


def _blank_columns(
    headers: Sequence[str], cells: Sequence[Sequence[str]], keep: Sequence[str] = ()
) -> list[int]:
    """The columns (not the first, none named in ``keep``) empty on every row of ``cells``
    (a note column nobody wrote in): a table too wide for the terminal leaves them out
    before it cuts a name or leaves out another column, and says nothing of them
    (:meth:`_Layout.hidden`)."""
    return [
        i
        for i in range(1, len(headers))
        if headers[i] not in keep and cells and all(r[i] == "" for r in cells)
    ]


def _next_dropped(
    headers: Sequence[str],
    kept: Sequence[int],
    expendable: Sequence[str],
    keep: Sequence[str],
    fits: bool,
    named: bool,
) -> int | None:
    """The column :func:`_fit_layout` leaves out next, None when it is done.

    ``fits``: the kept columns fit the width; ``named``: the first (name) column is cut below
    :data:`READABLE_NAME_WIDTH`. While the table does not fit: the caller's ``expendable``
    columns in its order, then the others from the right (never one in ``keep``). While it
    fits but the names are squeezed: only the expendable columns up to the first supporting
    one (slices: the middle of the pass@k curve and pass@1, then the score's interval)."""
    if len(kept) == 1:
        return None
    ranked = [i for h in expendable for i in kept[1:] if headers[i] == h and h not in keep]
    first = next((j for j, i in enumerate(ranked) if headers[i] in SUPPORTING_COLUMNS), None)
    supporting = [] if first is None else ranked[: first + 1]
    if fits:
        return supporting[0] if named and supporting else None
    rest = [i for i in reversed(kept[1:]) if headers[i] not in keep]
    return next(iter([*ranked, *rest]), None)


def _least_wrap(column: Sequence[str]) -> int:
    """The narrowest a wrapped column can be: its longest piece once its cells are broken at
    spaces and after :data:`_BREAK_AFTER` characters (``background_`` of
    ``background_condition``), so :func:`wrap_cell` never has to cut inside a word."""
    pieces = [p for c in column for p in re.split(r"\s+|(?<=[;,&=_])", c) if p]
    return max((len(p) for p in pieces), default=1)


def _cut_columns(
    cells: list[list[str]],
    columns: Sequence[int],
    caps: Sequence[int | None],
    wrapped: Collection[int] = (),
) -> tuple[dict[int, str], set[int]]:
    """Cut each of ``columns`` of ``cells`` (in place) to its cap with :func:`_column_cut`;
    those in ``wrapped`` are wrapped to it instead (:func:`wrap_cell`), never cut.

    Returns the prefix each column's names are shown without, and the columns whose prefix
    some shown name (a total row such as ALL, or another name) does not start with, so the
    note says "names starting with" rather than "shared prefix"."""
    prefixes: dict[int, str] = {}
    partial: set[int] = set()
    for i in columns:
        cap = caps[i]
        if i in wrapped:
            for r in cells:
                r[i] = r[i] if cap is None else wrap_cell(r[i], cap)
            continue
        cut = None if cap is None else _column_cut([r[i] for r in cells], cap)
        if cut is None:
            continue
        pieces, prefix = cut
        if prefix:
            prefixes[i] = prefix
            if any(
                r[i] not in ("", "-", STACKED_MARK) and not r[i].startswith(prefix) for r in cells
            ):
                partial.add(i)
        for r, piece in zip(cells, pieces, strict=True):
            r[i] = piece
    return prefixes, partial


READABLE_NAME_WIDTH = 16
"""Narrowest the first (name) column is cut to while a :data:`SUPPORTING_COLUMNS` column the
caller named expendable can make room: ``boolean_e…`` reads as nothing,
``logical_…five_objects`` tells a task apart."""
SUPPORTING_COLUMNS = ("95% CI",)
"""Columns that support figures the row shows otherwise (compare's interval beside its
difference and adjusted p), left out before names are cut unreadably; other expendable
columns (plan's multiplier) go only when the table does not fit at all."""


def _name_squeezed(cap: int | None, width: int) -> bool:
    """Whether the first column, ``width`` wide, is cut below :data:`READABLE_NAME_WIDTH`."""
    return cap is not None and cap < min(width, READABLE_NAME_WIDTH)


def _constant_columns(
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    widths: Sequence[int],
    figure: Sequence[bool],
    width: int,
    once: Sequence[str] = (),
) -> dict[int, str]:
    """Column -> its one value, for the text columns (not the first or the last, wrapping,
    one) that hold the same value on every row of a table too wide for ``width``, wider
    than their header and 8 (a narrow one costs little room), or named in ``once`` (a column
    a caller would rather say once than give its room: runs' status, so models keep their
    names): said once in a note instead of cut on every row."""
    n = len(headers)
    if len(cells) < 2 or sum(widths) + 2 * (n - 1) <= width:
        return {}
    constant: dict[int, str] = {}
    for i in range(1, n - 1):
        values = {r[i] for r in cells}
        wide = widths[i] > max(len(headers[i]), 8) or headers[i] in once
        if not figure[i] and len(values) == 1 and wide:
            constant[i] = values.pop()
    return constant


NEVER_CUT = ("run", "baseline", "result")
"""Headers of columns a terminal table never cuts: run names (``runs``' run, an
intervention's baseline and result run) are typed into other commands (other columns are
cut or left out instead)."""


def _column_cut(column: Sequence[str], cap: int) -> tuple[list[str], str] | None:
    """The values of one text column cut to ``cap`` characters so different names stay apart,
    and the prefix left out of them (``""`` for none); None when no cut at that width does.

    A name is cut at one place at most, never at both ends. First, when the names share a
    prefix (:func:`shared_prefix`), it is left out of every name that has it (the caller says
    so in a note) and the rests are cut with :func:`distinct_cuts`, the app's cutter too
    (``bbh_cot_fewshot_date_understanding`` at 12 -> ``date_unders…``;
    ``logical_deduction_five_objects`` beside ``…_seven_objects`` at 22 ->
    ``logical_…five_objects``); else, or when that makes two names equal, the whole names
    are cut with :func:`distinct_cuts`.
    """
    values = list(column)
    prefix = shared_prefix([v for v in values if len(v) > cap] or values)
    tries: list[tuple[list[str], str]] = []
    if prefix and cap > 3:
        rests = [v[len(prefix) :] if v.startswith(prefix) else v for v in values]
        tries.append((distinct_cuts(rests, cap), prefix))
    tries.append((distinct_cuts(values, cap), ""))
    # a cut ending inside a number (``eosmask-step1…``) gives it up whole (``eosmask-step…``)
    tries += [
        ([_number_backed(v[len(d) :] if d and v.startswith(d) else v, c)
          for v, c in zip(values, cuts, strict=True)], d)
        for cuts, d in list(tries)
    ]  # fmt: skip
    for cuts, dropped in tries:
        shown = [dropped + c if dropped and v.startswith(dropped) else c
                 for v, c in zip(values, cuts, strict=True)]  # fmt: skip
        if _apart(values, shown) and all(map(_digits_whole, values, shown)):
            return cuts, dropped
    return None


def _number_backed(value: str, cut: str) -> str:
    """``cut`` (of ``value``, ending in ``…``) with a number its end cuts into left out:
    ``eosmask-step1…`` -> ``eosmask-step…``; other cuts unchanged."""
    if not cut.endswith("…") or "…" in cut[:-1]:
        return cut
    head = cut[:-1]
    if not head or not head[-1].isdigit() or len(head) >= len(value):
        return cut
    if not value[len(head)].isdigit():
        return cut
    head = head.rstrip("0123456789")
    return head + "…" if head else cut


def _digits_whole(value: str, cut: str) -> bool:
    """Whether ``cut`` (``value`` with parts replaced by ``…``) leaves every number it shows
    whole: ``$\\boxed{142…`` or ``…0}$`` of ``$\\boxed{1420}$`` does not."""
    if cut == value or "…" not in cut:
        return True
    parts = cut.split("…")
    pos = 0
    for k, part in enumerate(parts):
        if not part:
            continue
        if k == 0:
            start = 0
        elif k == len(parts) - 1:
            start = len(value) - len(part)
        else:
            start = max(value.find(part, pos), pos)
        end = start + len(part)
        if start > 0 and part[0].isdigit() and value[start - 1].isdigit():
            return False
        if end < len(value) and part[-1].isdigit() and value[end].isdigit():
            return False
        pos = end
    return True


def _apart(values: Sequence[str], cuts: Sequence[str]) -> bool:
    """Whether ``cuts`` keeps different ``values`` different."""
    seen: dict[str, str] = {}
    return all(seen.setdefault(c, v) == v for v, c in zip(values, cuts, strict=True))


PIPED_WIDTH = 240
"""Columns of a table when stdout is not a terminal and ``$COLUMNS`` is not set (so piped
tables are not cut)."""


def output_width() -> int | None:
    """Columns the CLI's tables are fitted to: None on a terminal (Rich measures it);
    when stdout is not a terminal, ``$COLUMNS`` if it is a whole number (at least 20),
    else :data:`PIPED_WIDTH`."""
    if sys.stdout.isatty():
        return None
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) >= 20:
        return int(columns)
    return PIPED_WIDTH


def table_width() -> int:
    """Columns :func:`emit_table` fits a table to: :func:`output_width` when piped, else the
    terminal's as Rich measures it (Rich is imported only then)."""
    return output_width() or plain_console().width


def plain_console() -> Console:
    """A stdout console that prints text as given: no markup, emoji codes or highlighting;
    as wide as :func:`output_width` says (the terminal, or piped: ``$COLUMNS`` else 240)."""
    from rich.console import Console

    return Console(
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
        width=output_width(),
    )
