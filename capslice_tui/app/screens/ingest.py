"""Ingest evaluation logs as a run: the ``capslice ingest`` command as a form.

Letters go to the text fields, so the screen has no bare-letter bindings of its own: Tab moves
between fields, Enter in a field (or the Start button) starts, Escape (or Back) goes back.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Footer, Header, Input, Select, Static
from textual.worker import Worker, WorkerState

from ...formatting import plural
from ..widgets.cursor import CursorInput, CursorSelect
from .base import CapsliceScreen, FormScroll, scroll_hint

FORMATS = ("auto", "lm-eval", "lmms-eval", "lighteval", "opencompass", "jsonl", "csv")
SHOWN_BAD_LINES = 20


def parse_paths(text: str) -> list[Path]:
    """Space-separated paths (shell quoting allowed for paths with spaces) as ``Path`` objects.

    Raises:
        ValueError: unbalanced quotes, or no path at all.
    """
    parts = shlex.split(text)
    if not parts:
        raise ValueError("give at least one log file or folder")
    return [Path(p).expanduser() for p in parts]


def parse_step(text: str) -> int | None:
    """The optional training step: empty -> ``None``.

    Raises:
        ValueError: not a whole number.
    """
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"step must be a whole number, not {text!r}") from None


def parse_fields(text: str) -> dict[str, str]:
    """``"task=subject prompt=input"`` (spaces or commas between) -> ``{"task": "subject",
    "prompt": "input"}``: the roles of ``capslice ingest --field ROLE=KEY``.

    Raises:
        ValueError: a part that is not ROLE=KEY, quoted in the message.
    """
    fields: dict[str, str] = {}
    for part in text.replace(",", " ").split():
        role, sep, key = part.partition("=")
        if not sep or not role or not key:
            raise ValueError(f"fields: {part!r} is not ROLE=KEY (e.g. prompt=input)")
        fields[role] = key
    return fields


def report_text(report: dict[str, Any]) -> str:
    """An ``IngestReport.to_dict()`` as plain lines (field mapping of generic logs, runs, new
    samples, format, bad lines, warnings, notes). A re-ingest says what it added, beside what
    it read (the CLI's lines: :func:`capslice_tui.workspace.ingest.summary_lines`)."""
    from ...workspace.ingest import summary_lines  # loaded by the ingest that gave the report

    lines = [f"fields: {line}" for line in report.get("fields", [])]
    lines += summary_lines(report)
    n_bad = report.get("n_bad", 0)
    lines.append(f"{plural(n_bad, 'bad line')} skipped" if n_bad else "no bad lines")
    lines.extend(bad_lines_text(report.get("bad", []), n_bad))
    lines.extend(f"warning: {warning}" for warning in report.get("warnings", []))
    lines.extend(f"note: {note}" for note in report.get("notes", []))
    return "\n".join(lines)


def bad_lines_text(bad: list[str], n_bad: int) -> list[str]:
    """The first bad lines (``file:line: reason``) and how many more there are."""
    lines = [f"  {b}" for b in bad[:SHOWN_BAD_LINES]]
    if n_bad > len(lines):
        lines.append(f"  ... and {plural(n_bad - len(lines), 'more bad line')}")
    return lines


def failure_lines(message: str, bad: list[str]) -> list[str]:
    """A failed ingest as plain lines, each thing said once: ``ingest failed: MESSAGE``;
    ``nothing from this ingest was stored`` unless the message says so already; then the bad
    lines (``file:line: reason``, :func:`bad_lines_text`) the message does not quote
    (``other bad lines:`` when it quotes some)."""
    lines = [f"ingest failed: {message}"]
    if "nothing from this ingest was stored" not in message.lower():
        lines += ["", "nothing from this ingest was stored"]
    rest = [b for b in bad if b not in message]
    if rest:
        head = "other bad lines:" if len(rest) < len(bad) else "bad lines:"
        lines += ["", head, *bad_lines_text(rest, len(rest))]
    return lines


def failure_message(error: BaseException, store: Any) -> str:
    """What a failed ingest says, whole (every line, every word): a damaged store's sentence
    naming doctor/recover; an OS error as ``FILE: what went wrong``
    (:func:`~capslice_tui.app.screens.base.user_error`); else the error's message."""
    from ...workspace.reliability import friendly_db_error
    from .base import user_error

    friendly = friendly_db_error(error, store)
    if friendly is not None:
        return friendly
    if isinstance(error, OSError) and error.errno is not None:
        return user_error(error)
    return str(error).strip() or type(error).__name__


def skip_bad_label(on: bool) -> Text:
    """The skip-bad toggle's text: the state is in the text, not only in a colour."""
    return Text(("[x]" if on else "[ ]") + " skip bad lines")


class IngestScreen(CapsliceScreen):
    """A form for ``ws.ingest(paths, run=, benchmark=, step=, fmt=, skip_bad=)``.

    The ingest runs in a thread worker; its progress callback posts :class:`Progress`
    messages, which coalesce, so the screen shows "N records read" without flooding the queue.
    """

    CSS_PATH = "../ingest.tcss"
    HELP_TITLE = "Ingest logs"
    # Inputs swallow plain keys, so the footer shows the keys that still work while typing.
    BINDINGS = [
        *[b for b in CapsliceScreen.BINDINGS if b.key != "escape"],
        Binding("escape", "back", "Back", id="ingest.back"),
        Binding("tab", "app.focus_next", "Next field", id="ingest.next-field"),
        # the form is no stop of Tab (a letter typed there left the screen): these scroll it
        Binding("pageup", "scroll_form(-1)", "Scroll up", show=False, id="ingest.page-up"),
        Binding("pagedown", "scroll_form(1)", "Scroll down", show=False, id="ingest.page-down"),
    ]

    class Progress(Message):
        """``n_read`` sample records read so far (a newer one supersedes a queued one)."""

        def __init__(self, n_read: int) -> None:
            super().__init__()
            self.n_read = n_read

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, IngestScreen.Progress)

    class Ingested(Message):
        """The ingest finished: ``report`` is ``IngestReport.to_dict()``."""

        def __init__(self, report: dict[str, Any]) -> None:
            super().__init__()
            self.report = report

    def __init__(self) -> None:
        super().__init__()
        self.skip_bad = False
        self.last_ingest: dict[str, Any] | None = None  # the form of the last ingest started
        self.running = False
        self.report: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with FormScroll(id="ingest-form"):
            yield Static("log files or folders (space-separated)", classes="field-label")
            yield CursorInput(placeholder="path/to/run ...", id="ingest-paths")
            yield Static("run name", classes="field-label")
            yield CursorInput(placeholder="e.g. step-20000", id="ingest-run")
            with Horizontal(classes="field-row"):
                yield CursorInput(placeholder="benchmark (optional)", id="ingest-benchmark")
                yield CursorInput(placeholder="step (optional)", id="ingest-step")
            with Horizontal(classes="field-row"):
                yield CursorInput(placeholder="fields ROLE=KEY ... (optional)", id="ingest-fields")
                yield CursorInput(placeholder="system (optional)", id="ingest-system")
            with Horizontal(classes="field-row"):
                yield CursorSelect(
                    [(f"format: {f}", f) for f in FORMATS],
                    value="auto",
                    allow_blank=False,
                    id="ingest-format",
                )
                yield Button(skip_bad_label(False), id="ingest-skip-bad")
            with Horizontal(classes="field-row"):
                yield Button("Start", id="ingest-start", variant="primary")
                yield Button("Back", id="ingest-back")
            yield Static("", id="ingest-result", markup=False)
        yield Static("", id="form-more", markup=False)  # what is out of view (scroll_hint)
        yield Static("Tab: next field · Enter: start · Escape: back", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "ingest logs"
        # the form opens at its top: scrolled to the focused field, it hid the field's label
        # above it ('log files or folders') until pgup
        self.query_one("#ingest-paths", Input).focus(scroll_visible=False)
        self.call_after_refresh(self.query_one("#ingest-form").scroll_home, animate=False)
        # nothing to report yet: no blank rows under the buttons (at 80x24 they made the form
        # one row too long, a scrollbar over fields that all show)
        self.show_result("")

    def show_result(self, text: str) -> None:
        """``text`` under the form's buttons (a report, a failure, a refused name); hidden
        when empty."""
        result = self.query_one("#ingest-result", Static)
        result.update(Text(text))
        result.display = bool(text)

    @on(FormScroll.Moved)
    def form_moved(self) -> None:
        """The line under the form says what of it is out of view (fields above a report,
        the report below the buttons) and the key that scrolls there."""
        # the line keeps its row when blank: shown only while needed, it took a row from a
        # form scrolled to its end, which then had one more row below
        text = scroll_hint(self.query_one("#ingest-form", FormScroll))
        self.query_one("#form-more", Static).update(Text(text))

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.start()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ingest-start":
            self.start()
        elif event.button.id == "ingest-skip-bad":
            self.toggle_skip_bad()
        else:
            self.action_back()

    def toggle_skip_bad(self) -> None:
        """Flip ``--skip-bad``; the button's text shows the state (``[x]``/``[ ]``)."""
        self.skip_bad = not self.skip_bad
        self.query_one("#ingest-skip-bad", Button).label = skip_bad_label(self.skip_bad)

    def start(self) -> None:
        """Read the form and start the ingest worker (refused while one runs)."""
        if self.running:
            self.set_status("an ingest is already running")
            return
        try:
            paths = parse_paths(self.query_one("#ingest-paths", Input).value)
            step = parse_step(self.query_one("#ingest-step", Input).value)
        except ValueError as exc:
            self._refuse(str(exc))
            return
        run = self.query_one("#ingest-run", Input).value.strip()
        if not run:
            self.set_status("a run name is required")
            self.query_one("#ingest-run", Input).focus()
            return
        from ...workspace.ingest import run_name_problem

        problem = run_name_problem(run)
        if problem:  # the CLI's rule, said before anything is read (in full below the form)
            self.show_result(problem)
            self.set_status("this run name is refused; the rule is below")
            self.query_one("#ingest-run", Input).focus()
            return
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            self._refuse("no such file or folder: " + ", ".join(missing), "#ingest-paths")
            return
        benchmark = self.query_one("#ingest-benchmark", Input).value.strip() or None
        try:
            field_map = parse_fields(self.query_one("#ingest-fields", Input).value)
        except ValueError as exc:
            self._refuse(str(exc), "#ingest-fields")
            return
        system = self.query_one("#ingest-system", Input).value.strip() or None
        fmt = str(self.query_one("#ingest-format", Select).value)
        skip_bad = self.skip_bad
        self.running = True
        self.report = None
        self.show_result("")
        self.set_status(f"ingesting {run}…")
        self.last_ingest = {
            "paths": paths, "run": run, "benchmark": benchmark, "step": step, "fmt": fmt,
            "field_map": field_map or None, "system": system, "skip_bad": skip_bad,
        }  # fmt: skip
        self.run_ingest(paths, run, benchmark, step, fmt, skip_bad, field_map or None, system)

    def _refuse(self, reason: str, field: str | None = None) -> None:
        """The form cannot start: ``reason`` on the status line and, when longer than that
        one row (a long path cut at 80 columns), whole under the form, in view; ``field``
        (the one to fix) gets the focus."""
        self.set_status(reason)
        if field:
            self.query_one(field, Input).focus(scroll_visible=False)
        if len(reason) > (self.app.size.width or 80) - 2:
            self.show_result(reason)
            self.call_after_refresh(self.query_one("#ingest-form").scroll_end, animate=False)
        else:
            self.show_result("")

    def app_terms(self, text: str) -> str:
        """The core's CLI advice in this form's terms: ``--run`` is the run field,
        ``--benchmark X`` the benchmark field, ``--skip-bad`` the skip-bad toggle; ``pass
        --model 'M'`` (the form has no model field) the whole command of this ingest with it."""
        text = re.sub(r"(another|mistaken) --run\b", r"\1 run name", text)
        text = text.replace("pass --skip-bad", "turn on [x] skip bad lines")
        text = re.sub(r"pass --field ([^\s;,]+)", r"add \1 to the fields box", text)
        text = re.sub(r"with --benchmark set to", "with the benchmark field set to", text)
        text = re.sub(r"with --benchmark (\S+)", r"with \1 in the benchmark field", text)
        model = re.search(r"pass --model '([^']*)'", text)
        last = self.last_ingest
        if model and last:
            from ...workspace.interrupt import resume_command

            command = resume_command(
                Path(str(getattr(self.app, "store_path", None) or "capslice.db")),
                last["paths"], run=last["run"], benchmark=last["benchmark"],
                model=model.group(1), step=last["step"], fmt=last["fmt"],
                field_map=last["field_map"], system=last["system"], skip_bad=last["skip_bad"],
            )  # fmt: skip
            text = text.replace(model.group(0), f"ingest it from the command line: {command}")
        return text

    @work(thread=True, exclusive=True, exit_on_error=False, group="ingest")
    def run_ingest(
        self,
        paths: list[Path],
        run: str,
        benchmark: str | None,
        step: int | None,
        fmt: str,
        skip_bad: bool,
        field_map: dict[str, str] | None = None,
        system: str | None = None,
    ) -> None:
        report = self.ws.ingest(
            paths,
            run=run,
            benchmark=benchmark,
            step=step,
            fmt=fmt,
            skip_bad=skip_bad,
            field_map=field_map,
            system=system,
            progress=lambda n: self.post_message(IngestScreen.Progress(n)),
            refuse_changed=True,  # as the CLI: a log that differs from the run's stores nothing
        )
        self.post_message(IngestScreen.Ingested(report.to_dict()))

    def on_ingest_screen_progress(self, message: Progress) -> None:
        if self.running:
            self.set_status(f"ingesting… {message.n_read:,} records read")

    def on_ingest_screen_ingested(self, message: Ingested) -> None:
        self.running = False
        self.report = message.report
        self.show_result(self.app_terms(report_text(message.report)))
        # Off the inputs, so the next keys are commands, not text typed into a field.
        self.query_one("#ingest-back", Button).focus(scroll_visible=False)
        # the form's end in view: the whole report, not its first line under the fields
        self.call_after_refresh(self.query_one("#ingest-form").scroll_end, animate=False)
        runs = message.report.get("runs") or {}
        self.set_status(
            f"done: {plural(sum(runs.values()), 'new sample', ',')} in {plural(len(runs), 'run')},"
            f" {plural(message.report.get('n_read', 0), 'record', ',')} read"
            f" · Esc: {self._back_to()}"
        )

    def _back_to(self) -> str:
        """Where Esc goes: ``back to runs`` when the runs list lies below (it shows the new
        runs), else ``back`` (the menu opens this form over any screen)."""
        from .runs import RunsScreen

        stack = self.app.screen_stack
        below = stack[-2] if len(stack) > 1 and stack[-1] is self else None
        return "back to runs" if isinstance(below, RunsScreen) else "back"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed ingest shows its whole message (and an ``IngestError``'s bad lines)
        wrapped under the form (:func:`failure_message`); a refused generic log's reason and
        fix (``pass --field correct=pred_score``) were cut at 80 columns on the status line
        and in a toast. Other workers' errors fall through to :class:`CapsliceScreen`'s
        handler (Textual calls it next unless default is prevented)."""
        if event.worker.group != "ingest" or event.state not in (
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        self.running = False
        error = event.worker.error
        if error is None:
            return
        event.prevent_default()
        store = getattr(self.ws, "store_path", "store")
        lines = failure_lines(failure_message(error, store), getattr(error, "bad", None) or [])
        lines[0] = self.app_terms(lines[0])
        self.show_result("\n".join(lines))
        # the form's end in view (as after a good ingest); the status line says what happened,
        # no toast over the reason
        self.call_after_refresh(self.query_one("#ingest-form").scroll_end, animate=False)
        self.set_status("ingest failed; nothing stored (the reason is below)")

    def action_scroll_form(self, pages: int) -> None:
        """pgup/pgdn: scroll the form (and what it shows under the fields) by ``pages``."""
        form = self.query_one("#ingest-form", FormScroll)
        form.scroll_relative(y=pages * max(1, form.size.height - 1), animate=False)
