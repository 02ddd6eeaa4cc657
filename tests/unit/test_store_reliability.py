"""Store reliability: annotations never lost (store-01), damage, doctor/recover, cluster
filesystems, busy timeout and backup."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from capslice_tui.store import Conflict, Store
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
    # the undo is a change of the slice: by bob, now (alice's note and label who come back)
    assert "changed by: bob" in shown
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
    from capslice_tui.store import interventions
    from capslice_tui.store.labels import Conflict as LabelsConflict

    assert LabelsConflict is Conflict and interventions.Conflict is Conflict
    assert not [
        name
        for name, value in vars(interventions).items()
        if isinstance(value, type) and issubclass(value, Conflict) and value is not Conflict
    ]


def _damage_middle_page(path: Path) -> None:
    """Overwrite with 0xFF one whole page near the middle of a store file: the first page,
    from the middle outwards, whose loss makes some samples unreadable while the schema, the
    runs table and the samples table's root stay readable (tried on a copy first)."""
    import shutil
    import sqlite3

    with sqlite3.connect(path) as c:  # fold the write-ahead log into the file first
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = c.execute("PRAGMA page_size").fetchone()[0]
    c.close()
    n_pages = path.stat().st_size // page
    trial = path.with_name("trial.db")
    middle = n_pages // 2
    for k in sorted(range(2, n_pages), key=lambda p: abs(p - middle)):
        shutil.copyfile(path, trial)
        with trial.open("r+b") as f:
            f.seek(k * page)
            f.write(b"\xff" * page)
        t = sqlite3.connect(trial)
        try:
            t.execute("SELECT * FROM runs").fetchall()
            t.execute("SELECT * FROM samples WHERE rowid = 1").fetchall()  # root page intact
            t.execute("SELECT max(rowid) FROM samples").fetchall()
            try:
                t.execute("SELECT * FROM samples").fetchall()
            except sqlite3.DatabaseError:
                t.close()
                shutil.copyfile(trial, path)
                trial.unlink()
                return
        except sqlite3.DatabaseError:
            pass
        t.close()
    raise AssertionError("no page of the samples table found")


def test_damaged_page_doctor_clear_message_refused_writes_and_recover(tmp_path: Path):
    import hashlib

    small_store = tmp_path / "store.db"
    _gen().generate(tmp_path / "logs", 400)
    cli(small_store, "ingest", str(tmp_path / "logs"), "--run", "base")

    from capslice_tui.workspace.reliability import doctor_store

    assert doctor_store(small_store)["damaged"] is False
    assert cli(small_store, "doctor").output.count("integrity:    ok") == 1
    _damage_middle_page(small_store)
    digest = hashlib.sha256(small_store.read_bytes()).hexdigest()

    report = doctor_store(small_store)
    assert report["damaged"] is True
    out = cli(small_store, "doctor", code=1).output
    assert "DAMAGED" in out and "capslice recover" in out

    # a read that meets the damaged page: one clear line naming doctor and recover
    res = cli(small_store, "samples", "--run", "base", "--limit", "1000", code=1)
    assert res.output.startswith("Error: ") and res.output.count("\n") == 1
    assert "the store is damaged" in res.output and "doctor" in res.output
    assert "recover" in res.output and isinstance(res.exception, SystemExit)
    # writes are refused before anything is written
    src = tmp_path / "more"
    _gen().generate(src, 5)
    res = cli(small_store, "ingest", str(src), "--run", "more", code=1)
    assert "the store is damaged" in res.output and "nothing was written" in res.output
    res = cli(small_store, "label", "set", "--items", "1", "--axis", "task_type",
              "--value", "algorithmic", code=1)  # fmt: skip
    assert "the store is damaged" in res.output
    assert hashlib.sha256(small_store.read_bytes()).hexdigest() == digest

    new = tmp_path / "recovered.db"
    res = cli(small_store, "recover", str(small_store), str(new))
    assert f"{small_store} was not modified" in res.output
    assert hashlib.sha256(small_store.read_bytes()).hexdigest() == digest  # only read
    healthy = doctor_store(new)
    assert healthy["damaged"] is False and healthy["schema"]["pending"] == []
    assert healthy["orphans"] and not any(healthy["orphans"].values())
    old_counts = report["tables"]
    assert isinstance(old_counts["samples"], int)
    lost = old_counts["samples"] - healthy["tables"]["samples"]
    assert 0 < lost < old_counts["samples"] // 2
    (run,) = Workspace(new).runs()
    assert run["n_samples"] == healthy["tables"]["samples"]
    assert run["status"] == "incomplete"
    # recover never overwrites
    res = cli(small_store, "recover", str(small_store), str(new), code=1)
    assert "already exists" in res.output


