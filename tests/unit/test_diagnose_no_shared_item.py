"""`diagnose A B` of two runs that share no item says so as compare does, naming what each run
holds (walk 15: it printed only 'half-a and half-b share no samples to pair')."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


def _log(path: Path, ids: range) -> Path:
    rows = [
        {"task": "t", "id": f"q{i}", "question": f"What is {i}+1?", "answer": str(i + 1),
         "response": f"so the answer is {i + 1}"}
        for i in ids
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_no_shared_item_is_said_plainly(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    ws = Workspace(store)
    ws.ingest([_log(tmp_path / "a.jsonl", range(0, 20))], run="A")
    ws.ingest([_log(tmp_path / "b.jsonl", range(20, 40))], run="B")
    out = CliRunner().invoke(main, ["--store", str(store), "diagnose", "A", "B"])
    assert out.exit_code == 1, out.output
    text = " ".join(out.output.split())
    assert "A and B share no evaluation item" in text, text
    assert "pairing needs the same items in both runs" in text, text
    assert "Traceback" not in out.output
