"""Print ingest throughput of capslice beside the bare pipeline, and store bytes per sample.

Usage: python benchmarks/ingest_speed.py [--full N] [--metric-only N] [--slices] [--keep DIR]
                                         [--workers N] [--writer-parts]

Two workloads, each written as lm-eval 0.4.8 ``samples_<task>_<ts>.jsonl`` files:
  full text   ~4 KB per sample (a 3 KB few-shot head shared by a task's prompts, ~1 KB
              response)
  metric only  short responses, correctness logged by the harness (narrow samples)
For each, in the same run and on the same files, two contenders ingest a first checkpoint and
then a next checkpoint (the same items under another run name), interleaved:
  capslice  ``Workspace.ingest`` (scores, failure modes, labels, aggregates)
  bare      orjson per line + ``executemany`` into one flat table in 5000-row transactions:
            the floor for a Python ingest into SQLite
and the store's bytes per sample (database + WAL after the first checkpoint, divided by its
samples) are printed beside the JSONL bytes per line. Throughput is given per wall second
and per CPU second (user + system, worker processes included): on a shared machine the CPU
figure is the steadier one; a line gives capslice's CPU per sample split between its writer
(the ingesting process) and its worker processes. capslice reads lm-eval files in worker processes (two on two
cores; ``--workers N`` sets ``CAPSLICE_INGEST_WORKERS``, 0 = the one-process read). The
ingest modules are imported before the clock starts (the CLI pays ~0.3-0.5 s more once).
With ``--writer-parts`` the writer's CPU per sample is also split by what it spent it on
(:data:`WRITER_PARTS`: CPU seconds of this process inside each, timed per call: per chunk or
batch, not per sample; the rest is reading the chunks into batches, notes, run meta and
tasks). Target (issue 14): capslice >= 0.5x the bare pipeline, first
and next checkpoint, and <= 2x the JSONL line per narrow sample.
The figures printed are what this machine measured; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import json
import os
import random
import resource
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

import capslice_tui.workspace.ingest  # noqa: F401  (imported before the clock starts)
from capslice_tui.workspace import Workspace

TS = "2026-01-01T00-00-00.000000"
WORDS = "the of and to in is that for it as with was on be by this are or from at".split()


def _text(rng: random.Random, n_chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < n_chars:
        w = rng.choice(WORDS)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)


def write_logs(folder: Path, n: int, full_text: bool, n_tasks: int = 20) -> None:
    """Write ``n`` synthetic lm-eval samples over ``n_tasks`` task files into ``folder``."""
    rng = random.Random(0)
    folder.mkdir(parents=True, exist_ok=True)
    per_task = n // n_tasks
    for t in range(n_tasks):
        task = f"bbh_cot_fewshot_synthetic_{t:02d}"
        prompt_head = _text(rng, 3000) if full_text else "Q:"
        with open(folder / f"samples_{task}_{TS}.jsonl", "w") as f:
            for d in range(per_task):
                target = rng.choice(["True", "False"])
                question = f"item {t}-{d}: {_text(rng, 60)}"
                response = (
                    _text(rng, 1000) + f" So the answer is {target}." if full_text else target
                )
                correct = float(rng.random() < 0.7)
                doc = {"input": question, "target": target}
                rec = {
                    "doc_id": d,
                    "doc": doc,
                    "target": target,
                    "arguments": {
                        "gen_args_0": {
                            "arg_0": prompt_head + "\n" + question,
                            "arg_1": {"until": ["Q"], "max_gen_toks": 1024},
                        }
                    },
                    "resps": [[response]],
                    "filtered_resps": [target if correct else "[invalid]"],
                    "filter": "get-answer",
                    "metrics": ["exact_match"],
                    "doc_hash": hashlib.sha256(json.dumps(doc).encode()).hexdigest(),
                    "exact_match": correct,
                }
                f.write(json.dumps(rec) + "\n")


BARE_TABLE = (
    "CREATE TABLE IF NOT EXISTS samples (run TEXT, task TEXT, doc_id INTEGER, filter TEXT,"
    " prompt TEXT, response TEXT, target TEXT, extracted TEXT, score REAL, doc TEXT)"
)


def bare_ingest(db: Path, logs: Path, run: str) -> int:
    """The floor: orjson per line, executemany into one flat table, 5000 rows a transaction."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(BARE_TABLE)
    insert = "INSERT INTO samples VALUES (?,?,?,?,?,?,?,?,?,?)"
    n = 0
    rows: list[tuple] = []

    def flush() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert, rows)
        conn.execute("COMMIT")
        rows.clear()

    for path in sorted(logs.iterdir()):
        task = path.name.split("_20")[0][len("samples_") :]
        with open(path, "rb") as f:
            for line in f:
                r = orjson.loads(line)
                rows.append(
                    (
                        run,
                        task,
                        r["doc_id"],
                        r["filter"],
                        r["arguments"]["gen_args_0"]["arg_0"],
                        r["resps"][0][0],
                        r["target"],
                        r["filtered_resps"][0],
                        r["exact_match"],
                        orjson.dumps(r["doc"]).decode(),
                    )
                )
                n += 1
                if len(rows) >= 5000:
                    flush()
    if rows:
        flush()
    conn.close()
    return n


