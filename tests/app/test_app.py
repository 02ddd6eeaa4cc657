"""Pilot tests of the capslice app at 80x24 on a real store (and a fake compare/diagnose)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fake_facade import TASK, FakeFacade
from lmeval_files import MARKUP_RESPONSE
from pilot_helpers import SIZE, settle, static_text, table_rows
from rich.text import Text
from textual.worker import WorkerFailed

from capslice_tui.app.app import NAVIGATION, NavEntry, make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.app.screens.help import HelpScreen
from capslice_tui.app.screens.menu import MenuScreen
from capslice_tui.app.screens.runs import RunsScreen
from capslice_tui.app.screens.sample_detail import SampleDetailScreen
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.app.widgets.result_table import ResultTable
from capslice_tui.workspace import Workspace


async def test_runs_slices_samples_detail_and_back(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, RunsScreen)
        rows = table_rows(app)
        assert [r[0] for r in rows] == ["base", "cand", "mathrun"]
        assert rows[0][2:5] == ["bbh", "74.0%", "37/50"]
        assert rows[0][5] == "greedy acc"
        assert "3 runs" in static_text(app, "#status")

        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
        rows = table_rows(app)
        assert rows[0][0] == "ALL" and rows[0][4] == "37/50"
        assert rows[1][0] == "boolean_expressions"
        assert rows[1][1:5] == ["25", "76.0%", rows[1][3], "19/25"]
        assert rows[1][3].startswith("[") and rows[1][3].endswith("]")

        await pilot.press("g")
        await settle(app, pilot)
        assert app.screen.by == "background_condition"
        assert "by background · " in static_text(app, "#title")
        assert table_rows(app)[0][0] == "ALL"

        await pilot.press("s")  # sort by score: lowest first after ALL
        await settle(app, pilot)
        scores = [float(r[2].rstrip("%")) for r in table_rows(app)[1:]]
        assert scores == sorted(scores)

        for _ in range(5):  # back round to task grouping
            await pilot.press("g")
        await settle(app, pilot)
        assert app.screen.by == "task"
        app.screen.sort = "score"
        await pilot.press("s", "s")  # score -> n -> key
        await settle(app, pilot)
        await pilot.press("down", "down", "enter")  # object_counting row
        await settle(app, pilot)
        assert isinstance(app.screen, SamplesScreen)
        assert app.screen.slice_task == "bbh_cot_fewshot_object_counting"
        rows = table_rows(app)
        assert len(rows) == 25
        assert "25 of 25 samples" in static_text(app, "#status")
        # one task: no task column (the title names it)
        # shown verbatim (markup kept as typed); with the mode column's short marks the
        # response has the room to show where the rows' starts differ: their starts
        col = app.screen.columns.index  # the lenient column, when shown, moves the rest
        # (where the lenient column takes the room, the response shows its end instead)
        first = rows[0][col("response")]
        assert first.startswith("[bold red]not markup[/bold red]") or (
            "lenient" in app.screen.columns and first.startswith("…")
        ), rows[0]
        await pilot.press("enter")  # the first sample's detail: its response whole, verbatim
        await settle(app, pilot)
        assert "[bold red]not markup[/bold red]" in static_text(app, "#response")
        await pilot.press("b")
        await settle(app, pilot)
        assert {r[col("score")] for r in rows} == {"✓ ok", "✗ no"}

        await pilot.press("f")  # wrong_answer only
        await settle(app, pilot)
        assert app.screen.failure_mode == "wrong_answer"
        rows = table_rows(app)
        # one scheme of marks (the CLI's), said by the legend under the table
        col = app.screen.columns.index
        assert rows and all(r[col("score")] == "✗ no" and r[col("mode")] == "wrong" for r in rows)
        await pilot.press("i")  # the whole legend (the short one: test_samples_legend_app.py)
        await pilot.pause()
        legend = static_text(app, "#mode-legend")
        assert legend.splitlines()[-1] == (  # after the response and lenient notes
            "mode: wrong = wrong_answer (a wrong answer, or none found)"
        )

        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SampleDetailScreen)
        summary = static_text(app, "#summary")
        sample = app.screen.sample
        assert f"target: {sample['target']}" in summary
        assert "failure mode: wrong_answer" in summary
        assert "source: rule" in static_text(app, "#labels")

        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, SamplesScreen)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, SlicesScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_markup_in_response_is_not_parsed(store_path: Path) -> None:
    ws = Workspace(store_path)
    rows, _ = ws.samples("base", task="bbh_cot_fewshot_object_counting", limit=1)
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SampleDetailScreen(rows[0]["id"]))
        await settle(app, pilot)
        assert MARKUP_RESPONSE in static_text(app, "#response")


async def test_multi_sample_run_shows_pass_at_k_and_pages(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down", "enter")  # mathrun
        await settle(app, pilot)
        table = app.screen.query_one(ResultTable)
        headers = [str(c.label) for c in table.columns.values()]
        # 80 columns: two pass@k columns with short headers; pass@1 (= the score) left out
        assert headers[5:] == ["lenient", "p@2", "p@4", "warn"]  # lenient: as the CLI shows
        assert table_rows(app)[0][4] == "32/48"
        assert table_rows(app)[0][2] == "66.7%"
        assert table_rows(app)[0][6:8] == ["94.4%", "100.0%"]

        # pages of 20 read from the store with the slice's total; n reads on
        import capslice_tui.app.screens.samples as samples_mod

        old = samples_mod.PAGE
        samples_mod.PAGE = 20
        try:
            await pilot.press("enter")
            await settle(app, pilot)
            assert "rows 1-20 of 48 samples" in static_text(app, "#status")
            await pilot.press("n")
            await settle(app, pilot)
            assert "rows 1-40 of 48 samples" in static_text(app, "#status")
            await pilot.press("n")
            await settle(app, pilot)
            assert "rows 1-48 of 48 samples" in static_text(app, "#status")
            ids = [r["id"] for r in app.screen.rows]
            assert ids == sorted(set(ids))
        finally:
            samples_mod.PAGE = old


async def test_help_lists_screen_and_global_bindings(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = static_text(app, "#help-text")
        for needle in ("this screen", "global", "Group", "Sort", "Axes", "Back", "Menu"):
            assert needle in text
        assert "(slices.group)" not in text and "(app.help" not in text
        assert text.startswith("Help: ") and "SlicesScreen" not in text
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, SlicesScreen)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_axis_picker_combines_axes(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        # cursor on the first axis: toggle background_condition and task_type
        await pilot.press("space", "down", "space", "a")
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
        assert app.screen.by == "background_condition,task_type"
        assert app.screen.table_data.by == ["background_condition", "task_type"]


async def test_compare_and_diagnose_with_fake_facade(store_path: Path) -> None:
    fake = FakeFacade(Workspace(store_path))
    app = make_app(store_path, workspace=fake)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", "down", "c")  # base, then cand
        await settle(app, pilot)
        assert isinstance(app.screen, CompareScreen)
        assert fake.calls[-1] == ("compare", ("base", "cand"), {"benchmark": "bbh", "by": "task"})
        rows = table_rows(app)
        assert rows[0] == ["ALL", "76.0% 19/25", "52.0% 13/25", "-24.0", "<0.0001", "worse"]
        assert rows[1] == [
            "boolean_expressions", "76.0% 19/25", "52.0% 13/25", "-24.0", "<0.0001", "worse*"
        ]  # fmt: skip
        assert rows[2][5] == ""
        assert "2 tested by task" in static_text(app, "#status")
        await pilot.press("down")
        detail = static_text(app, "#detail-line")
        # at 80 columns the counts (in the row's base and cand cells above) give way to the
        # whole name; the difference and its interval stay whole
        assert detail.startswith("boolean_expressions: base 76.0% -> cand 52.0% · "), detail
        assert "-24.0 points [" in detail  # the difference's 95% interval, as the CLI prints it
        assert "p 0.031" in detail and "test mcnemar-exact" in detail

        await pilot.press("enter")  # the significant task slice -> cand samples
        await settle(app, pilot)
        assert isinstance(app.screen, SamplesScreen)
        assert app.screen.run == "cand" and app.screen.slice_task == TASK
        assert len(table_rows(app)) == 25

        await pilot.press("b")
        await pilot.pause()
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, DiagnoseScreen)
        assert "N O T   A   D A T A" in static_text(app, "#verdict")
        summary = static_text(app, "#summary")
        assert "generations stopped ending with EOS" in summary
        assert "truncated share change: 0.31" in summary
        chart = str(app.screen.query_one("#failure-chart").render())
        assert "truncated cand" in chart and "33.0%" in chart and "#" in chart
        axes = str(app.screen.query_one("#axes-chart").render())
        assert "boolean_logic" in axes and "-24.0 points n=25" in axes
        slice_rows = table_rows(app)
        assert slice_rows == [
            ["boolean_expressions", "25", "52.0% 13/25", "-24.0", "0.020", "wrong"]
        ]
        assert "1 significant slice across axis combinations" in static_text(app, "#slices-title")
        app.screen.query_one(ResultTable).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SamplesScreen)
        assert app.screen.failure_mode == "wrong_answer" and app.screen.run == "cand"
        # one task: no task column
        assert table_rows(app) and all(r[5] == "wrong" for r in table_rows(app))


async def test_weakness_diagnosis_from_runs_screen(store_path: Path) -> None:
    fake = FakeFacade(Workspace(store_path))
    app = make_app(store_path, workspace=fake)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, DiagnoseScreen)
        assert fake.calls[-1] == ("diagnose", ("base", None), {"benchmark": "bbh"})
        chart = str(app.screen.query_one("#failure-chart").render())
        assert "correct" in chart and "37 samples (74.0%)" in chart
        axes = str(app.screen.query_one("#axes-chart").render())
        assert "boolean_logic" in axes


async def test_worker_error_becomes_notification(store_path: Path) -> None:
    class Broken(FakeFacade):
        def compare(self, *args: Any, **kwargs: Any) -> Any:
            raise ValueError("runs are not comparable: different filter")

    app = make_app(store_path, workspace=Broken(Workspace(store_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(CompareScreen("base", "cand", benchmark="bbh"))
        with pytest.raises(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        assert "not comparable" in static_text(app, "#status")
        messages = [n.message for n in app._notifications]
        assert any("compare failed: runs are not comparable" in m for m in messages)


async def test_menu_opens_navigation_entries(store_path: Path) -> None:
    NAVIGATION.append(NavEntry("9", "Help test entry", "capslice_tui.app.screens.runs:RunsScreen"))
    try:
        app = make_app(store_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await pilot.press("m")
            await pilot.pause()
            assert isinstance(app.screen, MenuScreen)
            await pilot.press("9")
            await settle(app, pilot)
            assert isinstance(app.screen, RunsScreen) and len(app.screen_stack) == 2
            await pilot.press("m", "r")
            await pilot.pause()
            assert len(app.screen_stack) == 1
    finally:
        NAVIGATION.pop()


async def test_no_color_keeps_text_markers(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.no_color
        await pilot.press("down", "enter")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        rows = table_rows(app)
        assert {r[5] for r in rows} == {"✓ ok", "✗ no"}
        assert {r[6] for r in rows} >= {"wrong", "correct"}
        assert isinstance(app.screen.query_one(ResultTable).get_row_at(0)[0], Text)


async def test_label_a_slice_by_hand_from_the_slices_screen(tmp_path: Path) -> None:
    from lmeval_files import build_store

    from capslice_tui.app.screens.label_edit import LabelEditScreen

    store = build_store(tmp_path)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # run base -> slices by task
        await settle(app, pilot)
        await pilot.press("l")  # a task grouping has no axis value to label
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
        app.screen.set_grouping("task_type")
        await settle(app, pilot)
        await pilot.press("down", "down")  # the second slice after ALL
        before = table_rows(app)[2]
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, LabelEditScreen)
        await pilot.press("enter")  # axis list: first axis (background_condition)
        await pilot.press("enter")  # its first value: Enter on the value list saves
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
        ws = Workspace(store)
        hist = ws.label_history()
        assert hist and all(h["source"] == "hand" for h in hist)
        # the slice's items now carry the hand label, and the table reloaded
        assert table_rows(app)[2][1] == before[1]
        # the reload kept the cursor on the labelled slice, not back on ALL
        assert app.screen.query_one(ResultTable).cursor_row == 2
        app.screen.set_grouping("background_condition")
        await settle(app, pilot)
        first_value = next(iter(ws.axes()["background_condition"]))
        assert first_value in [r[0] for r in table_rows(app)]
