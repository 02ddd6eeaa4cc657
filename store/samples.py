"""Reads of samples for slices and sample lists: the slice conditions (axis values, task,
benchmark, failure mode, right/wrong) and the sample rows of a run."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from ..vocabulary import AXES as AXES
from ..vocabulary import UNLABELLED as UNLABELLED
from .compact import settings_hashes, to_hex, with_settings_hash
from .db import NotFound, StoreBase

SAME_PROMPT = "(the prompt hash the other run holds)"
"""The stand-in of a stored prompt hash in ``outcome_rows(..., prompts=False)``: equal to
itself, as the two runs' hashes of an item are when their evaluation digests agree."""

SOURCE_PRECEDENCE = ("hand", "cluster", "rule")


def slice_conditions(
    where: dict[str, str] | None,
    task: str | None,
    benchmark: str | None,
    failure_mode: str | None,
    correct: bool | None,
) -> tuple[str, list[Any]]:
    """``(" AND ..." SQL, params)`` selecting samples ``s`` of a slice: axis values on the
    item's labels ``a`` (``UNLABELLED`` = no value), task, benchmark (``rt``), failure mode and
    right/wrong. Shared by the id-range listing and the keyset pages (``store.queries``).

    Raises:
        ValueError: an axis that is not one of :data:`AXES`.
    """
    sql = ""
    params: list[Any] = []
    for axis, value in (where or {}).items():
        if axis not in AXES:
            raise ValueError(f"unknown axis {axis!r}; axes are {', '.join(AXES)}")
        if value == UNLABELLED:
            sql += f" AND a.{axis} IS NULL"
        else:
            sql += f" AND a.{axis} = ?"
            params.append(value)
    if task is not None:
        sql += " AND s.task = ?"
        params.append(task)
    if benchmark is not None:
        sql += " AND rt.benchmark = ?"
        params.append(benchmark)
    if failure_mode is not None:
        sql += " AND s.failure_mode = ?"
        params.append(failure_mode)
    if correct is not None:
        sql += " AND s.score " + ("> 0" if correct else "= 0")
    return sql, params


def _axis_columns(prefix: str, as_json: bool) -> str:
    """item_id and the four axes of ``item_axes`` (alias ``prefix``), or each as one
    ``json_group_array`` (five texts for the whole read instead of a tuple per item)."""
    cols = [f"{prefix}item_id", *(f"{prefix}{a}" for a in AXES)]
    return ", ".join(f"json_group_array({c})" if as_json else c for c in cols)


def filter_condition(alias: str, filter_name: str | None) -> tuple[str, list[Any]]:
    """``(" AND ..." SQL, params)`` keeping the rows of ``alias`` on the answer filter
    ``filter_name``, or on each task's primary filter (``run_tasks rt``) when None."""
    if filter_name is None:
        return f" AND {alias}.filter = rt.primary_filter", []
    return f" AND {alias}.filter = ?", [filter_name]


