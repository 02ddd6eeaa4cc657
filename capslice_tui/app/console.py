"""Console mode of the app: plain ASCII forms for the Linux text console and bad terminals.

The Linux console fonts (Debian's Lat15 / Uni2 / Terminus sets) hold ASCII, Latin-1 and a
few line-drawing characters, but none of the block, arrow, check-mark, emoji or rounded
corner glyphs that Textual draws by default (``▊▔▁▎`` input borders, ``⭘`` header icon,
``▅▆`` scrollbar ends, ``⏎`` in key names, ``🔎`` in the command palette). Under
``TERM=linux`` (or with ``CAPSLICE_ASCII=1``) the app adds the ``-ascii`` class to itself,
and ``capslice.tcss`` swaps every border for the ``ascii`` border type; this module holds the
rest: the glyph map for text markers, the scrollbar renderer, and the allowed character set
that the tests check screens against.
"""

from __future__ import annotations

from math import ceil

from rich.color import Color
from rich.segment import Segment, Segments
from rich.style import Style
from textual.color import Color as TextualColor
from textual.command import CommandPalette, SearchIcon
from textual.filter import LineFilter
from textual.scrollbar import ScrollBarRender

# The environment policy and the ASCII forms of the markers are the CLI's too (formatting).
from ..formatting import ASCII_ENV as ASCII_ENV
from ..formatting import ASCII_GLYPHS as ASCII_GLYPHS
from ..formatting import ascii_console as ascii_console
from ..formatting import to_ascii as to_ascii

# What the console fonts draw, and so what a screen may hold in console mode: printable
# ASCII, printable Latin-1 (U+00A0..U+00FF, in Lat15 and every Terminus console font) and
# the single-line box-drawing characters of the VT100 line set (also in Lat15/Terminus).
CONSOLE_BOX = frozenset("─│┌┐└┘├┤┬┴┼")
CONSOLE_GLYPHS: frozenset[str] = (
    frozenset([chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x100)])
    | CONSOLE_BOX
)

# The same markers one cell for one cell (two for the double-width emoji), for the line
# filter that rewrites drawn lines without moving anything; plus Textual's block glyphs, in
# case a widget default draws one that capslice.tcss did not replace.
#
# Arrows never become ``>``/``<`` here (``577/1319 > 803/1319`` would read as an
# inequality): the screens write ``->`` themselves, and any arrow left over becomes the
# Latin-1 guillemet ``»``/``«`` (drawn by the console fonts, not a comparison sign). A cut
# (``…``) becomes ``~`` so the truncation stays visible.
#
# ``≤``/``≥`` (a math item's ``x ≤ 5``) take one cell, and no ASCII or Latin-1 character
# says "at most" in one: one cell for one cell they can only be ``<``/``>``, which read as
# the strict signs. So the filter writes them ``<=``/``>=`` wherever the segment has a
# blank to give up (:data:`WIDE_GLYPHS`, :func:`widen_inequalities`); these one-cell forms
# are the last resort of a segment with no blank at all.
CELL_GLYPHS: dict[str, str] = {
    "…": "~",
    "—": "-",
    "–": "-",
    "→": "»",
    "←": "«",
    "↑": "^",
    "↓": "v",
    "⏎": "<",
    "✓": "+",
    "✗": "x",
    "Δ": "d",
    "≥": ">",
    "≤": "<",
    "≠": "#",
    "•": "*",
    "⭘": "=",
    "🔎": "> ",
    "▶": ">",
    "▼": "v",
    "╭": "+",
    "╮": "+",
    "╰": "+",
    "╯": "+",
    "▔": "-",
    "▁": "_",
    "▊": "|",
    "▎": "|",
    "▏": "|",
    "▕": "|",
    "▌": "|",
    "▐": "|",
    "▀": "-",
    "▄": "_",
    "█": "=",
    "▅": "#",
    "▆": "#",
    "▇": "#",
    "▂": "_",
    "▃": "_",
}
_CELL_TABLE = str.maketrans(CELL_GLYPHS)

WIDE_GLYPHS: dict[str, str] = {"≤": "<=", "≥": ">="}
"""The two-cell ASCII forms of one-cell glyphs that their one-cell form (:data:`CELL_GLYPHS`)
would misread: ``≤`` as ``<`` is a strict inequality."""


