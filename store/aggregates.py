"""Per-item aggregates the slices read (item scores, slice counts, item axes) and the rule
labels they are refreshed from."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..vocabulary import AXES
from .db import StoreBase, chunks, now_iso, placeholders
from .schema import SLICE_COUNTS_FILL


class AggregatesMixin(StoreBase):
    """Maintained aggregates and rule labels."""

    # ---- aggregates -------------------------------------------------------------------
    def refresh_item_scores(self, run_id: int) -> None:
        """Recompute the per-(task, filter, item) sample and correct counts of one run."""
        with self.write() as conn:
            conn.execute("DELETE FROM item_scores WHERE run_id = ?", (run_id,))
            conn.execute(
                "INSERT INTO item_scores (run_id, task, filter, item_id, n, c, c_lenient)"
                " SELECT run_id, task, filter, item_id, count(score), coalesce(sum(score), 0),"
                " sum(lenient) FROM samples WHERE run_id = ? GROUP BY run_id, task, filter, item_id"
                " HAVING count(score) > 0",
                (run_id,),
            )
        self.refresh_slice_counts([run_id])

    def max_samples_per_item(self, run_id: int) -> int | None:
        """The largest number of scored samples any item of the run has (None: no scores)."""
        row = self.conn.execute(
            "SELECT max(n) FROM item_scores WHERE run_id = ?", (run_id,)
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
            " sum(sc.c_lenient) AS c_lenient"
            " FROM slice_counts sc JOIN run_tasks rt ON rt.run_id = sc.run_id AND rt.task = sc.task"
            " WHERE sc.run_id = ?"
        )
        params: list[Any] = [run_id]
        if filter_name is None:
            sql += " AND sc.filter = rt.primary_filter"
        else:
            sql += " AND sc.filter = ?"
            params.append(filter_name)
        if benchmark is not None:
            sql += " AND rt.benchmark = ?"
            params.append(benchmark)
        sql += f" GROUP BY {cols}"
        return self.conn.execute(sql, params).fetchall()

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
        select = f"SELECT i.id, {cols}, '{{' || {srcs} || '}}' FROM items i"
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
        runs: set[int] = set()
        for chunk in chunks(list(item_ids) if item_ids is not None else []):
            runs.update(
                r[0]
                for r in self.conn.execute(
                    "SELECT DISTINCT run_id FROM item_scores"
                    f" WHERE item_id IN ({placeholders(chunk)})",
                    chunk,
                )
            )
        self.refresh_slice_counts(sorted(runs))

    def items_for_labelling(self) -> list[dict[str, Any]]:
        """Every item with what taxonomy rules read: id, benchmark, task, doc, question, target."""
        out = []
        for row in self.conn.execute(
            "SELECT id, benchmark, task, doc, question, target FROM items ORDER BY id"
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
