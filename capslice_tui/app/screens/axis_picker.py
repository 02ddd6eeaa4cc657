"""A small modal to choose the axes whose combination the slices screen groups by."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, SelectionList, Static


class AxisPicker(ModalScreen[list[str] | None]):
    """Checkbox list of axes. Space/Enter toggles, ``a`` or the Apply button applies.

    Dismisses with the chosen axes in vocabulary order, or ``None`` when cancelled.
    """

    BINDINGS = [
        Binding("a", "apply", "Apply", id="axes.apply"),
        Binding("b", "cancel", "Cancel", id="axes.cancel"),
        Binding("escape", "cancel", "Cancel", show=False, id="axes.cancel-escape"),
    ]

    def __init__(self, axes: list[str], selected: list[str]) -> None:
        super().__init__()
        self.axes = axes
        self.selected = selected

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Group by these axes (space toggles, a applies, b cancels)")
            yield SelectionList[str](
                *[(axis, axis, axis in self.selected) for axis in self.axes], id="axis-list"
            )
            yield Button("Apply", id="apply")

    def action_apply(self) -> None:
        chosen = set(self.query_one(SelectionList).selected)
        if not chosen:
            self.notify("choose at least one axis", markup=False)
            return
        self.dismiss([a for a in self.axes if a in chosen])

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_apply()
