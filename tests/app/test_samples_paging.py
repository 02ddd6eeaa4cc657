"""The samples screen over a slice far bigger than a page, at 80x24: PgDn reads on across page
boundaries with a bounded widget, End reaches the true last sample, s sorts as a query, /
searches text (a Chinese substring too), j jumps to a doc."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import SIZE, settle, static_text
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens import samples as samples_mod
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.app.widgets.result_table import ResultTable

N_ITEMS = 1500
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated run (``ckpt-000``) of 1,500 samples with text (benchmarks/big_store.py)."""
    spec = importlib.util.spec_from_file_location("big_store", ROOT / "benchmarks" / "big_store.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("big-slice") / "store.db"
    module.build(path, 1, N_ITEMS, text=True)
    return path


def _ids(path: Path, sql: str, *params: Any) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute(sql, params)]


async def _open(app: Any, pilot: Any) -> SamplesScreen:
    await settle(app, pilot)
    screen = SamplesScreen("ckpt-000", title="all samples")
    await app.push_screen(screen)
    await settle(app, pilot)
    return screen


def _position(screen: SamplesScreen) -> int:
    """Index of the cursor row in the whole slice."""
    assert screen.row_offset is not None
    return screen.row_offset + screen.query_one(ResultTable).cursor_row


async def test_pgdn_50_times_never_stops_and_the_table_stays_bounded(big_store: Path) -> None:
    app = make_app(big_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        table = screen.query_one(ResultTable)
        assert f"of {N_ITEMS:,} samples" in static_text(app, "#status")
        all_ids = _ids(big_store, "SELECT id FROM samples ORDER BY id")
        step = None
        for _ in range(50):
            before = _position(screen)
            await pilot.press("pagedown")
            await settle(app, pilot)
            moved = _position(screen) - before
            step = step or moved
            assert moved == step > 5  # the same stride at every page boundary
            assert table.row_count <= samples_mod.WINDOW_PAGES * samples_mod.PAGE
            assert table.current_payload == all_ids[_position(screen)]
        assert _position(screen) == 50 * step > 3 * samples_mod.PAGE
        # and back up across the boundaries just crossed
        for _ in range(10):
            before = _position(screen)
            await pilot.press("pageup")
            await settle(app, pilot)
            assert before - _position(screen) == step
            assert table.current_payload == all_ids[_position(screen)]


async def test_end_goes_to_the_true_last_sample_and_home_back(big_store: Path) -> None:
    app = make_app(big_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        table = screen.query_one(ResultTable)
        last = _ids(big_store, "SELECT max(id) FROM samples")[0]
        await pilot.press("end")
        await settle(app, pilot)
        assert table.current_payload == last
        assert f"of {N_ITEMS:,} samples" in static_text(app, "#status")
        assert f"-{N_ITEMS:,} of" in static_text(app, "#status")
        await pilot.press("home")
        await settle(app, pilot)
        assert table.current_payload == _ids(big_store, "SELECT min(id) FROM samples")[0]


async def test_sort_is_a_query_over_the_whole_slice(big_store: Path) -> None:
    app = make_app(big_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("s")  # task
        await settle(app, pilot)
        assert screen.sort_by == "task"
        first_task = _ids(big_store, "SELECT min(task) FROM samples")[0]
        assert screen.rows[0]["task"] == first_task
        await pilot.press("S")  # task, descending
        await settle(app, pilot)
        assert screen.rows[0]["task"] == _ids(big_store, "SELECT max(task) FROM samples")[0]
        keys = [(r["task"], r["id"]) for r in screen.rows]
        assert keys == sorted(keys, reverse=True)
        assert "by task desc" in static_text(app, "#status")


async def _type_into_prompt(app: Any, pilot: Any, key: str, text: str) -> None:
    await pilot.press(key)
    await pilot.pause()
    app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await settle(app, pilot)


async def test_search_finds_a_chinese_substring_and_jump_reaches_a_doc(big_store: Path) -> None:
    app = make_app(big_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        # one prompt in 7 holds the Chinese sentence; search a substring from its middle
        expected = _ids(
            big_store,
            "SELECT s.id FROM samples s JOIN texts t ON t.hash = s.prompt_hash"
            " WHERE t.text LIKE ? ORDER BY s.id",
            "%苹果，他又%",
        )
        assert 0 < len(expected) < N_ITEMS
        await _type_into_prompt(app, pilot, "slash", "苹果，他又")
        assert screen.search_text == "苹果，他又"
        assert screen.total == len(expected)
        assert [r["id"] for r in screen.rows] == expected[: len(screen.rows)]
        assert f"of {len(expected):,} samples" in static_text(app, "#status")
        # the empty answer clears the search
        await _type_into_prompt(app, pilot, "slash", "")
        assert screen.search_text is None and screen.total == N_ITEMS
        await _type_into_prompt(app, pilot, "j", "37")
        table = screen.query_one(ResultTable)
        doc_first = _ids(big_store, "SELECT min(id) FROM samples WHERE doc_id = '37'")[0]
        assert table.current_payload == doc_first
        row = next(r for r in screen.rows if r["id"] == table.current_payload)
        assert row["doc_id"] == "37"
