"""A text cursor for tables and lists: the selected row starts with ``>`` (and a focused text
field's text line, :class:`CursorInput`).

Reverse video alone does not survive a text capture, a screen reader or a terminal without
attributes, so the row under the cursor also carries a glyph. The glyph is drawn over the
row's first cell, which both widgets keep blank (a table cell's left padding, a list
option's left padding), so nothing moves and no text is hidden.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets._select import SelectCurrent, SelectOverlay

CURSOR_GLYPH = ">"
"""What marks the selected row of every table and list."""


def mark_line(strip: Strip, glyph: str = CURSOR_GLYPH) -> Strip:
    """``strip`` with its first cell replaced by ``glyph`` (one cell), in that cell's style.

    An empty strip is returned unchanged."""
    if strip.cell_length == 0:
        return strip
    first = next(iter(strip), None)
    style = first.style if first is not None else None
    return Strip.join([Strip([Segment(glyph, style)], 1), strip.crop(1, strip.cell_length)])


def mark_highlighted(options: OptionList, y: int, strip: Strip) -> Strip:
    """``strip``, line ``y`` of ``options`` as drawn, marked with the cursor glyph when it is
    the first line of the highlighted option."""
    line = options.scroll_offset.y + y
    lines = options._lines  # (option index, line within the option) per rendered line
    if options.highlighted is None or not 0 <= line < len(lines):
        return strip
    index, offset = lines[line]
    if index == options.highlighted and offset == 0:
        return mark_line(strip)
    return strip


class CursorOptionList(OptionList):
    """An OptionList whose highlighted option starts with ``>`` (every option is indented by
    two cells to make room, so the prompts line up whether marked or not)."""

    DEFAULT_CSS = """
    CursorOptionList > .option-list--option { padding: 0 0 0 2; }
    """

    def render_line(self, y: int) -> Strip:
        return mark_highlighted(self, y, super().render_line(y))


class CursorSelectOverlay(SelectOverlay):
    """A Select's drop-down list whose highlighted option starts with ``>`` (without colour
    nothing else shows which one Enter takes)."""

    DEFAULT_CSS = """
    CursorSelectOverlay > .option-list--option { padding: 0 0 0 2; }
    """

    def render_line(self, y: int) -> Strip:
        return mark_highlighted(self, y, super().render_line(y))


class CursorSelectCurrent(SelectCurrent):
    """A Select's closed line; ``marked`` (its Select has the focus) starts it with ``> ``,
    as a focused button reads ``> label <``: without colour nothing else shows that Enter
    opens this list."""

    marked = False

    def update(self, label: Any) -> None:
        super().update(label)
        if self.marked and isinstance(label, str | Text):
            self.query_one("#label", Static).update(Text.assemble("> ", label))

    def mark(self, marked: bool) -> None:
        self.marked = marked
        self.update(self.label)


class CursorSelect(Select[Any]):
    """A Select whose closed line starts with ``>`` while it has the focus and whose open
    list marks the highlighted option with ``>``."""

    def compose(self) -> ComposeResult:
        yield CursorSelectCurrent(self.prompt)
        yield CursorSelectOverlay(type_to_search=self._type_to_search).data_bind(
            compact=Select.compact
        )

    def watch_has_focus(self, value: bool) -> None:
        super().watch_has_focus(value)
        self.query_one(CursorSelectCurrent).mark(value)


class CursorInput(Input):
    """A text field whose left edge reads ``>`` on its text line while it has the focus.

    A focused field differed from the others only by its border's colour, so under
    ``NO_COLOR`` (or a capture of the pane) nothing said where typing goes; the glyph is
    drawn over the left border cell (``|`` in console mode), so the text does not move."""

    def render_lines(self, crop: Region) -> list[Strip]:
        strips = super().render_lines(crop)
        row = self.gutter.top  # the text line: under the top border and padding
        if self.has_focus and crop.x == 0 and self.gutter.left and crop.y <= row < crop.bottom:
            strips[row - crop.y] = mark_line(strips[row - crop.y])
        return strips
