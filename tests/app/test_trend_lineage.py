"""The trend's default pick of runs: every run of the highlighted run's model lineage on its
benchmarks, so a run continued from the model under a longer name (the demo's
``demo-1b-eosmask-step110000``) is a step of the trend and its dip shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from lmeval_files import write_runs
from pilot_helpers import SIZE, settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.trend import TrendScreen
from capslice_tui.workspace import Workspace


@pytest.fixture(scope="module")
def lineage_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``r100`` and ``r200`` (checkpoints of org/m, 75% on every task) and ``masked`` at step
    150 (org/m-eosmask, continued from it: 50%), all bbh; ``other`` (org/x) at step 150 too."""
    root = tmp_path_factory.mktemp("lineage")
    logs = write_runs(root / "logs")
    store = root / "store.db"
    ws = Workspace(store)
    ws.ingest([logs["base"]], run="r100", benchmark="bbh", step=100, model="org/m-step100")
    ws.ingest(
        [logs["cand"]], run="masked", benchmark="bbh", step=150, model="org/m-eosmask-step150"
    )
    ws.ingest([logs["base"]], run="r200", benchmark="bbh", step=200, model="org/m-step200")
    ws.ingest([logs["cand"]], run="other", benchmark="bbh", step=150, model="org/x-step150")
    return store


async def test_enter_on_a_checkpoint_picks_the_continued_run_and_shows_its_dip(
    lineage_store: Path,
) -> None:
    app = make_app(lineage_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(TrendScreen())
        await settle(app, pilot)
        assert table_rows(app)[0][1] == "r100"
        await pilot.press("enter")  # none marked: r100's lineage
        await settle(app, pilot)
        title = static_text(app, "#title")
        assert "r100@100 < masked@150 < r200@200" in title, title
        assert "other" not in title  # another model at the same step is not of the lineage
        rows = table_rows(app)
        assert rows[-1][0] == "ALL"
        assert all(r[1] == "#_#" for r in rows), rows  # the dip at step 150 on every row
        assert "warning" not in static_text(app, "#status")  # one lineage: nothing left out


async def test_marked_runs_that_skip_a_step_of_the_lineage_say_so(lineage_store: Path) -> None:
    app = make_app(lineage_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(TrendScreen(runs=["r100", "r200"]))
        await settle(app, pilot)
        assert "1 warning (w)" in static_text(app, "#status")
        await pilot.press("w")
        await settle(app, pilot)
        text = static_text(app, "#warnings-text")
        assert "left out: masked@150" in text and "other" not in text


def test_lineage_runs_reads_every_runs_benchmarks_in_one_query(lineage_store: Path) -> None:
    """It ran one run_tasks query per stored run (review); the pick is unchanged."""
    ws = Workspace(lineage_store)
    reads: list[str] = []
    ws.store.conn.set_trace_callback(reads.append)
    assert ws.lineage_runs("r100") == ["r100", "masked", "r200"]
    assert sum("run_tasks" in sql for sql in reads) == 1, reads
    assert ws.store.run_benchmarks() == {int(r["id"]): ["bbh"] for r in ws.store.list_runs()}
