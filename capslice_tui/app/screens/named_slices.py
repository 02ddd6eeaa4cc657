"""Named slices (``capslice label show --slice NAME`` / ``label set --slice NAME``): the list,
one slice's record and members, and ``l`` to hand-label every item of it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from ...formatting import plural
from .._undo import undo_last_labels
from ..format import Hanging, cell
from ..widgets.result_table import ResultTable
from .base import FormScroll, HandLabelScreen, scroll_hint

TABLE_ROWS = 8
"""Rows of the named slices' table at most (its heading and 7 slices; more scroll)."""

RECORD_FIELDS = (
    "name", "n_items", "version", "origin", "description", "note",
    "created_by", "created_at", "updated_by", "updated_at",
)  # fmt: skip


def slice_record_rows(data: dict[str, Any], most: int = 30) -> list[tuple[str, str]]:
    """A named slice as ``label show --slice`` prints it: one ``(key: , value)`` row per
    record field, then the first ``most`` item ids (``... (+N)`` for the rest)."""
    rows = [
        (f"{key:>12}: ", str(data.get(key)) if data.get(key) is not None else "-")
        for key in RECORD_FIELDS
    ]
    ids = data.get("item_ids") or []
    rows.append(
        (
            f"{'items':>12}: ",
            ", ".join(map(str, ids[:most]))
            + (f" ... (+{len(ids) - most})" if len(ids) > most else ""),
        )
    )
    return rows


def slice_record_text(data: dict[str, Any], most: int = 30) -> Hanging:
    """:func:`slice_record_rows` drawn with each value's wrapped lines under the value (a
    long description does not continue at column 0)."""
    return Hanging(slice_record_rows(data, most))


