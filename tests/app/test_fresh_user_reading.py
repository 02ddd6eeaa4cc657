"""A fresh user's 80x24 session under ``TERM=linux`` (console mode, ``~`` for ``…``), as the
screen shows it: every cell reads whole words or a cut that keeps what tells rows apart."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import SIZE, settle
from rich.console import Console

from capslice_tui.app.app import make_app


def screen_lines(app: Any) -> list[str]:
    """The current screen as the terminal shows it, line by line (cuts included)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False).split("\n")


@pytest.fixture(scope="module")
def demo_names_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs named as the demo's (16-character names) beside a mean-of-items math run."""
    from lmeval_files import write_runs

    from capslice_tui.workspace import Workspace

    root = tmp_path_factory.mktemp("demo-names")
    runs = write_runs(root / "logs")
    store = root / "store.db"
    ws = Workspace(store)
    ws.ingest([runs["base"]], run="bbh-eos-restored", benchmark="bbh", step=100000)
    ws.ingest([runs["cand"]], run="bbh-eos-masked", benchmark="bbh", step=110000)
    ws.ingest([runs["mathrun"]], run="math-targeted", benchmark="math", step=120000)
    return store


async def test_runs_status_reads_base_whole_after_c(demo_names_store: Path) -> None:
    app = make_app(demo_names_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        line = next(ln for ln in screen_lines(app) if ln.startswith(">"))
        assert line.rstrip().endswith(" BASE"), line
        assert "~" not in line and "…" not in line, line
