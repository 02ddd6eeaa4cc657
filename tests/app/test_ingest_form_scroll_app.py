"""The ingest form at 80x24: Tab reaches every field and button in view, the form shows all of
them without scrolling, and when a report makes it longer the line under it says what is out
of view and the key that scrolls there (a column of ``#`` beside a form one row too long said
nothing); a focused format choice and skip-bad toggle read as focused without colour."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from lmeval_files import build_store
from pilot_helpers import SIZE, settle, static_text
from textual.widgets import Button, Input, Select
from textual.worker import WorkerFailed

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.base import FormScroll
from capslice_tui.app.screens.ingest import IngestScreen

FOCUS_ORDER = [
    "ingest-paths", "ingest-run", "ingest-benchmark", "ingest-step", "ingest-fields",
    "ingest-system", "ingest-format", "ingest-skip-bad", "ingest-start", "ingest-back",
]  # fmt: skip


async def test_tab_reaches_every_field_in_view_and_the_form_says_what_is_hidden(
    tmp_path: Path,
) -> None:
    store = build_store(tmp_path)
    lines = [json.dumps({"question": "q", "target": "3", "response": "A: 3"})] * 5
    lines.insert(3, '{"question": "x", "target": 3, "response": "A: 3"')  # line 4: no brace
    log = tmp_path / "a.jsonl"
    log.write_text("\n".join(lines) + "\n")
    app = make_app(store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(IngestScreen())
        await settle(app, pilot)
        screen = app.screen
        form = screen.query_one("#ingest-form", FormScroll)
        assert form.max_scroll_y == 0, (form.virtual_size, form.size)  # no scrollbar for nothing
        assert static_text(app, "#form-more") == ""
        seen = []
        for _ in FOCUS_ORDER:
            focused = app.focused
            assert focused is not None
            seen.append(focused.id)
            assert form.region.contains_region(focused.region), (focused.id, focused.region)
            await pilot.press("tab")
            await pilot.pause()
        assert seen == FOCUS_ORDER, seen
        # focused without colour: the format choice and the skip-bad toggle, whole
        screen.query_one("#ingest-format", Select).focus()
        await pilot.pause()
        assert "> format: auto" in str(screen.query_one("#ingest-format #label").render())
        skip = screen.query_one("#ingest-skip-bad", Button)
        skip.focus()
        await pilot.pause()
        assert str(skip.label) == "> [ ] skip bad lines <"
        assert skip.content_region.width >= len(str(skip.label)), skip.content_region

        screen.query_one("#ingest-paths", Input).value = str(log)
        screen.query_one("#ingest-run", Input).value = "appbad"
        screen.query_one("#ingest-run", Input).focus()
        await pilot.press("enter")
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await settle(app, pilot)
        await pilot.pause()
        assert form.max_scroll_y > 0 and form.scroll_y == form.max_scroll_y  # the report's end
        assert static_text(app, "#form-more") == "more above: pgup"
        await pilot.press("pageup")
        await pilot.pause()
        await pilot.pause()
        assert form.scroll_y < form.max_scroll_y
        assert "more below: pgdn" in static_text(app, "#form-more")
        await pilot.press("pageup", "pageup")
        await pilot.pause()
        await pilot.pause()
        assert form.scroll_y == 0 and static_text(app, "#form-more") == "more below: pgdn"
