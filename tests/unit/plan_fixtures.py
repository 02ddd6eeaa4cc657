"""Small plan inputs shared by the plan and diagnose tests: a two-cell data catalog, one
mapping rule (modular arithmetic -> science tutorials) and a generic JSONL run writer."""

from __future__ import annotations

import json
from pathlib import Path

CELLS = """
cells:
  - {id: math_tut, source: OpenWebMath, domain: "Science & Technology", format: Tutorial, quality: 4, tokens: 1000, weight: 0.2, path: /d/math_tut}
  - {id: web_a, source: CommonCrawl, domain: Entertainment, format: Personal Blog, quality: 1, tokens: 100000, weight: 0.8, path: /d/web_a}
"""
RULES = """
version: 1
data_rules:
  - id: modular
    when: {solving_operation: modular_arithmetic}
    select: {domain: "Science & Technology", format: Tutorial}
    weight: 1.0
    rationale: worked congruences
"""


def write_generic_run(path: Path, right: dict[str, int], n: int = 40) -> Path:
    """A generic JSONL log: ``n`` docs per task (target 7), the first ``right[task]`` of them
    answered right (``correct`` logged); returns ``path``."""
    lines = []
    for task, n_right in right.items():
        for doc in range(n):
            ok = doc < n_right
            lines.append({"task": task, "doc_id": doc, "target": "7", "correct": ok,
                          "response": "The answer is 7." if ok else "The answer is 3."})  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def write_sampled_run(
    path: Path, tasks: tuple[str, ...], right: tuple[int, ...], samples: int = 1
) -> Path:
    """A generic JSONL log: 30 docs per task of ``tasks`` (target 7), ``samples`` lines per doc
    (``sample_idx`` 0..samples-1); the first ``right[i]`` docs of task i are answered right in
    every sample (``correct`` logged); returns ``path``. ``ValueError`` if the lengths of
    ``tasks`` and ``right`` differ."""
    lines = [
        {"task": task, "doc_id": doc, "target": "7", "sample_idx": k, "correct": doc < n,
         "response": "The answer is 7." if doc < n else "The answer is 3."}
        for task, n in zip(tasks, right, strict=True) for doc in range(30)
        for k in range(samples)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path
