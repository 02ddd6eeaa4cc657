"""Two runs side by side: per-slice deltas with significance as text (``worse*``/``better*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from ..format import cell, count, pct, points, pvalue, slice_label, warning_mark
from ..messages import CompareLoaded
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen
from .slices import GROUPINGS, samples_query

COLUMNS = ("slice", "mark", "diff", "base", "cand", "p", "p adj", "items", "test", "warn")


def as_dict(result: Any) -> dict[str, Any]:
    """A facade result as its dict (``.to_dict()`` when it has one)."""
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


def report_path(base: str, cand: str, directory: Path | None = None) -> Path:
    """Where the review report of ``cand`` vs ``base`` goes: ``capslice-report-<base>-vs-<cand>.md``
    in ``directory`` (default: the current working directory); ``/``, ``\\`` and spaces in
    run names become ``_`` so the name stays one file."""

    def safe(name: str) -> str:
        return "".join("_" if ch in "/\\ " else ch for ch in name)

    folder = Path.cwd() if directory is None else directory
    return folder / f"capslice-report-{safe(base)}-vs-{safe(cand)}.md"


def write_report(ws: Any, base: str, cand: str, benchmark: str | None) -> Path:
    """Write ``ws.report(base, cand, benchmark=...)`` (Markdown) to :func:`report_path`.

    Returns the absolute path written. Raises what ``ws.report`` raises, or ``OSError``.
    """
    path = report_path(base, cand).resolve()
    path.write_text(ws.report(base, cand, benchmark=benchmark), encoding="utf-8")
    return path


class ReportWritten(Message):
    """A review report was written to ``path`` (posted by the report worker)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


def side(s: dict[str, Any] | None) -> str:
    """One run's score with its counts: ``53.2% 133/250``."""
    if not s:
        return "-"
    return f"{pct(s.get('score'))} {count(s.get('correct'), s.get('n'))}"


class CompareScreen(CapsliceScreen):
    """``ws.compare(base, cand)`` as a table; Enter opens the slice's samples in ``cand``."""

    BINDINGS = [
        Binding("g", "cycle_grouping", "Group", id="compare.group"),
        Binding("d", "diagnose", "Diagnose", id="compare.diagnose"),
        Binding("w", "toggle_mismatch", "Allow mismatch", id="compare.mismatch"),
        Binding(
            "r",
            "report",
            "Report",
            id="compare.report",
            tooltip="Write the Markdown review report to the current directory",
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

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="title")
        yield ResultTable(id="compare-table")
        yield Static("comparing…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "compare"
        self.query_one(ResultTable).set_columns(COLUMNS)
        self._title()
        self.load_compare()

    def _title(self) -> None:
        self.query_one("#title", Static).update(
            cell(f"base {self.base} → cand {self.cand} · {self.benchmark or 'all'} · by {self.by}")
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare")
    def load_compare(self) -> None:
        result = self.ws.compare(
            self.base,
            self.cand,
            benchmark=self.benchmark,
            by=self.by,
            allow_mismatch=self.allow_mismatch,
        )
        self.post_message(CompareLoaded(as_dict(result)))

    def on_compare_loaded(self, message: CompareLoaded) -> None:
        data = self.data = message.data
        rows = []
        for r in [data["overall"], *data.get("rows", [])]:
            is_overall = r is data["overall"]
            label = "ALL" if is_overall else slice_label(r.get("slice") or {})
            cells = [
                cell(label, 20),
                cell(r.get("marker") or ("sig" if r.get("significant") else "")),
                cell(points(r.get("diff"))),
                cell(side(r.get("base"))),
                cell(side(r.get("cand"))),
                cell(pvalue(r.get("p_value"))),
                cell(pvalue(r.get("p_adjusted"))),
                cell(r.get("n_items")),
                cell(r.get("test") or ""),
                cell(warning_mark(r.get("warning"), r.get("n_items"))),
            ]
            rows.append(({} if is_overall else dict(r.get("slice") or {}), cells))
        self.query_one(ResultTable).set_rows(rows)
        n_sig = sum(1 for r in data.get("rows", []) if r.get("significant"))
        self.set_status(
            f"{data.get('n_tested', 0)} slices tested · BH q={data.get('q', '-')} · "
            f"{n_sig} significant (* = adjusted p < q) · Enter: cand samples"
        )

    def action_cycle_grouping(self) -> None:
        order = list(GROUPINGS)
        index = order.index(self.by) if self.by in order else -1
        self.by = order[(index + 1) % len(order)]
        self._title()
        self.set_status(f"comparing by {self.by}…")
        self.load_compare()

    def action_toggle_mismatch(self) -> None:
        self.allow_mismatch = not self.allow_mismatch
        self.notify(
            "comparing runs with different settings"
            if self.allow_mismatch
            else "refusing runs with different settings",
            markup=False,
        )
        self.load_compare()

    def action_report(self) -> None:
        self.notify(f"writing report {report_path(self.base, self.cand).name}…", markup=False)
        self.export_report()

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def export_report(self) -> None:
        self.post_message(
            ReportWritten(write_report(self.ws, self.base, self.cand, self.benchmark))
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
