"""Checked input arrays shared by the decomposition and the slice search: labels, values, modes.

Each helper turns a sequence into a numpy array of the expected length and type, or raises a
``ValueError`` naming the input and the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from capslice_tui.analysis.failure_modes import MODES
from capslice_tui.vocabulary import UNLABELLED as UNLABELLED


def factorize(values: list[Any]) -> tuple[list[Any], np.ndarray] | None:
    """Distinct values in order of first appearance and, per value, its index among them
    (shape (n,) int64): one dict pass instead of sorting objects. None when a value is
    neither a ``str`` nor None (values of other types can compare equal across types,
    ``1 == 1.0 == True``, and would merge) or is unhashable: callers then take the plain path.
    """
    index: dict[Any, int] = {}
    get = index.setdefault
    try:
        codes = [get(v, len(index)) for v in values]
    except TypeError:  # an unhashable value
        return None
    distinct = list(index)
    if any(v is not None and not isinstance(v, str) for v in distinct):
        return None
    return distinct, np.array(codes, dtype=np.int64)


def _unlabelled(v: Any) -> bool:
    return v is None or v == "" or v != v


def label_array(axis: str, values: Any, n: int) -> np.ndarray:
    """Shape (n,) object array of one axis's labels as strings; None, "" and NaN become
    :data:`UNLABELLED`.

    Each distinct value is converted once when every value is a string or None (the
    common case; issue 14), else value by value: the same array either way.

    Raises:
        ValueError: not ``n`` labels.
    """
    arr = np.asarray(values, dtype=object).ravel()
    if arr.size != n:
        raise ValueError(f"axis {axis!r}: {arr.size} labels for {n} rows")
    coded = factorize(arr.tolist())
    if coded is not None:
        distinct, codes = coded
        mapped = np.empty(len(distinct), dtype=object)
        mapped[:] = [UNLABELLED if _unlabelled(v) else str(v) for v in distinct]
        return mapped[codes]
    out = np.array([UNLABELLED if _unlabelled(v) else str(v) for v in arr], dtype=object)
    return out


_UNIQUE_KEYS = frozenset({"return_index", "return_inverse", "return_counts"})


def unique_labels(labels: np.ndarray, **kwargs: Any) -> Any:
    """``np.unique(labels, **kwargs)`` of an object array of strings (what :func:`label_array`
    returns): the same values, order and indices, with the distinct values found by one
    dict pass (:func:`factorize`) and sorted by code point as numpy sorts ``str``, instead
    of one Python comparison per pair (seconds at 100k rows; issue 14). Falls back to
    ``np.unique`` on a fixed-width unicode copy for values that are not all strings (or
    hold NUL characters, which a unicode copy would strip) and for other keyword arguments.
    The distinct values come back as an object array of ``str``."""
    arr = np.asarray(labels, dtype=object).ravel()
    coded = factorize(arr.tolist()) if set(kwargs) <= _UNIQUE_KEYS else None
    if coded is not None and all(v is not None and "\x00" not in v for v in coded[0]):
        distinct, codes = coded
        order = sorted(range(len(distinct)), key=distinct.__getitem__)
        values = np.empty(len(order), dtype=object)
        values[:] = [str(distinct[i]) for i in order]
        rank = np.empty(len(order), dtype=np.intp)
        rank[order] = np.arange(len(order), dtype=np.intp)
        inverse = rank[codes] if codes.size else np.zeros(0, dtype=np.intp)
        extra: list[np.ndarray] = []
        if kwargs.get("return_index"):
            # codes are numbered in order of first appearance: a value first appears where
            # the running maximum of the codes grows
            grows = np.diff(np.maximum.accumulate(codes), prepend=-1) > 0
            first = np.flatnonzero(grows).astype(np.intp)
            extra.append(first[order] if len(order) else first)
        if kwargs.get("return_inverse"):
            extra.append(inverse)
        if kwargs.get("return_counts"):
            extra.append(np.bincount(inverse, minlength=len(order)).astype(np.intp))
        return (values, *extra) if extra else values
    out = np.unique(arr.astype(str), **kwargs)
    if isinstance(out, tuple):
        return (np.array(out[0].tolist(), dtype=object), *out[1:])
    return np.array(out.tolist(), dtype=object)


def label_codes(axis: str, values: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``label_array(axis, values, n)`` with its ``unique_labels(..., return_inverse=True)``:
    (labels shape (n,), sorted distinct labels, index of each row's label among them).

    Raises:
        ValueError: not ``n`` labels.
    """
    arr = np.asarray(values, dtype=object).ravel()
    if arr.size != n:
        raise ValueError(f"axis {axis!r}: {arr.size} labels for {n} rows")
    coded = factorize(arr.tolist())
    if coded is not None:
        # one dict pass over the rows; the mapping and sorting touch distinct values only
        distinct, codes = coded
        mapped = [UNLABELLED if _unlabelled(v) else str(v) for v in distinct]
        merged = factorize(mapped)
        if merged is not None and all("\x00" not in v for v in merged[0]):
            names, to_name = merged
            order = sorted(range(len(names)), key=names.__getitem__)
            rank = np.empty(len(order), dtype=np.intp)
            rank[order] = np.arange(len(order), dtype=np.intp)
            sorted_names = np.empty(len(order), dtype=object)
            sorted_names[:] = [names[i] for i in order]
            row_name = np.empty(len(mapped), dtype=object)
            row_name[:] = mapped
            inverse = rank[to_name][codes] if codes.size else np.zeros(0, dtype=np.intp)
            return row_name[codes], sorted_names, inverse
    labels = label_array(axis, values, n)
    values_, inverse = unique_labels(labels, return_inverse=True)
    return labels, values_, inverse


