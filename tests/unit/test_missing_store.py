"""Walk 9 #34: a mistyped ``--store`` on a read command created an empty store and said
``nothing to show`` (exit 0); it now says ``no store at PATH`` (exit 1) and creates nothing,
while the commands that put data in a store still create it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main


@pytest.mark.parametrize("args", [
    ["runs"], ["slices", "--run", "r"], ["samples", "--run", "r"], ["sample", "1"],
    ["compare", "a", "b"], ["diagnose", "a"], ["report", "a", "b"], ["doctor"],
    ["intervention", "list"], ["export", "OUT"], ["trend", "--runs", "a,b"],
])  # fmt: skip
def test_a_read_command_on_a_missing_store_says_so_and_creates_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    store = tmp_path / "none.db"
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    assert res.exit_code == 1, res.output
    assert f"no store at {store}" in res.output or f"{store}: no such store file" in res.output
    assert "nothing to show" not in res.output and "Traceback" not in res.output
    assert not store.exists()


def test_ingest_creates_the_store(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"doc_id": 0, "response": "4", "target": "4"}) + "\n")
    store = tmp_path / "new.db"
    res = CliRunner().invoke(main, ["--store", str(store), "ingest", str(log), "--run", "r"])
    assert res.exit_code == 0, res.output
    assert store.exists()
    res = CliRunner().invoke(main, ["--store", str(store), "runs"])
    assert res.exit_code == 0 and res.output.startswith("run "), res.output
