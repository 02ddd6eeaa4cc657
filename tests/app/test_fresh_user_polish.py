"""What a fresh user found hard to read on the app's screens at 80x24: the help's
failure-mode markers (fmt!, trunc) say plainly what they mean; long run names keep the end
that tells checkpoints apart, and the highlighted run's whole name is on screen."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import SIZE, settle, static_text, table_rows
from rich.console import Console

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.app.screens.help import render_help
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.app.screens.trend import TrendScreen, trend_title


@pytest.mark.parametrize("screen", [SamplesScreen, DiagnoseScreen])
def test_help_says_plainly_what_fmt_and_trunc_mean(screen: type) -> None:
    text = render_help(screen.HELP_TITLE, [], screen.HELP_LEGEND, width=80).plain
    words = " ".join(text.split())  # the help wraps at 80 columns
    assert "fmt! (extraction_failure) = right answer in the response, not extracted" in words
    assert "trunc (truncated) = the response stopped at the generation length cap" in words
    assert all(len(line) <= 80 for line in text.splitlines())


# ------------------------------------------------------------- long run names at 80x24

LONG = "demo-org/demo-1b-pretrain-mixture-v3-step-0"
"""Checkpoint runs of one training: their names differ only at the end."""


@pytest.fixture(scope="module")
def long_names_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lmeval_files import write_runs

    from capslice_tui.workspace import Workspace

    root = tmp_path_factory.mktemp("long-names")
    runs = write_runs(root / "logs")
    store = root / "store.db"
    ws = Workspace(store)
    ws.ingest([runs["base"]], run=f"{LONG}49000", benchmark="bbh", step=49000)
    ws.ingest([runs["cand"]], run=f"{LONG}51000", benchmark="bbh", step=51000)
    return store


def _screen_text(app: Any) -> str:
    console = Console(width=SIZE[0], height=SIZE[1], file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


async def test_runs_screen_keeps_the_end_of_long_run_names(long_names_store: Path) -> None:
    app = make_app(long_names_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        names = [row[0] for row in table_rows(app)]
        assert len(names) == 2 and all("…" in n for n in names), names  # cut ...
        assert names[0].endswith("step-049000") and names[1].endswith("step-051000"), names
        # ... and the highlighted run's whole name is on screen
        assert static_text(app, "#hint") == f"run: {LONG}49000"
        assert f"run: {LONG}49000" in _screen_text(app)
        await pilot.press("down")
        await pilot.pause()
        assert static_text(app, "#hint") == f"run: {LONG}51000"


async def test_trend_title_and_picker_keep_the_end_of_long_run_names(
    long_names_store: Path,
) -> None:
    app = make_app(long_names_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "k")
        await settle(app, pilot)
        assert isinstance(app.screen, TrendScreen)
        names = [row[1] for row in table_rows(app)]
        assert names[0].endswith("step-049000") and names[1].endswith("step-051000"), names
        assert f"run: {LONG}49000" in _screen_text(app)
        await pilot.press("space", "down", "space", "enter")
        await settle(app, pilot)
        title = static_text(app, "#title")
        assert "…" not in title.split(":", 1)[1], title  # the names themselves are whole
        assert "049000@49000 < 051000@51000" in title, title
        assert title in _screen_text(app)


def test_trend_title_cuts_names_in_the_middle_only() -> None:
    runs = [(f"{LONG}{s}000", s * 1000) for s in (49, 51, 53)]
    title = trend_title(["task"], runs)
    assert len(title) <= 78
    assert title.endswith("049000@49000 < 051000@51000 < 053000@53000"), title
    assert trend_title(["task"], [("base", 100), ("cand", 200)]) == (
        "Trend by task: base@100 < cand@200"
    )
