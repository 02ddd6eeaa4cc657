"""Every CLI action in the app by plain keys: plan export, intervention new, accept, link by
choosing the run from a list (never typing its name), delete-run, doctor, backup, compare
by any axes, report to a chosen file, slices with chosen k, named slices, ingest --field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.intervention_new import (
    InterventionFormScreen,
    parse_gain,
    parse_slices,
)
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.app.screens.plan_export import PlanExportScreen
from capslice_tui.app.screens.run_picker import RunPickerScreen
from capslice_tui.workspace import Workspace


@pytest.fixture()
def fresh_store(tmp_path: Path) -> Path:
    """A store of its own (these tests write interventions and delete runs)."""
    from lmeval_files import build_store

    return build_store(tmp_path / "store")


async def _type(pilot, text: str) -> None:
    await pilot.press(*[c if c != " " else "space" for c in text])


def test_parse_slices_and_gain() -> None:
    assert parse_slices("task_type=a, solving_operation=b; task_type=c", "targets") == [
        {"task_type": "a", "solving_operation": "b"},
        {"task_type": "c"},
    ]
    with pytest.raises(ValueError, match="targets: 'task_type' is not AXIS=VALUE"):
        parse_slices("task_type", "targets")
    assert parse_gain("5") == pytest.approx(0.05)
    assert parse_gain("") is None
    with pytest.raises(ValueError, match="gain: 'x' is not a number"):
        parse_gain("x")


async def test_plan_export_then_intervention_new_accept_link(
    fresh_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(fresh_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "p")
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        await _type(pilot, "base")
        await pilot.press("tab")
        await _type(pilot, "bbh")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "x: export" in static_text(app, "#status")
        await pilot.press("x")  # the table has the focus after a plan
        await pilot.pause()
        assert isinstance(app.screen, PlanExportScreen)
        await pilot.press("down")  # megatron -> yaml
        await pilot.press("enter")  # to the file field
        await pilot.press("enter")  # write
        await settle(app, pilot)
        written = tmp_path / "plan-base.yaml"
        assert written.exists() and "cell id -> weight" in written.read_text()
        assert isinstance(app.screen, PlanScreen)
        assert f"wrote {written}" in static_text(app, "#status")
        # writing again asks first (Enter twice replaces)
        await pilot.press("x", "down", "enter", "enter")
        await settle(app, pilot)
        assert "exists: Enter again replaces it" in static_text(app, "#export-status")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)

        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, InterventionFormScreen)
        assert app.screen.value("baseline") == "base"
        assert app.screen.value("benchmark") == "bbh"
        await _type(pilot, "more counting")
        await pilot.press("tab")
        await _type(pilot, "counting data lifts counting")
        await pilot.press("tab", "tab", "tab")
        await _type(pilot, "task_type=counting_arithmetic")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, InterventionsScreen)
        detail = static_text(app, "#detail")
        assert "more counting" in detail and "status: proposed" in detail
        assert "targets:  task_type=counting_arithmetic" in detail
        assert "controls: task_type=logical_deduction" in detail

        await pilot.press("a", "enter")  # no note, then the confirmation
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert "status: accepted" in static_text(app, "#detail")

        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, RunPickerScreen)
        assert app.screen.names == ["cand", "mathrun"]  # the baseline is not offered
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, InterventionsScreen)
        detail = static_text(app, "#detail")
        assert "result: cand" in detail and "verdict:" in detail
    rec = Workspace(fresh_store).interventions()[0]
    assert rec["result_run"] == "cand" and rec["status"] == "evaluated"
    assert Workspace(fresh_store).intervention(rec["id"])["plan"]["baseline"] == "base"


async def test_intervention_form_refuses_bad_slices_and_link_can_be_cancelled(
    fresh_store: Path,
) -> None:
    app = make_app(fresh_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "i")
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, InterventionFormScreen)
        await _type(pilot, "t")
        await pilot.press("tab")
        await _type(pilot, "h")
        await pilot.press("tab")
        await _type(pilot, "base")
        await pilot.press("tab", "tab")
        await _type(pilot, "task_type")
        await pilot.press("enter")
        await pilot.pause()
        assert "targets: 'task_type' is not AXIS=VALUE" in static_text(app, "#status")
        await pilot.press("ctrl+b")  # back while typing, nothing saved
        await settle(app, pilot)
        assert isinstance(app.screen, InterventionsScreen)
        assert Workspace(fresh_store).interventions() == []
