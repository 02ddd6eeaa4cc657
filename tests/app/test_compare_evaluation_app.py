"""The compare screen's status line says first when the two runs evaluated differently."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.cli import main


def _store(tmp_path: Path) -> Path:
    """runs base, same (same prompts) and reworded (other prompt texts), 2 tasks x 15 items."""
    db = tmp_path / "s.db"
    for run, head, every in (("base", "Q", 3), ("same", "Q", 5), ("reworded", "Question", 5)):
        log = tmp_path / f"{run}.jsonl"
        log.write_text(
            "".join(
                json.dumps({
                    "task": task, "doc_id": i, "prompt": f"{head}: what is {i} + 1?",
                    "target": str(i + 1), "prediction": "x" if i % every == 0 else str(i + 1),
                }) + "\n"
                for task in ("t1", "t2")
                for i in range(15)
            )
        )  # fmt: skip
        args = ["--store", str(db), "ingest", str(log), "--run", run, "--benchmark", "toy"]
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0, res.output
    return db


async def test_compare_screen_status_says_the_evaluation_differs(tmp_path: Path) -> None:
    app = make_app(_store(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(CompareScreen("base", "reworded", benchmark="toy"))
        await settle(app, pilot)
        status = static_text(app, "#status")
        assert status.startswith("evaluation differs: the prompts of 30 of 30 items differ")
        await app.push_screen(CompareScreen("base", "same", benchmark="toy"))
        await settle(app, pilot)
        status = static_text(app, "#status")
        assert "tested by task" in status and "evaluation differs" not in status
