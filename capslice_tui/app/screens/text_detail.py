"""A few sentences read whole: wrapped to the terminal, scrollable, Escape/q goes back."""

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


class TextDetailScreen(CapsliceScreen):
    """Sentences too long for a status line (a run's score caveats, with the lenient score),
    wrapped one column short of the scrollbar, as help is."""

    def __init__(self, title: str, paragraphs: list[str], sub_title: str = "detail") -> None:
        super().__init__()
        self.detail_title = title
        self.paragraphs = paragraphs
        self.detail_sub_title = sub_title

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="help"):
            yield Static(self._text(self.app.size.width), id="detail-text")
        yield Footer()

    def _text(self, columns: int) -> Text:
        """Wrapped at ``columns`` less the padding (2), the scrollbar (2) and one blank column."""
        return wrapped(self.detail_title, self.paragraphs, columns - 5)

    def on_mount(self) -> None:
        self.sub_title = self.detail_sub_title

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#detail-text", Static).update(self._text(event.size.width))
