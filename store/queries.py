"""Pages of a run's samples in any order, their total, and the row of a doc: what a table over
hundreds of thousands of samples reads (the app's samples screen, ``capslice samples``).

Keyset paging: a page starts after (or ends before) the sort key of a row already shown, so
page 1,000 costs what page 1 costs and the screen never holds more than a few pages. The key
of a row is ``(sort value, sample id)``; a NULL sort value sorts first (as a very small
number). The default order (``id``: ingest order) walks the run's id range and reads only
the rows of the page.
"""

from __future__ import annotations

from typing import Any

from .samples import filter_condition, slice_conditions
from .search import search_clause

NULL_KEY = -9.0e18  # NULL sort values compare below every number and every text
SORTS: dict[str, str] = {
    "id": "s.id",
    "task": "s.task",
    "doc": "CAST(s.doc_id AS INTEGER)",
    "k": "s.sample_idx",
    "target": "i.target",
    "extracted": "s.extracted",
    "score": "s.score",
    "mode": "s.failure_mode",
    "response": "s.response",
    "length": "s.response_chars",
}
"""Sort names -> SQL expression (``doc`` sorts doc ids as numbers)."""
NOT_NULL = frozenset({"id", "task", "k"})  # columns declared NOT NULL

LIST_COLUMNS = (
    "s.id, s.task, s.filter, s.doc_id, s.sample_idx, s.item_id, s.score, s.lenient,"
    " s.failure_mode, s.failure_signals, substr(s.response, 1, 200) AS response,"
    " s.extracted,"
    " CASE WHEN length(s.response) > 200 THEN substr(s.response, -120) END AS response_end,"
    " s.lenient_extracted, i.target, substr(i.question, 1, 200) AS question"
)


def _filters(
    store: Any,
    run_id: int,
    *,
    where: dict[str, str] | None = None,
    task: str | None = None,
    benchmark: str | None = None,
    failure_mode: str | None = None,
    correct: bool | None = None,
    filter_name: str | None = None,
    search: str | None = None,
    doc_id: str | None = None,
) -> tuple[str, list[Any], bool]:
    """``(WHERE body, params, needs item_axes)`` selecting the run's samples of a slice (of
    one doc, ``doc_id``, when given)."""
    sql = "s.run_id = ?"
    params: list[Any] = [run_id]
    more, extra = filter_condition("s", filter_name)
    sql += more
    params += extra
    more, extra = slice_conditions(where, task, benchmark, failure_mode, correct)
    sql += more
    params += extra
    axes = bool(where)
    if search:
        clause, extra = search_clause(store, search, run_id)
        sql += " AND " + clause
        params += extra
    if doc_id is not None:
        sql += " AND s.doc_id = ?"
        params.append(str(doc_id))
    return sql, params, axes


NUMERIC_TEXT = frozenset({"target", "extracted"})  # answers: numbers sort as numbers