def test_damaged_store_message_in_the_app(tmp_path: Path, small_store: Path):
    """A screen whose worker meets the damaged page shows the one clear message."""
    from capslice_tui.workspace.reliability import friendly_db_error

    _damage_middle_page(small_store)
    import sqlite3

    text = friendly_db_error(sqlite3.DatabaseError("database disk image is malformed"), "s.db")
    assert text and "capslice --store s.db doctor" in text and "capslice recover s.db" in text
    assert friendly_db_error(ValueError("x"), "s.db") is None


def _fake_mounts(tmp_path: Path, fstype: str) -> Path:
    """A mount table where ``tmp_path`` is its own mount of type ``fstype``."""
    table = tmp_path / "mounts"
    table.write_text(
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        f"fileserver:/export/home {tmp_path} {fstype} rw,relatime,vers=4.2 0 0\n"
    )
    return table


def test_cluster_filesystem_uses_rollback_journal_and_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from capslice_tui.store.fs import filesystem_of

    monkeypatch.setenv("CAPSLICE_MOUNTS", str(_fake_mounts(tmp_path, "nfs4")))
    fs = filesystem_of(tmp_path / "s.db")
    assert (fs.fstype, fs.mountpoint, fs.cluster) == ("nfs4", str(tmp_path), True)
    store = Store(tmp_path / "s.db")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.fs_warning and "nfs4" in store.fs_warning
    assert "several hosts" in store.fs_warning
    store.close()
    assert not (tmp_path / "s.db-wal").exists()
    res = CliRunner().invoke(main, ["--store", str(tmp_path / "s.db"), "runs"])
    assert res.exit_code == 0 and "warning:" in res.output and "nfs4" in res.output
    report = cli(tmp_path / "s.db", "doctor").output
    assert "filesystem:   nfs4" in report and "journal mode: delete" in report


