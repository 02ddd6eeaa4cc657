"""The samples screen's ``lenient`` column is decided again when rows that need it arrive
later: a first page with no row where capslice's lenient reading differs hid the column for
good, and the pages read after it (``n``, scrolling) showed no column where it had room
(walk leftover). At 80 columns, where it has no room, the line under the table counts them
instead (tests/app/test_samples_lenient_count.py)."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import settle

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.samples import PAGE, SamplesScreen
from capslice_tui.formatting import lenient_cell
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

RUN = "bbh-eos-masked"


async def test_lenient_column_shows_when_a_later_page_brings_rows_that_differ(
    tmp_path: Path,
) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([sample_data_dir() / "lm_eval" / RUN], run=RUN, benchmark="bbh", step=110_000)
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = SamplesScreen(RUN, title="all samples")
        screen.sort_by, screen.descending = "score", True  # the 151 right ones first
        await app.push_screen(screen)
        await settle(app, pilot)
        assert len(screen.rows) == PAGE and not any(lenient_cell(r) for r in screen.rows)
        assert "lenient" not in screen.columns
        for _ in range(3):  # n: a page down; the next pages are read on the way
            await pilot.press("n")
            await settle(app, pilot)
        assert any(lenient_cell(r) for r in screen.rows)
        assert "lenient" in screen.columns
        labels = [str(c.label) for c in screen.query_one("#samples-table").columns.values()]
        assert "lenient" in labels, labels
