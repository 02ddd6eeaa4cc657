"""Walk 18 F11: an import stopped by a signal (Ctrl-C) left runs listed ``complete`` with
missing or no samples, doctor found nothing, and click said "Aborted!". Now every run an
import writes is marked incomplete until its last row is in; the stop says what was kept and
the command that finishes it; doctor names the runs; running the import again completes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from capslice_tui.store import StoreError, exchange
from click.testing import CliRunner
from plan_fixtures import write_sampled_run

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.interrupt import Interrupted

TASKS = ("minerva_math_num_theory", "minerva_math_algebra")


def _export(tmp: Path) -> Path:
    ws = Workspace(tmp / "src.db")
    for name, right in (("base", (5, 20)), ("good", (25, 20))):
        path = write_sampled_run(tmp / f"{name}.jsonl", TASKS, right, 4)
        ws.ingest([path], run=name, benchmark="math")
    ws.export_to(tmp / "ex", parquet=False)
    return tmp / "ex"


def _stop_at_second_sample_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The signal arrives while the second batch of samples is written."""
    monkeypatch.setattr(exchange, "BATCH", 50)
    calls = {"n": 0}
    real = exchange.widen_sample_ranges

    def widen(conn: Any, ranges: Any) -> None:
        calls["n"] += bool(ranges)  # a batch of samples (other tables widen nothing)
        if calls["n"] == 2:
            raise Interrupted("SIGINT")
        real(conn, ranges)

    monkeypatch.setattr(exchange, "widen_sample_ranges", widen)


def _state(ws: Workspace) -> dict[str, tuple[str, int]]:
    return {
        r["name"]: (r["status"], ws.store.run_sample_count(r["id"])) for r in ws.store.list_runs()
    }


def test_a_stopped_import_leaves_no_run_complete_and_running_it_again_completes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _export(tmp_path)
    want = _state(Workspace(tmp_path / "src.db"))
    assert all(status == "complete" for status, _ in want.values())
    _stop_at_second_sample_batch(monkeypatch)
    ws = Workspace(tmp_path / "dst.db")
    with pytest.raises(exchange.ImportInterrupted) as err:
        ws.import_from(folder)
    text = str(err.value)
    assert text.startswith("import stopped by SIGINT: the batch being written was rolled back")
    assert "samples 50" in text and "base, good are marked incomplete" in text
    assert f"import {folder.resolve()}" in text
    got = _state(ws)
    assert {name: status for name, (status, _) in got.items()} == {
        "base": "incomplete",
        "good": "incomplete",
    }
    assert sum(k for _, k in got.values()) == 50  # the first batch kept, the second rolled back
    doctor = ws.doctor()
    assert [r["run"] for r in doctor["unfinished_imports"]] == ["base", "good"]
    assert any("import of" in f and "not finished" in f for f in doctor["findings"])
    with pytest.raises(StoreError, match="import of .* not finished; to finish"):
        ws.incomplete_notes("base")  # no item scores yet: slices would read 0/0
    monkeypatch.undo()
    ws.import_from(folder)
    assert _state(ws) == want
    assert ws.doctor()["unfinished_imports"] == []
    assert ws.incomplete_notes("base", "good") == []


def test_the_cli_says_what_was_kept_not_aborted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _export(tmp_path)
    _stop_at_second_sample_batch(monkeypatch)
    res = CliRunner().invoke(
        main, ["--store", str(tmp_path / "dst.db"), "import", str(folder)], env={"COLUMNS": "300"}
    )
    assert res.exit_code == 1 and "Aborted!" not in res.output, res.output
    assert "import stopped by SIGINT" in res.output and "to finish" in res.output
    res = CliRunner().invoke(main, ["--store", str(tmp_path / "dst.db"), "doctor"])
    assert "runs of an unfinished import" in res.output, res.output
