"""Two runs' rows paired by key: the one pairing of capslice.

Items (for slices, diagnoses and intervention outcomes) and samples (for the failure-mode
transitions of a diagnosis) of two runs are paired the same way: by ``(task, item[, sample
index])`` when the runs share tasks, else by ``(item[, sample index])`` (the same documents
under other task names, e.g. chain-of-thought against answer-only). Pure numpy, no SQL.

- :func:`pair_int_keys`: the fast path, on int64 keys from :func:`int_keys`
  (``np.intersect1d``), pairs in ascending key order.
- :func:`pair_by_dict`: any hashable keys, pairs in candidate row order.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:  # numpy on first use (issue 14: a compare of greedy runs needs none)
    from .lazy import np


_MAX_KEY = 2**62
"""int64 keys stay below this (room for the products in :func:`int_keys`)."""


def int_keys(
    base_tasks: Sequence[Any] | None,
    cand_tasks: Sequence[Any] | None,
    base_columns: Sequence[np.ndarray],
    cand_columns: Sequence[np.ndarray],
) -> tuple[np.ndarray, np.ndarray] | None:
    """One int64 key per row: ``(task code, column 1, column 2, ...)`` in mixed radix.

    Task codes number the tasks of both runs in name order, so keys sort as the tuples
    ``(task, *columns)`` do. ``base_tasks``/``cand_tasks`` None leave the task out (keys of
    the columns alone). Columns are non-negative integer arrays, shape (n_base,) and
    (n_cand,), at least one.

    Returns:
        (base keys, candidate keys), or None when the keys would not fit in int64.
    """
    with_task = base_tasks is not None and cand_tasks is not None
    tasks = sorted(set(base_tasks or ()) | set(cand_tasks or ())) if with_task else []
    code = {t: i for i, t in enumerate(tasks)}
    spans = [
        int(max(b.max(initial=0), c.max(initial=0))) + 1
        for b, c in zip(base_columns, cand_columns, strict=True)
    ]
    total = max(len(tasks), 1)
    for span in spans:
        total *= span
    if total >= _MAX_KEY:
        return None

    def keys(tasks_: Sequence[Any] | None, columns: Sequence[np.ndarray]) -> np.ndarray:
        if with_task and tasks_ is not None:
            key = np.array([code[t] for t in tasks_], dtype=np.int64)
        else:
            key = np.zeros(len(columns[0]), dtype=np.int64)
        for column, span in zip(columns, spans, strict=True):
            key = key * span + np.asarray(column, dtype=np.int64)
        return key

    return keys(base_tasks, base_columns), keys(cand_tasks, cand_columns)


def pair_int_keys(
    base_keys: np.ndarray, cand_keys: np.ndarray, *, require_sorted: bool = False
) -> tuple[np.ndarray, np.ndarray] | None:
    """Row indices ``(bi, ci)`` with ``base_keys[bi] == cand_keys[ci]``, in ascending key order.

    Returns:
        The two index arrays (int64, empty when nothing pairs), or None when a key repeats in
        a run, or, with ``require_sorted``, a run's keys are not strictly increasing (the
        caller then pairs with :func:`pair_by_dict`).
    """
    if require_sorted:
        if np.any(np.diff(base_keys) <= 0) or np.any(np.diff(cand_keys) <= 0):
            return None
    elif np.unique(base_keys).size != base_keys.size or np.unique(cand_keys).size != cand_keys.size:
        return None
    _, bi, ci = np.intersect1d(base_keys, cand_keys, assume_unique=True, return_indices=True)
    return bi, ci


def pair_by_dict(
    base_keys: Sequence[Hashable], cand_keys: Sequence[Hashable]
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(bi, ci)`` of equal keys, in candidate row order (the last base row of a
    repeated key wins; each candidate row pairs at most once)."""
    b_index = {k: i for i, k in enumerate(base_keys)}
    pairs = [(b_index[k], j) for j, k in enumerate(cand_keys) if k in b_index]
    return (
        np.array([p[0] for p in pairs], dtype=np.int64),
        np.array([p[1] for p in pairs], dtype=np.int64),
    )
