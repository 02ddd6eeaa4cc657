"""Fresh-user walk 6 at 80x24: figures in status lines wrap instead of being cut (compare's
evaluation warning), the app refuses pass@k above every item's samples as the CLI does,
intervention actions check the status before asking anything, discover says its k reason
and the label a group restates whole, the samples mode column reads in one scheme with a
legend, and help lines keep a blank column before the scrollbar."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from pilot_helpers import SIZE, settle, static_text, table_rows
from rich.console import Console
from test_compare_evaluation_app import _store as evaluation_store
from textual.widgets import Static

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.help import HelpScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.cli import main


def screen_lines(app: Any) -> list[str]:
    """The current screen as the terminal shows it, line by line (cuts included)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False).split("\n")


async def test_compare_status_wraps_the_evaluation_warning_whole(tmp_path: Path) -> None:
    app = make_app(evaluation_store(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(CompareScreen("base", "reworded", benchmark="toy"))
        await settle(app, pilot)
        await pilot.pause()
        status = static_text(app, "#status")
        assert status.startswith("evaluation differs: the prompts of 30 of 30 items differ")
        assert "(d: diagnose)" in status and "see capslice diagnose" not in status, status
        lines = screen_lines(app)
        drawn = " ".join(x.strip() for x in lines[-6:-1])  # the rows above the footer
        # every figure of the status drawn whole: none ends a row in "…"
        assert "30 of 30 items" in drawn and "(p adj <= q=0.05)" in drawn, lines[-6:]
        assert not any(x.rstrip().endswith(("…", "~")) for x in lines[-6:-1]), lines[-6:]


async def test_k_above_every_items_samples_is_refused_as_the_cli_does(store_path: Path) -> None:
    res = CliRunner().invoke(main, ["--store", str(store_path), "slices", "--run", "mathrun",
                                    "--benchmark", "math", "--k", "500"])  # fmt: skip
    assert res.exit_code != 0 and "--k 500: no item of mathrun has 500 samples" in res.output
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SlicesScreen("mathrun", "math"))
        await settle(app, pilot)
        before = [str(c.label) for c in app.screen.query_one("#slices-table").columns.values()]
        await pilot.press("k", *"500", "enter")
        await settle(app, pilot)
        columns = [str(c.label) for c in app.screen.query_one("#slices-table").columns.values()]
        assert "p@500" not in columns and columns == before, columns
        status = static_text(app, "#status")
        assert "k 500: no item of mathrun has 500 samples (the most any item has is 4)" in status, (
            status
        )
        drawn = " ".join(x.strip() for x in screen_lines(app)[-5:-1])
        assert "(the most any item has is 4); pass@k needs at least k samples" in drawn, drawn
        assert table_rows(app)  # the table is still there, not covered


async def test_help_lines_keep_a_column_before_the_scrollbar(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SlicesScreen("mathrun", "math"))
        await settle(app, pilot)
        app.set_focus(None)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = static_text(app, "#help-text")
        assert "Answer filter:" in text
        # 80 columns less the padding (2) and the scrollbar (2), and one blank column
        longest = max(text.splitlines(), key=len)
        assert len(longest) <= SIZE[0] - 5, longest


def _evaluated_intervention(tmp_path: Path) -> Any:
    """A workspace whose intervention #1 is evaluated (accepted, then linked to a run)."""
    from capslice_tui.workspace import Workspace

    def write(path: Path, right: dict[str, int]) -> Path:
        lines = [
            {"task": task, "doc_id": doc, "target": "7", "correct": doc < n_right,
             "response": "The answer is 7." if doc < n_right else "The answer is 3."}
            for task, n_right in right.items()
            for doc in range(40)
        ]  # fmt: skip
        path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
        return path

    ws = Workspace(tmp_path / "s.db")
    nt, alg = "minerva_math_num_theory", "minerva_math_algebra"
    ws.ingest([write(tmp_path / "b.jsonl", {nt: 10, alg: 25})], run="base", benchmark="math")
    ws.ingest([write(tmp_path / "c.jsonl", {nt: 15, alg: 22})], run="after", benchmark="math")
    rec = ws.new_intervention(title="nt data", hypothesis="h", baseline="base", benchmark="math",
                              targets=[{"task_type": "number_theory"}],
                              controls=[{"task_type": "algebra"}], who="alice")  # fmt: skip
    ws.accept_intervention(rec["id"], who="bob")
    ws.link_intervention(rec["id"], "after", who="bob")
    return ws


async def test_accepting_an_evaluated_intervention_is_refused_before_asking(
    tmp_path: Path,
) -> None:
    from textual.widgets import Input

    from capslice_tui.app.screens.confirm import ConfirmScreen
    from capslice_tui.app.screens.interventions import InterventionsScreen

    ws = _evaluated_intervention(tmp_path)
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(InterventionsScreen())
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        # no note field, no confirm: the status says why, whole
        assert not app.screen.query_one("#prompt", Input).display
        assert not isinstance(app.screen, ConfirmScreen)
        status = static_text(app, "#status")
        assert status == (
            "not accepted: #1 'nt data' is evaluated: only proposed interventions can be accepted"
        ), status
        drawn = " ".join(x.strip() for x in screen_lines(app)[-4:-1])
        assert "only proposed interventions can be accepted" in drawn, drawn
        assert not app._notifications  # nothing failed, nothing to toast
        assert ws.store.get_intervention(1)["status"] == "evaluated"


async def test_a_toast_does_not_follow_onto_the_next_screen(tmp_path: Path) -> None:
    from capslice_tui.app.screens.interventions import InterventionsScreen
    from capslice_tui.app.screens.taxonomy import TaxonomyScreen

    ws = _evaluated_intervention(tmp_path)
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(InterventionsScreen())
        await settle(app, pilot)
        app.screen.notify("interventions failed: x", severity="error", timeout=10, markup=False)
        await pilot.pause()
        assert app._notifications  # shown on the screen that raised it
        await pilot.press("m", "t")  # the menu, then the taxonomy
        await settle(app, pilot)
        assert isinstance(app.screen, TaxonomyScreen)
        assert not app._notifications  # not over the taxonomy's descriptions
        assert not any("interventions failed" in x for x in screen_lines(app))


async def test_discover_says_the_k_reason_and_a_restated_label_whole(tmp_path: Path) -> None:
    from lmeval_files import build_store

    from capslice_tui.app.screens.discover import DiscoverScreen
    from capslice_tui.workspace import Workspace

    store = build_store(tmp_path)
    data = Workspace(store).discover("base").to_dict()
    assert data["suggestions"]
    label = "solving_operation=casework_over_many_steps"
    first = data["suggestions"][0]
    novelty = {**first["novelty"], "restates": label, "relation": f"restates {label}"}
    reason = "k=20 chosen by silhouette (0.849) over k=2..20 (9 values) on a 3000-sample subsample"
    data = {**data, "k_reason": reason, "suggestions": [{**first, "novelty": novelty}]}
    folded = {**first, "name": "q:digit", "restates": "slice=digits"}
    folded.pop("id", None)
    data["folded"] = [folded]
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(DiscoverScreen("base"))
        await settle(app, pilot)
        app.screen.post_message(DiscoverScreen.Loaded(data))
        await settle(app, pilot)
        drawn = " ".join(x.strip() for x in screen_lines(app))
        assert "3000-sample subsample" in drawn, drawn  # the k reason, not 'su…'
        assert reason not in static_text(app, "#status")  # said once, above the table
        assert f"restates {label}" in drawn, drawn  # the preview names the label whole
        await pilot.press("down")  # the folded row names the group and what it restates
        await pilot.pause()
        preview = static_text(app, "#preview")
        assert "1 group holds (nearly) the same items" in preview, preview
        assert "folded: q:digit restates slice=digits" in preview, preview


async def test_samples_mode_column_reads_in_one_scheme_with_a_legend(store_path: Path) -> None:
    from capslice_tui.app.screens.samples import SamplesScreen
    from capslice_tui.vocabulary import FAILURE_MARK_MEANING

    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SamplesScreen("cand", title="ALL", benchmark="bbh"))
        await settle(app, pilot)
        headers = [str(c.label) for c in app.screen.query_one("#samples-table").columns.values()]
        modes = {r[headers.index("mode")] for r in table_rows(app)}
        # short marks only, never a full name (wrong_answer) beside them (fmt!, trunc)
        assert "wrong" in modes and modes <= {"correct", "wrong", "fmt!", "trunc", "runaway",
                                              "empty"}, modes  # fmt: skip
        await pilot.press("i")  # the whole legend (the short one: test_samples_legend_app.py)
        await pilot.pause()
        legend = static_text(app, "#mode-legend")
        marked = {"wrong": "wrong_answer", "fmt!": "extraction_failure", "trunc": "truncated"}
        for mark, mode in marked.items():
            assert (FAILURE_MARK_MEANING[mode] in legend) == (mark in modes), legend
        drawn = " ".join(x.strip() for x in screen_lines(app))
        assert FAILURE_MARK_MEANING["wrong_answer"] in drawn, drawn  # on screen, whole


