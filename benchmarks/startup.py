"""Print the wall and CPU time of the cheap commands and the heavy modules each one imports.

Usage: python benchmarks/startup.py [--samples N] [--store PATH] [--repeat R]

Builds (or reuses, with ``--store``) a store of two metric-only runs of N samples each
(``bench`` and ``bench-next``, the synthetic lm-eval logs of ``ingest_speed.py``), then runs
each command as a fresh ``capslice`` process R times and prints the median wall time and the
median CPU time (user + sys; steadier than wall on a shared machine), beside ``python -c pass``
and a bare ``sqlite3`` query as the floor. The last column names the heavy modules (scipy,
scikit-learn, Textual, pyarrow, math-verify) the command imported, read from
``python -X importtime``. Bytecode is cached (in a temporary ``PYTHONPYCACHEPREFIX``, even
where ``PYTHONDONTWRITEBYTECODE`` is set) and one untimed run warms it, as in an installed
copy. Targets (issue 14): ``runs`` and ``--help`` < 0.5 s; ``slices`` and ``samples --limit
50`` < 0.1 s of work beyond start-up. Nothing here is asserted.
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

HEAVY = ("scipy", "sklearn", "textual", "pyarrow", "math_verify")


def _ingest_speed():
    """The sibling ``ingest_speed`` module (for its synthetic log writer)."""
    spec = importlib.util.spec_from_file_location(
        "ingest_speed", Path(__file__).with_name("ingest_speed.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


ENV = dict(os.environ)
CWD = tempfile.gettempdir()  # not the checkout: the code timed is what ``capslice`` imports


def _time(argv: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + sys) of ``argv``, in seconds."""
    walls, cpus = [], []
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=ENV, cwd=CWD)  # warm up
    for _ in range(repeat):
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
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
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

    exe = Path(sys.executable).with_name("capslice")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "capslice_tui"]
    st = ["--store", str(store)]
    commands = [
        ["--help"],
        [*st, "runs"],
        [*st, "slices", "--run", "bench", "--by", "task_type"],
        [*st, "samples", "--run", "bench", "--limit", "50"],
    ]
    floor = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
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
    print(f"{'command':<48} {'wall':>7} {'cpu':>7}")
    for label, argv in floor:
        wall, cpu = _time(argv, args.repeat)
        print(f"{label:<48} {wall:6.2f}s {cpu:6.2f}s")
    for cmd in commands:
        label = "capslice " + " ".join(a for a in cmd if a not in st)
        wall, cpu = _time([*cli, *cmd], args.repeat)
        heavy = _heavy_imports(cli, cmd)
        print(f"{label:<48} {wall:6.2f}s {cpu:6.2f}s   heavy imports: {', '.join(heavy) or 'none'}")
    if tmp is not None:
        tmp.cleanup()
    pycache.cleanup()


if __name__ == "__main__":
    main()
