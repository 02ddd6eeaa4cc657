"""Re-score a run's stored generations with the current answer extraction (``capslice rescore``).

Enter on a run previews the re-score (a dry run: what would change, nothing written); ``y``
writes it. Both run ``ws.rescore`` in a thread worker that reports progress and can be
cancelled with ``x`` (a cancelled or failed re-score leaves the store as it was).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from ...formatting import middle_cut, plural
from ..format import cell
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen

HINT = "Enter: preview a run's re-score · y: write it · x: cancel"


def report_text(report: Any) -> str:
    """A re-score report as plain lines that fit 80 columns: the summary, then the details."""
    verb = "would change" if report.dry_run else "changed"
    lines = [f"{report.run}: {report.n_changed} of {plural(report.n_samples, 'sample')} {verb}"]
    lines += [f"  {line}" for line in report.transition_lines()]
    if report.n_reason_only:
        lines.append(f"  {report.n_reason_only} same mode, new reason or lenient answer")
    lines.append(report.lenient_line())
    if report.n_capslice_scored:
        lines.append(
            f"scores changed: {report.score_changed} of the {report.n_capslice_scored} "
            "samples capslice scored itself"
        )
    lines.append("official scores are never changed")
    if report.n_kept_cut:
        lines.append(f"{plural(report.n_kept_cut, 'sample')} kept: their response was stored cut")
    for label, ids in report.examples.items():
        lines.append(f"e.g. {label}: sample {', '.join(str(i) for i in ids)}")
    if report.dry_run:
        lines.append(
            "preview only: nothing was written" + (" · y: write" if report.n_changed else "")
        )
    return "\n".join(lines)


class RescoreScreen(CapsliceScreen):
    """Runs to re-score; Enter previews, ``y`` writes, ``x`` cancels a running re-score."""

    CSS_PATH = "../rescore.tcss"
    HELP_TITLE = "Re-score stored generations"
    HELP_LEGEND = (
        "re-applies the current answer extraction, scoring and failure modes to the stored",
        "responses of a run (no model is run); the harness's official score is never changed",
        "after a taxonomy edit, apply the rules first (menu t, A): each item's current",
        "output_constraint label is what the extraction uses",
    )

    BINDINGS = [
        Binding("y", "apply", "Write", id="rescore.apply", tooltip="Write the previewed re-score"),
        Binding(
            "x",
            "cancel",
            "Cancel",
            id="rescore.cancel",
            tooltip="Stop a running re-score (the store stays as it was)",
        ),
    ]

    class RunsListed(Message):
        """``ws.runs()`` finished: the run dicts."""

        def __init__(self, runs: list[dict[str, Any]]) -> None:
            super().__init__()
            self.runs = runs

    class Progress(Message):
        """``done`` of ``total`` samples examined; consecutive ones coalesce."""

        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RescoreScreen.Progress)

    class Rescored(Message):
        """``ws.rescore`` finished (``report.dry_run`` says whether it was a preview)."""

        def __init__(self, report: Any) -> None:
            super().__init__()
            self.report = report

    class Cancelled(Message):
        """The re-score was cancelled; ``text`` says so."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, run: str | None = None, cursor_run: str | None = None) -> None:
        """``run``: preview it at once (the runs screen's ``e``); ``cursor_run``: only put the
        cursor on it (the menu, from a screen on that run)."""
        super().__init__()
        self.run = run or cursor_run
        self.previewed: Any = None  # the last preview's report (what y writes)
        self.busy = False
        self.auto_preview = run is not None  # once, when opened on a run
        self.reported = False  # a report is on screen (its status line stays)

    def compose(self) -> ComposeResult:
        yield Header()
        yield ResultTable(id="rescore-runs")
        with VerticalScroll(id="rescore-scroll"):
            yield Static("", id="rescore-report", markup=False)
        yield Static("loading runs…", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "re-score stored generations"
        self.list_runs()

    @work(thread=True, exclusive=True, exit_on_error=False, group="rescore-runs")
    def list_runs(self) -> None:
        self.post_message(RescoreScreen.RunsListed(self.ws.runs()))

    def on_rescore_screen_runs_listed(self, message: RunsListed) -> None:
        table = self.query_one(ResultTable)
        table.set_columns(["run", "samples", "status", "format"])
        rows = [
            (r["name"], [cell(middle_cut(r["name"], 40)), cell(str(r["n_samples"])),
                         cell(r["status"]), cell(r.get("source_format") or "-")])
            for r in message.runs
        ]  # fmt: skip
        table.set_rows(rows)
        names = [r["name"] for r in message.runs]
        if not names:
            self.set_status("no runs yet: ingest logs first (menu g)")
            return
        if self.run in names:
            table.move_cursor(row=names.index(self.run))
        if self.auto_preview and self.run in names:
            self.auto_preview = False
            self.preview(self.run)
        elif not self.busy and not self.reported:
            self.set_status(HINT)
        table.focus()

    @on(ResultTable.RowChosen, "#rescore-runs")
    def chosen(self, event: ResultTable.RowChosen) -> None:
        self.preview(str(event.payload))

    def preview(self, run: str) -> None:
        """Start a dry run of ``run`` (nothing is written)."""
        if self.busy:
            self.notify("a re-score is running (x cancels it)", markup=False)
            return
        self.run = run
        self.previewed = None
        self.busy = True
        self.set_status(f"previewing the re-score of {run}…")
        self.rescore(run, True)

    def action_apply(self) -> None:
        report = self.previewed
        if self.busy:
            self.notify("a re-score is running (x cancels it)", markup=False)
            return
        if report is None:
            self.notify("preview a run first (Enter on it)", markup=False)
            return
        if not report.n_changed:
            self.notify(f"nothing to write: {report.run} is up to date", markup=False)
            return
        self.busy = True
        self.set_status(f"re-scoring {report.run}…")
        self.rescore(report.run, False)

    def action_cancel(self) -> None:
        if not self.busy:
            self.notify("no re-score is running", markup=False)
            return
        self.workers.cancel_group(self, "rescore")

    @work(thread=True, exclusive=True, exit_on_error=False, group="rescore")
    def rescore(self, run: str, dry_run: bool) -> None:
        from ...workspace import RescoreCancelled

        worker = get_current_worker()
        try:
            report = self.ws.rescore(
                run,
                dry_run=dry_run,
                progress=lambda done, total: self.post_message(RescoreScreen.Progress(done, total)),
                should_cancel=lambda: worker.is_cancelled,
            )
        except RescoreCancelled as exc:
            self.post_message(RescoreScreen.Cancelled(str(exc)))
            return
        except BaseException:
            self.app.call_from_thread(setattr, self, "busy", False)
            raise
        self.post_message(RescoreScreen.Rescored(report))

    def on_rescore_screen_progress(self, message: Progress) -> None:
        if self.busy:
            self.set_status(
                f"re-scoring {self.run}: {message.done:,} of {plural(message.total, 'sample', ',')}"
            )

    def on_rescore_screen_cancelled(self, message: Cancelled) -> None:
        self.busy = False
        self.previewed = None
        self.set_status(message.text)

    def on_rescore_screen_rescored(self, message: Rescored) -> None:
        self.busy = False
        report = message.report
        self.query_one("#rescore-report", Static).update(Text(report_text(report)))
        self.reported = True
        if report.dry_run:
            self.previewed = report
            verb = "y: write it" if report.n_changed else "nothing to write"
            self.set_status(f"preview of {report.run}: {report.n_changed} would change · {verb}")
        else:
            self.previewed = None
            self.set_status(f"{report.run} re-scored: {plural(report.n_changed, 'sample')} changed")
            self.list_runs()
