"""Text that does not fit is cut with a visible mark, and cut names stay apart (issue 13's
reading fixes): a table's last column ends in "…" at the right edge instead of being cropped,
combined slice names keep what tells them apart, a score never sits beside a count it is not
the ratio of."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.app import App, ComposeResult

from capslice_tui.app.format import fit_parts
from capslice_tui.app.screens.compare import detail_line, side
from capslice_tui.app.screens.diagnose import slice_score
from capslice_tui.app.widgets.result_table import ResultTable

LONG = "Let us count the objects one by one and then add them up"


class _TableApp(App[None]):
    def __init__(self, rows: list[tuple[Any, list[str]]], pages: int = 1) -> None:
        super().__init__()
        self.rows = rows
        self.pages = pages

    def compose(self) -> ComposeResult:
        yield ResultTable()

    def on_mount(self) -> None:
        table = self.query_one(ResultTable)
        table.set_columns(["name", "score", "response"])
        table.set_rows(self.rows)
        for _ in range(self.pages - 1):
            table.append_rows(self.rows)


def _lines(app: App[None], width: int, height: int) -> list[str]:
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False).split("\n")


async def test_a_last_column_cut_at_the_edge_ends_in_an_ellipsis() -> None:
    rows = [(i, [f"run-{i}", "59.6%", f"{LONG} {i}"]) for i in range(3)]
    app = _TableApp(rows, pages=2)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        lines = [line for line in _lines(app, 40, 10) if "run-" in line]
        assert len(lines) == 6, lines
        for line in lines:  # the first page and the appended one
            assert "Let us" in line and line.rstrip().endswith("…"), line
            assert len(line.rstrip()) <= 40


async def test_a_last_column_that_fits_is_not_cut() -> None:
    rows = [(0, ["run-0", "59.6%", "short"])]
    app = _TableApp(rows)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        (line,) = [line for line in _lines(app, 40, 10) if "run-0" in line]
        assert "short" in line and "…" not in line


def test_combined_names_keep_the_tail_that_tells_them_apart() -> None:
    rows = [
        ["counting_arithmetic", "counting"],
        ["counting_probability", "casework"],
        ["logical_deduction", "boolean_evaluation"],
        ["logical_deduction", "deductive_inference"],
    ]
    shown = [fit_parts(r, 20, siblings=rows) for r in rows]
    assert len(set(shown)) == len(rows), shown
    assert all(len(s) <= 20 and "&" in s for s in shown), shown
    # values that start the same are cut in the middle, keeping their different tails
    assert shown[0].startswith("co…hmetic") and "…" in shown[0].split(" & ")[0]
    assert shown[0].split(" & ")[0] != shown[1].split(" & ")[0]
    # a value no sibling shares its start with keeps its start
    assert shown[2] == "logical… & boolean_…" and shown[3] == "logical… & deductiv…"
    # without siblings (one name alone) the cut is at the end, as before
    assert fit_parts(["short", "a_very_long_value_here"], 16) == "short & a_very_…"


def test_a_mean_of_item_accuracies_is_not_shown_beside_the_sample_ratio() -> None:
    mean = {"score": 0.431, "correct": 1093.0, "n": 5888, "n_items": 158}
    ratio = {"score": 286 / 480, "correct": 286.0, "n": 480, "n_items": 480}
    assert side(mean) == "43.1% mean" and side(ratio) == "59.6% 286/480"
    assert "1093/5888" not in detail_line({"base": mean, "cand": mean, "diff": 0.0}, "ALL")
    assert slice_score({"score": 0.048, "correct": 21.0, "n_samples": 1760}) == "4.8%* 21/1760"
    assert slice_score({"score": 0.00859375, "correct": 33.0, "n_samples": 3840}) == "0.9% 33/3840"


def test_a_cell_narrower_than_its_text_ends_in_an_ellipsis() -> None:
    from capslice_tui.app.format import cell

    console = Console(width=30, file=io.StringIO())
    rendered = console.render_lines(cell(f"first {LONG}\nsecond line"), pad=False)
    lines = ["".join(segment.text for segment in line) for line in rendered]
    assert lines[0].startswith("first Let us") and lines[0].rstrip().endswith("…"), lines
    assert lines[1].rstrip() == "second line", lines


async def test_compare_detail_and_status_end_in_an_ellipsis_when_narrow(store_path: Path) -> None:
    from pilot_helpers import settle

    from capslice_tui.app.app import make_app

    app = make_app(store_path)
    async with app.run_test(size=(44, 24)) as pilot:
        await settle(app, pilot)
        for key in ("c", "down", "c"):
            await pilot.press(key)
            await settle(app, pilot)
        lines = _lines(app, 44, 24)
        at = next(i for i, line in enumerate(lines) if line.startswith(" ALL: base"))
        # the first detail line is cut with a mark; the second (p, items, test) still shows
        assert lines[at].rstrip().endswith("…"), lines
        assert lines[at + 1].startswith(" p "), lines
        # the status line wraps instead (up to four rows): its figures are never cut
        status = " ".join(x.strip() for x in lines[at + 2 : -1])
        assert "2 tested by task · 2 sig (p adj <= q=0.05)" in status, lines
        assert not any(x.rstrip().endswith("…") for x in lines[at + 2 : -1]), lines
