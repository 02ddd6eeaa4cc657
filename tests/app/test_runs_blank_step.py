"""The runs screen shows '-' for a run without a step where others have one, as ``capslice
runs`` does (walk 14: the app's cell was blank)."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.workspace import Workspace

EXT04 = Path(__file__).parents[1] / "fixtures" / "cases" / "ext-04-recited-fewshot"


async def test_a_run_without_a_step_reads_dash(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([EXT04 / "pair_base"], run="stepped", step=1000)
    ws.ingest([EXT04 / "pair_cand"], run="unstepped")
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        cells = {r[0]: r for r in table_rows(app)}
        assert cells["stepped"][1] == "1000", cells
        assert cells["unstepped"][1] == "-", cells
