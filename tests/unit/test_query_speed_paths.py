"""The fast read paths of big stores give the same answers as the plain per-row paths they
replace: per-item collapse of diagnose, run alignment of compare, the slice index."""

from __future__ import annotations

import numpy as np
import pytest
from capslice_tui.store import AXES
from capslice_tui.store.samples import UNLABELLED

from capslice_tui.workspace.diagnose import _align_columns, _per_item, slice_index


def _per_item_reference(item, score, modes, labels):
    """The per-item loop diagnose used before (one pass over all samples per item)."""
    uniq, first, inv = np.unique(item, return_index=True, return_inverse=True)
    n = np.bincount(inv).astype(float)
    c = np.bincount(inv, weights=score)
    dom = np.empty(uniq.size, dtype=object)
    for i in range(uniq.size):
        failing = modes[(inv == i) & (score < 1)] if n[i] > 1 else modes[inv == i]
        if failing.size == 0:
            dom[i] = "correct"
        else:
            vals, cnt = np.unique(failing.astype(str), return_counts=True)
            dom[i] = vals[int(np.argmax(cnt))]
    return uniq, n, c, dom, {a: v[first] for a, v in labels.items()}, inv


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_per_item_matches_the_per_item_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = 400
    # items of 1 to 4 samples, modes with ties, fractional scores
    item = np.repeat(rng.permutation(m) + 10, rng.integers(1, 5, m))
    score = rng.choice([0.0, 0.0, 0.5, 1.0], item.size)
    modes = rng.choice(["wrong_answer", "truncated", "empty", "correct"], item.size).astype(object)
    labels = {"task_type": rng.choice(["a", "b"], item.size).astype(object)}
    fast = _per_item(item, score, modes, labels)
    ref = _per_item_reference(item, score, modes, labels)
    for got, want in zip(fast[:3], ref[:3], strict=True):
        np.testing.assert_array_equal(got, want)
    assert [str(x) for x in fast[3]] == [str(x) for x in ref[3]]
    np.testing.assert_array_equal(fast[4]["task_type"], ref[4]["task_type"])
    np.testing.assert_array_equal(fast[5], ref[5])


def _rows(run: int, items: list[tuple[str, int]], rng: np.random.Generator) -> list[tuple]:
    """slice_rows-shaped tuples: item_id, task, benchmark, n, c, c_lenient, four axes."""
    out = []
    for task, item in sorted(items):
        tt = None if item % 5 == 0 else f"tt{item % 3}"
        out.append((item, task, "bench", 1, float(rng.random() < 0.5), None, "bc", tt, "op", "oc"))
    return out


def test_align_columns_pairs_the_same_items_in_the_same_order() -> None:
    rng = np.random.default_rng(3)
    base_items = [(t, i) for t in ("t_b", "t_a") for i in range(1, 60)]
    cand_items = [(t, i) for t in ("t_a", "t_b", "t_c") for i in range(20, 90)]
    b = _rows(1, base_items, rng)
    c = _rows(2, cand_items, rng)
    al = _align_columns(b, c)
    assert al is not None
    keys = sorted({(r[1], r[0]) for r in b} & {(r[1], r[0]) for r in c})
    assert al.item_ids.tolist() == [k[1] for k in keys]
    assert al.labels["task"].tolist() == [k[0] for k in keys]
    by_key_b = {(r[1], r[0]): r for r in b}
    by_key_c = {(r[1], r[0]): r for r in c}
    assert al.base_c.tolist() == [by_key_b[k][4] for k in keys]
    assert al.cand_c.tolist() == [by_key_c[k][4] for k in keys]
    names = ("item_id", "task", "benchmark", "n", "c", "c_lenient", *AXES)
    tt = names.index("task_type")
    assert al.labels["task_type"].tolist() == [
        by_key_b[k][tt] if by_key_b[k][tt] is not None else UNLABELLED for k in keys
    ]
    assert al.only_base == len(b) - len(keys)
    assert al.only_cand == len(c) - len(keys)


def test_align_columns_leaves_runs_without_shared_tasks_to_the_item_path() -> None:
    rng = np.random.default_rng(4)
    b = _rows(1, [("cot", i) for i in range(10)], rng)
    c = _rows(2, [("direct", i) for i in range(10)], rng)
    assert _align_columns(b, c) is None


