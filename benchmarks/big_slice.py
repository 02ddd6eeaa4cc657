"""Print the app's latencies on a 200k-sample slice (issue 13, "big slices" and "fast start").

Usage: python benchmarks/big_slice.py [--store PATH] [--items 200000] [--repeat 3]

Builds (or reuses) a generated store of one run of 200k samples with ~600-character prompts
and responses (``big_store.py --runs 1 --items 200000 --text``; one prompt in 7 carries a
Chinese sentence), then, each in a fresh process (median of ``repeat``):

- app start to the first runs screen: from interpreter start to the runs table showing its
  rows (the app runs headless under Textual's test driver, so no terminal output is timed);
- first rows of the 200k-sample slice: opening the samples screen to its first page shown,
  with the slice's total counted;
- a sort: ``s`` (by task, a query over all 200k) to the first page in that order;
- a text search: ``/`` with a Chinese substring to its first page and total, on an index
  already built;
- the one-off build of the run's search index (FTS5 trigram, store/search.py), which a
  first search of a run waits for, timed on its own line (wall and CPU), from no index:
  ``--keep-index`` times a search of an index already there instead of rebuilding it;
- ``capslice runs`` as a fresh process.

Targets (issue 13 done-when): start < 1 s, first rows < 0.5 s, sort and search < 1 s.
Nothing is asserted; the load average is printed because the machine is shared.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENV = {**os.environ, "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "capslice-pyc")}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)
SEARCH = "苹果，他又"

DRIVER = r"""
import time
t0 = time.perf_counter()
import asyncio, json, sys
from capslice_tui.app.app import make_app

STORE, RUN, SEARCH, SEARCH_STORE = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]

async def until(pilot, cond, limit=120.0):
    end = time.perf_counter() + limit
    while not cond():
        if time.perf_counter() > end:
            raise TimeoutError("the screen did not show its rows")
        await pilot.pause(0.005)

async def main():
    out = {}
    app = make_app(STORE)
    async with app.run_test(size=(80, 24)) as pilot:
        from capslice_tui.app.screens.runs import RunsScreen
        from capslice_tui.app.widgets.result_table import ResultTable

        def runs_shown():
            s = app.screen
            return isinstance(s, RunsScreen) and s.query_one(ResultTable).row_count > 0

        await until(pilot, runs_shown)
        out["start"] = time.perf_counter() - t0
        from capslice_tui.app.screens.samples import SamplesScreen

        t = time.perf_counter()
        screen = SamplesScreen(RUN, title="all")
        await app.push_screen(screen)
        await until(pilot, lambda: bool(screen.rows))
        out["first_rows"] = time.perf_counter() - t
        await until(pilot, lambda: screen.total is not None)
        out["total"] = time.perf_counter() - t
        out["n_total"] = screen.total
        t = time.perf_counter()
        await pilot.press("s")
        await until(pilot, lambda: screen.reading is None and screen.rows
                    and screen.sort_by == "task")
        out["sort"] = time.perf_counter() - t
        await pilot.press("s")  # back to an order, then search
        await until(pilot, lambda: screen.reading is None)
        await app.workers.wait_for_complete()
    app = make_app(SEARCH_STORE)  # another store with --search-items
    async with app.run_test(size=(80, 24)) as pilot:
        from capslice_tui.app.screens.samples import SamplesScreen

        screen = SamplesScreen(RUN, title="all")
        await app.push_screen(screen)
        await until(pilot, lambda: bool(screen.rows) and screen.total is not None)
        t = time.perf_counter()
        screen.search_text = SEARCH
        screen._reset("first")
        await until(pilot, lambda: screen.reading is None and screen.total is not None)
        out["search"] = time.perf_counter() - t
        out["n_found"] = screen.total
        await app.workers.wait_for_complete()
    print(json.dumps(out))

asyncio.run(main())
"""


def _big_store():
    spec = importlib.util.spec_from_file_location("big_store", HERE / "big_store.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_driver(store: Path, run: str, search_store: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(store), run, SEARCH, str(search_store)],
        check=True, capture_output=True, text=True, env=ENV, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    """Build or reuse the 200k store, index it once, print each latency."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--store", type=Path, default=Path(tempfile.gettempdir()) / "capslice-big200k.db"
    )
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--search-items",
        type=int,
        default=None,
        help="time the search on a generated store of this many samples instead",
    )
    ap.add_argument(
        "--keep-index",
        action="store_true",
        help="reuse the run's search index if built (default: drop it and time the build)",
    )
    args = ap.parse_args()
    path = _big_store().ensure_store(args.store, 1, args.items, text=True)
    sys.path.insert(0, str(HERE.parent))
    from capslice_tui.workspace import Workspace

    run = "ckpt-000"
    search_path = path
    if args.search_items is not None:
        search_path = _big_store().ensure_store(
            path.with_name(f"capslice-search{args.search_items}.db"), 1, args.search_items,
            text=True,
        )  # fmt: skip
    ws = Workspace(search_path)
    if not args.keep_index:  # time the build a first search of the run waits for
        from capslice_tui.store import search

        with ws.store.write() as conn:
            search.recreate_tables(conn)
    t0, c0 = time.perf_counter(), time.process_time()
    ws.ensure_search_index(run)  # no-op once built
    build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    ws.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    capslice = str(Path(sys.executable).with_name("capslice"))
    subprocess.run([capslice, "--store", str(path), "runs"], check=True, capture_output=True,
                   env=ENV, cwd=tempfile.gettempdir())  # fmt: skip
    _run_driver(path, run, search_path)  # warm bytecode and page cache
    results = [_run_driver(path, run, search_path) for _ in range(args.repeat)]
    runs_cli = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        subprocess.run([capslice, "--store", str(path), "runs"], check=True,
                       capture_output=True, env=ENV, cwd=tempfile.gettempdir())  # fmt: skip
        runs_cli.append(time.perf_counter() - t0)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in results)

    print(f"store {path}: {results[0]['n_total']:,} samples in one slice; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; median of "
          f"{args.repeat}")  # fmt: skip
    print(f"search index (FTS5 trigram) build, once per run: {build:.1f} s "
          f"({build_cpu:.1f} s CPU)" + ("" if build > 0.5 else " (already built)"))  # fmt: skip
    rows = [
        ("app start to runs screen", med("start"), 1.0),
        ("first rows of the 200k slice", med("first_rows"), 0.5),
        ("  its total counted", med("total"), None),
        ("sort by task (a query)", med("sort"), 1.0),
        (
            f"search {SEARCH!r} ({results[0]['n_found']:,} found"
            + (f" in {args.search_items:,})" if args.search_items else ")"),
            med("search"),
            1.0,
        ),
        ("capslice runs", statistics.median(runs_cli), None),
    ]
    print(f"{'latency':40} {'s':>7} {'target':>7}")
    for label, value, target in rows:
        print(f"{label:40} {value:7.2f} {'-' if target is None else f'< {target:g}':>7}")


if __name__ == "__main__":
    main()
