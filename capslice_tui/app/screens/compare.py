"""Two runs side by side: per-slice deltas with significance as text (``worse*``/``better*``)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from ...formatting import (
    bound_notes,
    interval,
    p_text,
    pct,
    pct_cell,
    plural,
    row_p_adj,
    run_pair,
    visible,
)
from ...vocabulary import SLICE_JOINER
from ..format import (
    cell,
    first_column_room,
    fit_names,
    fit_parts,
    points,
    slice_label,
    slice_parts,
    warning_mark,
)
from ..messages import CompareLoaded
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen
from .slices import GROUPINGS, samples_query

# Fits 80 columns; items, raw p, the test and the warning go in the detail line of the
# highlighted row. base/cand cells are ``59.6% 286/480`` (score, correct/scored samples).
COLUMNS = ("slice", "base", "cand", "diff", "p adj", "sig")


def as_dict(result: Any) -> dict[str, Any]:
    """A facade result as its dict (``.to_dict()`` when it has one)."""
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


def report_path(base: str, cand: str, directory: Path | None = None) -> Path:
    """Where the review report of ``base`` -> ``cand`` goes: ``capslice-report-<base>-vs-<cand>.md``
    in ``directory`` (default: the current working directory); ``/``, ``\\`` and spaces in
    run names become ``_`` so the name stays one file."""

    def safe(name: str) -> str:
        return "".join("_" if ch in "/\\ " else ch for ch in name)

    folder = Path.cwd() if directory is None else directory
    return folder / f"capslice-report-{safe(base)}-vs-{safe(cand)}.md"


def write_report(
    ws: Any, base: str, cand: str, benchmark: str | None, path: Path | None = None
) -> Path:
    """Write ``ws.report(base, cand, benchmark=...)`` (Markdown) to ``path`` (default
    :func:`report_path`), as ``capslice report -o FILE`` does.

    Returns the absolute path written. Raises what ``ws.report`` raises, or ``OSError``.
    """
    path = (path.expanduser() if path is not None else report_path(base, cand)).resolve()
    path.write_text(ws.report(base, cand, benchmark=benchmark), encoding="utf-8")
    return path


class ReportWritten(Message):
    """A review report was written to ``path`` (posted by the report worker)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


def ask_report_path(screen: Any, base: str, cand: str, write: Any) -> None:
    """Ask where the review report goes (pre-filled with :func:`report_path`), then call
    ``write(path)``; an existing file is refused (choose another name)."""
    from .prompt import PromptScreen

    def answered(text: str | None) -> None:
        if not text:
            screen.set_status("no report written")
            return
        path = Path(text).expanduser()
        if path.exists():
            screen.set_status(f"{path} exists: r again and choose a new file name")
            return
        screen.notify(f"writing report {path.name}…", markup=False)
        write(path)

    screen.app.push_screen(
        PromptScreen(
            f"Markdown review report of {run_pair(base, cand)}, to the file:",
            str(report_path(base, cand)),
        ),
        answered,
    )


def pair_warning_text(warning: str | None) -> str:
    """``WARNING: different models (a vs b): ...`` for the pair warning of a comparison or a
    diagnosis (the same run twice, or runs of different models; ``pair_warning`` of the
    facade, which the CLI, JSON and report show); '' when there is none. Plain text: it
    reads without colour."""
    return f"WARNING: {warning}" if warning else ""


def side(s: dict[str, Any] | None) -> str:
    """One run's score with its counts: ``53.2% 133/250``, or ``43.1% mean`` for a mean of
    per-item accuracies (:func:`capslice_tui.formatting.pct_cell`)."""
    if not s:
        return "-"
    return pct_cell(s.get("score"), s.get("correct"), s.get("n"))


def sig_mark(row: dict[str, Any], *, overall: bool = False) -> str:
    """``worse*``/``better*`` (or the facade's marker) for a significant row, else ``""``.

    The ALL row is not one of the Benjamini-Hochberg corrected slices (every item pooled,
    tested on its own by its raw p), so its marker has no ``*`` (``worse``/``better``), as
    the CLI's compare prints it."""
    mark = row.get("marker") or ("sig" if row.get("significant") else "")
    return mark.rstrip("*") if overall else mark


NAME_LEAST = 12
"""Characters the detail line keeps for the highlighted slice's name before its sides drop
their counts (which the table's base and cand columns show) to make room."""