class SamplesMixin(StoreBase):
    """Reads of slices and samples."""

    # ---- reads for slices and samples -------------------------------------------------
    def slice_rows(
        self,
        run_id: int,
        *,
        benchmark: str | None = None,
        task: str | None = None,
        filter_name: str | None = None,
    ) -> list[sqlite3.Row]:
        """One row per (task, item) of a run on each task's primary filter (or ``filter_name``).

        Columns: item_id, task, benchmark, n, c, c_lenient and the four axis columns.
        """
        sql = (
            "SELECT s.item_id, s.task, rt.benchmark, s.n, s.c, s.c_lenient,"
            " a.background_condition, a.task_type, a.solving_operation, a.output_constraint"
            " FROM item_scores s JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
            " LEFT JOIN item_axes a ON a.item_id = s.item_id WHERE s.run_id = ?"
        )
        params: list[Any] = [run_id]
        more, extra = filter_condition("s", filter_name)
        sql += more
        params += extra
        if benchmark is not None:
            sql += " AND rt.benchmark = ?"
            params.append(benchmark)
        if task is not None:
            sql += " AND s.task = ?"
            params.append(task)
        return self.conn.execute(sql + " ORDER BY s.task, s.item_id", params).fetchall()

    def _run_id_range(self, run_id: int) -> tuple[int | None, int | None]:
        """Smallest and largest sample id of a run, from its ingests' sample id ranges
        (``ingests.first_sample_id`` / ``last_sample_id``, 0025_ingest_sample_ranges).

        Every sample carries the ingest that wrote it, an ingest belongs to one run, and its
        range holds every sample it wrote, so the run's samples lie in this range (other runs'
        samples may too; callers still filter on run_id). ``(None, None)`` when no ingest of
        the run wrote a sample (a rolled-back ingest's range is emptied); a range may outlive
        samples removed otherwise (a pulled run's replaced rows): a superset, never less.
        """
        lo, hi = self.conn.execute(
            "SELECT min(first_sample_id), max(last_sample_id) FROM ingests WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        return lo, hi

    def sample_rows(
        self,
        run_id: int,
        *,
        where: dict[str, str] | None = None,
        task: str | None = None,
        benchmark: str | None = None,
        failure_mode: str | None = None,
        correct: bool | None = None,
        all_filters: bool = False,
        after_id: int = 0,
        limit: int = 200,
        columns: str = "list",
        filter_name: str | None = None,
    ) -> list[sqlite3.Row]:
        """Samples of a run in id order, keyset-paginated (``after_id``), at most ``limit``.

        Args:
            where: axis -> value conjunction (the slice).
            filter_name: only this filter; None = each task's primary filter (or every filter
                with ``all_filters``).
            columns: ``"list"`` (short columns for tables) or ``"full"`` (every column plus
                prompt text and item fields).

        Callers wanting "N of >N" ask for ``limit + 1`` rows.
        """
        if columns == "full":
            cols = (
                "s.*, i.question, i.target, capslice_doc(i.doc, i.question, i.target) AS doc,"
                " i.benchmark AS item_benchmark, t.text AS prompt,"
                " a.background_condition, a.task_type, a.solving_operation, a.output_constraint,"
                " a.sources AS label_sources"
            )
        else:
            cols = (
                "s.id, s.task, s.filter, s.doc_id, s.sample_idx, s.item_id, s.score, s.lenient,"
                " s.failure_mode, s.failure_signals, substr(s.response, 1, 200) AS response,"
                " s.extracted,"
                " CASE WHEN length(s.response) > 200 THEN substr(s.response, -120) END AS response_end,"
                " s.lenient_extracted, i.target, substr(i.question, 1, 200) AS question"
            )
        sql = (
            f"SELECT {cols} FROM samples s JOIN items i ON i.id = s.item_id"
            " JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
            " LEFT JOIN item_axes a ON a.item_id = s.item_id"
            " LEFT JOIN prompt_texts t ON t.hash = s.prompt_hash"
        )
        params: list[Any] = [run_id, after_id]
        lo, hi = self._run_id_range(run_id)
        if lo is None:
            sql += " WHERE s.run_id = ? AND s.id > ?"
        else:
            # walk the run's id range in id order: the first page reads ~limit rows instead of
            # sorting the whole run (+ keeps the planner off the (run_id, item_id) index); one
            # task's samples are found faster through the (run_id, task, filter, ...) index
            run_col = "s.run_id" if task is not None else "+s.run_id"
            # one lower bound: given "id > 0 AND id >= lo" SQLite may seek from the first
            # (scanning every earlier run's samples)
            sql += f" WHERE {run_col} = ? AND s.id > ? AND s.id <= ?"
            params = [run_id, max(after_id, lo - 1), hi]
        if filter_name is not None or not all_filters:
            more, extra = filter_condition("s", filter_name)
            sql += more
            params += extra
        more, extra = slice_conditions(where, task, benchmark, failure_mode, correct)
        sql += more
        params += extra
        sql += " ORDER BY s.id LIMIT ?"
        params.append(limit)
        return self.conn.execute(sql, params).fetchall()

    def sample(self, sample_id: int) -> dict[str, Any]:
        """One sample with its prompt, item fields and effective labels.

        Raises:
            NotFound: no sample has that id.
        """
        row = self.conn.execute(
            "SELECT s.*, i.question, i.target, capslice_doc(i.doc, i.question, i.target) AS doc,"
            " i.item_hash, t.text AS prompt,"
            " a.background_condition, a.task_type, a.solving_operation, a.output_constraint,"
            " a.sources AS label_sources FROM samples s JOIN items i ON i.id = s.item_id"
            " LEFT JOIN item_axes a ON a.item_id = s.item_id"
            " LEFT JOIN prompt_texts t ON t.hash = s.prompt_hash WHERE s.id = ?",
            (sample_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no sample with id {sample_id} in {self.path}")
        d = dict(row)
        d["doc"] = json.loads(d["doc"]) if d["doc"] else None
        for col in ("prompt_hash", "item_hash"):  # hex outside (0021_narrow_store)
            d[col] = to_hex(d[col])
        d = with_settings_hash(d, settings_hashes(self.conn))
        d["metrics"] = json.loads(d["metrics"]) if d["metrics"] else {}
        d["label_sources"] = json.loads(d["label_sources"]) if d["label_sources"] else {}
        return d

    def sample_outcomes(
        self, run_id: int, benchmark: str | None = None, filter_name: str | None = None
    ) -> list[Any]:
        """Per-sample outcome rows of a run on each task's primary filter (or ``filter_name``).

        Columns: item_id, task, sample_idx, score, failure_mode, failure_signals and the four
        axis columns; ordered by (task, item_id, sample_idx). Plain tuples (no
        ``sqlite3.Row`` per row: diagnose reads 100k-row runs whole).
        """
        sql = (
            "SELECT s.item_id, s.task, s.sample_idx, s.score, s.failure_mode, s.failure_signals,"
            " a.background_condition, a.task_type, a.solving_operation, a.output_constraint"
            " FROM samples s JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
            " LEFT JOIN item_axes a ON a.item_id = s.item_id"
            " WHERE s.run_id = ? AND s.filter = coalesce(?, rt.primary_filter)"
            " AND s.score IS NOT NULL"
        )
        params: list[Any] = [run_id, filter_name]
        if benchmark is not None:
            sql += " AND rt.benchmark = ?"
            params.append(benchmark)
        cur = self.conn.cursor()
        cur.row_factory = None
        return cur.execute(sql + " ORDER BY s.task, s.item_id, s.sample_idx", params).fetchall()

    def outcome_rows(
        self, run_id: int, benchmark: str | None = None, filter_name: str | None = None, *,
        evaluation: bool = False, ordered: bool = True, prompts: bool = True,
        coded_modes: Sequence[str] | None = None,
    ) -> list[Any]:  # fmt: skip
        """:meth:`sample_outcomes` without the axis columns (read per item once by
        :meth:`item_axis_rows` or :meth:`outcome_item_axes`; issue 14): item_id, task,
        sample_idx, score, failure_mode, failure_signals, ordered by (task, item_id,
        sample_idx); ``ordered=False``: in the order SQLite reads them (the caller sorts).

        ``evaluation=True`` (each task's primary filter; ``filter_name`` must be None): also
        prompt_hash and settings_hash, and rows whose score is NULL are kept (score None), so
        one read also holds what :meth:`evaluation_columns` reads (its rows are those of
        sample_idx 0; the primary filter is the task's). ``prompts=False``: the prompt hash
        column holds :data:`SAME_PROMPT` where a hash is stored and None where not, for a
        caller that knows the two runs it compares hold the same hashes
        (``evaluation_digests_equal``): reading and converting 100k hashes is ~0.1 s a run.
        ``coded_modes`` (failure mode names; only with ``ordered=False``): the task column
        holds the task's ``run_tasks`` rowid (:meth:`task_rowids` names them) and the
        failure_mode column the index of the mode in ``coded_modes``, or the stored value
        (None, '' or another text) where it is none of them: small ints instead of 100k
        strings a run (issue 14).
        """
        if evaluation and filter_name is not None:
            raise ValueError("outcome_rows: evaluation=True reads each task's primary filter")
        cols = "s.item_id, s.task, s.sample_idx, s.score, s.failure_mode, s.failure_signals"
        params_before: list[Any] = []
        if coded_modes is not None:
            if ordered:
                raise ValueError("outcome_rows: coded_modes reads the rows unordered")
            whens = " ".join("WHEN ? THEN ?" for _ in coded_modes)
            mode = (
                f"CASE s.failure_mode {whens} ELSE s.failure_mode END"
                if whens
                else "s.failure_mode"
            )
            cols = f"s.item_id, rt.rowid, s.sample_idx, s.score, {mode}, s.failure_signals"
            params_before = [v for i, m in enumerate(coded_modes) for v in (m, i)]
        if evaluation and not prompts:  # whether a hash is stored (0 or NULL: none)
            cols += ", length(s.prompt_hash) > 0, s.settings_id"
        elif evaluation:  # 0021_narrow_store: a blob and a settings id, given in hex below
            cols += ", s.prompt_hash, s.settings_id"
        where, params = self._outcome_where(run_id, benchmark, filter_name, scored=not evaluation)
        cur = self.conn.cursor()
        cur.row_factory = None
        order = " ORDER BY s.task, s.item_id, s.sample_idx" if ordered else ""
        rows = cur.execute(
            f"SELECT {cols} FROM samples s JOIN run_tasks rt ON rt.run_id = s.run_id"
            f" AND rt.task = s.task WHERE {where}{order}",
            params_before + params,
        ).fetchall()
        if not evaluation:
            return rows
        # the hashes' hex form, converted here (half the read's time when SQLite did it)
        settings = {i: bytes(h).hex() for i, h in cur.execute("SELECT id, hash FROM eval_settings")}
        if not prompts:
            return [
                (a, b, c, d, e, f, SAME_PROMPT if p else None, settings.get(sid))
                for a, b, c, d, e, f, p, sid in rows
            ]
        return [
            (a, b, c, d, e, f, to_hex(p) or None, settings.get(sid))
            for a, b, c, d, e, f, p, sid in rows
        ]

    def task_rowids(self, run_id: int) -> dict[int, str]:
        """``run_tasks`` rowid -> task name of one run's tasks (the task codes of
        ``outcome_rows(..., coded_modes=...)``)."""
        cur = self.conn.cursor()
        cur.row_factory = None
        return dict(cur.execute("SELECT rowid, task FROM run_tasks WHERE run_id = ?", (run_id,)))

    def item_axis_rows(self, lo: int, hi: int, *, as_json: bool = False) -> list[Any]:
        """The four axis labels of the items with ``lo <= item_id <= hi`` that have an
        ``item_axes`` row: (item_id, background_condition, task_type, solving_operation,
        output_constraint), ordered by item_id (one range read of the primary key).
        ``as_json=True``: one row of five JSON arrays, the same columns in one order of the
        items (issue 14: 100k tuples cost more to build than five texts to parse).

        Raises:
            sqlite3.Error: with ``as_json``, a label JSON cannot hold (a BLOB).
        """
        order = "" if as_json else " ORDER BY item_id"
        cur = self.conn.cursor()
        cur.row_factory = None
        return cur.execute(
            f"SELECT {_axis_columns('', as_json)} FROM item_axes WHERE item_id BETWEEN ? AND ?"
            + order,
            (lo, hi),
        ).fetchall()

    def outcome_item_axes(
        self, run_id: int, benchmark: str | None = None, filter_name: str | None = None, *,
        as_json: bool = False,
    ) -> list[Any]:  # fmt: skip
        """The four axis labels of each item the scored rows of :meth:`sample_outcomes` hold
        that has an ``item_axes`` row: (item_id, background_condition, task_type,
        solving_operation, output_constraint), ordered by item_id (items without a row are
        left out: their labels are NULL, as the outcome rows' LEFT JOIN gives them).
        ``as_json=True``: as :meth:`item_axis_rows`.

        Raises:
            sqlite3.Error: with ``as_json``, a label JSON cannot hold (a BLOB).
        """
        where, params = self._outcome_where(run_id, benchmark, filter_name, scored=True)
        order = "" if as_json else " ORDER BY a.item_id"
        cur = self.conn.cursor()
        cur.row_factory = None
        return cur.execute(
            f"SELECT {_axis_columns('a.', as_json)} FROM item_axes a WHERE a.item_id IN"
            " (SELECT s.item_id FROM samples s JOIN run_tasks rt ON rt.run_id = s.run_id"
            f" AND rt.task = s.task WHERE {where}){order}",
            params,
        ).fetchall()

    @staticmethod
    def _outcome_where(
        run_id: int, benchmark: str | None, filter_name: str | None, *, scored: bool
    ) -> tuple[str, list[Any]]:
        """WHERE of the outcome reads over ``samples s JOIN run_tasks rt``."""
        where = "s.run_id = ? AND s.filter = coalesce(?, rt.primary_filter)"
        params: list[Any] = [run_id, filter_name]
        if scored:
            where += " AND s.score IS NOT NULL"
        if benchmark is not None:
            where += " AND rt.benchmark = ?"
            params.append(benchmark)
        return where, params

    def failure_mode_counts(
        self, run_id: int, groups: list[str], *, benchmark: str | None = None,
        filter_name: str | None = None,
    ) -> list[tuple[Any, ...]]:  # fmt: skip
        """Scored samples per slice and failure mode, counted in SQL: the samples the slice
        counts hold (each task's primary filter, or ``filter_name``; ``score`` not NULL).

        ``groups``: ``task``, ``benchmark`` or axes. Returns rows ``(*group values,
        failure_mode, samples)``; an unlabelled axis value and an unclassified mode are NULL.
        """
        cols = [f"a.{g}" if g in AXES else "rt.benchmark" if g == "benchmark" else "s.task"
                for g in groups]  # fmt: skip
        sql = (
            f"SELECT {''.join(c + ', ' for c in cols)}s.failure_mode, count(*) FROM samples s"
            " JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
            + (" LEFT JOIN item_axes a ON a.item_id = s.item_id" if set(groups) & set(AXES) else "")
            + " WHERE s.run_id = ? AND s.filter = coalesce(?, rt.primary_filter)"
            " AND s.score IS NOT NULL"
        )
        params: list[Any] = [run_id, filter_name]
        if benchmark is not None:
            sql += " AND rt.benchmark = ?"
            params.append(benchmark)
        sql += f" GROUP BY {''.join(c + ', ' for c in cols)}s.failure_mode"
        return [tuple(r) for r in self.conn.execute(sql, params).fetchall()]
