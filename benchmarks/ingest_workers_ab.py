"""Compare two versions of the lm-eval ingest's worker path in one process (issue 14).

Usage: python benchmarks/ingest_workers_ab.py DIR_A DIR_B [--full N] [--metric-only N]
                                              [--next] [--rounds R]

DIR_A and DIR_B each hold either a source tree (``DIR/capslice_tui/...``, for instance
``git archive COMMIT capslice_tui | tar -x -C DIR``), whose worker path's modules
(:data:`TREE_MODULES`: the reader, scoring, failure modes, ``score_sample``, the ingest's
helpers and the worker modules) are loaded, or a copy of
``capslice_tui/workspace/_ingest_workers.py`` and ``_ingest_rows.py`` alone (for instance
``git show COMMIT:capslice_tui/workspace/_ingest_workers.py``); either way they are loaded
into this process under names of their own, beside the installed package, each version's
modules importing each other (the rest of the package is the installed one's).
The worker path of each (``_Builder.file_chunks`` over the samples files of
``ingest_speed.py``'s generated logs, every chunk pickled as the worker's queue pickles it) runs
``R`` times, A and B alternated, so that both see the same load of a shared machine. With
``--next`` the store already holds the items (a next checkpoint: one ingest in one process
first). Printed per workload: CPU microseconds per sample (``process_time``) of A and of B,
their minimum and median, and the median of the paired ratios B/A, with the load average;
then the same for the ingest's side of the pipe: the pass's pickled chunks unpickled, one
at a time (each dropped before the next, as the writer drops a written batch), which is
what the writer's process does with each chunk besides reading the pipe.
A version before ``_Builder.file_chunks`` took ``tally`` gets its stream through
``lmeval.tallied`` as its worker did. The figures printed are what this machine measured.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import inspect
import os
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from types import ModuleType
from typing import Any

from ingest_speed import write_logs

from capslice_tui.ingest import read_paths
from capslice_tui.ingest.lmeval import iter_samples_file, tallied
from capslice_tui.workspace import Workspace
from capslice_tui.workspace import ingest as ing

TREE_MODULES = (
    "ingest/records.py",
    "ingest/reasoning.py",
    "ingest/lmeval.py",
    "analysis/failure_modes.py",
    "ingest/scoring.py",
    "workspace/rescore.py",
    "workspace/ingest.py",
    "workspace/_ingest_rows.py",
    "workspace/_ingest_workers.py",
)
"""The modules of a source tree loaded per version, in import order."""


def load_tree(root: Path, tag: str) -> dict[str, ModuleType]:
    """:data:`TREE_MODULES` of the tree ``root`` (``root/capslice_tui/...``), each loaded as
    ``capslice_tui.<path>_<tag>`` (so that pickle finds its classes). While they load, each is
    also what its own name imports (``sys.modules`` and its package's attribute), so that
    they import each other; the installed modules are put back afterwards."""
    saved: dict[str, tuple[Any, Any]] = {}
    loaded: dict[str, ModuleType] = {}
    for rel in TREE_MODULES:  # the installed ones first, all of them (put back afterwards):
        # an installed module imported while a tree's modules stand in would import theirs
        importlib.import_module("capslice_tui." + rel.removesuffix(".py").replace("/", "."))
    try:
        for rel in TREE_MODULES:
            path = root / "capslice_tui" / rel
            name = "capslice_tui." + rel.removesuffix(".py").replace("/", ".")
            parent, _, leaf = name.rpartition(".")
            package = importlib.import_module(parent)
            saved[name] = (sys.modules[name], getattr(package, leaf))
            module = ModuleType(f"{name}_{tag}")
            module.__package__ = parent
            module.__file__ = str(path)
            sys.modules[name] = sys.modules[module.__name__] = module
            setattr(package, leaf, module)
            exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
            loaded[rel] = module
    finally:
        for name, (module, attr) in saved.items():
            sys.modules[name] = module
            setattr(importlib.import_module(name.rpartition(".")[0]), name.rpartition(".")[2], attr)
    return loaded


def load(folder: Path, tag: str) -> tuple[ModuleType, Any]:
    """The worker module of ``folder`` and its reader's ``iter_samples_file``: a source
    tree's (:func:`load_tree`), else the worker module (and its rows module, if any) of the
    folder, loaded as ``capslice_tui.workspace._ingest_workers_<tag>``, with the installed
    reader."""
    if (folder / "capslice_tui").is_dir():
        tree = load_tree(folder, tag)
        return tree["workspace/_ingest_workers.py"], tree["ingest/lmeval.py"].iter_samples_file
    modules: dict[str, ModuleType] = {}
    sources = []
    rows = folder / "_ingest_rows.py"
    if rows.exists():
        sources.append((f"_ingest_rows_{tag}", rows.read_text()))
    workers = (folder / "_ingest_workers.py").read_text()
    sources.append(
        (
            f"_ingest_workers_{tag}",
            workers.replace("._ingest_rows import", f"._ingest_rows_{tag} import"),
        )
    )
    for name, source in sources:
        full = f"capslice_tui.workspace.{name}"
        module = importlib.util.module_from_spec(importlib.util.spec_from_loader(full, loader=None))  # type: ignore[arg-type]
        module.__package__ = "capslice_tui.workspace"
        sys.modules[full] = module
        exec(compile(source, str(folder / f"{name}.py"), "exec"), module.__dict__)
        modules[name] = module
    return modules[f"_ingest_workers_{tag}"], iter_samples_file


def run(
    version: tuple[ModuleType, Any], ctx: Any, taxonomy: Any, db: Path, n: int
) -> tuple[float, float]:
    """CPU microseconds per sample of one pass of a version's path (its worker module and
    reader) over every samples file, and of unpickling the pass's chunks."""
    workers, iter_samples_file = version
    builder = workers._Builder(ctx, taxonomy, "bbh", workers._open_store(db, 5.0), (2, 2))
    fused = "tally" in inspect.signature(workers._Builder.file_chunks).parameters
    sent: list[Any] = []
    t0 = time.process_time()
    for unit, (path, task) in enumerate(ctx.lmeval_files.samples):
        stream = iter_samples_file(path, task, ctx)
        if fused:
            chunks = builder.file_chunks(unit, stream, {}, set())
        else:
            chunks = builder.file_chunks(unit, tallied(stream, {}, set()))
        sent.extend(ForkingPickler.dumps(chunk) for chunk in chunks)
    worker = 1e6 * (time.process_time() - t0) / n
    t0 = time.process_time()
    for data in sent:
        pickle.loads(data)
    return worker, 1e6 * (time.process_time() - t0) / n


