"""Every table and list marks its selected row with ``>`` as text (not only reverse video), so
the cursor row can be found in a text capture, by a screen reader or on a bad terminal."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from fake_facade import FakeFacade
from pilot_helpers import SIZE, settle, table_rows
from rich.console import Console

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.label_edit import LabelEditScreen
from capslice_tui.app.widgets.result_table import ResultTable
from capslice_tui.workspace import Workspace


def screen_lines(app: Any) -> list[str]:
    """The terminal's lines as drawn, every cell (what a text capture of the screen holds)."""
    console = Console(width=SIZE[0], height=SIZE[1], file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False).split("\n")


def marked(app: Any) -> list[str]:
    """Lines whose first drawn cell inside a widget's border is the cursor glyph."""
    return [line.strip() for line in screen_lines(app) if re.match(r"^[\s▊▎|]*>", line)]


async def test_table_cursor_row_starts_with_a_glyph(store_path: Path) -> None:
    app = make_app(store_path, workspace=FakeFacade(Workspace(store_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(ResultTable)
        assert table.row_count >= 2
        names = [row[0] for row in table_rows(app)]
        rows = marked(app)
        assert len(rows) == 1 and rows[0][1:].strip().startswith(names[0]), rows
        await pilot.press("down")
        await pilot.pause()
        rows = marked(app)
        assert len(rows) == 1 and rows[0][1:].strip().startswith(names[1]), rows
        # the glyph is drawn, not stored: the cells stay as they were
        assert [row[0] for row in table_rows(app)] == names


async def test_menu_and_label_lists_mark_the_highlighted_entry(store_path: Path) -> None:
    app = make_app(store_path, workspace=FakeFacade(Workspace(store_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        await pilot.pause()
        assert [line for line in marked(app) if "Runs" in line], screen_lines(app)
        await pilot.press("down")
        await pilot.pause()
        rows = marked(app)
        assert len(rows) == 1 and "Runs" not in rows[0], rows
        await pilot.press("escape")
        await pilot.pause()
        app.push_screen(LabelEditScreen("label", ["task_type", "domain"]))
        await pilot.pause()
        lines = screen_lines(app)
        assert any(re.search(r">\s*task_type", line) for line in lines), "\n".join(lines)
