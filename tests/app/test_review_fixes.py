"""Pilot tests of the reviewer's 80x24 fixes: label dialog, interventions, slices detail line,
diagnose Enter, samples filter title, runs and compare columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fake_facade import FakeFacade
from lmeval_files import BBH_TASKS, build_store, write_runs
from pilot_helpers import SIZE, settle
from pilot_helpers import static_text as text
from pilot_helpers import table_rows as rows
from textual.widgets import Button, Input

from capslice_tui.app.app import make_app
from capslice_tui.app.format import first_column_room, fit_parts, pvalue
from capslice_tui.app.screens.confirm import ConfirmScreen
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.app.screens.label_edit import LabelEditScreen
from capslice_tui.app.screens.samples import FAILURE_FILTERS, SamplesScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.app.widgets.result_table import ResultTable
from capslice_tui.workspace import Workspace

AXES = {
    "task_type": {f"value_{i}": f"description number {i} " * 5 for i in range(12)},
    "background_condition": {"self_contained": "all in the prompt"},
}


async def test_label_dialog_fits_80x24_and_tab_reaches_save_first(store_path: Path) -> None:
    app = make_app(store_path)
    results: list[Any] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for ask_name in (False, True):
            app.push_screen(
                LabelEditScreen("label " + "x" * 120, AXES, ask_name=ask_name, name="n"),
                results.append,
            )
            await pilot.pause()
            screen = app.screen
            for button in screen.query(Button):
                region = button.region
                assert region.width > 0 and region.height > 0, button.id
                assert region.bottom <= SIZE[1] and region.right <= SIZE[0], (button.id, region)
            screen.query_one("#note", Input).focus()
            await pilot.press("tab")
            assert app.focused is not None and app.focused.id == "save"
            await pilot.press("tab")
            assert app.focused is not None and app.focused.id == "cancel"
            await pilot.press("enter")
            await pilot.pause()
            assert not isinstance(app.screen, LabelEditScreen)
        assert results == [None, None]
        assert any("label not saved" in str(n.message) for n in app._notifications)


async def test_value_enter_saves_and_tab_keeps_the_highlighted_value(store_path: Path) -> None:
    app = make_app(store_path)
    results: list[Any] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(LabelEditScreen("t", AXES), results.append)
        await pilot.pause()
        await pilot.press("enter", "down", "down", "enter")  # task_type, value_2: saved
        await pilot.pause()
        assert (results[-1].axis, results[-1].value, results[-1].note) == (
            "task_type",
            "value_2",
            None,
        )


def _store_with_intervention(tmp_path: Path) -> Workspace:
    ws = Workspace(build_store(tmp_path))
    ws.store.create_intervention(
        title="boolean data", hypothesis="more boolean logic",
        target_slices=[{"task": BBH_TASKS[0]}], control_slices=[{"task": BBH_TASKS[1]}],
        baseline_run="base", author="alice", benchmark="bbh",
    )  # fmt: skip
    return ws


async def test_interventions_accept_confirms_link_evaluates_escape_closes_prompt(
    tmp_path: Path,
) -> None:
    ws = _store_with_intervention(tmp_path)
    app = make_app(tmp_path / "store.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = InterventionsScreen()
        app.push_screen(screen)
        await settle(app, pilot)
        await pilot.press("x")
        assert "#1 'boolean data'" in text(app, "#prompt-label")
        await pilot.press("escape")  # closes the prompt only
        await pilot.pause()
        assert app.screen is screen and not screen.query_one("#prompt", Input).display
        assert ws.store.get_intervention(1)["status"] == "proposed"

        await pilot.press("a", *"go ahead", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "#1 'boolean data'" in app.screen.question and "go ahead" in app.screen.question
        await pilot.press("y")
        await settle(app, pilot)
        rec = ws.store.get_intervention(1)
        assert rec["status"] == "accepted" and rec["decision_reason"] == "go ahead"

        await pilot.press("l")  # the result run is chosen from a list, not typed
        await settle(app, pilot)
        assert app.screen.names[0] == "cand"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(app, pilot)
        rec = ws.store.get_intervention(1)
        assert rec["status"] == "evaluated" and rec["result_run"] == "cand"
        detail = text(app, "#detail")
        assert f"target: task={BBH_TASKS[0]}" in detail
        assert f"control: task={BBH_TASKS[1]}" in detail
        assert "verdict: " in detail and "linked cand to #1" in text(app, "#status")
        scroller = screen.query_one("#intervention-detail")
        await pilot.resize_terminal(80, 16)  # two slices fit 80x24; a shorter pane scrolls
        await pilot.pause()
        assert scroller.max_scroll_y > 0
        await pilot.press("j")
        await pilot.pause()
        assert scroller.scroll_y > 0


async def test_slices_with_two_axes_show_the_full_name_and_keep_sort_visible(
    store_path: Path,
) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SlicesScreen)
        screen.set_grouping("background_condition,task_type,solving_operation")
        await settle(app, pilot)
        assert text(app, "#title").startswith("sort: key · by background+task_type+solving_op")
        await pilot.press("down")
        await pilot.pause()
        key = screen.shown[1].key
        full = " & ".join(key.values())
        assert text(app, "#detail-line").splitlines()[0] == full
        assert "by background+task_type+solving_op · " in text(app, "#detail-line")
        table = screen.query_one(ResultTable)
        assert table.region.right <= SIZE[0]
        assert all(len(r[0]) <= first_column_room(["slice"], [], 80) for r in rows(app))


async def test_diagnose_enter_opens_samples_without_tab(store_path: Path) -> None:
    app = make_app(store_path, workspace=FakeFacade(Workspace(store_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(DiagnoseScreen("base", "cand", benchmark="bbh"))
        await settle(app, pilot)
        assert "Enter: samples · Tab: pick" in text(app, "#status")
        assert not isinstance(app.focused, ResultTable)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SamplesScreen)
        assert app.screen.failure_mode == "wrong_answer"


async def test_samples_filter_title_and_empty_message(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "enter")  # base -> slices -> ALL samples
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SamplesScreen)
        # f passes over the modes with no sample (walk 9 #27)
        counts = screen.mode_counts or {}
        present = [m for m in FAILURE_FILTERS if m and counts.get(m)]
        assert not counts.get("runaway"), counts
        for mode in present:
            await pilot.press("f")
            await settle(app, pilot)
            assert screen.failure_mode == mode and screen.rows, mode
        # a mode with none, opened on it (diagnose opens the samples on a mode), says so
        await app.push_screen(SamplesScreen("base", failure_mode="runaway"))
        await settle(app, pilot)
        assert text(app, "#title").startswith("mode: runaway · filter get-answer · base")
        assert app.screen.rows == []
        assert text(app, "#status").startswith("no samples with failure mode runaway in this")


async def test_runs_name_gets_the_room_of_an_empty_step_column(tmp_path: Path) -> None:
    runs = write_runs(tmp_path / "logs")
    long_name = "gsm/175b_finetuning_lr3e-5"  # 26 characters: cut at 18 before
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([runs["base"]], run=long_name, benchmark="bbh")
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(ResultTable)
        assert [str(c.label) for c in table.columns.values()][:2] == ["run", "bench"]
        assert rows(app)[0][0] == long_name


async def test_compare_shows_percent_beside_counts_within_80_columns(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", "down", "c")
        await settle(app, pilot)
        first = rows(app)[0]
        assert first[0] == "ALL" and first[1] == "74.0% 37/50"
        table = app.screen.query_one(ResultTable)
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= SIZE[0] - 2


def test_fit_parts_keeps_every_part_apart() -> None:
    a = fit_parts(["self_contained", "logical_deduction_five"], 24)
    b = fit_parts(["self_contained", "logical_fallacies"], 24)
    assert len(a) <= 24 and len(b) <= 24 and a != b
    assert fit_parts(["a", "b"], 10) == "a & b"
    assert fit_parts(["short", "a_very_long_value_here"], 16) == "short & a_very_…"


def test_pvalue_follows_the_cli_rule() -> None:
    assert pvalue(0.0) == "<0.0001" and pvalue(3e-7) == "<0.0001"
    assert pvalue(0.0312) == "0.031" and pvalue(None) == "-"


async def test_home_and_end_go_to_the_first_and_last_row(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(ResultTable)
        assert table.row_count >= 2
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        assert table.scroll_x == 0  # not a sideways scroll
        await pilot.press("home")
        assert table.cursor_row == 0


def test_slices_fit_pass_at_k_and_say_up_to_samples_per_item() -> None:
    from types import SimpleNamespace as Row

    from capslice_tui.app.screens.slices import k_header, pick_ks, samples_per_item_text

    assert pick_ks([1, 16, 128], 80) == [16, 128]
    assert pick_ks([1, 16, 128], 120) == [1, 16, 128]
    assert pick_ks([1, 2, 4, 8, 16], 80) == [4, 16]
    assert k_header(128, 80) == "p@128" and k_header(128, 120) == "pass@128"
    aime = Row(n_items=30, n_samples=30 * 128)
    algebra = Row(n_items=32, n_samples=32 * 16)
    assert samples_per_item_text([aime, algebra], 128) == "up to 128 samples/item"
    assert samples_per_item_text([aime], 128) == "128 samples/item"
    assert samples_per_item_text([algebra], 1) == ""


def test_intervention_detail_names_the_decision_and_the_small_slice() -> None:
    from capslice_tui.app.screens.interventions import count_text, detail_text

    rec = {
        "id": 2, "title": "casework", "status": "evaluated", "version": 5,
        "hypothesis": "h", "target_slices": [{"solving_operation": "casework"}],
        "control_slices": [], "baseline_run": "a", "result_run": "b", "author": "root",
        "decision_reason": None, "decided_by": "root", "decided_at": "2026-11-29T13:33:10",
        "outcome": {"verdict": "confirmed", "reason": "r", "rows": [
            {"role": "target", "slice": {"solving_operation": "casework"}, "n_items": 14,
             "diff": 0.2, "significant": True},
        ]},
    }  # fmt: skip
    text = detail_text(rec)
    assert "decision: accepted by root at 2026-11-29 13:33" in text
    assert "note:" not in text  # only when one was given
    assert "verdict: confirmed (! too few items: n=14 < 20)" in text
    # walk 10 #3: every small slice's n is named, not only the smallest
    rows = [*rec["outcome"]["rows"], {**rec["outcome"]["rows"][0], "n_items": 19},
            {**rec["outcome"]["rows"][0], "n_items": 30}]  # fmt: skip
    text = detail_text({**rec, "outcome": {**rec["outcome"], "rows": rows}})
    assert "verdict: confirmed (! 2 slices with too few items: n=14, 19 < 20)" in text, text
    assert "note: go" in detail_text({**rec, "decision_reason": "go"})
    assert count_text(1, "intervention") == "1 intervention"
    assert count_text(3, "intervention") == "3 interventions"


def test_pass_at_k_coverage_leads_the_figures_line() -> None:
    """At 80 columns the detail's figures line is cut at the right: the pass@k coverage mark
    comes first on it, not last (a fresh user saw '(6.7%)' with no coverage line)."""
    from capslice_tui.app.screens.slices import with_coverage

    detail = "ALL: every item of the run\nby task · 158 items · 43.1% [38.0%, 48.2%] · 1093/5888"
    shown = with_coverage(detail, "p@128 on 30/158 items")
    assert shown.splitlines()[1].startswith("p@128 on 30/158 items · by task")
    assert shown.splitlines()[0] == "ALL: every item of the run"
    assert with_coverage(detail, "") == detail


def test_detail_never_sets_a_sample_ratio_beside_a_mean_of_items_score() -> None:
    from types import SimpleNamespace

    from capslice_tui.app.screens.slices import slice_detail

    row = SimpleNamespace(
        key={"task": "t"}, n_items=158, score=0.431, lo=0.38, hi=0.48, correct=1093,
        n_samples=5888, warning=None, average="micro",
    )  # fmt: skip
    figures = slice_detail(row, True, "task").splitlines()[1]
    assert figures.endswith("· samples 1093/5888")
    greedy = SimpleNamespace(**{**vars(row), "score": 286 / 480, "correct": 286, "n_samples": 480})
    assert slice_detail(greedy, True, "task").splitlines()[1].endswith("· 286/480")


def test_trend_picker_gives_the_model_the_room_the_other_columns_leave() -> None:
    """A fresh user saw every model cut to ``demo-org/demo-1b-~`` with 25 columns free."""
    from capslice_tui.app.screens.trend import model_room

    names, steps, benches = ["bbh-eos-restored", "bbh-base"], ["120000", "100000"], ["bbh"]
    room = model_room(80, names, steps, benches)
    assert room >= len("demo-org/demo-1b-mathfix-step120000")
    assert 3 + 16 + 6 + room + 3 + 2 * 5 + 2 <= 80
    assert model_room(40, names, steps, benches) == 18  # never below 18


async def test_intervention_form_labels_and_hints_fit_80_columns(store_path: Path) -> None:
    """A fresh user read 'hypothesi' and hints cut with no mark: at 80x24 every label shows
    whole and every placeholder (drawn as <hint>) fits its input."""
    from textual.widgets import Label

    from capslice_tui.app.screens.intervention_new import FIELDS, InterventionFormScreen

    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(InterventionFormScreen())
        await settle(app, pilot)
        labels = list(app.screen.query(".intervention-label").results(Label))
        assert [str(lb.render()) for lb in labels] == [label for _, label, _ in FIELDS]
        for lb in labels:
            assert lb.content_size.width >= len(str(lb.render()))
        for field_id, _, hint in FIELDS:
            box = app.screen.query_one(f"#new-{field_id}", Input)
            assert box.content_size.width >= len(hint) + 2, (field_id, box.content_size.width)
