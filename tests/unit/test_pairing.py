"""The one pairing of two runs' rows: int64 keys in tuple order, the numpy path and the dict path
agree, and the fast path refuses what it cannot pair (repeated or unsorted keys, overflow)."""

from __future__ import annotations

import numpy as np

from capslice_tui.analysis.pairing import int_keys, pair_by_dict, pair_int_keys


def test_keys_sort_as_the_tuples_and_pair_as_the_dict_does() -> None:
    base = [("b", 3), ("a", 7), ("a", 2), ("c", 1)]
    cand = [("a", 2), ("b", 3), ("d", 9), ("a", 7)]
    keys = int_keys(
        [t for t, _ in base], [t for t, _ in cand],
        [np.array([i for _, i in base])], [np.array([i for _, i in cand])],
    )  # fmt: skip
    assert keys is not None
    bk, ck = keys
    assert np.argsort(bk).tolist() == sorted(range(4), key=lambda j: base[j])
    pairs = pair_int_keys(bk, ck)
    assert pairs is not None
    bi, ci = pairs
    # ascending key order: (a, 2), (a, 7), (b, 3)
    assert [base[j] for j in bi.tolist()] == [("a", 2), ("a", 7), ("b", 3)]
    assert [cand[j] for j in ci.tolist()] == [("a", 2), ("a", 7), ("b", 3)]
    dbi, dci = pair_by_dict(base, cand)  # candidate row order
    assert sorted(zip(dbi.tolist(), dci.tolist(), strict=True)) == sorted(
        zip(bi.tolist(), ci.tolist(), strict=True)
    )


def test_without_tasks_rows_pair_by_the_columns_alone() -> None:
    keys = int_keys(
        None, None, [np.array([5, 1]), np.array([0, 1])], [np.array([1, 5]), np.array([1, 0])]
    )
    assert keys is not None
    pairs = pair_int_keys(*keys)
    assert pairs is not None and [a.tolist() for a in pairs] == [[1, 0], [0, 1]]


def test_the_fast_path_refuses_repeats_unsorted_keys_and_overflow() -> None:
    assert pair_int_keys(np.array([1, 1]), np.array([1])) is None
    assert pair_int_keys(np.array([2, 1]), np.array([1]), require_sorted=True) is None
    assert pair_int_keys(np.array([2, 1]), np.array([1])) is not None
    big = np.array([2**40])
    assert int_keys(None, None, [big, big], [big, big]) is None
    # the dict path pairs a repeated key once per candidate row, the last base row winning
    bi, ci = pair_by_dict(["x", "x", "y"], ["x", "z", "x"])
    assert bi.tolist() == [1, 1] and ci.tolist() == [0, 2]
