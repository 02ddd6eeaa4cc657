"""``refresh_item_scores`` writes a greedy run's rows without grouping (one sample per
(task, filter, item)) and groups every other run: the rows equal the grouped INSERT's in
value and type either way (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from capslice_tui.store import Store
from capslice_tui.store.aggregates import _one_sample_per_item

GROUPED = (
    "SELECT run_id, task, filter, item_id, count(score), typeof(count(score)),"
    " coalesce(sum(score), 0), typeof(coalesce(sum(score), 0)), {lenient}, typeof({lenient})"
    " FROM samples WHERE run_id = ?"
    " GROUP BY run_id, task, filter, item_id HAVING count(score) > 0"
    " ORDER BY task, filter, item_id"
).format(  # NULL unless every scored sample has a lenient score (walk 9 #16)
    lenient="CASE WHEN count(lenient) = count(score) THEN sum(lenient) END"
)
STORED = (
    "SELECT run_id, task, filter, item_id, n, typeof(n), c, typeof(c), c_lenient,"
    " typeof(c_lenient) FROM item_scores WHERE run_id = ? ORDER BY task, filter, item_id"
)


def _store(tmp_path: Path) -> Store:
    """Run 1 greedy (unscored samples among them, lenient NULL or not), run 2 two samples
    per item (fractional scores), run 3 greedy but for one item under two doc ids, run 4 an
    item whose second sample is unscored but has a lenient score."""
    store = Store(tmp_path / "s.db")
    rows: list[tuple[Any, ...]] = []
    for i in range(1, 41):
        score = None if i % 7 == 0 else float(i % 2)
        lenient = None if i % 5 == 0 else float(i % 3 == 0)
        rows.append((1, i, "t1" if i < 20 else "t2", "f", str(i), 0, score, lenient))
        for k in range(2):
            rows.append((2, i, "t1", "f", str(i), k, 0.25 * ((i + k) % 5), 0.5 * k))
        rows.append((3, i, "t1", "f", str(i), 0, float(i % 2), None))
    rows.append((3, 5, "t1", "f", "dup-doc", 0, 1.0, None))  # item 5 again, another doc id
    rows += [(4, 1, "t", "f", "1", 0, 1.0, 0.0), (4, 1, "t", "f", "1", 1, None, 1.0)]
    rows += [(4, 2, "t", "f", "2", 0, 0.0, None)]
    with store.write() as conn:
        for run_id in range(1, 5):
            conn.execute(
                "INSERT INTO runs (id, name, created_at) VALUES (?, ?, 'x')", (run_id, f"r{run_id}")
            )
        conn.executemany(
            "INSERT INTO samples (run_id, item_id, task, filter, doc_id, sample_idx, score,"
            " lenient, ingest_id) VALUES (?,?,?,?,?,?,?,?,1)",
            rows,
        )
    return store


def test_only_the_greedy_run_takes_the_ungrouped_insert(tmp_path: Path) -> None:
    store = _store(tmp_path)
    taken = {}
    for run_id in range(1, 5):
        with store.write() as conn:
            conn.execute("DELETE FROM item_scores WHERE run_id = ?", (run_id,))
            taken[run_id] = _one_sample_per_item(conn, run_id)
            left = conn.execute(
                "SELECT count(*) FROM item_scores WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            assert (left > 0) == taken[run_id]  # undone when not greedy
    assert taken == {1: True, 2: False, 3: False, 4: False}


def test_refreshed_rows_equal_the_grouped_insert_in_value_and_type(tmp_path: Path) -> None:
    store = _store(tmp_path)
    for run_id in range(1, 5):
        store.refresh_item_scores(run_id)
        want = store.conn.execute(GROUPED, (run_id,)).fetchall()
        got = store.conn.execute(STORED, (run_id,)).fetchall()
        assert [tuple(r) for r in got] == [tuple(r) for r in want], run_id
        assert want
    unscored = store.conn.execute(
        "SELECT count(*) FROM item_scores WHERE run_id = 1 AND item_id % 7 = 0"
    ).fetchone()[0]
    assert unscored == 0  # an unscored greedy sample is no row
    assert (
        store.conn.execute(
            "SELECT c_lenient FROM item_scores WHERE run_id = 4 AND item_id = 1"
        ).fetchone()[0]
        is None
    )  # 2 lenient scores beside 1 score: counts of other samples, never a sum (walk 9 #16)
    assert store.conn.execute("SELECT count(*) FROM run_outcomes WHERE run_id = 1").fetchone()[0]


def test_run_outcomes_keys_are_the_scored_ones_and_those_with_first_samples(
    tmp_path: Path,
) -> None:
    """Run 5: (t, a) scored first samples; (t, b) first samples, none scored; (t, c) scored
    second samples only; (t, d) unscored second samples only (no row)."""
    store = _store(tmp_path)
    rows = [
        ("a", 1, 0, 1.0), ("a", 2, 0, 0.0), ("b", 3, 0, None), ("c", 4, 1, 1.0),
        ("d", 5, 1, None),
    ]  # fmt: skip
    with store.write() as conn:
        conn.execute("INSERT INTO runs (id, name, created_at) VALUES (5, 'r5', 'x')")
        conn.executemany(
            "INSERT INTO samples (run_id, item_id, task, filter, doc_id, sample_idx, score,"
            " ingest_id) VALUES (5, ?, 't', ?, ?, ?, ?, 1)",
            [(item, f, str(item), k, score) for f, item, k, score in rows],
        )
    store.refresh_item_scores(5)
    got = {
        r[0]: (r[1], r[2] is not None, r[3] is not None)
        for r in store.conn.execute(
            "SELECT filter, n_items, present, evaluation FROM run_outcomes WHERE run_id = 5"
        )
    }
    assert got == {"a": (2, True, True), "b": (0, False, True), "c": (1, True, False)}
