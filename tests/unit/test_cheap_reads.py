"""The cheap read paths answer as the full ones do: sample pages walk a run's id range, the runs
listing of a greedy run reads its per-task counts instead of one row per item."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from capslice_tui.workspace import Workspace

TS = "2026-01-01T00-00-00.000000"


def write_task(folder: Path, task: str, n: int, wrong_every: int, repeats: int = 1) -> Path:
    """``n`` lm-eval 0.4 GSM8K-style items of ``task``, ``repeats`` samples each; sample r of
    item d is wrong when ``(d + r) % wrong_every == 0``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for d in range(n):
        answers = ["17" if (d + r) % wrong_every == 0 else "18" for r in range(repeats)]
        lines.append(
            json.dumps(
                {
                    "doc_id": d,
                    "doc": {"question": f"{task}: how many apples, case {d}?", "answer": "#### 18"},
                    "target": "#### 18",
                    "arguments": {"gen_args_0": {"arg_0": f"Question: q{d}\nAnswer:"}},
                    "resps": [[f"so #### {a}" for a in answers]],
                    "filtered_resps": [answers if repeats > 1 else answers[0]],
                    "filter": "strict-match",
                    "metrics": ["exact_match"],
                    "exact_match": float(answers[0] == "18"),
                }
            )
        )
    (folder / f"samples_{task}_{TS}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_pages_of_a_run_ingested_around_another(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    ws = Workspace(store)
    # run a's samples lie on both sides of run b's: ids a..., b..., a...
    ws.ingest([write_task(tmp_path / "a1", "gsm8k", 30, 3)], run="a")
    ws.ingest([write_task(tmp_path / "b", "gsm8k", 25, 2)], run="b")
    ws.ingest([write_task(tmp_path / "a2", "gsm_extra", 20, 4)], run="a")
    conn = sqlite3.connect(store)
    cases: list[tuple[str, dict]] = [
        ("a", {}),
        ("b", {}),
        ("a", {"correct": False}),
        ("b", {"correct": True}),
        ("a", {"task": "gsm_extra"}),
        ("a", {"task": "gsm8k", "correct": False}),
    ]
    for run, kwargs in cases:
        run_id = conn.execute("SELECT id FROM runs WHERE name = ?", (run,)).fetchone()[0]
        sql = "SELECT id FROM samples WHERE run_id = ?"
        params: list = [run_id]
        if "correct" in kwargs:
            sql += " AND score " + ("> 0" if kwargs["correct"] else "= 0")
        if "task" in kwargs:
            sql += " AND task = ?"
            params.append(kwargs["task"])
        expected = [r[0] for r in conn.execute(sql + " ORDER BY id", params)]
        assert expected
        got: list[int] = []
        after = 0
        while True:
            rows, more = ws.samples(run, limit=7, after_id=after, **kwargs)
            got += [r["id"] for r in rows]
            if not more:
                break
            after = rows[-1]["id"]
        assert got == expected, (run, kwargs)
    assert len(ws.samples("a", limit=100)[0]) == 50
    assert len(ws.samples("a", correct=False, limit=100)[0]) == 10 + 5


@pytest.mark.parametrize("average", ["micro", "macro"])
def test_runs_listing_from_counts_equals_the_per_item_one(tmp_path: Path, average: str) -> None:
    ws = Workspace(tmp_path / "s.db")
    logs = tmp_path / "greedy"
    write_task(logs, "gsm8k", 30, 3)
    write_task(logs, "gsm_extra", 7, 2)
    ws.ingest([logs], run="greedy", benchmark="gsm")
    ws.ingest([write_task(tmp_path / "multi", "gsm8k", 12, 3, repeats=4)], run="multi")
    fast = ws.runs(average)
    ws.store.slice_count_rows = lambda *a, **k: []  # force the per-item read
    slow = ws.runs(average)
    assert fast == slow
    gsm = fast[0]["benchmarks"]["gsm"]
    assert (gsm["n_items"], gsm["correct"], gsm["n_tasks"]) == (37, 20 + 3, 2)
    assert fast[1]["benchmarks"]["gsm8k"]["n_samples"] == 48  # read per item
