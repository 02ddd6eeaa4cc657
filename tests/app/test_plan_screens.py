"""Interventions and plan screens under Pilot: list, detail, reject with a reason by keyboard."""

from __future__ import annotations

import pytest

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.workspace import Workspace


@pytest.fixture
def ws(tmp_path):
    w = Workspace(tmp_path / "s.db")
    w.store.create_intervention(
        title="nt data", hypothesis="more number theory", target_slices=[{"task_type": "number_theory"}],
        control_slices=[{"task_type": "algebra"}], baseline_run="base", author="alice",
    )  # fmt: skip
    return w


async def test_reject_from_keyboard(ws, tmp_path):
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = InterventionsScreen()
        app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "nt data" in str(screen.query_one("#detail").render())
        await pilot.press("x")
        await pilot.press(*"costly", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        rec = ws.store.get_intervention(1)
        assert rec["status"] == "rejected" and rec["decision_reason"] == "costly"
        assert "status: rejected" in str(screen.query_one("#detail").render())


async def test_plan_screen_asks_for_inputs(ws, tmp_path):
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = PlanScreen()
        app.push_screen(screen)
        await pilot.pause()
        await pilot.press("enter")  # Enter in an input plans (inputs take plain keys)
        await pilot.pause()
        assert "fill in baseline, benchmark first" in str(screen.query_one("#status").render())
