"""The new-user walk at 80x24: footers fit, help reads as text, menus never pile screens up,
the plan form shows every input, cursors and checkboxes read without colour."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fake_facade import FakeFacade
from pilot_helpers import SIZE, settle
from textual.widgets import Input, OptionList, Static
from textual.widgets._footer import FooterKey

from capslice_tui.app.app import NAVIGATION, make_app
from capslice_tui.app.format import split_terms
from capslice_tui.app.screens.axis_picker import AxisPicker
from capslice_tui.app.screens.help import HelpScreen
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.app.screens.plan import BUDGET_HINT, CATALOG_HINT, PlanScreen
from capslice_tui.app.screens.runs import RunsScreen
from capslice_tui.app.screens.samples import FAILURE_FILTERS, SamplesScreen, filter_text
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.app.widgets.result_table import ResultTable
from capslice_tui.workspace import Workspace


def assert_footer_fits(app: Any) -> None:
    """Every shown key of the footer ends left of the palette key (none cut or hidden)."""
    keys = list(app.screen.query(FooterKey))
    palette = [k for k in keys if k.has_class("-command-palette")]
    shown = [k for k in keys if not k.has_class("-command-palette")]
    assert shown, f"{type(app.screen).__name__}: empty footer"
    limit = palette[0].region.x if palette else SIZE[0]
    for key in shown:
        assert 0 < key.region.width and key.region.right <= limit, (
            f"{type(app.screen).__name__}: footer key {key.key!r} cut at {key.region}"
        )


def nav(key: str) -> Any:
    return next(e for e in NAVIGATION if e.key == key)


async def test_footers_fit_on_every_screen(store_path: Path) -> None:
    app = make_app(store_path, workspace=FakeFacade(Workspace(store_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert_footer_fits(app)  # runs
        await pilot.press("c", "down", "c")  # compare
        await settle(app, pilot)
        assert_footer_fits(app)
        await pilot.press("d")  # diagnose
        await settle(app, pilot)
        assert_footer_fits(app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert_footer_fits(app)
        for n, key in enumerate(("i", "d", "t", "g")):  # interventions, discover, taxonomy, ingest
            await pilot.press("m", key)
            await settle(app, pilot)
            # over the screen the menu was opened from (help is replaced, menu hops stack)
            assert len(app.screen_stack) == 4 + n
            assert_footer_fits(app)
        app.set_focus(None)  # the ingest form's inputs take plain keys
        await pilot.press("m", "r")
        await pilot.pause()
        await pilot.press("enter")  # slices
        await settle(app, pilot)
        assert_footer_fits(app)
        await pilot.press("enter")  # samples
        await settle(app, pilot)
        assert isinstance(app.screen, SamplesScreen)
        assert_footer_fits(app)


async def test_menu_entries_keep_the_back_stack_and_q_quits_from_runs(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "m", "p")  # slices, then plan from the menu
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen) and len(app.screen_stack) == 3
        app.set_focus(None)  # the plan's inputs take plain keys
        await pilot.press("m", "i")  # over the plan, which keeps its inputs
        await settle(app, pilot)
        assert isinstance(app.screen, InterventionsScreen) and len(app.screen_stack) == 4
        await pilot.press("q")  # back where the menu was opened
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        await pilot.press("ctrl+b")  # the plan's inputs take q
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
        await pilot.press("m", "r")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen) and len(app.screen_stack) == 1
        await pilot.press("m", "i", "q")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen) and len(app.screen_stack) == 1
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_help_shows_keys_descriptions_title_and_legend(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "p")
        await settle(app, pilot)
        app.set_focus(None)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).render())
        assert text.startswith("Help: Sampling plan")
        assert "PlanScreen" not in text and "(back" not in text and "(app." not in text
        assert text.count("palette") == 1
        assert "epochs:" in text and "what the columns and markers mean" in text
        assert "b/esc" in text  # the two back keys share one line


async def test_compare_help_legend_explains_markers(store_path: Path) -> None:
    app = make_app(store_path, workspace=FakeFacade(Workspace(store_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", "down", "c")
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        text = str(app.screen.query_one("#help-text", Static).render())
        for needle in ("Help: Compare two runs", "worse* / better*", "p adj", "c/n", "n<20"):
            assert needle in text


async def test_plan_form_shows_all_inputs_with_hints(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "p")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        inputs = {w.id: w for w in screen.query(Input)}
        assert set(inputs) == {"baseline", "benchmark", "catalog", "budget", "candidate"}
        for widget in inputs.values():
            region = widget.region
            assert region.width >= 10 and region.right <= SIZE[0] and region.y < SIZE[1]
        # not the demo's store: catalog and budget empty, the placeholders say what to type
        assert (inputs["budget"].value, inputs["catalog"].value) == ("", "")
        assert BUDGET_HINT in inputs["budget"].placeholder
        assert CATALOG_HINT in inputs["catalog"].placeholder
        assert screen.query_one("#title", Static).region.height == 1
        assert screen.query_one(ResultTable).region.height >= 4
        assert_footer_fits(app)


async def test_cursor_row_reads_without_colour(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(ResultTable)
        cursor = table.get_component_rich_style("datatable--cursor")
        header = table.get_component_rich_style("datatable--header")
        assert cursor.reverse and cursor.bold
        assert not header.reverse  # header and cursor row never look alike


async def test_axis_picker_marks_state_as_text(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "a")
        await settle(app, pilot)
        picker = app.screen
        assert isinstance(picker, AxisPicker)
        options = picker.query_one(OptionList)

        def prompts() -> list[str]:
            return [str(options.get_option_at_index(i).prompt) for i in range(len(picker.axes))]

        assert prompts()[0] == "> [ ] background_condition"
        await pilot.press("space")
        assert prompts()[0] == "> [x] background_condition"
        await pilot.press("space")
        assert prompts()[0] == "> [ ] background_condition"
        # the cursor is a text marker: it moves with the highlight
        await pilot.press("down")
        await pilot.pause()
        assert prompts()[0] == "  [ ] background_condition"
        assert prompts()[1] == "> [ ] task_type"
        await pilot.press("b")
        await pilot.pause()
        assert not isinstance(app.screen, AxisPicker)


async def test_samples_filter_cycles_back_with_capital_f(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SamplesScreen) and screen.failure_mode is None
        # f/F pass over the modes with no sample in the slice (walk 9 #27)
        counts = screen.mode_counts or {}
        order = [m for m in FAILURE_FILTERS if m is None or counts.get(m)]
        assert len(order) > 2, counts
        await pilot.press("F")
        await settle(app, pilot)
        assert screen.failure_mode == order[-1]
        await pilot.press("F", "F")
        await settle(app, pilot)
        assert screen.failure_mode == order[-3 % len(order)]
        await pilot.press("F", "F", "f", "F")
        await settle(app, pilot)
        mode = order[-5 % len(order)]
        assert screen.failure_mode == mode
        title = str(screen.query_one("#title", Static).render())
        assert title.startswith(f"mode: {filter_text(mode)} · filter "), title


def test_filter_text_matches_the_mode_column() -> None:
    assert filter_text(None) == "all"
    assert filter_text("wrong_answer") == "wrong_answer (wrong)"
    assert filter_text("truncated") == "truncated (trunc)"


def test_split_terms_separates_question_words() -> None:
    assert split_terms(["q:ball", "person", "q:has"]) == (["ball", "has"], ["person"])
