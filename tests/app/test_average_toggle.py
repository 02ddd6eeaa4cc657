"""Pilot tests: the runs and slices screens say whether a roll-up is a micro or macro mean,
and ``v`` switches between them (case ing-04-group-score)."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.runs import RunsScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.app.screens.text_detail import TextDetailScreen


async def test_runs_screen_names_and_switches_the_average(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, RunsScreen)
        assert "micro means (v)" in static_text(app, "#status")
        assert table_rows(app)[0][3:5] == ["74.0%", "37/50"]
        await pilot.press("v")
        await settle(app, pilot)
        assert "macro means (v)" in static_text(app, "#status")
        # bbh of run base holds two tasks of 25 items: the macro mean is named as such
        assert table_rows(app)[0][3:5] == ["74.0%", "macro of 2"]


async def test_slices_screen_names_and_switches_the_average(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
        assert "· micro ·" in static_text(app, "#title")
        assert "micro mean" in static_text(app, "#detail-line")
        assert table_rows(app)[0][4] == "37/50"
        await pilot.press("v")
        await settle(app, pilot)
        assert "· macro ·" in static_text(app, "#title")
        assert "macro mean" in static_text(app, "#detail-line")
        rows = table_rows(app)
        assert rows[0][0] == "ALL" and rows[0][4] == "macro of 2"
        assert rows[1][4] == "19/25"  # a row of one task is the same either way


def test_ingest_report_says_what_was_added_and_warns() -> None:
    from capslice_tui.app.screens.ingest import report_text

    text = report_text(
        {
            "runs": {"r": 1},
            "read_per_run": {"r": 3},
            "n_read": 3,
            "format": "lm-eval",
            "warnings": ["group toy: the results file reports acc (none) = 0.50"],
            "notes": ["1 exact repeat of an earlier sample counted once"],
        }
    )
    lines = text.splitlines()
    assert "r: 1 new sample (3 read, format lm-eval)" in lines
    assert "warning: group toy: the results file reports acc (none) = 0.50" in lines
    assert "note: 1 exact repeat of an earlier sample counted once" in lines


async def test_runs_screen_i_shows_the_log_layout_and_why_incomplete(tmp_path: Path) -> None:
    from capslice_tui.workspace import Workspace

    store = tmp_path / "torn.db"
    torn = Path(__file__).parents[1] / "fixtures" / "cases" / "ing-03-small-faults" / "m3_torn"
    Workspace(store).ingest([torn], run="torn")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert table_rows(app)[0][-1].startswith("incomplete")
        await pilot.press("i")
        await settle(app, pilot)
        # the reason names a log path: read whole on a screen of its own (a notification
        # cut the path before its line number)
        assert isinstance(app.screen, TextDetailScreen)
        lines = static_text(app, "#detail-text").splitlines()
        text = " ".join(" ".join(lines).split())
        assert "read from lm-eval 0.4.8+ JSONL layout" in text
        assert "incomplete: 1 incomplete trailing record skipped" in text
        assert f"{torn}/samples_gsm8k_2024-07-03T14-05-09.123456.jsonl:3:" in "".join(lines)