def test_slice_index_groups_rows_like_a_dict_of_tuples() -> None:
    rng = np.random.default_rng(5)
    m = 300
    labels = {
        "task": rng.choice(["b", "a", "c"], m).astype(object),
        "task_type": rng.choice(["x", UNLABELLED, "y"], m).astype(object),
    }
    groups = ["task_type", "task"]
    got = slice_index(labels, groups)
    want: dict[tuple[str, ...], list[int]] = {}
    for i in range(m):
        want.setdefault(tuple(str(labels[g][i]) for g in groups), []).append(i)
    assert list(got) == sorted(want)
    assert {k: v.tolist() for k, v in got.items()} == want


@pytest.fixture(scope="module")
def small_big_store(tmp_path_factory: pytest.TempPathFactory):
    """A generated store of one run of 400 samples with text (benchmarks/big_store.py)."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("big_store", root / "benchmarks" / "big_store.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("queries") / "store.db"
    module.build(path, 1, 400, text=True)
    from capslice_tui.workspace import Workspace

    return Workspace(path)


@pytest.mark.parametrize(("sort", "descending"), [("id", False), ("score", True), ("doc", False)])
def test_keyset_pages_walk_every_sample_once_in_order(small_big_store, sort, descending) -> None:
    ws = small_big_store
    forward, key = [], None
    while True:
        page = ws.samples_page("ckpt-000", sort=sort, descending=descending, after=key, limit=37)
        if not page:
            break
        forward += page
        key = (page[-1]["sort_key"], page[-1]["id"])
    keys = [(r["sort_key"], r["id"]) for r in forward]
    assert keys == sorted(keys, reverse=descending) and len(keys) == len(set(keys)) == 400
    assert ws.samples_count("ckpt-000") == 400
    # backwards from the last page gives the same rows
    backward = ws.samples_page("ckpt-000", sort=sort, descending=descending, last=True, limit=37)
    while len(backward) < 400:
        first = backward[0]
        backward = (
            ws.samples_page("ckpt-000", sort=sort, descending=descending,
                            before=(first["sort_key"], first["id"]), limit=37)
            + backward
        )  # fmt: skip
    assert [r["id"] for r in backward] == [r["id"] for r in forward]
    # a doc's key starts a page at its first sample
    doc_key = ws.sample_doc_key("ckpt-000", "7", sort=sort, descending=descending)
    page = ws.samples_page("ckpt-000", sort=sort, descending=descending, from_key=doc_key, limit=3)
    assert page[0]["doc_id"] == "7"


def test_search_finds_a_chinese_substring_by_index_and_by_like(small_big_store) -> None:
    ws = small_big_store
    store = ws.store
    want = {
        r[0]
        for r in store.conn.execute(
            "SELECT s.id FROM samples s JOIN texts t ON t.hash = s.prompt_hash"
            " WHERE t.text LIKE '%苹果，他又%'"
        )
    }
    assert 0 < len(want) < 400
    assert ws.ensure_search_index("ckpt-000") is None
    assert ws.search_note("苹果，他又") is None  # 5 characters: the trigram index
    rows = ws.samples_page("ckpt-000", search="苹果，他又", limit=500)
    assert {r["id"] for r in rows} == want
    assert ws.samples_count("ckpt-000", search="苹果，他又") == len(want)
    # 2 characters: LIKE, said in a note, same samples (the sentence is the only "苹果")
    assert "LIKE" in (ws.search_note("苹果") or "")
    assert {r["id"] for r in ws.samples_page("ckpt-000", search="苹果", limit=500)} == want
    # a target: the generated targets are doc_id % 97
    assert ws.samples_count("ckpt-000", search="zzzqqq") == 0


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory):
    """Three greedy runs of 300 items (benchmarks/big_store.py); run 2 lacks every 7th item
    and every 5th item has no task_type label."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("big_store", root / "benchmarks" / "big_store.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("pairs") / "store.db"
    module.build(path, 3, 300)
    from capslice_tui.workspace import Workspace

    ws = Workspace(path)
    with ws.store.write() as conn:
        conn.execute("DELETE FROM item_scores WHERE run_id = 2 AND item_id % 7 = 0")
        conn.execute("UPDATE item_axes SET task_type = NULL WHERE item_id % 5 = 0")
    ws.store.refresh_slice_counts([1, 2, 3])
    return ws


