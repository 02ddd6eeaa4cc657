"""Fresh-user walk 7 on the runs screen and the forms: two runs never read the same once
their names are cut, and names are cut again for a new terminal width."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.format import distinct_cuts

GSM = ["gsm/175b_finetuning", "gsm/175b_verification", "gsm/6b_finetuning", "gsm/6b_verification"]


@pytest.fixture(scope="module")
def gsm_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four runs named as the walk's GSM8K logs (one shared prefix, two model sizes)."""
    from lmeval_files import write_runs

    from capslice_tui.workspace import Workspace

    root = tmp_path_factory.mktemp("gsm-names")
    runs = write_runs(root / "logs")
    ws = Workspace(root / "store.db")
    for name in GSM:
        ws.ingest([runs["base"]], run=name, benchmark="bbh")
    return root / "store.db"


@pytest.mark.parametrize("width", range(8, 22))
def test_different_names_never_read_the_same_once_cut(width: int) -> None:
    cut = distinct_cuts(GSM, width, middle=True)
    assert len(set(cut)) == len(GSM), cut  # was gsm/…verification twice at 15-18
    assert all(len(c) <= width for c in cut), cut


async def test_runs_screen_cuts_names_again_when_the_terminal_widens(gsm_store: Path) -> None:
    app = make_app(gsm_store, ascii=True)
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(app, pilot)
        narrow = [row[0] for row in table_rows(app)]
        assert len(set(narrow)) == 4 and narrow != GSM, narrow
        await pilot.resize_terminal(*SIZE)
        await settle(app, pilot)
        await pilot.pause()
        assert [row[0] for row in table_rows(app)] == GSM  # whole: 80 columns have the room


async def test_menu_plan_opens_on_the_highlighted_run(gsm_store: Path) -> None:
    from textual.widgets import Input

    app = make_app(gsm_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "m", "p")
        await settle(app, pilot)
        await pilot.pause()
        assert type(app.screen).__name__ == "PlanScreen"
        assert app.screen.query_one("#baseline", Input).value == GSM[1]  # was empty
        assert app.screen.query_one("#benchmark", Input).value == "bbh"  # its one benchmark
        # not the demo's store: catalog and budget are the user's to fill in
        assert "fill in catalog and budget, then Enter" in static_text(app, "#status")


