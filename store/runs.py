"""Runs and their tasks: create, list, delete, merge metadata, and what defines an evaluation
(settings per task) and which runs share items."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .compact import to_blob
from .db import NotFound, StoreBase, chunks, current_user, now_iso, placeholders

SKIPPED_ROWS = "skipped_rows"
"""The run's meta key of the input rows ``--skip-bad`` left out (:meth:`RunsMixin.record_skipped_rows`)."""
EARLIER_INGESTS = "(earlier ingests)"
"""Its entry for rows skipped before files were recorded (a store of an older capslice)."""


class RunsMixin(StoreBase):
    """Runs, their tasks and evaluation settings."""

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

    def record_skipped_rows(
        self,
        run_id: int,
        files_read: Iterable[str],
        skipped: Mapping[str, tuple[int, int | None]],
        counted: int = 0,
    ) -> tuple[int, int] | None:
        """Keep what an ingest with ``--skip-bad`` left out of a run: per input file, the
        unreadable rows skipped and the rows the file holds (None when not countable), in
        ``meta.skipped_rows`` (file -> ``[skipped, rows]``); ``n_bad`` becomes their sum
        (``counted``: the bad lines ``finish_ingest`` already added to it for this ingest).

        A file read again replaces its entry: read whole (a fixed file), its entry goes, so a
        run's skipped rows are those of the last read of each file, never counted twice.
        Nothing is written when the run records no skipped rows and none were skipped now
        (an ingest without bad lines stores what it stored before).

        Returns:
            ``(skipped before, skipped now)`` when the record changed, else None.
        """
        with self.write() as conn:
            row = conn.execute("SELECT meta, n_bad FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return None
            meta = json.loads(row["meta"] or "{}")
            kept: dict[str, list[Any]] = dict(meta.get(SKIPPED_ROWS) or {})
            earlier = int(row["n_bad"] or 0) - counted  # finish_ingest added this ingest's
            if not kept and earlier > 0:  # counted before files were: not known which
                kept[EARLIER_INGESTS] = [earlier, None]
            if not kept and not skipped:
                return None
            before = sum(int(v[0]) for v in kept.values())
            for f in [*files_read, *skipped]:
                kept.pop(f, None)
            kept.update({f: [n, rows] for f, (n, rows) in skipped.items() if n})
            if kept:
                meta[SKIPPED_ROWS] = kept
            else:
                meta.pop(SKIPPED_ROWS, None)
            after = sum(int(v[0]) for v in kept.values())
            conn.execute(
                "UPDATE runs SET meta = ?, n_bad = ? WHERE id = ?",
                (json.dumps(meta, default=str), after, run_id),
            )
            return before, after

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

    def run_benchmarks(self) -> dict[int, list[str]]:
        """Every run's benchmarks (those of its tasks, sorted), in one query: run id -> names;
        a run without tasks is left out."""
        out: dict[int, list[str]] = {}
        for run_id, benchmark in self.conn.execute(
            "SELECT DISTINCT run_id, benchmark FROM run_tasks ORDER BY run_id, benchmark"
        ):
            out.setdefault(int(run_id), []).append(benchmark)
        return out

    # ---- what defines an evaluation ---------------------------------------------------
    def evaluation_columns(
        self, run_id: int, benchmark: str | None = None
    ) -> tuple[list[Any], list[int], list[Any], list[Any], list[Any]]:
        """One entry per (task, item) of a run on each task's primary filter, ordered by
        (task, item_id), as five column lists: task, item_id, the first sample's
        ``prompt_hash`` and ``settings_hash`` (None when not logged / not recorded) and the
        task's ``primary_filter``. Read as plain tuples (no ``sqlite3.Row`` per row)."""
        sql = (
            "SELECT s.task, s.item_id, nullif(lower(hex(s.prompt_hash)), ''),"  # hex (0021)
            " nullif(lower(hex(e.hash)), ''), rt.primary_filter"
            " FROM samples s JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
            " LEFT JOIN eval_settings e ON e.id = s.settings_id"
            " WHERE s.run_id = ? AND s.filter = rt.primary_filter AND s.sample_idx = 0"
        )
        params: list[Any] = [run_id]
        if benchmark is not None:
            sql += " AND rt.benchmark = ?"
            params.append(benchmark)
        cur = self.conn.cursor()
        cur.row_factory = None
        rows = cur.execute(sql + " ORDER BY s.task, s.item_id", params).fetchall()
        if not rows:
            return [], [], [], [], []
        task, item, prompt, settings, primary = (list(c) for c in zip(*rows, strict=True))
        return task, item, prompt, settings, primary

    def evaluation_differs_count(
        self, base_id: int, cand_id: int, filter_name: str | None = None
    ) -> int:
        """Items both runs hold (same task and item_id, first sample, each run's primary
        filter of the task or ``filter_name``) whose prompt hash or settings row differ
        (NULL on one side only counts as differing): 0 means every shared item has the same
        prompt hash and settings row on both sides. Exact, one SQL join (compare's cheap
        check before the full ``evaluation_check``); the candidate's rows are looked up by
        (run_id, item_id) (``+`` keeps SQLite from a (run_id, task, filter) scan per row)."""
        b_filter = "?" if filter_name else "bt.primary_filter"
        c_filter = "?" if filter_name else "ct.primary_filter"
        sql = (
            "SELECT count(*) FROM samples b"
            " JOIN run_tasks bt ON bt.run_id = b.run_id AND bt.task = b.task"
            " JOIN run_tasks ct ON ct.run_id = ? AND ct.task = b.task"
            " JOIN samples c ON c.run_id = ct.run_id AND c.item_id = b.item_id"  # by item:
            f" AND +c.task = b.task AND +c.filter = {c_filter} AND c.sample_idx = 0"
            f" WHERE b.run_id = ? AND b.filter = {b_filter} AND b.sample_idx = 0"
            " AND (b.prompt_hash IS NOT c.prompt_hash OR b.settings_id IS NOT c.settings_id)"
        )
        params: list[Any] = [cand_id]
        if filter_name:
            params.append(filter_name)
        params.append(base_id)
        if filter_name:
            params.append(filter_name)
        return int(self.conn.execute(sql, params).fetchone()[0])

    def evaluation_settings(self, hashes: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Settings hash -> decoded settings dict, for the given hashes."""
        out: dict[str, dict[str, Any]] = {}
        for chunk in chunks(sorted({h for h in hashes if h})):
            for h, text in self.conn.execute(
                "SELECT capslice_hex(hash), settings FROM eval_settings"
                f" WHERE hash IN ({placeholders(chunk)})",
                [to_blob(h) for h in chunk],
            ):
                out[h] = json.loads(text)
        return out

    def runs_sharing_items(self, run_id: int, benchmark: str | None = None) -> dict[int, int]:
        """Other runs holding items of ``run_id`` (within ``benchmark`` if given): run id ->
        number of shared items (on any filter)."""
        from .outcomes import shared_item_counts  # on first use (start-up)

        tasks: set[str] | None = None
        if benchmark is not None:
            tasks = {
                r[0]
                for r in self.conn.execute(
                    "SELECT task FROM run_tasks WHERE run_id = ? AND benchmark = ?",
                    (run_id, benchmark),
                )
            }
        # from the run_outcomes bitsets: item_scores has no item-major index since
        # 0023_item_scores_run_major (a join on item_id would read every run's rows)
        return shared_item_counts(self.conn, run_id, tasks)

    def identical_responses(
        self, base_id: int, cand_id: int, benchmark: str | None = None
    ) -> tuple[int, int] | None:
        """Whether ``cand_id`` answered every sample it shares with ``base_id`` (paired by
        task, filter, document and sample index; on ``benchmark``'s tasks when given) with the
        identical response (stored text, original length, the original's hash when cut).

        Returns:
            (shared samples, of those the ones whose score differs), or None: no shared sample,
            a shared sample without a stored response (nothing to compare), or a response
            that differs. The search for a differing pair stops at the first one (two real
            runs differ on their first shared samples); only identical runs are read in full
            (one lookup in the samples' unique index a base sample).
        """
        tasks = ""
        args: list[Any] = [cand_id, base_id]
        if benchmark is not None:
            tasks = " AND a.task IN (SELECT task FROM run_tasks WHERE run_id = ? AND benchmark = ?)"
            args += [base_id, benchmark]
        pairs = (
            "FROM samples a JOIN samples b ON b.run_id = ? AND b.task = a.task AND "
            "b.filter = a.filter AND b.doc_id = a.doc_id AND b.sample_idx = a.sample_idx "
            f"WHERE a.run_id = ?{tasks}"
        )
        differs = (
            "a.response IS NULL OR a.response IS NOT b.response OR a.response_chars IS NOT "
            "b.response_chars OR a.response_sha256 IS NOT b.response_sha256"
        )
        found = self.conn.execute(f"SELECT EXISTS (SELECT 1 {pairs} AND ({differs}))", args)
        if found.fetchone()[0]:
            return None
        n, scores = self.conn.execute(
            f"SELECT count(*), coalesce(sum(a.score IS NOT b.score), 0) {pairs}", args
        ).fetchone()
        return (int(n), int(scores)) if n else None
