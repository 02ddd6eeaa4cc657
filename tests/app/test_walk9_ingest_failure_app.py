"""Fresh-user walk 9 #30: the ingest form's failure says its reason once (not again as
"nothing from this ingest was stored" and under "bad lines:"), with no toast over it, and its
text keeps one column off the form's scrollbar."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from lmeval_files import build_store
from pilot_helpers import SIZE, settle, static_text
from textual.containers import VerticalScroll
from textual.widgets import Input, Static
from textual.worker import WorkerFailed

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.ingest import IngestScreen, failure_lines


def test_failure_lines_say_each_thing_once() -> None:
    bad = ["a.jsonl:4: bad line: invalid JSON"]
    message = f"{bad[0]}. Nothing from this ingest was stored; fix the file"
    assert failure_lines(message, bad) == [f"ingest failed: {message}"]
    # a message that names neither: both are said, once
    lines = failure_lines("no samples found", ["b.jsonl:2: x"])
    assert lines == ["ingest failed: no samples found", "", "nothing from this ingest was stored",
                     "", "bad lines:", "  b.jsonl:2: x"]  # fmt: skip
    lines = failure_lines(message, [*bad, "a.jsonl:9: y"])
    assert lines[-2:] == ["other bad lines:", "  a.jsonl:9: y"]


async def test_a_bad_line_is_said_once_and_off_the_scrollbar(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    lines = [json.dumps({"question": "q", "target": "3", "response": "A: 3"})] * 5
    lines.insert(3, '{"question": "x", "target": 3, "response": "A: 3"')  # line 4: no brace
    log = tmp_path / "a.jsonl"
    log.write_text("\n".join(lines) + "\n")
    app = make_app(store)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        app.push_screen(IngestScreen())
        await pilot.pause()
        screen = app.screen
        screen.query_one("#ingest-paths", Input).value = str(log)
        screen.query_one("#ingest-run", Input).value = "appbad"
        screen.query_one("#ingest-run", Input).focus()
        await pilot.press("enter")
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        result = static_text(app, "#ingest-result")
        assert result.startswith(f"ingest failed: {log}:4: bad line: invalid JSON"), result
        assert result.count(f"{log}:4") == 1, result
        assert result.lower().count("nothing from this ingest was stored") == 1, result
        assert "bad lines:" not in result, result
        assert not app._notifications  # the status line says it; no toast over the reason
        assert "nothing stored" in static_text(app, "#status")
        form = screen.query_one("#ingest-form", VerticalScroll)
        box = screen.query_one("#ingest-result", Static)
        assert form.show_vertical_scrollbar
        # the scrollbar begins where the form's scrollable content ends
        bar_x = form.scrollable_content_region.right
        assert box.content_region.right <= bar_x - 1, (box.content_region, bar_x)
