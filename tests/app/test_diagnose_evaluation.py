"""Pilot test of the diagnose screen when two runs evaluated the same items differently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.workspace import Workspace


def _rows(path: Path, prompting: str, correct: list[bool]) -> Path:
    with path.open("w") as fh:
        for i, ok in enumerate(correct):
            fh.write(json.dumps({
                "task": "toy_addition", "doc_id": i, "prompting": prompting,
                "prompt": f"What is {i} + 1?", "target": str(i + 1),
                "response": str(i + 1) if ok else "0", "correct": ok,
            }) + "\n")  # fmt: skip
    return path


async def test_diagnose_screen_names_the_evaluation_change(tmp_path: Path) -> None:
    store = tmp_path / "eval.db"
    ws = Workspace(store)
    ws.ingest([_rows(tmp_path / "a.jsonl", "cot_3shot", [True] * 40)], run="cot")
    ws.ingest([_rows(tmp_path / "b.jsonl", "answer_only_3shot", [i % 2 == 0 for i in range(40)])],
              run="direct")  # fmt: skip
    if not ws.diagnose("cot", "direct").to_dict()["evaluation"]["differences"]:
        pytest.skip("the generic reader does not keep `prompting` as a setting yet")
    app = make_app(store, workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(DiagnoseScreen("cot", "direct", benchmark=None))
        await settle(app, pilot)
        verdict = static_text(app, "#verdict")
        assert "N O T   A   D A T A" in verdict
        assert "(the evaluation changed: prompts, few-shot, decoding or scoring)" in verdict
        summary = static_text(app, "#summary")
        assert "the prompts of 40 of 40 items differ: prompting cot_3shot vs" in summary
        assert "evaluation of the shared items" in summary
        assert "evaluation_changed" not in summary


def test_slice_count_matches_the_evidence() -> None:
    """The header counts what the evidence counts: 3 rows shown of 19 significant slices is
    said as such, never '3 significant slices' beside '19 of 19 ... change significantly'."""
    from capslice_tui.app.screens.diagnose import slice_count_text

    evidence = [{"name": "slices with a significant paired change", "value": 19}]
    assert (
        slice_count_text(3, evidence) == "3 shown of 19 significant slices across axis combinations"
    )
    assert slice_count_text(19, evidence) == "19 significant slices across axis combinations"
    assert slice_count_text(2, []) == "2 significant slices across axis combinations"
