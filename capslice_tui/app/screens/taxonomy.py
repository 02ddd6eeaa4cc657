"""The evaluation taxonomy: its axes and values, rule checks, and re-applying the rules.

The ``capslice taxonomy axes|check|apply`` commands as one screen.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static

from ...formatting import plural
from ..format import Hanging
from .base import CapsliceScreen
from .confirm import ConfirmScreen


def axes_text(axes: dict[str, dict[str, str]]) -> Hanging:
    """Every axis with its values and descriptions, one value a line (plain text); a
    description that wraps continues under itself, not at column 0 (:class:`Hanging`)."""
    rows: list[tuple[str, str] | tuple[str, str, str]] = []
    for axis, values in axes.items():
        if rows:
            rows.append(("", ""))
        rows.append((f"{axis} ({plural(len(values), 'value')})", "", "bold"))
        width = max((len(v) for v in values), default=0)
        rows += [(f"  {value:<{width}}  ", description) for value, description in values.items()]
    return Hanging(rows)


def check_text(unmatched: list[str]) -> str:
    """The result of ``ws.check_taxonomy()`` as plain lines."""
    head = f"taxonomy valid; {len(unmatched)} rules match no stored item"
    return "\n".join([head, *(f"  {line}" for line in unmatched)])


class TaxonomyScreen(CapsliceScreen):
    """``ws.axes()`` listed; ``c`` runs ``ws.check_taxonomy()``; ``A`` runs
    ``ws.apply_taxonomy()`` after a confirmation. Both in thread workers."""

    CSS_PATH = "../taxonomy.tcss"
    BINDINGS = [
        Binding("c", "check", "Check rules", id="taxonomy.check"),
        Binding(
            "A",
            "apply",
            "Apply rules",
            id="taxonomy.apply",
            tooltip="Re-run the rules on every stored item (hand labels keep precedence)",
        ),
    ]

    class AxesLoaded(Message):
        """``ws.axes()`` finished: axis -> value -> description."""

        def __init__(self, axes: dict[str, dict[str, str]]) -> None:
            super().__init__()
            self.axes = axes

    class Checked(Message):
        """``ws.check_taxonomy()`` finished: ``file:line: ...`` strings for unmatched rules."""

        def __init__(self, unmatched: list[str]) -> None:
            super().__init__()
            self.unmatched = unmatched

    class Applied(Message):
        """``ws.apply_taxonomy()`` finished: number of rule-label changes."""

        def __init__(self, changes: int) -> None:
            super().__init__()
            self.changes = changes

    def __init__(self) -> None:
        super().__init__()
        self.axes: dict[str, dict[str, str]] | None = None
        self.unmatched: list[str] | None = None
        self.changes: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="taxonomy"):
            yield Static("", id="taxonomy-result", markup=False)
            yield Static("loading axes…", id="taxonomy-axes", markup=False)
        yield Static("c: check rules · A: apply rules to stored items", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "taxonomy"
        self.load_axes()

    @work(thread=True, exclusive=True, exit_on_error=False, group="taxonomy-axes")
    def load_axes(self) -> None:
        self.post_message(TaxonomyScreen.AxesLoaded(self.ws.axes()))

    def on_taxonomy_screen_axes_loaded(self, message: AxesLoaded) -> None:
        self.axes = message.axes
        self.query_one("#taxonomy-axes", Static).update(axes_text(message.axes))

    def action_check(self) -> None:
        self.set_status("checking rules against the stored items…")
        self.check_rules()

    @work(thread=True, exclusive=True, exit_on_error=False, group="taxonomy-check")
    def check_rules(self) -> None:
        self.post_message(TaxonomyScreen.Checked(self.ws.check_taxonomy()))

    def on_taxonomy_screen_checked(self, message: Checked) -> None:
        self.unmatched = message.unmatched
        self.query_one("#taxonomy-result", Static).update(Text(check_text(message.unmatched)))
        self.set_status(f"check done: {len(message.unmatched)} rules match no stored item")

    def action_apply(self) -> None:
        question = (
            "Re-run the taxonomy rules on every stored item?\n"
            "Rule labels change where the rules now say otherwise (with history); "
            "hand and cluster labels keep precedence."
        )
        self.app.push_screen(ConfirmScreen(question), self._apply_confirmed)

    def _apply_confirmed(self, confirmed: Any) -> None:
        if not confirmed:
            self.set_status("apply cancelled")
            return
        self.set_status("applying the rules…")
        self.apply_rules()

    @work(thread=True, exclusive=True, exit_on_error=False, group="taxonomy-apply")
    def apply_rules(self) -> None:
        self.post_message(TaxonomyScreen.Applied(self.ws.apply_taxonomy()))

    def on_taxonomy_screen_applied(self, message: Applied) -> None:
        self.changes = message.changes
        text = f"rules applied: {message.changes} rule-label changes"
        hint = (
            "\nanswer extraction follows each item's output_constraint label: re-score a "
            "run's stored responses with the new labels from the menu (e)"
            if message.changes
            else ""
        )
        self.query_one("#taxonomy-result", Static).update(Text(text + hint))
        self.set_status(text)