def test_cluster_filesystem_single_writer_lease(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """On nfs4 each write holds ``<store>.lease`` (host, pid); a live holder elsewhere makes
    the next writer wait, then fail with a message naming host and pid; a dead holder's lease
    is taken over; the lease is gone after each write."""
    import time

    from capslice_tui.store import StoreBusy

    monkeypatch.setenv("CAPSLICE_MOUNTS", str(_fake_mounts(tmp_path, "nfs4")))
    path = tmp_path / "s.db"
    lease = tmp_path / "s.db.lease"
    store = Store(path, busy_timeout_s=0.3)
    seen: list[str] = []
    with store.write():
        seen.append(lease.read_text())
    assert f"pid={os.getpid()}" in seen[0] and not lease.exists()

    lease.write_text("host=node17 pid=4242 since=2026-11-30T09:00:00+00:00\n")
    t0 = time.monotonic()
    with pytest.raises(StoreBusy, match="host node17, pid 4242") as err, store.write():
        pass
    assert time.monotonic() - t0 >= 0.3 and "delete the lease file" in str(err.value)
    assert "node17" in cli(path, "doctor").output

    import socket
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    lease.write_text(f"host={socket.gethostname()} pid={gone} since=x\n")
    with store.write():
        pass  # a dead process's lease is taken over
    assert not lease.exists()


def test_wal_store_moved_to_nfs_switches_to_rollback_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CAPSLICE_MOUNTS", str(_fake_mounts(tmp_path, "ext4")))
    local = Store(tmp_path / "s.db")
    assert local.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert local.fs_warning is None
    local.close()
    monkeypatch.setenv("CAPSLICE_MOUNTS", str(_fake_mounts(tmp_path, "lustre")))
    remote = Store(tmp_path / "s.db")
    assert remote.conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert remote.fs_warning and "lustre" in remote.fs_warning


def test_busy_timeout_option_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import time

    from capslice_tui.store import StoreBusy, StoreError

    path = tmp_path / "s.db"
    monkeypatch.setenv("CAPSLICE_BUSY_TIMEOUT", "0.5")
    holder, waiter = Store(path), Store(path)
    assert waiter.busy_timeout_s == 0.5
    with holder.write():
        t0 = time.monotonic()
        with pytest.raises(StoreBusy, match=r"waited 0\.5 s"), waiter.write():
            pass
        assert time.monotonic() - t0 >= 0.4  # it waited (about) the timeout before giving up
    monkeypatch.setenv("CAPSLICE_BUSY_TIMEOUT", "soon")
    with pytest.raises(StoreError, match="CAPSLICE_BUSY_TIMEOUT='soon'"):
        Store(path)
    monkeypatch.delenv("CAPSLICE_BUSY_TIMEOUT")
    from capslice_tui.cli.root import Ctx

    ctx = Ctx(str(path), None, 2.5)
    assert ctx.ws.store.busy_timeout_s == 2.5
    res = CliRunner().invoke(main, ["--store", str(path), "--busy-timeout", "-1", "runs"])
    assert res.exit_code == 2 and "--busy-timeout" in res.output


def test_backup_is_a_consistent_copy(small_store: Path, tmp_path: Path):
    from capslice_tui.workspace.reliability import doctor_store

    target = tmp_path / "copy.db"
    out = cli(small_store, "backup", str(target)).output
    assert "integrity of the copy: ok" in out
    assert doctor_store(target)["damaged"] is False
    assert Workspace(target).runs() == Workspace(small_store).runs()
    assert "already exists" in cli(small_store, "backup", str(target), code=1).output


def test_app_warns_about_a_store_on_a_cluster_filesystem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import asyncio

    from capslice_tui.app.app import make_app

    monkeypatch.setenv("CAPSLICE_MOUNTS", str(_fake_mounts(tmp_path, "nfs4")))
    ws = Workspace(tmp_path / "s.db")
    assert ws.storage_warning and "nfs4" in ws.storage_warning
    assert ws.doctor()["filesystem"]["fstype"] == "nfs4"

    async def check() -> None:
        app = make_app(tmp_path / "s.db", workspace=ws)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            notes = [n.message for n in app._notifications]
            assert any("nfs4" in m and "several hosts" in m for m in notes), notes

    asyncio.run(check())


def test_doctor_counts_migrations_and_names_the_newest(small_store: Path):
    """``17 migrations applied`` beside names numbered to 0023 read as a miscount: the count
    is of the migrations this capslice knows (their numbers skip some); the line says so
    (review)."""
    from capslice_tui.store.schema import MIGRATIONS

    from capslice_tui.workspace.reliability import schema_line

    names = sorted(name for name, _ in MIGRATIONS)
    out = cli(small_store, "doctor").output
    line = f"schema:       all {len(names)} migrations applied (newest {names[-1]})"
    assert line in out, out
    pending = {"applied": names[:-2], "pending": names[-2:], "unknown": [], "known": names}
    assert schema_line(pending) == f"{len(names) - 2} of {len(names)} migrations applied, 2 pending"
    newer = {"applied": [*names, "0099_x"], "pending": [], "unknown": ["0099_x"], "known": names}
    assert schema_line(newer).endswith(f"(newest {names[-1]}), 1 from a newer capslice")
