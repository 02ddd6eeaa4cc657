"""Per-item aggregates the slices read (item scores, slice counts, item axes) and the rule
labels they are refreshed from."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from ..vocabulary import AXES
from .db import StoreBase, chunks, now_iso, placeholders
from .samples import filter_condition
from .schema import SLICE_COUNTS_FILL


def refresh_run(conn: sqlite3.Connection, run_id: int) -> None:
    """Aggregates of one run beyond ``item_scores``/``slice_counts``, from them and the run's
    samples, inside the caller's transaction: the ``run_outcomes`` rows (0022). For writers
    that fill ``item_scores`` themselves (benchmarks/big_store.py)."""
    from .outcomes import refresh as refresh_outcomes

    refresh_outcomes(conn, [run_id])


def _one_sample_per_item(conn: sqlite3.Connection, run_id: int) -> bool:
    """The ``item_scores`` rows of a run whose (task, filter, item) each hold one sample (a
    greedy run), inserted row by row without grouping: the same rows as the grouped INSERT
    (one sample: ``count(score)`` is 1 or 0, the sums are its values) at about half its CPU
    (measured ~1.0-1.4 against 1.9-2.9 us per sample, no temporary b-tree). A second sample
    of a (task, filter, item) breaks the primary key: everything is undone and False
    returned (the caller groups). Inside the caller's transaction."""
    conn.execute("SAVEPOINT one_sample_per_item")
    try:
        conn.execute(
            "INSERT INTO item_scores (run_id, task, filter, item_id, n, c, c_lenient)"
            " SELECT run_id, task, filter, item_id, score IS NOT NULL, coalesce(score, 0),"
            " lenient FROM samples WHERE run_id = ?",
            (run_id,),
        )
    except sqlite3.IntegrityError:  # an item with two samples: not greedy
        conn.execute("ROLLBACK TO one_sample_per_item")
        conn.execute("RELEASE one_sample_per_item")
        return False
    # an unscored sample is no item_scores row (the grouped INSERT's HAVING count(score) > 0)
    conn.execute("DELETE FROM item_scores WHERE run_id = ? AND n = 0", (run_id,))
    conn.execute("RELEASE one_sample_per_item")
    return True


