"""Print the wall and CPU time of the cheap commands and the heavy modules each one imports.

Usage: python benchmarks/startup.py [--samples N] [--store PATH] [--run NAME] [--repeat R]

Builds (or reuses, with ``--store``) a store of two metric-only runs of N samples each
(``bench`` and ``bench-next``, the synthetic lm-eval logs of ``ingest_speed.py``); ``slices``
and ``samples`` read ``--run``, else ``bench``, else the store's middle run by name
(``ckpt-049`` of ``/tmp/capslice-big10m.db``, the store of ``big_store.py``). It then runs
each command as a fresh ``capslice`` process R times and prints the median wall time and the
median CPU time (user + sys; steadier than wall on a shared machine), beside the floor under
them: ``python -S -c pass`` and ``python -c pass`` (the interpreter, then with ``site`` and the
editable install's import hook), ``import click``, click with the standard modules a store
reader needs, the import of the CLI and the facade, and a bare ``sqlite3`` query. The last column names the heavy modules (numpy, scipy,
scikit-learn, Textual, Rich, pyarrow, math-verify) the command imported, read from
``python -X importtime``. Bytecode is cached (in a temporary ``PYTHONPYCACHEPREFIX``, even
where ``PYTHONDONTWRITEBYTECODE`` is set) and one untimed run warms it, as in an installed
copy. The ``main()`` columns time each command in another fresh process (``_timing.py``)
from the call of the CLI's ``main()`` to its return (its own imports, the store, the queries,
the printing; not the interpreter start-up nor the import of the CLI package). The last line
times the app from the interpreter's start to the runs screen showing its rows (headless,
under Textual's test driver, so no terminal output is timed). Targets (issue 14): ``runs`` and ``--help`` < 0.5 s;
``slices`` and ``samples --limit 50`` < 0.1 s (end to end, on the 10M-sample store); the app
to the runs screen < 1 s. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("numpy", "scipy", "sklearn", "textual", "rich", "pyarrow", "math_verify")


def _sibling(name: str):
    """The sibling module ``name`` of this folder (``ingest_speed`` for its synthetic log
    writer, ``_timing`` for the in-process ``main()`` timing shared with ``query_speed``)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ingest_speed():
    """The sibling ``ingest_speed`` module (for its synthetic log writer)."""
    return _sibling("ingest_speed")


def build_store(path: Path, n: int) -> None:
    """Ingest two metric-only runs of ``n`` synthetic samples into ``path``."""
    from capslice_tui.workspace import Workspace

    with tempfile.TemporaryDirectory(prefix="capslice-startup-") as tmp:
        logs = Path(tmp) / "logs"
        _ingest_speed().write_logs(logs, n, full_text=False)
        ws = Workspace(path)
        t0 = time.perf_counter()
        ws.ingest([logs], run="bench", benchmark="bbh")
        ws.ingest([logs], run="bench-next", benchmark="bbh")
        print(f"built {path} ({2 * n:,} samples) in {time.perf_counter() - t0:.1f} s")


def pick_run(store: Path, wanted: str | None) -> str:
    """The run the timed ``slices`` and ``samples`` read: ``wanted`` when given, else
    ``bench`` (the store this script builds), else the middle run by name (``ckpt-049`` of
    the 100-run store of ``big_store.py``).

    Raises:
        SystemExit: the store has no runs, or not ``wanted`` (the message names the store).
    """
    import sqlite3

    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
        try:
            names = sorted(name for (name,) in conn.execute("SELECT name FROM runs"))
        except sqlite3.DatabaseError as exc:
            raise SystemExit(f"{store}: not a capslice store ({exc})") from exc
    if wanted is not None:
        if wanted not in names:
            raise SystemExit(f"{store}: no run named {wanted!r} (it has {len(names)} runs)")
        return wanted
    if not names:
        raise SystemExit(f"{store}: the store has no runs; ingest one or omit --store")
    return "bench" if "bench" in names else names[(len(names) - 1) // 2]


ENV = dict(os.environ)
CWD = tempfile.gettempdir()  # not the checkout: the code timed is what ``capslice`` imports


def _time_all(argvs: list[list[str]], repeat: int) -> list[tuple[float, float]]:
    """Median wall and CPU (user + sys) seconds of each of ``argvs``, run in turn ``repeat``
    times (one after the other each round, so a change of the machine's load falls on all of
    them alike), after one untimed run of each."""
    for argv in argvs:
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=ENV, cwd=CWD)  # warm up
    walls: list[list[float]] = [[] for _ in argvs]
    cpus: list[list[float]] = [[] for _ in argvs]
    for _ in range(repeat):
        for k, argv in enumerate(argvs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(
                argv,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=ENV,
                cwd=CWD,
            )
            walls[k].append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[k].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(walls, cpus, strict=True)]


APP = r"""
import time
t0 = time.perf_counter()
import asyncio, sys
from capslice_tui.app.app import make_app

async def main():
    app = make_app(sys.argv[1])
    async with app.run_test(size=(100, 30)) as pilot:
        from capslice_tui.app.screens.runs import RunsScreen
        from capslice_tui.app.widgets.result_table import ResultTable

        end = time.perf_counter() + 60
        while not (isinstance(app.screen, RunsScreen)
                   and app.screen.query_one(ResultTable).row_count > 0):
            if time.perf_counter() > end:
                raise TimeoutError("the runs screen did not show its rows")
            await pilot.pause(0.005)
        print("APPSTART", time.perf_counter() - t0, time.process_time(), flush=True)

asyncio.run(main())
"""


