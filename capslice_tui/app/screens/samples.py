"""Samples of one slice, read from the store a page at a time (keyset paging) in any order.

The table holds a window of at most ``WINDOW_PAGES`` pages: moving past its end reads the next
page and drops the farthest one (the same going up), so PgDn walks a 200k-sample slice
without stopping at page boundaries and without rows piling up in the widget. The status line
shows the rows in view of the slice's total; End reads the true last page; ``j`` jumps to a
doc; ``s``/``S`` sort by a column (a query over the whole slice, not a sort of the rows
loaded); ``/`` searches responses, prompts and targets (SQLite FTS5, built for the run on its
first search, with progress in the status line).
"""

from __future__ import annotations

import threading
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from ...formatting import (
    NO_ANSWER,
    answer_cell,
    answer_notes,
    answer_text,
    distinct_cuts,
    extracted_cell,
    flag_legend,
    flagged_mode,
    lenient_cell,
    middle_cut,
    mode_legend,
    plural,
    response_cells,
    shared_prefix,
    visible,
)
from ...vocabulary import MODE_MARKS
from ..format import cell, fit_parts, fold_parts, sample_name, short, short_task, verdict_mark
from ..widgets.result_table import ResultTable
from .base import HandLabelScreen

PAGE = 100
"""Rows read per query."""
WINDOW_PAGES = 3
"""Pages the table holds at most; moving beyond them drops the farthest page."""
SORTS: tuple[str, ...] = (
    "id", "task", "doc", "k", "target", "extracted", "score", "mode", "response", "length",
)  # fmt: skip
"""Sort columns (``s`` cycles them; ``id`` is ingest order)."""
FAILURE_FILTERS: tuple[str | None, ...] = (
    None,
    "wrong_answer",
    "extraction_failure",
    "truncated",
    "runaway",
    "empty",
    "correct",
)
COLUMNS = ("task", "doc", "#", "target", "extracted", "score", "mode", "response")
"""The table's columns: ``#`` is the sample's index within its item (``k`` is pass@k's);
``lenient`` follows ``extracted`` when capslice's lenient extraction reads another answer on
a row in view (and the response keeps its room)."""
SORT_NAMES = {"k": "#"}
"""Sort keys (``store.queries.SORTS``) as the status line names them."""
RUN_LEAST = 24
"""Characters of the run name the title keeps beside the slice, or it leaves the run to the
header line (which names it too, cut in the middle with its end whole): a run cut shorter
(``olm…931-hf``) reads the same for two seeds of one recipe."""
# Colour-free markers for failure modes in the table; the filter title shows the same
# marker next to the full name, and help explains them.
# One scheme, the CLI's (vocabulary.FAILURE_MARKS): every failure mode a short word or
# marker (never a full name beside markers), the legend line under the table says each.
MODE_TEXT = MODE_MARKS  # the app's name for it (diagnose and discover import it from here)


def task_cuts(names: list[str]) -> list[str]:
    """Task names (without their benchmark prefix) as the task column shows them, at most
    :data:`TASK_WIDTH` characters, different names never alike (``logical_deduction_three``
    and ``_five_objects`` both read ``logical_deduc~``): a start every long one shares is
    left out for ``…`` (``…three_objects``, ``…five_objects``), the rest cut apart between
    whole words (``boolean_expressions`` -> ``boolean…``), else as
    :func:`~capslice_tui.formatting.distinct_cuts` cuts them."""
    prefix = shared_prefix(names) if any(len(n) > TASK_WIDTH for n in names) else ""
    if prefix and all(n.startswith(prefix) for n in names):
        names = ["…" + n[len(prefix) :] for n in names]
    # cut between whole words, never inside one (``boolean…``, not ``boolean_expre…``), as
    # the app's other names (:func:`..format.fit_parts` with siblings, bf63123); where even
    # the first word does not fit, or it reads like another name, the cut above stands
    cuts = distinct_cuts(names, TASK_WIDTH)
    words = [
        # siblings given even when alone in view, so the cut is a word cut
        fit_parts([n], TASK_WIDTH, siblings=[[o] for o in names if o != n] or [[]])
        for n in names
    ]
    if len(set(words)) == len(set(names)):
        return words
    return cuts


def response_legend(view: str | None, shared: str) -> str:
    """The line above the status saying what the response column shows when not each
    response's start (:func:`~capslice_tui.formatting.response_cells`), with the start every
    response shares whole (a one-row status cut it: ``Brackets are evaluated~``); '' for
    starts."""
    start = f"every one starts {shared!r}" if shared else "their starts read alike"
    if view == "after":
        return f"response: what follows the start ({start})"
    if view == "end":
        return f"resp. end: the end of each response ({start})"
    return ""


