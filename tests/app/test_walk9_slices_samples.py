"""Walk 9 in the app at 80x24 on the demo's math-base (16 samples per item, AIME 128): the
slices status said ``accuracy (mean over samples)`` beside a score that is the mean over items
of each item's accuracy (#22); help said pass@k was the share solved within k samples, not
the unbiased estimator (#25); the k dialog's ``1,2,4,…,n`` read as a cut string in ASCII
(#26)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.prompt import PromptScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir


@pytest.fixture(scope="module")
def math_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("walk9-app") / "capslice.db"
    Workspace(path).ingest(
        [sample_data_dir() / "lm_eval" / "math-base"], run="math-base", benchmark="math"
    )
    return path


async def test_slices_status_and_help_say_what_the_score_is(math_store: Path) -> None:
    app = make_app(math_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SlicesScreen("math-base", "math"))
        await settle(app, pilot)
        status = static_text(app, "#status")
        assert "score: item mean; c/n pools samples" in status, status
        assert "mean over samples" not in status, status
        legend = " ".join(SlicesScreen.HELP_LEGEND)
        assert "the mean over items of each item's accuracy" in legend
        assert "pooled over the slice's items" in legend
        assert "unbiased estimator" in legend and "Chen et al. 2021" in legend
        assert "within k samples" not in legend
        assert "…" not in legend  # an ellipsis in prose reads as a cut (~) in ASCII
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        assert "…" not in app.screen.question and "1,2,4... up to n" in app.screen.question
