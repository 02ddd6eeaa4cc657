"""The samples screen's legend takes at most two lines at 80x24, so the table keeps most of
the screen (on the demo's bbh-eos-masked the whole legend took 8 of the 24 rows and 9 sample
rows showed); ``i`` shows the whole legend, where every mark in view is said in full."""

from __future__ import annotations

import io
from pathlib import Path

from pilot_helpers import SIZE, settle, static_text
from rich.console import Console

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.app.widgets.result_table import ResultTable
from capslice_tui.vocabulary import FAILURE_MARK_MEANING
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

RUN = "bbh-eos-masked"


def drawn(app: object) -> str:
    width, height = app.size  # type: ignore[attr-defined]
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))  # type: ignore[attr-defined]
    return " ".join(line.strip() for line in console.export_text(styles=False).split("\n"))


async def test_samples_legend_is_short_and_i_shows_it_whole(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([sample_data_dir() / "lm_eval" / RUN], run=RUN, benchmark="bbh", step=110_000)
    app = make_app(tmp_path / "s.db", workspace=ws, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = SamplesScreen(RUN, title="ALL", benchmark="bbh")
        await app.push_screen(screen)
        await settle(app, pilot)
        legend = static_text(app, "#mode-legend")
        lines = legend.splitlines()
        assert 1 <= len(lines) <= 2 and all(len(x) <= 78 for x in lines), legend
        assert lines[-1].endswith("i: legend"), legend
        assert "fmt!: answer not extracted" in legend, legend  # the least obvious mark
        assert "lenient differs on 45 rows (Enter)" in legend, legend
        table = screen.query_one(ResultTable)
        assert table.size.height - 1 >= 15, table.size  # sample rows in view (header: 1)
        assert screen.query_one("#status").size.height <= 2

        await pilot.press("i")
        await pilot.pause()
        whole = " ".join(static_text(app, "#mode-legend").split())
        modes = {r.get("failure_mode") for r in screen.rows}
        for mode in ("wrong_answer", "extraction_failure", "truncated"):
            assert mode in modes
            assert FAILURE_MARK_MEANING[mode] in whole, whole
        assert "rep = repeated text" in whole and "wrong+cap: a complete wrong" in whole
        assert "capslice's lenient reading differs on 45 of 100 rows shown" in whole
        assert FAILURE_MARK_MEANING["extraction_failure"] in drawn(app)  # on screen, whole

        await pilot.press("i")
        await pilot.pause()
        assert static_text(app, "#mode-legend") == legend
