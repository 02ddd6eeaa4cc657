"""``run_outcomes`` (migration 0022, issue 14): the maintained bitsets and evaluation digests
equal a from-scratch recomputation after every write that changes a run's scores, and compare
answers the same through them as through its exact SQL paths."""

from __future__ import annotations

import hashlib
import importlib.util
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from capslice_tui.store import Store
from capslice_tui.store import outcomes as outcomes_module
from capslice_tui.store.schema import MIGRATIONS
from lmeval_lines import TS, gsm8k_line

from capslice_tui.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]


def _line(doc_id: int, em: float, flt: str = "strict-match") -> str:
    """One GSM8K line whose response works the sum out before its answer."""
    answer = "18" if em else "17"
    return gsm8k_line(doc_id, answer, em, filt=flt, response=f"6 + 12 = {answer}.\n#### {answer}")


def _logs(folder: Path, docs: range, right: set[int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"samples_gsm8k_{TS}.jsonl"
    path.write_text("\n".join(_line(d, 1.0 if d in right else 0.0) for d in docs) + "\n")
    return path


def _maintained(store: Store) -> list[tuple[Any, ...]]:
    """The stored rows, bitsets as Python ints over item ids."""
    return [
        (*r[:4], *(outcomes_module.as_int(b, r[4] or 0) for b in r[5:8]), r[8])
        for r in store.conn.execute("SELECT * FROM run_outcomes ORDER BY run_id, task, filter")
    ]


def _scratch(store: Store) -> list[tuple[Any, ...]]:
    """The rows recomputed from the samples alone (not from item_scores), item by item."""
    out = []
    for (run_id,) in store.conn.execute("SELECT id FROM runs ORDER BY id").fetchall():
        scored: dict[tuple[str, str], list[tuple[int, int, float]]] = {}
        for task, flt, item, n, c in store.conn.execute(
            "SELECT task, filter, item_id, count(score), coalesce(sum(score), 0) FROM samples"
            " WHERE run_id = ? GROUP BY task, filter, item_id HAVING count(score) > 0",
            (run_id,),
        ):
            scored.setdefault((task, flt), []).append((item, n, c))
        first: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        for task, flt, item, prompt, settings in store.conn.execute(
            "SELECT task, filter, item_id, prompt_hash, settings_id FROM samples"
            " WHERE run_id = ? AND sample_idx = 0",
            (run_id,),
        ):
            first.setdefault((task, flt), []).append((item, prompt, settings))
        for key in sorted(scored.keys() | first.keys()):
            rows = scored.get(key, [])
            present = sum(1 << i for i, _, _ in rows)
            correct = sum(1 << i for i, _, c in rows if c == 1)
            odd = sum(1 << i for i, n, c in rows if n != 1 or c not in (0, 1))
            zeros = first.get(key, [])
            digest = (
                hashlib.sha256(repr(sorted(zeros)).encode()).digest()
                if zeros and len({z[0] for z in zeros}) == len(zeros)
                else None
            )
            out.append((run_id, *key, len(rows), present, correct, odd, digest))
    return out


def test_maintained_outcomes_equal_a_recomputation_after_every_write(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "store.db")
    ws.ingest([_logs(tmp_path / "a", range(12), {0, 1, 2, 5})], run="r1")
    first = _maintained(ws.store)
    assert first == _scratch(ws.store) and len(first) == 1
    _, _, _, n_items, present, correct, odd, digest = first[0]
    assert n_items == 12 and digest is not None
    assert present.bit_count() == 12 and correct.bit_count() == 4 and correct & ~present == 0
    assert odd == 0  # every item one 0/1 sample: no bytes stored
    assert ws.store.conn.execute("SELECT odd FROM run_outcomes").fetchone()[0] is None
    # a second checkpoint holding a subset of the items
    ws.ingest([_logs(tmp_path / "b", range(2, 12), {2, 3, 4})], run="r2")
    assert _maintained(ws.store) == _scratch(ws.store)
    assert len(_maintained(ws.store)) == 2
    # a label edit (item_axes and slice_counts change; outcomes do not, and stay right)
    items = [r[0] for r in ws.store.conn.execute("SELECT id FROM items ORDER BY id LIMIT 3")]
    ws.label_items(items, {"task_type": "geometry"}, who="alice")
    assert _maintained(ws.store) == _scratch(ws.store)
    # a score changed under the run, then a rescore rebuilds its aggregates
    with ws.store.write() as conn:
        conn.execute("UPDATE samples SET score = 1.0 - score WHERE run_id = 1 AND item_id <= 3")
    assert _maintained(ws.store) != _scratch(ws.store)  # stale until the aggregates refresh
    ws.rescore("r1")
    assert _maintained(ws.store) == _scratch(ws.store)
    # deleting a run drops its rows
    ws.store.delete_run("r2")
    assert _maintained(ws.store) == _scratch(ws.store)
    assert {r[0] for r in _maintained(ws.store)} == {1}


def test_migration_builds_the_rows_of_an_existing_store(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "store.db")
    ws.ingest([_logs(tmp_path / "a", range(12), {0, 1, 2, 5})], run="r1")
    want = _maintained(ws.store)
    ws.store.close()
    conn = sqlite3.connect(tmp_path / "store.db")
    with conn:
        conn.execute("DROP TABLE run_outcomes")
        conn.execute("DELETE FROM _migrations WHERE name = '0022_run_outcomes'")
    conn.close()
    store = Store(tmp_path / "store.db")
    assert _maintained(store) == want
    assert MIGRATIONS[[n for n, _ in MIGRATIONS].index("0022_run_outcomes")][0]
    store.close()


def test_an_item_with_two_first_samples_gets_no_digest() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE item_scores (run_id, task, filter, item_id, n, c, c_lenient)")
    conn.execute(
        "CREATE TABLE samples (run_id, task, filter, item_id, sample_idx, prompt_hash, settings_id)"
    )
    rows = [(1, "t", "f", 5, 0, b"a", 1), (1, "t", "f", 6, 0, b"b", 1)]
    conn.executemany("INSERT INTO samples VALUES (?,?,?,?,?,?,?)", rows)
    assert outcomes_module.outcome_rows(conn, 1)[0][8] is not None
    conn.execute("INSERT INTO samples VALUES (1, 't', 'f', 5, 0, 'c', 1)")  # a second doc_id
    assert outcomes_module.outcome_rows(conn, 1)[0][8] is None


def test_sparse_item_ids_store_no_bitset(tmp_path: Path) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE item_scores (run_id, task, filter, item_id, n, c, c_lenient)")
    conn.execute(
        "CREATE TABLE samples (run_id, task, filter, item_id, sample_idx, prompt_hash, settings_id)"
    )
    conn.executemany(
        "INSERT INTO item_scores VALUES (1, 't', 'f', ?, 1, 1.0, NULL)",
        [(1,), (10_000_000,)],
    )
    (row,) = outcomes_module.outcome_rows(conn, 1)
    assert row[3] == 2 and row[4:8] == (None, None, None, None) and row[8] is None


# ---------------------------------------------------------------- compare: fast = exact


def _generated(path: Path, runs: int, items: int) -> Path:
    spec = importlib.util.spec_from_file_location("big_store", ROOT / "benchmarks" / "big_store.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(path, runs, items)
    return path


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Four greedy runs of 300 items (benchmarks/big_store.py, which fills run_outcomes):
    run 2 lacks every 7th item, every 5th item has no task_type label, run 2 logs other
    prompts for every 37th item, run 3 is not greedy on every 13th item, and runs 1 and 2
    also hold a second filter (``second``) holding a subset of the items."""
    path = _generated(tmp_path_factory.mktemp("outcomes") / "store.db", 4, 300)
    ws = Workspace(path)
    with ws.store.write() as conn:
        conn.execute("DELETE FROM samples WHERE run_id = 2 AND item_id % 7 = 0")
        conn.execute("UPDATE item_axes SET task_type = NULL WHERE item_id % 5 = 0")
        conn.execute(
            "UPDATE samples SET prompt_hash = zeroblob(32) WHERE run_id = 2 AND item_id % 37 = 8"
        )
        conn.execute("UPDATE samples SET score = 0.5 WHERE run_id = 3 AND item_id % 13 = 0")
        cols = [r[1] for r in conn.execute("PRAGMA table_info(samples)") if r[1] != "id"]
        sel = ", ".join("'second'" if c == "filter" else c for c in cols)
        conn.execute(
            f"INSERT INTO samples ({', '.join(cols)}) SELECT {sel} FROM samples"
            " WHERE run_id IN (1, 2) AND item_id % 3 != 0"
        )
    for run_id in (1, 2, 3, 4):
        ws.store.refresh_item_scores(run_id)
    assert _maintained(ws.store) == _scratch(ws.store)
    return ws


def _exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Store, "_paired_from_outcomes", lambda *a, **k: None)
    monkeypatch.setattr(Store, "evaluations_agree", lambda *a, **k: False)


CASES = [
    ("ckpt-000", "ckpt-001", "task", None, None),
    ("ckpt-000", "ckpt-003", "task", None, None),  # same items, same prompts
    ("ckpt-001", "ckpt-000", "benchmark", None, None),
    ("ckpt-000", "ckpt-001", "task", "bbh", None),
    ("ckpt-000", "ckpt-001", "task_type", None, None),  # an axis: the SQL join
    ("ckpt-000", "ckpt-002", "task", None, None),  # not greedy: item by item
    ("ckpt-000", "ckpt-001", "task", None, "second"),  # a non-primary filter
    ("ckpt-000", "ckpt-001", "benchmark", "mmlu", "second"),
]


@pytest.mark.parametrize(("base", "cand", "by", "benchmark", "flt"), CASES)
def test_compare_through_the_outcomes_equals_the_exact_path(
    pairs: Workspace, monkeypatch: pytest.MonkeyPatch, base: str, cand: str, by: str,
    benchmark: str | None, flt: str | None,
) -> None:  # fmt: skip
    fast = pairs.compare(base, cand, by=by, benchmark=benchmark, filter_name=flt).to_dict()
    with monkeypatch.context() as m:
        _exact(m)
        slow = pairs.compare(base, cand, by=by, benchmark=benchmark, filter_name=flt).to_dict()
    assert repr(fast) == repr(slow)
    assert fast["rows"]


def test_the_outcomes_answer_where_they_can(pairs: Workspace) -> None:
    store = pairs.store
    ids = {r["name"]: r["id"] for r in store.list_runs()}
    a, b, c, d = (ids[f"ckpt-00{i}"] for i in range(4))
    # the bitsets answer task and benchmark groupings, on any filter
    for groups, flt in ((["task"], None), (["benchmark"], None), (["task"], "second")):
        got = store.paired_greedy_counts(a, b, groups, filter_name=flt)
        assert store._paired_from_outcomes(a, b, groups, None, flt, list(got[1:3])) is not None
    # run 3's odd items are counted as not greedy
    assert store.paired_greedy_counts(a, c, ["task"])[3] > 0
    # digests: equal prompts agree; other prompts (run 2) or items (run 2 lacks some) do not
    assert store.evaluations_agree(a, d)
    assert not store.evaluations_agree(a, b)
    assert store.evaluation_differs_count(a, b) > 0
    # a store whose outcome rows were never built takes the exact paths
    with store.write() as conn:
        conn.execute("DELETE FROM run_outcomes WHERE run_id = ?", (d,))
    try:
        assert not store.evaluations_agree(a, d)
        totals = list(store.paired_greedy_counts(a, d, ["task"])[1:3])
        assert store._paired_from_outcomes(a, d, ["task"], None, None, totals) is None
    finally:
        with store.write() as conn:
            outcomes_module.refresh(conn, [d])


def test_compare_warns_the_same_through_the_digests(
    pairs: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = pairs.compare("ckpt-000", "ckpt-001").to_dict()
    assert fast["evaluation_warning"]
    with monkeypatch.context() as m:
        _exact(m)
        slow = pairs.compare("ckpt-000", "ckpt-001").to_dict()
    assert fast["evaluation_warning"] == slow["evaluation_warning"]
    assert pairs.compare("ckpt-000", "ckpt-003").to_dict()["evaluation_warning"] is None


def test_diagnose_through_the_outcomes_equals_the_exact_path(
    pairs: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = pairs.diagnose("ckpt-000", "ckpt-001").to_dict()
    with monkeypatch.context() as m:
        _exact(m)
        slow = pairs.diagnose("ckpt-000", "ckpt-001").to_dict()
    assert repr(fast) == repr(slow)