SHORT_MEANINGS = {
    "wrong_answer": "wrong: wrong answer",
    "extraction_failure": "fmt!: answer not extracted",
    "truncated": "trunc: at the length cap",
}
"""The marked failure modes as the legend lines under the table say them (``i`` shows
:func:`~capslice_tui.formatting.mode_legend`'s whole sentences)."""
SHORT_FLAGS = {
    "eos": "+eos: EOS written as text",
    "rep": "+rep: repeats itself",
    "stop": "+stop: past a stop",
    "cap": "+cap: ran on to the cap",
}
"""The flags a mode cell adds (``correct+rep``, ``wrong+cap``: formatting.flagged_mode), as
the legend lines say them."""
LEGEND_KEY = "i: legend"
"""How the short legend ends: the key that shows the whole legend."""
LEGEND_LINES = 2
"""Lines the short legend takes at most (at 80x24 the table keeps 16 rows)."""


def legend_lines(parts: list[str], width: int, most: int = LEGEND_LINES) -> str:
    """At most ``most`` lines of ``width`` characters: as many of ``parts`` as fit, in their
    order (a part that does not fit is left for a shorter one after it), ``" · "``-joined
    and folded between parts, then :data:`LEGEND_KEY` (the whole legend says every part)."""
    kept: list[str] = []
    for part in parts:
        if fold_parts(" · ".join([*kept, part, LEGEND_KEY]), width).count("\n") < most:
            kept.append(part)
    return fold_parts(" · ".join([*kept, LEGEND_KEY]), width)


def short_legend(
    rows: list[dict[str, Any]], view: str | None, lenient: tuple[bool, int]
) -> list[str]:
    """The parts of the short legend for ``rows`` (in view), most telling first: how many
    rows capslice's lenient reading differs on (``lenient``: the column shown, the rows
    that differ), the marks and flags in view, a ``-`` answer, the response column."""
    shown, differ = lenient
    parts = [f"lenient differs on {plural(differ, 'row')} (Enter)"] if differ and not shown else []
    modes = {r.get("failure_mode") for r in rows}
    parts += [
        text for mode, text in SHORT_MEANINGS.items() if mode in modes and mode != "wrong_answer"
    ]
    flags = {
        word
        for r in rows
        for word in flagged_mode(r.get("failure_mode"), "", r.get("failure_signals")).split("+")[1:]
    }
    parts += [text for word, text in SHORT_FLAGS.items() if word in flags]
    if "wrong_answer" in modes:
        parts.append(SHORT_MEANINGS["wrong_answer"])
    if any(answer_text(r.get("extracted")) == NO_ANSWER for r in rows):
        parts.append("-: no answer read")
    if shown:
        parts.append("lenient: capslice's reading")
    if view == "end":
        parts.append("resp. end: each response's end")
    elif view == "after":
        parts.append("response: after the start all share")
    return parts


def filter_text(mode: str | None) -> str:
    """The failure-mode filter as shown: ``all``, ``wrong_answer``,
    ``extraction_failure (fmt!)`` (the full name first, then the table's marker)."""
    if mode is None:
        return "all"
    marker = MODE_TEXT.get(mode, mode)
    return mode if marker == mode else f"{mode} ({marker})"


class SamplesTable(ResultTable):
    """The samples table: moves that would stop at the window's edge tell the screen.

    PgDn/PgUp/Down/Up beyond the rows held post :class:`Overrun` with the rows still to move;
    Home/End post :class:`Edge` (the screen reads the first or the true last page).
    """

    BINDINGS = [
        Binding("home", "first_row", "First row", show=False, id="samples.home"),
        Binding("end", "last_row", "Last row", show=False, id="samples.end"),
    ]

    class Overrun(Message):
        """A move of ``rows`` (negative: up) that the rows held could not make in full."""

        def __init__(self, rows: int) -> None:
            super().__init__()
            self.rows = rows

    class Edge(Message):
        """Home (``last`` False) or End (``last`` True)."""

        def __init__(self, last: bool) -> None:
            super().__init__()
            self.last = last

    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - (1 if self.show_header else 0))

    def action_page_down(self) -> None:
        before = self.cursor_row
        super().action_page_down()
        short_by = self._page_rows() - (self.cursor_row - before)
        if short_by > 0 and self.cursor_row >= self.row_count - 1:
            self.post_message(self.Overrun(short_by))

    def action_page_up(self) -> None:
        before = self.cursor_row
        super().action_page_up()
        short_by = self._page_rows() - (before - self.cursor_row)
        if short_by > 0 and self.cursor_row <= 0:
            self.post_message(self.Overrun(-short_by))

    def action_cursor_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.post_message(self.Overrun(1))
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.row_count and self.cursor_row <= 0:
            self.post_message(self.Overrun(-1))
            return
        super().action_cursor_up()

    def action_first_row(self) -> None:
        self.post_message(self.Edge(last=False))

    def action_last_row(self) -> None:
        self.post_message(self.Edge(last=True))


