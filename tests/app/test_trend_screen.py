"""The checkpoint trend screen: reached from the menu by k, runs picked with space, one row per
slice with an ASCII sparkline over steps, the highlighted slice's points with interval bars."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import SIZE, settle, static_text, table_rows
from rich.console import Console

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.trend import TrendScreen, interval_bar, sparkline
from capslice_tui.workspace import Workspace


def screen_text(app: Any) -> str:
    console = Console(width=SIZE[0], height=SIZE[1], file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


def test_sparkline_scales_to_each_series_and_keeps_gaps() -> None:
    # the middle level is ":", not "-" (a flat row) or "*" (the score in the interval bars)
    assert sparkline([0.0, 0.5, 1.0, None, 0.9]) == "_:# +"
    assert sparkline([0.1, 0.12]) == "_#"  # its own low..high: a 2-point rise reads
    # a +4.2 point rise at a high level is not a flat line (it was "--" on 0-100%)
    assert sparkline([0.512, 0.533, 0.554]) == "_:#"
    assert sparkline([0.6, 0.6, None, 0.6]) == "-- -"  # flat when equal...
    assert sparkline([0.5, 0.5004]) == "--"  # ...or when the change prints as +0.0
    assert sparkline([0.5, 0.5005]) == "_#"  # +0.1 (rounded) is a change
    assert sparkline([None, None]) == "  "


def test_interval_bar_marks_ends_and_score() -> None:
    bar = interval_bar(0.5, 0.25, 0.75)
    assert bar.startswith("|") and bar.endswith("|") and len(bar) == 32
    inner = bar[1:-1]
    assert inner.index("[") < inner.index("*") < inner.index("]")
    assert inner.index("*") == round(0.5 * 29)
    assert interval_bar(None, None, None) == ""


async def test_trend_walk_with_plain_keys(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAPSLICE_ASCII", "1")
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "k")
        await settle(app, pilot)
        assert isinstance(app.screen, TrendScreen)
        assert [r[1] for r in table_rows(app)] == ["base", "cand", "mathrun"]  # by step
        assert "space Mark" in screen_text(app)  # picking: the footer offers marking
        await pilot.press("space", "down", "space")  # base, cand
        await pilot.pause()
        assert [r[0] for r in table_rows(app)] == ["[x]", "[x]", "[ ]"]
        await pilot.press("enter")
        await settle(app, pilot)
        rows = table_rows(app)
        ws = Workspace(store_path)
        base, cand = ws.slices("base"), ws.slices("cand")
        # the prefix every task shares is left out of the names, and the header says which
        assert "slice (bbh_cot_fewshot_...)" in screen_text(app)
        boolean = next(r for r in rows if r[0].startswith("boolean_expressions"))
        expected = [base.rows[0].score, cand.rows[0].score]
        assert boolean[1] == sparkline(expected) == "#_"  # its high (76%), then its low (52%)
        assert boolean[2:5] == ["76.0%", "52.0%", "-24.0"]
        assert rows[-1][0] == "ALL"
        detail = static_text(app, "#detail-line")
        assert "100  76.0% [56.6%, 88.5%]" in detail and "*" in detail
        assert "base@100 < cand@200" in static_text(app, "#title")
        text = screen_text(app)
        assert ">boolean_expressions" in text.replace(" ", "")  # the text cursor
        assert "space Mark" not in text and "w Warnings" in text  # trend: no marking
        await pilot.press("down")
        await pilot.pause()
        assert "100  72.0%" in static_text(app, "#detail-line")  # object_counting's points
        await pilot.press("b")  # back to picking
        await settle(app, pilot)
        assert table_rows(app)[0][0] == "[x]"
        await pilot.press("b")
        await pilot.pause()
        assert not isinstance(app.screen, TrendScreen)


async def test_runs_without_enough_steps_are_refused_in_words(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(TrendScreen())
        await settle(app, pilot)
        await pilot.press("space", "enter")  # one run marked
        await settle(app, pilot)
        assert "mark 2+ runs with space" in static_text(app, "#status")
        assert app.screen.trend is None


async def test_f_toggles_the_failure_mode_mix(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """f on a trend shows each slice's stacked mode bar at the first and last step, one legend
    line and the highlighted slice's shares per step; f again is back to the scores."""
    from capslice_tui.app.console import foreign_glyphs
    from capslice_tui.formatting import mix_legend
    from capslice_tui.workspace.trend import MODE_GLYPHS, mix_bar

    monkeypatch.setenv("CAPSLICE_ASCII", "1")
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "k")
        await settle(app, pilot)
        await pilot.press("space", "down", "space", "enter")
        await settle(app, pilot)
        assert table_rows(app)[0][1] == "#_"  # scores: the sparkline
        assert "f Modes" in screen_text(app)
        await pilot.press("f")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TrendScreen) and screen.view == "modes"
        mix = Workspace(store_path).trend_modes(["base", "cand"])
        boolean = mix.series[0]
        assert boolean.points[0].counts == {"correct": 19, "wrong_answer": 6}
        rows = table_rows(app)
        assert rows[0][0] == "boolean_expressions"  # whole: the shared prefix is left out
        assert "bbh_cot_fewshot_..." in screen_text(app)  # and the header says which
        assert rows[0][1:] == [
            mix_bar(boolean.points[0], mix.modes),
            mix_bar(boolean.points[1], mix.modes),
            "25",
        ]
        assert rows[0][1] == "###############xxxxx"  # 19/25 right = 15.2 of 20 cells
        assert rows[-1][0] == "ALL"
        detail = static_text(app, "#detail-line").splitlines()
        assert detail[0] == mix_legend(MODE_GLYPHS, mix.modes) == "mix: #=correct x=wrong"
        assert detail[1].split() == ["100", "###############xxxxx", "n=25", "#=76.0%", "x=24.0%"]
        assert detail[2].split()[-2:] == ["#=52.0%", "x=48.0%"]
        text = screen_text(app)
        assert sum("=correct" in line for line in text.splitlines()) == 1  # one legend
        assert not foreign_glyphs(text)  # reads on the Linux console
        await pilot.press("down")
        await pilot.pause()
        assert "#=72.0%" in static_text(app, "#detail-line")  # object_counting, 18/25
        await pilot.press("f")
        await settle(app, pilot)
        assert screen.view == "scores" and table_rows(app)[0][1] == "#_"
        assert "100  76.0% [56.6%, 88.5%]" in static_text(app, "#detail-line")
        await pilot.press("f")  # the mix again, from the counts already read
        await settle(app, pilot)
        assert table_rows(app)[0][1] == "###############xxxxx"
        await pilot.press("b")  # back to picking: the next trend opens on scores
        await settle(app, pilot)
        assert screen.view == "scores" and table_rows(app)[0][0] == "[x]"
