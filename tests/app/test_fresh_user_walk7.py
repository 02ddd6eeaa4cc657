"""Fresh-user walk 7 at 80x24: key labels say what the key does, the menu opens its screens
on the highlighted run, wrapped text continues under its text (and re-wraps on resize), and
what the app suggests is a command a user can paste."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle
from test_fresh_user_walk6 import screen_lines

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.help import HelpScreen


async def test_runs_i_is_labelled_for_everything_it_shows(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = {r.binding_id: r for r in app.help_rows(app.screen)}
        row = rows["runs.ingest_info"]
        # i shows a complete run's log layout and warnings too, not only resume/delete
        assert row.description.startswith("Run details: "), row.description
        assert "log layout" in row.description and "resume or delete" in row.description
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        drawn = "\n".join(screen_lines(app))
        assert "Run details" in drawn and "Resume/delete" not in drawn, drawn
