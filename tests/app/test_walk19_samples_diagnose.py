"""Walk 19 on the demo's bbh-eos-masked / bbh-eos-restored at 80x24: the samples' "resp. end"
column keeps each response's end after ``j`` (a jump read the doc's page, fitted the
column to it, then a page before it widened the other columns: the table cut the ends,
"~a slightly differe~"); Enter on a slice of a gain opens samples that carry the change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import SIZE, settle
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.app.widgets.result_table import ResultTable
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

BOOLEAN = "bbh_cot_fewshot_boolean_expressions"


@pytest.fixture(scope="module")
def eos_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("walk19-eos") / "capslice.db"
    ws = Workspace(path)
    for name in ("bbh-eos-masked", "bbh-eos-restored"):
        ws.ingest([sample_data_dir() / "lm_eval" / name], run=name, benchmark="bbh")
    return path


def _ends(screen: SamplesScreen) -> dict[Any, str]:
    """Each row's response cell as put in the table, by doc id."""
    table = screen.query_one(ResultTable)
    return {r["doc_id"]: str(table.get_row_at(i)[-1]).strip() for i, r in enumerate(screen.rows)}


async def test_response_ends_stay_whole_after_a_jump(eos_store: Path) -> None:
    app = make_app(eos_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = SamplesScreen("bbh-eos-masked", benchmark="bbh", task=BOOLEAN)
        await app.push_screen(screen)
        await settle(app, pilot)
        await pilot.press("end")
        await settle(app, pilot)
        assert screen.response_view == "end"
        before = _ends(screen)
        await pilot.press("j")
        await pilot.pause()
        app.screen.query_one(Input).value = "40"
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.query_one(ResultTable).current_payload is not None
        after = _ends(screen)
        assert {"40", "45", "47"} <= after.keys()
        for doc in ("40", "45", "47"):
            assert after[doc] == before[doc], (doc, after[doc], before[doc])
        # every cell fits the room the other columns leave it
        assert screen.response_width is not None
        assert screen.response_width <= screen._response_room(screen.rows)


async def test_enter_on_a_gained_slice_opens_the_base_samples_that_carry_it(
    eos_store: Path,
) -> None:
    from pilot_helpers import static_text

    from capslice_tui.app.screens.diagnose import DiagnoseScreen

    app = make_app(eos_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        diagnose = DiagnoseScreen("bbh-eos-masked", "bbh-eos-restored", benchmark="bbh")
        await app.push_screen(diagnose)
        await settle(app, pilot)
        table = diagnose.query_one(ResultTable)
        payload = table.current_payload
        assert payload["slice"] == {"background_condition": "self_contained"}
        assert payload["mode"] == "extraction_failure"
        await pilot.press("enter")
        await settle(app, pilot)
        samples = app.screen
        assert isinstance(samples, SamplesScreen)
        # the base's samples of the mode the gain fixed, not the candidate's (none: a dead end)
        assert (samples.run, samples.failure_mode) == ("bbh-eos-masked", "extraction_failure")
        assert samples.rows and samples.total == 67
        status = " ".join(static_text(app, "#status").split())
        assert "base bbh-eos-masked: 65 items bbh-eos-restored got right are among these" in (
            status
        ), status
        assert "no samples" not in status
        await pilot.press("f")  # another mode: the note no longer holds, so it goes
        await settle(app, pilot)
        assert "got right" not in static_text(app, "#status")
