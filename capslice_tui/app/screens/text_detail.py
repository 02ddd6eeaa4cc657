"""A few sentences read whole: wrapped to the terminal, scrollable, Escape/q goes back; and
the screen every such text (help, a run's warnings) is drawn on."""

from __future__ import annotations

import textwrap

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from ...formatting import visible
from .base import CapsliceScreen


def wrapped(title: str, paragraphs: list[str], width: int) -> Text:
    """``title`` in bold, then each paragraph wrapped at spaces to ``width`` columns with a
    blank line between them (plain text: run and task names are never read as markup)."""
    out = Text(f"{visible(title)}\n", style="bold")
    for p in paragraphs:
        lines = textwrap.wrap(visible(p), width=max(20, width), break_on_hyphens=False)
        out.append("\n" + "\n".join(lines) + "\n")
    return out


class WrappedTextScreen(CapsliceScreen):
    """Text read whole on a full screen: wrapped one column short of the scrollbar (the
    terminal's columns less the padding, 2, the scrollbar, 2, and one blank column),
    scrollable, wrapped again when the terminal is resized. A subclass says what the text is
    at a width (:meth:`text`), the id of the ``Static`` that shows it (``TEXT_ID``) and the
    header's ``sub_title`` (``text_sub_title``)."""

    TEXT_ID = "detail-text"

    def __init__(self, sub_title: str) -> None:
        super().__init__()
        self.text_sub_title = sub_title

    def text(self, width: int) -> Text:
        """The screen's text wrapped to ``width`` columns."""
        raise NotImplementedError(f"{type(self).__name__} does not say what its text is")

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="help"):
            yield Static(self._text(self.app.size.width), id=self.TEXT_ID)
        yield Footer()

    def _text(self, columns: int) -> Text:
        """The text at a terminal ``columns`` wide, so no line runs into the scrollbar."""
        return self.text(columns - 5)

    def on_mount(self) -> None:
        self.sub_title = self.text_sub_title

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(f"#{self.TEXT_ID}", Static).update(self._text(event.size.width))


class TextDetailScreen(WrappedTextScreen):
    """Sentences too long for a status line (a run's score caveats, with the lenient score),
    wrapped one column short of the scrollbar, as help is."""

    def __init__(self, title: str, paragraphs: list[str], sub_title: str = "detail") -> None:
        super().__init__(sub_title)
        self.detail_title = title
        self.paragraphs = paragraphs

    def text(self, width: int) -> Text:
        return wrapped(self.detail_title, self.paragraphs, width)
