"""Walk 19 on the ingest form (pilot at 80x24): a generic log refused for a column that looks
like the correctness shows its whole reason and fix under the form (it was one status line
cut at 80 columns, "...the rows carry no field caps~", with the fix out of view), in the
form's terms; and the focused text field reads ``>`` on its text line (it differed from the
others only by its border's colour, lost under NO_COLOR)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from lmeval_files import build_store
from pilot_helpers import SIZE, settle, static_text
from textual.geometry import Region
from textual.widgets import Input
from textual.worker import WorkerFailed

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.ingest import IngestScreen


async def test_a_refused_generic_log_says_its_whole_reason_and_fix(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    log = tmp_path / "toy.jsonl"
    rows = [
        {"qid": i, "question": f"{i}+1?", "completion": f"It is {i + 1}.", "gold": str(i + 1),
         "pred_score": i % 2}
        for i in range(10)
    ]  # fmt: skip
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    app = make_app(store)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        app.push_screen(IngestScreen())
        await pilot.pause()
        screen = app.screen
        screen.query_one("#ingest-paths", Input).value = str(log)
        screen.query_one("#ingest-run", Input).value = "toy"
        fields = screen.query_one("#ingest-fields", Input)
        fields.value = "response=completion target=gold doc_id=qid"
        fields.focus()
        await pilot.press("enter")
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        result = static_text(app, "#ingest-result")
        flat = " ".join(result.split())
        assert flat.startswith(f"ingest failed: {log}:1: the rows carry no field capslice"), flat
        # the fix, whole and in the form's terms
        assert "To read it, add correct=pred_score to the fields box;" in flat, flat
        assert "add correct=- to the fields box and capslice scores the responses" in flat, flat
        assert "nothing stored" in static_text(app, "#status")
        assert not app._notifications  # no toast cut at the screen's edge


def _text_line(field: Input) -> str:
    strips = field.render_lines(Region(0, 0, *field.outer_size))
    return strips[field.gutter.top].text


async def test_the_focused_field_is_marked_without_colour(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(IngestScreen())
        await pilot.pause()
        await pilot.pause()
        paths = app.screen.query_one("#ingest-paths", Input)
        run = app.screen.query_one("#ingest-run", Input)
        assert paths.has_focus
        assert _text_line(paths).startswith(">"), _text_line(paths)
        assert not _text_line(run).startswith(">"), _text_line(run)
        await pilot.press("tab")
        await pilot.pause()
        assert run.has_focus
        assert _text_line(run).startswith(">"), _text_line(run)
        assert not _text_line(paths).startswith(">"), _text_line(paths)


async def test_a_missing_long_path_is_said_whole_under_the_form(
    store_path: Path, tmp_path: Path
) -> None:
    missing = tmp_path / ("a-folder-with-a-long-name-" * 3) / "evaluation-log-step-049000.jsonl"
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(IngestScreen())
        await pilot.pause()
        screen = app.screen
        screen.query_one("#ingest-paths", Input).value = str(missing)
        run = screen.query_one("#ingest-run", Input)
        run.value = "long"
        run.focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert "no such file or folder" in static_text(app, "#status")
        result = "".join(static_text(app, "#ingest-result").split())
        assert f"nosuchfileorfolder:{missing}" in result, result  # every character of it
        assert screen.query_one("#ingest-paths", Input).has_focus  # the field to fix