def _timed(work: Callable[[], object]) -> tuple[float, float, float]:
    """``(wall seconds, CPU seconds, CPU seconds of this process)`` of ``work``; CPU is
    user + system of this process (capslice's writer) and of the worker processes it waited
    for (capslice's readers and scoring worker)."""
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    work()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    cpu = own + c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime
    return wall, cpu, own


WRITER_PARTS = (
    ("chunks from workers", "capslice_tui.workspace._ingest_workers", "Workers", "_get"),
    ("write_batch", "capslice_tui.store.ingest", "IngestMixin", "write_batch"),
    ("totals at the end", "capslice_tui.store.ingest", "IngestMixin", "finish_ingest"),
    ("truncation inference", "capslice_tui.store.ingest", "IngestMixin", "infer_truncation"),
    ("counting the input", "capslice_tui.workspace.ingest", "_Ingest", "_note_process"),
)
"""``(label, module, class, method)`` of what ``--writer-parts`` times in the writer: taking
a worker's chunk off its queue (unpickling included), writing a batch, the run's totals
(``finish_ingest``: item scores, run outcomes, slice counts), the truncation inference, and
noting the ingest's process with the input's records counted."""


@contextlib.contextmanager
def writer_parts(spent: dict[str, float]) -> Iterator[None]:
    """While the block runs, add the CPU seconds of this process inside each of
    :data:`WRITER_PARTS` to ``spent`` under its label (the methods are wrapped, then
    restored)."""
    patched: list[tuple[Any, str, Any]] = []

    def timed(real: Any, label: str) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.process_time()
            try:
                return real(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - t0

        return wrapper

    try:
        for label, module, cls, name in WRITER_PARTS:
            owner = getattr(importlib.import_module(module), cls)
            patched.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, timed(owner.__dict__[name], label))
        yield
    finally:
        for owner, name, real in patched:
            setattr(owner, name, real)


def _parts_line(name: str, spent: dict[str, float], own: float, n: int) -> str:
    """The writer's CPU per sample of one ingest, split by :data:`WRITER_PARTS`."""
    parts = [(label, spent.get(label, 0.0)) for label, *_ in WRITER_PARTS]
    parts.append(("the rest", own - sum(s for _, s in parts)))
    return f"  writer CPU us per sample, {name}: " + ", ".join(
        f"{label} {1e6 * s / n:,.1f}" for label, s in parts
    )


def _store_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def _ingest(ws: Workspace, logs: Path, run: str, spent: dict[str, float] | None) -> None:
    """capslice's ingest of ``logs`` as ``run``; the writer's parts timed into ``spent``
    when given (:func:`writer_parts`)."""
    with writer_parts(spent) if spent is not None else contextlib.nullcontext():
        ws.ingest([logs], run=run, benchmark="bbh")


