"""Print how long slice discovery takes on synthetic short failing answers, and its peak memory.

Usage: ``python benchmarks/discover_speed.py [N] [--method kmeans|hdbscan] [--error-aware]``
(default N = 100000). Texts are synthetic: short chain-of-thought-like endings drawn from a
few templates with random numbers, letters and names, plus some empty/``[invalid]`` ones. This
prints figures; it is not a test. Target: 100k samples in < 30 s and < 1 GB.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from capslice_tui.discover import SliceDiscoverer, describe_clusters

TEMPLATES = (
    "So the answer is ({L}).",
    "{A} + {B} = {C}. So the answer is {C}.",
    "Let's think step by step. {N} has {A} apples and gives {B} away. The answer is {C}",
    "The stack is {P} now. So the answer is {P}",
    "We sort the words: {W}. So the answer is {W}.",
    "{N} is to the left of {M}. So the answer is ({L}).",
    "{C}",
    "({L})",
    "I cannot determine the answer from the information given",
    "Step 1: {A} * {B} = {C}. Step 2: {C} - {A} = {B}. Step 3: {C} - {A} = {B}. Step 4:",
)
NAMES = ("Alice", "Bob", "Claire", "Dave", "Eve", "Fred", "Gertrude")
WORDS = ("apple", "banana", "cherry", "delta", "echo", "falcon", "garden", "harbor")


def synthetic(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` short texts and a failure mode per text."""
    rng = np.random.default_rng(seed)
    texts, modes = [], []
    t_idx = rng.integers(0, len(TEMPLATES), n)
    for i in range(n):
        if i % 97 == 0:
            texts.append("" if i % 2 else "[invalid]")
            modes.append("empty")
            continue
        a, b = (int(x) for x in rng.integers(1, 99, 2))
        t = TEMPLATES[t_idx[i]]
        texts.append(
            t.format(
                L="ABCDE"[int(rng.integers(0, 5))],
                A=a,
                B=b,
                C=a + b,
                N=NAMES[int(rng.integers(0, 7))],
                M=NAMES[int(rng.integers(0, 7))],
                P="".join(rng.choice(list("([{<>}])"), 4)),
                W=" ".join(rng.choice(WORDS, 3)),
            )
        )
        modes.append(
            "truncated"
            if t_idx[i] == 9
            else "extraction_failure"
            if t_idx[i] == 8
            else "wrong_answer"
        )
    return texts, modes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--method", default="kmeans", choices=["kmeans", "hdbscan"])
    parser.add_argument("--error-aware", action="store_true")
    args = parser.parse_args()
    texts, modes = synthetic(args.n)
    stages: list[tuple[str, float]] = []
    start = time.perf_counter()
    model = SliceDiscoverer(method=args.method, error_aware=args.error_aware, random_state=0).fit(
        texts,
        failure_modes=modes,
        correct=np.zeros(len(texts)),
        progress=lambda stage, frac: stages.append((stage, time.perf_counter() - start)),
    )
    fit_s = time.perf_counter() - start
    suggestions = describe_clusters(model, correct=np.zeros(len(texts)), failure_modes=modes)
    total_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"samples: {args.n:,}  method: {args.method}  error_aware: {args.error_aware}")
    marks = {}
    for stage, t in stages:
        marks.setdefault(stage, t)
    print("stage start times: " + ", ".join(f"{s} {t:.1f}s" for s, t in marks.items()))
    print(f"fit: {fit_s:.1f} s; with descriptions: {total_s:.1f} s; peak RSS: {peak_mb:.0f} MB")
    print(f"clusters: {model.n_clusters_}; notes: {'; '.join(model.notes_)}")
    for s in suggestions[:12]:
        print(
            f"  {s.name:>15} n={s.size:>6}  mode={s.dominant_failure_mode:<18} "
            f"terms: {', '.join(s.top_terms[:5])}"
        )
    ok = total_s < 30 and peak_mb < 1024
    print("target (< 30 s, < 1 GB): " + ("met" if ok else "NOT met"))


if __name__ == "__main__":
    main()
