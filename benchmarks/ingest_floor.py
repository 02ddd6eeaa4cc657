"""Print the SQLite floor of an ingest beside the bare pipeline: what writing capslice's own
rows costs when no Python builds them.

Usage: python benchmarks/ingest_floor.py [--full N] [--metric-only N] [--repeat R] [--batch B]
                                         [--writer]

For each workload of ``ingest_speed.py`` (the same generated lm-eval files), capslice ingests
a first checkpoint once; then, ``--repeat`` times and interleaved with the bare pipeline on
the same files, every row that ingest stored (samples, items, prompt texts, rule labels,
item axes, item scores, slice counts, run outcomes) is copied into an empty store of the
same schema and indexes with one ``INSERT ... SELECT`` per table, each table one transaction,
in SQLite's C code: the least any ingest writing this store's rows could cost, with all
parsing, identity, scoring and labelling taken as free. Then the same rows are inserted again
from Python (the "binding floor"): read into lists beforehand, written with the ingest's own
multi-row ``INSERT ... VALUES`` statements (``store.ingest.insert_rows``; a column NULL
throughout a statement's rows left out, as the ingest does), in as many transactions as an
ingest of ``--batch`` samples a batch commits, each a share of every table's rows: what a
writer in Python pays to hand these rows to SQLite with nothing computed (a little more than
the ingest's own writes need: it derives item axes and item scores in SQL from rows it wrote,
and binds fewer label columns). Figures are microseconds per sample (wall; the binding floor
also in CPU of this process, steadier on a shared machine); the ratio ``floor / bare`` is how
much of the issue-14 budget (capslice >= 0.5x the bare pipeline, i.e. at most 2x its time)
the writes alone use.

With ``--writer``, the ingest's own writes are replayed first: every ``write_batch`` call of
the first checkpoint (and of a next checkpoint, the same files under another run) is
recorded while it ingests, then replayed in this process into an empty store, followed by
each run's totals (``finish_ingest``: item scores, run outcomes, slice counts); printed are
the CPU microseconds per sample of each, split by SQL statement (CPU inside ``execute``:
binding, SQLite's work, the commit) and the rest (Python building the rows and the totals'
reads through cursors). The replay and the binding floor run with the garbage collector's
thresholds an ingest sets (``fewer_collections``; the bare pipeline keeps Python's defaults,
as in ``ingest_speed.py``). The figures printed are what this machine measured; nothing here
is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from capslice_tui.store.ingest import insert_rows  # noqa: E402
from ingest_speed import bare_ingest, write_logs  # noqa: E402

from capslice_tui.workspace import Workspace  # noqa: E402
from capslice_tui.workspace.ingest import fewer_collections  # noqa: E402

SKIP = ("_migrations", "schema_migrations", "meta")
"""Tables the empty store already fills (its schema version)."""


def _copy_rows(source: Path, target: Path) -> dict[str, float]:
    """Copy every row of ``source``'s tables into the empty store ``target`` (same schema),
    one transaction per table; returns wall seconds per table."""
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA cache_size=-32768")  # the ingest connection's page cache
    conn.execute("ATTACH ? AS src", (str(source),))
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM src.sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'"
        )
        if r[0] not in SKIP and "_fts" not in r[0]
    ]
    seconds: dict[str, float] = {}
    for table in tables:
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"DELETE FROM main.{table}")
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table}")
        conn.execute("COMMIT")
        seconds[table] = time.perf_counter() - t0
    conn.close()
    return seconds


def _read_rows(source: Path) -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
    """Every row of ``source``'s tables (as :func:`_copy_rows` copies them), rowid tables in
    rowid order, with their column names. The rowid alias ``id`` is left out (SQLite gives
    the same ids in that order), except in ``items``, whose ids the ingest gives."""
    conn = sqlite3.connect(source)
    out: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {}
    for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND sql NOT LIKE 'CREATE VIRTUAL%'"
    ).fetchall():
        if name in SKIP or "_fts" in name:
            continue
        rowid = "WITHOUT ROWID" not in sql
        cur = conn.execute(f"SELECT * FROM {name}{' ORDER BY rowid' if rowid else ''}")
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        if rowid and names[0] == "id" and name != "items":
            names, rows = names[1:], [r[1:] for r in rows]
        out[name] = (names, rows)
    conn.close()
    return out


def _bind_rows(
    tables: dict[str, tuple[list[str], list[tuple[object, ...]]]], target: Path, n_tx: int
) -> tuple[dict[str, float], float]:
    """Insert ``tables``' rows into the empty store ``target`` from Python in ``n_tx``
    transactions, each a share of every table's rows (as the ingest writes a batch's rows
    of each table in one), with the ingest's multi-row statements and, as the ingest does, a
    column NULL in every row of a statement's chunk left out; returns wall seconds per table
    (commits counted apart) and the CPU seconds of it all."""
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA cache_size=-32768")
    with conn:
        for table in tables:
            conn.execute(f"DELETE FROM {table}")
    seconds = dict.fromkeys([*tables, "COMMIT"], 0.0)
    cpu0 = time.process_time()
    for j in range(n_tx):
        conn.execute("BEGIN IMMEDIATE")
        for table, (names, rows) in tables.items():
            size = -(-len(rows) // n_tx)
            chunk = rows[j * size : (j + 1) * size]
            if not chunk:
                continue
            t0 = time.perf_counter()
            cols = list(zip(*chunk, strict=True))
            given = [i for i, c in enumerate(cols) if c.count(None) != len(c)]
            head = f"INSERT INTO {table} ({', '.join(names[i] for i in given)}) VALUES"
            insert_rows(conn, head, [cols[i] for i in given])
            seconds[table] += time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("COMMIT")
        seconds["COMMIT"] += time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    conn.close()
    return seconds, cpu


def _top(per: dict[str, float], n_lines: int) -> str:
    top = sorted(per.items(), key=lambda kv: -kv[1])[:6]
    return ", ".join(f"{t} {1e6 * s / n_lines:.1f}" for t, s in top)


class _Timed:
    """A connection whose ``execute`` adds its CPU seconds to ``spent`` under a short name of
    the statement (``INSERT samples``, ``COMMIT``, ...); everything else passes through."""

    def __init__(self, conn: sqlite3.Connection, spent: defaultdict[str, float]) -> None:
        self._conn, self._spent = conn, spent

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        words = sql.split()
        name = " ".join(words[:1] + [w for w in words[1:5] if w.islower()][:1])
        if name.startswith("INSERT"):
            name = "INSERT " + words[words.index("INTO") + 1]
        t0 = time.process_time()
        try:
            return self._conn.execute(sql, *args)
        finally:
            self._spent[name] += time.process_time() - t0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _capture(ws: Workspace, logs: Path, run: str) -> list[dict[str, Any]]:
    """Ingest ``logs`` as ``run`` into ``ws`` and return the arguments of every
    ``write_batch`` call it made (copied when made: the caller's dicts grow after)."""
    calls: list[dict[str, Any]] = []
    real = type(ws.store).write_batch

    def spy(store: Any, **kw: Any) -> Any:
        calls.append({k: dict(v) if isinstance(v, dict) else v for k, v in kw.items()})
        return real(store, **kw)

    type(ws.store).write_batch = spy  # type: ignore[method-assign]
    try:
        ws.ingest([logs], run=run, benchmark="bbh")
    finally:
        type(ws.store).write_batch = real  # type: ignore[method-assign]
    return calls


def _replay(empty: Path, target: Path, runs: list[tuple[str, list[dict[str, Any]]]]) -> None:
    """Replay captured ``write_batch`` calls (each run's, in order) into a copy of the empty
    store, then the run's totals (``finish_ingest``), in this process; print the CPU
    microseconds per sample of each part and of its statements. The garbage collector runs
    as during an ingest (``fewer_collections``): with CPython's default thresholds the
    collector walks the batch's live rows every few hundred allocations, which the ingest
    does not pay (measured: the first checkpoint's ``write_batch`` of 100k narrow samples
    ~15 us per sample replayed with the defaults, ~11.5 as the ingest runs it)."""
    with fewer_collections():
        _replay_runs(empty, target, runs)


def _replay_runs(empty: Path, target: Path, runs: list[tuple[str, list[dict[str, Any]]]]) -> None:
    """:func:`_replay`'s work."""
    shutil.copy(empty, target)
    store = Workspace(target).store
    spent: defaultdict[str, float] = defaultdict(float)
    store._local.conn = _Timed(store.conn, spent)  # type: ignore[assignment]
    for run, calls in runs:
        run_id, _ = store.ensure_run(
            run, model=None, step=None, tokens_seen=None, source_format="lm-eval",
            source_files=[], meta={},
        )  # fmt: skip
        ingest_id = store.begin_ingest(run_id)
        n = sum(len(c["samples"]) for c in calls)
        parts = []
        for part in ("write_batch", "totals at the end"):
            spent.clear()
            t0 = time.process_time()
            if part == "write_batch":
                for kw in calls:
                    store.write_batch(
                        **{**kw, "changed": [] if kw.get("changed") is not None else None}
                    )
            else:
                store.finish_ingest(ingest_id, run_id, n_read=n, n_new=n, bad=[])
            cpu = time.process_time() - t0
            sql = sum(spent.values())
            top = ", ".join(
                f"{k} {1e6 * v / n:.1f}"
                for k, v in sorted(spent.items(), key=lambda kv: -kv[1])[:7]
                if 1e6 * v / n >= 0.05
            )
            parts.append(
                f"{part} {1e6 * cpu / n:.1f} (SQL statements {1e6 * sql / n:.1f}: {top};"
                f" the rest {1e6 * (cpu - sql) / n:.1f})"
            )
        print(f"  writer replay, {run}: " + "; ".join(parts))
    store.close()


def measure(label: str, n: int, full_text: bool, repeat: int, batch: int, writer: bool) -> None:
    """Print one workload's floor and bare figures, ``repeat`` interleaved rounds (with
    ``writer``, first ``repeat`` replays of the ingest's writes, :func:`_replay`)."""
    tmp = Path(tempfile.mkdtemp(prefix="capslice-floor-"))
    try:
        logs = tmp / "logs"
        write_logs(logs, n, full_text)
        n_lines = sum(1 for p in logs.iterdir() for _ in open(p, "rb"))
        ws = Workspace(tmp / "ingested.db")
        first = _capture(ws, logs, "bench")
        ws.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        Workspace(tmp / "empty.db").store.conn.close()
        rows = _read_rows(tmp / "ingested.db")
        print(f"{label}: {n_lines:,} samples (first checkpoint)")
        if writer:
            shutil.copy(tmp / "ingested.db", tmp / "next.db")
            nxt = _capture(Workspace(tmp / "next.db"), logs, "bench-next")
            for _ in range(repeat):
                _replay(
                    tmp / "empty.db", tmp / "replay.db", [("bench", first), ("bench-next", nxt)]
                )
                for path in tmp.glob("replay.db*"):
                    os.remove(path)
            del nxt
        del first
        print(
            f"  {'round':<7}{'bare us':>9}{'floor us':>10}{'floor/bare':>12}"
            f"{'binding us':>12}{'(CPU)':>7}{'bind/bare':>11}   by table (us): floor | binding"
        )
        for i in range(repeat):
            bare_db = tmp / f"bare{i}.db"
            t0 = time.perf_counter()
            bare_ingest(bare_db, logs, "bench")
            bare = time.perf_counter() - t0
            target = tmp / f"floor{i}.db"
            shutil.copy(tmp / "empty.db", target)
            per = _copy_rows(tmp / "ingested.db", target)
            floor = sum(per.values())
            shutil.copy(tmp / "empty.db", target.with_suffix(".bind"))
            with fewer_collections():  # the collector as the ingest runs it (_replay)
                bound, cpu = _bind_rows(rows, target.with_suffix(".bind"), -(-n_lines // batch))
            binding = sum(bound.values())
            print(
                f"  {i + 1:<7}{1e6 * bare / n_lines:>9.1f}{1e6 * floor / n_lines:>10.1f}"
                f"{floor / bare:>11.2f}x{1e6 * binding / n_lines:>12.1f}{1e6 * cpu / n_lines:>7.1f}"
                f"{binding / bare:>10.2f}x   {_top(per, n_lines)} | {_top(bound, n_lines)}"
            )
            for path in tmp.glob(f"*{i}.*"):
                os.remove(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    """Parse the arguments and print both workloads' figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", type=int, default=20_000, help="full-text samples")
    ap.add_argument("--metric-only", type=int, default=100_000, help="metric-only samples")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    ap.add_argument("--batch", type=int, default=5000, help="samples a transaction (binding floor)")
    ap.add_argument(
        "--writer", action="store_true", help="also replay the ingest's writes, by statement"
    )
    args = ap.parse_args()
    print("load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    if args.full:
        measure("full text", args.full, True, args.repeat, args.batch, args.writer)
    if args.metric_only:
        measure("metric only", args.metric_only, False, args.repeat, args.batch, args.writer)
    print("load average at the end " + " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
