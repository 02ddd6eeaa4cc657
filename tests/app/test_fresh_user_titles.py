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


def _bbh_store(root: Path) -> Path:
    """run SEED42: three BBH tasks of 160 items each (three-digit c/n counts)."""
    import json

    from capslice_tui.workspace import Workspace

    log = root / "seed42.jsonl"
    tasks = ("logical_deduction_five_objects", "temporal_sequences", "object_counting")
    log.write_text(
        "".join(
            json.dumps({
                "task": f"bbh_cot_fewshot_{task}", "doc_id": i, "prompt": f"Q{i}: {task}?",
                "target": "A", "prediction": "A" if i % 3 else "B",
            }) + "\n"
            for task in tasks
            for i in range(160)
        )
    )  # fmt: skip
    store = root / "store.db"
    Workspace(store).ingest([log], run=SEED42, benchmark="bbh_cot_fewshot")
    return store


async def test_two_axis_slices_keep_the_interval_when_labels_fit(tmp_path: Path) -> None:
    """Two axes: the 95% CI and c/n columns are left out only as far as the labels need
    (here c/n alone), and every label is whole."""
    from pilot_helpers import table_rows

    from capslice_tui.app.widgets.result_table import ResultTable

    app = make_app(_bbh_store(tmp_path), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = SlicesScreen(SEED42, "bbh_cot_fewshot")
        await app.push_screen(screen)
        await settle(app, pilot)
        screen.set_grouping("background_condition,task_type")
        await settle(app, pilot)
        table = app.screen.query_one(ResultTable)
        columns = [str(c.label) for c in table.columns.values()]
        rows = table_rows(app)
        assert "95% CI" in columns, (columns, rows)
        assert not any("~" in r[0] or "…" in r[0] for r in rows), rows


async def test_two_axis_title_and_samples_title_keep_the_seed(tmp_path: Path) -> None:
    """With little room the title line shows the run alone, cut in the middle (seed and
    step kept), never ``olmo…p11931-hf · bbh_…t_fewshot``; the samples title beside a long
    slice name keeps the seed or leaves the run to the header line (never ``olm…931-hf``)."""
    from pilot_helpers import static_text

    from capslice_tui.app.screens.samples import SamplesScreen

    app = make_app(_bbh_store(tmp_path), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = SlicesScreen(SEED42, "bbh_cot_fewshot")
        await app.push_screen(screen)
        await settle(app, pilot)
        screen.set_grouping("background_condition,task_type")
        await settle(app, pilot)
        title = static_text(app, "#title")
        assert "seed42-step11931-hf" in title and "bbh_~" not in title, title
        label = "self_contained & logical_deduction"
        where = {"background_condition": "self_contained", "task_type": "logical_deduction"}
        await app.push_screen(SamplesScreen(SEED42, title=label, where=where))
        await settle(app, pilot)
        title = static_text(app, "#title")
        assert label in title, title
        assert "seed42" in title or "olm" not in title, title


def test_a_pair_title_keeps_what_tells_the_runs_apart() -> None:
    """Walk 8: the diagnose title at 80 columns read ``gsm/6b_~ification ->
    gsm/175b_verification`` (a middle cut of the whole took the first name's difference)."""
    room = 80 - HEADER_CHROME - len("capslice") - 3
    cut = fit_sub_title("diagnose gsm/6b_verification -> gsm/175b_verification", room)
    assert len(cut) <= room
    first, second = cut.removeprefix("diagnose ").split(" -> ")
    assert "6b" in first and "175b" in second, cut
    narrow = fit_sub_title("diagnose gsm/6b_verification -> gsm/175b_verification", 40)
    assert len(narrow) <= 40 and "/6b" in narrow and "175b" in narrow, narrow
    # a middle cut of the whole lost the arrow and the first run's seed:
    # 'diagnose olmo-2-…-2-1124-7b-stage1-step11931-seed43'
    olmo = "olmo-2-1124-7b-stage1-step11931-seed4"
    cut = fit_sub_title(f"diagnose {olmo}2 -> {olmo}3", room)
    assert len(cut) <= room and " -> " in cut, cut
    first, second = cut.removeprefix("diagnose ").split(" -> ")
    assert first.endswith("seed42") and second.endswith("seed43"), cut


def test_pair_title_cuts_between_whole_words() -> None:
    """Walk 14: the diagnose title read 'base gsm/6b~ication -> cand gsm/175b~ation' at 80
    columns; the names are now cut between whole words (bf63123's word cutter), keeping
    what tells them apart, the roles whole."""
    from capslice_tui.app.app import HEADER_CHROME, fit_sub_title

    room = 80 - HEADER_CHROME - len("capslice") - 3
    said = fit_sub_title("diagnose base gsm/6b_verification -> cand gsm/175b_verification", room)
    assert said == "diagnose base gsm/6b_verification -> cand gsm/175b…", said
    assert len(said) <= room
