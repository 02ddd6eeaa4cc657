"""Pilot test: the app shows user text verbatim (case ext-05): a run named ``llama2[chat]``
and responses holding ``[/INST]`` and ``[bold]`` on the runs, slices, samples and sample
screens, never read as markup."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle
from pilot_helpers import static_text as text
from pilot_helpers import table_rows as rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.sample_detail import SampleDetailScreen
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.workspace import Workspace

CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "ext-05-markup-in-text"
RUN = "llama2[chat]"


async def test_markup_like_text_is_shown_verbatim(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    ws = Workspace(store)
    ws.ingest([CASE / "llama2chat_arith.jsonl"], run=RUN)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert any(RUN in cell for row in rows(app) for cell in row)  # runs screen

        app.push_screen(SlicesScreen(RUN, None))
        await settle(app, pilot)
        assert RUN in str(app.screen.sub_title)
        assert RUN in text(app, "#title")

        app.push_screen(SamplesScreen(RUN))
        await settle(app, pilot)
        cells = [cell for row in rows(app) for cell in row]
        # verbatim, cut to fit (the mode column holds doc 0's 'correct+eos' at 80 columns)
        assert any(c.startswith("[bold]42[/b") for c in cells), cells
        assert any(c.startswith("7 * 8 = 56") for c in cells), cells  # cut at 80 columns

        sample_id = next(r["id"] for r in ws.samples(RUN, limit=5)[0] if r["doc_id"] == "1")
        app.push_screen(SampleDetailScreen(sample_id))
        await settle(app, pilot)
        assert "[bold]42[/bold]" in text(app, "#response")

        first = next(r["id"] for r in ws.samples(RUN, limit=5)[0] if r["doc_id"] == "0")
        app.push_screen(SampleDetailScreen(first))
        await settle(app, pilot)
        assert "[/INST] [INST] What is 9 * 9? [/INST]" in text(app, "#response")


def test_ingest_screen_report_names_the_field_mapping_and_notes() -> None:
    from capslice_tui.app.screens.ingest import report_text

    shown = report_text(
        {
            "fields": ["item id: task_id · sample: completion_id · correctness: passed"],
            "runs": {RUN: 12},
            "n_read": 12,
            "format": "jsonl",
            "notes": ["2 items have several rows and no sample index"],
        }
    )
    lines = shown.splitlines()
    assert lines[0] == "fields: item id: task_id · sample: completion_id · correctness: passed"
    assert f"{RUN}: 12 new samples (12 read, format jsonl)" in lines
    assert lines[-1] == "note: 2 items have several rows and no sample index"


async def test_control_characters_are_shown_as_escapes(tmp_path: Path) -> None:
    import json

    path = tmp_path / "esc.jsonl"
    path.write_text(json.dumps({"doc_id": 0, "target": "1", "response": "\x1b[31mred 1"}) + "\n")
    store = tmp_path / "s.db"
    ws = Workspace(store)
    ws.ingest([path], run="esc")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(SamplesScreen("esc"))
        await settle(app, pilot)
        cells = [cell for row in rows(app) for cell in row]
        assert any(c.startswith("\\x1b[31mred") for c in cells), cells
        assert not any("\x1b" in c for c in cells)
        app.push_screen(SampleDetailScreen(ws.samples("esc", limit=1)[0][0]["id"]))
        await settle(app, pilot)
        assert "\\x1b[31mred 1" in text(app, "#response")
