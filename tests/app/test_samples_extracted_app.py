"""The app's samples table at 80x24 shows the answer columns as ``capslice samples`` does: an
extracted cell is never blank (``-``), the lenient column shows capslice's lenient answer
where it differs, and the lines under the table say what both mean (the CLI's notes)."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, static_text
from pilot_helpers import table_rows as rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.formatting import LENIENT_NOTE, NO_ANSWER_NOTE, lenient_cell
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

RUN = "bbh-eos-masked"


async def test_no_extraction_is_a_marker_and_lenient_has_its_column(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([sample_data_dir() / "lm_eval" / RUN], run=RUN, benchmark="bbh", step=110_000)
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        # one task's samples (no task column), as a task's slice opens them
        task = "bbh_cot_fewshot_web_of_lies"
        screen = SamplesScreen(RUN, title=f"task={task}", task=task, failure_mode="truncated")
        await app.push_screen(screen)
        await settle(app, pilot)
        assert "lenient" in screen.columns, screen.columns
        at, lenient_at = screen.columns.index("extracted"), screen.columns.index("lenient")
        cells = rows(app)
        assert all(r[at] for r in cells), "an extracted cell is never blank"
        none = [
            (r, row)
            for r, row in zip(cells, screen.rows, strict=True)
            if not (row.get("extracted") or "").strip()
        ]
        assert none, "the walk's case: the harness extracted nothing"
        for r, row in none:
            assert r[at] == "-", r
            assert r[lenient_at] == lenient_cell(row).replace("…", "")[: len(r[lenient_at])]
        assert any(r[lenient_at] not in ("", "-") for r, _ in none)  # what capslice read
        await pilot.press("i")  # the whole legend (the short one: test_samples_legend_app.py)
        await pilot.pause()
        legend = " ".join(static_text(app, "#mode-legend").split())
        assert NO_ANSWER_NOTE in legend and LENIENT_NOTE in legend, legend
        # every task's samples: the task column leaves no room; the line says where it is
        screen = SamplesScreen(RUN, title="all samples", failure_mode="truncated")
        await app.push_screen(screen)
        await settle(app, pilot)
        await pilot.press("i")  # the whole legend (the short one: test_samples_legend_app.py)
        await pilot.pause()
        legend = " ".join(static_text(app, "#mode-legend").split())
        if "lenient" not in screen.columns:
            assert "lenient reading differs on" in legend, legend
            assert "(Enter shows it)" in legend, legend
