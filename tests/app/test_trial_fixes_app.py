"""Defects a fresh user met in the app (80x24, console mode), each walked by keys under Pilot:
the plan export's file field after a format change, the trend's warnings and its mode-mix table
at a middle step, and the menu's back stack over the plan screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, fill_plan_inputs, settle, static_text, table_rows
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.app.screens.plan_export import PlanExportScreen
from capslice_tui.app.screens.runs import RunsScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.app.screens.trend import (
    LEAST_MIX_WIDTH,
    TrendScreen,
    WarningsScreen,
    mix_columns,
)
from capslice_tui.workspace import Workspace


async def _type(pilot, text: str) -> None:
    await pilot.press(*[c if c != " " else "space" for c in text])


async def _plan(app, pilot) -> None:
    """Menu -> plan, baseline ``base`` on ``bbh``, planned (the table has the focus)."""
    await pilot.press("m", "p")
    await settle(app, pilot)
    assert isinstance(app.screen, PlanScreen)
    await pilot.pause()
    # the menu fills in the highlighted run (base) and its one benchmark
    assert [app.screen.query_one(f"#{i}", Input).value for i in ("baseline", "benchmark")] == [
        "base",
        "bbh",
    ]
    fill_plan_inputs(app.screen)  # not the demo's store: catalog and budget are the user's
    await pilot.press("enter")
    await settle(app, pilot)
    assert "x: export" in static_text(app, "#status")


async def test_export_file_field_types_at_the_end_after_the_format_changes_the_name(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAPSLICE_ASCII", "1")
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await _plan(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, PlanExportScreen)
        await pilot.press("down", "tab")  # megatron (.txt) -> yaml (.yaml, one longer)
        await pilot.pause()
        box = app.screen.query_one("#export-path", Input)
        assert app.focused is box
        await pilot.press("Z")
        await pilot.pause()
        assert box.value == f"{tmp_path / 'plan-base.yaml'}Z"  # was ".../plan-base.yamZl"
        await pilot.press("ctrl+u")  # clears the whole value, not all but the last "l"
        await pilot.pause()
        assert box.value == ""
        target = tmp_path / "x.yaml"
        await _type(pilot, str(target))
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        assert target.exists() and "cell id -> weight" in target.read_text()
        assert not (tmp_path / "x.yamll").exists()
        # back and forth over the formats: the cursor follows every rewritten name
        await pilot.press("x", "down", "down", "up", "up")
        await pilot.pause()
        box = app.screen.query_one("#export-path", Input)
        assert box.value.endswith("plan-base.txt") and box.cursor_position == len(box.value)


async def test_trend_warnings_open_on_a_screen_that_esc_and_b_close(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAPSLICE_ASCII", "1")
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "k")
        await settle(app, pilot)
        await pilot.press("space", "down", "space", "down", "space", "enter")  # bbh, math: warnings
        await settle(app, pilot)
        trend = app.screen
        assert isinstance(trend, TrendScreen) and trend.trend.warnings
        assert "warning (w)" in static_text(app, "#status") or "warnings (w)" in static_text(
            app, "#status"
        )
        for close in ("escape", "b"):
            await pilot.press("w")
            await pilot.pause()
            assert isinstance(app.screen, WarningsScreen)
            text = static_text(app, "#warnings-text")
            assert all(w in text for w in trend.trend.warnings)
            assert not app._notifications  # no toast left to outlive the screen
            await pilot.press(close)
            await pilot.pause()
            assert app.screen is trend and trend.trend is not None  # closed, trend kept
        await pilot.press("w", "ctrl+b")
        await pilot.pause()
        assert app.screen is trend
        await pilot.press("b", "b")  # to picking, then off the trend screen
        await settle(app, pilot)
        assert isinstance(app.screen, RunsScreen) and not app._notifications


@pytest.fixture()
def three_steps(tmp_path: Path) -> Path:
    """base@100 (76% right on boolean expressions), cand@200 (52%), base's logs again @300."""
    from lmeval_files import build_store, write_runs

    store = build_store(tmp_path / "store")
    runs = write_runs(tmp_path / "again")
    Workspace(store).ingest([runs["base"]], run="late", benchmark="bbh", step=300)
    return store


async def test_mode_mix_table_shows_the_middle_step(three_steps: Path) -> None:
    from capslice_tui.workspace.trend import mix_bar

    app = make_app(three_steps, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "k")
        await settle(app, pilot)
        await pilot.press("space", "down", "space", "down", "space", "enter", "f")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TrendScreen) and screen.view == "modes"
        mix = Workspace(three_steps).trend_modes(["base", "cand", "late"])
        steps, cells = mix_columns([100, 200, 300], SIZE[0])
        assert steps == [0, 1, 2] and LEAST_MIX_WIDTH <= cells < 20
        boolean = mix.series[0]
        row = table_rows(app)[0]
        bars = [mix_bar(p, mix.modes, cells) for p in boolean.points]
        assert row[1:] == [*bars, "25"]
        assert bars[1] != bars[0] == bars[2]  # the drop at step 200 is in the table
        table = screen.query_one("#trend-table")
        assert table.virtual_size.width <= SIZE[0]  # every step fits 80 columns
        assert f"bars: {cells} cells = 100%" in static_text(app, "#status")
        # the slice names read: whole once their shared prefix is left out (the header says)
        assert row[0] == "boolean_expressions"
        assert str(table.columns[next(iter(table.columns))].label).startswith("bbh_cot_fewshot_")


def test_mix_columns_falls_back_to_first_and_last_and_says_so() -> None:
    assert mix_columns([100, 200], 80) == ([0, 1], 20)
    assert mix_columns([100, 200, 300], 200) == ([0, 1, 2], 20)  # wide: full bars
    many = list(range(100000, 200000, 10000))
    assert mix_columns(many, 80) == ([0, len(many) - 1], 20)


async def test_mode_mix_with_too_many_steps_names_the_hidden_ones(three_steps: Path) -> None:
    app = make_app(three_steps, ascii=True)
    async with app.run_test(size=(60, 24)) as pilot:  # too narrow for three bars of 8
        await settle(app, pilot)
        app.push_screen(TrendScreen(["base", "cand", "late"]))
        await settle(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        assert len(table_rows(app)[0]) == 4  # slice, first, last, samples
        status = static_text(app, "#status")
        assert "table: steps 1 and 3 of 3; more below" in status


async def test_menu_from_the_plan_and_back_keeps_the_plan_inputs(store_path: Path) -> None:
    app = make_app(store_path, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # slices
        await settle(app, pilot)
        await _plan(app, pilot)
        plan = app.screen
        baseline = [b.value for b in plan.query(Input)]
        assert "base" in baseline and "bbh" in baseline
        await pilot.press("m", "i")
        await settle(app, pilot)
        assert isinstance(app.screen, InterventionsScreen)
        await pilot.press("b")
        await settle(app, pilot)
        assert app.screen is plan  # not the runs or the slices
        assert [b.value for b in plan.query(Input)] == baseline
        app.set_focus(None)
        await pilot.press("m", "i", "m", "p")  # an open menu screen is returned to, not stacked
        await settle(app, pilot)
        assert app.screen is plan and len(app.screen_stack) == 3
        await pilot.press("ctrl+b")  # the plan's inputs take q and b
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
