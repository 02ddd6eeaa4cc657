"""Fresh-user walk 6 at 80x24: figures in status lines wrap instead of being cut (compare's
evaluation warning), the app refuses pass@k above every item's samples as the CLI does,
intervention actions check the status before asking anything, discover says its k reason
and the label a group restates whole, the samples mode column reads in one scheme with a
legend, and help lines keep a blank column before the scrollbar."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from pilot_helpers import SIZE, settle, static_text, table_rows
from rich.console import Console

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.help import HelpScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.cli import main


def screen_lines(app: Any) -> list[str]:
    """The current screen as the terminal shows it, line by line (cuts included)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False).split("\n")


def _reworded_store(tmp_path: Path) -> Path:
    """runs base and reworded (other prompt texts: the evaluation differs), 2 x 15 items."""
    db = tmp_path / "s.db"
    for run, head, every in (("base", "Q", 3), ("reworded", "Question", 5)):
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


async def test_compare_status_wraps_the_evaluation_warning_whole(tmp_path: Path) -> None:
    app = make_app(_reworded_store(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(CompareScreen("base", "reworded", benchmark="toy"))
        await settle(app, pilot)
        await pilot.pause()
        status = static_text(app, "#status")
        assert status.startswith("evaluation differs: the prompts of 30 of 30 items differ")
        assert "(d: diagnose)" in status and "see capslice diagnose" not in status, status
        lines = screen_lines(app)
        drawn = " ".join(x.strip() for x in lines[-6:-1])  # the rows above the footer
        # every figure of the status drawn whole: none ends a row in "…"
        assert "30 of 30 items" in drawn and "(p adj <= q=0.05)" in drawn, lines[-6:]
        assert not any(x.rstrip().endswith(("…", "~")) for x in lines[-6:-1]), lines[-6:]


async def test_k_above_every_items_samples_is_refused_as_the_cli_does(store_path: Path) -> None:
    res = CliRunner().invoke(main, ["--store", str(store_path), "slices", "--run", "mathrun",
                                    "--benchmark", "math", "--k", "500"])  # fmt: skip
    assert res.exit_code != 0 and "--k 500: no item of mathrun has 500 samples" in res.output
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SlicesScreen("mathrun", "math"))
        await settle(app, pilot)
        before = [str(c.label) for c in app.screen.query_one("#slices-table").columns.values()]
        await pilot.press("k", *"500", "enter")
        await settle(app, pilot)
        columns = [str(c.label) for c in app.screen.query_one("#slices-table").columns.values()]
        assert "p@500" not in columns and columns == before, columns
        status = static_text(app, "#status")
        assert "k 500: no item of mathrun has 500 samples (the most any item has is 4)" in status, (
            status
        )
        drawn = " ".join(x.strip() for x in screen_lines(app)[-5:-1])
        assert "(the most any item has is 4); pass@k needs at least k samples" in drawn, drawn
        assert table_rows(app)  # the table is still there, not covered


async def test_help_lines_keep_a_column_before_the_scrollbar(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SlicesScreen("mathrun", "math"))
        await settle(app, pilot)
        app.set_focus(None)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = static_text(app, "#help-text")
        assert "Answer filter:" in text
        # 80 columns less the padding (2) and the scrollbar (2), and one blank column
        longest = max(text.splitlines(), key=len)
        assert len(longest) <= SIZE[0] - 5, longest
