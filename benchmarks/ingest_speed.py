"""Print ingest throughput and slice-table read time on synthetic lm-eval logs.

Usage: python benchmarks/ingest_speed.py [--full N] [--metric-only N] [--keep DIR]

Two workloads, each written as lm-eval 0.4.8 ``samples_<task>_<ts>.jsonl`` files:
  full text   ~4 KB per sample (a 3 KB prompt shared by the task's items, ~1 KB response)
  metric only  short responses, correctness logged by the harness
Targets (issue 2): >= 10k samples/s full text, >= 100k/s metric-only, slice table < 200 ms.
The figures printed are what this machine measured; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

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


def measure(label: str, n: int, full_text: bool, keep: Path | None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="capslice-bench-"))
    try:
        logs = tmp / "logs"
        write_logs(logs, n, full_text)
        size_mb = sum(p.stat().st_size for p in logs.iterdir()) / 1e6
        ws = Workspace(tmp / "bench.db")
        t0 = time.perf_counter()
        report = ws.ingest([logs], run="bench", benchmark="bbh")
        dt = time.perf_counter() - t0
        n_read = report.n_read
        print(
            f"{label}: {n_read:,} samples ({size_mb:.0f} MB) in {dt:.2f} s = {n_read / dt:,.0f} samples/s"
        )
        t0 = time.perf_counter()
        ws.ingest([logs], run="bench-next", benchmark="bbh")
        dt = time.perf_counter() - t0
        print(f"  next checkpoint on the same items: {n_read / dt:,.0f} samples/s")
        for by in ("task", "task_type", "task_type,solving_operation"):
            t0 = time.perf_counter()
            ws.slices("bench", by=by)
            print(f"  slice table by {by}: {1000 * (time.perf_counter() - t0):.0f} ms")
        if keep:
            shutil.copy(tmp / "bench.db", keep / f"{label.replace(' ', '_')}.db")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", type=int, default=50_000, help="full-text samples")
    ap.add_argument("--metric-only", type=int, default=200_000, help="metric-only samples")
    ap.add_argument("--keep", type=Path, default=None, help="copy the stores here")
    args = ap.parse_args()
    measure("full text", args.full, True, args.keep)
    measure("metric only", args.metric_only, False, args.keep)


if __name__ == "__main__":
    main()
