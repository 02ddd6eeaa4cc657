"""Print the SQLite floor of an ingest beside the bare pipeline: what writing capslice's own
rows costs when no Python builds them.

Usage: python benchmarks/ingest_floor.py [--full N] [--metric-only N] [--repeat R]

For each workload of ``ingest_speed.py`` (the same generated lm-eval files), capslice ingests
a first checkpoint once; then, ``--repeat`` times and interleaved with the bare pipeline on
the same files, every row that ingest stored (samples, items, prompt texts, rule labels,
item axes, item scores, slice counts, run outcomes) is copied into an empty store of the
same schema and indexes with one ``INSERT ... SELECT`` per table, each table one transaction,
in SQLite's C code: the least any ingest writing this store's rows could cost, with all
parsing, identity, scoring and labelling taken as free. Figures are microseconds per sample
(wall) and samples per wall second; the ratio ``floor / bare`` is how much of the issue-14
budget (capslice >= 0.5x the bare pipeline, i.e. at most 2x its time) the writes alone use.
The figures printed are what this machine measured; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_speed import bare_ingest, write_logs  # noqa: E402

from capslice_tui.workspace import Workspace  # noqa: E402

SKIP = ("schema_migrations", "meta")
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


def measure(label: str, n: int, full_text: bool, repeat: int) -> None:
    """Print one workload's floor and bare figures, ``repeat`` interleaved rounds."""
    tmp = Path(tempfile.mkdtemp(prefix="capslice-floor-"))
    try:
        logs = tmp / "logs"
        write_logs(logs, n, full_text)
        n_lines = sum(1 for p in logs.iterdir() for _ in open(p, "rb"))
        ws = Workspace(tmp / "ingested.db")
        ws.ingest([logs], run="bench", benchmark="bbh")
        ws.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        Workspace(tmp / "empty.db").store.conn.close()
        print(f"{label}: {n_lines:,} samples (first checkpoint)")
        print(
            f"  {'round':<7}{'bare us':>9}{'floor us':>10}{'floor/bare':>12}   floor by table (us)"
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
            top = sorted(per.items(), key=lambda kv: -kv[1])[:6]
            tables = ", ".join(f"{t} {1e6 * s / n_lines:.1f}" for t, s in top)
            print(
                f"  {i + 1:<7}{1e6 * bare / n_lines:>9.1f}{1e6 * floor / n_lines:>10.1f}"
                f"{floor / bare:>11.2f}x   {tables}"
            )
            os.remove(bare_db)
            os.remove(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    """Parse the arguments and print both workloads' figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", type=int, default=20_000, help="full-text samples")
    ap.add_argument("--metric-only", type=int, default=100_000, help="metric-only samples")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    args = ap.parse_args()
    print("load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    if args.full:
        measure("full text", args.full, True, args.repeat)
    if args.metric_only:
        measure("metric only", args.metric_only, False, args.repeat)
    print("load average at the end " + " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
