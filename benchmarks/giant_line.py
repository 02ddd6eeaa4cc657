"""Ingest a ~500 MB lm-eval log holding one 250 MB generation under a 1.5 GB address-space limit.

Usage: python benchmarks/giant_line.py [--giant-mb 250] [--total-mb 500] [--limit-gb 1.5]
                                       [--filter-none] [--keep DIR]

Writes, into a temporary folder (deleted afterwards unless ``--keep``), an lm-eval 0.4.8
``samples_gsm8k_<ts>.jsonl`` with ordinary records (~5 KB each: a few-shot prompt and a short
answer) up to ``--total-mb`` and, in the middle, one record whose response is a
``--giant-mb`` repetition loop (a model stuck repeating one sentence); with ``--filter-none``
its ``filtered_resps`` carries the whole response again (lm-eval's filter ``none``), so the line
holds the text twice, as in issue 11's log. A child process sets
``RLIMIT_AS`` to ``--limit-gb`` (as ``prlimit --as`` does) and ingests the folder with
``Workspace.ingest``; it prints its wall time and peak RSS, and what the store kept of the
giant sample: the stored response's length, the whole response's length and sha256 (checked
against the generator's), the score and the failure mode (a runaway is expected).
The figures printed are what this machine measured; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TS = "2026-01-01T00-00-00.000000"
LOOP = "Let me check this again: 4 + 4 = 8, so the total is 8 apples. "
FEWSHOT = "".join(
    f"Question: Tom has {a} apples and buys {a + 3} more. How many apples has he?\n"
    f"Answer: {a} + {a + 3} = {2 * a + 3}. #### {2 * a + 3}\n\n"
    for a in range(40)
)

CHILD = r"""
import json, resource, sys, time
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
start = time.perf_counter()
from capslice_tui.workspace import Workspace
ws = Workspace(sys.argv[2])
report = ws.ingest([sys.argv[3]], run="giant")
wall = time.perf_counter() - start
rows = ws.store.conn.execute(
    "SELECT length(response), response_chars, response_sha256, score, failure_mode,"
    " failure_reason, length(lenient_extracted), length(extracted) FROM samples"
    " WHERE doc_id = ?",
    (sys.argv[4],),
).fetchone()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_rss_mb": usage.ru_maxrss / 1024, "n_read": report.n_read,
                  "runs": report.runs, "giant": list(rows) if rows else None}))
