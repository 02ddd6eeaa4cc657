"""The app's ingest screen runs the ingest on a Textual worker thread: an lm-eval read in
worker processes starts them from a forkserver there (never a fork of the threaded app) and
stores every sample (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lmeval_files import build_store
from pilot_helpers import SIZE, settle, static_text
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.ingest import IngestScreen
from capslice_tui.app.screens.menu import MenuScreen
from capslice_tui.workspace import Workspace
from capslice_tui.workspace import _ingest_workers as ingest_workers

TS = "2026-01-01T00-00-00.000000"


def _write_logs(folder: Path, tasks: list[str], n_docs: int) -> None:
    folder.mkdir(parents=True)
    for task in tasks:
        lines = [
            json.dumps(
                {
                    "doc_id": d,
                    "doc": {"question": f"What is {d} + 1?", "answer": str(d + 1)},
                    "target": str(d + 1),
                    "arguments": {"gen_args_0": {"arg_0": f"Q: What is {d} + 1?\nA:"}},
                    "resps": [[f"The answer is {d + 1}."]],
                    "filtered_resps": [str(d + 1)],
                    "filter": "none",
                    "metrics": ["exact_match"],
                    "exact_match": 1.0,
                }
            )
            for d in range(n_docs)
        ]
        (folder / f"samples_{task}_{TS}.jsonl").write_text("\n".join(lines) + "\n")


async def test_ingest_screen_reads_lmeval_files_in_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = build_store(tmp_path)
    logs = tmp_path / "big"
    _write_logs(logs, ["toy_a", "toy_b"], 300)
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "2")
    started: list[int] = []
    real = ingest_workers.Workers.__init__

    def spy(self: Any, *args: Any) -> None:
        started.append(args[-1])
        real(self, *args)

    monkeypatch.setattr(ingest_workers.Workers, "__init__", spy)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MenuScreen)
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, IngestScreen)
        screen.query_one("#ingest-paths", Input).value = str(logs)
        screen.query_one("#ingest-run", Input).value = "toy-run"
        await pilot.press("tab")
        await pilot.press("enter")
        for _ in range(600):  # the forkserver starts and imports capslice once: seconds
            if screen.report is not None:
                break
            await pilot.pause(0.05)
        assert screen.report is not None, static_text(app, "#ingest-result")
        assert screen.report["runs"] == {"toy-run": 600}
    assert started == [2]
    runs = {r["name"]: r for r in Workspace(store).runs()}
    assert runs["toy-run"]["n_samples"] == 600
