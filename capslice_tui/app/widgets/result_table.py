"""A row-cursor DataTable that carries a payload per row and posts ``RowChosen`` on Enter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable

from ...formatting import visible
from .cursor import mark_line


class ResultTable(DataTable):
    """DataTable of ``Text`` cells; each row keeps a payload the screen gets back on Enter.

    Rows are added in one ``add_rows`` call per page (the screens page at 200 rows, so the
    table never holds the tens of thousands of rows that freeze the built-in DataTable).
    """

    # The cursor row must read without colour (NO_COLOR, TERM=linux): reverse + bold, and
    # the header is not reversed, so the two never look alike.
    DEFAULT_CSS = """
    ResultTable { height: 1fr; }
    ResultTable > .datatable--cursor, ResultTable:focus > .datatable--cursor {
        text-style: reverse bold;
    }
    ResultTable > .datatable--header { text-style: bold underline; }
    """

    # Home/End go to the first/last row (DataTable scrolls sideways on them by default), as
    # the help screen lists them.
    BINDINGS = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]

    class RowChosen(Message):
        """Enter (or click) on a row; ``payload`` is what the screen attached to it."""

        def __init__(self, table: ResultTable, payload: Any) -> None:
            super().__init__()
            self.table = table
            self.payload = payload

        @property
        def control(self) -> ResultTable:
            return self.table

    class EndReached(Message):
        """The cursor moved onto the last row (screens use it to load the next page)."""

        def __init__(self, table: ResultTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> ResultTable:
            return self.table

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._payloads: list[Any] = []
        self._labels: list[str] = []
        self._cut_last = False  # the last column is narrower than its cells (set_rows)

    def set_columns(self, labels: Sequence[str], widths: Sequence[int] | None = None) -> None:
        """Replace all columns (and rows) with plain-text headers, optionally fixed widths."""
        self.clear(columns=True)
        self._payloads = []
        self._cut_last = False
        self._labels = list(labels)
        for i, label in enumerate(labels):
            width = None if widths is None else widths[i]
            self.add_column(Text(label, no_wrap=True), key=label, width=width)

    def set_rows(self, rows: Sequence[tuple[Any, Sequence[Text | str]]]) -> None:
        """Replace the rows; each row is ``(payload, cells)``.

        Columns are rebuilt with fixed widths measured here from the cells (the screens cut
        long cells themselves), so the layout never depends on DataTable's auto widths.
        """
        widths = [len(label) for label in self._labels]
        for _, cells in rows:
            for i, c in enumerate(cells[: len(widths)]):
                size = c.cell_len if isinstance(c, Text) else len(str(c))
                widths[i] = max(widths[i], size)
        room = self._last_column_room(widths, len(rows))
        if room is not None:
            # the last column would run past the right edge: it gets the room left and its
            # longer cells end in "…" (DataTable would crop them with no mark), also on the
            # pages appended later
            widths[-1] = room
        self.set_columns(self._labels, widths)
        self._cut_last = room is not None
        self.append_rows(rows)

    def _last_column_room(self, widths: list[int], n_rows: int) -> int | None:
        """Cells left for the last column when it starts inside the table's width but does
        not end inside it; ``None`` when it fits, or when too little of it would show (then
        the table scrolls sideways instead). Two columns go to the vertical scrollbar when the
        rows outnumber the lines."""
        width = self.size.width or self.app.size.width
        height = self.size.height
        if not width or len(widths) < 2:
            return None
        scrollbar = 2 if not height or n_rows + 1 > height else 0
        pad = 2 * self.cell_padding
        start = sum(w + pad for w in widths[:-1])
        room = width - scrollbar - start - pad
        least = max(len(self._labels[-1]), 4)
        return room if least <= room < widths[-1] else None

    def append_rows(self, rows: Sequence[tuple[Any, Sequence[Text | str]]]) -> None:
        """Add rows after the current ones, keeping the cursor where it is."""
        cells = [
            [c if isinstance(c, Text) else Text(visible(c), no_wrap=True) for c in row]
            for _, row in rows
        ]
        if self._cut_last:
            cells = [[*row[:-1], _ellipsis(row[-1])] if row else row for row in cells]
        self._payloads.extend(p for p, _ in rows)
        self.add_rows(cells)

    def payload_at(self, row: int) -> Any:
        """The payload of row index ``row`` (``None`` when out of range)."""
        if 0 <= row < len(self._payloads):
            return self._payloads[row]
        return None

    @property
    def current_payload(self) -> Any:
        """The payload of the highlighted row, or ``None`` for an empty table."""
        return self.payload_at(self.cursor_row)

    def render_line(self, y: int) -> Strip:
        """DataTable's line, with ``>`` over the left padding of the cursor row (so the
        selected row reads in a text capture, without colour or reverse video)."""
        strip = super().render_line(y)
        header = self.header_height if self.show_header else 0
        if self.row_count == 0 or y < header or self.fixed_rows:
            return strip
        if y - header + round(self.scroll_y) == self.cursor_row:
            return mark_line(strip)
        return strip

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        payload = self.payload_at(event.cursor_row)
        if payload is not None:
            self.post_message(self.RowChosen(self, payload))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.row_count and event.cursor_row == self.row_count - 1:
            self.post_message(self.EndReached(self))


def _ellipsis(value: Text | str) -> Text:
    """``value`` as a one-line ``Text`` that ends in ``…`` when its column is narrower."""
    text = value.copy() if isinstance(value, Text) else Text(visible(value))
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text
