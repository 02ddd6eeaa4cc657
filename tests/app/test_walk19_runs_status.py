"""Walk 19 on the runs screen (pilot at 80x24, the app tests' store: base, cand on bbh;
mathrun on math): the status line says what ``d`` does for the highlighted row (the compared
pair was named on every row, and d on another run diagnosed that run alone), and ``D``'s
"checking what uses RUN..." does not stay under the y/n question once the check is done."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.confirm import ConfirmScreen
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.app.screens.runs import RunsScreen


async def test_status_names_what_d_diagnoses_on_the_highlighted_row(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key in ("c", "down", "c"):  # base, then cand: the comparison opens
            await pilot.press(key)
        await settle(app, pilot)
        assert isinstance(app.screen, CompareScreen)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, RunsScreen)
        assert "d: diagnose base -> cand" in static_text(app, "#status")
        await pilot.press("down")  # mathrun: outside the pair
        await settle(app, pilot)
        status = static_text(app, "#status")
        assert "d: diagnose mathrun alone" in status, status
        assert "base -> cand" not in status, status
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DiagnoseScreen)
        assert (app.screen.base, app.screen.cand) == ("mathrun", None)  # as the line said
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("up", "up")  # back on base: the pair again
        await settle(app, pilot)
        assert "d: diagnose base -> cand" in static_text(app, "#status")


async def test_delete_check_done_is_not_left_saying_checking(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("D")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        runs = app.screen_stack[-2]
        assert isinstance(runs, RunsScreen)
        status = str(runs.query_one("#status").render())
        assert "checking" not in status, status
        assert "delete base? no intervention uses it · y deletes, n keeps it" in status, status
        await pilot.press("n")  # kept: the runs line again
        await settle(app, pilot)
        assert static_text(app, "#status").startswith("3 runs")


async def test_with_a_base_the_status_says_what_d_does_on_each_row(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c")  # base marked, cursor on it: d diagnoses base alone
        await settle(app, pilot)
        status = " ".join(static_text(app, "#status").split())
        assert "base: base (bbh) · d: diagnose base alone" in status, status
        await pilot.press("down")  # cand, same benchmark: the change
        await settle(app, pilot)
        status = " ".join(static_text(app, "#status").split())
        assert "base: base (bbh) · d: diagnose the change to cand" in status, status
        await pilot.press("down")  # mathrun, another benchmark: alone
        await settle(app, pilot)
        status = " ".join(static_text(app, "#status").split())
        assert "d: diagnose mathrun alone" in status, status
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DiagnoseScreen)
        assert (app.screen.base, app.screen.cand) == ("mathrun", None)


async def test_delete_check_counts_the_interventions_it_found(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        runs = app.screen
        assert isinstance(runs, RunsScreen)
        users = ["intervention 1 'nt data' (baseline run, accepted)"]
        runs.ws.interventions_using_run = lambda name: users  # type: ignore[method-assign]
        await pilot.press("D")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "It is used by intervention 1 'nt data'" in app.screen.question
        status = str(runs.query_one("#status").render())
        assert "delete base? used by 1 intervention · y deletes, n keeps it" in status, status
        await pilot.press("n")
        await settle(app, pilot)