class AggregatesMixin(StoreBase):
    """Maintained aggregates and rule labels."""

    # ---- aggregates -------------------------------------------------------------------
    def refresh_item_scores(self, run_id: int) -> None:
        """Recompute the per-(task, filter, item) sample and correct counts of one run."""
        with self.write() as conn:
            conn.execute("DELETE FROM item_scores WHERE run_id = ?", (run_id,))
            if not _one_sample_per_item(conn, run_id):
                conn.execute(
                    "INSERT INTO item_scores (run_id, task, filter, item_id, n, c, c_lenient)"
                    " SELECT run_id, task, filter, item_id, count(score), coalesce(sum(score), 0),"
                    # NULL unless every scored sample has a lenient score: a sum over some of
                    # them would pass for the item's (NULL: the extraction does not apply)
                    " CASE WHEN count(lenient) = count(score) THEN sum(lenient) END"
                    " FROM samples WHERE run_id = ?"
                    " GROUP BY run_id, task, filter, item_id HAVING count(score) > 0",
                    (run_id,),
                )
            from .outcomes import refresh as refresh_outcomes  # on first use (start-up)

            refresh_outcomes(conn, [run_id])  # run_outcomes (0022) from the same scores
        self.refresh_slice_counts([run_id])

    def max_samples_per_item(self, run_id: int) -> int | None:
        """The largest number of scored samples any item of the run has (None: no scores)."""
        row = self.conn.execute(  # slice_counts holds each cell's max(n) of item_scores
            "SELECT max(max_n) FROM slice_counts WHERE run_id = ?", (run_id,)
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def refresh_slice_counts(self, run_ids: Sequence[int]) -> None:
        """Recompute the per-(task, filter, axis cell) counts of some runs."""
        for run_id in run_ids:
            with self.write() as conn:
                conn.execute("DELETE FROM slice_counts WHERE run_id = ?", (run_id,))
                conn.execute(SLICE_COUNTS_FILL.format(where="WHERE s.run_id = ?"), (run_id,))

    def slice_count_rows(
        self, run_id: int, groups: Sequence[str], *, benchmark: str | None = None,
        filter_name: str | None = None,
    ) -> list[Any]:  # fmt: skip
        """Counts per slice from ``slice_counts``: the groupings, n_items, n_samples, c,
        max_n and fractional, on each task's primary filter (or ``filter_name``)."""
        cols = ", ".join(f"sc.{g}" if g in AXES or g == "task" else f"rt.{g}" for g in groups)
        sql = (
            f"SELECT {cols}, sum(sc.n_items) AS n_items, sum(sc.n_samples) AS n_samples,"
            " sum(sc.c) AS c, max(sc.max_n) AS max_n, sum(sc.fractional) AS fractional,"
            # NULL when a cell of the slice has none: never a sum over part of its items
            " CASE WHEN count(sc.c_lenient) = count(*) THEN sum(sc.c_lenient) END AS c_lenient"
            " FROM slice_counts sc JOIN run_tasks rt ON rt.run_id = sc.run_id AND rt.task = sc.task"
            " WHERE sc.run_id = ?"
        )
        params: list[Any] = [run_id]
        more, extra = filter_condition("sc", filter_name)
        sql += more
        params += extra
        if benchmark is not None:
            sql += " AND rt.benchmark = ?"
            params.append(benchmark)
        sql += f" GROUP BY {cols}"
        return self.conn.execute(sql, params).fetchall()

    def task_counts_all_runs(self) -> dict[int, list[tuple[Any, ...]]]:
        """Per run, its per-task counts on each task's primary filter from ``slice_counts``,
        in one query: run id -> rows of (benchmark, task, n_items, n_samples, c, max_n,
        fractional), ordered by task."""
        cur = self.conn.cursor()
        cur.row_factory = None
        out: dict[int, list[tuple[Any, ...]]] = {}
        # run_tasks outside, grouped by its key: SQLite walks run_tasks in key order and
        # slice_counts_run per task, with no temporary b-tree to group or sort (0.07 -> 0.04 s
        # on 100 runs of 20 tasks; the benchmark is one per (run, task))
        for run_id, *row in cur.execute(
            "SELECT rt.run_id, rt.benchmark, rt.task, sum(sc.n_items), sum(sc.n_samples),"
            " sum(sc.c), max(sc.max_n), sum(sc.fractional) FROM run_tasks rt"
            " JOIN slice_counts sc ON sc.run_id = rt.run_id AND sc.task = rt.task"
            " AND sc.filter = rt.primary_filter"
            " GROUP BY rt.run_id, rt.task ORDER BY rt.run_id, rt.task"
        ):
            out.setdefault(int(run_id), []).append(tuple(row))
        return out

    def paired_greedy_counts(
        self, base_id: int, cand_id: int, groups: Sequence[str], *,
        benchmark: str | None = None, filter_name: str | None = None,
    ) -> tuple[list[Any], int, int, int]:  # fmt: skip
        """Two runs paired by (task, item), counted per slice in SQL from ``item_scores``.

        Each run is read on each task's primary filter (or ``filter_name``); slices group by
        ``groups`` (task, benchmark: the base run's, or an axis of ``item_axes``).

        Returns:
            (rows, n_base, n_cand, not_greedy): rows of (*group values, n paired items, base
            right, candidate right, b = right→wrong, c = wrong→right), group values NULL when
            unlabelled; the items of each run (for the unpaired counts); and the paired items
            that are not one 0/1 sample on both sides (the counts are then not McNemar's).
        """
        totals = []
        for run_id in (base_id, cand_id):
            sql = (
                "SELECT coalesce(sum(sc.n_items), 0) FROM slice_counts sc JOIN run_tasks rt"
                " ON rt.run_id = sc.run_id AND rt.task = sc.task WHERE sc.run_id = ?"
                f" AND sc.filter = {'rt.primary_filter' if filter_name is None else '?'}"
            )
            args: list[Any] = [run_id] + ([filter_name] if filter_name is not None else [])
            if benchmark is not None:
                sql += " AND rt.benchmark = ?"
                args.append(benchmark)
            totals.append(int(self.conn.execute(sql, args).fetchone()[0]))
        if not set(groups) & set(AXES):
            fast = self._paired_from_outcomes(
                base_id, cand_id, groups, benchmark, filter_name, totals
            )
            if fast is not None:
                return fast
        cols = [
            f"a.{g}" if g in AXES else "rx.task" if g == "task" else "rx.benchmark" for g in groups
        ]
        where = "rx.primary_filter" if filter_name is None else "?"
        by_name = [filter_name] if filter_name is not None else []
        # CROSS JOIN fixes the loop order: per task of the base run (run_tasks in key order),
        # its items on the filter by primary-key range, then one primary-key lookup of the
        # candidate's item; grouped by task, no temporary b-tree. The planner's own order ran
        # over the base's items and looked both runs' run_tasks up per item (~1.6x the CPU on
        # a 100k-item pair of the 10M store).
        sql = (
            f"SELECT {', '.join(cols)}, count(*), sum(x.c), sum(y.c), sum(x.c > y.c),"
            " sum(y.c > x.c),"
            " sum(x.n != 1 OR y.n != 1 OR x.c NOT IN (0, 1) OR y.c NOT IN (0, 1))"
            " FROM run_tasks rx CROSS JOIN run_tasks ry CROSS JOIN item_scores x"
            " CROSS JOIN item_scores y"
            + (" LEFT JOIN item_axes a ON a.item_id = x.item_id" if set(groups) & set(AXES) else "")
            + " WHERE rx.run_id = ? AND ry.run_id = ? AND ry.task = rx.task"
            f" AND x.run_id = rx.run_id AND x.task = rx.task AND x.filter = {where}"
            " AND y.run_id = ry.run_id AND y.task = rx.task"
            f" AND y.filter = {where.replace('rx.', 'ry.')} AND y.item_id = x.item_id"
        )
        params: list[Any] = [base_id, cand_id, *by_name, *by_name]
        if benchmark is not None:
            sql += " AND rx.benchmark = ? AND ry.benchmark = ?"
            params += [benchmark, benchmark]
        rows = self.conn.execute(sql + f" GROUP BY {', '.join(cols)}", params).fetchall()
        n = len(groups)
        cut = [tuple(r[:n]) + tuple(r[n : n + 5]) for r in rows]
        return cut, totals[0], totals[1], sum(int(r[n + 5] or 0) for r in rows)

    def _outcome_tasks(
        self, run_id: int, benchmark: str | None, filter_name: str | None
    ) -> dict[str, tuple[str, tuple[Any, ...] | None]] | None:
        """Per task of the run (within ``benchmark``): its benchmark and its ``run_outcomes``
        row (n_items, lo, present, correct, odd, evaluation) on the task's primary filter
        (or ``filter_name``), None when the run has no such row. None when the run has no
        ``run_outcomes`` row at all (not built: the callers take their exact SQL path)."""
        cur = self.conn.cursor()
        cur.row_factory = None
        rows = {
            (r[0], r[1]): tuple(r[2:])
            for r in cur.execute(
                "SELECT task, filter, n_items, lo, present, correct, odd, evaluation"
                " FROM run_outcomes WHERE run_id = ?",
                (run_id,),
            )
        }
        if not rows:
            return None
        out = {}
        for task, bench, primary in cur.execute(
            "SELECT task, benchmark, primary_filter FROM run_tasks WHERE run_id = ?", (run_id,)
        ):
            if benchmark is None or bench == benchmark:
                out[task] = (bench, rows.get((task, filter_name or primary)))
        return out

    def _paired_from_outcomes(
        self, base_id: int, cand_id: int, groups: Sequence[str], benchmark: str | None,
        filter_name: str | None, totals: list[int],
    ) -> tuple[list[Any], int, int, int] | None:  # fmt: skip
        """:meth:`paired_greedy_counts` grouped by task or benchmark from the ``run_outcomes``
        bitsets (Python ints, no per-item rows): the same rows, in SQL's types. None when a
        run lacks the bitsets (not built, too sparse) or they disagree with ``slice_counts``'
        item totals (then the SQL join answers)."""
        sides = []
        for run_id, total in zip((base_id, cand_id), totals, strict=True):
            tasks = self._outcome_tasks(run_id, benchmark, filter_name)
            if tasks is None:
                return None
            held = 0
            for _, row in tasks.values():
                if row is not None:
                    if row[0] and row[1] is None:
                        return None  # too sparse for a bitset
                    held += row[0]
            if held != total:
                return None
            sides.append(tasks)
        base, cand = sides
        from .outcomes import as_int  # on first use: the cheap reads never load it

        cells: dict[tuple[Any, ...], list[Any]] = {}
        not_greedy = 0
        for task in sorted(base.keys() & cand.keys()):
            (bench, x), (_, y) = base[task], cand[task]
            if x is None or y is None or not x[0] or not y[0]:
                continue
            both = as_int(x[2], x[1]) & as_int(y[2], y[1])
            if not both:
                continue
            xc = as_int(x[3], x[1]) & both
            yc = as_int(y[3], y[1]) & both
            not_greedy += ((as_int(x[4], x[1]) | as_int(y[4], y[1])) & both).bit_count()
            key = tuple(task if g == "task" else bench for g in groups)
            acc = cells.setdefault(key, [0, 0.0, 0.0, 0, 0])
            acc[0] += both.bit_count()
            acc[1] += float(xc.bit_count())
            acc[2] += float(yc.bit_count())
            acc[3] += (xc & ~yc).bit_count()
            acc[4] += (yc & ~xc).bit_count()
        rows = [(*key, *acc) for key, acc in cells.items()]
        return rows, totals[0], totals[1], not_greedy

    def evaluations_agree(self, base_id: int, cand_id: int, filter_name: str | None = None) -> bool:
        """True when, for every task both runs hold, the first samples of the two runs on each
        run's primary filter of the task (or ``filter_name``) have the same ``run_outcomes``
        evaluation digest: the same items with the same prompt hash and settings row, so
        ``evaluation_differs_count`` is 0. False when a digest differs or is missing (the
        exact count then decides)."""
        base = self._outcome_tasks(base_id, None, filter_name)
        cand = self._outcome_tasks(cand_id, None, filter_name)
        if base is None or cand is None:
            return False
        for task in base.keys() & cand.keys():
            x, y = base[task][1], cand[task][1]
            if x is None or y is None or x[5] is None or x[5] != y[5]:
                return False
        return True

    def evaluation_digests_equal(
        self, base_id: int, cand_id: int, benchmark: str | None = None
    ) -> bool:
        """True when the two runs hold the same tasks (within ``benchmark``) and, per task, the
        first samples on the task's primary filter have the same ``run_outcomes`` evaluation
        digest (0022): the same items, each with the same prompt hash (or none on both sides)
        and settings row in both runs. False when a task is in one run only, a digest is
        missing or differs, or a run has no ``run_outcomes`` rows (callers then compare the
        prompt hashes themselves). ``diagnose`` then reads no prompt hash (issue 14)."""
        base = self._outcome_tasks(base_id, benchmark, None)
        cand = self._outcome_tasks(cand_id, benchmark, None)
        if not base or not cand or base.keys() != cand.keys():
            return False
        for task, (_, x) in base.items():
            y = cand[task][1]
            if x is None or y is None or x[5] is None or x[5] != y[5]:
                return False
        return True

    def refresh_item_axes(self, item_ids: Sequence[int] | None) -> None:
        """Recompute the effective label per axis (hand > cluster > rule) for some items.

        Args:
            item_ids: items whose labels changed; None recomputes every item lacking a row
                plus every listed one (ingest passes None: only new items need rows).
        """
        prec = "CASE source WHEN 'hand' THEN 0 WHEN 'cluster' THEN 1 ELSE 2 END"
        cols = ", ".join(
            f"(SELECT value FROM labels l WHERE l.item_id = i.id AND l.axis = '{a}'"
            f" ORDER BY {prec} LIMIT 1)"
            for a in AXES
        )
        srcs = " || ',' || ".join(
            f"'\"{a}\":' || coalesce((SELECT '\"' || source || '\"' FROM labels l"
            f" WHERE l.item_id = i.id AND l.axis = '{a}' ORDER BY {prec} LIMIT 1), 'null')"
            for a in AXES
        )
        # only the axes with a label: json_patch drops the null members (0017_compact_samples)
        select = f"SELECT i.id, {cols}, json_patch('{{}}', '{{' || {srcs} || '}}') FROM items i"
        with self.write() as conn:
            if item_ids is None:
                conn.execute(
                    f"INSERT INTO item_axes {select}"
                    " WHERE i.id NOT IN (SELECT item_id FROM item_axes)"
                )
            else:
                for chunk in chunks(list(item_ids)):
                    conn.execute(
                        f"INSERT OR REPLACE INTO item_axes {select}"
                        f" WHERE i.id IN ({placeholders(chunk)})",
                        chunk,
                    )
        if item_ids:
            from .outcomes import runs_holding  # on first use (start-up)

            # the runs holding these items, from the run_outcomes bitsets (no item-major index
            # on item_scores since 0023_item_scores_run_major)
            self.refresh_slice_counts(sorted(runs_holding(self.conn, item_ids)))

    def items_for_labelling(self) -> list[dict[str, Any]]:
        """Every item with what taxonomy rules read: id, benchmark, task, doc, question, target."""
        out = []
        for row in self.conn.execute(
            "SELECT id, benchmark, task, capslice_doc(doc, question, target) AS doc, question,"
            " target FROM items ORDER BY id"
        ):
            d = dict(row)
            d["doc"] = json.loads(d["doc"]) if d["doc"] else None
            out.append(d)
        return out

    def replace_rule_labels(
        self, assignments: dict[int, dict[str, tuple[str, str]]], batch_size: int = 5000
    ) -> int:
        """Make each item's ``rule`` labels equal ``assignments`` (axis -> (value, rule_id)).

        Changed, added and dropped rule labels are written to ``label_history`` (who
        ``taxonomy``); hand and cluster labels are untouched and keep precedence. Commits in
        batches of ``batch_size`` items. Returns the number of label changes.
        """
        changes = 0
        ids = sorted(assignments)
        at = now_iso()
        batch = f"taxonomy-{at}"
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            with self.write() as conn:
                q = ",".join("?" * len(chunk))
                current: dict[int, dict[str, str]] = {}
                for item_id, axis, value in conn.execute(
                    f"SELECT item_id, axis, value FROM labels WHERE source = 'rule'"
                    f" AND item_id IN ({q})",
                    chunk,
                ):
                    current.setdefault(item_id, {})[axis] = value
                for item_id in chunk:
                    new = assignments[item_id]
                    old = current.get(item_id, {})
                    for axis in AXES:
                        old_v = old.get(axis)
                        new_v = new[axis][0] if axis in new else None
                        if old_v == new_v:
                            continue
                        changes += 1
                        if new_v is None:
                            conn.execute(
                                "DELETE FROM labels WHERE item_id = ? AND axis = ? AND source = 'rule'",
                                (item_id, axis),
                            )
                        else:
                            conn.execute(
                                "INSERT INTO labels (item_id, axis, value, source, origin, who, at)"
                                " VALUES (?,?,?,'rule',?,'taxonomy',?) ON CONFLICT(item_id, axis,"
                                " source) DO UPDATE SET value = excluded.value, origin ="
                                " excluded.origin, at = excluded.at, version = labels.version + 1",
                                (item_id, axis, new_v, new[axis][1], at),
                            )
                        conn.execute(
                            "INSERT INTO label_history (item_id, axis, source, old_value, new_value,"
                            " who, at, action, batch) VALUES (?,?,'rule',?,?,'taxonomy',?,?,?)",
                            (item_id, axis, old_v, new_v, at, "set" if new_v else "clear", batch),
                        )
            self.refresh_item_axes(chunk)
        return changes