def sort_expr(sort: str) -> str:
    """The SQL of a sort name, NULLs mapped to :data:`NULL_KEY`.

    ``target`` and ``extracted`` hold numbers as text: one that is a JSON number (``10``,
    ``-2``, ``3.5``, ``1e3``) sorts by its value, before every other text (SQLite orders
    numbers before text), so 9 < 10 instead of "10" < "9"; other texts sort as text.

    Raises:
        ValueError: an unknown sort (the message lists the valid ones).
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; sort by one of: {', '.join(SORTS)}")
    if sort in NOT_NULL:  # bare column: SQLite can walk an index in its order
        return SORTS[sort]
    column = SORTS[sort]
    if sort in NUMERIC_TEXT:
        column = (
            f"CASE WHEN json_valid({column}) AND json_type({column}) IN ('integer', 'real')"
            f" THEN CAST({column} AS REAL) ELSE {column} END"
        )
    return f"coalesce({column}, {NULL_KEY!r})"


def sample_page(
    store: Any,
    run_id: int,
    *,
    sort: str = "id",
    descending: bool = False,
    after: tuple[Any, int] | None = None,
    before: tuple[Any, int] | None = None,
    from_key: tuple[Any, int] | None = None,
    last: bool = False,
    limit: int = 100,
    where: dict[str, str] | None = None,
    task: str | None = None,
    benchmark: str | None = None,
    failure_mode: str | None = None,
    correct: bool | None = None,
    filter_name: str | None = None,
    search: str | None = None,
    doc_id: str | None = None,
) -> list[dict[str, Any]]:
    """One page of a run's samples in ``sort`` order (then by id), at most ``limit`` rows.

    Exactly one of: ``after`` (rows after this key), ``before`` (rows before it, returned in
    order), ``from_key`` (rows from this key on, inclusive), ``last`` (the last page), or
    none (the first page). A key is ``(sort value, id)`` as returned in each row's
    ``sort_key`` and ``id``. Rows carry the list columns of ``SamplesMixin.sample_rows``.
    ``doc_id`` keeps only the samples of that doc (all its sample indices).

    Raises:
        ValueError: an unknown sort or axis.
    """
    key = sort_expr(sort)
    body, params, _ = _filters(
        store, run_id, where=where, task=task, benchmark=benchmark, failure_mode=failure_mode,
        correct=correct, filter_name=filter_name, search=search, doc_id=doc_id,
    )  # fmt: skip
    reverse = (before is not None or last) != descending  # read backwards from the end
    bound = after or before or from_key
    if sort == "id":
        # walk the run's id range: the page reads ~limit rows instead of every sample. One
        # bound per side: given "id > a AND id >= lo", SQLite may seek from the looser one
        lo, hi = store._run_id_range(run_id)
        if lo is not None:
            if bound is not None:
                b = int(bound[1])
                lo, hi = (lo, min(hi, b if from_key else b - 1)) if reverse else (
                    max(lo, b if from_key else b + 1), hi)  # fmt: skip
            body = body.replace("s.run_id = ?", "+s.run_id = ? AND s.id BETWEEN ? AND ?", 1)
            params[1:1] = [lo, hi]
            bound = None
    if bound is not None:
        op = "<" if reverse else ">"
        if from_key is not None:
            op += "="
        if sort == "id":
            body += f" AND s.id {op} ?"
            params.append(bound[1])
        else:
            body += f" AND ({key}, s.id) {op} (?, ?)"
            params += [bound[0], bound[1]]
    direction = "DESC" if reverse else "ASC"
    order = f"s.id {direction}" if sort == "id" else f"{key} {direction}, s.id {direction}"
    sql = (
        f"SELECT {LIST_COLUMNS}, {key} AS sort_key FROM samples s"
        " JOIN items i ON i.id = s.item_id"
        " JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
        " LEFT JOIN item_axes a ON a.item_id = s.item_id"
        f" WHERE {body} ORDER BY {order} LIMIT ?"
    )
    rows = [dict(r) for r in store.query(sql, (*params, limit))]
    if before is not None or last:  # read from the far end: back into display order
        rows.reverse()
    return rows


def sample_count(
    store: Any,
    run_id: int,
    *,
    where: dict[str, str] | None = None,
    task: str | None = None,
    benchmark: str | None = None,
    failure_mode: str | None = None,
    correct: bool | None = None,
    filter_name: str | None = None,
    search: str | None = None,
    doc_id: str | None = None,
) -> int:
    """How many samples of the run match (the same arguments as :func:`sample_page`)."""
    body, params, axes = _filters(
        store, run_id, where=where, task=task, benchmark=benchmark, failure_mode=failure_mode,
        correct=correct, filter_name=filter_name, search=search, doc_id=doc_id,
    )  # fmt: skip
    sql = (
        "SELECT count(*) FROM samples s"
        " JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
        + (" LEFT JOIN item_axes a ON a.item_id = s.item_id" if axes else "")
        + f" WHERE {body}"
    )
    return int(store.query(sql, tuple(params))[0][0])


def doc_key(
    store: Any,
    run_id: int,
    doc_id: str,
    *,
    sort: str = "id",
    descending: bool = False,
    task: str | None = None,
    **filters: Any,
) -> tuple[Any, int] | None:
    """The key of the first sample of ``doc_id`` (in ``sort`` order) among the run's matching
    samples, or None when the slice has no sample of that doc."""
    key = sort_expr(sort)
    body, params, _ = _filters(store, run_id, task=task, **filters)
    direction = "DESC" if descending else "ASC"
    sql = (
        f"SELECT {key}, s.id FROM samples s JOIN items i ON i.id = s.item_id"
        " JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
        " LEFT JOIN item_axes a ON a.item_id = s.item_id"
        f" WHERE {body} AND s.doc_id = ? ORDER BY {key} {direction}, s.id {direction} LIMIT 1"
    )
    row = store.query(sql, (*params, str(doc_id)))
    return (row[0][0], int(row[0][1])) if row else None
