"""Print how fast the read commands answer on a store of millions of samples (issue 14).

Usage: python benchmarks/query_speed.py [--store PATH] [--runs 100] [--items 100000] [--repeat 3]
       [--only runs slices ...] [--before CHECKOUT]

Builds (or reuses) the generated store of ``big_store.py`` (default: 100 greedy runs x 100k
items = 10M samples, in ``/tmp/capslice-big10m.db``; the first build takes tens of minutes on
a loaded 2-core machine), then runs each command as a fresh ``capslice`` process ``repeat``
times and prints the median wall time and median CPU time (user + sys; steadier than wall on
a shared machine), beside the bare SQL (plus numpy, for diagnose) that reads the same figures
in one Python process, and beside ``capslice --help`` (the start-up floor every command pays).
The ``main()`` columns time the same command in another fresh process from the call of the
CLI's ``main()`` to its return (wall and CPU): the command's own work, with the imports it
does, opening the store, the queries and printing, but not the interpreter's start-up nor the
import of the CLI package (the ``import cli`` column), which the end-to-end figures include.
``--before CHECKOUT`` (another checkout, e.g. ``git worktree add /tmp/old <commit>``) also
times that code's commands, laid out as installed on ``PYTHONPATH``, alternating with this
code run by run, in a second table.
Bytecode is cached in a temporary ``PYTHONPYCACHEPREFIX`` and one untimed run warms it and
the page cache. Targets (issue 14 done-when): slices < 0.1 s, compare < 0.3 s, samples
--limit 50 < 0.1 s, diagnose < 3 s, runs and --help < 0.5 s. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
CAPSLICE = str(Path(sys.executable).with_name("capslice"))
ENV = {**os.environ, "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "capslice-pyc")}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def _timing():
    """The sibling ``_timing`` module (the in-process ``main()`` timing shared with
    ``startup.py``)."""
    spec = importlib.util.spec_from_file_location("_timing", HERE / "_timing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _big_store():
    spec = importlib.util.spec_from_file_location("big_store", HERE / "big_store.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one run of ``cmd`` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        cwd=tempfile.gettempdir(),
    )  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def time_cli(argv: list[str], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``capslice argv`` as a fresh process."""
    cmd = [CAPSLICE, *argv]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV, cwd=tempfile.gettempdir())
    walls, cpus = zip(*(_once(cmd, ENV) for _ in range(repeat)), strict=True)
    return statistics.median(walls), statistics.median(cpus)


def lay_out(checkout: Path, dest: Path) -> Path:
    """Copy the package of another checkout into ``dest`` as it installs (``store/``,
    ``taxonomies/``, ``sample_data/`` inside ``capslice_tui/``, pyproject's package-dir);
    returns the folder to put first on ``PYTHONPATH``."""
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(checkout / "capslice_tui", dest / "capslice_tui", ignore=skip)
    for sub in ("store", "taxonomies", "sample_data"):
        shutil.copytree(checkout / sub, dest / "capslice_tui" / sub, ignore=skip)
    return dest


def time_before_after(
    argv: list[str], repeat: int, before_env: dict[str, str]
) -> tuple[float, float, float, float]:
    """Median (before wall, before CPU, after wall, after CPU) seconds of ``capslice argv``,
    the two code versions alternated run by run (after one untimed run of each)."""
    cmd = [CAPSLICE, *argv]
    envs = {"before": before_env, "after": ENV}
    for env in envs.values():
        subprocess.run(
            cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir()
        )
    runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
    for i in range(repeat):
        for name in ("before", "after") if i % 2 == 0 else ("after", "before"):
            runs[name].append(_once(cmd, envs[name]))
    out = []
    for name in ("before", "after"):
        walls, cpus = zip(*runs[name], strict=True)
        out += [statistics.median(walls), statistics.median(cpus)]
    return out[0], out[1], out[2], out[3]


