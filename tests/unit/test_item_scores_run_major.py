"""``0023_item_scores_run_major``: ``item_scores`` has no item-major index; the runs holding
some items and the runs sharing a run's items are read from the ``run_outcomes`` bitsets and
must equal what SQL over ``item_scores`` says (issue 14)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from capslice_tui.store import Store
from capslice_tui.store.outcomes import refresh, runs_holding
from capslice_tui.store.schema import MIGRATIONS

LM_EVAL = Path(__file__).resolve().parents[2] / "sample_data" / "lm_eval"


def _store(tmp_path: Path) -> Store:
    """Six runs over items 1..400 in three tasks of two benchmarks and two filters; run 3's
    task t2 is too sparse for a bitset (items 1 and 90,000); run 6 has scores and no
    ``run_outcomes`` rows (not built); run 7 has no scores."""
    store = Store(tmp_path / "s.db")
    rng = random.Random(7)
    with store.write() as conn:
        for run_id in range(1, 8):
            conn.execute(
                "INSERT INTO runs (id, name, created_at) VALUES (?, ?, '2026-01-01')",
                (run_id, f"r{run_id}"),
            )
            for t in range(3):
                conn.execute(
                    "INSERT INTO run_tasks (run_id, task, benchmark, primary_filter)"
                    " VALUES (?, ?, ?, 'f0')",
                    (run_id, f"t{t}", "a" if t < 2 else "b"),
                )
        rows = set()
        for run_id in range(1, 7):
            for t in range(3):
                for f in ("f0", "f1")[: 1 + (run_id % 2)]:
                    start = rng.randrange(0, 300)
                    for item in rng.sample(range(1 + start, 101 + start), rng.randrange(5, 60)):
                        rows.add((run_id, f"t{t}", f, item))
        rows.discard((3, "t2", "f0", 1))
        rows -= {r for r in rows if r[:2] == (3, "t2")}
        rows |= {(3, "t2", "f0", 1), (3, "t2", "f0", 90_000)}
        conn.executemany(
            "INSERT INTO item_scores (run_id, task, filter, item_id, n, c) VALUES (?,?,?,?,1,1)",
            sorted(rows),
        )
        refresh(conn, range(1, 6))
    return store


def _sql_holding(conn: sqlite3.Connection, ids: list[int]) -> set[int]:
    marks = ",".join("?" * len(ids))
    sql = f"SELECT DISTINCT run_id FROM item_scores WHERE item_id IN ({marks})"
    return {r[0] for r in conn.execute(sql, ids)}


def _sql_sharing(conn: sqlite3.Connection, run_id: int, benchmark: str | None) -> dict[int, int]:
    """The query ``runs_sharing_items`` ran before 0023."""
    sql = (
        "SELECT o.run_id, count(DISTINCT o.item_id) FROM item_scores s"
        " JOIN item_scores o ON o.item_id = s.item_id AND o.run_id != s.run_id"
    )
    params: list[object] = []
    if benchmark is not None:
        sql += (
            " JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task AND rt.benchmark = ?"
        )
        params.append(benchmark)
    sql += " WHERE s.run_id = ? GROUP BY o.run_id"
    return {r: n for r, n in conn.execute(sql, [*params, run_id])}


def test_the_store_has_the_cases(tmp_path: Path) -> None:
    store = _store(tmp_path)
    conn = store.conn
    assert conn.execute("SELECT lo FROM run_outcomes WHERE run_id = 3 AND task = 't2'").fetchone()[
        0
    ] is None  # fmt: skip
    assert conn.execute("SELECT count(*) FROM run_outcomes WHERE run_id = 6").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM item_scores WHERE run_id = 6").fetchone()[0] > 0
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "item_scores_item" not in indexes


def test_runs_holding_items_equals_sql(tmp_path: Path) -> None:
    store = _store(tmp_path)
    rng = random.Random(3)
    cases = [[90_000], [1], [5000], [400, 401]] + [
        rng.sample(range(1, 420), k) for k in (1, 2, 5, 30, 300) for _ in range(4)
    ]
    seen = set()
    for ids in cases:
        got = runs_holding(store.conn, ids)
        assert got == _sql_holding(store.conn, ids), ids
        seen |= got
    assert {3, 6} <= seen  # the sparse run and the run without bitsets are found
    assert runs_holding(store.conn, []) == set()


def test_runs_sharing_items_equals_the_old_join(tmp_path: Path) -> None:
    store = _store(tmp_path)
    for run_id in range(1, 8):
        for benchmark in (None, "a", "b", "nope"):
            want = _sql_sharing(store.conn, run_id, benchmark)
            assert store.runs_sharing_items(run_id, benchmark) == want, (run_id, benchmark)
    assert store.runs_sharing_items(6)  # the run without bitsets shares items
    assert 3 in store.runs_sharing_items(1) or 3 in store.runs_sharing_items(2)


def test_a_label_change_refreshes_the_slice_counts_of_the_runs_holding_the_item(
    tmp_path: Path,
) -> None:
    from capslice_tui.workspace import Workspace

    ws = Workspace(tmp_path / "w.db")
    ws.ingest([LM_EVAL / "bbh-base"], run="base", benchmark="bbh")
    ws.ingest([LM_EVAL / "bbh-eos-masked"], run="cand", benchmark="bbh")
    store = ws.store
    item = store.conn.execute("SELECT min(item_id) FROM item_scores WHERE run_id = 1").fetchone()[0]
    assert runs_holding(store.conn, [item]) == {1, 2}
    with store.write() as conn:
        conn.execute("UPDATE item_axes SET task_type = 'zz-stale' WHERE item_id = ?", (item,))
        conn.execute(
            "INSERT INTO labels (item_id, axis, value, source, who, at)"
            " VALUES (?, 'task_type', 'zz-new', 'hand', 't', '2026-01-01')",
            (item,),
        )
    store.refresh_item_axes([item])
    for run_id in (1, 2):
        cells = store.conn.execute(
            "SELECT sum(n_items) FROM slice_counts WHERE run_id = ? AND task_type = 'zz-new'",
            (run_id,),
        ).fetchone()[0]
        assert cells == 1


def test_the_migration_drops_the_index_of_an_existing_store(tmp_path: Path) -> None:
    store = _store(tmp_path)
    want = {r: store.runs_sharing_items(r) for r in range(1, 8)}
    store.close()
    conn = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    conn.execute("CREATE INDEX item_scores_item ON item_scores (item_id)")
    conn.execute("DELETE FROM _migrations WHERE name = '0023_item_scores_run_major'")
    conn.close()
    store = Store(tmp_path / "s.db")
    names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
    assert "item_scores_item" not in names
    assert "0023_item_scores_run_major" in [n for n, _ in MIGRATIONS]
    assert store.conn.execute(
        "SELECT 1 FROM _migrations WHERE name = '0023_item_scores_run_major'"
    ).fetchone()
    assert {r: store.runs_sharing_items(r) for r in range(1, 8)} == want
