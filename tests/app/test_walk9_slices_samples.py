"""Walk 9 in the app at 80x24 on the demo's math-base (16 samples per item, AIME 128): the
slices status said ``accuracy (mean over samples)`` beside a score that is the mean over items
of each item's accuracy (#22); help said pass@k was the share solved within k samples, not
the unbiased estimator (#25); the k dialog's ``1,2,4,…,n`` read as a cut string in ASCII
(#26)."""

from __future__ import annotations

from pathlib import Path

import pytest
from demo_store import math_base_store
from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.prompt import PromptScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.vocabulary import MODE_MARKS as MODE_TEXT
from capslice_tui.workspace import Workspace


@pytest.fixture(scope="module")
def math_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return math_base_store(tmp_path_factory.mktemp("walk9-app"))


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


async def test_samples_number_their_samples_and_f_passes_over_empty_modes(
    math_store: Path,
) -> None:
    """#11: the sample index column was ``k`` (pass@k's letter), the detail ``k=0``; #27: f
    visited modes with no sample (4 dead presses on bbh-base boolean_expressions)."""
    from capslice_tui.app.screens.sample_detail import SampleDetailScreen
    from capslice_tui.app.screens.samples import FAILURE_FILTERS, SamplesScreen
    from capslice_tui.app.widgets.result_table import ResultTable

    app = make_app(math_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = SamplesScreen("math-base", benchmark="math", task="minerva_math_algebra")
        await app.push_screen(screen)
        await settle(app, pilot)
        labels = [str(c.label) for c in screen.query_one(ResultTable).columns.values()]
        assert labels[:2] == ["doc", "#"], labels
        counts = screen.mode_counts
        assert counts is not None and set(counts) == set(FAILURE_FILTERS) - {None}
        present = [m for m in FAILURE_FILTERS if m and counts[m]]
        assert 0 < len(present) < len(counts), counts  # some mode is empty: f must skip it
        status = static_text(app, "#status")
        assert "f: " + ", ".join(f"{MODE_TEXT[m]} {counts[m]}" for m in present) in status
        seen = []
        for _ in present:
            await pilot.press("f")
            await settle(app, pilot)
            seen.append(screen.failure_mode)
            assert screen.rows, screen.failure_mode  # never an empty table
        assert seen == present
        await pilot.press("f")
        await settle(app, pilot)
        assert screen.failure_mode is None
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SampleDetailScreen)
        text = static_text(app, "#summary")
        assert "doc_id / sample: 0 / #0" in " ".join(text.split()), text
        assert "k=" not in text, text


async def test_slices_of_mixed_interval_methods_mark_each_interval(math_store: Path) -> None:
    """#3: rows of 6 items had a bootstrap interval, none, or a Wilson interval over items,
    and no row said which."""
    from capslice_tui.app.screens.slices import slice_detail

    app = make_app(math_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = SlicesScreen("math-base", "math", by="task_type,solving_operation")
        await app.push_screen(screen)
        await settle(app, pilot)
        assert screen._mixed()
        rows = {tuple(r.key.values()): r for r in screen.table_data.rows}
        zero = rows[("number_theory", "casework")]
        assert "0.0% [0.0, 39.0] w" in slice_detail(zero, False, screen.by, True)
        boot = rows[("algebra", "equation_solving")]
        assert "[59.6, 69.1] b" in slice_detail(boot, False, screen.by, True)
        assert "[59.6, 69.1] b" not in slice_detail(boot, False, screen.by)
        index = screen.shown.index(zero)
        screen.query_one("#slices-table").move_cursor(row=index)
        await settle(app, pilot)
        assert "[0.0, 39.0] w" in static_text(app, "#detail-line")
        assert any("b / w after an interval" in line for line in SlicesScreen.HELP_LEGEND)


async def test_samples_table_flags_a_correct_runaway(tmp_path: Path) -> None:
    """#21: fm-01's officially correct samples with an EOS token written as text and a
    repeated paragraph read ``correct`` only; the flag was in the detail alone."""
    from pilot_helpers import table_rows

    from capslice_tui.app.screens.samples import SamplesScreen

    fm01 = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "fm-01-runaway" / "out"
    store = tmp_path / "s.db"
    Workspace(store).ingest([fm01], run="fm")
    app = make_app(store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = SamplesScreen("fm", task="minerva_math_algebra")
        await app.push_screen(screen)
        await settle(app, pilot)
        at = screen.columns.index("mode")  # after lenient, when shown
        modes = {row[0]: row[at].strip() for row in table_rows(app)}
        assert modes["2"] == "correct+eos" and modes["4"] == "correct+rep", modes
        assert modes["0"] == "correct" and modes["1"] == "runaway", modes
        await pilot.press("i")  # the whole legend (the short one: test_samples_legend_app.py)
        await pilot.pause()
        legend = " ".join(static_text(app, "#mode-legend").split())
        assert "correct+flag: scored correct, but flagged: eos = an EOS token" in legend
