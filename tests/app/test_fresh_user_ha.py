"""Fresh-user walk fixes (helper HA): label history's detail counts what it leaves out and its
table keeps names whole, compare's p reads like the CLI's, the caveat of a strict-format score
reads whole, samples help and sample detail word things for a reader."""

from __future__ import annotations

from pathlib import Path

from lmeval_files import build_store
from pilot_helpers import SIZE, settle, static_text
from pilot_helpers import table_rows as rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import detail_line
from capslice_tui.app.screens.label_history import DETAIL_ROWS, LabelHistoryScreen
from capslice_tui.app.screens.sample_detail import FIELD_INDENT, SampleDetailScreen
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.workspace import Workspace


async def test_label_history_counts_unlisted_changes_and_keeps_values_whole(
    tmp_path: Path,
) -> None:
    store = build_store(tmp_path)
    ws = Workspace(store)
    axis = "solving_operation"
    value = sorted(ws.axes()[axis], key=len)[-1]
    result = ws.label_where("base", {}, {axis: value})
    n = int(result["changed"]) if "changed" in result else None
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(LabelHistoryScreen())
        await settle(app, pilot)
        header = [str(c.label) for c in app.screen.query_one("#actions").columns.values()]
        assert "state" not in header  # no action is undone: the column would be empty
        first = rows(app)[0]
        assert first[header.index("values")] == value, first  # room at 80 columns: whole
        assert "1 action ·" in static_text(app, "#status")
        # what Enter does, in words
        assert "Enter: list its changes" in static_text(app, "#status")
        await pilot.press("enter")
        await settle(app, pilot)
        detail = static_text(app, "#detail")
        listed = ws.label_history(batch=app.screen.query_one("#actions").current_payload["batch"])
        total = len(listed)
        assert total > DETAIL_ROWS, (total, n)
        assert f"… and {total - DETAIL_ROWS} more changes not listed" in detail, detail


def test_compare_detail_p_at_bootstrap_floor_reads_like_the_cli() -> None:
    row = {"p_value": 1 / 1001, "n_boot": 1000, "p_adjusted": 0.002, "n_items": 10}
    second = detail_line(row, "ALL").splitlines()[1]
    assert second.startswith("p <0.001 · p adj"), second


CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "ext-05-markup-in-text"


async def test_sample_detail_wraps_short_of_the_scrollbar_and_never_says_none(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s.db"
    Workspace(store).ingest([CASE / "llama2chat_arith.jsonl"], run="llama2[chat]")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for _ in range(3):  # runs -> slices -> samples -> doc 0
            await pilot.press("enter")
            await settle(app, pilot)
        assert isinstance(app.screen, SampleDetailScreen), app.screen
        summary = static_text(app, "#summary")
        assert "None" not in summary, summary
        # the generation ended at '[/INST]': strict reads 56 from the text before it
        said = "chat-template marker '[/INST]' written as text x2 from char 30"
        assert said in " ".join(summary.split()), summary
        long = [line for line in summary.splitlines() if len(line) > SIZE[0] - 6]
        assert not long, long
        reason = [line for line in summary.splitlines() if "reason:" in line][0]
        assert reason.index("capslice's strict") == FIELD_INDENT, reason
        # the scrollbar takes the 2 right columns, the text stops one column before it
        region = app.screen.query_one("#summary").content_region
        assert region.right <= SIZE[0] - 4, region


def test_samples_help_words_extracted_for_every_benchmark() -> None:
    extracted = [line for line in SamplesScreen.HELP_LEGEND if line.startswith("extracted:")]
    assert extracted and "boxed" not in extracted[0] and "answer filter" in extracted[0]
