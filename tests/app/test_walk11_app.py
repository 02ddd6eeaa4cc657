"""Walk 11 of the app at 80x24: the pass@k chooser keeps the ks some item has samples for,
notices stay short and readable, a verifier-picked run is not called greedy, the ingest
form's failure points at its reason."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle
from textual.widgets import Input, Static

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.prompt import PromptScreen
from capslice_tui.app.screens.slices import SlicesScreen, ks_within
from capslice_tui.app.widgets.result_table import ResultTable


def _header(app: object) -> list[str]:
    table = app.screen.query_one(ResultTable)  # type: ignore[attr-defined]
    return [str(c.label) for c in table.columns.values()]


def test_ks_within_drops_only_the_ks_beyond_every_item() -> None:
    assert ks_within(["1", "3", "50"], 8) == ["1", "3"]
    assert ks_within(["all", "50"], 8) == ["all"]
    assert ks_within(["50"], 8) == []
    assert ks_within(["50"], 1) == ["50"]  # greedy: the ks are ignored, said in the status


async def test_k_chooser_shows_the_valid_ks_and_opens_selected(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down", "enter")  # mathrun: 4 samples per item
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
        await pilot.press("k")
        await pilot.pause()
        await pilot.press(*"1,3,50", "enter")
        await settle(app, pilot)
        header = _header(app)
        assert "p@1" in header and "p@3" in header, header
        status = str(app.screen.query_one("#status", Static).render())
        assert "k 50: no item of mathrun has 50 samples" in status, status
        # the chooser opens again on the last choice, selected: typing replaces it
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        box = app.screen.query_one(Input)
        assert box.value == "1,3"
        await pilot.press(*"2,50", "enter")
        await settle(app, pilot)
        header = _header(app)
        assert "p@2" in header and "p@1" not in header and "p@3" not in header, header
        status = str(app.screen.query_one("#status", Static).render())
        assert "k 50" in status, status
