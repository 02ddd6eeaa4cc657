"""Walk 18 F1: the app's slices screen of an incomplete run says so in its status line, and
``i`` shows the run's note whole (what is stored)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.app.screens.text_detail import TextDetailScreen
from capslice_tui.workspace import Workspace


async def test_slices_screen_of_an_incomplete_run_says_so(store_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "s.db"  # the shared store stays as it is (its WAL copied too)
    with sqlite3.connect(store_path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    store_path = copy
    ws = Workspace(store_path)
    first = ws.runs()[0]["name"]
    ws.store.mark_run_incomplete(
        ws.store.get_run(first)["id"], "task t: 16 of 32 expected samples (/x.jsonl)"
    )
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen) and app.screen.run == first
        assert "incomplete run" in static_text(app, "#status")
        await pilot.press("i")
        await settle(app, pilot)
        assert isinstance(app.screen, TextDetailScreen)
        assert app.screen.paragraphs[0].startswith(f"warning: {first} is incomplete (")


async def test_compare_and_diagnose_screens_of_an_incomplete_run_say_so(
    store_path: Path, tmp_path: Path
) -> None:
    from capslice_tui.app.screens.compare import CompareScreen
    from capslice_tui.app.screens.diagnose import DiagnoseScreen

    copy = tmp_path / "s.db"
    with sqlite3.connect(store_path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    ws = Workspace(copy)
    ws.store.mark_run_incomplete(ws.store.get_run("cand")["id"], "task t: 3 of 9 expected samples")
    app = make_app(copy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(CompareScreen("base", "cand", benchmark="bbh", by="task"))
        await settle(app, pilot)
        assert "warning: cand is incomplete (" in static_text(app, "#pair-warning")
        app.push_screen(DiagnoseScreen("base", "cand", benchmark="bbh"))
        await settle(app, pilot)
        text = " ".join(static_text(app, "#verdict").split() + static_text(app, "#summary").split())
        text += " ".join(" ".join(str(w.render()) for w in app.screen.query("Static")).split())
        assert "cand is incomplete (" in text, text[:500]