class NamedSlicesScreen(HandLabelScreen):
    """Named slices by name; the highlighted one's record below; ``l`` labels its items (the
    write is refused if someone changed the slice since it was shown); ``r`` reloads."""

    HELP_TITLE = "Named slices"
    HELP_LEGEND = (
        "a named slice is a saved set of items (accepted from discover, or made by a label)",
        "version: bumped by every change; a label on a slice that changed since it was shown "
        "is refused (reload with r, then label again)",
        "l: hand-label every item of the highlighted slice (axis = value)",
        "items: the first item ids (j/k scroll the record when it does not fit; the line "
        "under it says so: more below: j)",
        "u: undo your last labelling action (asks first); y: the label history (each action, "
        "its items and values, u there undoes one)",
    )
    BINDINGS = [
        Binding("l", "label", "Label", id="named.label", tooltip="Hand-label the slice's items"),
        Binding("r", "reload", "Reload", id="named.reload"),
        Binding(
            "u",
            "undo",
            "Undo",
            show=False,
            id="named.undo",
            tooltip="Undo your last labelling action (asks first)",
        ),
        Binding(
            "y", "history", "History", show=False, id="named.history", tooltip="Label history, undo"
        ),
        # the table keeps the focus (its pgup/pgdn move the cursor): j/k scroll the record
        Binding("j", "scroll_detail(3)", "Record down", show=False, id="named.detail-down"),
        Binding("k", "scroll_detail(-3)", "Record up", show=False, id="named.detail-up"),
    ]

    class Loaded(Message):
        """The list and the selected slice's record arrived from the worker."""

        def __init__(self, slices: list[dict[str, Any]], detail: dict[str, Any] | None) -> None:
            super().__init__()
            self.slices = slices
            self.detail = detail

    class Labelled(Message):
        """A label was written: ``text`` says what."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        self.slices: list[dict[str, Any]] = []
        self.selected: str | None = None
        self.detail: dict[str, Any] | None = None
        self.last_done = ""  # what the last label wrote, kept in the status after a reload

    def compose(self) -> ComposeResult:
        yield Header()
        yield ResultTable(id="named-slices")
        with FormScroll(id="named-detail"):
            yield Static("", id="detail", markup=False)
        yield Static("", id="detail-more", markup=False)  # what is out of view (scroll_hint)
        yield Static("loading named slices…", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "named slices"
        table = self.query_one(ResultTable)
        table.set_columns(("name", "items", "v", "updated by", "at"))
        # as many rows as slices, up to TABLE_ROWS: the record below gets the rest (at 80x24
        # a half-screen table over one slice left its members below the screen, walk 19)
        table.styles.height = "auto"
        table.styles.max_height = TABLE_ROWS
        # its whole height, so the area scrolls (the stylesheet's ``#detail`` is 1fr: the
        # record was cut at the area's bottom with nothing to scroll)
        self.query_one("#detail", Static).styles.height = "auto"
        more = self.query_one("#detail-more", Static)
        more.styles.height, more.styles.padding = 1, (0, 1)
        self.load()

    def on_screen_resume(self) -> None:
        """Shown again (back from the label history, where an undo changes the slice): read
        the list and the record anew, the selection kept."""
        if self.slices:
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="named slices")
    def load(self) -> None:
        slices = self.ws.named_slices()
        names = [s["name"] for s in slices]
        name = self.selected if self.selected in names else (names[0] if names else None)
        detail = self.ws.named_slice(name) if name is not None else None
        self.post_message(self.Loaded(slices, detail))

    def on_named_slices_screen_loaded(self, message: Loaded) -> None:
        shown = self.detail["name"] if self.detail else None
        self.slices, self.detail = message.slices, message.detail
        self.selected = message.detail["name"] if message.detail else None
        if self.selected != shown:  # another slice's record reads from its top
            self.query_one("#named-detail", FormScroll).scroll_home(animate=False)
        table = self.query_one(ResultTable)
        table.set_rows([
            (s["name"], [cell(s["name"], 30), cell(s["n_items"]), cell(s["version"]),
                         cell(s.get("updated_by") or "-", 12),
                         cell(str(s.get("updated_at") or "-")[:16].replace("T", " "))])
            for s in self.slices
        ])  # fmt: skip
        names = [s["name"] for s in self.slices]
        if self.selected in names:
            table.move_cursor(row=names.index(self.selected))
        self.query_one("#detail", Static).update(
            slice_record_text(self.detail)
            if self.detail
            else Text("No named slice yet: accept a discover suggestion (a) to make one.")
        )
        n = len(self.slices)
        done = f"{self.last_done} · " if self.last_done else ""
        self.set_status(f"{done}{plural(n, 'named slice')} · l: label its items · u: undo")

    @on(DataTable.RowHighlighted, "#named-slices")
    def pick(self, event: DataTable.RowHighlighted) -> None:
        table = self.query_one(ResultTable)
        name = table.payload_at(table.cursor_row)
        if name is not None and name != self.selected:
            self.selected = str(name)
            self.load()

    def action_reload(self) -> None:
        self.load()

    def action_scroll_detail(self, lines: int) -> None:
        """``j``/``k`` (the table has the focus): scroll the record under it by ``lines``."""
        self.query_one("#named-detail", FormScroll).scroll_relative(y=lines, animate=False)

    @on(FormScroll.Moved)
    def detail_moved(self) -> None:
        """The line under the record says what of it is out of view and the key for it."""
        text = scroll_hint(self.query_one("#named-detail", FormScroll), up="k", down="j")
        self.query_one("#detail-more", Static).update(Text(text))

    def action_label(self) -> None:
        if self.detail is None:
            self.set_status("no named slice selected")
            return
        target = (self.detail["name"], self.detail["version"])
        self.fetch_axes_then_label(
            target,
            f"hand-label the {plural(self.detail['n_items'], 'item')} of {self.detail['name']}",
        )

    @work(thread=True, exit_on_error=False, group="label")
    def apply_label(self, target: Any, edit: Any) -> None:
        name, version = target
        result = self.ws.label_slice(
            name, {edit.axis: edit.value}, expected_version=version, note=edit.note
        )
        if result.get("changed") == 0:  # walk 18 F6: a no-op writes nothing, keeps the version
            text = (
                f"no change: the {plural(result.get('items', '?'), 'item')} of {name} already "
                f"hold {edit.axis}={edit.value} (version {result.get('version', '?')})"
            )
        else:
            text = (
                f"{edit.axis}={edit.value} on {plural(result.get('items', '?'), 'item')} of {name}"
                f" (now version {result.get('version', '?')})"
            )
        self.post_message(self.Labelled(text))

    def action_undo(self) -> None:
        """Undo your last labelling action, after a y/n confirmation (as on discover)."""
        self.ask_undo(
            self.undo_last,
            "(y here answers yes; to see each action with its items and values first, "
            "answer n, then press y for the label history)",
        )

    @work(thread=True, exit_on_error=False, group="label")
    def undo_last(self) -> None:
        undo_last_labels(self.ws, self.post_message, self.Labelled)

    def action_history(self) -> None:
        from .label_history import LabelHistoryScreen

        self.app.push_screen(LabelHistoryScreen())

    def on_named_slices_screen_labelled(self, message: Labelled) -> None:
        self.last_done = message.text
        self.set_status(message.text)
        self.notify(message.text, markup=False)
        self.load()