def float_values(name: str, values: Any, n: int | None = None) -> np.ndarray:
    """Shape (n,) float array of ``values``.

    Raises:
        ValueError: not ``n`` values (when ``n`` is given), or a NaN (the message names ``name``
            and the row).
    """
    arr = np.asarray(values, dtype=float).ravel()
    if n is not None and arr.size != n:
        raise ValueError(f"{name}: {arr.size} values for {n} rows")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name}: NaN at row {int(np.flatnonzero(np.isnan(arr))[0])}")
    return arr


def mode_values(name: str, values: Any, n: int) -> np.ndarray:
    """Shape (n,) object array of failure modes (strings, or objects with a ``mode``).

    Raises:
        ValueError: not ``n`` modes, or a mode that is not one of :data:`MODES`.
    """
    if isinstance(values, np.ndarray) and values.ndim == 1 or isinstance(values, list):
        # strings only (the common case, issue 14): each distinct mode checked once
        coded = factorize(values.tolist() if isinstance(values, np.ndarray) else values)
        if coded is not None and all(m in MODES for m in coded[0]):
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            if arr.size != n:
                raise ValueError(f"{name}: {arr.size} modes for {n} rows")
            return arr
    arr = np.asarray([getattr(v, "mode", v) for v in values], dtype=object)
    if arr.size != n:
        raise ValueError(f"{name}: {arr.size} modes for {n} rows")
    bad = [m for m in set(arr.tolist()) if m not in MODES]
    if bad:
        raise ValueError(f"{name}: unknown failure mode {bad[0]!r}; expected one of {MODES}")
    return arr


def mode_masks(modes: np.ndarray) -> dict[str, np.ndarray]:
    """Failure mode -> boolean mask of the rows in that mode, for every mode of :data:`MODES`
    (``modes == mode`` each, from one dict pass over the rows instead of one Python
    comparison per row and mode; issue 14).
    """
    arr = np.asarray(modes, dtype=object).ravel()
    coded = factorize(arr.tolist())
    if coded is None:
        return {m: np.asarray(arr == m, dtype=bool) for m in MODES}
    distinct, codes = coded
    at = {m: i for i, m in enumerate(distinct)}
    return {m: codes == at[m] if m in at else np.zeros(arr.size, dtype=bool) for m in MODES}


def mode_codes(modes: np.ndarray) -> np.ndarray:
    """Index of each row's failure mode in :data:`MODES` (``len(MODES)`` for any other
    value), shape (n,) int64; each distinct value looked up once."""
    at = {m: i for i, m in enumerate(MODES)}
    values = np.asarray(modes, dtype=object).ravel().tolist()
    coded = factorize(values)
    if coded is None:
        return np.array([at.get(v, len(MODES)) for v in values], dtype=np.int64)
    distinct, codes = coded
    return np.array([at.get(v, len(MODES)) for v in distinct], dtype=np.int64)[codes]


def n_rows(X_labels: Mapping[str, Any]) -> int:
    """Rows of the label arrays (the first axis's length).

    Raises:
        ValueError: no axis given.
    """
    if not X_labels:
        raise ValueError("slice search: no axis given")
    return int(np.asarray(next(iter(X_labels.values())), dtype=object).size)