def detail_line(
    row: dict[str, Any],
    label: str | Sequence[str],
    width: int | None = None,
    siblings: Sequence[Sequence[str]] = (),
) -> str:
    """The columns that do not fit the table, for the highlighted row, as two or three lines.

    ``label``: the row's name (``ALL``), or a slice's values (:func:`slice_parts`), joined
    with `` & `` as the table joins them. With ``width`` (the line's characters) the first
    line's figures (both sides, the difference in points and its 95% interval) stay whole
    and the name takes the room they leave, cut as the table cuts it (:func:`fit_parts`,
    kept apart from ``siblings``, the other rows' values); when that would leave a name
    shorter than it is and than :data:`NAME_LEAST` characters, the sides drop their counts
    first (``76.0%``, not ``76.0% 19/25``; the table's columns show them). A name that fits a
    line but not beside the figures gets its own line instead, whole (the table cuts it), with
    the figures on the next: ``commonsense_judgement & knowledge_recall:`` then ``base ...``.
    """
    warn = warning_mark(row.get("warning"), row.get("n_items"))
    parts = [label] if isinstance(label, str) else list(label)
    change = f" · {points(row.get('diff'))} {interval(row.get('diff_low'), row.get('diff_high'))}"

    def figures(counts: bool) -> str:
        shown = side if counts else (lambda s: pct((s or {}).get("score")))
        return f": base {shown(row.get('base'))} -> cand {shown(row.get('cand'))}{change}"

    rest = figures(True)
    name = SLICE_JOINER.join(parts)
    short = figures(False)
    if width is not None and len(name) + len(rest) > width:
        if len(name) + len(short) <= width:  # whole beside the sides' scores
            return f"{name}{short}\n{second_line(row, warn)}"
        alone = next((f[2:] for f in (rest, short) if len(f) - 2 <= width), None)
        if alone is not None and len(name) < width:
            # the name would be cut: it takes a line of its own, whole (the table cuts it)
            return f"{name}:\n{alone}\n{second_line(row, warn)}"
    if width is not None and width - len(rest) < min(len(name), NAME_LEAST):
        rest = short
    if width is not None:
        name = fit_parts(parts, max(width - len(rest), NAME_LEAST), siblings=siblings)
    return f"{name + rest}\n{second_line(row, warn)}"


def second_line(row: dict[str, Any], warn: str) -> str:
    """The detail's line of the test: p, p adjusted, items, the test, a warning (``warn``:
    its mark)."""
    return (
        f"p {p_text(row.get('p_value'), row.get('n_boot'))} · p adj {row_p_adj(row)}"
        f" · {plural(row.get('n_items'), 'item')} · test {row.get('test') or '-'}"
        + (f" · {warn}: {row.get('warning')}" if warn else "")
    )


def evaluation_text(warning: str) -> str:
    """The facade's ``evaluation differs: ...`` warning for the status line: its closing
    ``(see capslice diagnose A B)`` becomes ``(d: diagnose)``, the key that does it here, so
    the warning and the counts after it fit the status line's four rows whole."""
    return re.sub(r" \(see capslice diagnose [^()]*\)$", " (d: diagnose)", warning)


