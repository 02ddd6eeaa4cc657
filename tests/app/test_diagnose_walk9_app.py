"""Walk 9 on the app's diagnose screen at 80x24: a data weakness says how to plan from it
(menu ``m`` ``p`` opens the plan on this run, #42), a not_data verdict says to fix the cause
and diagnose again, and the slice table's score column holds counts with a legend where the
score is a mean of per-item accuracies (#36: it held the word ``mean``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from demo_store import bbh_pair_and_math_store
from pilot_helpers import settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.diagnose import ITEM_MEAN_LEGEND, DiagnoseScreen
from capslice_tui.app.screens.plan import PlanScreen


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bbh_pair_and_math_store(tmp_path_factory.mktemp("walk9app"))


async def test_a_data_weakness_says_how_to_plan_and_counts_its_scores(demo_store: Path) -> None:
    app = make_app(demo_store, ascii=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.push_screen(DiagnoseScreen("math-base", None, benchmark="math"))
        await settle(app, pilot)
        summary = " ".join(static_text(app, "#summary").split())
        assert (
            "next - plan data for the 5 weak slices below that the mapping rules reach: m then "
            "p opens the plan on math-base" in summary
        ), summary
        scores = [row[2] for row in table_rows(app)]
        assert not any("mean" in s for s in scores), scores
        assert "5.1%* 42/4112" in scores, scores  # an item mean, with its sample counts
        title = static_text(app, "#slices-title")
        assert ITEM_MEAN_LEGEND in title and max(map(len, title.splitlines())) <= 78, title
        # walk 10: the decomposition's points are the slice's score minus the run's own
        # (competition_math 5.1% -38.0 = 5.1 - 43.1), so the title must not say 'vs rest'
        axes_title = static_text(app, "#axes-title")
        assert "vs run" in axes_title and "vs rest" not in axes_title, axes_title
        await pilot.press("m", "p")
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        assert app.screen.query_one("#baseline").value == "math-base"


async def test_a_not_data_verdict_says_to_fix_and_diagnose_again(demo_store: Path) -> None:
    app = make_app(demo_store, ascii=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.push_screen(DiagnoseScreen("bbh-base", "bbh-eos-masked", benchmark=None))
        await settle(app, pilot)
        summary = " ".join(static_text(app, "#summary").split())
        assert summary.count("diagnose it again") == 1, summary
        assert "m then p" not in summary
