"""Interval bars beside slice scores where there is room: from 100 columns the slices table
shows each 95% interval as a text bar on 0-100%; at 80 columns the table is as before."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.slices import CI_BAR_HEADER, CI_BAR_WIDTH
from capslice_tui.app.screens.trend import interval_bar
from capslice_tui.app.widgets.result_table import ResultTable
from capslice_tui.workspace import Workspace


def _headers(app: object) -> list[str]:
    table = app.screen.query_one(ResultTable)  # type: ignore[attr-defined]
    return [str(c.label) for c in table.columns.values()]


async def test_wide_terminal_shows_interval_bars(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # slices of base
        await settle(app, pilot)
        headers = _headers(app)
        assert headers[:5] == ["slice", "items", "score", "95% CI", CI_BAR_HEADER]
        table = Workspace(store_path).slices("base")
        rows = table_rows(app)
        assert rows[0][0] == "ALL"
        expected = interval_bar(table.overall.score, table.overall.lo, table.overall.hi, 20)
        assert rows[0][4] == expected and len(expected) == CI_BAR_WIDTH + 2
        boolean = table.rows[0]  # 76.0% [56.6, 88.5]: ends at cells 11 and 17, score at 14
        assert rows[1][4] == interval_bar(boolean.score, boolean.lo, boolean.hi, 20)
        assert rows[1][4] == "|           [--*--]  |"
        assert "[ ] 95% CI, * score" in str(app.screen.query_one("#status").render())


async def test_80_columns_keep_the_table(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert CI_BAR_HEADER not in _headers(app)
        assert _headers(app)[:5] == ["slice", "items", "score", "95% CI", "c/n"]
