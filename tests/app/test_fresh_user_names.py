"""A fresh user's session at 80x24 under ``TERM=linux`` (console mode, ``~`` for ``…``): two
runs of one recipe whose long names differ only in the middle (``seed42``/``seed43``) read
apart on every screen, and the highlighted row's whole name is on screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import SIZE, settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.format import distinct_cuts, keep_cut

RECIPE = "olmo2-7b-stage2-ingredient3-anneal-50B-seed{}-step11931-hf"
SEED42, SEED43 = RECIPE.format(42), RECIPE.format(43)


@pytest.fixture(scope="module")
def seeds_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lmeval_files import write_runs

    from capslice_tui.workspace import Workspace

    root = tmp_path_factory.mktemp("seeds")
    runs = write_runs(root / "logs")
    store = root / "store.db"
    ws = Workspace(store)
    ws.ingest([runs["base"]], run=SEED42, benchmark="bbh")
    ws.ingest([runs["cand"]], run=SEED43, benchmark="bbh")
    return store


def test_distinct_cuts_keep_the_part_where_names_differ() -> None:
    for width in (8, 12, 19, 25, 40):
        names = [SEED42, SEED43, "bbh-base", "bbh-eos-masked"]
        cut = distinct_cuts(names, width, middle=True)
        assert cut[0] != cut[1], (width, cut)
        assert all(len(c) <= width for c in cut), cut
        assert all("…" in c for c, n in zip(cut, names, strict=True) if c != n), cut
        assert cut[2] == "bbh-base"
    assert distinct_cuts([SEED42, SEED43], 19, middle=True) == [
        "olm…seed42…11931-hf",
        "olm…seed43…11931-hf",
    ]
    # a name alone, or apart once cut, is cut as before (middle, or end without ``middle``)
    assert distinct_cuts([SEED42], 19, middle=True) == ["olmo2-…step11931-hf"]
    assert distinct_cuts(["logical_deduction", "navigate"], 9) == ["logical_…", "navigate"]
    assert keep_cut("abcdef", 10, 2, 3) == "abcdef"


async def test_runs_screen_tells_seed_runs_apart_in_console_mode(seeds_store: Path) -> None:
    app = make_app(seeds_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        names = [row[0] for row in table_rows(app)]
        assert len(names) == 2 and names[0] != names[1], names
        assert "seed42" in names[0] and "seed43" in names[1], names
        assert all(n.endswith("-hf") for n in names), names
        assert static_text(app, "#hint") == f"run: {SEED42}"
        await pilot.press("down")
        await pilot.pause()
        assert static_text(app, "#hint") == f"run: {SEED43}"


async def test_compare_header_names_both_runs_apart(seeds_store: Path) -> None:
    from capslice_tui.app.screens.compare import CompareScreen

    app = make_app(seeds_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(CompareScreen(SEED42, SEED43, benchmark="bbh"))
        await settle(app, pilot)
        title = static_text(app, "#title")
        assert len(title) <= SIZE[0] - 2, title
        base, cand = title.split(" · ")[0].removeprefix("base ").split(" -> cand ")
        assert "seed42" in base and "seed43" in cand, title
        assert base.endswith("-step11931-hf") and cand.endswith("-step11931-hf"), title
        assert title.endswith(" · bbh · by task"), title


async def test_slices_title_ends_with_the_benchmark_not_a_dot(seeds_store: Path) -> None:
    app = make_app(seeds_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        title = static_text(app, "#title")
        assert len(title) <= SIZE[0] - 2, title
        assert title.startswith("sort: ") and title.endswith(" · bbh"), title
        assert "seed42" in title and title.split(" · ")[-2].endswith("-hf"), title


async def test_slices_of_two_axes_give_the_labels_the_room(seeds_store: Path) -> None:
    app = make_app(seeds_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        app.screen.set_grouping("task_type,solving_operation")
        await settle(app, pilot)
        table = app.screen.query_one("ResultTable")
        headers = [str(c.label) for c in table.columns.values()]
        rows = table_rows(app)
        labels = [r[0] for r in rows[1:]]
        assert len(labels) == 2 and all(" & " in x for x in labels), labels
        # 38 characters: more than the 34 the table leaves beside the interval, the tally
        # and a warn column; no slice warns, so that column gives its room first (the tally
        # would go to the detail line next, the interval last) and every label shows whole
        assert "logical_deduction & boolean_evaluation" in labels, labels
        assert "95% CI" in headers and "warn" not in headers, headers
        await pilot.press("down", "down")
        await pilot.pause()
        name, figures = static_text(app, "#detail-line").split("\n")
        assert " & " in name and "…" not in name, name
        assert "[" in figures and "]" in figures and "/" in figures, figures  # CI and c/n


@pytest.mark.parametrize("run", ["bbh-eos-masked", SEED43])
async def test_samples_title_from_diagnose_names_the_slice(seeds_store: Path, run: str) -> None:
    from capslice_tui.app.screens.samples import SamplesScreen
    from capslice_tui.workspace import Workspace

    if run != SEED43:
        from lmeval_files import write_runs

        logs = seeds_store.parent / "logs-eos"
        if not logs.exists():
            Workspace(seeds_store).ingest([write_runs(logs)["cand"]], run=run, benchmark="bbh")
    app = make_app(seeds_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        slice_name = "object_counting"  # a task the runs have (a missing one is refused now)
        app.push_screen(
            SamplesScreen(
                run,
                title=slice_name,
                failure_mode="extraction_failure",
                task=f"bbh_cot_fewshot_{slice_name}",
                benchmark="bbh",
            )
        )
        await settle(app, pilot)
        title = static_text(app, "#title")
        assert len(title) <= SIZE[0] - 2, title
        assert title.startswith("mode: extraction_failure (fmt!) · filter "), title
        assert title.endswith(f" · {slice_name}"), title


def test_trend_title_shows_every_run_apart() -> None:
    from capslice_tui.app.screens.trend import trend_title

    runs = [("bbh-base", 100000), ("bbh-eos-masked", 110000), ("bbh-eos-restored", 120000)]
    title = trend_title(["task"], runs)
    assert len(title) <= 78, title
    # short names stay whole and leave their room to the long one (was eo…asked, eo…tored)
    assert "base@100000 < eos-masked@110000 < " in title, title
    last = title.rsplit(" < ", 1)[1]
    assert last == "eos-restored@120000", title  # whole since walk 7 (was e…restored)
    seeds = trend_title(["task"], [(SEED42, 100), (SEED43, 200)])
    assert "seed42" in seeds and "seed43" in seeds and len(seeds) <= 78, seeds


def test_trend_legend_names_every_sparkline_glyph() -> None:
    from capslice_tui.app.screens.trend import SPARK_FLAT, SPARK_LEGEND, sparkline

    scores = [i / 20 for i in range(21)]
    glyphs = set(sparkline(scores)) | set(sparkline([0.5, 0.5]))
    assert "*" not in glyphs
    assert all(g in SPARK_LEGEND.split(" = ")[0] or g == SPARK_FLAT for g in glyphs), glyphs
    assert f"{SPARK_FLAT} flat" in SPARK_LEGEND, SPARK_LEGEND


async def _visible_toasts(app: Any, pilot: Any) -> list[Any]:
    from textual.widgets._toast import Toast

    for _ in range(10):
        await pilot.pause(0.05)
    return [t for t in app.screen.query(Toast) if t.region.height and t.visible]


async def test_the_t_notice_covers_neither_the_table_nor_the_axes_dialog(
    seeds_store: Path,
) -> None:
    from textual.widgets import Button, DataTable, OptionList

    from capslice_tui.app.screens.axis_picker import AxisPicker

    app = make_app(seeds_store, ascii=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("t")  # the run logged one answer filter: a notice
        assert any("logged one answer filter" in n.message for n in app._notifications)
        table = app.screen.query_one(DataTable).region
        assert not any(t.region.overlaps(table) for t in await _visible_toasts(app, pilot))
        assert "logged one answer filter" in static_text(app, "#status")  # read there
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AxisPicker)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("t", "a")  # the notice while the dialog opens
        await pilot.pause()
        assert isinstance(app.screen, AxisPicker)
        dialog = [w.region for w in app.screen.query(OptionList)]
        dialog += [w.region for w in app.screen.query(Button)]
        dialog += [w.region for w in app.screen.query("#picker")]  # its frame too
        for toast in await _visible_toasts(app, pilot):
            assert not any(toast.region.overlaps(r) for r in dialog), (toast.region, dialog)


async def test_trend_picker_tells_seed_runs_apart(seeds_store: Path) -> None:
    from capslice_tui.app.screens.trend import TrendScreen

    app = make_app(seeds_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "k")
        await settle(app, pilot)
        assert isinstance(app.screen, TrendScreen)
        names = [row[1] for row in table_rows(app) if row[1].startswith("olm")]
        assert len(names) == 2 and "seed42" in names[0] and "seed43" in names[1], names
