"""A fresh user's 80x24 session under ``TERM=linux``: a long run name in the header line
loses its middle, never the step at its end or the benchmark after it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle

from capslice_tui.app.app import HEADER_CHROME, fit_sub_title, make_app
from capslice_tui.app.screens.slices import SlicesScreen

SEED42 = "olmo2-7b-stage2-ingredient3-anneal-50B-seed42-step11931-hf"


@pytest.fixture(scope="module")
def long_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lmeval_files import write_runs

    from capslice_tui.workspace import Workspace

    root = tmp_path_factory.mktemp("long")
    runs = write_runs(root / "logs")
    store = root / "store.db"
    Workspace(store).ingest([runs["base"]], run=SEED42, benchmark="bbh_cot_fewshot")
    return store


def test_fit_sub_title_keeps_the_end_and_what_follows_the_run() -> None:
    sub = f"{SEED42} · bbh_cot_fewshot"
    assert fit_sub_title(sub, 100) == sub
    cut = fit_sub_title(sub, 80 - HEADER_CHROME - len("capslice - "))
    assert len(cut) == 80 - HEADER_CHROME - len("capslice - ")
    assert cut.endswith("-step11931-hf · bbh_cot_fewshot") and "…" in cut, cut


async def test_slices_header_keeps_step_and_benchmark(long_store: Path) -> None:
    from textual.widgets._header import HeaderTitle

    app = make_app(long_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SlicesScreen(SEED42, "bbh_cot_fewshot"))
        await settle(app, pilot)
        header = app.screen.query_one(HeaderTitle)
        text = str(header.render())
        assert len(text) <= header.size.width, (text, header.size)
        assert text.startswith("capslice - olmo2-"), text
        assert text.endswith("step11931-hf · bbh_cot_fewshot"), text
