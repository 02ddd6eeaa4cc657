"""Choose a stored run from a list (never by typing its name)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ...formatting import plural
from ..widgets.cursor import CursorOptionList
from .base import ToastPlacement


def run_line(run: dict[str, Any]) -> str:
    """``cand  step 200  bbh 72.0%`` : a run's name, step and benchmarks with scores."""
    from ..format import pct

    benches = " ".join(
        f"{b} {pct(s['score'])}" if s else b for b, s in (run.get("benchmarks") or {}).items()
    )
    step = f"  step {run['step']}" if run.get("step") is not None else ""
    return f"{run['name']}{step}  {benches}".rstrip()


class RunPickerScreen(ToastPlacement, ModalScreen[str | None]):
    """The stored runs (``ws.runs()``, read in a thread worker), newest ingest order as the
    facade gives it; Up/Down and Enter choose one, Escape/b/ctrl+b cancel.

    Args:
        title: what the run is for (plain text).
        exclude: run names left out of the list (e.g. an intervention's own baseline).
        benchmark: the benchmark the run is for (an intervention's): runs evaluated on it are
            listed first, the first of them highlighted, and the others follow under a
            ``-- other benchmarks --`` line that cannot be chosen.
    """

    DEFAULT_CSS = """
    RunPickerScreen { align: center middle; }
    RunPickerScreen > Vertical {
        width: 76; height: auto; max-height: 20; border: round $primary; padding: 0 1;
        background: $surface;
    }
    RunPickerScreen #run-picker-list { height: auto; max-height: 14; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="run-picker.cancel"),
        Binding("b", "cancel", "Cancel", show=False, id="run-picker.cancel-b"),
    ]

    class Loaded(Message):
        """The runs arrived from the worker."""

        def __init__(self, runs: list[dict[str, Any]]) -> None:
            super().__init__()
            self.runs = runs

    def __init__(
        self, title: str, exclude: tuple[str, ...] = (), benchmark: str | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.exclude = set(exclude)
        self.benchmark = benchmark or None
        self.names: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="run-picker-title", markup=False)
            yield CursorOptionList(id="run-picker-list")
            yield Static("loading runs…", id="run-picker-status", markup=False)

    def on_mount(self) -> None:
        self.query_one(CursorOptionList).focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs")
    def load(self) -> None:
        ws = self.app.ws  # type: ignore[attr-defined]
        self.post_message(self.Loaded(ws.runs()))

    def on_run_picker_screen_loaded(self, message: Loaded) -> None:
        runs = [r for r in message.runs if r["name"] not in self.exclude]
        bench = self.benchmark
        ours = [r for r in runs if bench is not None and bench in (r.get("benchmarks") or {})]
        others = [r for r in runs if r not in ours]
        runs = ours + others
        self.names = [str(r["name"]) for r in runs]
        choices = [Option(Text(run_line(r)), id=f"run-{i}") for i, r in enumerate(runs)]
        if ours and others:
            choices.insert(len(ours), Option("-- other benchmarks --", disabled=True))
        options = self.query_one(CursorOptionList)
        options.clear_options()
        options.add_options(choices)
        if runs:
            options.highlighted = 0
        first = f" · {bench} runs first" if ours and others else ""
        if bench is not None and not ours and runs:
            first = f" · none of {bench}"
        status = self.query_one("#run-picker-status", Static)
        status.update(
            f"{plural(len(runs), 'run')} · Up/Down, Enter: choose · Esc/b: cancel{first}"
            if runs
            else "no other run is stored · Esc/b: back"
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            from .base import user_error

            self.query_one("#run-picker-status", Static).update(
                Text(f"cannot list the runs: {user_error(event.worker.error)} · Esc: back")
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = int((event.option.id or "run-0").split("-")[1])
        self.dismiss(self.names[index])

    def action_cancel(self) -> None:
        self.dismiss(None)