def _time_app(store: Path, repeat: int) -> tuple[float, float]:
    """Medians of the wall and CPU seconds from interpreter start (of the driver's code) to the
    app's runs screen showing its rows, each a fresh process after one untimed run."""
    out = []
    for i in range(repeat + 1):
        proc = subprocess.run(
            [sys.executable, "-c", APP, str(store)], check=True, cwd=CWD, env=ENV,
            capture_output=True, text=True,
        )  # fmt: skip
        line = [x for x in proc.stdout.splitlines() if x.startswith("APPSTART ")][-1]
        if i:
            out.append(tuple(float(x) for x in line.split()[1:]))
    walls, cpus = zip(*out, strict=True)
    return statistics.median(walls), statistics.median(cpus)


def _heavy_imports(cli: list[str], args: list[str]) -> list[str]:
    """Top-level heavy packages imported by ``capslice <args>`` (from ``-X importtime``)."""
    script = cli if cli[0] == sys.executable else [sys.executable, *cli]
    proc = subprocess.run(
        [script[0], "-X", "importtime", *script[1:], *args],
        check=True,
        cwd=CWD,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    seen = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:"):
            name = line.rsplit("|", 1)[-1].strip().split(".")[0]
            if name in HEAVY:
                seen.add(name)
    return sorted(seen)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200_000, help="samples per run when building")
    ap.add_argument("--store", type=Path, default=None, help="reuse (or build and keep) this store")
    ap.add_argument("--repeat", type=int, default=3, help="runs per command (median printed)")
    ap.add_argument("--no-app", action="store_true", help="do not time the app's start")
    ap.add_argument(
        "--run", default=None,
        help="run that slices and samples read (default: bench, else the middle run by name)",
    )  # fmt: skip
    args = ap.parse_args()

    pycache = tempfile.TemporaryDirectory(prefix="capslice-pycache-")
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    ENV["PYTHONPYCACHEPREFIX"] = pycache.name
    tmp = None
    store = args.store.resolve() if args.store else None
    if store is None:
        tmp = tempfile.TemporaryDirectory(prefix="capslice-startup-")
        store = Path(tmp.name) / "bench.db"
    if not store.exists():
        build_store(store, args.samples)

    run = pick_run(store, args.run)
    exe = Path(sys.executable).with_name("capslice")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "capslice_tui"]
    st = ["--store", str(store)]
    commands = [
        ["--help"],
        [*st, "runs"],
        [*st, "slices", "--run", run, "--by", "task_type"],
        [*st, "samples", "--run", run, "--limit", "50"],
    ]
    # the floor under a command: the interpreter (with site and the editable install's import
    # hook), click, the standard modules any store reader needs, then our CLI and facade
    floor = [
        ("python -S -c pass (no site)", [sys.executable, "-S", "-c", "pass"]),
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("import click", [sys.executable, "-c", "import click"]),
        (
            "import click, sqlite3, json, pathlib",
            [sys.executable, "-c", "import click, sqlite3, json, pathlib"],
        ),
        (
            "import capslice_tui.cli, capslice_tui.workspace",
            [sys.executable, "-c", "import capslice_tui.cli, capslice_tui.workspace"],
        ),
        (
            "sqlite3: SELECT ... LIMIT 50",
            [
                sys.executable,
                "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
                " c.execute('SELECT * FROM samples LIMIT 50').fetchall()",
                str(store),
            ],
        ),
    ]
    print(f"store: {store} ({store.stat().st_size / 1e6:.0f} MB); medians of {args.repeat}")
    print(
        f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    print(f"{'command':<48} {'wall':>7} {'cpu':>7} {'main() wall':>12} {'main() cpu':>11}")
    # every row's process runs in turn, round after round (see _time_all)
    timed = _time_all([argv for _, argv in floor] + [[*cli, *c] for c in commands], args.repeat)
    for (label, _), (wall, cpu) in zip(floor, timed, strict=False):
        print(f"{label:<48} {wall:6.3f}s {cpu:6.3f}s")
    for cmd, (wall, cpu) in zip(commands, timed[len(floor) :], strict=True):
        label = "capslice " + " ".join(a for a in cmd if a not in st)
        _, main_wall, main_cpu = _sibling("_timing").time_main(cmd, args.repeat, ENV, CWD)
        heavy = _heavy_imports(cli, cmd)
        print(
            f"{label:<48} {wall:6.3f}s {cpu:6.3f}s {main_wall:11.3f}s {main_cpu:10.3f}s"
            f"   heavy imports: {', '.join(heavy) or 'none'}"
        )
    if not args.no_app:
        wall, cpu = _time_app(store, args.repeat)
        print(f"{'app start to the runs screen (headless)':<48} {wall:6.2f}s {cpu:6.2f}s")
    print(
        "wall, cpu: each command as a fresh process, end to end; main(): another fresh process"
        " timed from the CLI's main() call to its return (no interpreter start-up, no CLI import)"
    )
    if tmp is not None:
        tmp.cleanup()
    pycache.cleanup()


if __name__ == "__main__":
    main()