"""


def _record(doc_id: int, response: str, ok: bool, filtered: str | None = None) -> dict:
    a = doc_id % 97 + 3
    question = f"Tom has {a} apples and buys {a + 3} more. How many apples has he? (#{doc_id})"
    target = f"{a} + {a + 3} = {2 * a + 3}\n#### {2 * a + 3}"
    prompt = FEWSHOT + f"Question: {question}\nAnswer:"
    return {
        "doc_id": doc_id, "doc": {"question": question, "answer": target}, "target": target,
        "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": {
            "until": ["Question:"], "do_sample": False, "max_gen_toks": 256}}},
        "resps": [[response]],
        "filtered_resps": [filtered or (str(2 * a + 3) if ok else "[invalid]")],
        "filter": "none" if filtered else "strict-match", "metrics": ["exact_match"],
        "exact_match": 1.0 if ok else 0.0,
    }  # fmt: skip


def write_log(
    folder: Path, giant_mb: int, total_mb: int, filter_none: bool = False
) -> tuple[int, str, int, int]:
    """Write the samples file; return (giant doc_id, sha256 of the giant response, its
    characters, records written)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"samples_gsm8k_{TS}.jsonl"
    ordinary = len(json.dumps(_record(0, " 4 + 4 = 8. #### 8", True))) + 1
    copies_in_line = 2 if filter_none else 1
    n = max(2, (total_mb - copies_in_line * giant_mb) * 1_000_000 // ordinary)
    giant_id = n // 2
    copies = giant_mb * 1_000_000 // len(LOOP)
    sha = hashlib.sha256()
    with path.open("w") as f:
        for d in range(n):
            if d != giant_id:
                ok = d % 3 != 0
                f.write(json.dumps(_record(d, f" {d} + 1 = {d + 1}. #### {d + 1}", ok)) + "\n")
                continue
            mark = json.dumps("\x00")
            parts = json.dumps(_record(d, "\x00", False, "\x00" if filter_none else None))
            pieces = parts.split(mark)
            for i, text in enumerate(pieces):
                f.write(text)
                if i == len(pieces) - 1:
                    break
                f.write('"')
                block = LOOP * 10_000
                left = copies
                while left:
                    k = min(left, 10_000)
                    piece = block if k == 10_000 else LOOP * k
                    f.write(json.dumps(piece)[1:-1])
                    if i == 0:
                        sha.update(piece.encode())
                    left -= k
                f.write('"')
            f.write("\n")
    gen = {"until": ["Question:"], "do_sample": False, "max_gen_toks": 256}
    results = {
        "results": {"gsm8k": {"alias": "gsm8k"}},
        "configs": {"gsm8k": {
            "task": "gsm8k", "output_type": "generate_until", "generation_kwargs": gen,
            "repeats": 1, "num_fewshot": 40, "filter_list": [{"name": "strict-match"}],
            "metric_list": [{"metric": "exact_match"}]}},
        "n-samples": {"gsm8k": {"original": n, "effective": n}},
        "model_name": "org/model",
    }  # fmt: skip
    (folder / f"results_{TS}.json").write_text(json.dumps(results))
    return giant_id, sha.hexdigest(), copies * len(LOOP), n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--giant-mb", type=int, default=250)
    parser.add_argument("--total-mb", type=int, default=500)
    parser.add_argument("--limit-gb", type=float, default=1.5)
    parser.add_argument(
        "--filter-none", action="store_true", help="log the whole response as the extraction too"
    )
    parser.add_argument("--keep", type=Path, default=None, help="write the log here and keep it")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="capslice-giant-"))
    try:
        logs = args.keep or tmp / "logs"
        t0 = time.perf_counter()
        giant_id, sha, n_chars, n = write_log(logs, args.giant_mb, args.total_mb, args.filter_none)
        size = sum(p.stat().st_size for p in logs.iterdir())
        print(
            f"log: {size / 1e6:,.0f} MB, {n:,} records, one response of {n_chars / 1e6:,.0f} MB"
            f" (doc_id {giant_id}{', logged twice: filter none' if args.filter_none else ''});"
            f" written in {time.perf_counter() - t0:.0f} s"
        )
        limit = int(args.limit_gb * 1e9)
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(limit), str(tmp / "store.db"), str(logs),
             str(giant_id)],
            capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip
        if done.returncode != 0:
            print(f"ingest FAILED under RLIMIT_AS={limit:,} (exit {done.returncode}):")
            print(done.stderr[-3000:])
            sys.exit(1)
        out = json.loads(done.stdout.strip().splitlines()[-1])
        stored_len, chars, stored_sha, score, mode, reason, lenient_len, extracted_len = out[
            "giant"
        ]
        print(f"address-space limit: {limit / 1e9:.2f} GB (RLIMIT_AS, as prlimit --as)")
        print(
            f"ingest wall time:    {out['wall_s']:.1f} s for {out['n_read']:,} records "
            f"(CPU {out['cpu_s']:.1f} s; the gap is other load on this machine and disk waits)"
        )
        print(f"peak RSS:            {out['peak_rss_mb']:,.0f} MB")
        print(
            f"giant sample stored: {stored_len:,} chars of {chars:,} "
            f"(generator wrote {n_chars:,}); sha256 "
            f"{'matches' if stored_sha == sha else 'DIFFERS: ' + str(stored_sha)}"
        )
        print(f"giant sample scored: score {score}, failure mode {mode}: {reason[:150]}")
        print(f"extractions stored:  harness {extracted_len} chars, lenient {lenient_len} chars")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
