"""Fresh-user walk 7 at 80x24: key labels say what the key does, the menu opens its screens
on the highlighted run, wrapped text continues under its text (and re-wraps on resize), and
what the app suggests is a command a user can paste."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle, static_text
from test_fresh_user_walk6 import screen_lines

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.help import HelpScreen


async def test_runs_i_is_labelled_for_everything_it_shows(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = {r.binding_id: r for r in app.help_rows(app.screen)}
        row = rows["runs.ingest_info"]
        # i shows a complete run's log layout and warnings too, not only resume/delete
        assert row.description.startswith("Run details: "), row.description
        assert "log layout" in row.description and "resume or delete" in row.description
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        drawn = "\n".join(screen_lines(app))
        assert "Run details" in drawn and "Resume/delete" not in drawn, drawn


async def test_question_words_read_q_colon_in_the_app_and_the_cli(store_path: Path) -> None:
    from click.testing import CliRunner
    from pilot_helpers import table_rows

    from capslice_tui.app.screens.discover import DiscoverScreen
    from capslice_tui.cli import main

    res = CliRunner().invoke(
        main, ["--store", str(store_path), "discover", "--run", "base"], env={"COLUMNS": "200"}
    )
    assert res.exit_code == 0, res.output
    assert "q:true" in res.output and "Q:" not in res.output, res.output
    assert "q:word = a word of the question" in res.output, res.output  # the note says so
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(DiscoverScreen("base"))
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        terms = [row[-1] for row in table_rows(app)]
        assert any("q:true" in t for t in terms) and not any("Q:" in t for t in terms), terms
        app.set_focus(None)
        await pilot.press("question_mark")
        await pilot.pause()
        legend = static_text(app, "#help-text")
        assert "q:word" in legend and "Q:word" not in legend, legend


async def test_the_trend_mix_legend_names_format_failures_fmt(tmp_path: Path) -> None:
    from capslice_tui.app.screens.trend import TrendScreen
    from capslice_tui.workspace import Workspace
    from capslice_tui.workspace.demo import sample_data_dir

    ws = Workspace(tmp_path / "s.db")
    for name, step in (("bbh-base", 100_000), ("bbh-eos-masked", 110_000)):
        ws.ingest([sample_data_dir() / "lm_eval" / name], run=name, benchmark="bbh", step=step)
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(TrendScreen(["bbh-base", "bbh-eos-masked"]))
        await settle(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        detail = static_text(app, "#detail-line").splitlines()
        # one scheme: the samples table's markers (wrong, fmt!, trunc), not 'extraction'
        assert detail[0] == "mix: #=correct x=wrong e=fmt! t=trunc r=runaway", detail
        assert " e=" in detail[-1]  # the shares below use the glyph the legend names


async def test_the_apps_trend_heads_its_change_last_first(store_path: Path) -> None:
    from pilot_helpers import table_rows

    from capslice_tui.app.screens.trend import TrendScreen

    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(TrendScreen(["base", "cand"]))
        await settle(app, pilot)
        table = app.screen.query_one("#trend-table")
        headers = [str(c.label) for c in table.columns.values()]
        # the CLI's 'vs prev' is from the previous step; this column is last minus first
        assert headers[4] == "last-first" and "change" not in headers, headers
        row = table_rows(app)[0]
        first, last = (float(x.rstrip("%")) for x in row[2:4])
        assert float(row[4]) == pytest.approx(last - first, abs=0.11), row
        drawn = screen_lines(app)
        assert any("last-first" in x for x in drawn) and all(len(x.rstrip()) <= 80 for x in drawn)


async def test_the_menu_opens_run_screens_on_the_highlighted_run(store_path: Path) -> None:
    from capslice_tui.app.screens.discover import DiscoverScreen
    from capslice_tui.app.screens.rescore import RescoreScreen
    from capslice_tui.app.screens.slices import SlicesScreen
    from capslice_tui.app.screens.trend import TrendScreen
    from capslice_tui.app.widgets.result_table import ResultTable

    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down")  # runs: base, cand, mathrun
        assert app.screen.context_run() == "mathrun"
        await pilot.press("m", "d")
        await settle(app, pilot)
        assert isinstance(app.screen, DiscoverScreen) and app.screen.run == "mathrun"
        assert "run mathrun" in static_text(app, "#title")
        await pilot.press("b")
        await settle(app, pilot)
        await pilot.press("m", "e")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RescoreScreen)
        assert screen.query_one(ResultTable).current_payload == "mathrun"
        assert screen.previewed is None and not screen.busy  # the cursor only: no preview
        await pilot.press("b")
        await settle(app, pilot)
        await pilot.press("m", "k")
        await settle(app, pilot)
        assert isinstance(app.screen, TrendScreen)
        assert app.screen.query_one(ResultTable).current_payload == "mathrun"
        await pilot.press("b")
        await settle(app, pilot)
        await pilot.press("up", "enter")  # the slices of cand: the menu takes its run
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen) and app.screen.run == "cand"
        await pilot.press("m", "d")
        await settle(app, pilot)
        assert isinstance(app.screen, DiscoverScreen) and app.screen.run == "cand"
