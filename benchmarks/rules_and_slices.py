"""Print how long the taxonomy rule engine and the slice search take on large synthetic inputs.

Usage: python benchmarks/rules_and_slices.py [--items N] [--samples M]

* ``assign_many``: the shipped evaluation taxonomy labels N items (default 100,000) built from
  every harness name variant the rules cover, each with a distinct problem text so the result
  cache cannot help. Target: under 5 s on 2 cores.
* ``sliceline`` + ``significant_slices``: M samples (default 50,000) over four axes of 20
  values each with a 20% error rate. Target: under 10 s.

Figures are printed (wall and CPU seconds), never asserted: speed targets live here, not in
the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))


def _timed(label: str, fn) -> None:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    print(
        f"{label:<44} {time.perf_counter() - wall:7.2f} s wall {time.process_time() - cpu:7.2f} s cpu"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=50_000)
    args = parser.parse_args()

    from test_taxonomy import representative_items

    from capslice_tui.analysis.slice_search import significant_slices, sliceline
    from capslice_tui.taxonomy.evaluation import load_taxonomy

    shipped = load_taxonomy()
    base = representative_items()
    items = []
    for k in range(args.items):
        item = dict(base[k % len(base)])
        if "doc" in item and "problem" in item["doc"]:
            item["doc"] = dict(item["doc"], problem=item["doc"]["problem"] + f" ({k})")
        items.append(item)
    _timed(f"assign_many, {args.items:,} items (target < 5 s)", lambda: shipped.assign_many(items))

    rng = np.random.default_rng(1)
    n = args.samples
    X = {a: np.array([f"v{i}" for i in rng.integers(0, 20, n)]) for a in "abcd"}
    err = (rng.random(n) < 0.2).astype(float)
    _timed(
        f"slice search, {n:,} samples (target < 10 s)",
        lambda: (sliceline(X, err, alpha=0.95), significant_slices(X, err)),
    )


if __name__ == "__main__":
    main()
