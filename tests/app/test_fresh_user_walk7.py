"""Fresh-user walk 7 at 80x24: key labels say what the key does, the menu opens its screens
on the highlighted run, wrapped text continues under its text (and re-wraps on resize), and
what the app suggests is a command a user can paste."""

from __future__ import annotations

import re
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


async def test_wrapped_descriptions_continue_under_their_text(store_path: Path) -> None:
    """Taxonomy, named slices and doctor: a line that wraps goes on under its text (the
    description, the value, the finding), never at column 0, and re-wraps on resize."""
    from capslice_tui.app.screens.doctor import hanging_lines
    from capslice_tui.app.screens.named_slices import slice_record_text
    from capslice_tui.app.screens.taxonomy import TaxonomyScreen

    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "t")
        await settle(app, pilot)
        assert isinstance(app.screen, TaxonomyScreen)
        for width in (80, 60):
            await pilot.resize_terminal(width, 24)
            await settle(app, pilot)
            drawn = screen_lines(app)[1:-1]
            first = next(x for x in drawn if x.startswith("   self_contained "))
            column = first.index("Everything")
            wrapped = drawn[drawn.index(first) + 1]
            # the description's second line starts under its first, not at column 1
            assert wrapped[:column].strip() == "" and wrapped[column] != " ", (width, drawn)
            assert all(x[width - 4] == " " for x in drawn), drawn  # blank before the bar
    record = {"name": "hard-algebra", "description": "items " * 30, "item_ids": [1, 2]}
    lines = slice_record_text(record).lines(60).plain.splitlines()
    at = lines[4].index("items")
    assert lines[4].startswith(" description: ") and lines[5][:at].strip() == ""
    assert lines[5][at:].startswith("items"), lines
    finding = "- " + "a finding long enough to wrap " * 4
    doctor = hanging_lines(["journal mode: wal", finding]).lines(50).plain.splitlines()
    assert doctor[0] == "journal mode: wal" and doctor[1].startswith("- a finding"), doctor
    assert all(x.startswith("  ") and x[2] != " " for x in doctor[2:]), doctor


BAR_GLYPHS = r"[▁▂▃▄▅▆▇█▔#]"
"""Scrollbar glyphs a drawn line may end in."""


async def test_the_sample_detail_rewraps_on_resize(tmp_path: Path) -> None:
    from test_fresh_user_ha import CASE

    from capslice_tui.app.screens.sample_detail import FIELD_INDENT, SampleDetailScreen
    from capslice_tui.workspace import Workspace

    store = tmp_path / "s.db"
    Workspace(store).ingest([CASE / "llama2chat_arith.jsonl"], run="llama2[chat]")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for _ in range(3):  # runs -> slices -> samples -> doc 0
            await pilot.press("enter")
            await settle(app, pilot)
        assert isinstance(app.screen, SampleDetailScreen), app.screen
        counts: dict[int, int] = {}
        for width in (60, 110, 80):
            await pilot.resize_terminal(width, 24)
            await settle(app, pilot)
            lines = screen_lines(app)
            start = next(i for i, x in enumerate(lines) if "reason: " in x)
            reason = [lines[start]]
            for line in lines[start + 1 :]:
                if line[: FIELD_INDENT + 1].strip() or not re.sub(BAR_GLYPHS, "", line).strip():
                    break
                reason.append(line)
            reason = [re.sub(BAR_GLYPHS, " ", x).rstrip() for x in reason]
            text = " ".join(x.strip() for x in reason)
            said = "chat-template marker '[/INST]' written as text x2 from char 30"
            assert said in text, (width, lines)
            # within the width, a blank column before the scrollbar, continuation under
            # the value (not at column 1)
            assert all(len(x) <= width - 4 for x in reason), (width, reason)
            assert len(reason) == 1 or reason[1][FIELD_INDENT + 1] != " ", (width, reason)
            counts[width] = len(reason)
        assert counts[110] < counts[80] < counts[60], counts  # wider: fewer lines