@pytest.mark.parametrize(
    ("base", "cand", "by", "benchmark"),
    [
        ("ckpt-000", "ckpt-001", "task", None),
        ("ckpt-001", "ckpt-002", "task_type", None),
        ("ckpt-000", "ckpt-002", "benchmark", None),
        ("ckpt-000", "ckpt-001", "task_type,solving_operation", "bbh"),
    ],
)
def test_greedy_compare_from_sql_counts_matches_the_per_item_path(
    three_runs, monkeypatch, base, cand, by, benchmark
) -> None:
    import capslice_tui.workspace.diagnose as diagnose

    fast = three_runs.compare(base, cand, by=by, benchmark=benchmark).to_dict()
    assert (
        diagnose._greedy_comparison(three_runs.store, 1, 2, ["task"], benchmark, None, 10)
        is not None
    )  # the SQL path is the one taken
    monkeypatch.setattr(diagnose, "_greedy_comparison", lambda *a, **k: None)
    slow = three_runs.compare(base, cand, by=by, benchmark=benchmark).to_dict()
    assert repr(fast) == repr(slow)
    assert fast["rows"] and fast["overall"]["test"] == "mcnemar-exact"


@pytest.mark.parametrize("average", ["micro", "macro"])
def test_runs_of_greedy_runs_from_task_counts_match_the_item_path(
    three_runs, monkeypatch, average
) -> None:
    import capslice_tui.workspace.core as core

    assert core._greedy_benchmarks(three_runs.store.task_counts_all_runs()[1], "micro")
    fast = three_runs.runs(average)
    monkeypatch.setattr(core, "_greedy_benchmarks", lambda *a: None)
    slow = three_runs.runs(average)
    assert repr(fast) == repr(slow)
    assert {b for r in fast for b in r["benchmarks"]} == {"bbh", "mmlu", "gsm8k", "math"}


def _outcomes_of(rows: list[tuple[str, int, int]]):
    from capslice_tui.workspace.diagnose import _Outcomes

    rows = sorted(rows)
    task = np.array([r[0] for r in rows], dtype=object)
    item = np.array([r[1] for r in rows], dtype=np.int64)
    idx = np.array([r[2] for r in rows], dtype=np.int64)
    n = len(rows)
    return _Outcomes(
        rows, np.zeros(n), np.full(n, "correct", dtype=object), [None] * n, {}, item, task, idx
    )


def test_pair_samples_matches_the_dict_pairing() -> None:
    from capslice_tui.analysis.pairing import pair_by_dict as _pair_by_dict
    from capslice_tui.workspace.diagnose import _pair_samples

    rng = np.random.default_rng(5)
    base = {(t, int(i), int(s)) for t in ("t_a", "t_b") for i in rng.integers(1, 80, 60)
            for s in range(int(rng.integers(1, 3)))}  # fmt: skip
    cand = {(t, int(i), int(s)) for t in ("t_b", "t_c") for i in rng.integers(1, 80, 60)
            for s in range(2)}  # fmt: skip
    bo, co = _outcomes_of(list(base)), _outcomes_of(list(cand))
    got = _pair_samples(bo, co)
    want = _pair_by_dict(bo.keys, co.keys)
    assert got[0].size and [a.tolist() for a in got] == [a.tolist() for a in want]
    # no shared task: paired by (item, sample index), as the dict on k[1:] pairs them
    co2 = _outcomes_of([("t_z", i, s) for _, i, s in cand])
    got = _pair_samples(bo, co2)
    want = _pair_by_dict([k[1:] for k in bo.keys], [k[1:] for k in co2.keys])
    assert got[0].size and [a.tolist() for a in got] == [a.tolist() for a in want]


