"""A run's copy (one log ingested under two names) is never suggested as the --reference
that rules difficulty out, and diagnosing against it says it is a copy (walk 15: `diagnose
bbh-cot` suggested `--reference bbh-cot2`, an identical copy, and the reference mode said
nothing of it)."""

from __future__ import annotations

import json
from pathlib import Path

from capslice_tui.workspace import Workspace
from capslice_tui.workspace.diagnose import _reference_runs


def _log(path: Path, shift: int) -> Path:
    rows = [
        {"task": "t", "id": f"q{i}", "question": f"What is {i}+1?", "answer": str(i + 1),
         "response": f"so the answer is {i + 1 + (shift if i % 3 == 0 else 0)}"}
        for i in range(30)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_copy_is_no_reference(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    log = _log(tmp_path / "a.jsonl", 1)
    ws.ingest([log], run="X")
    ws.ingest([log], run="X copy")
    ws.ingest([_log(tmp_path / "b.jsonl", 0)], run="earlier")
    run = ws.store.get_run("X")
    names = [r.run for r in _reference_runs(ws.store, run, None, set())]
    assert names == ["earlier"], names
    diagnosis = ws.diagnose("X", reference="X copy")
    text = " ".join(diagnosis.notes)
    assert "X and X copy have identical responses on every one of the 30" in text, text
