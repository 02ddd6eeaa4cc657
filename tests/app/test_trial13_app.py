"""Defects a fresh-user trial of the terminal app left (issue 13, second pass), each checked
at 80x24: keys that do one thing, help that reads, pickers that lead with the right runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pilot_helpers import SIZE, settle, table_rows
from textual.widgets import Static

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.help import (
    KEY_INDENT,
    LEGEND_INDENT,
    HelpRow,
    HelpScreen,
    render_help,
)
from capslice_tui.app.screens.runs import RunsScreen
from capslice_tui.app.screens.trend import TrendScreen
from capslice_tui.app.widgets.result_table import ResultTable


async def test_space_on_the_trend_picker_toggles_only(store_path: Path) -> None:
    app = make_app(store_path, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "k")
        await settle(app, pilot)
        assert isinstance(app.screen, TrendScreen)
        table = app.screen.query_one(ResultTable)
        assert table.cursor_row == 0
        await pilot.press("space")
        await pilot.pause()
        assert table.cursor_row == 0  # marked, not moved
        assert [r[0] for r in table_rows(app)] == ["[x]", "[ ]", "[ ]"]
        await pilot.press("space")
        await pilot.pause()
        assert table.cursor_row == 0
        assert [r[0] for r in table_rows(app)] == ["[ ]", "[ ]", "[ ]"]  # toggled back
        await pilot.press("down", "space")
        await pilot.pause()
        assert table.cursor_row == 1
        assert [r[0] for r in table_rows(app)] == ["[ ]", "[x]", "[ ]"]


def _help_lines(app: Any) -> list[str]:
    return str(app.screen.query_one("#help-text", Static).render()).splitlines()


async def test_help_entries_wrap_under_their_description(store_path: Path) -> None:
    """A help entry longer than the screen continues under its description (a hanging
    indent), never at column 0 under the keys; every line fits 80 columns."""
    app = make_app(store_path, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "k")  # the trend: long legend lines
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        lines = _help_lines(app)
        assert all(len(line) <= SIZE[0] - 4 for line in lines), lines
        body = lines[1:]
        # every line is blank, a section title (no indent), a key or legend entry (2
        # spaces) or a continuation (4+ spaces): nothing wraps back to column 0
        titles = [line for line in body if line and not line.startswith(" ")]
        assert set(titles) <= {
            "this screen",
            "global",
            "table (focused)",
            "what the columns and markers mean",
        }, titles
        assert [line for line in body if line.startswith(" " * LEGEND_INDENT)]
        # a wrapped legend line reads whole once joined
        text = " ".join(" ".join(lines).split())
        assert "runs are ordered by training step (ingest --step); runs without a step" in text


async def test_start_screen_help_has_no_back(store_path: Path) -> None:
    app = make_app(store_path, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        text = "\n".join(_help_lines(app))
        assert "Back" not in text, text  # b/esc/ctrl+b have nothing to go back to
        assert "Quit" in text
        await pilot.press("b")  # help itself still closes with b
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("enter")  # slices: back is there
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        text = "\n".join(_help_lines(app))
        assert "b/esc" in text and "Back" in text


def test_a_long_key_entry_continues_under_its_description() -> None:
    rows = [HelpRow("this screen", "x", "word " * 30, None)]
    lines = str(render_help("t", rows, width=40)).splitlines()
    entry = [line for line in lines if line.strip().startswith(("x ", "word"))]
    assert entry[0].startswith("  x          word") and len(entry) > 2
    assert all(line.startswith(" " * KEY_INDENT + "word") for line in entry[1:])
    assert all(len(line) <= 40 for line in lines)


async def test_link_picker_leads_with_runs_of_the_interventions_benchmark(
    tmp_path: Path,
) -> None:
    """Linking a math intervention: the math run is listed and highlighted first, the BBH
    runs follow under a line that cannot be chosen."""
    from lmeval_files import build_store
    from textual.widgets import OptionList

    from capslice_tui.app.screens.interventions import InterventionsScreen
    from capslice_tui.app.screens.run_picker import RunPickerScreen
    from capslice_tui.workspace import Workspace

    ws = Workspace(build_store(tmp_path))
    ws.store.create_intervention(
        title="math data", hypothesis="more algebra", target_slices=[{"task": "math"}],
        control_slices=[], baseline_run="base", author="alice", benchmark="math",
    )  # fmt: skip
    app = make_app(tmp_path / "store.db", workspace=ws, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(InterventionsScreen())
        await settle(app, pilot)
        await pilot.press("a", *"go", "enter")
        await pilot.pause()
        await pilot.press("y")  # accepted: a result run can be linked
        await settle(app, pilot)
        await pilot.press("l")
        await settle(app, pilot)
        picker = app.screen
        assert isinstance(picker, RunPickerScreen)
        assert picker.names == ["mathrun", "cand"]  # math first, the baseline left out
        options = picker.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(3)]
        assert prompts[0].startswith("mathrun") and prompts[2].startswith("cand")
        assert options.get_option_at_index(1).disabled  # -- other benchmarks --
        assert options.highlighted == 0
        assert "math runs first" in str(picker.query_one("#run-picker-status", Static).render())
        await pilot.press("down")  # skips the separator line
        assert options.highlighted == 2
        await pilot.press("escape")
        await pilot.pause()


async def test_a_toast_covers_no_field_of_the_plan_form(store_path: Path) -> None:
    """At 80x24 a toast on the plan form starts under its fields, not over them."""
    from textual.widgets import Input
    from textual.widgets._toast import Toast

    from capslice_tui.app.screens.plan import PlanScreen

    app = make_app(store_path, ascii=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "p")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        screen.notify("plan written: /a/rather/long/folder/name/plan-base.yaml", markup=False)
        for _ in range(10):
            await pilot.pause(0.05)
        toasts = list(screen.query(Toast))
        assert toasts and all(t.region.height for t in toasts)
        fields = [w.region for w in screen.query(Input)]
        for toast in toasts:
            assert not any(toast.region.overlaps(f) for f in fields), (toast.region, fields)
        # the toast is still on screen, above the status line and the footer
        assert all(t.region.bottom <= SIZE[1] - 2 for t in toasts)


def _screen_bindings() -> dict[str, list[tuple[str, str, str]]]:
    """key -> (screen, action, description) for every binding of every app screen."""
    import importlib
    import inspect
    import pkgutil

    from textual.screen import Screen

    import capslice_tui.app.screens as screens

    keys: dict[str, list[tuple[str, str, str]]] = {}
    for mod in pkgutil.iter_modules(screens.__path__):
        module = importlib.import_module(f"{screens.__name__}.{mod.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, Screen) or cls.__module__ != module.__name__:
                continue
            for b in cls.__dict__.get("BINDINGS", []):
                for key in b.key.split(","):
                    keys.setdefault(key.strip(), []).append((name, b.action, b.description))
    return keys


def test_f_means_failure_mode_on_every_screen_and_the_answer_filter_has_its_own_key() -> None:
    keys = _screen_bindings()
    f = {(screen, action) for screen, action, _ in keys["f"]}
    assert f == {
        ("SamplesScreen", "cycle_filter"),  # filter by failure mode
        ("TrendScreen", "modes"),  # the failure-mode mix
        ("DiscoverScreen", "toggle_failing"),  # failing samples only
    }, f
    answer = [k for k, uses in keys.items() if ("SlicesScreen", "cycle_filter") in
              {(s, a) for s, a, _ in uses}]  # fmt: skip
    assert answer == ["t"]
    assert [s for s, _, _ in keys["t"]] == ["SlicesScreen"]  # t means one thing


async def test_slices_f_no_longer_switches_the_answer_filter(store_path: Path) -> None:
    from capslice_tui.app.screens.slices import SlicesScreen

    app = make_app(store_path, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SlicesScreen)
        await pilot.press("f")
        await settle(app, pilot)
        assert screen.filter_name is None and app.screen is screen
        await pilot.press("question_mark")
        await pilot.pause()
        text = " ".join(" ".join(_help_lines(app)).split())
        assert "t Answer filter" in text and "t: next answer filter" in text


async def test_trend_sparkline_shows_every_change_and_says_what_it_means(
    store_path: Path,
) -> None:
    from capslice_tui.app.screens.trend import SPARK_LEGEND

    app = make_app(store_path, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "k", "space", "down", "space", "enter")
        await settle(app, pilot)
        rows = table_rows(app)
        assert rows and rows[-1][0] == "ALL"
        for row in rows:
            first, last, change = row[2], row[3], row[4]
            if first != last:  # a real change is never drawn flat
                assert len(set(row[1].strip())) > 1, row
                assert change not in ("-", "+0.0"), row
        status = str(app.screen.query_one("#status", Static).render())
        assert SPARK_LEGEND in status and len(status) <= SIZE[0]


async def test_diagnose_list_items_wrap_under_their_text(store_path: Path) -> None:
    """The evidence, causes and evaluation items of the diagnose screen continue under
    their text when they wrap at 80 columns, never at column 0."""
    from capslice_tui.app.screens.diagnose import DiagnoseScreen

    app = make_app(store_path, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", "down", "c")
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, DiagnoseScreen)
        lines = str(app.screen.query_one("#summary", Static).render()).splitlines()
        start = lines.index("evidence")
        items = [line for line in lines[start + 1 :] if line]
        assert any(line.startswith("    ") for line in items)  # some item did wrap
        for line in items:
            assert line.startswith(("  - ", "    ")) or not line.startswith(" "), line
            if not line.startswith(" "):  # the next section's title ends the list
                assert line in ("spread across content axes", "next"), line
        assert all(len(line) <= SIZE[0] - 4 for line in lines[start:]), lines
