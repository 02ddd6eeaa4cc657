"""A small modal to choose the axes whose combination the slices screen groups by."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from .base import ToastPlacement


def checkbox(axis: str, on: bool, current: bool = False) -> Text:
    """One picker line as plain text: ``[x] axis`` when chosen, ``[ ] axis`` when not, with
    ``> `` in front of the highlighted line (so the cursor reads without colour)."""
    return Text(f"{'>' if current else ' '} [{'x' if on else ' '}] {axis}", no_wrap=True)


class AxisPicker(ToastPlacement, ModalScreen[list[str] | None]):
    """Checkbox list of axes. Space/Enter toggles, ``a`` or the Apply button applies.

    The state is text (``[x]``/``[ ]``), so it reads without colour. Dismisses with the
    chosen axes in vocabulary order, or ``None`` when cancelled.
    """

    BINDINGS = [
        Binding("space", "toggle", "Toggle", id="axes.toggle"),
        Binding("a", "apply", "Apply", id="axes.apply"),
        Binding("b", "cancel", "Cancel", id="axes.cancel"),
        Binding("escape", "cancel", "Cancel", show=False, id="axes.cancel-escape"),
    ]

    def __init__(self, axes: list[str], selected: list[str]) -> None:
        super().__init__()
        self.axes = axes
        self.chosen = {a for a in selected if a in axes}

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Group by these axes (space toggles, a applies, b cancels)")
            yield OptionList(
                *[
                    Option(checkbox(a, a in self.chosen, i == 0), id=a)
                    for i, a in enumerate(self.axes)
                ],
                id="axis-list",
            )
            yield Button("Apply", id="apply")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    @property
    def selected(self) -> list[str]:
        """The chosen axes in vocabulary order."""
        return [a for a in self.axes if a in self.chosen]

    def _redraw(self) -> None:
        """Rewrite every line: the ``[x]`` state and the ``>`` on the highlighted line."""
        options = self.query_one(OptionList)
        for i, axis in enumerate(self.axes):
            options.replace_option_prompt_at_index(
                i, checkbox(axis, axis in self.chosen, i == options.highlighted)
            )

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._redraw()

    def _toggle(self, index: int | None) -> None:
        if index is None or not 0 <= index < len(self.axes):
            return
        self.chosen ^= {self.axes[index]}
        self._redraw()

    def action_toggle(self) -> None:
        self._toggle(self.query_one(OptionList).highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._toggle(event.option_index)

    def action_apply(self) -> None:
        if not self.chosen:
            self.notify("choose at least one axis", markup=False)
            return
        self.dismiss(self.selected)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_apply()
