"""Every CLI action in the app by plain keys: plan export, intervention new, accept, link by
choosing the run from a list (never typing its name), delete-run, doctor, backup, compare
by any axes, report to a chosen file, slices with chosen k, named slices, ingest --field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pilot_helpers import SIZE, fill_plan_inputs, settle, static_text, table_rows
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.axis_picker import AxisPicker
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.confirm import ConfirmScreen
from capslice_tui.app.screens.doctor import DoctorScreen
from capslice_tui.app.screens.intervention_new import (
    InterventionFormScreen,
    parse_gain,
    parse_slices,
)
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.app.screens.label_edit import LabelEditScreen
from capslice_tui.app.screens.named_slices import NamedSlicesScreen
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.app.screens.plan_export import PlanExportScreen
from capslice_tui.app.screens.prompt import PromptScreen
from capslice_tui.app.screens.run_picker import RunPickerScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.app.widgets.result_table import ResultTable
from capslice_tui.workspace import Workspace


@pytest.fixture()
def fresh_store(tmp_path: Path) -> Path:
    """A store of its own (these tests write interventions and delete runs)."""
    from lmeval_files import build_store

    return build_store(tmp_path / "store")


async def _type(pilot, text: str) -> None:
    await pilot.press(*[c if c != " " else "space" for c in text])


def test_parse_slices_and_gain() -> None:
    assert parse_slices("task_type=a, solving_operation=b; task_type=c", "targets") == [
        {"task_type": "a", "solving_operation": "b"},
        {"task_type": "c"},
    ]
    with pytest.raises(ValueError, match="targets: 'task_type' is not AXIS=VALUE"):
        parse_slices("task_type", "targets")
    assert parse_gain("5") == pytest.approx(0.05)
    assert parse_gain("") is None
    with pytest.raises(ValueError, match="gain: 'x' is not a number"):
        parse_gain("x")


async def test_plan_export_then_intervention_new_accept_link(
    fresh_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(fresh_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "p")
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        await pilot.pause()
        # the menu fills in the highlighted run (base) and its one benchmark
        assert [app.screen.query_one(f"#{i}", Input).value for i in ("baseline", "benchmark")] == [
            "base",
            "bbh",
        ]
        fill_plan_inputs(app.screen)  # not the demo's store: catalog and budget are the user's
        await pilot.press("enter")
        await settle(app, pilot)
        assert "x: export" in static_text(app, "#status")
        await pilot.press("x")  # the table has the focus after a plan
        await pilot.pause()
        assert isinstance(app.screen, PlanExportScreen)
        await pilot.press("down")  # megatron -> yaml
        await pilot.press("enter")  # to the file field
        await pilot.pause()
        # the first Enter says what it did and what the next one does
        assert "yaml chosen · Enter: write it to this file" in static_text(app, "#export-status")
        await pilot.press("enter")  # write
        await settle(app, pilot)
        written = tmp_path / "plan-base.yaml"
        assert written.exists() and "cell id -> weight" in written.read_text()
        assert isinstance(app.screen, PlanScreen)
        assert "wrote plan-base.yaml" in static_text(app, "#status")
        assert any(f"plan written: {written}" in n.message for n in app._notifications)
        # writing again asks first (Enter twice replaces)
        await pilot.press("x", "down", "enter", "enter")
        await settle(app, pilot)
        assert "exists: Enter again replaces it" in static_text(app, "#export-status")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        written.write_text("old")
        await pilot.press("x", "down", "enter", "enter", "enter")  # asked, then replaced
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        assert "cell id -> weight" in written.read_text()

        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, InterventionFormScreen)
        assert app.screen.value("baseline") == "base"
        assert app.screen.value("benchmark") == "bbh"
        await _type(pilot, "more counting")
        await pilot.press("tab")
        await _type(pilot, "counting data lifts counting")
        await pilot.press("tab", "tab", "tab")
        await _type(pilot, "task_type=counting_arithmetic")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, InterventionsScreen)
        detail = static_text(app, "#detail")
        assert "more counting" in detail and "status: proposed" in detail
        assert "targets:  task_type=counting_arithmetic" in detail
        assert "controls: task_type=logical_deduction" in detail

        await pilot.press("a", "enter")  # no note, then the confirmation
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert "status: accepted" in static_text(app, "#detail")

        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, RunPickerScreen)
        assert app.screen.names == ["cand", "mathrun"]  # the baseline is not offered
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, InterventionsScreen)
        detail = static_text(app, "#detail")
        assert "result: cand" in detail and "verdict:" in detail
    rec = Workspace(fresh_store).interventions()[0]
    assert rec["result_run"] == "cand" and rec["status"] == "evaluated"
    assert Workspace(fresh_store).intervention(rec["id"])["plan"]["baseline"] == "base"


async def test_intervention_form_refuses_bad_slices_and_link_can_be_cancelled(
    fresh_store: Path,
) -> None:
    app = make_app(fresh_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "i")
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, InterventionFormScreen)
        await _type(pilot, "t")
        await pilot.press("tab")
        await _type(pilot, "h")
        await pilot.press("tab")
        await _type(pilot, "base")
        await pilot.press("tab", "tab")
        await _type(pilot, "task_type")
        await pilot.press("enter")
        await pilot.pause()
        assert "targets: 'task_type' is not AXIS=VALUE" in static_text(app, "#status")
        await pilot.press("ctrl+b")  # back while typing, nothing saved
        await settle(app, pilot)
        assert isinstance(app.screen, InterventionsScreen)
        assert Workspace(fresh_store).interventions() == []


async def test_delete_run_asks_then_deletes(fresh_store: Path) -> None:
    app = make_app(fresh_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert table_rows(app)[0][0] == ">base" or table_rows(app)[0][0].endswith("base")
        await pilot.press("D")
        await settle(app, pilot)  # the question's store read runs in a worker
        assert isinstance(app.screen, ConfirmScreen)
        assert "Delete run base and its 50 samples" in app.screen.question
        await pilot.press("n")  # kept
        await settle(app, pilot)
        assert [r["name"] for r in Workspace(fresh_store).runs()] == ["base", "cand", "mathrun"]
        await pilot.press("D")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert [r["name"] for r in Workspace(fresh_store).runs()] == ["cand", "mathrun"]
        assert "2 runs" in static_text(app, "#status")
        assert any("deleted base: 50 samples" in n.message for n in app._notifications)


async def test_a_runs_read_older_than_the_newest_request_is_dropped(fresh_store: Path) -> None:
    """A list read before a delete can land after it; it must not bring the run back."""
    from capslice_tui.app.messages import RunsLoaded

    app = make_app(fresh_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        stale = screen.runs  # three runs, read under an earlier request
        Workspace(fresh_store).delete_run("base")
        screen.load_runs()
        await settle(app, pilot)
        assert "2 runs" in static_text(app, "#status")
        screen.post_message(RunsLoaded(stale, generation=1))
        await settle(app, pilot)
        assert "2 runs" in static_text(app, "#status")
        assert [r["name"] for r in screen.runs] == ["cand", "mathrun"]


async def test_doctor_is_read_only_and_backup_writes_a_new_file(
    fresh_store: Path, tmp_path: Path
) -> None:
    before = fresh_store.read_bytes()
    app = make_app(fresh_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "o")
        await settle(app, pilot)
        assert isinstance(app.screen, DoctorScreen)
        report = static_text(app, "#doctor-report")
        flat = re.sub(r"\n +", "", report)  # a long path wraps under its value
        assert f"store:        {fresh_store}" in flat and "integrity:    ok" in report
        assert "no problems found" in report or "- " in report
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        target = tmp_path / "copy.db"
        box = app.screen.query_one(Input)
        box.value = str(target)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "backed up to" in static_text(app, "#status") and "integrity of the copy: ok" in (
            static_text(app, "#status")
        )
        assert [r["name"] for r in Workspace(target).runs()] == ["base", "cand", "mathrun"]
        await pilot.press("c")  # an existing file is refused, never overwritten
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settle(app, pilot)
        assert f"{target} exists" in static_text(app, "#status")
    assert fresh_store.read_bytes()[:100] == before[:100]


async def test_compare_by_any_axes_and_report_to_a_named_file(
    store_path: Path, tmp_path: Path
) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", "down", "c")
        await settle(app, pilot)
        assert isinstance(app.screen, CompareScreen)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AxisPicker)
        await pilot.press("down", "space", "down", "space", "a")  # task_type + solving_operation
        await settle(app, pilot)
        assert isinstance(app.screen, CompareScreen)
        assert app.screen.by == "task_type,solving_operation"
        assert "by task_type,solving_operation" in static_text(app, "#title")
        assert "task_type=" in table_rows(app)[1][0] or "&" in table_rows(app)[1][0]
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        target = tmp_path / "review.md"
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settle(app, pilot)
        assert target.read_text().startswith("# capslice report")


async def test_slices_k_chooses_pass_at_k_and_marks_partial_coverage(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down", "enter")  # mathrun: 4 samples per item
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "2,3"
        await pilot.press("enter")
        await settle(app, pilot)
        rows = table_rows(app)
        header = [str(c.label) for c in app.screen.query_one(ResultTable).columns.values()]
        assert "p@2" in header and "p@3" in header
        assert rows[0][0].endswith("ALL")
        await pilot.press("k")
        await pilot.pause()
        app.screen.query_one(Input).value = "2,x"
        await pilot.press("enter")
        await settle(app, pilot)
        assert "not a k: x" in static_text(app, "#status")


def test_pass_cell_marks_partial_coverage() -> None:
    from capslice_tui.app.screens.slices import pass_cell

    assert pass_cell({"score": 0.067, "coverage": 30 / 158, "n_eligible": 30}) == "(6.7%)"
    assert pass_cell({"score": 0.5, "coverage": 1.0, "n_eligible": 4}) == "50.0%"
    assert pass_cell({"score": None, "coverage": 0.0, "n_eligible": 0}) == "-"


async def test_named_slices_show_and_label(fresh_store: Path) -> None:
    ws = Workspace(fresh_store)
    run_id = ws.store.get_run("base")["id"]
    items = ws.store.item_ids_where(run_id, {"task_type": "counting_arithmetic"})
    ws.store.create_named_slice("hard counting", items[:5], who="ana", origin="test")
    app = make_app(fresh_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "s")
        await settle(app, pilot)
        assert isinstance(app.screen, NamedSlicesScreen)
        detail = static_text(app, "#detail")
        assert "name: hard counting" in detail and "n_items: 5" in detail
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, LabelEditScreen)
        await pilot.press("down", "enter", "enter")  # task_type, its first value
        await settle(app, pilot)
        assert isinstance(app.screen, NamedSlicesScreen)
        assert "on 5 items of hard counting (now version" in static_text(app, "#status")


async def test_ingest_form_passes_fields_and_system(tmp_path: Path) -> None:
    import json

    logs = tmp_path / "x.jsonl"
    rows = [
        {"task_id": "t/0", "completion": "a", "ok": "passed", "model": "m1"},
        {"task_id": "t/1", "completion": "b", "ok": "failed", "model": "m1"},
        {"task_id": "t/0", "completion": "c", "ok": "passed", "model": "m2"},
    ]
    logs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = tmp_path / "s.db"
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "g")
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#ingest-paths", Input).value = str(logs)
        screen.query_one("#ingest-run", Input).value = "r1"
        screen.query_one("#ingest-fields", Input).value = "correctness=oops extra"
        screen.query_one("#ingest-run", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert "fields: 'extra' is not ROLE=KEY" in static_text(app, "#status")
        screen.query_one("#ingest-fields", Input).value = "correctness=ok"
        screen.query_one("#ingest-system", Input).value = "m2"
        await pilot.press("enter")
        await settle(app, pilot)
        assert "done: 1 new sample" in static_text(app, "#status")
    ws = Workspace(store)
    (run,) = ws.runs()
    assert run["name"] == "r1" and run["n_samples"] == 1


# --------------------------------------------------------------------------- reading fixes


def test_a_p_value_that_only_rounds_to_a_threshold_shows_its_side() -> None:
    from capslice_tui.app.format import pvalue
    from capslice_tui.formatting import pvalue as cli_pvalue

    for p, text in [
        (0.049996, "0.049996"),  # significant at q=0.05: never "0.050"
        (0.050004, "0.050004"),  # not significant: never "0.050" either
        (0.05, "0.050"),
        (0.0312, "0.031"),
        (0.009996, "0.009996"),
        (5e-5, "<0.0001"),
        (None, "-"),
    ]:
        assert pvalue(p) == text and cli_pvalue(p) == text


async def test_label_history_names_items_by_task_and_doc(fresh_store: Path) -> None:
    ws = Workspace(fresh_store)
    run_id = ws.store.get_run("base")["id"]
    item = ws.store.item_ids_where(run_id, {"task_type": "counting_arithmetic"})[0]
    doc = ws.item_docs([item])[item]
    ws.label_items([item], {"task_type": "logical_deduction"}, who="ana")
    app = make_app(fresh_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        from capslice_tui.app.screens.label_history import LabelHistoryScreen

        app.push_screen(LabelHistoryScreen())
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        detail = static_text(app, "#detail")
        assert f"object_counting doc {doc['doc_id']} task_type [hand]" in detail
        assert f"item {item}" not in detail
        await pilot.press("u")  # asks before undoing
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Undo set by ana" in app.screen.question and "1 item" in app.screen.question
        await pilot.press("n")
        await settle(app, pilot)
        assert "not undone" in static_text(app, "#status")
    assert ws.label_show(item)["axes"]["task_type"]["source"] == "hand"


async def test_new_screens_draw_only_console_glyphs(fresh_store: Path) -> None:
    from test_ascii_console import assert_console_only

    ws = Workspace(fresh_store)
    run_id = ws.store.get_run("base")["id"]
    items = ws.store.item_ids_where(run_id, {"task_type": "counting_arithmetic"})
    ws.store.create_named_slice("hard counting", items[:3], who="ana", origin="test")
    app = make_app(fresh_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "o")
        await settle(app, pilot)
        assert_console_only(app, "doctor")
        await pilot.press("c")
        await pilot.pause()
        assert_console_only(app, "backup prompt")
        await pilot.press("escape")
        await pilot.press("m", "s")
        await settle(app, pilot)
        assert_console_only(app, "named slices")
        await pilot.press("m", "i")
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        assert_console_only(app, "intervention form")
        await pilot.press("ctrl+b")
        await pilot.press("m", "p")
        await settle(app, pilot)
        app.screen.query_one("#baseline", Input).value = "base"
        app.screen.query_one("#benchmark", Input).value = "bbh"
        fill_plan_inputs(app.screen)  # not the demo's store: catalog and budget are the user's
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, PlanExportScreen)
        assert_console_only(app, "plan export")
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.focused, Input)  # format chosen: the file field, then Enter


async def test_the_focused_button_is_marked_in_text(fresh_store: Path) -> None:
    """Without colour a focused button looks like the others: it reads `> No <` instead."""
    from textual.widgets import Button

    app = make_app(fresh_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        labels = lambda: [str(b.label) for b in app.screen.query(Button)]  # noqa: E731
        assert labels() == ["> No <", "Yes (y)"]
        await pilot.press("tab")
        await pilot.pause()
        assert labels() == ["No", "> Yes (y) <"]
        await pilot.press("n")
        await settle(app, pilot)
        assert [r["name"] for r in Workspace(fresh_store).runs()] == ["base", "cand", "mathrun"]


@pytest.mark.parametrize("where", ["label history", "named slices"])
async def test_u_with_nothing_to_undo_says_so(fresh_store: Path, where: str) -> None:
    """Walk 8: ``u`` on an empty label history did nothing and said nothing. Review: ``u``
    on the named slices with no labelling action of the user asked a y/n question whose yes
    could only fail. Both say there is nothing to undo, without a dialog; once there is an
    action, the named slices' ``u`` asks."""
    from capslice_tui.app.screens.label_history import LabelHistoryScreen

    app = make_app(fresh_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(LabelHistoryScreen() if where == "label history" else NamedSlicesScreen())
        await settle(app, pilot)
        await pilot.press("u")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert static_text(app, "#status").startswith("nothing to undo: ")
        if where == "named slices":
            ws = Workspace(fresh_store)
            item = ws.store.item_ids_where(ws.store.get_run("base")["id"], {})[0]
            ws.label_items([item], {"task_type": "logical_deduction"}, who=ws.current_user())
            await pilot.press("u")
            await settle(app, pilot)
            assert isinstance(app.screen, ConfirmScreen)