def test_the_mode_legend_says_every_marked_mode_shown() -> None:
    from capslice_tui.app.screens.samples import mode_legend

    modes = iter(["truncated", "extraction_failure", "wrong_answer", None, "correct"])
    assert mode_legend(modes) == (
        "mode: wrong = wrong_answer (a wrong answer, or none found); fmt! = extraction_failure"
        " (the right answer is in the response but the scorer missed it); trunc = truncated (the response stopped"
        " at the generation length cap)"
    )
    assert mode_legend(["correct", "runaway"]) == ""


async def test_the_status_says_what_the_accept_confirm_asks(tmp_path: Path) -> None:
    from capslice_tui.app.screens.confirm import ConfirmScreen
    from capslice_tui.app.screens.interventions import InterventionsScreen

    ws = _evaluated_intervention(tmp_path)
    rec = ws.new_intervention(title="more nt", hypothesis="h", baseline="base", benchmark="math",
                              targets=[{"task_type": "number_theory"}],
                              controls=[{"task_type": "algebra"}], who="alice")  # fmt: skip
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = InterventionsScreen()
        await app.push_screen(screen)
        await settle(app, pilot)
        screen.selected = rec["id"]
        screen.load()
        await settle(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        assert str(screen.query_one("#status", Static).render()).startswith("accepting #2")
        await pilot.press("escape")  # cancelled ...
        await pilot.pause()
        assert str(screen.query_one("#status", Static).render()) == "accept cancelled"
        await pilot.press("a", "enter")  # ... then asked again: the status follows
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        status = str(screen.query_one("#status", Static).render())
        assert status == "accept #2 'more nt'? y accepts, n or Esc keeps it proposed", status
        await pilot.press("y")
        await settle(app, pilot)
        assert ws.store.get_intervention(rec["id"])["status"] == "accepted"