class CompareScreen(CapsliceScreen):
    """``ws.compare(base, cand)`` as a table; Enter opens the slice's samples in ``cand``."""

    HELP_TITLE = "Compare two runs"
    HELP_LEGEND = (
        "base, cand: each run's score % with c/n = correct/scored samples; 'mean' when the "
        "score is the mean of per-item accuracies (several samples per item; the slices screen "
        "gives their sample counts)",
        "diff: cand score - base score, in points (percentage points)",
        "p adj: p-value adjusted for the many slices tested (Benjamini-Hochberg)",
        "sig: worse* / better* = significant drop / gain (p adj <= q, Benjamini-Hochberg)",
        "ALL row: every item pooled, tested on its own (raw p, not one of the corrected "
        "slices): worse / better without * = raw p <= 0.05",
        "line under the table: full slice name, items, raw p, the test used, warnings",
        "warn: n<20 small slice, n<10 too small to test",
        "g: next grouping; a: compare by any axes (space marks, a applies)",
        "r: write the Markdown review report to a file (asks the name)",
    )

    BINDINGS = [
        Binding("g", "cycle_grouping", "Group", id="compare.group"),
        Binding("d", "diagnose", "Diagnose", id="compare.diagnose"),
        Binding(
            "a", "pick_axes", "Axes", show=False, id="compare.axes", tooltip="Compare by any axes"
        ),
        Binding(
            "w",
            "toggle_mismatch",
            "Allow mismatch",
            show=False,
            id="compare.mismatch",
            tooltip="Compare runs with different eval settings",
        ),
        Binding(
            "r",
            "report",
            "Report",
            id="compare.report",
            tooltip="Write a Markdown review report to a file you name",
        ),
    ]

    def __init__(self, base: str, cand: str, *, benchmark: str | None, by: str = "task") -> None:
        super().__init__()
        self.base = base
        self.cand = cand
        self.benchmark = benchmark
        self.by = by
        self.allow_mismatch = False
        self.data: dict[str, Any] | None = None
        self.rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="title")
        # the same run twice, or different models: said above the table (empty otherwise)
        yield Static("", id="pair-warning")
        yield ResultTable(id="compare-table")
        yield Static("", id="detail-line")
        # what a p adj printed as a bound (<=0.0020) means, when the table shows one
        yield Static("", id="bound-note")
        yield Static("comparing…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "compare"
        self.query_one("#pair-warning", Static).display = False
        note = self.query_one("#bound-note", Static)
        note.styles.padding = (0, 1)
        note.display = False
        self.query_one(ResultTable).set_columns(COLUMNS)
        self._title()
        self.load_compare()

    def _title(self) -> None:
        """``base NAME -> cand NAME · bench · by axes`` (:func:`formatting.run_pair`, as the CLI
        heads it): both run names show, cut to fit the line and apart from each other (two
        seeds of one recipe differ only in the middle)."""
        rest = f" · {self.benchmark or 'all'} · by {self.by}"
        room = (self.query_one("#title", Static).size.width or self.app.size.width - 2) - len(
            run_pair("", "") + rest
        )
        base, cand = fit_names([visible(self.base), visible(self.cand)], room)
        self.query_one("#title", Static).update(cell(run_pair(base, cand) + rest))

    def on_resize(self) -> None:
        self._title()
        self._detail(self.query_one(ResultTable).cursor_row)

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare")
    def load_compare(self) -> None:
        result = self.ws.compare(
            self.base,
            self.cand,
            benchmark=self.benchmark,
            by=self.by,
            allow_mismatch=self.allow_mismatch,
        )
        label = self.ws.filter_pair_label(self.base, self.cand, benchmark=self.benchmark)
        self.post_message(CompareLoaded(as_dict(result), label))

    def on_compare_loaded(self, message: CompareLoaded) -> None:
        data = self.data = message.data
        warning = self.query_one("#pair-warning", Static)
        # wrapped over as many lines as it needs, never cut: it qualifies every number below
        said = [pair_warning_text(data.get("pair_warning"))] if data.get("pair_warning") else []
        said += [f"warning: {n}" for n in data.get("incomplete") or []]  # walk 18 F1
        warning.update(Text(visible("\n".join(said))))
        warning.display = bool(said)
        rows = []
        for r in [data["overall"], *data.get("rows", [])]:
            is_overall = r is data["overall"]
            label = "ALL" if is_overall else slice_label(r.get("slice") or {})
            cells = [
                label,
                side(r.get("base")),
                side(r.get("cand")),
                points(r.get("diff"), ""),  # the legend names the unit
                row_p_adj(r),
                sig_mark(r, overall=is_overall),
            ]
            rows.append(({} if is_overall else dict(r.get("slice") or {}), cells))
        table = self.query_one(ResultTable)
        # the note under the table takes rows from it before the next layout
        height = table.size.height - self._bound_note([data["overall"], *data.get("rows", [])])
        # rows that fit the table's height (and its header) need no scrollbar: its 2 columns
        # go to the names (a two-axis name is cut less)
        fits = 0 < len(rows) + 1 <= height
        room = first_column_room(
            list(COLUMNS), [c for _, c in rows], table.size.width or self.app.size.width, 12,
            scrollbar=not fits,
        )  # fmt: skip
        # each part of a combined name cut so it stays apart from the other rows' values
        names = [slice_parts(key) for key, _ in rows]
        rows = [
            (key, [cell(fit_parts(parts, room, siblings=names) if key else c[0], room),
                   *map(cell, c[1:])])
            for (key, c), parts in zip(rows, names, strict=True)
        ]  # fmt: skip
        self.rows = [data["overall"], *data.get("rows", [])]
        table.set_rows(rows)
        self._detail(0)
        n_sig = sum(1 for r in data.get("rows", []) if r.get("significant"))
        # "by task": diagnose counts significant slices across axis combinations instead
        by = ",".join(data.get("by") or []) or self.by
        status = (
            f"{data.get('n_tested', 0)} tested by {by} · {n_sig} sig"
            f" (p adj <= q={data.get('q', '-')})"
        )
        if message.filter_label:
            status += f" · {message.filter_label}"
        if data.get("evaluation_warning"):  # said first: the runs evaluated differently
            status = f"{evaluation_text(data['evaluation_warning'])} · {status}"
        hint = " · Enter: cand samples"
        # the status wraps over up to four rows (capslice.tcss): no figure ends in "…"
        self.set_status(status + (hint if len(status + hint) <= self.app.size.width - 2 else ""))

    def _bound_note(self, rows: Sequence[dict[str, Any]]) -> int:
        """Show :data:`formatting.P_BOUND_NOTE` under the table when one of ``rows`` prints
        its p adj as a bound (``<=0.0020``; :func:`formatting.bound_notes`), as the CLI's
        compare and the interventions screen do; hide it otherwise. Returns the rows the note
        takes beyond what it took (negative when it goes)."""
        notes = bound_notes(rows)
        note = self.query_one("#bound-note", Static)
        width = max(1, self.app.size.width - 2)  # its padding
        before = note.size.height if note.display else 0
        after = sum(len(textwrap.wrap(n, width)) for n in notes)
        note.update(Text("\n".join(notes)))  # plain text, wrapped whole
        note.display = bool(notes)
        return after - before

    @on(DataTable.RowHighlighted, "#compare-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def _detail(self, index: int) -> None:
        if not 0 <= index < len(self.rows):
            return
        row = self.rows[index]
        line = self.query_one("#detail-line", Static)
        names = [slice_parts(r.get("slice") or {}) for r in self.rows[1:]]
        label = "ALL" if index == 0 else names[index - 1]
        # the figures stay whole; the name takes the room they leave (cut, never the number);
        # never wider than the terminal less the line's padding, whatever the widget reports
        width = min(line.size.width or self.app.size.width, self.app.size.width - 2)
        line.update(cell(detail_line(row, label, width, siblings=names)))

    def action_cycle_grouping(self) -> None:
        order = list(GROUPINGS)
        index = order.index(self.by) if self.by in order else -1
        self.by = order[(index + 1) % len(order)]
        self._title()
        self.set_status(f"comparing by {self.by}…")
        self.load_compare()

    def app_terms(self, text: str) -> str:
        """The refusal of runs evaluated differently names this screen's ``w`` (the CLI's
        ``--allow-mismatch``)."""
        return text.replace("Pass --allow-mismatch to compare anyway.", "w compares them anyway.")

    def action_toggle_mismatch(self) -> None:
        self.allow_mismatch = not self.allow_mismatch
        self.notify(
            "comparing runs with different settings"
            if self.allow_mismatch
            else "refusing runs with different settings",
            markup=False,
        )
        self.load_compare()

    def action_pick_axes(self) -> None:
        """Compare by any combination of the four axes (``compare --by a,b``)."""
        from .axis_picker import AxisPicker
        from .slices import AXES

        current = [a for a in self.by.split(",") if a in AXES]

        def chosen(axes: list[str] | None) -> None:
            if axes:
                self.by = ",".join(axes)
                self._title()
                self.set_status(f"comparing by {self.by}…")
                self.load_compare()

        self.app.push_screen(AxisPicker(list(AXES), current), chosen)

    def action_report(self) -> None:
        ask_report_path(self, self.base, self.cand, self.export_report)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def export_report(self, path: Path | None = None) -> None:
        self.post_message(
            ReportWritten(write_report(self.ws, self.base, self.cand, self.benchmark, path))
        )

    def on_report_written(self, message: ReportWritten) -> None:
        self.notify(f"report written: {message.path}", title="capslice", markup=False)

    def action_diagnose(self) -> None:
        from .diagnose import DiagnoseScreen

        self.app.push_screen(DiagnoseScreen(self.base, self.cand, benchmark=self.benchmark))

    @on(ResultTable.RowChosen)
    def open_samples(self, event: ResultTable.RowChosen) -> None:
        from .samples import SamplesScreen

        key = event.payload or {}
        query = samples_query(key, self.benchmark)
        title = f"{slice_label(key) or 'ALL'} (cand)"
        self.app.push_screen(SamplesScreen(self.cand, title=title, **query))
