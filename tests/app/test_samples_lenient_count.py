"""The line under the app's samples table counts the rows where capslice's lenient reading
differs among the rows it shows, and counts again when more rows load (fresh-user walk: it
said 45 on rows 1-100 and still 45 once ``n`` had loaded rows 1-200, where 84 differ)."""

from __future__ import annotations

import re
from pathlib import Path

from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.formatting import lenient_cell
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

RUN = "bbh-eos-masked"


def _count(app: object) -> tuple[int, int]:
    legend = " ".join(static_text(app, "#mode-legend").split())
    found = re.search(r"capslice's lenient reading differs on (\d+) of (\d+) rows shown", legend)
    assert found, legend
    return int(found[1]), int(found[2])


async def test_lenient_count_follows_the_rows_shown(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([sample_data_dir() / "lm_eval" / RUN], run=RUN, benchmark="bbh", step=110_000)
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = SamplesScreen(RUN, title="all samples")
        await app.push_screen(screen)
        await settle(app, pilot)
        assert "lenient" not in screen.columns  # no room at 80x24: the line counts them
        await pilot.press("i")  # the whole legend (the short one: test_samples_legend_app.py)
        await pilot.pause()
        first = _count(app)
        assert first == (sum(1 for r in screen.rows if lenient_cell(r)), len(screen.rows))
        await pilot.press("n")
        await settle(app, pilot)
        more = _count(app)
        assert more[1] > first[1], (first, more)
        assert more == (sum(1 for r in screen.rows if lenient_cell(r)), len(screen.rows))
        assert more[0] > first[0], (first, more)
