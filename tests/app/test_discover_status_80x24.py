"""The discover screen's status at 80x24 (fresh-user walk): its notes are read whole. The
status holds as many as fit the rows its widget shows, never cut at its last row, and
names ``i``, which shows every note of the search whole (where the significant groups
went, what was clustered), wrapped on a screen of its own."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, static_text
from rich.console import Console
from rich.text import Text
from textual.widgets import Static

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.discover import DiscoverScreen
from capslice_tui.app.screens.text_detail import TextDetailScreen
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir


def _words(text: str) -> str:
    return " ".join(text.split())


async def test_discover_notes_fit_the_status_or_show_whole_under_i(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    run = "math-base"  # 5,888 samples over 158 items: more notes than the status holds
    ws.ingest([sample_data_dir() / "lm_eval" / run], run=run, benchmark="math", step=100_000)
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(DiscoverScreen(run))
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiscoverScreen) and screen.data is not None
        notes = [screen.app_terms(n) for n in screen.data["notes"] if n]  # as the app words them
        widget = screen.query_one("#status", Static)
        text = static_text(app, "#status")
        # every row the status needs is on the screen: nothing runs off its last row
        needed = Text(text).wrap(Console(width=200), widget.content_region.width)
        assert len(needed) <= widget.content_region.height, (text, widget.content_region)
        # a note left out is counted with the key that shows it, not with a CLI command to
        # paste (a line of its own at 80 columns)
        said = [n for n in notes if _words(n) in _words(text)]
        assert "i: " in text and "more note" in text, text
        assert "capslice --store" not in text, text
        assert len(said) < len(notes), (said, notes)
        await pilot.press("i")
        await settle(app, pilot)
        assert isinstance(app.screen, TextDetailScreen)
        shown = _words(static_text(app, "#detail-text"))
        for note in notes:  # each whole, the folded repeats and what was clustered too
            assert _words(note) in shown, (note, shown)
        assert f"discover --run {run}" in shown  # the same search in the CLI
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, DiscoverScreen)
