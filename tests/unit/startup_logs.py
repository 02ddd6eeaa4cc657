"""The small lm-eval log the start-up tests ingest (``test_import_cost``,
``test_startup_imports``): one fixture, so the two files check the same store."""

from __future__ import annotations

import json
from pathlib import Path


def write_gsm8k_run(folder: Path) -> Path:
    """Twelve lm-eval 0.4 GSM8K-style samples (one per doc, filter ``strict-match``), eight of
    them right, in ``folder`` (created); returns ``folder``."""
    folder.mkdir(parents=True)
    lines = []
    for d in range(12):
        answer = "18" if d < 8 else "17"
        lines.append(
            json.dumps(
                {
                    "doc_id": d,
                    "doc": {"question": f"how many apples, case {d}?", "answer": "#### 18"},
                    "target": "#### 18",
                    "arguments": {"gen_args_0": {"arg_0": f"Question: q{d}\nAnswer:"}},
                    "resps": [[f"so #### {answer}"]],
                    "filtered_resps": [answer],
                    "filter": "strict-match",
                    "metrics": ["exact_match"],
                    "exact_match": float(answer == "18"),
                }
            )
        )
    (folder / "samples_gsm8k_2026-01-01T00-00-00.000000.jsonl").write_text("\n".join(lines))
    return folder