async def test_cli_advice_in_the_app_is_a_command_to_paste(tmp_path: Path) -> None:
    """A flag the app has a key or field for names it; one it has none for comes as the
    whole command, every option with its value (was 'pass --same-evaluation', 'another
    --run', 'capslice discover --all --save' without --run)."""
    import shlex

    from test_diagnose_evaluation import _rows

    from capslice_tui.app.screens.compare import CompareScreen
    from capslice_tui.app.screens.diagnose import DiagnoseScreen
    from capslice_tui.app.screens.discover import DiscoverScreen
    from capslice_tui.app.screens.ingest import IngestScreen
    from capslice_tui.workspace import Workspace

    refusal = "refusing to compare a with b: x. Pass --allow-mismatch to compare anyway."
    assert (
        CompareScreen("a", "b", benchmark=None)
        .app_terms(refusal)
        .endswith("x. w compares them anyway.")
    )
    store = tmp_path / "eval.db"
    ws = Workspace(store)
    ws.ingest([_rows(tmp_path / "a.jsonl", "cot_3shot", [True] * 40)], run="cot")
    ws.ingest([_rows(tmp_path / "b.jsonl", "answer_only_3shot", [i % 2 == 0 for i in range(40)])],
              run="direct")  # fmt: skip
    app = make_app(store, workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        ingest = IngestScreen()
        ingest.last_ingest = {"paths": [tmp_path / "l.jsonl"], "run": "r1", "benchmark": None,
                              "step": 5, "fmt": "auto", "field_map": None, "system": None,
                              "skip_bad": False}  # fmt: skip
        error = ("run 'r1' holds model 'm1' and this log is of 'm2': nothing was stored. Ingest it "
                 "under another --run, or `capslice delete-run r1` and ingest again to replace it; "
                 "if the log is of 'm1' after all, pass --model 'm1'")  # fmt: skip
        text = ingest.app_terms(error)
        assert "another run name" in text and "another --run" not in text, text
        command = shlex.split(text.split("ingest it from the command line: ")[1])
        assert command[command.index("--model") + 1] == "m1", command
        assert command[command.index("--run") + 1] == "r1" and "--step" in command, command
        summary = app.screen  # the runs screen, for the discover command below
        await app.push_screen(DiscoverScreen("cot"))
        await settle(app, pilot)
        discover = shlex.split(app.screen.cli_command("--all", "--save"))
        assert discover[discover.index("--run") + 1] == "cot" and discover[-2:] == [
            "--all",
            "--save",
        ], discover
        await pilot.press("b")
        await settle(app, pilot)
        assert app.screen is summary
        await app.push_screen(DiagnoseScreen("cot", "direct", benchmark=None))
        await settle(app, pilot)
        text = " ".join(static_text(app, "#summary").split())
        if "evaluation" not in text or "same-evaluation" not in text:
            pytest.skip("the generic reader does not keep `prompting` as a setting yet")
        assert "pass --same-evaluation" not in text, text
        cmd = f"capslice --store {store} diagnose cot direct --same-evaluation"
        assert f"run `{cmd}`" in text, text


async def test_samples_widen_long_answers_where_the_response_has_room(tmp_path: Path) -> None:
    from pilot_helpers import table_rows

    from capslice_tui.app.screens.samples import RESPONSE_LEAST, VALUE_WIDTH, SamplesScreen
    from capslice_tui.workspace import Workspace
    from capslice_tui.workspace.demo import sample_data_dir

    ws = Workspace(tmp_path / "s.db")
    lm_eval = sample_data_dir() / "lm_eval"
    ws.ingest([lm_eval / "bbh-eos-masked"], run="bbh-eos-masked", benchmark="bbh", step=1)
    for width, widened in ((80, False), (130, True)):
        app = make_app(tmp_path / "s.db", workspace=ws)
        async with app.run_test(size=(width, 30)) as pilot:
            await settle(app, pilot)
            await app.push_screen(
                SamplesScreen("bbh-eos-masked", failure_mode="extraction_failure")
            )
            await settle(app, pilot)
            extracted = [row[4] for row in table_rows(app)]
            longest = max(len(x) for x in extracted)
            # 80 columns: the response needs the room, answers stay cut at VALUE_WIDTH;
            # 130: 'False, and…' shows more of itself
            assert (longest > VALUE_WIDTH) == widened, (width, extracted)
            assert not widened or app.screen.response_width >= RESPONSE_LEAST


async def test_the_trend_title_keeps_names_whole_where_room_exists(tmp_path: Path) -> None:
    from capslice_tui.app.screens.trend import TrendScreen, trend_title

    runs = [("bbh-base", 100000), ("bbh-eos-masked", 110000), ("bbh-eos-restored", 120000)]
    title = trend_title(["task"], runs, 78)
    assert title == "Trend by task, bbh-*: base@100000 < eos-masked@110000 < eos-restored@120000"
    long = [(f"demo-org/demo-1b-{name}", step) for name, step in runs]
    assert "…" in trend_title(["task"], long, 78)
    wide = trend_title(["task"], long, 118)  # a wider screen: the whole names
    assert "…" not in wide and "demo-org/demo-1b-bbh-*: base@100000" in wide, wide
    ws_store = tmp_path / "s.db"
    from capslice_tui.workspace import Workspace

    ws = Workspace(ws_store)
    for name, step in (("demo-org/demo-1b-base", 1), ("demo-org/demo-1b-eos-masked", 2)):
        path = tmp_path / f"{step}.jsonl"
        path.write_text(
            "\n".join(
                f'{{"task": "t", "doc_id": {i}, "target": "1", "correct": {str(i % step == 0).lower()}, '
                f'"response": "1"}}'
                for i in range(20)
            )
            + "\n"
        )
        ws.ingest([path], run=name, step=step)
    app = make_app(ws_store, workspace=ws)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await app.push_screen(TrendScreen(["demo-org/demo-1b-base", "demo-org/demo-1b-eos-masked"]))
        await settle(app, pilot)
        drawn = static_text(app, "#title")
        assert "demo-org/demo-1b-eos-masked@2" in drawn and "…" not in drawn, drawn


async def test_compare_names_take_the_scrollbars_room_when_rows_fit(tmp_path: Path) -> None:
    from pilot_helpers import table_rows

    from capslice_tui.app.screens.compare import CompareScreen
    from capslice_tui.workspace import Workspace
    from capslice_tui.workspace.demo import sample_data_dir

    ws = Workspace(tmp_path / "s.db")
    for name, step in (("math-base", 100_000), ("math-targeted", 120_000)):
        ws.ingest([sample_data_dir() / "lm_eval" / name], run=name, benchmark="math", step=step)
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        by = "task_type,solving_operation"
        await app.push_screen(CompareScreen("math-base", "math-targeted", benchmark="math", by=by))
        await settle(app, pilot)
        names = [row[0] for row in table_rows(app)]
        table = app.screen.query_one("#compare-table")
        assert len(names) + 1 <= table.size.height
        # the rows fit, so no scrollbar: the columns (each padded one cell a side) fill every
        # column of the screen, the 2 a scrollbar would take going to the slice names (the
        # names' room also gives way to the p adj column, 8 wide for a bound like <=0.0030)
        widths = [c.get_render_width(table) for c in table.columns.values()]
        assert sum(widths) == app.size.width, widths
        assert max(len(n) for n in names) == widths[0] - 2, names


async def test_the_diagnosis_rewraps_its_list_items_on_resize(store_path: Path) -> None:
    from capslice_tui.app.screens.diagnose import DiagnoseScreen

    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(DiagnoseScreen("base", "cand", benchmark="bbh"))
        await settle(app, pilot)
        before = static_text(app, "#summary")
        await pilot.resize_terminal(60, 24)
        await settle(app, pilot)
        after = static_text(app, "#summary")
        assert after != before  # wrapped again at the new width
        items = after.split("\nevidence\n")[-1].splitlines()
        assert all(len(x) <= 60 - 4 for x in items), items
        # a list item's wrapped lines go on under its text, not at column 0
        assert all(x.startswith(("  - ", "    ")) for x in items if x and x[0] == " "), items
        assert any(x.startswith("    ") and x[4] != " " for x in items), items


async def test_the_plans_force_advice_is_the_whole_command(store_path: Path) -> None:
    import shlex

    from textual.widgets import Input

    from capslice_tui.app.screens.plan import PlanScreen

    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(PlanScreen())
        await pilot.pause()
        screen = app.screen
        screen.query_one("#baseline", Input).value = "base"
        screen.query_one("#benchmark", Input).value = "bbh"
        screen.query_one("#budget", Input).value = "1000"
        summary = (
            "No data boost: the diagnosis is x (1 weak slice set aside; y; --force boosts anyway)."
        )
        text = screen.app_terms(summary)
        command = shlex.split(text.split("`")[1])
        assert command[-1] == "--force" and "--force boosts" not in text, text
        for flag, value in (
            ("--baseline", "base"),
            ("--benchmark", "bbh"),
            ("--store", str(store_path)),
        ):
            assert command[command.index(flag) + 1] == value, command
        assert command[command.index("--budget-tokens") + 1].isdigit(), command


async def test_menu_plan_from_a_sample_detail_fills_its_run_and_typing_extends_it(
    store_path: Path,
) -> None:
    """Review: ``m p`` on a sample's detail left the baseline empty (the detail has no run
    of its own: the samples table under it has), and the plan form's first key replaced a
    filled-in field (the text was selected on focus), so a user typing to extend lost it."""
    from textual.widgets import Input

    from capslice_tui.app.screens.plan import PlanScreen
    from capslice_tui.app.screens.sample_detail import SampleDetailScreen

    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        run = app.screen.context_run()
        for _ in range(3):  # runs -> slices -> samples -> a sample
            await pilot.press("enter")
            await settle(app, pilot)
        assert isinstance(app.screen, SampleDetailScreen), app.screen
        await pilot.press("m", "p")
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        box = app.screen.query_one("#baseline", Input)
        assert app.focused is box and box.value == run
        await pilot.press("x")
        assert box.value == f"{run}x"
        await pilot.press("tab", "tab", "y")  # benchmark (filled in when it has one), catalog
        catalog = app.screen.query_one("#catalog", Input)
        # not the demo's store: the catalog starts empty, a letter typed is text
        assert app.focused is catalog and catalog.value == "y"
