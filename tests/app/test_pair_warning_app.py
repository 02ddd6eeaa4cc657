"""Pilot tests at 80x24: the app's diagnose and compare screens show the pair warning (runs
of different models, or the same run twice) that the CLI, JSON and report show, as plain
text; a run diagnosed alone whose failures are format failures says so in the banner."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.workspace import Workspace

EXT04 = Path(__file__).parents[1] / "fixtures" / "cases" / "ext-04-recited-fewshot"


def _store(tmp_path: Path) -> tuple[Path, Workspace]:
    store = tmp_path / "pair.db"
    ws = Workspace(store)
    ws.ingest([EXT04 / "pair_base"], run="base-8b")
    ws.ingest([EXT04 / "pair_cand"], run="r1-distill")
    return store, ws


async def test_diagnose_screen_shows_the_pair_warning(tmp_path: Path) -> None:
    store, ws = _store(tmp_path)
    assert "different models" in (ws.diagnose("base-8b", "r1-distill").pair_warning or "")
    app = make_app(store, workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(DiagnoseScreen("base-8b", "r1-distill", benchmark=None))
        await settle(app, pilot)
        summary = static_text(app, "#summary")
        assert "WARNING: different models (org__base-8b vs org__r1-distill-8b)" in summary
        # said before the verdict's summary, so it shows on the first screen at 80x24
        assert summary.index("WARNING:") < summary.index("Not a data problem")
        app.push_screen(DiagnoseScreen("base-8b", "base-8b", benchmark=None))
        await settle(app, pilot)
        assert "WARNING: the same run on both sides (base-8b)" in static_text(app, "#summary")


async def test_compare_screen_shows_the_pair_warning_only_when_there_is_one(
    tmp_path: Path,
) -> None:
    store, ws = _store(tmp_path)
    app = make_app(store, workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(CompareScreen("base-8b", "r1-distill", benchmark=None))
        await settle(app, pilot)
        warning = app.screen.query_one("#pair-warning")
        assert warning.display and warning.region.height >= 1  # on screen, not scrolled away
        assert warning.region.y < 24
        text = static_text(app, "#pair-warning")
        assert text.startswith("WARNING: different models (org__base-8b vs org__r1-distill-8b)")
        assert "changes the result too" in text  # wrapped whole, never cut
        app.push_screen(CompareScreen("r1-distill", "r1-distill", benchmark=None))
        await settle(app, pilot)
        assert "the same run on both sides" in static_text(app, "#pair-warning")
    ws2 = Workspace(tmp_path / "one.db")
    # two checkpoints of one model (steps differ, responses too): nothing to warn about
    ws2.ingest([EXT04 / "pair_base"], run="a", step=1)
    ws2.ingest([EXT04 / "pair_cand"], run="b", model="org__base-8b", step=2)
    assert ws2.compare("a", "b").to_dict().get("pair_warning") is None
    # one log stored twice (walk 14): said, as the CLI says it
    ws2.ingest([EXT04 / "pair_base"], run="a-copy", step=1)
    said = ws2.compare("a", "a-copy").to_dict().get("pair_warning") or ""
    assert said.startswith("a and a-copy have identical responses on every one of the")
    app = make_app(tmp_path / "one.db", workspace=ws2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(CompareScreen("a", "b", benchmark=None))
        await settle(app, pilot)
        assert not app.screen.query_one("#pair-warning").display


async def test_weakness_banner_says_format_failures_carry_the_run(tmp_path: Path) -> None:
    store, ws = _store(tmp_path)
    app = make_app(store, workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(DiagnoseScreen("r1-distill", None, benchmark=None))
        await settle(app, pilot)
        verdict = static_text(app, "#verdict")
        assert "N O T   A   D A T A" in verdict
        assert "(format failures carry the run's failures: fix them first)" in verdict
        assert "extraction_failure 70.0% of the items" in static_text(app, "#summary")
