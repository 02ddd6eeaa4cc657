"""Fresh-user walk 7 on the runs screen and the forms: two runs never read the same once
their names are cut, and names are cut again for a new terminal width."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.format import distinct_cuts

GSM = ["gsm/175b_finetuning", "gsm/175b_verification", "gsm/6b_finetuning", "gsm/6b_verification"]


@pytest.fixture(scope="module")
def gsm_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four runs named as the walk's GSM8K logs (one shared prefix, two model sizes)."""
    from lmeval_files import write_runs

    from capslice_tui.workspace import Workspace

    root = tmp_path_factory.mktemp("gsm-names")
    runs = write_runs(root / "logs")
    ws = Workspace(root / "store.db")
    for name in GSM:
        ws.ingest([runs["base"]], run=name, benchmark="bbh")
    return root / "store.db"


@pytest.mark.parametrize("width", range(8, 22))
def test_different_names_never_read_the_same_once_cut(width: int) -> None:
    cut = distinct_cuts(GSM, width, middle=True)
    assert len(set(cut)) == len(GSM), cut  # was gsm/…verification twice at 15-18
    assert all(len(c) <= width for c in cut), cut


async def test_runs_screen_cuts_names_again_when_the_terminal_widens(gsm_store: Path) -> None:
    app = make_app(gsm_store, ascii=True)
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(app, pilot)
        narrow = [row[0] for row in table_rows(app)]
        assert len(set(narrow)) == 4 and narrow != GSM, narrow
        await pilot.resize_terminal(*SIZE)
        await settle(app, pilot)
        await pilot.pause()
        assert [row[0] for row in table_rows(app)] == GSM  # whole: 80 columns have the room
