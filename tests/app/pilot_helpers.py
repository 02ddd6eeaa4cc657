"""Helpers shared by the Pilot tests of the app: terminal size, settling, reading widgets."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from capslice_tui.app.format import Hanging
from capslice_tui.app.widgets.result_table import ResultTable

SIZE = (80, 24)
"""The terminal size every app test runs at (columns, rows)."""


async def settle(app: Any, pilot: Any) -> None:
    """Wait for every worker, then for the messages they posted to be handled."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def table_rows(app: Any) -> list[list[str]]:
    """The cells of the current screen's :class:`ResultTable`, as text, row by row."""
    table = app.screen.query_one(ResultTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def fill_plan_inputs(screen: Any) -> None:
    """Type the demo's catalog and a budget into a plan form: the app tests' stores are not
    the demo's, so the form leaves catalog and budget to the user (``Workspace.plan_inputs``)."""
    from textual.widgets import Input

    from capslice_tui.workspace.demo import DEMO_BUDGET_TOKENS, sample_data_dir

    screen.query_one("#catalog", Input).value = str(sample_data_dir() / "catalog.yaml")
    screen.query_one("#budget", Input).value = str(DEMO_BUDGET_TOKENS)


def static_text(app: Any, selector: str) -> str:
    """The rendered text of the current screen's ``Static`` matching ``selector`` (a
    :class:`~capslice_tui.app.format.Hanging` as it is drawn at the widget's width)."""
    widget = app.screen.query_one(selector, Static)
    if isinstance(widget.content, Hanging):
        return widget.content.lines(widget.content_region.width or app.size.width).plain
    return str(widget.render())
