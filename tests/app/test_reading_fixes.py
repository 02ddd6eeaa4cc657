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
        status = static_text(app, "#status")
        assert " listed · Enter: samples" in status and "(s)" not in status
        await app.push_screen(CompareScreen("base", "cand", benchmark=None))
        await settle(app, pilot)
        assert "tested by task" in static_text(app, "#status")


def _outcome(n_targets: int) -> dict:
    did = {"did": 0.08, "did_low": 0.01, "did_high": 0.15}
    rows = [
        {"role": "target", "slice": {"task_type": f"t{i}"}, "n_items": 40, "diff": 0.1,
         "diff_low": 0.02, "diff_high": 0.18, "base_score": 0.4, "cand_score": 0.5,
         "p_adjusted": 0.01, "significant": True, "did": dict(did)}
        for i in range(n_targets)
    ] + [
        {"role": "control", "slice": {"task_type": "c"}, "n_items": 40, "diff": 0.02,
         "diff_low": -0.05, "diff_high": 0.09, "base_score": 0.5, "cand_score": 0.52,
         "p_adjusted": 0.6, "significant": False},
    ]  # fmt: skip
    return {
        "verdict": "improved", "reason": "r", "metric": "acc", "tolerance": 0.02, "q": 0.05,
        "n_tested": len(rows), "rows": rows, "warnings": [],
        "did": {**did, "target_change": 0.1, "target_low": 0.03, "target_high": 0.17,
                "n_target": 40 * n_targets, "control_change": 0.02, "control_low": -0.05,
                "control_high": 0.09, "n_control": 40},
    }  # fmt: skip


def test_one_target_slice_shows_its_change_and_interval_once() -> None:
    from capslice_tui.app.screens.interventions import outcome_lines

    text = "\n".join(outcome_lines(_outcome(1)))
    assert text.count("+10.0 points") == 1  # the slice's line only, one interval
    assert "target change" not in text
    assert text.count("DiD") == 1  # the pooled DiD is the slice's
    # two targets: the pooled change is news, each slice keeps its own line
    text = "\n".join(outcome_lines(_outcome(2)))
    assert "target change" in text and text.count("DiD") == 3


def _svg_text(app) -> str:
    """The screen's text as the SVG screenshot holds it (spans joined, tags dropped)."""
    import re

    return re.sub(r"<[^>]*>", "", app.export_screenshot()).replace("&#160;", " ")


async def test_a_placeholder_reads_as_a_hint_and_a_prefilled_value_as_typed(
    store_path: Path, monkeypatch
) -> None:
    """Under NO_COLOR a dim placeholder and a value look alike: the placeholder is drawn
    ``<hint>``, a pre-filled value plain."""
    from capslice_tui.app.screens.prompt import PromptScreen

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(PromptScreen("Jump to doc id:", placeholder="e.g. 1024"))
        await settle(app, pilot)
        shot = _svg_text(app)
        assert "&lt;e.g. 1024&gt;" in shot
        await app.pop_screen()
        await app.push_screen(PromptScreen("Name:", "e.g. 1024", placeholder="name"))
        await settle(app, pilot)
        shot = _svg_text(app)
        assert "e.g. 1024" in shot and "&lt;e.g. 1024&gt;" not in shot and "&lt;name" not in shot
