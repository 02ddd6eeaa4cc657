"""Store reliability: annotations never lost (store-01), damage, doctor/recover, cluster
filesystems, busy timeout and backup."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from capslice_tui.store import Conflict, Store
from capslice_tui.store.interventions import ConcurrentEdit
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"


def _gen():
    spec = importlib.util.spec_from_file_location(
        "gen_lmeval", CASES / "store-02-kill-signals" / "gen_lmeval.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cli(store: Path, *args: str, user: str | None = None, code: int = 0):
    """Run ``capslice --store STORE ARGS`` in-process; assert the exit code."""
    env = {"CAPSLICE_USER": user} if user else {}
    result = CliRunner().invoke(main, ["--store", str(store), *args], env=env)
    assert result.exit_code == code, (args, result.output, result.exception)
    return result


@pytest.fixture()
def small_store(tmp_path: Path) -> Path:
    """A store with run ``base`` (60 synthetic gsm8k docs, 2 filters)."""
    src = tmp_path / "small"
    _gen().generate(src, 60)
    store = tmp_path / "store.db"
    cli(store, "ingest", str(src), "--run", "base")
    return store


def test_store01_both_notes_in_history_and_undo_restores_value_note_who(small_store: Path):
    """../shared/cases/store-01-note-history/min_note_loss.sh as a test (a named slice made
    directly instead of from a discovery suggestion)."""
    ws = Workspace(small_store)
    items = [r[0] for r in ws.store.query("SELECT id FROM items ORDER BY id LIMIT 12")]
    ws.store.create_named_slice("S", items, who="carol")
    axis = "solving_operation"
    cli(small_store, "label", "set", "--slice", "S", "--axis", axis, "--value", "counting",
        "--note", "alice: these are counting slips", user="alice")  # fmt: skip
    cli(small_store, "label", "set", "--slice", "S", "--axis", axis, "--value", "casework",
        "--note", "bob: casework", user="bob")  # fmt: skip
    shown = cli(small_store, "label", "show", "--slice", "S").output
    assert "note: bob: casework" in shown
    history = cli(small_store, "label", "history", "--actions", "--limit", "5").output
    assert "alice: these are counting slips" in history and "bob: casework" in history
    rows = ws.label_history(item_id=items[0])
    assert [(r["who"], r["new_value"], r["new_note"]) for r in rows[:2]] == [
        ("bob", "casework", "bob: casework"),
        ("alice", "counting", "alice: these are counting slips"),
    ]
    assert rows[0]["old_note"] == "alice: these are counting slips" and rows[0]["old_who"] == (
        "alice"
    )
    cli(small_store, "label", "undo", user="bob")
    shown = cli(small_store, "label", "show", "--slice", "S").output
    assert "note: alice: these are counting slips" in shown
    assert "updated_by: alice" in shown
    hand = [v for v in ws.label_show(items[0])["axes"][axis]["values"] if v["source"] == "hand"]
    assert [(h["value"], h["note"], h["who"]) for h in hand] == [
        ("counting", "alice: these are counting slips", "alice")
    ]
    # the undo itself is credited to bob in the history
    assert ws.label_history(item_id=items[0])[0]["who"] == "bob"
    assert ws.label_history(item_id=items[0])[0]["action"] == "undo"


def test_label_timestamp_is_taken_once_the_write_lock_is_held(small_store: Path):
    """A label set that waits 1.5 s for another writer is stamped when it got the lock."""
    import threading
    import time
    from datetime import datetime, timezone

    holder = Store(small_store)
    waiter = Store(small_store)
    got: dict[str, str] = {}
    with holder.write():
        t = threading.Thread(
            target=lambda: got.update(waiter.set_labels([1], {"task_type": "algorithmic"}))
        )
        t.start()
        time.sleep(1.5)
        released = datetime.now(timezone.utc).replace(microsecond=0)
    t.join(10)
    assert datetime.fromisoformat(got["at"]) >= released


def test_one_conflict_type():
    assert issubclass(ConcurrentEdit, Conflict)
    from capslice_tui.store.labels import Conflict as LabelsConflict

    assert LabelsConflict is Conflict
