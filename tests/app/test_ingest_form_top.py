"""The ingest form opens at its top at 80x24: the first field's label shows (walk 14: the
form opened scrolled to the focused field, 'log files or folders' hidden until pgup)."""

from __future__ import annotations

from pathlib import Path

from lmeval_files import build_store
from pilot_helpers import SIZE, settle

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.ingest import IngestScreen


async def test_ingest_form_opens_with_its_first_label_shown(tmp_path: Path) -> None:
    app = make_app(build_store(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(IngestScreen())
        await settle(app, pilot)
        await pilot.pause()
        form = app.screen.query_one("#ingest-form")
        assert form.scroll_y == 0, form.scroll_y
        label = app.screen.query(".field-label").first()
        assert label.region.height >= 1 and label.region.y >= form.region.y, label.region
        assert app.focused is app.screen.query_one("#ingest-paths")
