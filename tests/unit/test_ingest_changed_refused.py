"""`capslice ingest` of a different log into an existing run name (walk 11): it stored the
new samples, skipped the differing ones with a warning and exited 0, a silent failure for a
CI script. Now it exits 1 naming the run and the ways on, and stores nothing."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


def _log(path: Path, n: int, shift: int) -> Path:
    rows = [
        {"task": "t", "id": f"q{i}", "question": f"What is {i}+1?", "answer": str(i + 1),
         "response": f"so the answer is {i + 1 + shift}"}
        for i in range(n)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _samples(store: Path) -> int:
    return Workspace(store).store.get_run("X")["n_samples"]


def test_a_differing_log_into_an_existing_run_exits_1_and_stores_nothing(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    first = _log(tmp_path / "a.jsonl", 10, 0)
    other = _log(tmp_path / "b.jsonl", 20, 1)  # the same 10 items answered otherwise, 10 new
    runner = CliRunner()
    ok = runner.invoke(main, ["--store", str(store), "ingest", str(first), "--run", "X"])
    assert ok.exit_code == 0, ok.output
    assert _samples(store) == 10
    out = runner.invoke(main, ["--store", str(store), "ingest", str(other), "--run", "X"])
    assert out.exit_code == 1, out.output
    text = " ".join(out.output.split())
    assert "run 'X' already holds other data for 10 samples of this log" in text, text
    assert "nothing from this ingest was stored" in text
    assert "under a new --run name" in text and "`capslice delete-run X`" in text
    assert "Traceback" not in out.output
    assert _samples(store) == 10  # the 10 new samples were not stored half-way
    # the same log again is no error; under a new name it is stored whole
    again = runner.invoke(main, ["--store", str(store), "ingest", str(first), "--run", "X"])
    assert again.exit_code == 0, again.output
    new = runner.invoke(main, ["--store", str(store), "ingest", str(other), "--run", "Y"])
    assert new.exit_code == 0, new.output


def test_the_workspace_default_keeps_the_warning(tmp_path: Path) -> None:
    """The workspace default (refuse_changed False) stores the rest and warns; the CLI and
    the app both pass refuse_changed=True."""
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_log(tmp_path / "a.jsonl", 10, 0)], run="X")
    report = ws.ingest([_log(tmp_path / "b.jsonl", 20, 1)], run="X")
    assert report.differing == {"X": 10} and report.runs == {"X": 10}
    assert any("were NOT stored" in w for w in report.warnings)
