"""Reading fixes of issue 13 found by a fresh user: the samples table of a one-task slice
names the task once (title) instead of in every row; diagnose says loading until its report
arrives instead of "(nothing to chart)"."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.app.widgets.result_table import ResultTable

TASK = "bbh_cot_fewshot_object_counting"


async def test_a_one_task_slice_names_its_task_in_the_title_not_in_every_row(
    store_path: Path,
) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SamplesScreen("base", title="wrong answers", task=TASK))
        await settle(app, pilot)
        table = app.screen.query_one(ResultTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert "task" not in labels and labels[0] == "doc"
        rows = table_rows(app)
        assert rows and not any("object_coun" in c for r in rows for c in r)
        assert "object_coun" in static_text(app, "#title")
        # a slice of several tasks keeps the column
        await app.push_screen(SamplesScreen("base", title="all"))
        await settle(app, pilot)
        labels = [str(c.label) for c in app.screen.query_one(ResultTable).columns.values()]
        assert labels[0] == "task"


def _screen_text(app) -> str:
    """Every Static's rendered text on the current screen, the hidden ones left out."""
    from textual.widgets import Static

    return "\n".join(str(w.render()) for w in app.screen.query(Static) if w.display)


async def test_diagnose_says_loading_until_its_report_arrives_not_nothing_to_chart(
    store_path: Path, monkeypatch
) -> None:
    from capslice_tui.app.screens.diagnose import DiagnoseScreen

    load = DiagnoseScreen.load_diagnosis
    monkeypatch.setattr(DiagnoseScreen, "load_diagnosis", lambda self: None)  # not yet
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = DiagnoseScreen("base", "cand", benchmark=None)
        await app.push_screen(screen)
        await settle(app, pilot)
        text = _screen_text(app)
        assert "loading" in text and "nothing to chart" not in text
        load(screen)  # the report arrives
        await settle(app, pilot)
        text = _screen_text(app)
        assert "loading" not in text and "failure modes" in text
        assert all(w.display for w in screen.query("BarChart"))


async def test_diagnose_and_compare_say_what_their_significant_counts_count(
    store_path: Path,
) -> None:
    from capslice_tui.app.screens.compare import CompareScreen
    from capslice_tui.app.screens.diagnose import DiagnoseScreen

    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(DiagnoseScreen("base", "cand", benchmark=None))
        await settle(app, pilot)
        title = static_text(app, "#slices-title")
        assert "across axis combinations" in title and len(title) <= SIZE[0] - 2
        assert "slice(s) listed · Enter: samples" in static_text(app, "#status")
        await app.push_screen(CompareScreen("base", "cand", benchmark=None))
        await settle(app, pilot)
        assert "tested by task" in static_text(app, "#status")
