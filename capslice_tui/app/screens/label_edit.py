"""Modal to name a slice and/or choose an axis value and a note (keyboard only).

Reused by the discover screen (accept, label) and by any screen that labels a slice or a
sample's item: it only collects the answer; the caller's worker writes through the facade.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option


@dataclass
class LabelEdit:
    """What the person entered. ``name`` only when asked; ``axis``/``value`` may be None."""

    name: str | None
    axis: str | None
    value: str | None
    note: str | None


class LabelEditScreen(ModalScreen[LabelEdit | None]):
    """Pick an axis, then a value (Enter on each list), type an optional note, Save.

    Keys: Tab moves between fields; Enter on the axis list fills the value list; Enter on the
    value list or in a text field saves; ``escape`` or the Cancel button cancels. Letters go
    to the text fields, so no bare-letter bindings here.

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
    LabelEditScreen OptionList { height: 5; }
    LabelEditScreen Input { height: 3; }
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
                yield Input(value=self.initial_name, placeholder="slice name", id="name")
            yield OptionList(*[Option(a, id=a) for a in self.axes], id="axis-list")
            yield OptionList(id="value-list")
            yield Input(placeholder="note (optional)", id="note")
            yield Static("", id="label-edit-status", markup=False)
            yield Button("Save", id="save")
            yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        first = "#name" if self.ask_name else "#axis-list"
        self.query_one(first).focus()

    @on(OptionList.OptionSelected, "#axis-list")
    def axis_chosen(self, event: OptionList.OptionSelected) -> None:
        self.axis = str(event.option.id)
        values = self.query_one("#value-list", OptionList)
        values.clear_options()
        values.add_options(
            [Option(f"{v} - {d}"[:70], id=v) for v, d in self.axes.get(self.axis, {}).items()]
        )
        if values.option_count:
            values.highlighted = 0
        values.focus()
        self._status(f"axis {self.axis}: choose a value")

    @on(OptionList.OptionSelected, "#value-list")
    def value_chosen(self, event: OptionList.OptionSelected) -> None:
        self.value = str(event.option.id)
        self._status(f"{self.axis} = {self.value}")
        self.query_one("#note", Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "name":  # go on to the (optional) axis value, then the note
            self.query_one("#axis-list").focus()
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
            return
        if self.need_value and (self.axis is None or self.value is None):
            self._status("choose an axis (Enter) and then a value (Enter)")
            return
        note = self.query_one("#note", Input).value.strip() or None
        self.dismiss(LabelEdit(name, self.axis, self.value, note))

    def action_cancel(self) -> None:
        self.dismiss(None)
