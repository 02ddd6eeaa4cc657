"""A yes/no confirmation modal for actions that change the store."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from .base import ToastPlacement


class ConfirmScreen(ToastPlacement, ModalScreen[bool]):
    """Ask ``question`` (plain text); dismisses ``True`` on ``y``/Yes, ``False`` otherwise.

    Keys: ``y`` confirms; ``n``, ``b`` or ``escape`` cancels; Tab/Enter work on the buttons
    (No has the focus first, so a stray Enter does not confirm).
    """

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 64; height: auto; border: round $primary; padding: 0 1; background: $surface;
    }
    ConfirmScreen Horizontal { height: auto; }
    ConfirmScreen Button { margin-right: 2; }
    """

    BINDINGS = [
        Binding("y", "confirm", "Yes", id="confirm.yes"),
        Binding("n", "cancel", "No", id="confirm.no"),
        Binding("b", "cancel", "No", show=False, id="confirm.no-b"),
        Binding("escape", "cancel", "No", show=False, id="confirm.no-escape"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal():
                yield Button("No", id="confirm-no")
                yield Button("Yes (y)", id="confirm-yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
