"""Plan export: write the planned mixture as megatron, yaml, json or md to a file (the
app's form of ``capslice plan --export FORMAT -o FILE``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ..widgets.cursor import CursorOptionList
from .base import ToastPlacement, user_error

FORMATS = (
    ("megatron", "txt", "Megatron-LM / NeMo --data-path blend: weight prefix ..."),
    ("yaml", "yaml", "cell id: weight, with a provenance header"),
    ("json", "json", "{cell id: weight}"),
    ("md", "md", "review document: parameters, mixture, trace, exclusions"),
)


def default_path(baseline: str, fmt: str, directory: Path | None = None) -> Path:
    """``plan-<baseline>.<ext>`` in ``directory`` (default: the working directory); ``/``,
    ``\\`` and spaces in the run name become ``_``."""
    ext = next(e for f, e, _ in FORMATS if f == fmt)
    safe = "".join("_" if ch in "/\\ " else ch for ch in baseline)
    return (directory or Path.cwd()) / f"plan-{safe}.{ext}"


def write_export(plan: Any, fmt: str, path: Path, replace: bool = False) -> Path:
    """Write ``plan`` in export format ``fmt`` (``capslice_tui.planning.export.EXPORTS``) to ``path``.

    Returns the absolute path. Raises ``FileExistsError`` if ``path`` exists and ``replace``
    is False (the form asks first), ``OSError`` when it cannot be written.
    """
    from ...planning.export import EXPORTS

    text = EXPORTS[fmt](plan)
    path = path.expanduser().resolve()
    with path.open("w" if replace else "x", encoding="utf-8") as out:
        out.write(text)
    return path


class PlanExportScreen(ToastPlacement, ModalScreen[Path | None]):
    """Choose the format (Up/Down), Tab to the file name, Enter writes.

    An existing file is never overwritten silently: Enter on one asks to press Enter again
    (``y`` of a confirmation would be typed into the field). Escape, ``b`` (in the list) or
    ctrl+b cancel. Dismisses with the path written, or ``None``.
    """

    DEFAULT_CSS = """
    PlanExportScreen { align: center middle; }
    PlanExportScreen > Vertical {
        width: 76; height: auto; border: round $primary; padding: 0 1; background: $surface;
    }
    PlanExportScreen #export-formats { height: auto; }
    PlanExportScreen #export-status { height: auto; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="plan-export.cancel"),
        Binding("b", "cancel", "Cancel", show=False, id="plan-export.cancel-b"),
        Binding("tab", "app.focus_next", "Next field", show=False, id="plan-export.next"),
    ]

    class Written(Message):
        """The worker wrote the export to ``path``."""

        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(self, plan: Any, baseline: str) -> None:
        super().__init__()
        self.plan = plan
        self.baseline = baseline
        self.fmt = "megatron"
        self.overwrite_ok: Path | None = None
        self.path_edited = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Export the plan for {self.baseline}: format", markup=False)
            yield CursorOptionList(
                *[Option(Text(f"{f:<9}{what}"), id=f"fmt-{f}") for f, _, what in FORMATS],
                id="export-formats",
            )
            yield Static("file", markup=False)
            yield Input(
                str(default_path(self.baseline, self.fmt)),
                id="export-path",
                compact=True,
                select_on_focus=False,  # the default name is edited, not wiped
            )
            yield Static(
                "Up/Down: format · Enter: choose, then Enter: write · Esc: cancel",
                id="export-status",
                markup=False,
            )

    def on_mount(self) -> None:
        options = self.query_one(CursorOptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionHighlighted, "#export-formats")
    def format_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.fmt = str(event.option.id or "fmt-megatron").removeprefix("fmt-")
        if not self.path_edited:
            box = self.query_one("#export-path", Input)
            box.value = str(default_path(self.baseline, self.fmt))
            # the cursor after the rewritten name: it stayed where the old (shorter or
            # longer) name ended, so typing landed inside ".yaml" and ctrl+u left its tail
            box.cursor_position = len(box.value)
        self.overwrite_ok = None

    @on(OptionList.OptionSelected, "#export-formats")
    def format_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        box = self.query_one("#export-path", Input)
        box.focus()
        box.action_end()  # the file name (the end of the path) in view, the cursor after it
        # said at once: the first Enter chose the format and seemed to do nothing
        self._status(f"{self.fmt} chosen · Enter: write it to this file · Esc: cancel")

    @on(Input.Changed, "#export-path")
    def path_changed(self, event: Input.Changed) -> None:
        if event.value != str(default_path(self.baseline, self.fmt)):
            self.path_edited = True
        self.overwrite_ok = None

    @on(Input.Submitted, "#export-path")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self._status("type a file name")
            return
        path = Path(text).expanduser()
        if path.exists() and self.overwrite_ok != path:
            self.overwrite_ok = path
            self._status(f"{path} exists: Enter again replaces it, Esc cancels")
            return
        self._status(f"writing {self.fmt} to {path}…")
        self.write(self.fmt, path, self.overwrite_ok == path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan export")
    def write(self, fmt: str, path: Path, replace: bool) -> None:
        self.post_message(self.Written(write_export(self.plan, fmt, path, replace)))

    def on_plan_export_screen_written(self, message: Written) -> None:
        self.dismiss(message.path)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self._status(f"not written: {user_error(event.worker.error)}")

    def _status(self, text: str) -> None:
        self.query_one("#export-status", Static).update(Text(text))

    def action_cancel(self) -> None:
        self.dismiss(None)
