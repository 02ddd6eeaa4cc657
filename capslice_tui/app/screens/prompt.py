"""A one-line question (a file path, a list of k...) as a small dialog: Enter answers it,
Escape or ctrl+b cancels."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from .base import ToastPlacement


class PromptScreen(ToastPlacement, ModalScreen[str | None]):
    """Ask ``question`` (plain text) with one input pre-filled with ``value``.

    Dismisses the stripped text on Enter (an empty answer is refused with a note unless
    ``allow_empty``), ``None`` on Escape or ctrl+b (the app's back key while typing).
    ``select``: the pre-filled value opens selected, so typing replaces it (a list of k is
    typed anew; a file path is edited, the cursor at its end).
    """

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical {
        width: 76; height: auto; border: round $primary; padding: 0 1; background: $surface;
    }
    PromptScreen #prompt-note { height: auto; color: $text-muted; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(
        self,
        question: str,
        value: str = "",
        *,
        placeholder: str = "",
        note: str = "Enter: ok · Esc or ctrl+b: cancel",
        allow_empty: bool = False,
        select: bool = False,
    ) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.note = note
        self.allow_empty = allow_empty
        self.select = select

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="prompt-question", markup=False)
            yield Input(
                self.value,
                placeholder=self.placeholder,
                id="prompt-input",
                compact=True,
                select_on_focus=False,  # the pre-filled answer is edited, not wiped
            )
            yield Static(self.note, id="prompt-note", markup=False)

    def on_mount(self) -> None:
        box = self.query_one("#prompt-input", Input)
        box.focus()
        box.action_end()  # the end of a long default (a file name) in view
        if self.select:
            box.select_all()

    @on(Input.Submitted, "#prompt-input")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text and not self.allow_empty:
            self.query_one("#prompt-note", Static).update("an answer is required (Esc cancels)")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
