"""The bundled demo: ingest the five runs of ``sample_data/`` into a store.

The runs tell the two stories of capslice (see sample_data/README.md): a BBH drop that is not a
data problem (EOS masked out of the loss) and a math weakness that is (fixed by a targeted
sampling plan).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from ..formatting import score_counts, short_metric

DEMO_RUNS: list[tuple[str, str, int]] = [
    ("bbh-base", "bbh", 100_000),
    ("bbh-eos-masked", "bbh", 110_000),
    ("bbh-eos-restored", "bbh", 120_000),
    ("math-base", "math", 100_000),
    ("math-targeted", "math", 120_000),
]


DEMO_BUDGET_TOKENS = 100_000_000_000
"""The training-token budget the demo's plan uses (README: ``capslice plan ... --budget-tokens
100000000000``; the app's plan form starts with it)."""


def sample_data_dir() -> Path:
    """The installed ``sample_data`` folder (package ``capslice_tui.sample_data``)."""
    return Path(str(resources.files("capslice_tui.sample_data")))


def build_demo(
    ws: Any, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> list[str]:
    """Ingest every demo run missing from the store (all of them again with ``force``).

    Returns:
        Summary lines (each under 90 columns for typical run names): one per run and
        benchmark with its score and counts, e.g.
        ``bbh-base          bbh   greedy acc 59.6% (286/480)``, or for several samples per
        item ``math-base  math  acc mean 43.1% (mean of 158 items; samples 1093/5888 = 18.6%)``.
    """
    root = sample_data_dir() / "lm_eval"
    existing = {r["name"] for r in ws.store.list_runs()}
    for name, benchmark, step in DEMO_RUNS:
        if name in existing and not force:
            continue
        if name in existing:
            ws.store.delete_run(name)
        if progress:
            progress(f"ingesting {name} ...")
        ws.ingest([root / name], run=name, benchmark=benchmark, step=step)
    lines = []
    for run in ws.runs():
        if run["name"] not in {n for n, _, _ in DEMO_RUNS}:
            continue
        for bench, s in run["benchmarks"].items():
            metric = short_metric(s["metric"], 10)
            lines.append(
                f"{run['name']:<17} {bench:<5} {metric[:10]:<10} "
                + score_counts(s["score"], s["correct"], s["n_samples"], s["n_items"])
            )
    lines.append(f"store: {ws.store_path}")
    return lines
