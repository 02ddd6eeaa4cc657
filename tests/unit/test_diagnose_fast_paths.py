"""The fast paths of ``diagnose`` (issue 14) give what the straightforward computations give:
label and mode coding against ``np.unique`` and per-value loops, the greedy slice tests
against ``paired_compare`` per slice, the one-read outcomes against the joined, ordered read
and ``evaluation_columns``, the evaluation pairs against the item-by-item loop, and the whole
diagnosis of the one-read path against the separate reads, on a small generated store."""

from __future__ import annotations

import importlib.util
import itertools
import math
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from capslice_tui.analysis.compare import paired_compare
from capslice_tui.analysis.failure_modes import MODES
from capslice_tui.analysis.inputs import (
    UNLABELLED,
    label_array,
    label_codes,
    mode_codes,
    mode_masks,
    mode_values,
    unique_labels,
)

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- label and mode coding


def _label_reference(values: Any) -> list[str]:
    return [UNLABELLED if (v is None or v == "" or v != v) else str(v) for v in values]


@pytest.mark.parametrize("seed", range(6))
def test_unique_labels_is_np_unique_on_a_unicode_copy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool = ["b", "a", "ä", "A", "zz", "z", "", "é", "a b", "日本", "a\x00b"]
    for n in (0, 1, 7, 60):
        arr = np.array([pool[i] for i in rng.integers(0, len(pool), n)], dtype=object)
        for flags in itertools.product([False, True], repeat=3):
            kw = dict(zip(("return_index", "return_inverse", "return_counts"), flags, strict=True))
            got = unique_labels(arr, **kw)
            want = np.unique(arr.astype(str), **kw)
            got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
            assert got[0].dtype == object and got[0].tolist() == want[0].tolist()
            for g, w in zip(got[1:], want[1:], strict=True):
                assert g.dtype == w.dtype and g.shape == w.shape and g.tolist() == w.tolist()


