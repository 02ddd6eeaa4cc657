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
