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


def label_array(axis: str, values: Any, n: int) -> np.ndarray:
    """Shape (n,) object array of one axis's labels as strings; None, "" and NaN become
    :data:`UNLABELLED`.

    Raises:
        ValueError: not ``n`` labels.
    """
    arr = np.asarray(values, dtype=object).ravel()
    if arr.size != n:
        raise ValueError(f"axis {axis!r}: {arr.size} labels for {n} rows")
    out = np.array(
        [UNLABELLED if (v is None or v == "" or v != v) else str(v) for v in arr], dtype=object
    )
    return out


def unique_labels(labels: np.ndarray, **kwargs: Any) -> Any:
    """``np.unique(labels, **kwargs)`` of an object array of strings (what :func:`label_array`
    returns), sorted on a fixed-width unicode copy: the same values, order and indices, with
    C comparisons instead of one Python comparison per pair (seconds at 100k rows; issue 14).
    The distinct values come back as an object array of ``str``."""
    out = np.unique(np.asarray(labels, dtype=object).astype(str), **kwargs)
    if isinstance(out, tuple):
        return (np.array(out[0].tolist(), dtype=object), *out[1:])
    return np.array(out.tolist(), dtype=object)


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
    arr = np.asarray([getattr(v, "mode", v) for v in values], dtype=object)
    if arr.size != n:
        raise ValueError(f"{name}: {arr.size} modes for {n} rows")
    bad = [m for m in set(arr.tolist()) if m not in MODES]
    if bad:
        raise ValueError(f"{name}: unknown failure mode {bad[0]!r}; expected one of {MODES}")
    return arr


def n_rows(X_labels: Mapping[str, Any]) -> int:
    """Rows of the label arrays (the first axis's length).

    Raises:
        ValueError: no axis given.
    """
    if not X_labels:
        raise ValueError("slice search: no axis given")
    return int(np.asarray(next(iter(X_labels.values())), dtype=object).size)