def _widen_one(text: str, at: int, wide: str) -> str | None:
    """``text`` with the glyph at ``at`` written ``wide`` (two characters) and one blank of
    the same text given up for it, so the length stays; None when no blank can go.

    The blank taken: the one right after the glyph (``x ≤ 5`` -> ``x <=5``), else the one
    right before (``n ≤5`` -> ``n<=5``), else one of the first run of two or more blanks
    after it (``≤0.002   `` -> ``<=0.002  ``: the text between moves one cell right, a
    column's padding keeps a blank)."""
    if text[at + 1 : at + 2] == " ":
        return text[:at] + wide + text[at + 2 :]
    if at > 0 and text[at - 1] == " ":
        return text[: at - 1] + wide + text[at + 1 :]
    run = text.find("  ", at + 1)
    if run < 0:
        return None
    return text[:at] + wide + text[at + 1 : run] + text[run + 1 :]


def widen_inequalities(text: str) -> str:
    """``text`` (one drawn segment) with each ``≤``/``≥`` written ``<=``/``>=`` at the cost of
    a blank of the same segment (:func:`_widen_one`), so the line keeps its cells; a glyph
    with no blank to take is left for the one-cell map (:data:`CELL_GLYPHS`).

    >>> widen_inequalities("x ≤ 5"), widen_inequalities("≥0.95   |"), widen_inequalities("a≤b")
    ('x <=5', '>=0.95  |', 'a≤b')
    """
    at = 0
    while True:
        hits = [i for i in (text.find(g, at) for g in WIDE_GLYPHS) if i >= 0]
        if not hits:
            return text
        at = min(hits)
        widened = _widen_one(text, at, WIDE_GLYPHS[text[at]])
        if widened is not None:
            text = widened
        at += 1


def foreign_glyphs(text: str) -> set[str]:
    """The characters of ``text`` that the Linux console fonts cannot draw (newlines aside)."""
    return {c for c in text if c not in CONSOLE_GLYPHS and c != "\n"}


class AsciiLineFilter(LineFilter):
    """Rewrites each drawn line's marker glyphs cell for cell (:data:`CELL_GLYPHS`).

    The screens' own text markers (``→`` between runs, ``✓`` for a correct answer, ``…`` at
    a cut, ``█`` bars) reach the console as ``»``, ``+``, ``~``, ``#``, and ``≤``/``≥`` as
    ``<=``/``>=`` where a blank of their segment can go (:func:`widen_inequalities`); the
    layout does not move because every replacement takes the cells the glyph took. Installed by the app
    (``get_line_filters``) in console mode only."""

    def apply(self, segments: list[Segment], background: TextualColor) -> list[Segment]:
        return [
            Segment(widen_inequalities(text).translate(_CELL_TABLE), style, control)
            if not control and not text.isascii()
            else Segment(text, style, control)
            for text, style, control in segments
        ]


_BACK = Color.parse("#555555")
_BAR = Color.parse("bright_magenta")


class AsciiScrollBarRender(ScrollBarRender):
    """A scrollbar of whole cells: thumb ``#`` in reverse video on a blank track.

    Textual's default renderer draws the thumb's ends with eighth-block glyphs (``▁▂▅▆``),
    which the console fonts lack; this one rounds the thumb to whole cells and keeps the
    mouse actions (click above/below the thumb pages, drag the thumb) of the default.
    """

    @classmethod
    def render_bar(
        cls,
        size: int = 25,
        virtual_size: float = 50,
        window_size: float = 20,
        position: float = 0,
        thickness: int = 1,
        vertical: bool = True,
        back_color: Color = _BACK,
        bar_color: Color = _BAR,
    ) -> Segments:
        width = thickness if vertical else 1
        blank = " " * width
        size = int(size)
        if window_size and size and virtual_size and size != virtual_size:
            thumb = max(1, min(size, ceil(window_size * size / virtual_size)))
            span = max(virtual_size - window_size, 1)
            start = min(size - thumb, max(0, round((size - thumb) * position / span)))
            upper = Segment(blank, Style(bgcolor=back_color, meta={"@mouse.down": "scroll_up"}))
            lower = Segment(blank, Style(bgcolor=back_color, meta={"@mouse.down": "scroll_down"}))
            grip = Segment(
                "#" * width,
                Style(
                    color=bar_color, bgcolor=back_color, reverse=True, meta={"@mouse.down": "grab"}
                ),
            )
            segments = [upper] * start + [grip] * thumb + [lower] * (size - start - thumb)
        else:
            segments = [Segment(blank, Style(bgcolor=back_color))] * size
        if vertical:
            return Segments(segments, new_lines=True)
        return Segments((segments + [Segment.line()]) * thickness, new_lines=False)


class AsciiCommandPalette(CommandPalette):
    """Textual's command palette with ``>`` instead of the ``🔎`` emoji before the input."""

    def on_mount(self) -> None:
        for icon in self.query(SearchIcon):
            icon.icon = ">"
