"""pass@k ``all``: the pass@k curve (powers of two up to n, and n), and the ks a user names
beside it (``1,8,all``) always show, in the CLI at any width and in the app's ``k`` prompt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle, table_rows
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.prompt import PromptScreen
from capslice_tui.app.screens.slices import SlicesScreen, pick_ks
from capslice_tui.app.widgets.result_table import ResultTable
from capslice_tui.cli.root import _slices_expendable
from capslice_tui.workspace.core import parse_ks


def test_all_is_the_pass_at_k_curve_and_named_ks_stay() -> None:
    assert parse_ks(["all"], 128) == [1, 2, 4, 8, 16, 32, 64, 128]
    assert parse_ks(None, 128) == parse_ks(["all"], 128)
    assert parse_ks(["1", "8", "all"], 128) == [1, 2, 4, 8, 16, 32, 64, 128]
    assert parse_ks(["3", "all"], 65) == [1, 2, 3, 4, 8, 16, 32, 64, 65]
    assert parse_ks(["5"], 16) == [5]
    for bad in ("0", "x", "-2", "1.5"):
        with pytest.raises(ValueError, match=repr(bad)):
            parse_ks([bad], 16)


def test_a_narrow_table_drops_the_curve_before_a_named_k() -> None:
    order = _slices_expendable(("1", "8", "all"), [1, 2, 4, 8, 16, 32, 64, 128])
    assert "pass@1" not in order and "pass@8" not in order
    assert order.index("pass@128") < order.index("note") < order.index("95% CI")
    # none named: the middle of the curve first, the count never (walk 9 #37); pass@1 (the
    # score again) before the interval
    assert _slices_expendable((), [1, 2, 4]) == (
        "lenient", "pass@2", "pass@1", "95% CI", "note", "pass@4",
    )  # fmt: skip


def test_the_app_shows_named_ks_first() -> None:
    curve = [1, 2, 4, 8, 16, 32, 64, 128]
    assert pick_ks(curve, 80, [1, 8]) == [1, 8]
    assert pick_ks(curve, 120, [1, 8]) == [1, 8, 128]
    assert pick_ks(curve, 80, [8]) == [8, 128]
    assert pick_ks(curve, 80, [1, 4, 8]) == [1, 4, 8]  # more than fit: every named k shows
    assert pick_ks([1, 16, 128], 80) == [16, 128]  # none named: as before


def _slices(store: Path, columns: int, *args: str) -> str:
    env = {**os.environ, "COLUMNS": str(columns)}
    cmd = [sys.executable, "-m", "capslice_tui", "--store", str(store), "slices", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout


@pytest.mark.parametrize("columns", [50, 80, 200])
def test_cli_named_ks_show_beside_all_at_any_width(store_path: Path, columns: int) -> None:
    out = _slices(store_path, columns, "--run", "mathrun", "--k", "3", "--k", "1", "--k", "all")
    header = out.splitlines()[1].split()
    assert "pass@1" in header and "pass@3" in header, out


def test_cli_json_of_all_carries_the_curve_and_named_ks(store_path: Path) -> None:
    out = _slices(store_path, 80, "--run", "mathrun", "--k", "3", "--k", "all", "--format", "json")
    assert list(json.loads(out)["overall"]["pass_at_k"]) == ["1", "2", "3", "4"]


async def test_app_k_1_all_shows_pass_at_1(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down", "enter")  # mathrun: 4 samples per item
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "1,all"
        await pilot.press("enter")
        await settle(app, pilot)
        header = [str(c.label) for c in app.screen.query_one(ResultTable).columns.values()]
        assert "p@1" in header and "p@4" in header, header
        assert table_rows(app)[0][0].endswith("ALL")
