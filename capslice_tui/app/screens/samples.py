"""Samples of one slice, 200 per page (keyset pagination), with a failure-mode filter."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from ..format import cell, extracted_text, sample_name, short, short_task, verdict_mark
from ..messages import SamplesLoaded
from ..widgets.result_table import ResultTable
from .base import HandLabelScreen

PAGE = 200
FAILURE_FILTERS: tuple[str | None, ...] = (
    None,
    "wrong_answer",
    "extraction_failure",
    "truncated",
    "runaway",
    "empty",
    "correct",
)
COLUMNS = ("task", "doc", "k", "target", "extracted", "score", "mode", "response")
# Colour-free markers for failure modes in the table; the filter title shows the same
# marker next to the full name, and help explains them.
MODE_TEXT = {
    "correct": "correct",
    "wrong_answer": "wrong_answer",
    "extraction_failure": "fmt!",
    "truncated": "trunc",
    "runaway": "runaway",
    "empty": "empty",
}


def filter_text(mode: str | None) -> str:
    """The failure-mode filter as shown: ``all``, ``wrong_answer``,
    ``extraction_failure (fmt!)`` (the full name first, then the table's marker)."""
    if mode is None:
        return "all"
    marker = MODE_TEXT.get(mode, mode)
    return mode if marker == mode else f"{mode} ({marker})"


class SamplesScreen(HandLabelScreen):
    """Samples table. ``n`` loads the next page (also on reaching the last row), ``f`` filters."""

    HELP_TITLE = "Samples"
    HELP_LEGEND = (
        "title: mode (the failure-mode filter, f/F) · the answer filter the samples are from",
        "doc: the item's index in the benchmark; k: the sample's index for that item",
        "extracted: the answer read from the response (content of the last \\boxed{})",
        "score: ✓ ok = correct, ✗ no = not",
        "mode: correct, wrong_answer, fmt! = extraction_failure (no answer found),",
        "  trunc = truncated at the generation cap, runaway, empty",
        "f / F: next / previous failure-mode filter; n: next page of 200",
    )
    BINDINGS = [
        Binding("n", "next_page", "More", id="samples.next"),
        Binding("f", "cycle_filter", "Filter", id="samples.filter"),
        Binding(
            "F",
            "cycle_filter_back",
            "Filter back",
            show=False,
            id="samples.filter-back",
            tooltip="Previous failure-mode filter",
        ),
        Binding("l", "label", "Label", id="samples.label", tooltip="Hand-label this item"),
    ]

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
    ) -> None:
        super().__init__()
        self.run = run
        self.filter_name = filter_name  # answer filter; None = each task's primary one
        self.filter_label = ""  # its name as shown, once the worker has read it
        self.slice_title = title
        self.where = dict(where or {})
        self.slice_task = task
        self.benchmark = benchmark
        self.failure_mode = failure_mode
        self.rows: list[dict[str, Any]] = []
        self.more = False
        self.response_width: int | None = None  # measured on the first page
        self.page_loading = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="title")
        yield ResultTable(id="samples-table")
        yield Static("loading samples…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.run} · samples"
        self.query_one(ResultTable).set_columns(COLUMNS)
        self._update_title()
        self.load_page(append=False)

    def _update_title(self) -> None:
        mode = filter_text(self.failure_mode)
        # the filter first: it is what f/F change, and it must never be cut; the slice name
        # last, cut to what is left of the line
        answers = f"filter {self.filter_label} · " if self.filter_label else ""
        head = f"mode: {mode} · {answers}{self.run} · "
        room = max(self.app.size.width - 2 - len(head), 8)
        self.query_one("#title", Static).update(cell(head + short(self.slice_title or "all", room)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="samples")
    def load_page(self, append: bool) -> None:
        mode = self.failure_mode
        after_id = self.rows[-1]["id"] if append and self.rows else 0
        rows, more = self.ws.samples(
            self.run,
            where=self.where or None,
            task=self.slice_task,
            benchmark=self.benchmark,
            failure_mode=mode,
            limit=PAGE,
            after_id=after_id,
            filter_name=self.filter_name,
        )
        if not append and not self.filter_label:
            use = self.ws.filter_use(self.run, self.filter_name, benchmark=self.benchmark)
            self.post_message(SamplesScreen.FilterNamed(use.short_label))
        self.post_message(SamplesLoaded(rows, more, append, mode))

    class FilterNamed(Message):
        """The answer filter the samples are read from, as shown in the title."""

        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

    def on_samples_screen_filter_named(self, message: FilterNamed) -> None:
        self.filter_label = message.label
        self._update_title()

    def on_samples_loaded(self, message: SamplesLoaded) -> None:
        self.page_loading = False
        if message.failure_mode != self.failure_mode:
            return
        table = self.query_one(ResultTable)
        if not message.append or self.response_width is None:
            self.response_width = self._response_room(message.rows)
        new = [(r["id"], self._cells(r, self.response_width)) for r in message.rows]
        if message.append:
            self.rows.extend(message.rows)
            table.append_rows(new)
        else:
            self.rows = list(message.rows)
            table.set_rows(new)
        self.more = message.more
        self._status()

    def _status(self) -> None:
        shown = len(self.rows)
        if not shown and not self.more and self.failure_mode is not None:
            self.set_status(
                f"no samples with failure mode {self.failure_mode} in this slice · f/F: filter"
            )
            return
        total = f">{shown}" if self.more else f"{shown}"
        hint = " · n: next 200" if self.more else ""
        self.set_status(f"{shown} of {total} samples{hint} · f/F: filter · Enter: detail")

    def _response_room(self, rows: list[dict[str, Any]]) -> int:
        """Characters for the response column: what the other columns leave of the table
        (each column costs 2 for padding, 2 go to the scrollbar), at least 20."""
        widths = [len(c) for c in COLUMNS[:-1]]
        for r in rows:
            for i, c in enumerate(self._cells(r, 1)[:-1]):
                widths[i] = max(widths[i], c.cell_len)
        width = self.query_one(ResultTable).size.width or self.app.size.width
        return max(20, width - sum(w + 2 for w in widths) - 2 - 2)

    @staticmethod
    def _cells(row: dict[str, Any], response_width: int = 60) -> list[Any]:
        mode = row.get("failure_mode") or ""
        return [
            cell(short_task(row.get("task") or ""), 14),
            cell(row.get("doc_id")),
            cell(row.get("sample_idx")),
            cell(row.get("target"), 10),
            cell(extracted_text(row.get("extracted")), 10),
            cell(verdict_mark(row.get("score"))),
            cell(MODE_TEXT.get(mode, mode)),
            cell(short(row.get("response"), response_width)),
        ]

    def action_next_page(self) -> None:
        if not self.more:
            self.notify("no more samples", markup=False)
            return
        if not self.page_loading:
            self.page_loading = True
            self.load_page(append=True)

    @on(ResultTable.EndReached)
    def auto_next(self) -> None:
        if self.more and not self.page_loading:
            self.page_loading = True
            self.load_page(append=True)

    def action_cycle_filter(self, step: int = 1) -> None:
        index = (
            FAILURE_FILTERS.index(self.failure_mode) if self.failure_mode in FAILURE_FILTERS else 0
        )
        self.failure_mode = FAILURE_FILTERS[(index + step) % len(FAILURE_FILTERS)]
        self.rows = []
        self.more = False
        self.page_loading = True
        self._update_title()
        self.set_status(f"loading {filter_text(self.failure_mode)} samples…")
        self.load_page(append=False)

    def action_cycle_filter_back(self) -> None:
        self.action_cycle_filter(-1)

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