class WindowLoaded(Message):
    """One page read for the samples screen: ``kind`` first | last | from | after | before
    (or missing: no sample of the doc asked for); ``more``: rows exist beyond it in the
    direction read; ``total`` when it was counted with it."""

    def __init__(
        self, gen: int, kind: str, rows: list[dict[str, Any]], more: bool, total: int | None
    ) -> None:
        super().__init__()
        self.gen = gen
        self.kind = kind
        self.rows = rows
        self.more = more
        self.total = total


class ModesCounted(Message):
    """The samples of each failure mode (:data:`FAILURE_FILTERS`) in the slice read with the
    screen's query ``base`` (:meth:`SamplesScreen._mode_base`), whatever the mode filter."""

    def __init__(self, base: tuple[Any, ...], counts: dict[str, int]) -> None:
        super().__init__()
        self.base = base
        self.counts = counts


def modes_text(counts: dict[str, int] | None) -> str:
    """``f: wrong 3, fmt! 1, correct 28``: the failure modes the slice holds, as the mode
    column marks them, with their samples (those with none left out: ``f`` passes over
    them); '' while not counted."""
    if counts is None:
        return ""
    parts = [f"{MODE_TEXT.get(m, m)} {counts[m]:,}" for m in FAILURE_FILTERS if m and counts.get(m)]
    return "f: " + ", ".join(parts) if parts else ""


def next_mode(current: str | None, step: int, counts: dict[str, int] | None) -> str | None:
    """The failure-mode filter after ``current`` (``step`` 1, or -1 for the one before),
    passing over the modes with no sample in the slice (``counts``; every mode while the
    counts are not known); None (all samples) when no other mode has samples."""
    order = [m for m in FAILURE_FILTERS if m is None or counts is None or counts.get(m)]
    if current not in order:
        order = [m for m in FAILURE_FILTERS if m in order or m == current]
    index = order.index(current) if current in order else 0
    return order[(index + step) % len(order)]


class TotalCounted(Message):
    """The number of samples matching the screen's query ``gen``."""

    def __init__(self, gen: int, total: int) -> None:
        super().__init__()
        self.gen = gen
        self.total = total


TASK_WIDTH = 14
"""Characters of the task column (a slice of several tasks), names cut apart."""
VALUE_WIDTH = 10
"""Characters of the target and extracted columns when the response column needs the room."""
VALUE_MOST = 24
"""The widest the target and extracted columns grow to where the response column has room."""
RESPONSE_LEAST = 24
"""Characters the response column keeps when the target and extracted columns grow."""
LENIENT_LEAST = 16
"""Characters the response column keeps when the lenient column is shown (Enter shows a
whole response; a lenient answer is only in the detail when the column is not shown)."""


