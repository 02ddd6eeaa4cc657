"""Walk 19 (label history, named slices, trend): menu ``l`` shows the current history on top
of the screen it was opened from, ``u`` undoes the newest action; a named slice's members are
reachable at 80x24; labelling a slice makes its note the slice's current one (the case
store-01-note-history: the newest note current, the earlier in the history); the trend's mode
view names its grouping; ``q`` on a trend goes back as ``b`` does."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from lmeval_files import build_store
from pilot_helpers import SIZE, settle, static_text, table_rows
from rich.console import Console

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.confirm import ConfirmScreen
from capslice_tui.app.screens.label_edit import LabelEditScreen
from capslice_tui.app.screens.label_history import LabelHistoryScreen
from capslice_tui.app.screens.named_slices import NamedSlicesScreen
from capslice_tui.app.screens.runs import RunsScreen
from capslice_tui.app.screens.trend import TrendScreen
from capslice_tui.workspace import Workspace


def screen_text(app: Any) -> str:
    """What the terminal shows (80x24)."""
    console = Console(width=SIZE[0], height=SIZE[1], file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


def _store_with_slice(
    tmp_path: Path, n_slices: int = 1, description: str = "discovered cluster; terms: modulo"
) -> tuple[Path, Workspace, list[int]]:
    store = build_store(tmp_path)
    ws = Workspace(store)
    items = [r[0] for r in ws.store.query("SELECT id FROM items ORDER BY id LIMIT 40")]
    for i in range(n_slices):
        ws.store.create_named_slice(
            f"slice-{i}",
            items[: 30 + i],
            who="ann",
            note="aime remainders",
            description=description,
        )
    return store, ws, items


async def test_menu_l_shows_the_current_history_on_top_and_u_undoes_the_newest(
    tmp_path: Path,
) -> None:
    store, ws, _ = _store_with_slice(tmp_path)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "l")
        await settle(app, pilot)
        assert table_rows(app) == []  # nothing labelled yet
        await pilot.press("m", "s")
        await settle(app, pilot)
        assert isinstance(app.screen, NamedSlicesScreen)
        ws.label_slice("slice-0", {"task_type": "logical_deduction"}, who=ws.current_user())
        await pilot.press("m", "l")
        await settle(app, pilot)
        # a new history on top of the named slices (was: the old one, "0 actions", the
        # named slices popped off the stack)
        assert [type(s) for s in app.screen_stack] == [
            RunsScreen, LabelHistoryScreen, NamedSlicesScreen, LabelHistoryScreen,
        ]  # fmt: skip
        rows = table_rows(app)
        assert len(rows) == 1 and rows[0][2] == "set"
        assert "1 action" in static_text(app, "#status")
        await pilot.press("u")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)  # the newest action, asked first
        await pilot.press("y")
        await settle(app, pilot)
        assert ws.label_actions(limit=5)[0]["batch"].startswith("undo:")
        assert [r[2] for r in table_rows(app)] == ["undo", "set"]
        await pilot.press("b")
        await settle(app, pilot)
        assert isinstance(app.screen, NamedSlicesScreen)
        await pilot.press("b")
        await settle(app, pilot)
        # the history opened first, returned to, reads the store again
        assert isinstance(app.screen, LabelHistoryScreen)
        assert [r[2] for r in table_rows(app)] == ["undo", "set"]


async def test_a_named_slices_members_are_reachable_at_80x24(tmp_path: Path) -> None:
    store, _, items = _store_with_slice(tmp_path, n_slices=9, description="terms " * 60)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "s")
        await settle(app, pilot)
        # 9 slices (the table takes 8 rows), a description over 5 lines: the record is longer
        assert " items:" not in screen_text(app)
        assert static_text(app, "#detail-more").strip() == "more below: j"
        await pilot.press("j", "j")
        await settle(app, pilot)
        shown = screen_text(app)
        assert " items:" in shown and f"{items[0]}, {items[1]}" in shown
        assert static_text(app, "#detail-more").strip() == "more above: k"
        assert isinstance(app.screen, NamedSlicesScreen)


async def test_one_named_slice_shows_its_members_at_80x24(tmp_path: Path) -> None:
    store, _, items = _store_with_slice(tmp_path)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "s")
        await settle(app, pilot)
        assert " items:" in screen_text(app) and static_text(app, "#detail-more").strip() == ""


async def test_labelling_a_named_slice_makes_its_note_current(tmp_path: Path) -> None:
    store, ws, _ = _store_with_slice(tmp_path)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "s")
        await settle(app, pilot)
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, LabelEditScreen)
        await pilot.press("enter")  # the first axis
        await pilot.pause()
        await pilot.press("tab", *"relabel test", "enter")  # the highlighted value, a note
        await settle(app, pilot)
        assert isinstance(app.screen, NamedSlicesScreen)
        assert ws.named_slice("slice-0")["version"] == 2  # the label was written
        # ../shared/cases/store-01-note-history: the newest labelling note is the slice's
        # current one; the earlier note stays in the label history
        assert ws.named_slice("slice-0")["note"] == "relabel test"
        assert "note: relabel test" in " ".join(static_text(app, "#detail").split())
        assert ws.label_actions(limit=1)[0]["notes"] == "relabel test"  # the action's note


async def _trend_of_base_and_cand(app: Any, pilot: Any) -> None:
    await settle(app, pilot)
    await pilot.press("m", "k")
    await settle(app, pilot)
    await pilot.press("space", "down", "space", "enter")
    await settle(app, pilot)
    assert isinstance(app.screen, TrendScreen) and app.screen.trend is not None


async def test_the_mode_mix_title_names_the_grouping_after_g(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await _trend_of_base_and_cand(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        assert static_text(app, "#title").startswith("Trend by task:")
        await pilot.press("g")
        await settle(app, pilot)
        axes = app.screen.axes  # the picker: task, benchmark, then the taxonomy's axes
        await pilot.press("space", *["down"] * axes.index("task_type"), "space", "a")
        await settle(app, pilot)
        assert app.screen.view == "modes" and app.screen.by == "task_type"
        assert static_text(app, "#title").startswith("Trend by task_type:")


async def test_q_on_a_trend_goes_back_to_the_run_picker_as_b_does(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await _trend_of_base_and_cand(app, pilot)
        await pilot.press("q")
        await settle(app, pilot)
        assert isinstance(app.screen, TrendScreen) and app.screen.trend is None
        assert static_text(app, "#title").startswith("Trend: space marks runs")
        assert app.screen.query_one("#trend-table").cursor_row == 1  # where Enter was
        await pilot.press("q")
        await settle(app, pilot)
        assert isinstance(app.screen, RunsScreen)
