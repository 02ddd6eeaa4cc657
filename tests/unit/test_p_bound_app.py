"""The app explains a Benjamini-Hochberg adjusted p printed as a bound, and console mode keeps
an ``or equal`` readable.

A paired-bootstrap p at its floor 1/(B+1) makes its adjusted p an upper bound, printed
``<=0.0020``; the CLI and the interventions screen say so under it
(``formatting.P_BOUND_NOTE``), the compare and diagnose screens showed the bound without the
note. In console mode (``TERM=linux``) the line filter wrote ``≤``/``≥`` cell for cell as
``<``/``>``, so ``x ≤ 5`` read as the strict ``x < 5``. Pilot at 80x24 (the async tests of
``tests/app`` run through its conftest; these run their own loop).
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from plan_fixtures import write_sampled_run
from rich.console import Console
from rich.segment import Segment
from textual.app import ComposeResult
from textual.color import Color
from textual.screen import Screen
from textual.widgets import DataTable, Static

from capslice_tui.app.app import make_app
from capslice_tui.app.console import AsciiLineFilter, foreign_glyphs
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.formatting import P_BOUND_NOTE
from capslice_tui.workspace import Workspace

TASKS = ("minerva_math_num_theory", "minerva_math_algebra")
SIZE = (80, 24)


def _store(folder: Path, samples: int) -> Path:
    """Runs ``base`` and ``good`` (number theory 5 -> 25 of 30 items right, algebra 20 both):
    with 4 samples per item the slices are tested by paired bootstrap and number theory's p
    sits at its floor (p adj ``<=0.0020``); with one sample, by exact McNemar (no bound)."""
    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace(folder / "w.db")
    for run, right in (("base", (5, 20)), ("good", (25, 20))):
        path = write_sampled_run(folder / f"{run}.jsonl", TASKS, right, samples)
        ws.ingest([path], run=run, benchmark="math")
    return folder / "w.db"


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("p-bound")
    return {"bootstrap": _store(root / "boot", 4), "mcnemar": _store(root / "mcn", 1)}


def screen_lines(app: Any) -> list[str]:
    """The terminal as drawn (line filters applied), one row a line, trailing blanks cut."""
    console = Console(width=SIZE[0], height=SIZE[1], file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return [line.rstrip() for line in console.export_text(styles=False).split("\n")][: SIZE[1]]


def words(text: str) -> str:
    return " ".join(text.split())


async def _settle(app: Any, pilot: Any) -> None:
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


def _open(store: Path, screen: Any, *, ascii: bool = False) -> tuple[list[str], Any]:
    """Open ``screen`` on ``store`` at 80x24; the drawn lines and the screen's
    ``(widget id -> rendered text)`` of its Statics."""

    async def run() -> tuple[list[str], Any]:
        app = make_app(store, ascii=ascii)
        async with app.run_test(size=SIZE) as pilot:
            await _settle(app, pilot)
            app.push_screen(screen)
            await _settle(app, pilot)
            statics = {
                w.id: str(w.render()) for w in app.screen.query(Static) if w.id and w.display
            }
            return screen_lines(app), statics

    return asyncio.run(run())


@pytest.mark.parametrize("ascii", [False, True])
def test_compare_explains_a_bound_p_adj_under_its_table(
    stores: dict[str, Path], ascii: bool
) -> None:
    lines, statics = _open(
        stores["bootstrap"], CompareScreen("base", "good", benchmark="math"), ascii=ascii
    )
    drawn = "\n".join(lines)
    row = next(line for line in lines if "num_theory" in line)
    assert "<=0.0020" in row.split(), drawn
    assert P_BOUND_NOTE in words(drawn), drawn
    # 80x24 whole: the table's rows, the detail line, the status and the keys still show
    assert "2 tested by task" in drawn and "p adj" in drawn and "Group" in drawn, drawn
    assert len(lines) == SIZE[1] and max(map(len, lines)) <= SIZE[0], drawn
    assert P_BOUND_NOTE in words(statics["bound-note"])


def test_compare_without_a_bound_shows_no_note(stores: dict[str, Path]) -> None:
    lines, statics = _open(stores["mcnemar"], CompareScreen("base", "good", benchmark="math"))
    drawn = "\n".join(lines)
    row = next(line for line in lines if "num_theory" in line)
    assert "<=" not in row and "<0.0001" in row.split(), drawn
    assert "adjusted from a bootstrap" not in drawn and "bound-note" not in statics, drawn


def test_diagnose_explains_a_bound_p_adj_with_its_slice_table(stores: dict[str, Path]) -> None:
    _, statics = _open(stores["bootstrap"], DiagnoseScreen("base", "good", benchmark="math"))
    title = statics["slices-title"]
    assert P_BOUND_NOTE in words(title), title
    assert max(map(len, title.splitlines())) <= SIZE[0] - 2, title  # wrapped, not cut
    assert "p_adj<=0.0020" in words(statics["summary"])  # the bound the note explains


def test_diagnose_without_a_bound_has_no_note(stores: dict[str, Path]) -> None:
    _, statics = _open(stores["mcnemar"], DiagnoseScreen("base", "good", benchmark="math"))
    assert "adjusted from a bootstrap" not in statics["slices-title"]


def test_console_filter_keeps_or_equal_apart_from_the_strict_signs() -> None:
    """Cell for cell: the line keeps its length, ``≤``/``≥`` read ``<=``/``>=`` by giving up
    a blank of their segment, and never the strict ``<``/``>``."""
    cases = {
        "x ≤ 5 and y ≥ 3": "x <=5 and y >=3",
        "p adj ≤0.0020  ": "p adj<=0.0020  ",
        "≥0.95   |": ">=0.95  |",
        "n≤k, m≥j   tail": "n<=k, m>=j tail",
    }
    for text, want in cases.items():
        out = AsciiLineFilter().apply([Segment(text)], Color(0, 0, 0))
        got = "".join(s.text for s in out)
        assert got == want and len(got) == len(text), (text, got)
        assert not foreign_glyphs(got)
    # with no blank to give up, the one-cell forms: still ASCII, still the same length
    out = "".join(s.text for s in AsciiLineFilter().apply([Segment("a≤b")], Color(0, 0, 0)))
    assert len(out) == 3 and not foreign_glyphs(out)


class _Glyphs(Screen[None]):
    """A sample's text and a table cell holding the inequality glyphs."""

    def compose(self) -> ComposeResult:
        yield Static("answer: x ≤ 5 or y ≥ 3", id="text")
        yield DataTable(id="cells")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("bound", "next")
        table.add_row("≤0.0020", "ok")


def test_console_mode_draws_or_equal_on_screen(stores: dict[str, Path]) -> None:
    lines, _ = _open(stores["mcnemar"], _Glyphs(), ascii=True)
    drawn = "\n".join(lines)
    assert "answer: x <=5 or y >=3" in drawn, drawn
    row = next(line for line in lines if "0.0020" in line)
    assert "<=0.0020" in row and row.split() == ["<=0.0020", "ok"], row
    assert not foreign_glyphs(drawn.replace("\n", "")), drawn
