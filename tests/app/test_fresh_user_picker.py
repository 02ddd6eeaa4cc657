"""A fresh user's 80x24 session: the trend run picker's model column tells apart models of
one family (``demo-org/demo-1b-…``) by the part where they differ (``eosmask``, the step)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.trend import TrendScreen

MODELS = {
    "bbh-base": ("demo-org/demo-1b-step100000", 100000),
    "bbh-eos-masked": ("demo-org/demo-1b-eosmask-step110000", 110000),
    "bbh-eos-restored": ("demo-org/demo-1b-step120000", 120000),
}
LONG = "olmo2-7b-stage2-ingredient3-anneal-50B-seed{}-step11931-hf"


@pytest.fixture(scope="module")
def family_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lmeval_files import write_runs

    from capslice_tui.workspace import Workspace

    root = tmp_path_factory.mktemp("family")
    runs = write_runs(root / "logs")
    store = root / "store.db"
    ws = Workspace(store)
    for (run, (model, step)), folder in zip(
        MODELS.items(), [runs["base"], runs["cand"], runs["base"]], strict=True
    ):
        ws.ingest([folder], run=run, benchmark="bbh", model=model, step=step)
    # long run names take the run column's room: the model column is left its minimum
    for seed, folder in ((42, runs["base"]), (43, runs["cand"])):
        model = f"demo-org/demo-1b-step1{seed - 42}0000"
        ws.ingest(
            [folder], run=LONG.format(seed), benchmark="bbh_cot_fewshot", model=model, step=11931
        )
    return store


async def test_trend_picker_models_of_one_family_read_apart(family_store: Path) -> None:
    app = make_app(family_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(TrendScreen())
        await settle(app, pilot)
        rows = table_rows(app)
        assert [r[1] for r in rows][2:] == list(MODELS), rows
        models = [r[3] for r in rows][2:]
        assert len(set(models)) == 3, models
        assert "eosmask" in models[1], models
        assert models[0].endswith("step100000") and models[2].endswith("step120000"), models


async def test_trend_picker_shows_models_after_their_shared_start(family_store: Path) -> None:
    from pilot_helpers import static_text

    from capslice_tui.app.screens.trend import picker_models

    app = make_app(family_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(TrendScreen())
        await settle(app, pilot)
        table = app.screen.query_one("ResultTable")
        assert [str(c.label) for c in table.columns.values()][3] == "model (end)"
        rows = table_rows(app)
        assert [r[3] for r in rows] == [
            "step100000", "step110000", "step100000", "eosmask-step110000", "step120000"
        ]  # fmt: skip
        await pilot.press("down", "down", "down")
        await pilot.pause()
        assert static_text(app, "#detail-line") == "model: demo-org/demo-1b-eosmask-step110000"
    # models that fit are whole; a family that does not share one start is cut as before
    assert picker_models(["a/b-1", "-"], 18) == (["a/b-1", "-"], "")
    mixed = ["demo-org/demo-1b-step100000", "other-org/big-model-step200000"]
    cells, prefix = picker_models(mixed, 18)
    assert prefix == "" and all(len(c) <= 18 for c in cells), cells