class SamplesScreen(HandLabelScreen):
    """Samples table over the store: n / PgDn page on, f filters by failure mode, s/S sort,
    / searches text, j jumps to a doc, Home/End go to the first/last sample of the slice."""

    HELP_TITLE = "Samples"
    HELP_LEGEND = (
        "title: mode (the failure-mode filter, f/F) · the answer filter the samples are from",
        "doc: the item's index in the benchmark; #: the sample's index for that item (0, 1, "
        "...; not a pass@k)",
        "extracted: the answer the run's answer filter (or capslice's extraction, for a log "
        "without one) read from the response; - when none was read or the log kept none",
        "lenient: the answer capslice's lenient extraction reads, where it differs from "
        "extracted (blank: the same; -: none); shown when a row in view has one and the "
        "response keeps its room (Enter shows it in any case)",
        "score: ✓ ok = correct, ✗ no = not",
        "mode: why the sample failed (the legend under the table names the marks in view in "
        "a few words; i shows it whole):",
        "  wrong (wrong_answer) = an answer was read and is wrong;",
        "  fmt! (extraction_failure) = right answer in the response, not extracted;",
        "  trunc (truncated) = the response stopped at the generation length cap;",
        "  runaway = the response looped or ran past a stop; empty = no text;",
        "  correct+eos / +rep / +stop / +cap = scored correct, but an EOS token was written "
        "as text / the text repeats / it went on past a stop sequence / it reached the "
        "length cap (Enter shows where)",
        "  wrong+cap = a complete wrong answer, then the model ran on to the length cap",
        "status: the rows in view and the slice's total; PgDn/PgUp read on from the store",
        "f / F: next / previous failure-mode filter, passing over modes with no sample in "
        "the slice (the status line counts each mode: wrong 12 ...); n: 100 rows on",
        "s / S: sort by the next column / reverse it (over the whole slice)",
        "/: search response, prompt and target (3+ characters use the index)",
        "response: its start; resp. end: each response's end (where the answer is), shown "
        "when the rows' starts read alike; the status line says the start they share",
        "j: jump to a doc id; Home / End: first / last sample of the slice",
    )
    BINDINGS = [
        Binding("n", "next_page", "More", id="samples.next"),
        Binding("f", "cycle_filter", "Mode filter", id="samples.filter"),
        Binding(
            "F",
            "cycle_filter_back",
            "Filter back",
            show=False,
            id="samples.filter-back",
            tooltip="Previous failure-mode filter",
        ),
        Binding("l", "label", "Label", id="samples.label", tooltip="Hand-label this item"),
        Binding("s", "cycle_sort", "Sort", show=False, id="samples.sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="samples.sort-reverse"),
        Binding("slash", "search", "Search", show=False, id="samples.search"),
        Binding("j", "jump_doc", "Jump to doc", show=False, id="samples.jump"),
        Binding(
            "i",
            "toggle_legend",
            "Legend",
            show=False,
            id="samples.legend",
            tooltip="The whole legend under the table, or its short form",
        ),
    ]

    STATUS_FOLDS = True

    def __init__(
        self,
        run: str,
        *,
        title: str = "",
        where: dict[str, str] | None = None,
        task: str | None = None,
        benchmark: str | None = None,
        failure_mode: str | None = None,
        filter_name: str | None = None,
        note: str | None = None,
    ) -> None:
        super().__init__()
        self.run = run
        # why these samples (diagnose of a gain opens the base's): said on the status line
        # while the mode filter they were opened with holds
        self.note = note
        self.note_mode = failure_mode
        self.filter_name = filter_name  # answer filter; None = each task's primary one
        self.filter_label = ""  # its name as shown, once the worker has read it
        self.slice_title = title
        self.where = dict(where or {})
        self.slice_task = task
        self.benchmark = benchmark
        self.failure_mode = failure_mode
        self.sort_by = "id"
        self.descending = False
        self.search_text: str | None = None
        self.search_note: str | None = None
        self.rows: list[dict[str, Any]] = []  # the window, in display order
        self.has_before = False
        self.has_after = False
        self.row_offset: int | None = 0  # index of rows[0] in the slice (None: not known)
        self.total: int | None = None
        self.query_gen = 0  # bumped by every new query; pages of older queries are dropped
        self.reading: str | None = None
        self.pending = 0  # rows still to move once the page being read arrives
        self.response_width: int | None = None
        self.value_width = VALUE_WIDTH  # target and extracted, widened where room exists
        self.show_lenient = False  # the lenient column (a new query decides: _fill_rows)
        self.lenient_rows = 0  # rows whose lenient answer differs (when the column is not shown)
        self.lenient_no_room = False  # the last fit found such rows but no room for the column
        # what the response column shows of each (formatting.RESPONSE_VIEWS; None: to see)
        self.response_view: str | None = None
        self.response_shared = ""  # the start every response shown has, when left out
        self.task_cuts: dict[str, str] = {}  # task name -> as its column shows it
        self._index_lock = threading.Lock()  # the search index is built by one worker
        self.mode_counts: dict[str, int] | None = None  # samples per failure mode (f skips 0)
        self.mode_base: tuple[Any, ...] | None = None  # the query they were counted for
        self.legend_parts: list[str] = []  # the one legend line's parts (short_legend)
        self.legend_text = ""  # the whole legend of the rows in view (i shows it)
        self.full_legend = False

    @property
    def more(self) -> bool:
        """Rows exist after the window."""
        return self.has_after

    def context_run(self) -> str | None:
        """This screen's run (the menu opens discover, re-score and trend on it)."""
        return self.run

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="title")
        yield SamplesTable(id="samples-table")
        yield Static("", id="mode-legend")  # what the marks in view stand for (wraps)
        yield Static("loading samples...", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.run} · samples"
        self.query_one(ResultTable).set_columns(self.columns)
        self.query_one("#mode-legend", Static).display = False
        self._update_title()
        self._reset("first")

    def _update_title(self) -> None:
        mode = filter_text(self.failure_mode)
        # the filter first: it is what f/F change, and it must never be cut; the slice name
        # last, cut to what is left of the line
        # last, cut to what is left of the line; the run between them, cut in the middle, or
        # left to the header line above when the slice needs its room
        answers = f"filter {self.filter_label} · " if self.filter_label else ""
        head = f"mode: {mode} · {answers}"
        name = self.slice_title or "all"
        task = self.slice_task
        if task and task not in name and short_task(task) not in name:  # no task column
            name = f"task {short_task(task)} · {name}"
        width = self.query_one("#title", Static).size.width or self.app.size.width - 2
        room = max(width - len(head), 8)
        run = visible(self.run)
        if len(run) + 3 + len(name) <= room:
            text = f"{head}{run} · {name}"
        elif len(name) + 3 + RUN_LEAST <= room:
            text = f"{head}{middle_cut(run, room - 3 - len(name))} · {name}"
        else:
            text = head + short(name, room)
        self.query_one("#title", Static).update(cell(text))

    @property
    def columns(self) -> tuple[str, ...]:
        """The table's columns: no task column when the slice is one task (the title names
        it instead of every row repeating it); ``lenient`` after ``extracted`` while shown."""
        at = COLUMNS.index("extracted") + 1
        names = COLUMNS[:at] + (("lenient",) if self.show_lenient else ()) + COLUMNS[at:]
        return names[1:] if self.slice_task else names

    def _filters(self) -> dict[str, Any]:
        return {
            "where": self.where or None,
            "task": self.slice_task,
            "benchmark": self.benchmark,
            "failure_mode": self.failure_mode,
            "filter_name": self.filter_name,
            "search": self.search_text,
        }

    # ---- reading ------------------------------------------------------------------------
    def _reset(self, kind: str, doc: str | None = None) -> None:
        """Start a new query (filter, sort, search, jump, Home/End); older pages are dropped."""
        self.query_gen += 1
        self.pending = 0
        self.reading = kind
        if kind != "last":
            self.total = None
            self.count_total(self.query_gen)
        base = self._mode_base()
        if base != self.mode_base:  # another slice, answer filter or search: count again
            self.mode_base, self.mode_counts = base, None
            self.count_modes(base)
        self.load(self.query_gen, kind, None, doc)

    def _mode_base(self) -> tuple[Any, ...]:
        """The query but its failure mode: what the counts of each mode depend on."""
        where = tuple(sorted(self.where.items()))
        return (where, self.slice_task, self.benchmark, self.filter_name, self.search_text)

    @work(thread=True, exit_on_error=False, group="samples-modes")
    def count_modes(self, base: tuple[Any, ...]) -> None:
        """Count the slice's samples of each failure mode (``f`` passes over empty ones)."""
        filters = {**self._filters(), "failure_mode": None}
        if self.search_text:
            with self._index_lock:
                self.ws.ensure_search_index(self.run)
        counts = {
            m: self.ws.samples_count(self.run, **{**filters, "failure_mode": m})
            for m in FAILURE_FILTERS
            if m
        }
        self.post_message(ModesCounted(base, counts))

    def on_modes_counted(self, message: ModesCounted) -> None:
        if message.base == self.mode_base:
            self.mode_counts = message.counts
            self._status()

    @staticmethod
    def _key(row: dict[str, Any]) -> tuple[Any, int]:
        return (row.get("sort_key"), int(row["id"]))

    @work(thread=True, exit_on_error=False, group="samples")
    def load(self, gen: int, kind: str, key: tuple[Any, int] | None, doc: str | None) -> None:
        """Read one page (``kind`` as in :class:`WindowLoaded`) off the UI thread."""
        filters = self._filters()
        if self.search_text and kind in ("first", "last", "from"):
            self.search_note = self._ready_search(gen)
        if kind == "from":
            key = self.ws.sample_doc_key(
                self.run, str(doc), sort=self.sort_by, descending=self.descending, **filters
            )
            if key is None:
                self.post_message(WindowLoaded(gen, "missing", [], False, None))
                return
        rows = self.ws.samples_page(
            self.run,
            sort=self.sort_by,
            descending=self.descending,
            after=key if kind == "after" else None,
            before=key if kind == "before" else None,
            from_key=key if kind == "from" else None,
            last=kind == "last",
            limit=PAGE + 1,
            **filters,
        )
        more = len(rows) > PAGE
        rows = rows[-PAGE:] if kind in ("before", "last") else rows[:PAGE]
        total = self.ws.samples_count(self.run, **filters) if kind == "last" else None
        if gen == self.query_gen and not self.filter_label:
            use = self.ws.filter_use(self.run, self.filter_name, benchmark=self.benchmark)
            self.post_message(SamplesScreen.FilterNamed(use.short_label))
        self.post_message(WindowLoaded(gen, kind, rows, more, total))

    def _ready_search(self, gen: int) -> str | None:
        """Build the run's search index if needed (progress in the status line); returns the
        note to show when the search scans instead of using the index."""

        def progress(done: int, total: int) -> None:
            if gen == self.query_gen:
                self.app.call_from_thread(
                    self.set_status, f"indexing {self.run} for search: {done:,} of {total:,}"
                )

        with self._index_lock:  # one build at a time (the count waits for it too)
            note = self.ws.ensure_search_index(self.run, progress)
        return note or self.ws.search_note(self.search_text or "")

    @work(thread=True, exit_on_error=False, group="samples-count")
    def count_total(self, gen: int) -> None:
        """Count the query's samples (the status line's total) off the UI thread."""
        if self.search_text:
            with self._index_lock:
                self.ws.ensure_search_index(self.run)
        self.post_message(TotalCounted(gen, self.ws.samples_count(self.run, **self._filters())))

    def _read(self, kind: str) -> None:
        """Read the page after (``after``) or before (``before``) the window, one at a time."""
        if self.reading is not None or not self.rows:
            return
        self.reading = kind
        edge = self.rows[-1] if kind == "after" else self.rows[0]
        self.load(self.query_gen, kind, self._key(edge), None)

    class FilterNamed(Message):
        """The answer filter the samples are read from, as shown in the title."""

        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

    def on_samples_screen_filter_named(self, message: FilterNamed) -> None:
        self.filter_label = message.label
        self._update_title()

    def on_total_counted(self, message: TotalCounted) -> None:
        if message.gen == self.query_gen:
            self.total = message.total
            self._status()

    def on_window_loaded(self, message: WindowLoaded) -> None:
        if message.gen != self.query_gen:
            return  # a page of a query replaced since
        self.reading = None
        table = self.query_one(ResultTable)
        kind, rows = message.kind, message.rows
        if kind == "missing":
            self.pending = 0
            self.notify("no sample of that doc in this slice", markup=False)
            self._status()
            return
        cursor = table.cursor_row if self.rows else 0
        scroll = table.scroll_y
        shift = 0  # rows the window moved by, to keep the view where it was
        if message.total is not None:
            self.total = message.total
        limit = WINDOW_PAGES * PAGE
        if kind in ("first", "last", "from"):
            self.rows = list(rows)
            self.has_before = kind == "from" or (kind == "last" and message.more)
            self.has_after = kind != "last" and message.more
            self.row_offset = 0 if kind == "first" else None
            if kind == "last" and self.total is not None:
                self.row_offset = self.total - len(rows)
            cursor = len(rows) - 1 if kind == "last" else 0
        elif kind == "after":
            self.rows += rows
            self.has_after = message.more
            drop = max(0, len(self.rows) - limit)
            if drop:
                self.rows = self.rows[drop:]
                self.has_before = True
                self.row_offset = None if self.row_offset is None else self.row_offset + drop
                cursor -= drop
                shift = -drop
        else:  # before
            if not message.more:
                self.row_offset = 0
            elif self.row_offset is not None:
                self.row_offset -= len(rows)
            self.has_before = message.more
            self.rows = rows + self.rows
            cursor += len(rows)
            shift = len(rows)
            if len(self.rows) > limit:
                self.rows = self.rows[:limit]
                self.has_after = True
        self._fill_rows(
            table, refit=self.response_width is None or kind in ("first", "last", "from")
        )
        cursor += self.pending
        self.pending = 0
        if self.rows:
            table.move_cursor(row=max(0, min(cursor, len(self.rows) - 1)), animate=False)
        if kind in ("after", "before"):
            table.call_after_refresh(table.scroll_to, y=max(0, scroll + shift), animate=False)
        self._status()
        self._near_edge(table.cursor_row)

    def _near_edge(self, row: int) -> None:
        """Read the next page ahead when the cursor comes within half a page of an end."""
        if self.reading is not None or not self.rows:
            return
        if self.has_after and row >= len(self.rows) - PAGE // 2:
            self._read("after")
        elif self.has_before and row < PAGE // 2:
            self._read("before")

    @on(DataTable.RowHighlighted)
    def _moved(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != self.query_one(ResultTable).cursor_row:
            return  # posted before the window was rebuilt: the cursor is elsewhere now
        self._near_edge(event.cursor_row)
        self._status()

    @on(SamplesTable.Overrun)
    def _overrun(self, message: SamplesTable.Overrun) -> None:
        if (message.rows > 0 and not self.has_after) or (message.rows < 0 and not self.has_before):
            return
        self.pending += message.rows
        if self.reading is None:
            self._read("after" if message.rows > 0 else "before")

    @on(SamplesTable.Edge)
    def _edge(self, message: SamplesTable.Edge) -> None:
        table = self.query_one(ResultTable)
        if message.last and not self.has_after:
            table.move_cursor(row=max(0, len(self.rows) - 1), animate=False)
        elif not message.last and not self.has_before:
            table.move_cursor(row=0, animate=False)
        else:
            self.set_status("reading the " + ("last" if message.last else "first") + " page...")
            self._reset("last" if message.last else "first")

    def _status(self) -> None:
        shown = len(self.rows)
        if not shown:
            if self.reading is None:
                what = (
                    f"samples with failure mode {self.failure_mode}"
                    if self.failure_mode
                    else "samples"
                )
                found = f" containing {self.search_text!r}" if self.search_text else ""
                modes = modes_text(self.mode_counts)
                self.set_status(
                    f"no {what}{found} in this slice · {modes or 'f/F: filter'} · /: search"
                )
            return
        total = plural("?" if self.total is None else self.total, "sample", ",")
        if self.row_offset is not None:
            where = f"rows {self.row_offset + 1:,}-{self.row_offset + shown:,} of {total}"
        else:
            where = f"{shown} rows from the doc, of {total}"
        order = (
            f"by {SORT_NAMES.get(self.sort_by, self.sort_by)}{' desc' if self.descending else ''}"
        )
        found = f" · search {short(self.search_text, 20)!r}" if self.search_text else ""
        note = f" · {self.search_note}" if self.search_note else ""
        if self.note and self.failure_mode == self.note_mode:
            note += f" · {self.note}"
        modes = modes_text(self.mode_counts)
        modes = f" · {modes}" if modes else ""
        # the keys before the mode counts: at 80 columns the status folds into two lines
        # (rows, order and keys; the counts f filters by), not three
        self.set_status(f"{where} · {order}{found} · s/S sort · / search · j doc{modes}{note}")

    def _response_room(self, rows: list[dict[str, Any]]) -> int:
        """Characters for the response column: what the other columns leave of the table
        (each column costs 2 for padding, 2 go to the scrollbar), at least 8: a response's
        end is cut to the room it really has."""
        widths = [len(c) for c in self.columns[:-1]]
        for r in rows:
            for i, c in enumerate(self._cells(r)[:-1]):
                widths[i] = max(widths[i], c.cell_len)
        width = self.query_one(ResultTable).size.width or self.app.size.width
        return max(8, width - sum(w + 2 for w in widths) - 2 - 2)

    def _fill_rows(self, table: ResultTable, refit: bool) -> None:
        """Put the window's rows in the table; with ``refit`` (a new query), measure the
        response column again and choose whether it shows each response's start or, when
        the rows' starts read alike, what follows the start they share, or else its end
        (:func:`response_cells`, headed ``resp. end``); the shared start is said whole above
        the status line (:func:`response_legend`)."""
        names = sorted({short_task(r.get("task") or "") for r in self.rows})
        self.task_cuts = dict(zip(names, task_cuts(names), strict=True))
        # counted again on every load, search and sort: the note says of which rows
        self.lenient_rows = sum(1 for r in self.rows if lenient_cell(r))
        if self.lenient_rows and not self.show_lenient and not self.lenient_no_room:
            # rows that differ came with a page read later (none in the first one): the
            # columns are fitted again, so the column shows where it has room
            refit = True
        if refit:
            self.value_width = VALUE_WIDTH
            # the lenient column when a row reads another answer there and the response
            # keeps RESPONSE_LEAST (else the sample's detail says it)
            self.show_lenient = bool(self.lenient_rows)
            room = self._response_room(self.rows)
            self.lenient_no_room = self.show_lenient and room < LENIENT_LEAST
            if self.lenient_no_room:
                self.show_lenient = False
                room = self._response_room(self.rows)
            # a target or extracted answer longer than VALUE_WIDTH ($\boxed{142}$) gets the
            # room the response column can spare (it keeps RESPONSE_LEAST), all of it or none
            need = max(
                [len(visible(str(r.get("target") or ""))) for r in self.rows]
                + [len(extracted_cell(r.get("extracted"), VALUE_MOST)) for r in self.rows]
                + [VALUE_WIDTH]
            )
            grow = min(need, VALUE_MOST) - VALUE_WIDTH
            if grow > 0 and room - 2 * grow >= RESPONSE_LEAST:
                self.value_width += grow
                room -= 2 * grow
            self.response_width = room
            self.response_view = None
        elif self.response_width is not None:
            # a page read since (the rows before a jump's doc) can widen the other columns
            # (a longer mode, a wider doc id): the responses are cut again to the room left,
            # else the table cut each one's end ("~a slightly differe~" after j 40)
            self.response_width = min(self.response_width, self._response_room(self.rows))
        texts, view, shared = response_cells(
            [r.get("response") for r in self.rows],
            self.response_width or 20,
            self.response_view,
            [r.get("response_end") for r in self.rows],
            self.response_shared if self.response_view else None,
            [r.get("extracted") for r in self.rows],
        )
        if self.response_view is None:
            self.response_view, self.response_shared = view, shared
            labels = self.columns
            table.set_columns([*labels[:-1], "resp. end" if view == "end" else labels[-1]])
        table.set_rows(
            [(r["id"], self._cells(r, t)) for r, t in zip(self.rows, texts, strict=True)]
        )
        modes = mode_legend(r.get("failure_mode") for r in self.rows)
        flags = flag_legend((r.get("failure_mode"), r.get("failure_signals")) for r in self.rows)
        modes = "\n".join(line for line in (modes, flags) if line)
        said = response_legend(self.response_view, self.response_shared)
        answers = answer_notes(self.rows, self.show_lenient)
        if self.lenient_rows and not self.show_lenient:  # no room for the column
            answers.append(
                f"capslice's lenient reading differs on {self.lenient_rows} of "
                f"{plural(len(self.rows), 'row')} shown (Enter shows it)"
            )
        self.legend_text = "\n".join(line for line in (said, *answers, modes) if line)
        self.legend_parts = short_legend(
            self.rows, self.response_view, (self.show_lenient, self.lenient_rows)
        )
        self._show_legend()

    def _show_legend(self) -> None:
        """The legend under the table: short (:func:`legend_lines`), or with ``i`` the
        whole of it (every mark in view in full, the start the responses share)."""
        box = self.query_one("#mode-legend", Static)
        width = box.content_region.width or self.app.size.width - 2
        if self.full_legend and self.legend_text:
            box.update(Text(self.legend_text))
        else:
            box.update(Text(legend_lines(self.legend_parts, width) if self.legend_text else ""))
        box.display = bool(self.legend_text)

    def on_resize(self) -> None:
        if self.legend_text:
            self._show_legend()

    def action_toggle_legend(self) -> None:
        self.full_legend = not self.full_legend
        self._show_legend()

    def _cells(self, row: dict[str, Any], response: str = "") -> list[Any]:
        mode = row.get("failure_mode") or ""
        name = short_task(row.get("task") or "")
        task = [] if self.slice_task else [cell(self.task_cuts.get(name, name), TASK_WIDTH)]
        return [
            *task,
            cell(row.get("doc_id")),
            cell(row.get("sample_idx")),
            cell(row.get("target"), self.value_width),
            # as logged, cut as the CLI cuts it; none extracted: a marker, never blank
            cell(extracted_cell(row.get("extracted"), self.value_width)),
            # never widened: the answers' room goes to target and extracted (Enter: whole)
            *([cell(answer_cell(lenient_cell(row), VALUE_WIDTH))] if self.show_lenient else []),
            cell(verdict_mark(row.get("score"))),
            cell(flagged_mode(mode, MODE_TEXT.get(mode, mode), row.get("failure_signals"))),
            cell(response),
        ]

    # ---- keys ---------------------------------------------------------------------------
    def action_next_page(self) -> None:
        table = self.query_one(ResultTable)
        if not self.has_after and table.cursor_row >= len(self.rows) - 1:
            self.notify("no more samples", markup=False)
            return
        room = len(self.rows) - 1 - table.cursor_row
        table.move_cursor(row=min(len(self.rows) - 1, table.cursor_row + PAGE), animate=False)
        if PAGE > room and self.has_after:
            self.pending += PAGE - room
            if self.reading is None:
                self._read("after")

    def action_cycle_filter(self, step: int = 1) -> None:
        self.failure_mode = next_mode(self.failure_mode, step, self.mode_counts)
        self.rows = []
        self.has_after = self.has_before = False
        self._update_title()
        self.set_status(f"loading {filter_text(self.failure_mode)} samples...")
        self._reset("first")

    def action_cycle_filter_back(self) -> None:
        self.action_cycle_filter(-1)

    def action_cycle_sort(self) -> None:
        self.sort_by = SORTS[(SORTS.index(self.sort_by) + 1) % len(SORTS)]
        self.set_status(f"sorting by {SORT_NAMES.get(self.sort_by, self.sort_by)}...")
        self._reset("first")

    def action_reverse_sort(self) -> None:
        self.descending = not self.descending
        name = SORT_NAMES.get(self.sort_by, self.sort_by)
        self.set_status(f"sorting by {name}{' descending' if self.descending else ''}...")
        self._reset("first")

    def action_search(self) -> None:
        from .prompt import PromptScreen

        def done(text: str | None) -> None:
            if text is None:
                return
            self.search_text = text or None
            self.search_note = None
            self.set_status(f"searching for {text!r}..." if text else "search cleared")
            self._reset("first")

        self.app.push_screen(
            PromptScreen(
                "Search responses, prompts and targets for (empty: clear the search):",
                self.search_text or "",
                allow_empty=True,
            ),
            done,
        )

    def action_jump_doc(self) -> None:
        from .prompt import PromptScreen

        def done(text: str | None) -> None:
            if text:
                self.set_status(f"jumping to doc {text}...")
                self._reset("from", text)

        self.app.push_screen(PromptScreen("Jump to doc id:", placeholder="e.g. 1024"), done)

    @on(ResultTable.RowChosen)
    def open_detail(self, event: ResultTable.RowChosen) -> None:
        from .sample_detail import SampleDetailScreen

        self.app.push_screen(SampleDetailScreen(int(event.payload)))

    def action_label(self) -> None:
        payload = self.query_one(ResultTable).current_payload
        if payload is None:
            return
        sample_id = int(payload)
        row = next((r for r in self.rows if r["id"] == sample_id), {"task": "?"})
        self.fetch_axes_then_label(sample_id, f"hand-label the item of {sample_name(row)}")

    @work(thread=True, exit_on_error=False, group="label")
    def apply_label(self, sample_id: int, edit: Any) -> None:
        result = self.ws.label_samples([sample_id], {edit.axis: edit.value}, note=edit.note)
        self.app.call_from_thread(
            self.notify,
            f"{edit.axis}={edit.value} by hand (batch {result.get('batch')})",
            markup=False,
        )
