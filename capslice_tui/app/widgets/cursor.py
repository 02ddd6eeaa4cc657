"""A text cursor for tables and lists: the selected row starts with ``>``.

Reverse video alone does not survive a text capture, a screen reader or a terminal without
attributes, so the row under the cursor also carries a glyph. The glyph is drawn over the
row's first cell, which both widgets keep blank (a table cell's left padding, a list
option's left padding), so nothing moves and no text is hidden.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import OptionList

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


class CursorOptionList(OptionList):
    """An OptionList whose highlighted option starts with ``>`` (every option is indented by
    two cells to make room, so the prompts line up whether marked or not)."""

    DEFAULT_CSS = """
    CursorOptionList > .option-list--option { padding: 0 0 0 2; }
    """

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        line = self.scroll_offset.y + y
        lines = self._lines  # (option index, line within the option) per rendered line
        if self.highlighted is None or not 0 <= line < len(lines):
            return strip
        index, offset = lines[line]
        if index == self.highlighted and offset == 0:
            return mark_line(strip)
        return strip
