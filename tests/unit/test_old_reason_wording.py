"""A failure reason stored by an older version ("... extraction gave None") reads "gave no
answer" in every view of a sample: the facade rewords it, so the CLI's ``sample`` says it as
the app does (the rewording was the app's detail screen's only; review of session 6)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


def test_old_gave_none_reason_reads_no_answer_everywhere(tmp_path: Path) -> None:
    log = tmp_path / "g.jsonl"
    log.write_text(json.dumps({"id": 1, "question": "2+2?", "output": "5", "gold": "4"}) + "\n")
    store = tmp_path / "s.db"
    ws = Workspace(store)
    ws.ingest([log], run="g")
    with ws.store.conn:  # as an older version stored it
        ws.store.conn.execute(
            "UPDATE samples SET failure_reason = 'wrong answer: official extraction gave None'"
        )
    assert ws.sample(1)["failure_reason"] == "wrong answer: official extraction gave no answer"
    out = CliRunner().invoke(main, ["--store", str(store), "sample", "1"])
    assert out.exit_code == 0, out.output
    assert "gave no answer" in out.output and "gave None" not in out.output
