"""Help: every binding active on the screen it was opened from, generated from the bindings."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from .base import CapsliceScreen


@dataclass(frozen=True)
class HelpRow:
    """One binding: which section it belongs to, its key as shown, what it does, its id."""

    section: str
    key: str
    description: str
    binding_id: str | None


def render_help(title: str, rows: list[HelpRow]) -> Text:
    """Bindings grouped by section as aligned plain text."""
    out = Text(f"Keys on: {title}\n", style="bold")
    for section in dict.fromkeys(r.section for r in rows):
        out.append(f"\n{section}\n", style="bold")
        for r in rows:
            if r.section == section:
                out.append(f"  {r.key:<12} {r.description}")
                if r.binding_id:
                    out.append(f"  ({r.binding_id})", style="dim")
                out.append("\n")
    return out


class HelpScreen(CapsliceScreen):
    """Lists the rows the app computed from the previous screen's active bindings."""

    def __init__(self, title: str, rows: list[HelpRow]) -> None:
        super().__init__()
        self.help_title = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="help"):
            yield Static(render_help(self.help_title, self.rows), id="help-text")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "help"
