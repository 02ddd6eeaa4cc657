"""Commands the tool suggests name the store they are run against (walk 18 F10): after
export/import (or a copy), an interrupted run's resume command named the old store, and
doctor's ``capslice delete-run RUN`` named none (run from a folder holding another
capslice.db, it deletes there)."""

from __future__ import annotations

import importlib.util
import shlex
import shutil
from pathlib import Path

import pytest

from capslice_tui.workspace import IngestError, Workspace
from capslice_tui.workspace.interrupt import Interrupted
from capslice_tui.workspace.reliability import doctor_store

CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "store-02-kill-signals"


def _interrupted_store(tmp_path: Path) -> Path:
    spec = importlib.util.spec_from_file_location("gen_lmeval", CASE / "gen_lmeval.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    logs = tmp_path / "logs" / "big"
    gen.generate(logs, 4000)  # 8,000 records: one 5,000-record batch commits, then a stop
    store = tmp_path / "old" / "s.db"
    store.parent.mkdir()
    ws = Workspace(store)

    def stop(_n: int) -> None:
        if ws.store.query("SELECT count(*) FROM samples")[0][0]:
            raise Interrupted("SIGTERM")

    with pytest.raises(IngestError, match="incomplete"):
        ws.ingest([logs], run="big", progress=stop)
    ws.store.close()
    return store


def _store_of(command: str) -> str:
    words = shlex.split(command)
    assert words[:2] == ["capslice", "--store"], command
    return words[2]


def test_resume_and_delete_name_the_store_read_after_import_and_copy(tmp_path: Path) -> None:
    old = _interrupted_store(tmp_path)
    Workspace(old).export_to(tmp_path / "ex", parquet=False)
    fresh = tmp_path / "fresh.db"
    Workspace(fresh).import_from(tmp_path / "ex")
    copied = tmp_path / "copied.db"
    shutil.copyfile(old, copied)
    for store in (fresh, copied):
        here = str(store.resolve())
        (run,) = [r for r in Workspace(store).runs() if r["name"] == "big"]
        info = run["interrupted"]
        assert _store_of(info["resume"]) == here, info["resume"]
        assert " ingest " in info["resume"] and "--run big" in info["resume"]
        assert _store_of(info["delete"]) == here
        assert str(old.resolve()) not in run["incomplete_reason"]
        (found,) = doctor_store(store)["interrupted"]
        assert _store_of(found["command"]) == here and _store_of(found["delete"]) == here
        (line,) = [f for f in doctor_store(store)["findings"] if f.startswith("run big")]
        assert f"`capslice --store {here} delete-run big`" in line, line
        assert str(old.resolve()) not in line, line


def test_command_for_store_replaces_or_adds_the_store() -> None:
    from capslice_tui.store.reliability import command_for_store

    assert command_for_store("capslice --store /a/s.db ingest /x --run r", "/b/t.db") == (
        "capslice --store /b/t.db ingest /x --run r"
    )
    assert command_for_store("capslice ingest '/x y' --run r", "/b/t.db") == (
        "capslice --store /b/t.db ingest '/x y' --run r"
    )
    assert command_for_store(None, "/b/t.db") is None
    assert command_for_store("run it again", "/b/t.db") == "run it again"


def test_an_unfinished_import_names_the_store_it_is_read_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from capslice_tui.store import StoreError, exchange
    from test_import_interrupted import _export, _stop_at_second_sample_batch

    folder = _export(tmp_path)
    _stop_at_second_sample_batch(monkeypatch)
    ws = Workspace(tmp_path / "dst.db")
    with pytest.raises(exchange.ImportInterrupted):
        ws.import_from(folder)
    ws.store.close()
    moved = tmp_path / "moved.db"
    shutil.copyfile(tmp_path / "dst.db", moved)
    here = str(moved.resolve())
    found = doctor_store(moved)["unfinished_imports"]
    assert found and all(_store_of(r["command"]) == here for r in found), found
    with pytest.raises(StoreError, match=f"to finish.*--store {here} import"):
        Workspace(moved).incomplete_notes("base")
