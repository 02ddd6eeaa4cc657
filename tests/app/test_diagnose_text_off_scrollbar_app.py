"""The diagnosis' text keeps one blank column before the scrollbar at 80x24 (the demo's
bbh-base -> bbh-eos-masked: a cause's line filled the width and read
'...for the candidate's longer outputs##'), and its list items wrap within that width."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle
from textual.containers import VerticalScroll
from textual.widgets import Static

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir


async def test_diagnosis_text_keeps_a_column_before_the_scrollbar(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    for run, step in (("bbh-base", 100_000), ("bbh-eos-masked", 110_000)):
        ws.ingest([sample_data_dir() / "lm_eval" / run], run=run, benchmark="bbh", step=step)
    app = make_app(tmp_path / "s.db", workspace=ws, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(DiagnoseScreen("bbh-base", "bbh-eos-masked", benchmark="bbh"))
        await settle(app, pilot)
        screen = app.screen
        area = screen.query_one("#diagnosis", VerticalScroll)
        summary = screen.query_one("#summary", Static)
        assert area.show_vertical_scrollbar
        bar_x = area.scrollable_content_region.right
        assert summary.content_region.right <= bar_x - 1, (summary.content_region, bar_x)
        width = summary.content_region.width
        # the list items, wrapped by the screen with a hanging indent (the widget wraps the
        # prose between them): each within the text's width, so none is wrapped again
        lines = summary.render().plain.splitlines()  # type: ignore[union-attr]
        items = [line for line in lines if line.startswith("  ")]
        assert any("longer" in line for line in items), "\n".join(lines)
        assert all(len(line) <= width for line in items), [x for x in items if len(x) > width]
