"""Screens tested by picture (pytest-textual-snapshot): each screen at 80x24 and 120x40 on a
small real store, also under ``NO_COLOR`` and in the ASCII console mode.

The store is the app tests' lm-eval files (two BBH-like greedy runs, one math run with four
samples per item), built once; the header shows a fixed store name, so the pictures hold no
temporary path and no clock. After a deliberate change to a screen, look at the differences in
``snapshot_report.html`` and update the pictures with
``.venv/bin/python -m pytest tests/snapshots --snapshot-update``.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from lmeval_files import build_store  # noqa: E402

from capslice_tui.app.app import make_app  # noqa: E402
from capslice_tui.workspace import Workspace  # noqa: E402

STORE_NAME = "capslice.db"
"""What the header shows as the store (the real one lives in a temporary folder)."""

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}

# screen -> the keys that reach it from the runs screen (each followed by waiting for workers)
SCREENS: dict[str, list[str]] = {
    "runs": [],
    "slices": ["enter"],
    "samples": ["enter", "enter"],
    "compare": ["c", "down", "c"],
    "diagnose": ["c", "down", "c", "d"],
    "plan": ["m", "p"],
    "trend": ["m", "k"],
    "trend-scores": ["m", "k", "space", "down", "space", "enter"],
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("snapshot-store"))


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same picture on every machine: no colour or console settings from outside."""
    for name in ("NO_COLOR", "CAPSLICE_ASCII", "CAPSLICE_KEYMAP", "TERM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent-capslice-snapshots")


def _walk(keys: list[str]) -> Callable[[Any], Awaitable[None]]:
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        for key in [None, *keys]:
            if key is not None:
                await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
        for field in app.screen.query(Input):  # a blinking cursor is a coin toss per picture
            field.cursor_blink = False
        # the footer follows focus one refresh later: let it settle before the picture
        for _ in range(3):
            await pilot.wait_for_scheduled_animations()
            await pilot.pause(0.05)

    return run_before


def _app(store: Path, ascii: bool = False) -> Any:
    return make_app(STORE_NAME, workspace=Workspace(store), ascii=ascii)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare: Any, store: Path, screen: str, size: str) -> None:
    assert snap_compare(_app(store), terminal_size=SIZES[size], run_before=_walk(SCREENS[screen]))


@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen_no_color(
    snap_compare: Any, store: Path, screen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=_walk(SCREENS[screen]))


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", ["runs", "compare", "diagnose"])
def test_screen_ascii_console(snap_compare: Any, store: Path, screen: str, size: str) -> None:
    app = _app(store, ascii=True)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_walk(SCREENS[screen]))
