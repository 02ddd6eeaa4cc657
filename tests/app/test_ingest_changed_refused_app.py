"""The app's ingest form refuses a log that differs from the run's stored samples, as the CLI
does (walk 15: the form stored the 2,687 new samples of a conflicting log, skipped the 3,824
differing ones and left a run mixing two promptings shown as complete)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from pilot_helpers import SIZE, settle, static_text
from textual.widgets import Input
from textual.worker import WorkerFailed

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.ingest import IngestScreen
from capslice_tui.workspace import Workspace


def _log(path: Path, n: int, shift: int) -> Path:
    rows = [
        {"task": "t", "id": f"q{i}", "question": f"What is {i}+1?", "answer": str(i + 1),
         "response": f"so the answer is {i + 1 + shift}"}
        for i in range(n)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


async def test_the_form_stores_nothing_of_a_differing_log(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    Workspace(store).ingest([_log(tmp_path / "a.jsonl", 10, 0)], run="X")
    other = _log(tmp_path / "b.jsonl", 20, 1)  # the same 10 items answered otherwise, 10 new
    app = make_app(store)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        app.push_screen(IngestScreen())
        await pilot.pause()
        screen = app.screen
        screen.query_one("#ingest-paths", Input).value = str(other)
        screen.query_one("#ingest-run", Input).value = "X"
        screen.query_one("#ingest-run", Input).focus()
        await pilot.press("enter")
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        result = " ".join(static_text(app, "#ingest-result").split())
        assert result.startswith("ingest failed:"), result
        assert "already holds other data for 10 samples" in result, result
    assert Workspace(store).store.get_run("X")["n_samples"] == 10  # nothing stored half-way