def test_greedy_compare_imports_no_numpy(three_runs) -> None:
    # compare of greedy runs tests counts alone (McNemar by exact integers, BH in floats):
    # numpy (~0.1-0.2 s of start-up) stays unloaded, and the answer is the in-process one
    import json
    import subprocess
    import sys

    want = three_runs.compare("ckpt-000", "ckpt-001", by="task_type").to_dict()
    code = (
        "import json, sys\nfrom capslice_tui.workspace import Workspace\n"
        f"ws = Workspace({str(three_runs.store.path)!r})\n"
        "d = ws.compare('ckpt-000', 'ckpt-001', by='task_type').to_dict()\n"
        "print(json.dumps([repr(d), sorted(m for m in ('numpy', 'scipy', 'rich',"
        " 'concurrent.futures') if m in sys.modules)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    got, loaded = json.loads(out.stdout)
    assert loaded == []
    assert got == repr(want)
    assert want["overall"]["test"] == "mcnemar-exact" and want["rows"]


@pytest.fixture()
def two_runs(tmp_path):
    """Two greedy runs of 200 items (benchmarks/big_store.py), prompt hashes and settings
    stored, every 4th item without a task_type label."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("big_store", root / "benchmarks" / "big_store.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "store.db"
    module.build(path, 2, 200)
    from capslice_tui.workspace import Workspace

    ws = Workspace(path)
    with ws.store.write() as conn:
        conn.execute("UPDATE item_axes SET task_type = NULL WHERE item_id % 4 = 0")
    return ws


def _diagnosis_without_the_digest_path(ws, monkeypatch, *args, **kwargs) -> str:
    import capslice_tui.store.aggregates as aggregates

    monkeypatch.setattr(aggregates.AggregatesMixin, "evaluation_digests_equal",
                        lambda *a, **k: False)  # fmt: skip
    try:
        return repr(ws.diagnose(*args, **kwargs).to_dict())
    finally:
        monkeypatch.undo()


def test_diagnose_reads_no_prompt_hash_when_the_digests_agree(two_runs, monkeypatch) -> None:
    # runs whose run_outcomes evaluation digests agree: the check is made without reading the
    # prompt hashes (a stand-in marks a stored one), with the same diagnosis as from the hashes
    ws = two_runs
    store = ws.store
    assert store.evaluation_digests_equal(1, 2) and store.evaluation_digests_equal(1, 2, "bbh")
    read: list[bool] = []
    real = type(store).outcome_rows

    def spy(self, *a, **k):
        read.append(k.get("prompts", True))
        return real(self, *a, **k)

    monkeypatch.setattr(type(store), "outcome_rows", spy)
    fast = repr(ws.diagnose("ckpt-000", "ckpt-001").to_dict())
    assert read == [False, False]
    monkeypatch.undo()
    assert fast == _diagnosis_without_the_digest_path(ws, monkeypatch, "ckpt-000", "ckpt-001")
    assert repr(ws.diagnose("ckpt-000", "ckpt-001", benchmark="bbh").to_dict()) == (
        _diagnosis_without_the_digest_path(ws, monkeypatch, "ckpt-000", "ckpt-001", benchmark="bbh")
    )


def test_diagnose_compares_the_hashes_when_a_prompt_differs(two_runs, monkeypatch) -> None:
    from capslice_tui.store.outcomes import refresh

    ws = two_runs
    with ws.store.write() as conn:  # one item's prompt changes in the candidate
        conn.execute(
            "UPDATE samples SET prompt_hash = zeroblob(32) WHERE run_id = 2 AND item_id ="
            " (SELECT min(item_id) FROM samples WHERE run_id = 2)"
        )
        refresh(conn, [2])
    assert not ws.store.evaluation_digests_equal(1, 2)
    diag = ws.diagnose("ckpt-000", "ckpt-001").to_dict()
    assert diag["evaluation"]["differences"], diag["evaluation"]
    assert "prompt" in repr(diag["evaluation"]["differences"])
    assert repr(diag) == _diagnosis_without_the_digest_path(ws, monkeypatch, "ckpt-000",
                                                            "ckpt-001")  # fmt: skip


@pytest.mark.parametrize("roughen", [False, True])
def test_coded_outcome_read_names_tasks_and_modes_as_the_text_read(two_runs, roughen: bool) -> None:
    # outcome_rows(coded_modes=...) gives tasks as run_tasks rowids and modes as indices;
    # _outcomes names them: the same rows as the text read (modes None/'' -> wrong_answer,
    # a mode outside MODES kept as stored)
    from capslice_tui.workspace.diagnose import _labelled, _outcomes, _task_codes

    store = two_runs.store
    if roughen:
        with store.write() as conn:
            conn.execute("UPDATE samples SET failure_mode = NULL WHERE item_id % 11 = 1")
            conn.execute("UPDATE samples SET failure_mode = '' WHERE item_id % 13 = 2")
            conn.execute("UPDATE samples SET failure_mode = 'odd_mode' WHERE item_id % 17 = 3")
    for run_id in (1, 2):
        rows = store.outcome_rows(run_id)  # ordered, names
        o = _outcomes(store, run_id, None, evaluation=True)
        task, code = _task_codes(np.array([r[1] for r in rows], dtype=object))
        assert o.task.tolist() == task.tolist()
        assert o.evaluation is not None
        first = [i for i, r in enumerate(rows) if r[2] == 0]
        assert o.evaluation.task_code.tolist() == code[first].tolist()
        assert o.item.tolist() == [r[0] for r in rows]
        modes = _labelled([r[4] for r in rows], "wrong_answer", empty=True)
        assert o.modes.tolist() == modes.tolist()
        assert ("odd_mode" in o.modes.tolist()) == roughen
        assert o.score.tolist() == [float(r[3]) for r in rows]
