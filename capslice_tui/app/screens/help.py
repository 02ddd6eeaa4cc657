"""Help: every key active on the screen it was opened from, plus that screen's legend."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from .base import CapsliceScreen


@dataclass(frozen=True)
class HelpRow:
    """One binding: which section it belongs to, its key as shown, what it does, its id.

    The id is kept for keymaps and tests; the help text shows only key and description.
    """

    section: str
    key: str
    description: str
    binding_id: str | None


def render_help(title: str, rows: list[HelpRow], legend: tuple[str, ...] = ()) -> Text:
    """Keys grouped by section as aligned plain text, then the screen's legend lines."""
    out = Text(f"Help: {title}\n", style="bold")
    for section in dict.fromkeys(r.section for r in rows):
        out.append(f"\n{section}\n", style="bold")
        for r in rows:
            if r.section == section:
                out.append(f"  {r.key:<10} {r.description}\n")
    if legend:
        out.append("\nwhat the columns and markers mean\n", style="bold")
        for line in legend:
            out.append(f"  {line}\n")
    return out


class HelpScreen(CapsliceScreen):
    """Lists the rows the app computed from the previous screen's active bindings."""

    def __init__(self, title: str, rows: list[HelpRow], legend: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.help_title = title
        self.rows = rows
        self.legend = legend

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="help"):
            yield Static(render_help(self.help_title, self.rows, self.legend), id="help-text")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "help"
