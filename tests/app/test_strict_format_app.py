"""Pilot test: a run whose capslice score reflects the strict answer format (case ext-05:
0/3 strict, 3/3 lenient) is flagged on the runs screen and on its slices; ``i`` on either shows the whole warning
with the lenient score, wrapped at 80 columns."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle
from pilot_helpers import static_text as text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.app.screens.text_detail import TextDetailScreen
from capslice_tui.workspace import Workspace

CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "ext-05-markup-in-text"
RUN = "llama2[chat]"


async def test_strict_format_score_is_flagged_on_runs_and_slices(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    Workspace(store).ingest([CASE / "llama2chat_arith.jsonl"], run=RUN)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:  # 80x24: the sentences read whole there
        await settle(app, pilot)
        assert f"strict answer format score: {RUN} (i: why)" in text(app, "#status")
        await pilot.press("i")
        await settle(app, pilot)
        assert isinstance(app.screen, TextDetailScreen)
        whole = text(app, "#detail-text")
        assert all(len(line) <= SIZE[0] - 5 for line in whole.splitlines()), whole
        assert "lenient score 100.0% (3/3)" in " ".join(whole.split()), whole
        await pilot.press("escape")
        await settle(app, pilot)

        app.push_screen(SlicesScreen(RUN, None))
        await settle(app, pilot)
        status = text(app, "#status")
        assert status.startswith("warning: score reflects the strict answer format (i: lenient"), (
            status
        )
        await pilot.press("i")
        await settle(app, pilot)
        assert isinstance(app.screen, TextDetailScreen)
        assert "lenient score 100.0% (3/3)" in " ".join(text(app, "#detail-text").split())


async def test_no_flag_for_a_run_scored_by_its_log(tmp_path: Path) -> None:
    path = tmp_path / "scored.jsonl"
    path.write_text('{"doc_id": 0, "target": "4", "response": "4", "correct": false}\n')
    store = tmp_path / "s.db"
    Workspace(store).ingest([path], run="scored")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "strict answer format" not in text(app, "#status")


async def test_help_and_text_detail_wrap_short_of_the_scrollbar_and_again_on_resize(
    tmp_path: Path,
) -> None:
    """Help and a text detail are one screen (text_detail.WrappedTextScreen): both wrap one
    column short of the scrollbar (80 columns: 75) and wrap again when the terminal narrows."""
    from capslice_tui.app.screens.help import HelpRow, HelpScreen

    store = tmp_path / "s.db"
    Workspace(store).ingest([CASE / "llama2chat_arith.jsonl"], run=RUN)
    long = " ".join(f"word{i}" for i in range(60))
    screens = [
        (TextDetailScreen("title", [long], "warnings"), "#detail-text", "warnings"),
        (HelpScreen("x", [HelpRow("keys", "k", long, None)], (long,)), "#help-text", "help"),
    ]
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for screen, selector, sub_title in screens:
            await app.push_screen(screen)
            await pilot.pause()
            assert app.screen.sub_title == sub_title
            lines = text(app, selector).splitlines()
            assert max(map(len, lines)) <= SIZE[0] - 5 and len(lines) > 3, lines
            await pilot.resize_terminal(50, 24)
            await pilot.pause()
            narrow = text(app, selector).splitlines()
            assert max(map(len, narrow)) <= 45 and len(narrow) > len(lines), narrow
            await pilot.resize_terminal(*SIZE)
            app.pop_screen()
            await pilot.pause()