def measure(
    label: str, n: int, full_text: bool, keep: Path | None, slices: bool, parts: bool = False
) -> None:
    """Print one workload's figures: capslice and bare, first and next checkpoint (with
    ``parts``, the writer's CPU split by :data:`WRITER_PARTS`)."""
    tmp = Path(tempfile.mkdtemp(prefix="capslice-bench-"))
    try:
        logs = tmp / "logs"
        write_logs(logs, n, full_text)
        files = list(logs.iterdir())
        jsonl_bytes = sum(p.stat().st_size for p in files)
        n_lines = sum(1 for p in files for _ in open(p, "rb"))
        print(f"{label}: {n_lines:,} samples, {jsonl_bytes / 1e6:.0f} MB of JSONL")
        bare_db = tmp / "bare" / "bare.db"
        bare_db.parent.mkdir()
        cap_db = tmp / "cap" / "bench.db"
        cap_db.parent.mkdir()
        ws = Workspace(cap_db)
        spent: tuple[dict[str, float], dict[str, float]] | tuple[None, None]
        spent = ({}, {}) if parts else (None, None)
        # interleaved (bare, capslice, bare, capslice) so both see the same machine load
        bare_first = _timed(lambda: bare_ingest(bare_db, logs, "bench"))
        bare_size = _store_bytes(bare_db)
        cap_first = _timed(lambda: _ingest(ws, logs, "bench", spent[0]))
        ws.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cap_size = _store_bytes(cap_db)
        bare_next = _timed(lambda: bare_ingest(bare_db, logs, "bench-next"))
        cap_next = _timed(lambda: _ingest(ws, logs, "bench-next", spent[1]))
        ws.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cap_size2 = _store_bytes(cap_db)

        print(
            f"  {'samples/s':<20}{'capslice':>10}{'bare':>10}{'ratio':>8}"
            f"{'per CPU s: capslice':>22}{'bare':>10}{'ratio':>8}"
        )
        for name, cap, bare in (("first checkpoint", cap_first, bare_first),
                                ("next checkpoint", cap_next, bare_next)):  # fmt: skip
            print(
                f"  {name:<20}{n_lines / cap[0]:>10,.0f}{n_lines / bare[0]:>10,.0f}"
                f"{bare[0] / cap[0]:>7.2f}x{n_lines / cap[1]:>22,.0f}{n_lines / bare[1]:>10,.0f}"
                f"{bare[1] / cap[1]:>7.2f}x"
            )
        print(
            "  CPU us per sample, capslice writer (this process) / workers:"
            + "".join(
                f" {name} {1e6 * cap[2] / n_lines:,.1f} / {1e6 * (cap[1] - cap[2]) / n_lines:,.1f};"
                for name, cap in (("first", cap_first), ("next", cap_next))
            )
            + f" bare {1e6 * bare_first[1] / n_lines:,.1f} / {1e6 * bare_next[1] / n_lines:,.1f}"
        )
        for name, cap, times in (("first", cap_first, spent[0]), ("next", cap_next, spent[1])):
            if times is not None:
                print(_parts_line(name, times, cap[2], n_lines))
        line = jsonl_bytes / n_lines
        print(
            f"  bytes per sample: JSONL line {line:,.0f}; capslice store {cap_size / n_lines:,.0f}"
            f" ({cap_size / n_lines / line:.2f}x the line; next checkpoint adds "
            f"{(cap_size2 - cap_size) / n_lines:,.0f}); bare store {bare_size / n_lines:,.0f}"
        )
        if slices:
            for by in ("task", "task_type", "task_type,solving_operation"):
                t0 = time.perf_counter()
                ws.slices("bench", by=by)
                print(f"  slice table by {by}: {1000 * (time.perf_counter() - t0):.0f} ms")
        if keep:
            shutil.copy(cap_db, keep / f"{label.replace(' ', '_')}.db")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    """Parse the arguments and print both workloads' figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", type=int, default=100_000, help="full-text samples")
    ap.add_argument("--metric-only", type=int, default=100_000, help="metric-only samples")
    ap.add_argument("--slices", action="store_true", help="also time the slice tables")
    ap.add_argument("--keep", type=Path, default=None, help="copy the stores here")
    ap.add_argument("--workers", type=int, default=None, help="CAPSLICE_INGEST_WORKERS")
    ap.add_argument(
        "--writer-parts", action="store_true", help="split the writer's CPU by what it did"
    )
    args = ap.parse_args()
    if args.workers is not None:
        os.environ["CAPSLICE_INGEST_WORKERS"] = str(args.workers)
    print(
        f"capslice ingest workers: {os.environ.get('CAPSLICE_INGEST_WORKERS', 'auto')}; "
        f"cores {len(os.sched_getaffinity(0))}; load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    if args.full:
        measure("full text", args.full, True, args.keep, args.slices, args.writer_parts)
    if args.metric_only:
        measure("metric only", args.metric_only, False, args.keep, args.slices, args.writer_parts)
    print("load average at the end " + " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
