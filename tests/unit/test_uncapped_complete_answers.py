"""A log with no generation cap (no ``max_gen_toks``): a complete wrong answer that runs on.

``Store.infer_truncation`` marks as ``truncated`` the long wrong answers of a task whose log
gave no cap when their text is visibly cut. Ingest and ``rescore`` hand it
``failure_modes.cut_after_no_answer``: a text whose last final-answer statement holds a whole
value and then runs on (``So the answer is (C).`` then filler cut mid-sentence by the
generator) keeps its answer, so it stays the ``wrong_answer`` classification made it; a text
cut with no answer given, or cut inside its answer, is still ``truncated``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capslice_tui.analysis import failure_modes
from capslice_tui.workspace import Workspace
from capslice_tui.workspace import ingest as ingest_module

FILLER = " ".join(f"Let me check step {j} again: the statements still hold." for j in range(8))


def _write_log(folder: Path) -> Path:
    """30 wrong samples of one task, no cap logged, all about as long: docs 0-19 state a
    complete answer ``(C)`` and run on to a mid-sentence cut; docs 20-24 never give an answer;
    docs 25-29 are cut inside their answer statement (``So the answer is (``)."""
    lines = []
    for i in range(30):
        if i < 20:
            response = f"Object {i} is the third one. So the answer is (C).\n{FILLER} and the"
        elif i < 25:
            response = f"Object {i} is the third one. {FILLER} Then we compare the"
        else:
            response = f"Object {i} is the third one. {FILLER} So the answer is ("
        row = {"task": "t", "doc_id": i, "question": f"Which object, case {i}?",
               "target": "(A)", "response": response, "correct": 0}  # fmt: skip
        lines.append(json.dumps(row))
    src = folder / "preds.jsonl"
    src.write_text("\n".join(lines) + "\n")
    return src


def _modes(ws: Workspace, run: str) -> dict[int, tuple[str, str]]:
    rows, _ = ws.samples(run, limit=100)
    return {int(r["doc_id"]): (r["failure_mode"], ws.sample(r["id"])["failure_reason"])
            for r in rows}  # fmt: skip


def _check(modes: dict[int, tuple[str, str]]) -> None:
    for i in range(20):
        mode, reason = modes[i]
        assert mode == "wrong_answer", (i, mode, reason)
        assert not reason.startswith("no generation cap logged:"), (i, reason)
    for i in range(20, 30):
        mode, reason = modes[i]
        assert mode == "truncated", (i, mode, reason)
        assert reason.startswith("no generation cap logged:"), (i, reason)


def test_ingest_keeps_complete_wrong_answers_of_an_uncapped_log(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_write_log(tmp_path)], run="r")
    _check(_modes(ws, "r"))


def test_rescore_gives_back_complete_wrong_answers_an_older_inference_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store ingested when the cap inference read any mid-sentence end as a cut holds the 20
    complete answers as ``truncated`` ("no generation cap logged: ..."); a re-score makes
    them wrong answers again and leaves the 10 cut texts truncated."""
    with monkeypatch.context() as m:  # the ingest as it was: failure_modes.ends_cut
        m.setattr(ingest_module, "cut_after_no_answer", failure_modes.ends_cut)
        ws = Workspace(tmp_path / "s.db")
        ws.ingest([_write_log(tmp_path)], run="r")
    before = _modes(ws, "r")
    assert {before[i][0] for i in range(30)} == {"truncated"}
    report = ws.rescore("r")
    _check(_modes(ws, "r"))
    assert report.transitions == {("truncated", "wrong_answer"): 20}