def time_bare(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``fn()`` in this process (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bare_queries(path: Path, a: int, b: int) -> dict[str, Callable[[], object]]:
    """The bare pipeline per command: plain SQL on the same tables (run ids ``a``, ``b``)."""
    conn = sqlite3.connect(path)

    def runs() -> object:
        return conn.execute(
            "SELECT r.name, rt.benchmark, sum(sc.n_items), sum(sc.c) FROM runs r"
            " JOIN slice_counts sc ON sc.run_id = r.id JOIN run_tasks rt ON rt.run_id = r.id"
            " AND rt.task = sc.task GROUP BY r.id, rt.benchmark"
        ).fetchall()

    def slices() -> object:
        return conn.execute(
            "SELECT task_type, sum(n_items), sum(c) FROM slice_counts WHERE run_id = ?"
            " GROUP BY task_type",
            (b,),
        ).fetchall()

    def compare() -> object:
        return conn.execute(
            "SELECT x.task, count(*), sum(x.c), sum(y.c), sum(x.c > y.c), sum(y.c > x.c)"
            " FROM item_scores x JOIN item_scores y ON y.run_id = ? AND y.task = x.task"
            " AND y.filter = x.filter AND y.item_id = x.item_id WHERE x.run_id = ?"
            " GROUP BY x.task",
            (b, a),
        ).fetchall()

    def samples() -> object:
        lo = conn.execute("SELECT min(id) FROM samples WHERE ingest_id IN"
                          " (SELECT id FROM ingests WHERE run_id = ?)", (b,)).fetchone()[0]  # fmt: skip
        return conn.execute(
            "SELECT id, task, doc_id, score, failure_mode, substr(response, 1, 200)"
            " FROM samples WHERE id >= ? AND run_id = ? ORDER BY id LIMIT 50",
            (lo, b),
        ).fetchall()

    def diagnose() -> object:
        import numpy as np

        out = []
        for run in (a, b):
            rows = conn.execute(
                "SELECT item_id, score, failure_mode FROM samples WHERE run_id = ?"
                " ORDER BY item_id",
                (run,),
            ).fetchall()
            item, score, mode = zip(*rows, strict=True)
            out.append((np.array(item), np.array(score), np.array(mode, dtype=object)))
        moved = out[0][1] != out[1][1]
        return int(moved.sum())

    return {"runs": runs, "slices": slices, "compare": compare, "samples": samples,
            "diagnose": diagnose}  # fmt: skip


def main() -> None:
    """Build or reuse the store, time each command beside its bare query, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--store", type=Path, default=Path(tempfile.gettempdir()) / "capslice-big10m.db"
    )
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--only", nargs="+", default=None, metavar="WORD",
        help="time only the commands whose label starts with one of these (help runs slices ...)",
    )  # fmt: skip
    ap.add_argument(
        "--before", type=Path, default=None, metavar="CHECKOUT",
        help="also time the code of another checkout (e.g. a `git worktree` of an older "
        "commit), alternating with this code run by run, and print both",
    )  # fmt: skip
    args = ap.parse_args()
    path = _big_store().ensure_store(args.store, args.runs, args.items)
    n_runs = args.runs
    a_name, b_name = f"ckpt-{n_runs // 2 - 1:03d}", f"ckpt-{n_runs // 2:03d}"
    with sqlite3.connect(path) as conn:
        ids = dict(conn.execute("SELECT name, id FROM runs"))
        n = conn.execute("SELECT sum(n_samples) FROM runs").fetchone()[0]
    bare = bare_queries(path, ids[a_name], ids[b_name])
    store = ["--store", str(path)]
    cases = [
        ("--help", ["--help"], None, 0.5),
        ("runs", [*store, "runs"], "runs", 0.5),
        ("slices --by task_type", [*store, "slices", "--run", b_name, "--by", "task_type"],
         "slices", 0.1),
        ("compare A B", [*store, "compare", a_name, b_name], "compare", 0.3),
        ("samples --limit 50", [*store, "samples", "--run", b_name, "--limit", "50"],
         "samples", 0.1),
        ("diagnose A B", [*store, "diagnose", a_name, b_name], "diagnose", 3.0),
    ]  # fmt: skip
    print(f"store {path}: {n:,} samples in {n_runs} runs; A = {a_name}, B = {b_name}")
    print(
        f"median of {args.repeat}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"{'command':24} {'wall s':>7} {'cpu s':>7} {'met':>4} {'target':>7}"
        f" {'main() wall':>12} {'main() cpu':>11} {'import cli':>11} {'bare SQL s':>11}"
    )
    for label, argv, bare_key, target in cases:
        if args.only and not any(label.lstrip("-").startswith(w) for w in args.only):
            continue
        wall, cpu = time_cli(argv, args.repeat)
        imp, main_wall, main_cpu = _timing().time_main(
            argv, args.repeat, ENV, tempfile.gettempdir()
        )
        bare_s = f"{time_bare(bare[bare_key], args.repeat):.3f}" if bare_key else "-"
        met = "yes" if wall < target else "no"
        print(
            f"{label:24} {wall:7.2f} {cpu:7.2f} {met:>4} {target:7.1f}"
            f" {main_wall:12.3f} {main_cpu:11.3f} {imp:11.3f} {bare_s:>11}",
            flush=True,
        )
    print(
        "wall, cpu: the fresh `capslice` process end to end (interpreter start-up included; see"
        " the --help row); met: wall < target (targets are end-to-end wall seconds).\n"
        "main() wall, cpu: another fresh process, timed from the call of the CLI's main() to its"
        " return (the command's imports, store, queries and printing; not the interpreter"
        " start-up nor the CLI package import, shown as import cli)."
    )
    if args.before is None:
        return
    with tempfile.TemporaryDirectory(prefix="capslice-before-") as tmp:
        before_env = {
            **ENV,
            "PYTHONPATH": str(lay_out(args.before.resolve(), Path(tmp) / "tree")),
            "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pyc"),
        }
        print(f"\nbefore = {args.before}, after = this code, alternated; medians of {args.repeat};"
              f" load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"{'command':24} {'before wall':>12} {'cpu':>6} {'after wall':>11} {'cpu':>6}")
        for label, argv, _, _ in cases:
            if args.only and not any(label.lstrip("-").startswith(w) for w in args.only):
                continue
            bw, bc, aw, ac = time_before_after(argv, args.repeat, before_env)
            print(f"{label:24} {bw:12.2f} {bc:6.2f} {aw:11.2f} {ac:6.2f}", flush=True)


if __name__ == "__main__":
    main()
