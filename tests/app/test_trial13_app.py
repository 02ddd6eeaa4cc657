"""Defects a fresh-user trial of the terminal app left (issue 13, second pass), each checked
at 80x24: keys that do one thing, help that reads, pickers that lead with the right runs."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.trend import TrendScreen
from capslice_tui.app.widgets.result_table import ResultTable


async def test_space_on_the_trend_picker_toggles_only(store_path: Path) -> None:
    app = make_app(store_path, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "k")
        await settle(app, pilot)
        assert isinstance(app.screen, TrendScreen)
        table = app.screen.query_one(ResultTable)
        assert table.cursor_row == 0
        await pilot.press("space")
        await pilot.pause()
        assert table.cursor_row == 0  # marked, not moved
        assert [r[0] for r in table_rows(app)] == ["[x]", "[ ]", "[ ]"]
        await pilot.press("space")
        await pilot.pause()
        assert table.cursor_row == 0
        assert [r[0] for r in table_rows(app)] == ["[ ]", "[ ]", "[ ]"]  # toggled back
        await pilot.press("down", "space")
        await pilot.pause()
        assert table.cursor_row == 1
        assert [r[0] for r in table_rows(app)] == ["[ ]", "[x]", "[ ]"]
