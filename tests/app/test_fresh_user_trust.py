"""A fresh user's 80x24 session: the compare screen's ALL row and the diagnose header say only
what capslice can stand behind, in the words the CLI uses."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from pilot_helpers import SIZE, settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.cli import main


def _store(tmp_path: Path) -> Path:
    """runs base (all right) and cand (every other item wrong), 2 tasks x 30 items."""
    db = tmp_path / "s.db"
    for run, every in (("base", 0), ("cand", 2)):
        log = tmp_path / f"{run}.jsonl"
        log.write_text(
            "".join(
                json.dumps({
                    "task": task, "doc_id": i, "prompt": f"Q: what is {i} + 1?",
                    "target": str(i + 1),
                    "prediction": "x" if every and i % every == 0 else str(i + 1),
                }) + "\n"
                for task in ("t1", "t2")
                for i in range(30)
            )
        )  # fmt: skip
        args = ["--store", str(db), "ingest", str(log), "--run", run, "--benchmark", "toy"]
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0, res.output
    return db


async def test_compare_all_row_is_not_marked_as_corrected(tmp_path: Path) -> None:
    """ALL is tested on its own by its raw p (not one of the Benjamini-Hochberg corrected
    slices): ``worse`` without ``*``, no p adj, and the help legend says so; the slices keep
    ``worse*``."""
    app = make_app(_store(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(CompareScreen("base", "cand", benchmark="toy"))
        await settle(app, pilot)
        rows = table_rows(app)
        overall = next(r for r in rows if r[0] == "ALL")
        assert overall[-1] == "worse", rows
        assert overall[-2] == "-", rows
        assert [r[-1] for r in rows if r[0] != "ALL"] == ["worse*", "worse*"], rows
        legend = " ".join(CompareScreen.HELP_LEGEND)
        assert "ALL row" in legend and "without * = raw p <= 0.05" in legend


async def test_diagnose_header_counts_slices_in_words(tmp_path: Path) -> None:
    """``verdict: … · 2 slices listed`` (``1 slice``), never ``slice(s)``."""
    import re

    from capslice_tui.app.screens.diagnose import DiagnoseScreen

    app = make_app(_store(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(DiagnoseScreen("base", "cand", benchmark="toy"))
        await settle(app, pilot)
        status = static_text(app, "#status")
        title = static_text(app, "#slices-title")
        assert status.startswith("verdict: "), status
        assert "(s)" not in status and "(s)" not in title, (status, title)
        match = re.search(r"(\d+) (slices?) listed", status)
        assert match and (match[2] == "slice") == (match[1] == "1"), status