@pytest.mark.parametrize("seed", range(6))
def test_label_array_and_codes_match_the_value_by_value_path(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pools = [
        [None, "", "a", "b", float("nan"), "c", "ä", "B"],
        [None, "", "a", "b", 1, 1.0, True],  # values equal across types: the plain path
    ]
    for pool in pools:
        n = int(rng.integers(0, 40))
        raw = np.empty(n, dtype=object)
        raw[:] = [pool[i] for i in rng.integers(0, len(pool), n)]
        labels = label_array("x", raw, n)
        assert labels.dtype == object and labels.tolist() == _label_reference(raw)
        got, values, inverse = label_codes("x", raw, n)
        want_values, want_inverse = np.unique(labels.astype(str), return_inverse=True)
        assert got.tolist() == labels.tolist() and values.tolist() == want_values.tolist()
        assert inverse.dtype == want_inverse.dtype and inverse.tolist() == want_inverse.tolist()
    with pytest.raises(ValueError, match="axis 'x': 2 labels for 3 rows"):
        label_codes("x", ["a", "b"], 3)


def test_mode_helpers_match_comparisons() -> None:
    rng = np.random.default_rng(1)
    modes = np.array([MODES[i] for i in rng.integers(0, len(MODES), 500)], dtype=object)
    assert mode_values("m", modes, 500).tolist() == modes.tolist()
    masks = mode_masks(modes)
    assert list(masks) == list(MODES)
    for m in MODES:
        assert masks[m].tolist() == (modes == m).tolist()
    odd = modes.copy()
    odd[:3] = ["other", None, 7]
    at = {m: i for i, m in enumerate(MODES)}
    assert mode_codes(odd).tolist() == [at.get(v, len(MODES)) for v in odd.tolist()]
    assert mode_codes(modes).tolist() == [at[v] for v in modes.tolist()]
    with pytest.raises(ValueError, match="unknown failure mode 'bogus'"):
        mode_values("m", [*modes.tolist(), "bogus"], 501)
    with pytest.raises(ValueError, match="500 modes for 501 rows"):
        mode_values("m", modes, 501)


# ---------------------------------------------------------------- paired slice tests


@pytest.mark.parametrize("greedy", [True, False])
def test_paired_results_are_paired_compare_per_slice(greedy: bool) -> None:
    from capslice_tui.analysis.slice_search import _paired_results, distinct_slices

    rng = np.random.default_rng(4)
    m = 300
    labels = {
        "task_type": rng.choice(["a", "b", "c"], m).astype(object),
        "solving_operation": rng.choice(["x", "y", None], m).astype(object),
    }
    bn = np.ones(m) if greedy else rng.integers(1, 4, m).astype(float)
    cn = bn.copy()
    bc = (rng.random(m) < 0.6).astype(float) if greedy else np.floor(rng.random(m) * (bn + 1))
    cc = (rng.random(m) < 0.5).astype(float) if greedy else np.floor(rng.random(m) * (cn + 1))
    found, _ = distinct_slices(labels, min_sup=5)
    got = _paired_results(found, bn, bc, cn, cc, None, 0, 5)
    want = [
        paired_compare(bn[idx], bc[idx], cn[idx], cc[idx], random_state=0, min_size=5)
        for _, _, idx in found
    ]
    assert len(got) == len(found) > 5
    assert [g.to_dict() for g in got] == [w.to_dict() for w in want]


# ---------------------------------------------------------------- a small generated store


def _generated(path: Path, runs: int = 3, items: int = 240) -> Path:
    spec = importlib.util.spec_from_file_location("big_store", ROOT / "benchmarks" / "big_store.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    module.build(path, runs, items)
    return path


def _roughen(path: Path) -> None:
    """What real stores hold and the generated one does not: items without labels or with
    empty ones, unclassified and empty failure modes, unscored samples, failure signals,
    prompts logged on one side only or different, other settings hashes."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DELETE FROM item_axes WHERE item_id % 11 = 0")
        conn.execute("UPDATE item_axes SET task_type = NULL WHERE item_id % 13 = 1")
        conn.execute("UPDATE item_axes SET solving_operation = '' WHERE item_id % 17 = 2")
        conn.execute("UPDATE samples SET failure_mode = NULL WHERE item_id % 19 = 3")
        conn.execute("UPDATE samples SET failure_mode = '' WHERE item_id % 23 = 4")
        conn.execute("UPDATE samples SET score = NULL WHERE item_id % 29 = 5 AND run_id = 2")
        conn.execute("UPDATE samples SET failure_signals = 'cap,loop' WHERE item_id % 7 = 6")
        conn.execute("UPDATE samples SET failure_signals = 'cap' WHERE item_id % 31 = 7")
        conn.execute("UPDATE samples SET prompt_hash = NULL WHERE item_id % 9 = 1 AND run_id = 1")
        conn.execute(
            "UPDATE samples SET prompt_hash = zeroblob(32) WHERE item_id % 37 = 8 AND run_id = 2"
        )
        conn.execute("UPDATE samples SET settings_id = NULL WHERE item_id % 41 = 9 AND run_id = 2")
        # a second settings group inside a task (0021_narrow_store: samples name settings by id)
        conn.execute("INSERT INTO eval_settings (hash, settings) VALUES (zeroblob(32), '{}')")
        conn.execute(
            "UPDATE samples SET settings_id = (SELECT id FROM eval_settings WHERE hash ="
            " zeroblob(32)) WHERE run_id = 3 AND item_id % 5 = 0"
        )
        # the evaluation digests of run_outcomes (0022), as every writer of samples keeps them
        # (diagnose and compare skip reading prompt hashes where the digests agree)
        from capslice_tui.store.outcomes import refresh

        refresh(conn, [1, 2, 3])
    conn.close()


@pytest.fixture(scope="module")
def rough_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = _generated(tmp_path_factory.mktemp("diag") / "store.db")
    _roughen(path)
    return path


def _reference_outcomes(store: Any, run_id: int) -> dict[str, Any]:
    """The read diagnose made before: samples joined with their labels, ordered in SQL,
    None labels -> UNLABELLED, None or "" modes -> wrong_answer."""
    rows = store.sample_outcomes(run_id)
    cols = list(zip(*rows, strict=True))
    return {
        "keys": list(zip(cols[1], cols[0], cols[2], strict=True)),
        "score": list(cols[3]),
        "modes": ["wrong_answer" if v in (None, "") else v for v in cols[4]],
        "signals": list(cols[5]),
        "labels": {
            a: [UNLABELLED if v is None else v for v in cols[6 + j]]
            for j, a in enumerate(
                ("background_condition", "task_type", "solving_operation", "output_constraint")
            )
        },  # fmt: skip
    }


def _check_outcomes(o: Any, ref: dict[str, Any], labels: bool = True) -> None:
    assert o.row_keys() == ref["keys"]
    assert o.score.tolist() == ref["score"] and o.modes.tolist() == ref["modes"]
    assert o.signals == ref["signals"]
    assert o.item.tolist() == [k[1] for k in ref["keys"]]
    assert o.task.tolist() == [k[0] for k in ref["keys"]]
    assert o.sample_idx.tolist() == [k[2] for k in ref["keys"]]
    if labels:
        assert {a: v.tolist() for a, v in o.labels.items()} == ref["labels"]


@pytest.mark.parametrize("run_id", [1, 2])
def test_one_read_outcomes_match_the_joined_read(rough_store: Path, run_id: int) -> None:
    from capslice_tui.store import Store

    from capslice_tui.workspace.diagnose import _outcomes

    store = Store(rough_store)
    ref = _reference_outcomes(store, run_id)
    assert len(ref["keys"]) > 100 and any(v == UNLABELLED for v in ref["labels"]["task_type"])
    for evaluation in (False, True):
        o = _outcomes(store, run_id, None, None, evaluation=evaluation)
        _check_outcomes(o, ref)
        assert (o.evaluation is not None) == evaluation
    o = _outcomes(store, run_id, None, None, evaluation=True)
    assert o.evaluation is not None
    task, item, prompt, settings, primary = store.evaluation_columns(run_id)
    ev = o.evaluation
    assert [ev.task_names[c] for c in ev.task_code.tolist()] == task
    assert ev.item.tolist() == item and ev.task_names == sorted(set(task))
    assert ev.prompt.tolist() == prompt and ev.settings.tolist() == settings
    filters = {t["task"]: t["primary_filter"] for t in store.run_tasks(run_id)}
    assert [filters[t] for t in task] == primary
    # the same read on one benchmark, and on an explicit filter
    o = _outcomes(store, run_id, "mmlu", None)
    assert o.item.size and set(o.task.tolist()) == {t for t in filters if t.startswith("mmlu")}
    assert _outcomes(store, run_id, None, "strict-match").item.size == 0


def test_sparse_item_ids_read_the_labels_of_the_run_items(rough_store: Path) -> None:
    from capslice_tui.store import Store

    from capslice_tui.workspace.diagnose import _axis_rows, _run_labels, _sample_labels

    store = Store(rough_store)
    ref = _reference_outcomes(store, 1)
    item = np.array([k[1] for k in ref["keys"]], dtype=np.int64)
    dense = _axis_rows(store, 1, None, None, item)
    by_run = store.outcome_item_axes(1)
    assert len(by_run) <= len(dense)
    for rows in (dense, by_run):
        got = _sample_labels(rows, item)
        assert {a: v.tolist() for a, v in got.items()} == ref["labels"]
    got = _run_labels(store, 1, None, None, item)
    assert {a: v.tolist() for a, v in got.items()} == ref["labels"]
    # ids spread wider than twice the items: the run's own rows are read
    spread = np.concatenate([item, [10**9]])
    assert _axis_rows(store, 1, None, None, spread) == by_run
    got = _run_labels(store, 1, None, None, spread)
    assert {a: v.tolist() for a, v in got.items()} == {
        a: [*v, UNLABELLED] for a, v in ref["labels"].items()
    }


@pytest.mark.parametrize(
    "value",
    [
        "'a' || char(31) || 'b\"\\' || char(10)",  # control characters, quote, backslash
        "1.0 / 3",  # a number: read from the columns, as it was
        "x'00ff'",  # a BLOB JSON cannot hold: read from the columns
    ],
)
def test_labels_json_cannot_carry_are_read_from_the_columns(
    tmp_path: Path, rough_store: Path, value: str
) -> None:
    from capslice_tui.store import Store

    from capslice_tui.workspace.diagnose import _run_labels

    path = tmp_path / "odd.db"
    shutil.copy(rough_store, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(f"UPDATE item_axes SET task_type = {value} WHERE item_id = 3")
    conn.close()
    store = Store(path)
    ref = _reference_outcomes(store, 1)
    item = np.array([k[1] for k in ref["keys"]], dtype=np.int64)
    got = _run_labels(store, 1, None, None, item)
    assert {a: v.tolist() for a, v in got.items()} == ref["labels"]
    odd = [v for v in ref["labels"]["task_type"] if not isinstance(v, str) or "b" in v]
    assert odd, "the odd label is among the run's labels"


def test_repeated_keys_fall_back_to_the_ordered_reads(tmp_path: Path, rough_store: Path) -> None:
    """Two documents of one task with the same content share an item id: SQLite's order of
    the tied rows decides, as it did, and the one-read path steps aside."""
    from capslice_tui.store import Store

    from capslice_tui.workspace.diagnose import _outcomes

    path = tmp_path / "dup.db"
    shutil.copy(rough_store, path)
    conn = sqlite3.connect(path)
    with conn:
        pairs = conn.execute(
            "SELECT a.id, b.item_id FROM samples a JOIN samples b ON b.run_id = a.run_id"
            " AND b.task = a.task AND b.item_id > a.item_id WHERE a.run_id = 1 LIMIT 3"
        ).fetchall()
        for sample_id, item_id in pairs:
            conn.execute("UPDATE samples SET item_id = ? WHERE id = ?", (item_id, sample_id))
    conn.close()
    store = Store(path)
    ref = _reference_outcomes(store, 1)
    keys = ref["keys"]
    assert len(set(keys)) < len(keys)
    for evaluation in (False, True):
        o = _outcomes(store, 1, None, None, evaluation=evaluation)
        _check_outcomes(o, ref)
        assert o.evaluation is None


# ---------------------------------------------------------------- the evaluation check


def _reference_check(ws: Any, b_id: int, c_id: int, ids: np.ndarray, samples: Any) -> Any:
    """The item-by-item evaluation check diagnose made before (the loop, verbatim)."""
    from dataclasses import replace

    from capslice_tui.analysis.evaluation import compare_evaluations

    b_ev = ws._item_evaluations(b_id, None)
    c_ev = ws._item_evaluations(c_id, None)
    b_code, b_prompt = b_ev.lookup(ids)
    c_code, c_prompt = c_ev.lookup(ids)
    spi = samples if samples is not None else (np.zeros(ids.size), np.zeros(ids.size))
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    weights: list[int] = []
    slot: dict[tuple[Any, ...], int] = {}
    for bg, cg, bp, cp, bs, cs in zip(b_code.tolist(), c_code.tolist(), b_prompt, c_prompt,
                                      spi[0].tolist(), spi[1].tolist(), strict=True):  # fmt: skip
        state = "differs" if bp is not None and cp is not None and bp != cp else (
            bp is None, cp is None)  # fmt: skip
        key = (bg, cg, int(bs), int(cs), state)
        at = slot.get(key) if state != "differs" else None
        if at is not None:
            weights[at] += 1
            continue
        b = dict(b_ev.dicts[bg]) if bg >= 0 else {}
        c = dict(c_ev.dicts[cg]) if cg >= 0 else {}
        if bg >= 0 and bp is not None:
            b["prompt"] = bp
        if cg >= 0 and cp is not None:
            c["prompt"] = cp
        if samples is not None:
            b["samples per item"] = int(bs)
            c["samples per item"] = int(cs)
        if state != "differs":
            slot[key] = len(pairs)
        pairs.append((b, c))
        weights.append(1)
    check = compare_evaluations([p[0] for p in pairs], [p[1] for p in pairs], weights)
    missing = [who for who, ev in (("base", b_ev), ("candidate", c_ev)) if ev.none_recorded]
    return replace(check, not_recorded=missing)


def _reference_item_evaluations(ws: Any, run_id: int, filter_name: str | None) -> Any:
    """The per-item loop diagnose used before (verbatim but for the store reads)."""
    from capslice_tui.analysis.evaluation import evaluation_settings
    from capslice_tui.workspace.diagnose import _RunEvaluations

    task, item, prompt, settings, primary = ws.store.evaluation_columns(run_id, None)
    tasks = {t["task"]: t for t in ws.store.run_tasks(run_id)}
    stored = ws.store.evaluation_settings(sorted({h for h in settings if h}))
    per_task = {t: evaluation_settings(None, row) for t, row in tasks.items()}
    ids, first = np.unique(np.asarray(item, dtype=np.int64), return_index=True)
    groups: dict[tuple[Any, Any, Any], int] = {}
    dicts: list[dict[str, Any]] = []
    code = np.empty(ids.size, dtype=np.int64)
    prompts = np.empty(ids.size, dtype=object)
    recorded = False
    for j, i in enumerate(first.tolist()):
        key = (task[i], settings[i], filter_name or primary[i])
        g = groups.get(key)
        if g is None:
            d = dict(per_task.get(task[i]) or {})
            if settings[i] in stored:
                d.update(stored[settings[i]])
            d["task"], d["filter"] = task[i], key[2]
            g = groups[key] = len(dicts)
            dicts.append(d)
        recorded = recorded or settings[i] in stored
        code[j] = g
        prompts[j] = prompt[i] or None
    return _RunEvaluations(ids, code, dicts, prompts, not recorded and bool(task))


@pytest.mark.parametrize("run_id", [1, 2, 3])
def test_item_evaluations_match_the_item_loop(rough_store: Path, run_id: int) -> None:
    from capslice_tui.workspace import Workspace
    from capslice_tui.workspace.diagnose import _outcomes

    ws = Workspace(rough_store)
    columns = _outcomes(ws.store, run_id, None, None, evaluation=True, labels=False).evaluation
    for filter_name in (None, "flexible-extract", "other"):
        want = _reference_item_evaluations(ws, run_id, filter_name)
        for cols in (None, columns if filter_name is None else None):
            got = ws._item_evaluations(run_id, None, filter_name, cols)
            assert got.ids.tolist() == want.ids.tolist()
            assert got.code.tolist() == want.code.tolist() and got.dicts == want.dicts
            assert got.prompts.tolist() == want.prompts.tolist()
            assert got.none_recorded == want.none_recorded
        assert len(want.dicts) >= (2 if run_id == 3 else 1)


def test_evaluation_pairs_match_the_item_loop(rough_store: Path) -> None:
    from capslice_tui.workspace import Workspace
    from capslice_tui.workspace.diagnose import _evaluation_pairs, _outcomes

    ws = Workspace(rough_store)
    ids = np.arange(0, 260, dtype=np.int64)  # some items in neither run
    rng = np.random.default_rng(2)
    spi = (rng.integers(0, 3, ids.size).astype(float), rng.integers(1, 3, ids.size).astype(float))
    for samples in (None, spi):
        got = ws.evaluation_check(1, 2, ids.tolist(), None, samples)
        want = _reference_check(ws, 1, 2, ids, samples)
        assert got == want and got.changed
    # the columns of the one read give the same check as the separate reads
    cols = tuple(_outcomes(ws.store, r, None, None, evaluation=True).evaluation for r in (1, 2))
    assert ws.evaluation_check(1, 2, ids.tolist(), None, spi, columns=cols) == (
        ws.evaluation_check(1, 2, ids.tolist(), None, spi)
    )
    # pairs: a differing prompt is its own pair; alike items are merged into the first one
    b_ev, c_ev = ws._item_evaluations(1, None), ws._item_evaluations(2, None)
    b, c, weights = _evaluation_pairs(b_ev, c_ev, ids, None)
    assert sum(weights) == ids.size and len(b) == len(c) == len(weights)
    other = "00" * 32  # the zeroblob(32) prompt hash of _roughen, as hex
    assert sum(1 for x, y in zip(b, c, strict=True) if x.get("prompt") == other
               or y.get("prompt") == other) >= 1  # fmt: skip


def test_the_one_read_diagnosis_is_the_separate_reads_diagnosis(rough_store: Path) -> None:
    """diagnose on each task's primary filter reads outcomes and evaluation columns once;
    naming that filter takes the separate reads: the same diagnosis."""
    from capslice_tui.workspace import Workspace

    ws = Workspace(rough_store)
    filters = {t["primary_filter"] for t in ws.store.run_tasks(1)}
    assert len(filters) == 1
    (primary,) = filters
    for pair in (("ckpt-000", "ckpt-001"), ("ckpt-001", "ckpt-002")):
        for same in (False, True):
            fast = ws.diagnose(*pair, same_evaluation=same).to_dict()
            plain = ws.diagnose(*pair, same_evaluation=same, filter_name=primary).to_dict()
            assert fast == plain
    weak = ws.diagnose("ckpt-001", reference="ckpt-000").to_dict()
    assert weak == ws.diagnose("ckpt-001", reference="ckpt-000", filter_name=primary).to_dict()


# ---------------------------------------------------------------- scalar Wilson, slice groups


def test_scalar_wilson_is_the_array_path_to_the_bit() -> None:
    from capslice_tui.analysis.metrics import wilson_interval, wilson_interval_array

    rng = np.random.default_rng(7)
    n = np.concatenate([rng.integers(0, 40, 400), rng.integers(1, 10**7, 100)]).astype(float)
    k = np.floor(rng.random(n.size) * (n + 1))
    k[::7] = 0
    k[::11] = n[::11]
    k[::13] = rng.random(k[::13].size) * n[::13]  # fractional counts
    for z in (1.959963984540054, 2.5758293035489004):
        lo, hi = wilson_interval_array(k, n, z)
        for i in range(n.size):
            got = wilson_interval(float(k[i]), int(n[i]), z)
            want = (float(lo[i]), float(hi[i]))
            assert np.array_equal(got, want, equal_nan=True), (k[i], n[i], got, want)
            assert all(math.copysign(1, g) == math.copysign(1, w) for g, w in
                       zip(got, want, strict=True) if g == g)  # fmt: skip
    with pytest.raises(ValueError, match="k must be within"):
        wilson_interval(5, 4)
    with pytest.raises(ValueError, match="n must be >= 0"):
        wilson_interval(0, -1)


def test_slice_groups_are_the_subset_stats_groups() -> None:
    from capslice_tui.analysis.slice_search import _groups, _subset_stats

    rng = np.random.default_rng(8)
    codes = rng.integers(-1, 5, (500, 3))
    codes[:, 2] = rng.integers(0, 2, 500)
    for subset in [(0,), (2,), (0, 1), (0, 1, 2)]:
        vals, sizes, _, _, _, group = _subset_stats(codes, subset, np.zeros(500), None)
        g_vals, g_sizes, rows, bounds = _groups(codes, subset)
        assert g_vals.tolist() == vals.tolist() and g_sizes.tolist() == sizes.tolist()
        for j in range(sizes.size):
            assert rows[bounds[j] : bounds[j + 1]].tolist() == np.flatnonzero(group == j).tolist()
    empty = np.full((4, 2), -1)
    assert _groups(empty, (0, 1))[1].size == 0
