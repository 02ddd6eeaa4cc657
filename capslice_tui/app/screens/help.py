"""Help: every key active on the screen it was opened from, plus that screen's legend."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from rich.text import Text

from .text_detail import WrappedTextScreen


@dataclass(frozen=True)
class HelpRow:
    """One binding: which section it belongs to, its key as shown, what it does, its id.

    The id is kept for keymaps and tests; the help text shows only key and description.
    """

    section: str
    key: str
    description: str
    binding_id: str | None


KEY_INDENT = 13
"""Column where a key's description starts (2 of margin, 10 for the key, 1 space); its
continuation lines start there too."""

LEGEND_INDENT = 4
"""Column where a legend line's continuation lines start (its first line starts at 2)."""


def hanging(first: str, rest: str, indent: int, width: int | None) -> str:
    """``first + rest`` wrapped at spaces to ``width`` columns, every line after the first
    indented by ``indent`` spaces (a hanging indent, so an entry's wrapped text stays under
    its description, not under the keys); unwrapped when ``width`` is None."""
    if width is None or len(first) + len(rest) <= width:
        return first + rest
    lines = textwrap.wrap(
        rest,
        width=width,
        initial_indent=first,
        subsequent_indent=" " * indent,
        break_on_hyphens=False,
    )
    return "\n".join(lines)


def render_help(
    title: str, rows: list[HelpRow], legend: tuple[str, ...] = (), width: int | None = None
) -> Text:
    """Keys grouped by section as aligned plain text, then the screen's legend lines.

    ``width``: the columns the text has; a longer entry wraps with a hanging indent (its
    continuation under its description at :data:`KEY_INDENT`, a legend line's at
    :data:`LEGEND_INDENT`). None: no wrapping here (the widget wraps)."""
    out = Text(f"Help: {title}\n", style="bold")
    for section in dict.fromkeys(r.section for r in rows):
        out.append(f"\n{section}\n", style="bold")
        for r in rows:
            if r.section == section:
                out.append(hanging(f"  {r.key:<10} ", r.description, KEY_INDENT, width) + "\n")
    if legend:
        out.append("\nwhat the columns and markers mean\n", style="bold")
        for line in legend:
            out.append(hanging("  ", line, LEGEND_INDENT, width) + "\n")
    return out


class HelpScreen(WrappedTextScreen):
    """Lists the rows the app computed from the previous screen's active bindings."""

    TEXT_ID = "help-text"

    def __init__(self, title: str, rows: list[HelpRow], legend: tuple[str, ...] = ()) -> None:
        super().__init__("help")
        self.help_title = title
        self.rows = rows
        self.legend = legend

    def text(self, width: int) -> Text:
        return render_help(self.help_title, self.rows, self.legend, max(30, width))
