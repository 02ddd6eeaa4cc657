"""``0025_ingest_sample_ranges``: each ingest keeps the id range of the samples it wrote, and
``samples`` has no per-sample ``ingest_id`` index; rollback, an ingest's sample count and a
run's id range read the range (issue 14). Upgraded stores, interleaved ingests, rollback,
pulled runs, export/import and recover keep the range holding every sample of its ingest."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from capslice_tui.store import Store
from test_migrations import v1_store
from test_store_ingest import write_gsm8k

from capslice_tui.workspace import IngestError, Workspace
from capslice_tui.workspace.ingest import ingest


def _actual(conn: sqlite3.Connection) -> dict[int, tuple[int, int]]:
    return {
        i: (lo, hi)
        for i, lo, hi in conn.execute(
            "SELECT ingest_id, min(id), max(id) FROM samples GROUP BY ingest_id"
        )
    }


def _recorded(conn: sqlite3.Connection) -> dict[int, tuple[int | None, int | None]]:
    return {
        i: (lo, hi)
        for i, lo, hi in conn.execute("SELECT id, first_sample_id, last_sample_id FROM ingests")
    }


def _holds(conn: sqlite3.Connection) -> None:
    """Every ingest's recorded range holds all of its samples; one without samples has none
    or a range with none of its samples."""
    recorded, actual = _recorded(conn), _actual(conn)
    for ingest_id, (lo, hi) in actual.items():
        first, last = recorded[ingest_id]
        assert first is not None and last is not None, ingest_id
        assert first <= lo and hi <= last, (ingest_id, (first, last), (lo, hi))


def _indexes(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_a_first_schema_store_gets_its_ranges_and_loses_the_index(tmp_path: Path) -> None:
    path = v1_store(tmp_path / "v1.db")
    conn = sqlite3.connect(path)
    want = _actual(conn)
    assert "samples_ingest" in _indexes(conn) and want
    conn.close()
    store = Store(path)
    assert "samples_ingest" not in _indexes(store.conn)
    recorded = _recorded(store.conn)
    assert {i: r for i, r in recorded.items() if i in want} == want  # exact after backfill
    assert all(r == (None, None) for i, r in recorded.items() if i not in want)
    for run_id, lo, hi in store.conn.execute(
        "SELECT run_id, min(id), max(id) FROM samples GROUP BY run_id"
    ).fetchall():
        assert store._run_id_range(run_id) == (lo, hi)
    for ingest_id, n in store.conn.execute(
        "SELECT ingest_id, count(*) FROM samples GROUP BY ingest_id"
    ).fetchall():
        assert store.ingest_sample_count(ingest_id) == n


def test_ingests_record_exact_ranges_and_counts(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([write_gsm8k(tmp_path / "a", n=30)], run="a")
    ws.ingest([write_gsm8k(tmp_path / "b", n=20)], run="b")
    ws.ingest([write_gsm8k(tmp_path / "a", n=30)], run="a")  # again: adds nothing
    conn = ws.store.conn
    actual = _actual(conn)
    assert {i: r for i, r in _recorded(conn).items() if i in actual} == actual
    assert len(actual) == 2 and ws.store.ingest_sample_count(3) == 0
    ids = {name: ws.store.conn.execute("SELECT id FROM runs WHERE name = ?", (name,)).fetchone()[0]
           for name in ("a", "b")}  # fmt: skip
    assert ws.store._run_id_range(ids["a"]) == actual[1]
    assert ws.store._run_id_range(ids["b"]) == actual[2]


def test_a_rollback_removes_its_samples_only_when_ranges_overlap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([write_gsm8k(tmp_path / "old")], run="old")
    bad = write_gsm8k(tmp_path / "bad", n=30, bad_line=50)
    written: list[int] = []
    rollback = ws.store.rollback_ingest

    def counted(ingest_id: int, *args: object) -> None:
        written.append(ws.store.ingest_sample_count(ingest_id))
        rollback(ingest_id, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ws.store, "rollback_ingest", counted)
    with pytest.raises(IngestError):  # into the existing run, batches of 8 samples
        ingest(ws.store, ws.taxonomy, [bad], run="old", batch_size=8)
    conn = ws.store.conn
    assert written and written[0] > 0  # some batches were written before the bad line
    (state,) = conn.execute("SELECT status FROM ingests WHERE id = 2").fetchall()
    assert tuple(state) == ("rolled_back",) and _recorded(conn)[2] == (None, None)
    assert conn.execute("SELECT count(*) FROM samples").fetchone()[0] == 24
    # two ingests whose batches interleave: ingest 1's range holds another's samples
    ws.ingest([write_gsm8k(tmp_path / "b", n=5)], run="b")
    with ws.store.write() as w:
        w.execute("UPDATE ingests SET last_sample_id = (SELECT max(id) FROM samples) WHERE id = 1")
    before = conn.execute("SELECT count(*) FROM samples WHERE ingest_id != 1").fetchone()[0]
    assert ws.store.ingest_sample_count(1) == 24
    rollback(1, 1, True, "test")
    assert conn.execute("SELECT count(*) FROM samples WHERE ingest_id = 1").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM samples").fetchone()[0] == before == 10
    _holds(conn)


def test_a_batch_of_several_ingests_widens_each(tmp_path: Path) -> None:
    from capslice_tui.store.ingest import note_new_samples

    store = Store(tmp_path / "s.db")
    with store.write() as conn:
        conn.execute("INSERT INTO runs (id, name, created_at) VALUES (1, 'r', 'now')")
        conn.executemany(
            "INSERT INTO ingests (id, run_id, started_at, status) VALUES (?, 1, 'now', 'running')",
            [(1,), (2,)],
        )
        conn.execute(
            "INSERT INTO items (id, item_hash, benchmark, task, doc_id) VALUES (1, x'00', 'b',"
            " 't', '0')"
        )
        conn.executemany(
            "INSERT INTO samples (run_id, item_id, task, filter, doc_id, sample_idx, ingest_id)"
            " VALUES (1, 1, 't', 'f', ?, 0, ?)",
            [(str(d), 1 + d % 2) for d in range(7)],
        )
        note_new_samples(conn, 0)
        conn.execute(
            "INSERT INTO samples (run_id, item_id, task, filter, doc_id, sample_idx, ingest_id)"
            " VALUES (1, 1, 't', 'f', '9', 0, 2)"
        )
        note_new_samples(conn, 7, 2)
    assert _recorded(store.conn) == {1: (1, 7), 2: (2, 8)}


def test_export_import_and_recover_set_the_ranges_of_the_copied_samples(tmp_path: Path) -> None:
    from capslice_tui.store.exchange import export_store, import_folder

    from capslice_tui.workspace.reliability import recover_store

    ws = Workspace(tmp_path / "s.db")
    ws.ingest([write_gsm8k(tmp_path / "a", n=30)], run="a")
    ws.ingest([write_gsm8k(tmp_path / "b", n=20)], run="b")
    export_store(ws.store.conn, tmp_path / "s.db", tmp_path / "out", parquet=False)
    assert "first_sample_id" not in (tmp_path / "out" / "ingests.jsonl").read_text()
    other = Workspace(tmp_path / "o.db")
    other.ingest([write_gsm8k(tmp_path / "c", n=7)], run="c")  # other ids here
    import_folder(other.store, tmp_path / "out")
    conn = other.store.conn
    assert len(_actual(conn)) == 3
    assert {i: r for i, r in _recorded(conn).items() if i in _actual(conn)} == _actual(conn)
    recover_store(tmp_path / "s.db", tmp_path / "r.db")
    recovered = Store(tmp_path / "r.db")
    assert _recorded(recovered.conn) == _actual(recovered.conn) == _actual(ws.store.conn)
