"""Runs, items, samples and per-item score aggregates: the bulk half of the store.

Bulk loads use plain ``executemany`` inside one IMMEDIATE transaction per batch (measured ~4x
faster than sqlite-utils ``insert_all``); small writes and schema use sqlite-utils.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..vocabulary import AXES as AXES
from .db import NotFound, StoreBase, chunks, current_user, now_iso, placeholders
from .schema import SLICE_COUNTS_FILL

UNLABELLED = "(unlabelled)"  # how slices show items without a label on an axis
SOURCE_PRECEDENCE = ("hand", "cluster", "rule")

SAMPLE_COLUMNS = (
    "run_id",
    "item_id",
    "task",
    "filter",
    "doc_id",
    "sample_idx",
    "ingest_id",
    "prompt_hash",
    "response",
    "response_chars",
    "response_sha256",
    "extracted",
    "official",
    "score",
    "score_source",
    "lenient_extracted",
    "lenient",
    "failure_mode",
    "failure_reason",
    "failure_signals",
    "finish_reason",
    "n_output_tokens",
    "metrics",
    "settings_hash",
    "reasoning",
    "reasoning_chars",
)
_INSERT_SAMPLE = (
    f"INSERT OR IGNORE INTO samples ({', '.join(SAMPLE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in SAMPLE_COLUMNS)})"
)


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


class SamplesMixin(StoreBase):
    """Runs, run tasks, items, samples and the per-item aggregates slices read."""

    # ---- runs -------------------------------------------------------------------------
    def get_run(self, name: str) -> dict[str, Any]:
        """The run called ``name`` as a dict.

        Raises:
            NotFound: no run has that name (the message lists the runs that exist).
        """
        row = self.conn.execute("SELECT * FROM runs WHERE name = ?", (name,)).fetchone()
        if row is None:
            names = [r[0] for r in self.conn.execute("SELECT name FROM runs ORDER BY name")]
            known = ", ".join(names) if names else "none yet; use `capslice ingest`"
            raise NotFound(f"no run named {name!r} in {self.path} (runs: {known})")
        run = dict(row)
        run["source_files"] = json.loads(run["source_files"] or "[]")
        run["meta"] = json.loads(run["meta"] or "{}")
        return run

    def list_runs(self) -> list[dict[str, Any]]:
        """Every run with its tasks' benchmarks, ordered by name."""
        runs = []
        for row in self.conn.execute("SELECT * FROM runs ORDER BY name"):
            run = dict(row)
            run["source_files"] = json.loads(run["source_files"] or "[]")
            run["meta"] = json.loads(run["meta"] or "{}")
            runs.append(run)
        return runs

    def ensure_run(
        self,
        name: str,
        *,
        model: str | None,
        step: int | None,
        tokens_seen: int | None,
        source_format: str,
        source_files: Sequence[str],
        meta: dict[str, Any],
    ) -> tuple[int, bool]:
        """Create the run if needed; return ``(run_id, created)``.

        An existing run keeps its identity; new source files are appended and metadata merged
        (values already stored win, so a re-ingest never rewrites history).
        """
        with self.write() as conn:
            row = conn.execute(
                "SELECT id, source_files, meta, model, step FROM runs WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                cur = conn.execute(
                    "INSERT INTO runs (name, model, step, tokens_seen, source_format, source_files,"
                    " meta, status, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        name,
                        model,
                        step,
                        tokens_seen,
                        source_format,
                        json.dumps(list(source_files)),
                        json.dumps(meta, default=str),
                        "incomplete",
                        now_iso(),
                        current_user(),
                    ),
                )
                return int(cur.lastrowid or 0), True
            files = json.loads(row["source_files"] or "[]")
            files += [f for f in source_files if f not in files]
            merged = {**meta, **json.loads(row["meta"] or "{}")}
            conn.execute(
                "UPDATE runs SET source_files = ?, meta = ?, model = coalesce(model, ?),"
                " step = coalesce(step, ?), status = 'incomplete' WHERE id = ?",
                (json.dumps(files), json.dumps(merged, default=str), model, step, row["id"]),
            )
            return int(row["id"]), False

    def put_run_tasks(self, run_id: int, tasks: Iterable[dict[str, Any]]) -> None:
        """Insert or update the per-task settings of a run (keys as in ``run_tasks``)."""
        with self.write() as conn:
            for t in tasks:
                conn.execute(
                    "INSERT INTO run_tasks (run_id, task, benchmark, primary_filter, filters,"
                    " max_gen_toks, until, temperature, do_sample, repeats, eos_token, num_fewshot)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(run_id, task) DO UPDATE SET"
                    " filters = excluded.filters,"
                    " max_gen_toks = coalesce(run_tasks.max_gen_toks, excluded.max_gen_toks),"
                    " until = coalesce(run_tasks.until, excluded.until),"
                    " temperature = coalesce(run_tasks.temperature, excluded.temperature),"
                    " repeats = coalesce(run_tasks.repeats, excluded.repeats),"
                    " eos_token = coalesce(run_tasks.eos_token, excluded.eos_token)",
                    (
                        run_id,
                        t["task"],
                        t["benchmark"],
                        t["primary_filter"],
                        json.dumps(t.get("filters") or [t["primary_filter"]]),
                        t.get("max_gen_toks"),
                        json.dumps(t["until"]) if t.get("until") is not None else None,
                        t.get("temperature"),
                        None if t.get("do_sample") is None else int(bool(t["do_sample"])),
                        t.get("repeats"),
                        t.get("eos_token"),
                        t.get("num_fewshot"),
                    ),
                )

    def run_tasks(self, run_id: int) -> list[dict[str, Any]]:
        """Per-task settings of a run, with JSON columns decoded."""
        out = []
        for row in self.conn.execute(
            "SELECT * FROM run_tasks WHERE run_id = ? ORDER BY benchmark, task", (run_id,)
        ):
            d = dict(row)
            d["filters"] = json.loads(d["filters"] or "[]")
            d["until"] = json.loads(d["until"]) if d["until"] else None
            out.append(d)
        return out

    # ---- ingest bookkeeping -----------------------------------------------------------
    def begin_ingest(self, run_id: int) -> int:
        """Open an ingest record; every sample it writes carries its id (for rollback)."""
        with self.write() as conn:
            cur = conn.execute(
                "INSERT INTO ingests (run_id, started_at, who, status) VALUES (?,?,?,?)",
                (run_id, now_iso(), current_user(), "running"),
            )
            return int(cur.lastrowid or 0)

    def write_batch(
        self,
        *,
        texts: Sequence[tuple[str, str]],
        items: Sequence[tuple[str, str, str, str, str | None, str | None, str | None]],
        samples: Sequence[tuple[Any, ...]],
        rule_labels: Sequence[tuple[str, str, str, str]] = (),
        settings: Sequence[tuple[str, str]] = (),
        item_ids: dict[str, int] | None = None,
    ) -> tuple[int, dict[str, int]]:
        """Write one bounded batch of an ingest in a single transaction.

        Args:
            texts: ``(sha256, text)`` prompt texts, deduplicated by hash.
            items: ``(item_hash, benchmark, task, doc_id, question, target, doc_json)``.
            samples: tuples in ``SAMPLE_COLUMNS`` order, with ``item_id`` given as the item's
                hash (str); it is resolved here.
            rule_labels: ``(item_hash, axis, value, rule_id)`` for items first seen here.
            settings: ``(sha256, settings JSON)`` evaluation settings, deduplicated by hash.
            item_ids: hash -> id of items already stored (from :meth:`known_items` or an
                earlier batch); samples of these items need no entry in ``items``.

        Returns:
            ``(new_samples, ids)``: how many samples were new, and hash -> item id of the
            items in ``items`` that were not in ``item_ids``.
        """
        with self.write() as conn:
            conn.executemany("INSERT OR IGNORE INTO texts (hash, text) VALUES (?, ?)", texts)
            conn.executemany(
                "INSERT OR IGNORE INTO eval_settings (hash, settings) VALUES (?, ?)", settings
            )
            conn.executemany(
                "INSERT OR IGNORE INTO items (item_hash, benchmark, task, doc_id, question, target,"
                " doc) VALUES (?,?,?,?,?,?,?)",
                items,
            )
            known = item_ids or {}
            ids: dict[str, int] = {}
            hashes = list({i[0] for i in items if i[0] not in known})
            for chunk in chunks(hashes):
                for h, i in conn.execute(
                    f"SELECT item_hash, id FROM items WHERE item_hash IN ({placeholders(chunk)})",
                    chunk,
                ):
                    ids[h] = i
            if rule_labels:
                at = now_iso()
                conn.executemany(
                    "INSERT OR IGNORE INTO labels (item_id, axis, value, source, origin, who, at)"
                    " VALUES (?,?,?,'rule',?,'taxonomy',?)",
                    [(ids[h], axis, value, rule, at) for h, axis, value, rule in rule_labels],
                )
                # a new item has rule labels only, so they are its effective labels
                effective: dict[str, dict[str, str]] = {}
                for h, axis, value, _rule in rule_labels:
                    effective.setdefault(h, {})[axis] = value
                sources: dict[frozenset[str], str] = {}  # axes set -> sources JSON, once each

                def sources_of(axes: dict[str, str]) -> str:
                    key = frozenset(axes)
                    found = sources.get(key)
                    if found is None:
                        found = sources[key] = json.dumps(
                            {a: ("rule" if a in axes else None) for a in AXES}
                        )
                    return found

                conn.executemany(
                    "INSERT OR IGNORE INTO item_axes (item_id, background_condition, task_type,"
                    " solving_operation, output_constraint, sources) VALUES (?,?,?,?,?,?)",
                    [
                        (
                            ids[h],
                            *(axes.get(a) for a in AXES),
                            sources_of(axes),
                        )
                        for h, axes in effective.items()
                    ],
                )
            before = conn.total_changes
            new_id, old_id = ids.get, known.__getitem__  # ids are >= 1
            conn.executemany(
                _INSERT_SAMPLE, [(s[0], new_id(s[1]) or old_id(s[1]), *s[2:]) for s in samples]
            )
            return conn.total_changes - before, ids

    def known_items(
        self, hashes: Sequence[str], ids: dict[str, int] | None = None
    ) -> dict[str, str | None]:
        """Items already stored among ``hashes``: hash -> effective output_constraint label.

        ``ids``, when given, receives hash -> item id of each item found.
        """
        out: dict[str, str | None] = {}
        for chunk in chunks(list(hashes)):
            for h, oc, item_id in self.conn.execute(
                "SELECT i.item_hash, a.output_constraint, i.id FROM items i"
                " LEFT JOIN item_axes a ON a.item_id = i.id"
                f" WHERE i.item_hash IN ({placeholders(chunk)})",
                chunk,
            ):
                out[h] = oc
                if ids is not None:
                    ids[h] = item_id
        return out

    def ingest_sample_count(self, ingest_id: int) -> int:
        """Samples stored by one ingest (0 for an unknown ingest id)."""
        row = self.conn.execute(
            "SELECT count(*) FROM samples WHERE ingest_id = ?", (ingest_id,)
        ).fetchone()
        return int(row[0])

    def finish_ingest(
        self, ingest_id: int, run_id: int, *, n_read: int, n_new: int, bad: list[str]
    ) -> None:
        """Mark an ingest committed and bring the run's aggregates up to date."""
        self.refresh_item_scores(run_id)
        with self.write() as conn:
            conn.execute(
                "UPDATE ingests SET finished_at = ?, status = 'committed', n_read = ?, n_new = ?,"
                " n_bad = ?, report = ? WHERE id = ?",
                (now_iso(), n_read, n_new, len(bad), json.dumps(bad[:1000]), ingest_id),
            )
            conn.execute(
                "UPDATE runs SET status = 'complete',"
                " n_samples = (SELECT count(*) FROM samples WHERE run_id = ?),"
                " n_bad = n_bad + ? WHERE id = ?",
                (run_id, len(bad), run_id),
            )

    def mark_run_incomplete(self, run_id: int, reason: str, notes: Sequence[str] = ()) -> None:
        """Set a committed run's status back to ``incomplete`` and say why in its meta
        (``meta.incomplete``); ``notes`` (what the ingest reported) go to ``meta.ingest_notes``.
        """
        self.merge_run_meta(run_id, {"incomplete": reason}, notes)
        with self.write() as conn:
            conn.execute("UPDATE runs SET status = 'incomplete' WHERE id = ?", (run_id,))

    def merge_run_meta(
        self, run_id: int, updates: dict[str, Any], notes: Sequence[str] = ()
    ) -> None:
        """Merge ``updates`` into a run's meta (new values win; None removes the key) and
        append ``notes`` not yet in ``meta.ingest_notes`` (the last 200 are kept)."""
        with self.write() as conn:
            row = conn.execute("SELECT meta FROM runs WHERE id = ?", (run_id,)).fetchone()
            meta = json.loads(row["meta"] or "{}") if row is not None else {}
            for key, value in updates.items():
                if value is None:
                    meta.pop(key, None)
                else:
                    meta[key] = value
            if notes:
                kept = list(meta.get("ingest_notes") or [])
                kept += [n for n in notes if n not in kept]
                meta["ingest_notes"] = kept[-200:]
            conn.execute(
                "UPDATE runs SET meta = ? WHERE id = ?", (json.dumps(meta, default=str), run_id)
            )

    def infer_truncation(
        self,
        run_id: int,
        min_samples: int = 20,
        near_max: float = 0.8,
        min_chars: int = 400,
        ends_cut: Callable[[str], str | None] | None = None,
    ) -> int:
        """Mark cap hits in tasks whose log gave no generation cap (``max_gen_toks``).

        Without a logged cap, a wrong answer whose response is within
        ``1 - near_max`` of the longest response of its task, and whose text is visibly cut
        (``ends_cut(response)`` returns a reason such as "ends mid-sentence"; without
        ``ends_cut``, the text does not end in ``.``, ``!``, ``?`` or ``)``) was most likely cut
        by the generator's cap: it becomes ``truncated`` with that reason. A response that ends
        in a complete final answer (``#### 37``) is not cut, however long. Runaways stay
        runaways (a loop that ran to the cap).
        Only tasks with at least ``min_samples`` samples and responses of at least
        ``min_chars`` characters (a cap below ~100 tokens is not plausible) are judged.
        Tokenisers vary in characters per token, hence the loose ``near_max``. Returns rows
        changed.
        """

        def cut_reason(text: str | None) -> str | None:
            if ends_cut is not None:
                return ends_cut(text or "")
            ends_clean = (text or "").rstrip()[-1:] in (".", "!", "?", ")")
            return None if ends_clean else "ends mid-sentence"

        uncapped = self.conn.execute(
            "SELECT 1 FROM run_tasks WHERE run_id = ? AND max_gen_toks IS NULL LIMIT 1", (run_id,)
        ).fetchone()
        if uncapped is None:  # every task logged its cap: nothing to infer, no run scan
            return 0
        with self.write() as conn:
            conn.create_function("capslice_ends_cut", 1, cut_reason, deterministic=True)
            cur = conn.execute(
                "UPDATE samples SET failure_mode = 'truncated', failure_reason ="
                " 'no generation cap logged: ' || samples.response_chars || ' chars, within "
                f"{round(100 * (1 - near_max))}% of the longest response of this task (' || m.mx ||"
                " '), ' || capslice_ends_cut(samples.response),"
                " failure_signals = CASE WHEN failure_signals IS NULL THEN 'cap'"
                " ELSE failure_signals || ',cap' END"
                " FROM (SELECT task, max(response_chars) AS mx, count(*) AS n FROM samples"
                "       WHERE run_id = ? GROUP BY task) AS m"
                " WHERE samples.run_id = ? AND samples.task = m.task AND m.n >= ?"
                " AND samples.failure_mode = 'wrong_answer'"
                " AND samples.response_chars >= ? * m.mx AND samples.response_chars >= ?"
                " AND capslice_ends_cut(samples.response) IS NOT NULL"
                " AND samples.task IN (SELECT task FROM run_tasks WHERE run_id = ?"
                "                      AND max_gen_toks IS NULL)",
                (run_id, run_id, min_samples, near_max, min_chars, run_id),
            )
            return cur.rowcount

    def rollback_ingest(self, ingest_id: int, run_id: int, created_run: bool, reason: str) -> None:
        """Remove everything one ingest wrote, in bounded batches; older data is untouched.

        A run the ingest itself created is removed too when it ends up empty.
        """
        while True:
            with self.write() as conn:
                cur = conn.execute(
                    "DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE ingest_id = ?"
                    " LIMIT 50000)",
                    (ingest_id,),
                )
                if cur.rowcount == 0:
                    break
        with self.write() as conn:
            conn.execute(
                "UPDATE ingests SET finished_at = ?, status = 'rolled_back', report = ?"
                " WHERE id = ?",
                (now_iso(), json.dumps([reason]), ingest_id),
            )
            left = conn.execute(
                "SELECT count(*) FROM samples WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            if created_run and left == 0:
                conn.execute("DELETE FROM run_tasks WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM item_scores WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM slice_counts WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM ingests WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            else:
                conn.execute("UPDATE runs SET status = 'complete' WHERE id = ?", (run_id,))
        if not (created_run):
            self.refresh_item_scores(run_id)

    def delete_run(self, name: str) -> int:
        """Delete a run and its samples; items and labels stay (other runs share them).

        Returns the number of samples removed.
        """
        run = self.get_run(name)
        removed = 0
        while True:
            with self.write() as conn:
                cur = conn.execute(
                    "DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE run_id = ?"
                    " LIMIT 50000)",
                    (run["id"],),
                )
                removed += cur.rowcount
                if cur.rowcount == 0:
                    break
        with self.write() as conn:
            for table in ("item_scores", "slice_counts", "run_tasks", "ingests"):
                conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run["id"],))
            conn.execute("DELETE FROM runs WHERE id = ?", (run["id"],))
        return removed

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
        if filter_name is None:
            sql += " AND s.filter = rt.primary_filter"
        else:
            sql += " AND s.filter = ?"
            params.append(filter_name)
        if benchmark is not None:
            sql += " AND rt.benchmark = ?"
            params.append(benchmark)
        if task is not None:
            sql += " AND s.task = ?"
            params.append(task)
        return self.conn.execute(sql + " ORDER BY s.task, s.item_id", params).fetchall()

    def _run_id_range(self, run_id: int) -> tuple[int | None, int | None]:
        """Smallest and largest sample id of a run, from its ingests (two index seeks each).

        Every sample carries the ingest that wrote it, and an ingest belongs to one run, so the
        run's samples lie in this range (other runs' samples may too; callers still filter on
        run_id). ``(None, None)`` when the run has no samples.
        """
        lo, hi = self.conn.execute(
            "SELECT min((SELECT min(id) FROM samples WHERE ingest_id = g.id)),"
            " max((SELECT max(id) FROM samples WHERE ingest_id = g.id))"
            " FROM ingests g WHERE g.run_id = ?",
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
                "s.*, i.question, i.target, i.doc, i.benchmark AS item_benchmark, t.text AS prompt,"
                " a.background_condition, a.task_type, a.solving_operation, a.output_constraint,"
                " a.sources AS label_sources"
            )
        else:
            cols = (
                "s.id, s.task, s.filter, s.doc_id, s.sample_idx, s.item_id, s.score, s.lenient,"
                " s.failure_mode, substr(s.response, 1, 200) AS response, s.extracted,"
                " s.lenient_extracted, i.target, substr(i.question, 1, 200) AS question"
            )
        sql = (
            f"SELECT {cols} FROM samples s JOIN items i ON i.id = s.item_id"
            " JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
            " LEFT JOIN item_axes a ON a.item_id = s.item_id"
            " LEFT JOIN texts t ON t.hash = s.prompt_hash"
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
        if filter_name is not None:
            sql += " AND s.filter = ?"
            params.append(filter_name)
        elif not all_filters:
            sql += " AND s.filter = rt.primary_filter"
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
            "SELECT s.*, i.question, i.target, i.doc, i.item_hash, t.text AS prompt,"
            " a.background_condition, a.task_type, a.solving_operation, a.output_constraint,"
            " a.sources AS label_sources FROM samples s JOIN items i ON i.id = s.item_id"
            " LEFT JOIN item_axes a ON a.item_id = s.item_id"
            " LEFT JOIN texts t ON t.hash = s.prompt_hash WHERE s.id = ?",
            (sample_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no sample with id {sample_id} in {self.path}")
        d = dict(row)
        d["doc"] = json.loads(d["doc"]) if d["doc"] else None
        d["metrics"] = json.loads(d["metrics"]) if d["metrics"] else {}
        d["label_sources"] = json.loads(d["label_sources"]) if d["label_sources"] else {}
        return d

    def sample_outcomes(
        self, run_id: int, benchmark: str | None = None, filter_name: str | None = None
    ) -> list[Any]:
        """Per-sample outcome rows of a run on each task's primary filter (or ``filter_name``).

        Columns: item_id, task, sample_idx, score, failure_mode, failure_signals and the four
        axis columns; ordered by (task, item_id, sample_idx).
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
        return self.conn.execute(
            sql + " ORDER BY s.task, s.item_id, s.sample_idx", params
        ).fetchall()

    # ---- what defines an evaluation ---------------------------------------------------
    def evaluation_rows(self, run_id: int, benchmark: str | None = None) -> list[sqlite3.Row]:
        """One row per (task, item) of a run on each task's primary filter: the first
        sample's ``prompt_hash`` and ``settings_hash`` (NULL when not logged / not recorded),
        with the task's ``primary_filter``; ordered by (task, item_id)."""
        sql = (
            "SELECT s.task, s.item_id, s.prompt_hash, s.settings_hash, rt.primary_filter"
            " FROM samples s JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
            " WHERE s.run_id = ? AND s.filter = rt.primary_filter AND s.sample_idx = 0"
        )
        params: list[Any] = [run_id]
        if benchmark is not None:
            sql += " AND rt.benchmark = ?"
            params.append(benchmark)
        return self.conn.execute(sql + " ORDER BY s.task, s.item_id", params).fetchall()

    def evaluation_settings(self, hashes: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Settings hash -> decoded settings dict, for the given hashes."""
        out: dict[str, dict[str, Any]] = {}
        for chunk in chunks(sorted({h for h in hashes if h})):
            for h, text in self.conn.execute(
                f"SELECT hash, settings FROM eval_settings WHERE hash IN ({placeholders(chunk)})",
                chunk,
            ):
                out[h] = json.loads(text)
        return out

    def runs_sharing_items(self, run_id: int, benchmark: str | None = None) -> dict[int, int]:
        """Other runs holding items of ``run_id`` (within ``benchmark`` if given): run id ->
        number of shared items (on any filter)."""
        sql = (
            "SELECT o.run_id, count(DISTINCT o.item_id) FROM item_scores s"
            " JOIN item_scores o ON o.item_id = s.item_id AND o.run_id != s.run_id"
        )
        params: list[Any] = []
        if benchmark is not None:
            sql += (
                " JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
                " AND rt.benchmark = ?"
            )
            params.append(benchmark)
        sql += " WHERE s.run_id = ? GROUP BY o.run_id"
        params.append(run_id)
        return {int(r): int(n) for r, n in self.conn.execute(sql, params)}
