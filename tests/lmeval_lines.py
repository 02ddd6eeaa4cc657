"""lm-eval 0.4 GSM8K-style sample lines for tests: one builder instead of a copy per test file.

``tests/`` is on ``sys.path`` (pytest inserts the folder of ``tests/conftest.py``), so any
test imports it as ``from lmeval_lines import gsm8k_line``.
"""

from __future__ import annotations

import json
from pathlib import Path

TS = "2026-01-01T00-00-00.000000"
"""The timestamp lm-eval writes into ``samples_<task>_<TS>.jsonl`` names."""


def gsm8k_line(
    doc_id: int,
    extracted: str,
    em: float,
    *,
    filt: str = "strict-match",
    question: str | None = None,
    response: str | None = None,
    until: bool = True,
) -> str:
    """One lm-eval 0.4 GSM8K sample line as JSON text (target ``#### 18``).

    ``extracted`` is the filtered answer, ``em`` the logged exact_match; the question defaults
    to ``How many apples, case {doc_id}?`` and the response to ``so #### {extracted}``;
    ``until`` logs the stop sequence ``Question:`` in the generation arguments."""
    arguments: dict[str, object] = {"arg_0": f"Question: q{doc_id}\nAnswer:"}
    if until:
        arguments["arg_1"] = {"until": ["Question:"]}
    return json.dumps(
        {
            "doc_id": doc_id,
            "doc": {
                "question": question or f"How many apples, case {doc_id}?",
                "answer": "#### 18",
            },
            "target": "#### 18",
            "arguments": {"gen_args_0": arguments},
            "resps": [[response if response is not None else f"so #### {extracted}"]],
            "filtered_resps": [extracted],
            "filter": filt,
            "metrics": ["exact_match"],
            "exact_match": em,
        }
    )


def write_gsm8k_file(folder: Path, lines: list[str], task: str = "gsm8k") -> Path:
    """Write ``lines`` as ``folder/samples_<task>_<TS>.jsonl`` (folder created); returns the
    file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"samples_{task}_{TS}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_gsm8k_run(folder: Path, n_right: int = 8) -> Path:
    """Twelve GSM8K samples (one per doc, filter ``strict-match``), the first ``n_right`` of
    them right, in ``folder`` (created; it must not exist); returns ``folder``."""
    folder.mkdir(parents=True)
    answers = ["18" if d < n_right else "17" for d in range(12)]
    lines = [
        gsm8k_line(d, a, float(a == "18"), question=f"how many apples, case {d}?", until=False)
        for d, a in enumerate(answers)
    ]
    write_gsm8k_file(folder, lines)
    return folder
