"""Label actions (one row per batch), newest first; undo one with ``u``."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from ...formatting import plural
from ..format import cell, short, short_task
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen


def item_text(doc: dict[str, Any] | None, item_id: Any) -> str:
    """``navigate doc 12`` (task without its benchmark prefix, then doc_id), the way the
    samples tables name items; ``item 510`` only when the store no longer has the item."""
    if not doc:
        return f"item {item_id}"
    return f"{short_task(str(doc.get('task') or '?'))} doc {doc.get('doc_id')}"


DETAIL_ROWS = 5
"""Changes of an action listed in the detail under the table (it has about that many lines at
80x24); the rest are counted (``… and 8 more changes not listed``) from the action's row
count (``label_actions``' ``n``), so only the listed rows are read."""


def fit_text_columns(
    rows: list[list[str]], labels: list[str], flexible: tuple[int, ...], width: int
) -> None:
    """Cut the ``flexible`` columns of ``rows`` (in place) so the table fits ``width`` cells:
    each column takes its widest value (or label) plus DataTable's 2 cells of padding; when
    that is too wide, the flexible columns share what the others leave (at least 8 each),
    widest first cut. Values keep their full text where there is room."""
    widths = [max([len(labels[i])] + [len(r[i]) for r in rows]) for i in range(len(labels))]
    room = width - 2 - sum(w + 2 for i, w in enumerate(widths) if i not in flexible)
    room -= 2 * len(flexible)
    need = sum(widths[i] for i in flexible)
    if room >= need:
        return
    caps = {i: widths[i] for i in flexible}
    while sum(caps.values()) > max(room, 8 * len(flexible)):
        widest = max(caps, key=lambda i: caps[i])
        if caps[widest] <= 8:
            break
        caps[widest] -= 1
    for r in rows:
        for i, cap in caps.items():
            r[i] = short(r[i], cap)


class LabelHistoryScreen(CapsliceScreen):
    """Who changed which labels when. Enter shows an action's rows; ``u`` undoes it (after a
    y/n confirmation naming the action); ``r`` reloads.

    An undo that would overwrite a later change by someone else fails with the conflict
    message ("changed by X at T") in the status line instead of overwriting.
    """

    BINDINGS = [
        Binding("u", "undo", "Undo", id="history.undo"),
        Binding("r", "reload", "Reload", id="history.reload"),
    ]

    class Loaded(Message):
        """``ws.label_actions()`` finished."""

        def __init__(self, actions: list[dict[str, Any]]) -> None:
            super().__init__()
            self.actions = actions

    class RowsLoaded(Message):
        """``ws.label_history(batch=...)`` finished; ``docs`` names each row's item
        (``ws.item_docs``: task and doc_id); ``total``: the action's changes, listed or not."""

        def __init__(
            self, rows: list[dict[str, Any]], docs: dict[int, dict[str, Any]], total: int
        ) -> None:
            super().__init__()
            self.rows = rows
            self.docs = docs
            self.total = total

    class Undone(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    last_result = ""
    loaded_once = False
    under_dialog = False  # suspended for a dialog over it (on_screen_suspend)
    keep_batch: str | None = None  # the action the cursor stays on when the list is read again

    def compose(self) -> ComposeResult:
        yield Header()
        yield ResultTable(id="actions")
        yield Static("", id="detail")
        yield Static("loading history…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "label history"
        self.load()

    def on_screen_suspend(self) -> None:
        from textual.screen import ModalScreen

        # a dialog over it (the undo question, help) changes nothing this screen shows
        self.under_dialog = isinstance(self.app.screen, ModalScreen)

    def on_screen_resume(self) -> None:
        """Shown again from a screen above (not a dialog): read the history anew, the
        cursor kept on its action; a labelling done meanwhile shows (walk 19: an old history
        screen returned to listed "0 actions" and refused to undo the newest)."""
        if self.loaded_once and not self.under_dialog:
            payload = self.query_one(ResultTable).current_payload
            self.keep_batch = payload["batch"] if payload else None
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="history")
    def load(self) -> None:
        self.post_message(self.Loaded(self.ws.label_actions(limit=200)))

    def on_label_history_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one(ResultTable)
        rows = [
            [
                a["at"][5:16].replace("T", " "),
                short(str(a["who"]), 10),
                str(a["action"]),
                str(a["items"]),
                str(a["axes"]),
                str(a["values"] or "-"),
                "undone" if a["undone"] else "",
            ]
            for a in message.actions
        ]
        labels = ["at", "who", "action", "items", "axes", "values", "state"]
        if not any(r[-1] for r in rows):  # a column empty on every row says nothing
            labels, rows = labels[:-1], [r[:-1] for r in rows]
        fit_text_columns(
            rows, labels, (labels.index("axes"), labels.index("values")), self.size.width
        )
        table.set_columns(labels)
        table.set_rows(
            [(a, [cell(v) for v in r]) for a, r in zip(message.actions, rows, strict=True)]
        )
        batches = [a["batch"] for a in message.actions]
        if self.keep_batch in batches:
            table.move_cursor(row=batches.index(self.keep_batch))
        self.loaded_once, self.keep_batch = True, None
        table.focus()
        last = f"{self.last_result} · " if self.last_result else ""
        self.set_status(
            f"{last}{plural(len(message.actions), 'action')} · Enter: list its changes · "
            "u: undo it · r: reload"
        )

    @on(ResultTable.RowChosen)
    def show_rows(self, event: ResultTable.RowChosen) -> None:
        self.load_rows(event.payload["batch"], int(event.payload["n"]))

    @work(thread=True, exclusive=True, exit_on_error=False, group="history-rows")
    def load_rows(self, batch: str, total: int) -> None:
        """The first :data:`DETAIL_ROWS` changes of ``batch`` (``total``: its row count, from
        ``label_actions``) with their items named."""
        rows = self.ws.label_history(batch=batch, limit=DETAIL_ROWS)
        docs = self.ws.item_docs(sorted({int(r["item_id"]) for r in rows}))
        self.post_message(self.RowsLoaded(rows, docs, total))

    def on_label_history_screen_rows_loaded(self, message: RowsLoaded) -> None:
        lines = [
            f"{item_text(message.docs.get(int(r['item_id'])), r['item_id'])} {r['axis']}"
            f" [{r['source']}]: {r['old_value'] or '-'} -> "
            f"{r['new_value'] or '-'}"
            for r in message.rows[:DETAIL_ROWS]
        ]
        hidden = message.total - len(lines)
        if hidden > 0:
            lines.append(f"… and {plural(hidden, 'more change')} not listed")
        self.query_one("#detail", Static).update(cell("\n".join(lines) or "-"))

    def action_reload(self) -> None:
        self.load()

    def action_undo(self) -> None:
        payload = self.query_one(ResultTable).current_payload
        if payload is None:  # said, not silent (walk 8)
            self.set_status("nothing to undo: no labelling action is listed")
            return
        if payload["batch"].startswith("undo:") or payload["undone"]:
            self.set_status("that action is an undo or already undone")
            return
        from .confirm import ConfirmScreen

        question = (
            f"Undo {payload['action']} by {payload['who']} at "
            f"{str(payload['at'])[:16].replace('T', ' ')}: {plural(payload['items'], 'item')}, "
            f"{payload['axes']} = {payload['values'] or '-'}?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.undo(payload["batch"])
            else:
                self.set_status("not undone")

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="undo")
    def undo(self, batch: str) -> None:
        r = self.ws.undo_labels(batch)
        self.post_message(
            self.Undone(f"undid {r['undid']}: {plural(r['restored'], 'label')} restored")
        )

    def on_label_history_screen_undone(self, message: Undone) -> None:
        self.last_result = message.text
        self.set_status(message.text)
        self.load()
