"""Pilot test: the sample detail shows a reasoning trace beside the response it was split from
(input: the ing-05 lmms-eval case copied under ``tests/fixtures``)."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, static_text
from textual.widgets import Collapsible

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.sample_detail import SampleDetailScreen
from capslice_tui.workspace import Workspace

ING05 = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "ing-05-lmms-flat"


async def test_sample_detail_shows_trace_and_answer(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    ws = Workspace(store)
    ws.ingest([ING05], run="r")
    rows, _ = ws.samples("r", limit=10)
    with_trace = next(r["id"] for r in rows if r["doc_id"] == "0")
    without = next(r["id"] for r in rows if r["doc_id"] == "1")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SampleDetailScreen(with_trace))
        await settle(app, pilot)
        assert "The answer is 5" in static_text(app, "#response")
        assert "<think>" not in static_text(app, "#response")
        assert app.screen.query_one("#reasoning-box", Collapsible).display
        assert static_text(app, "#reasoning") == "2 plus 3"
        app.pop_screen()
        await app.push_screen(SampleDetailScreen(without))
        await settle(app, pilot)
        assert "9" in static_text(app, "#response")
        assert not app.screen.query_one("#reasoning-box", Collapsible).display
