"""The trend's failure-mode mix by picture (pytest-textual-snapshot): at 80x24, plain, without
colour and in the ASCII console mode, on the snapshot store of ``test_screens.py`` (runs
``base`` and ``cand`` picked with space, down, space, Enter, then ``f``).

Update after a deliberate change with
``.venv/bin/python -m pytest tests/snapshots/test_trend_modes_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from lmeval_files import build_store  # noqa: E402

from capslice_tui.app.app import make_app  # noqa: E402
from capslice_tui.workspace import Workspace  # noqa: E402

KEYS = ["m", "k", "space", "down", "space", "enter", "f"]
"""From the runs screen: menu, trend, mark base and cand, show their trend, the mode mix."""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("trend-modes-snapshot"))


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same picture on every machine: no colour or console settings from outside."""
    for name in ("NO_COLOR", "CAPSLICE_ASCII", "CAPSLICE_KEYMAP", "TERM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent-capslice-snapshots")


async def _walk(pilot: Any) -> None:
    app = pilot.app
    for key in [None, *KEYS]:
        if key is not None:
            await pilot.press(key)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
    for _ in range(3):  # the footer follows focus one refresh later
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.05)


def _app(store: Path, ascii: bool = False) -> Any:
    return make_app("capslice.db", workspace=Workspace(store), ascii=ascii)


def test_trend_modes(snap_compare: Any, store: Path) -> None:
    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=_walk)


def test_trend_modes_no_color(
    snap_compare: Any, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=_walk)


def test_trend_modes_ascii_console(snap_compare: Any, store: Path) -> None:
    assert snap_compare(_app(store, ascii=True), terminal_size=(80, 24), run_before=_walk)
