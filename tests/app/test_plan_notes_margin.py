"""The plan's notes keep one blank column before the scrollbar, as the diagnosis does (walk W5
at 80x24: 'note: boosted = ... and its new weight##')."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import settle

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.workspace import Workspace


async def test_notes_keep_a_column_before_the_scrollbar(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "w.db")
    app = make_app(tmp_path / "w.db", workspace=ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.push_screen(PlanScreen())
        await settle(app, pilot)
        notes = app.screen.query_one("#notes")
        assert notes.styles.padding.right == 1, notes.styles.padding