def measure(
    a: tuple[ModuleType, Any],
    b: tuple[ModuleType, Any],
    label: str,
    n: int,
    full: bool,
    nxt: bool,
    rounds: int,
) -> None:
    """Print one workload's A/B figures."""
    tmp = Path(tempfile.mkdtemp(prefix="capslice-ab-"))
    try:
        logs = tmp / "logs"
        write_logs(logs, n, full)
        db = tmp / "store" / "ab.db"
        db.parent.mkdir()
        ws = Workspace(db)
        taxonomy = ws.taxonomy
        if nxt:
            os.environ["CAPSLICE_INGEST_WORKERS"] = "0"
            ws.ingest([logs], run="a", benchmark="bbh")
        ws.store.conn.close()
        ctx, _ = read_paths([logs], benchmark="bbh")
        run(a, ctx, taxonomy, db, n)  # one-time costs (patterns compiled, caches filled)
        run(b, ctx, taxonomy, db, n)
        pairs = [
            (run(a, ctx, taxonomy, db, n), run(b, ctx, taxonomy, db, n)) for _ in range(rounds)
        ]
        for side, i in (("workers", 0), ("chunks unpickled", 1)):
            ta, tb = [x[i] for x, _ in pairs], [y[i] for _, y in pairs]
            ratio = statistics.median(y / x for x, y in zip(ta, tb, strict=True))
            print(
                f"{label}, {'next' if nxt else 'first'} checkpoint, {n:,} samples, {side}: "
                f"A min {min(ta):.2f} median {statistics.median(ta):.2f} | "
                f"B min {min(tb):.2f} median {statistics.median(tb):.2f} us CPU per sample | "
                f"B/A median {ratio:.3f} | load {os.getloadavg()[0]:.1f}"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    """Parse the arguments and print each workload's figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--full", type=int, default=5_000, help="full-text samples (0: none)")
    ap.add_argument("--metric-only", type=int, default=20_000, help="narrow samples (0: none)")
    ap.add_argument("--next", action="store_true", help="the store already holds the items")
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    a, b = load(args.a, "a"), load(args.b, "b")
    gc.set_threshold(ing.GC_GEN0, *gc.get_threshold()[1:])  # as a worker sets it
    if args.metric_only:
        measure(a, b, "metric only", args.metric_only, False, args.next, args.rounds)
    if args.full:
        measure(a, b, "full text", args.full, True, args.next, args.rounds)


if __name__ == "__main__":
    main()
