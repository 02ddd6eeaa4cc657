"""Walk 9 at 80x24 on the demo store: discover folds every group that restates a label (the
table, the fold row and ``o`` agree, #23), the menu's trend picker opens on the run you are on
(#24), and the runs help gives push and pull each its key (#28)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import SIZE, settle, static_text
from pilot_helpers import table_rows as rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.discover import DiscoverScreen
from capslice_tui.app.screens.trend import TrendScreen
from capslice_tui.app.widgets.result_table import ResultTable


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README demo's store (``capslice demo --no-tui``)."""
    from capslice_tui.workspace import Workspace
    from capslice_tui.workspace.demo import build_demo

    store = tmp_path_factory.mktemp("walk9-demo") / "capslice.db"
    build_demo(Workspace(store), force=False, progress=lambda _msg: None)
    return store


async def _runs_cursor_on(app: Any, pilot: Any, run: str) -> None:
    """Move the runs screen's cursor down to ``run``."""
    for _ in range(app.screen.query_one(ResultTable).row_count):
        if app.screen.context_run() == run:
            return
        await pilot.press("down")
    raise AssertionError(f"{run} is not on the runs screen")


async def _discover_on_math_base(app: Any, pilot: Any) -> None:
    """From the runs screen, open discover (menu ``m d``) on math-base."""
    await settle(app, pilot)
    await _runs_cursor_on(app, pilot, "math-base")
    await pilot.press("m", "d")
    await settle(app, pilot)


async def test_discover_on_math_base_folds_the_group_that_restates_a_label(
    demo_store: Path,
) -> None:
    """The walk saw ``q:consider ... restates solvin~`` as row 3 of 4, then ``o``: 'no folded
    groups: none restates an existing label'."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await _discover_on_math_base(app, pilot)
        assert isinstance(app.screen, DiscoverScreen) and app.screen.run == "math-base"
        await pilot.press("d")
        await settle(app, pilot)
        data = app.screen.data
        assert data is not None and data["folded"]
        n, folded = len(data["suggestions"]), data["folded"]
        table = rows(app)
        assert len(table) == n + 1 and table[n][:2] == ["+", f"{len(folded)} folded"], table
        # no shown row restates a label: the labels column says so only under the fold
        assert not [r for r in table[:n] if r[5].startswith("restates")], table
        await pilot.press("o")
        status = static_text(app, "#status")
        assert "no folded groups" not in status and "restates an existing label" in status
        table = rows(app)
        assert len(table) == n + 1 + len(folded)
        assert all(r[5].startswith("restates ") for r in table[n + 1 :]), table


async def test_menu_trend_opens_on_the_run_of_the_discover_screen(demo_store: Path) -> None:
    """From discover on math-base, ``m k`` opened the picker on its first row (bbh-base)."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await _discover_on_math_base(app, pilot)
        await pilot.press("m", "k")
        await settle(app, pilot)
        assert isinstance(app.screen, TrendScreen)
        assert app.screen.query_one(ResultTable).current_payload == "math-base"
        # discover's n moves it to another run: the trend follows the run discover is on
        await pilot.press("b")
        await settle(app, pilot)
        assert isinstance(app.screen, DiscoverScreen)
        await pilot.press("n")
        other = app.screen.run
        assert other and other != "math-base"
        await pilot.press("m", "k")
        await settle(app, pilot)
        assert isinstance(app.screen, TrendScreen)
        assert app.screen.query_one(ResultTable).current_payload == other


def test_runs_help_gives_push_and_pull_each_its_key() -> None:
    """#28: ``(H, shift+h: push and pull)`` read as two keys for two actions; H is shift+h
    and opens the hubs screen, whose p pushes and l pulls."""
    from capslice_tui.app.screens.hub import HubScreen
    from capslice_tui.app.screens.runs import RunsScreen

    legend = " ".join(RunsScreen.HELP_LEGEND)
    assert "shift+h: push and pull" not in legend
    assert "(H, that is shift+h, opens the team hubs: there p pushes, l pulls)" in legend
    keys = {b.key: b.action for b in HubScreen.BINDINGS if hasattr(b, "action")}
    assert keys["p"] == "push" and keys["l"] == "pull"  # the keys the legend names
