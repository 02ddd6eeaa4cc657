"""Print how well error-aware slice discovery recovers planted slices, and how novel it is on BBH.

Usage: ``python benchmarks/discovery_quality.py [--seeds 2] [--n 600] [--skip-bbh]
[--skip-multi] [--only-multi]``

Part 1 follows the evaluation of Domino (Eyuboglu et al. 2022, section 5): generate runs in which
a hidden slice -- word problems of one theme, spread over three tasks, no label naming it --
fails far more often than the rest, then check whether discovery returns it. Themes (some share
one word, some do not), slice sizes (10-30% of items) and error gaps (30-60 points) vary; seeds
are fixed. For each trial it prints the best Jaccard overlap between the planted items and one
of the top 3 suggestions, and whether that reaches 0.7 (recall in the top 3).
Target: Jaccard >= 0.7 in >= 80% of trials.

Part 2 runs discovery on the real BBH chain-of-thought run (../shared/data/bbh, ingested as in
tests/e2e/test_cli_real.py) and prints how many suggestions restate a task (target: at most a
third, each marked) and whether the group of truncated generations across tasks is found.

Part 3 is the same planted evaluation on runs with several samples per item (pass@k runs:
150 items x 8 samples, each item's error rate drawn around the slice's or the rest's), where
discovery tests groups item by item (``items`` given: ``ItemLevelTest``). It prints the recall
with the item-level tests beside the sample-level ones (``items`` not given), how often the
"one item of 64 failing samples" group comes out significant under each, and the calibration
of the item-level test with no difference planted (the share of p < 0.05 and < 0.01 over
random groups of 10-100 items; it should be near 0.05 and 0.01, not above).

This prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from capslice_tui.analysis.discovery import find_slices

THEMES = {
    # one shared word
    "percent": [
        "What is {a} percent of {b}?",
        "A shirt costs {b} dollars and is discounted by {a} percent. What is the new price?",
        "A population of {b} grows by {a} percent. What is it now?",
        "{a} percent of a class of {b} students passed. How many passed?",
    ],
    # no single shared word: the theme lives in several words
    "speed": [
        "A train travels {b} km in {a} hours. What is its speed?",
        "A cyclist rides at {a} km per hour for {b} minutes. How far does she go?",
        "How long does a car at {a} miles per hour need for {b} miles?",
        "A runner covers {b} metres in {a} seconds. How fast is the runner?",
    ],
    "fractions": [
        "What is one third of {b}?",
        "Ann ate a quarter of {b} cookies. How many did she eat?",
        "Half of {b} marbles are red and {a} are blue. How many are green?",
        "Two fifths of a {b} page book is read. How many pages are left?",
    ],
    "geometry": [
        "A rectangle is {a} cm wide and {b} cm long. What is its area?",
        "What is the perimeter of a square with side {a} m?",
        "A triangle has base {a} and height {b}. What is its area?",
        "A circle has radius {a}. What is its circumference?",
    ],
    "interest": [
        "A bank pays {a} percent interest on {b} dollars. How much interest after a year?",
        "A loan of {b} dollars charges {a} dollars interest a month. What is the yearly interest?",
        "Savings of {b} dollars earn interest at a rate of {a} per year. What is the balance?",
        "How much interest do {b} dollars earn in {a} years at a fixed rate?",
    ],
}
OTHER = [
    "Tom has {a} apples and buys {b} more. How many apples does he have?",
    "A box holds {a} pens. How many pens are in {b} boxes?",
    "Sara read {a} pages on Monday and {b} on Tuesday. How many pages in total?",
    "There are {b} chairs in {a} equal rows. How many per row?",
    "A rope is {b} cm long and is cut into pieces of {a} cm. How many pieces?",
    "Ann is {a} years old and Ben is {b} years older. How old is Ben?",
    "A farmer has {b} sheep and sells {a}. How many sheep are left?",
    "Each bag has {a} sweets. How many sweets are in {b} bags?",
]
TASKS = ("word_problems_a", "word_problems_b", "word_problems_c")


def planted_run(
    theme: str, share: float, p_in: float, p_out: float, n: int, seed: int
) -> tuple[list[str], list[str], np.ndarray, list[str], set[int]]:
    """A run of ``n`` word problems over three tasks; ``share`` of each task is the theme.

    Returns questions, responses, scores (1 correct), tasks and the planted row indices.
    Theme items are wrong with probability ``p_in``, the others with ``p_out``.
    """
    rng = np.random.default_rng(seed)
    qs, rs, ok, ts, planted = [], [], [], [], set()
    per_task = n // len(TASKS)
    for task in TASKS:
        themed_rows = set(rng.choice(per_task, size=round(share * per_task), replace=False))
        for i in range(per_task):
            themed = i in themed_rows
            pool = THEMES[theme] if themed else OTHER
            tmpl = pool[int(rng.integers(0, len(pool)))]
            a, b = int(rng.integers(2, 40)), int(rng.integers(50, 900))
            wrong = rng.random() < (p_in if themed else p_out)
            if themed:
                planted.add(len(qs))
            qs.append(tmpl.format(a=a, b=b))
            rs.append(
                f"Let me work it out step by step. The answer is {int(rng.integers(1, 999))}."
            )
            ok.append(0.0 if wrong else 1.0)
            ts.append(task)
    return qs, rs, np.array(ok), ts, planted


def planted_trials(seeds: int, n: int) -> None:
    """Part 1: print one line per trial and the share with Jaccard >= 0.7 in the top 3."""
    grid = [
        (theme, share, gap)
        for theme in THEMES
        for share in (0.1, 0.2, 0.3)
        for gap in ((0.6, 0.3), (0.9, 0.3), (0.5, 0.15))
    ]
    print(
        f"{'theme':<10} {'size':>5} {'error in/out':>12} {'seed':>4}  {'jaccard':>7}  rank  top-3 names"
    )
    hits, total, start = 0, 0, time.perf_counter()
    for theme, share, (p_in, p_out) in grid:
        for seed in range(seeds):
            qs, rs, ok, ts, planted = planted_run(theme, share, p_in, p_out, n, 1000 + seed)
            res = find_slices(qs, rs, ok, groups=ts, random_state=0)
            best, rank = 0.0, None
            for r, s in enumerate(res.suggestions[:3]):
                got = set(s.members)
                jac = len(got & planted) / len(got | planted)
                if jac > best:
                    best, rank = jac, r + 1
            total += 1
            hits += best >= 0.7
            names = ", ".join(s.name for s in res.suggestions[:3]) or f"({res.structure})"
            print(
                f"{theme:<10} {share:>5.0%} {p_in:>5.0%}/{p_out:<5.0%}  {seed:>4}  {best:>7.2f}"
                f"  {rank if rank else '-':>4}  {names}"
            )
    print(
        f"\nplanted slices recovered (Jaccard >= 0.7 in the top 3): {hits}/{total}"
        f" = {hits / total:.0%} (target >= 80%); {time.perf_counter() - start:.0f} s"
    )


def bbh_novelty() -> None:
    """Part 2: restating suggestions and the truncated group on the real BBH CoT run."""
    from capslice_tui.workspace import Workspace

    log = (
        Path(__file__).resolve().parents[1].parent
        / "shared"
        / "data"
        / "bbh"
        / "outputs"
        / "code-davinci-002_cot.jsonl"
    )
    if not log.exists():
        print(f"\nBBH CoT log not found at {log}: part 2 skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / "bbh.db")
        ws.ingest([log], run="cot", benchmark="bbh")
        start = time.perf_counter()
        data = ws.discover("cot").to_dict()
        took = time.perf_counter() - start
    rows = data["suggestions"]
    restating = [s for s in rows if s["novelty"]["restates"]]
    print(f"\nreal BBH CoT run: {data['n_samples']} samples, {took:.0f} s; {data['k_reason']}")
    for s in rows:
        print(
            f"  {s['name']:<18} {s['size']:>5}  error {s['error_rate']:.0%}"
            f" (rest {s['rest_error_rate']:.0%})  {s['novelty']['relation']}"
        )
    share = len(restating) / len(rows) if rows else 0.0
    print(
        f"suggestions restating a task or label: {len(restating)}/{len(rows)} = {share:.0%}"
        f" (target <= 33%), each marked 'restates ...': "
        f"{all(s['novelty']['relation'].startswith('restates') for s in restating)};"
        f" folded: {len(data['folded'])}"
    )
    truncated = [
        s
        for s in rows
        if s["failure_modes"].get("truncated", 0) >= 0.9 * s["size"] and len(s["groups"]) >= 2
    ]
    print(
        "truncated generations across tasks found: "
        + (
            ", ".join(f"{s['name']} ({s['size']}, {len(s['groups'])} tasks)" for s in truncated)
            or "no"
        )
    )


def planted_multi_run(
    theme: str, share: float, p_in: float, p_out: float, n_items: int, k: int, seed: int
) -> tuple[list[str], list[str], np.ndarray, list[str], list[int], set[int]]:
    """A run of ``n_items`` word problems x ``k`` samples over three tasks; ``share`` of each
    task's items are the theme. Each item's error rate is drawn from N(p_in or p_out, 0.15)
    clipped to [0, 1]; its ``k`` samples fail with that rate. Returns questions, responses,
    scores, tasks, items (per sample) and the planted row indices."""
    rng = np.random.default_rng(seed)
    qs, rs, ok, ts, items, planted = [], [], [], [], [], set()
    per_task = n_items // len(TASKS)
    for t, task in enumerate(TASKS):
        themed_rows = set(rng.choice(per_task, size=round(share * per_task), replace=False))
        for i in range(per_task):
            themed = i in themed_rows
            pool = THEMES[theme] if themed else OTHER
            tmpl = pool[int(rng.integers(0, len(pool)))]
            q = tmpl.format(a=int(rng.integers(2, 40)), b=int(rng.integers(50, 900)))
            rate = float(np.clip(rng.normal(p_in if themed else p_out, 0.15), 0.0, 1.0))
            for _ in range(k):
                if themed:
                    planted.add(len(qs))
                qs.append(q)
                rs.append(f"Let me work it out. The answer is {int(rng.integers(1, 999))}.")
                ok.append(0.0 if rng.random() < rate else 1.0)
                ts.append(task)
                items.append(t * per_task + i)
    return qs, rs, np.array(ok), ts, items, planted


def _best_jaccard(suggestions: list, planted: set[int]) -> float:
    best = 0.0
    for s in suggestions[:3]:
        got = set(s.members)
        best = max(best, len(got & planted) / len(got | planted))
    return best


def multi_sample_trials(seeds: int, n_items: int = 150, k: int = 8) -> None:
    """Part 3: planted slices in multi-sample runs, item-level vs sample-level tests; the
    one-item false discovery; the item-level test's calibration under no difference."""
    from capslice_tui.analysis.discovery import ItemLevelTest

    print(f"\nmulti-sample runs: {n_items} items x {k} samples (pass@k-like)")
    print(f"{'theme':<10} {'size':>5} {'error in/out':>12} {'seed':>4}  items-test  samples-test")
    hits = {"items": 0, "samples": 0}
    total, start = 0, time.perf_counter()
    for theme in THEMES:
        for share in (0.1, 0.2, 0.3):
            for p_in, p_out in ((0.6, 0.3), (0.9, 0.3), (0.5, 0.15)):
                for seed in range(seeds):
                    qs, rs, ok, ts, items, planted = planted_multi_run(
                        theme, share, p_in, p_out, n_items, k, 2000 + seed
                    )
                    by_items = find_slices(qs, rs, ok, groups=ts, items=items, random_state=0)
                    by_samples = find_slices(qs, rs, ok, groups=ts, random_state=0)
                    j_i = _best_jaccard(by_items.suggestions, planted)
                    j_s = _best_jaccard(by_samples.suggestions, planted)
                    total += 1
                    hits["items"] += j_i >= 0.7
                    hits["samples"] += j_s >= 0.7
                    print(
                        f"{theme:<10} {share:>5.0%} {p_in:>5.0%}/{p_out:<5.0%}  {seed:>4}"
                        f"  {j_i:>10.2f}  {j_s:>12.2f}"
                    )
    print(
        f"planted slices recovered (Jaccard >= 0.7 in the top 3): item-level tests"
        f" {hits['items']}/{total} = {hits['items'] / total:.0%}, sample-level tests"
        f" {hits['samples']}/{total} = {hits['samples'] / total:.0%};"
        f" {time.perf_counter() - start:.0f} s"
    )
    # one item whose 64 samples all fail, with its own word: a "slice" of one item
    false_hits = {"items": 0, "samples": 0}
    for seed in range(5):
        rng = np.random.default_rng(seed)
        qs, rs, ok, ts, items = [], [], [], [], []
        for i in range(40):
            q = OTHER[i % len(OTHER)].format(a=i + 2, b=3 * i + 50)
            if i == 0:
                q = "Compute the quaternion norm. " + q
            rate = 1.0 if i == 0 else float(rng.uniform(0.1, 0.5))
            for _ in range(64):
                qs.append(q)
                rs.append(f"Let me think. The answer is {int(rng.integers(1, 999))}.")
                ok.append(0.0 if rng.random() < rate else 1.0)
                ts.append(TASKS[i % 3])
                items.append(i)
        one = set(range(64))
        for key, kw in (("items", {"items": items}), ("samples", {})):
            res = find_slices(qs, rs, np.array(ok), groups=ts, random_state=0, **kw)
            false_hits[key] += any(s.significant and set(s.members) <= one for s in res.suggestions)
    print(
        "one item of 64 failing samples shown as a significant slice (5 runs of 40 items x 64):"
        f" item-level tests {false_hits['items']}/5, sample-level tests {false_hits['samples']}/5"
    )
    # calibration: no difference planted, random groups of items (whole items, or half of
    # their samples), item error rates Beta(0.5, 0.5) (strongly clustered)
    rng = np.random.default_rng(0)
    clusters = np.repeat(np.arange(200), 16)
    for size, split in ((10, False), (20, False), (50, False), (100, False), (10, True)):
        ps = []
        for _ in range(2000):
            rates = rng.beta(0.5, 0.5, 200)
            err = (rng.random(clusters.size) < rates[clusters]).astype(float)
            mask = np.isin(clusters, rng.choice(200, size, replace=False))
            if split:
                mask &= rng.random(clusters.size) < 0.5
            ps.append(ItemLevelTest(err, clusters, None).p(np.flatnonzero(mask)))
        arr = np.array(ps)
        print(
            f"no difference, groups of {size} items{' (half their samples)' if split else ''}"
            f" of 200 x 16: p < 0.05 in {np.mean(arr < 0.05):.3f}, p < 0.01 in"
            f" {np.mean(arr < 0.01):.4f} of 2,000 draws"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="seeds per grid point")
    parser.add_argument("--n", type=int, default=600, help="items per generated run")
    parser.add_argument("--skip-bbh", action="store_true", help="no real BBH run (part 2)")
    parser.add_argument("--skip-multi", action="store_true", help="no multi-sample runs (part 3)")
    parser.add_argument("--only-multi", action="store_true", help="only part 3")
    args = parser.parse_args()
    if not args.only_multi:
        planted_trials(args.seeds, args.n)
        if not args.skip_bbh:
            bbh_novelty()
    if not args.skip_multi:
        multi_sample_trials(max(1, args.seeds // 2))


if __name__ == "__main__":
    main()
