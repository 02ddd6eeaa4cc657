"""Pilot test: a run whose capslice score reflects the strict answer format (case ext-05:
0/3 strict, 3/3 lenient) is flagged on the runs screen (``i`` says why) and on its slices."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle
from pilot_helpers import static_text as text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.workspace import Workspace

CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "ext-05-markup-in-text"
RUN = "llama2[chat]"


async def test_strict_format_score_is_flagged_on_runs_and_slices(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    Workspace(store).ingest([CASE / "llama2chat_arith.jsonl"], run=RUN)
    app = make_app(store)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        assert f"strict answer format score: {RUN} (i: why)" in text(app, "#status")
        await pilot.press("i")
        await settle(app, pilot)
        shown = [str(n.message) for n in app._notifications]
        assert any("lenient score 100.0% (3/3)" in m for m in shown), shown

        app.push_screen(SlicesScreen(RUN, None))
        await settle(app, pilot)
        assert text(app, "#status").startswith("warning: score reflects the strict answer format")


async def test_no_flag_for_a_run_scored_by_its_log(tmp_path: Path) -> None:
    path = tmp_path / "scored.jsonl"
    path.write_text('{"doc_id": 0, "target": "4", "response": "4", "correct": false}\n')
    store = tmp_path / "s.db"
    Workspace(store).ingest([path], run="scored")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "strict answer format" not in text(app, "#status")
