"""Menu ``p`` from a screen above an open plan screen returns to that plan (the menu never
stacks a screen twice) with its form filled from the screen the menu was opened from, as a new
plan screen there would be: a compare's pair, a slice's run (walk leftover: it returned to the
form of the plan's old run, with that run's plan still on screen). From the plan itself, and
from a screen on a run the form already holds, the form is kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pilot_helpers import SIZE, settle, static_text
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.app.widgets.result_table import ResultTable


def _form(app: Any) -> tuple[str, str, str]:
    values = {str(w.id): w.value for w in app.screen.query(Input)}
    return values["baseline"], values["candidate"], values["benchmark"]


async def _menu_plan(app: Any, pilot: Any) -> None:
    app.screen.query_one(ResultTable).focus()  # off the fields: m is the menu key, not text
    await pilot.press("m", "p")
    await settle(app, pilot)


async def test_menu_plan_over_an_open_plan_refills_it_from_the_screen_above(
    store_path: Path,
) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        plan = PlanScreen("base", benchmark="bbh")
        plan.opened_from_menu = "capslice_tui.app.screens.plan:PlanScreen"  # as the menu does
        app.push_screen(plan)
        await settle(app, pilot)
        app.push_screen(CompareScreen("base", "cand", benchmark="bbh"))
        await settle(app, pilot)
        await _menu_plan(app, pilot)
        assert app.screen is plan and len(app.screen_stack) == 2, app.screen_stack
        assert _form(app) == ("base", "cand", "bbh")
        status = static_text(app, "#status")
        assert status.startswith("Enter plans the pair you were on, base -> cand"), status
        await _menu_plan(app, pilot)  # from the plan itself: kept
        assert app.screen is plan and _form(app) == ("base", "cand", "bbh")
        app.push_screen(SlicesScreen("cand", "bbh"))  # a run of the form's pair: kept
        await settle(app, pilot)
        await _menu_plan(app, pilot)
        assert app.screen is plan and _form(app) == ("base", "cand", "bbh")
        app.push_screen(SlicesScreen("mathrun", "math"))  # another run: that run alone
        await settle(app, pilot)
        await _menu_plan(app, pilot)
        assert app.screen is plan and _form(app) == ("mathrun", "", "math")
        assert plan.plan is None and not plan.query_one(ResultTable).row_count