async def test_the_intervention_form_asks_for_targets_only_without_a_plan(
    gsm_store: Path,
) -> None:
    from types import SimpleNamespace

    from capslice_tui.app.screens.intervention_new import InterventionFormScreen

    plan = SimpleNamespace(summary="a plan", slices=[])
    app = make_app(gsm_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(InterventionFormScreen(GSM[0], "bbh", plan=plan))
        await pilot.pause()
        # a plan's boosted slices stand for empty targets: the form does not ask for them
        assert static_text(app, "#status") == "fill in title and hypothesis, then Enter"
        app.pop_screen()
        await app.push_screen(InterventionFormScreen())
        await pilot.pause()
        assert static_text(app, "#status") == (
            "fill in title, hypothesis, baseline and targets, then Enter"
        )


def _systems_log(path: Path) -> Path:
    """A generic JSONL log with two systems per line (the GSM8K example's layout): one
    ingest makes two runs."""
    import json

    with path.open("w", encoding="utf-8") as out:
        for i in range(6):
            out.write(json.dumps({
                "question": f"q{i}?", "ground_truth": f"#### {i}",
                "small": {"solution": f"#### {i}", "is_correct": i % 2 == 0},
                "large": {"solution": f"#### {i}", "is_correct": True},
            }) + "\n")  # fmt: skip
    return path


@pytest.mark.parametrize(("via_plan", "back"), [(False, "Esc: back to runs"), (True, "Esc: back")])
async def test_the_ingest_report_shows_whole_with_its_runs_and_where_esc_goes(
    tmp_path: Path, via_plan: bool, back: str
) -> None:
    from textual.widgets import Input

    from capslice_tui.app.screens.ingest import IngestScreen

    log = _systems_log(tmp_path / "sys.jsonl")
    app = make_app(tmp_path / "store.db", ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        if via_plan:  # the form over another screen (its inputs take m and g as text)
            await pilot.press("m", "p")
            await settle(app, pilot)
            await app.push_screen(IngestScreen())
        else:
            await pilot.press("m", "g")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, IngestScreen)
        screen.query_one("#ingest-paths", Input).value = str(log)
        screen.query_one("#ingest-run", Input).value = "toy"
        screen.query_one("#ingest-run", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.pause()
        status = static_text(app, "#status")
        assert status.startswith("done: 12 new samples in 2 runs, 12 records read"), status
        # Esc goes back to the screen below: the runs list only when it is the one below
        assert status.endswith(back), status
        form = screen.query_one("#ingest-form")
        assert form.scroll_y == form.max_scroll_y > 0  # the report's end in view, not its top
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == ("PlanScreen" if via_plan else "RunsScreen")


async def test_the_compared_pair_in_the_runs_status_is_never_a_lone_wrapped_name(
    gsm_store: Path,
) -> None:
    app = make_app(gsm_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", "down", "c")  # base, candidate: the compare screen opens
        await settle(app, pilot)
        await pilot.press("b")
        await settle(app, pilot)
        await pilot.pause()
        # too long for the first line beside the count: on a line of its own, whole (it
        # wrapped after '->', leaving gsm/175b_verification alone on the second line)
        assert static_text(app, "#status").splitlines() == [
            "4 runs · micro means (v)",
            f"d: diagnose {GSM[0]} -> {GSM[1]}",
        ]


async def test_i_on_a_generic_jsonl_run_says_the_log_it_was_read_from(tmp_path: Path) -> None:
    from capslice_tui.workspace import Workspace

    Workspace(tmp_path / "store.db").ingest([_systems_log(tmp_path / "sys.jsonl")], run="toy")
    app = make_app(tmp_path / "store.db", ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        # the help promises the log layout; it said only "no interrupted ingest"
        assert messages == ["read from a jsonl log (format jsonl)"], messages


async def test_runs_ingested_into_an_empty_store_show_on_return(tmp_path: Path) -> None:
    from textual.widgets import Input

    app = make_app(tmp_path / "store.db", ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert table_rows(app) == []
        await pilot.press("m", "g")
        await settle(app, pilot)
        app.screen.query_one("#ingest-paths", Input).value = str(_systems_log(tmp_path / "s.jsonl"))
        app.screen.query_one("#ingest-run", Input).value = "toy"
        app.screen.query_one("#ingest-run", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.pause()
        # the list was read once, empty, and never again: 0 runs after the ingest
        assert [row[0] for row in table_rows(app)] == ["toy/large", "toy/small"]


async def test_slices_name_the_pass_at_k_values_left_without_a_column(store_path: Path) -> None:
    from textual.widgets import Input

    from capslice_tui.app.screens.slices import SlicesScreen

    app = make_app(store_path, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down", "enter")  # mathrun: 4 samples per item
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
        await pilot.press("k")
        await pilot.pause()
        app.screen.query_one(Input).value = "1,all"  # the curve: 1, 2, 4
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.pause()
        header = [str(c.label) for c in app.screen.query_one("#slices-table").columns.values()]
        assert [h for h in header if h.startswith("p@")] == ["p@1", "p@4"]
        # p@2 was dropped with no word (the CLI names what it leaves out)
        assert static_text(app, "#status").endswith(" · not shown at 80 columns: p@2")


async def test_named_slices_undo_a_label_and_the_menu_opens_the_history(tmp_path: Path) -> None:
    from lmeval_files import build_store

    from capslice_tui.app.screens.confirm import ConfirmScreen
    from capslice_tui.app.screens.label_history import LabelHistoryScreen
    from capslice_tui.app.screens.named_slices import NamedSlicesScreen
    from capslice_tui.workspace import Workspace

    store = build_store(tmp_path / "store")
    ws = Workspace(store)
    run_id = ws.store.get_run("base")["id"]
    items = ws.store.item_ids_where(run_id, {"task_type": "counting_arithmetic"})
    ws.store.create_named_slice("hard counting", items[:5], who=ws.current_user(), origin="test")
    ws.label_slice("hard counting", {"task_type": "logical_deduction"})
    app = make_app(store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "s")
        await settle(app, pilot)
        assert isinstance(app.screen, NamedSlicesScreen)
        await pilot.press("u")  # did nothing here
        await settle(app, pilot)  # the worker finds there is an action to undo
        assert isinstance(app.screen, ConfirmScreen)
        # y answers yes in the dialog: its hint must not promise y lists the actions
        # (walk 8: it said so, and y undid 96 labels)
        assert "(y lists" not in app.screen.question
        assert "y here answers yes" in app.screen.question
        await pilot.press("y")
        await settle(app, pilot)
        await pilot.pause()
        assert static_text(app, "#status").startswith("undid "), static_text(app, "#status")
        assert "5 labels restored" in static_text(app, "#status")
        await pilot.press("y")  # the history, as on the slices screen
        await settle(app, pilot)
        assert isinstance(app.screen, LabelHistoryScreen)
        await pilot.press("b", "m", "l")  # and from the menu
        await settle(app, pilot)
        assert isinstance(app.screen, LabelHistoryScreen)


async def test_help_names_ctrl_keys_one_way(gsm_store: Path) -> None:
    app = make_app(gsm_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        keys = [row.key for row in app.help_rows(app.screen)]
        # ^pgup beside ctrl+p read as two notations for the one modifier
        assert "ctrl+pgup" in keys and "ctrl+p" in keys, keys
        assert not [k for k in keys if "^" in k], keys
