"""Modal to name a slice and/or choose an axis value and a note (keyboard only).

Reused by the discover screen (accept, label) and by any screen that labels a slice or a
sample's item: it only collects the answer; the caller's worker writes through the facade.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from ..widgets.cursor import CursorOptionList
from .base import ToastPlacement


@dataclass
class LabelEdit:
    """What the person entered. ``name`` only when asked; ``axis``/``value`` may be None."""

    name: str | None
    axis: str | None
    value: str | None
    note: str | None


class LabelEditScreen(ToastPlacement, ModalScreen[LabelEdit | None]):
    """Pick an axis, then a value (Enter on each list), Save; an optional note first.

    Keys: Enter on the axis list fills the value list; Enter on the value list saves at once.
    For a note, Tab from the value list to the note field (the highlighted value is kept),
    type it, Enter saves. Tab after the note reaches Save first, then Cancel. ``escape`` or
    Cancel cancels and says "label not saved". Letters go to the text fields, so no
    bare-letter bindings here. The dialog is at most 18 rows high (fits 80x24 with the name
    field) and every state is text: the status line names the chosen axis and value.

    Args:
        title: what is being labelled (shown at the top, plain text).
        axes: axis -> {value: description} (the taxonomy vocabulary).
        ask_name: show a name field (accepting a suggestion as a named slice).
        need_value: an axis value is required (False when only naming).
        name: initial name.
    """

    DEFAULT_CSS = """
    LabelEditScreen { align: center middle; }
    LabelEditScreen > Vertical {
        width: 76; height: auto; max-height: 22; border: round $primary; padding: 0 1;
        background: $surface;
    }
    LabelEditScreen #label-edit-title { height: auto; max-height: 2; }
    LabelEditScreen .label-edit-row { height: 1; }
    LabelEditScreen .label-edit-caption { width: 7; color: $text-muted; }
    LabelEditScreen .label-edit-row Input { width: 1fr; }
    LabelEditScreen #label-edit-lists { height: 8; }
    LabelEditScreen #label-axis-list {
        width: 26; height: 8; border: round $panel; border-title-align: left;
    }
    LabelEditScreen #label-value-list {
        width: 1fr; height: 8; border: round $panel; border-title-align: left;
    }
    LabelEditScreen #label-edit-lists > OptionList:focus { border: heavy $primary; }
    LabelEditScreen #label-edit-lists > OptionList { text-wrap: nowrap; text-overflow: ellipsis; }
    LabelEditScreen #label-axis-list > .option-list--option-highlighted,
    LabelEditScreen #label-value-list > .option-list--option-highlighted {
        text-style: reverse bold;
    }
    LabelEditScreen #label-edit-status { height: 1; }
    LabelEditScreen #label-edit-buttons { height: 1; }
    LabelEditScreen #label-edit-buttons Button { margin-right: 2; min-width: 10; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="label-edit.cancel"),
    ]

    def __init__(
        self,
        title: str,
        axes: dict[str, dict[str, str]],
        *,
        ask_name: bool = False,
        need_value: bool = True,
        name: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.axes = axes
        self.ask_name = ask_name
        self.need_value = need_value
        self.initial_name = name
        self.axis: str | None = None
        self.value: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="label-edit-title", markup=False)
            if self.ask_name:
                with Horizontal(classes="label-edit-row"):
                    yield Static("name:", classes="label-edit-caption")
                    yield Input(
                        value=self.initial_name, placeholder="slice name", id="name", compact=True
                    )
            with Horizontal(id="label-edit-lists"):
                axis_list = CursorOptionList(
                    *[Option(a, id=a) for a in self.axes], id="label-axis-list", markup=False
                )
                axis_list.border_title = "axis (Enter)"
                yield axis_list
                value_list = CursorOptionList(id="label-value-list", markup=False)
                value_list.border_title = "value (Enter saves)"
                yield value_list
            with Horizontal(classes="label-edit-row"):
                yield Static("note:", classes="label-edit-caption")
                yield Input(placeholder="optional; Enter saves", id="note", compact=True)
            yield Static("", id="label-edit-status", markup=False)
            with Horizontal(id="label-edit-buttons"):
                yield Button("Save", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        first = "#name" if self.ask_name else "#label-axis-list"
        self.query_one(first).focus()
        if self.need_value:
            self._status("choose an axis (Enter), then a value (Enter saves) · Esc cancels")
        else:
            self._status("axis and value optional · Enter in the note saves · Esc cancels")

    @on(OptionList.OptionSelected, "#label-axis-list")
    def axis_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.axis = str(event.option.id)
        self.value = None
        values = self.query_one("#label-value-list", OptionList)
        values.clear_options()
        values.add_options(
            [
                Option(
                    Text(f"{v} - {' '.join(d.split())}", no_wrap=True, overflow="ellipsis"), id=v
                )
                for v, d in self.axes.get(self.axis, {}).items()
            ]
        )
        values.focus()
        if values.option_count:
            values.highlighted = 0
        self._status(f"axis {self.axis}: choose a value")

    @on(OptionList.OptionHighlighted, "#label-value-list")
    def value_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if self.axis is not None:
            self.value = str(event.option.id)
            self._status(f"{self.axis} = {self.value} · Enter saves · Tab: note")

    @on(OptionList.OptionSelected, "#label-value-list")
    def value_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.value = str(event.option.id)
        self.action_save()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "name":  # go on to the (optional) axis value, then the note
            self.query_one("#label-axis-list").focus()
            return
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def _status(self, text: str) -> None:
        self.query_one("#label-edit-status", Static).update(text)

    def action_save(self) -> None:
        name = self.query_one("#name", Input).value.strip() if self.ask_name else None
        if self.ask_name and not name:
            self._status("a name is required")
            self.query_one("#name").focus()
            return
        if self.need_value and (self.axis is None or self.value is None):
            self._status("choose an axis (Enter) and then a value (Enter)")
            return
        note = self.query_one("#note", Input).value.strip() or None
        self.dismiss(LabelEdit(name, self.axis, self.value, note))

    def action_cancel(self) -> None:
        self.app.notify("label not saved", markup=False)
        self.dismiss(None)
