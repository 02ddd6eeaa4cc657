"""Console mode (``-ascii``) at 80x24: every form's inputs show what the user types.

A new-user trial under ``TERM=linux`` found the plan screen's one-line inputs drawn as their
top border only (``baseline +-----+``), so typed text never showed. These tests type into
each form's inputs and read the drawn terminal back."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle
from test_ascii_console import screen_text
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.ingest import IngestScreen
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.app.screens.label_edit import LabelEditScreen
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace(tmp_path / "s.db")
    w.store.create_intervention(
        title="nt data", hypothesis="more number theory", target_slices=[{"task_type": "number_theory"}],
        control_slices=[{"task_type": "algebra"}], baseline_run="base", author="alice",
    )  # fmt: skip
    return w


def drawn(app) -> str:
    return screen_text(app).replace("\xa0", " ")


async def type_into(app, pilot, field: Input, text: str) -> None:
    field.focus()
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause()


@pytest.mark.parametrize("field_id", ["baseline", "benchmark", "catalog", "budget"])
async def test_plan_inputs_show_typed_text(ws: Workspace, tmp_path: Path, field_id: str) -> None:
    app = make_app(tmp_path / "s.db", workspace=ws, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(PlanScreen())
        await settle(app, pilot)
        field = app.screen.query_one(f"#{field_id}", Input)
        field.value = ""
        typed = "4242" if field_id == "budget" else "zqx7"  # budget takes integers only
        await type_into(app, pilot, field, typed)
        text = drawn(app)
        assert f"|{typed}" in text, text  # the field's text, marked off from its label
        assert "+-" not in text.split("\n")[2], text  # no 1-row box drawn as its top only
        assert field.region.height >= 1 and field.content_region.height >= 1


async def test_ingest_and_intervention_inputs_show_typed_text(
    ws: Workspace, tmp_path: Path
) -> None:
    app = make_app(tmp_path / "s.db", workspace=ws, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(IngestScreen())
        await settle(app, pilot)
        for field in app.screen.query(Input):
            if field.region.height == 0:
                continue
            await type_into(app, pilot, field, "zqx7")
            assert "zqx7" in drawn(app), (field.id, drawn(app))
            field.value = ""
        app.pop_screen()
        app.push_screen(InterventionsScreen())
        await settle(app, pilot)
        await pilot.press("x")  # reject: asks for a reason in an input
        await pilot.pause()
        await pilot.press(*"zqx7")
        await pilot.pause()
        assert "zqx7" in drawn(app), drawn(app)


async def test_label_edit_inputs_show_typed_text(ws: Workspace, tmp_path: Path) -> None:
    app = make_app(tmp_path / "s.db", workspace=ws, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(
            LabelEditScreen("label item 1", {"task_type": {"algebra": ""}}, ask_name=True)
        )
        await settle(app, pilot)
        for field in app.screen.query(Input):
            await type_into(app, pilot, field, "zqx7")
            assert "zqx7" in drawn(app), (field.id, drawn(app))
