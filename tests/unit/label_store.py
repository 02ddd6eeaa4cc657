"""Build a small real store for label and concurrency tests (through the store's own API)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from capslice_tui.store import SAMPLE_COLUMNS, Store

TASKS = ("bbh_sorting", "bbh_dyck")


def sample_tuple(
    run_id: int, ingest_id: int, item_hash: str, task: str, doc: int, response: str, score: float
) -> tuple:
    values = {
        "run_id": run_id,
        "item_id": item_hash,
        "task": task,
        "filter": "strict",
        "doc_id": str(doc),
        "sample_idx": 0,
        "ingest_id": ingest_id,
        "prompt_hash": None,
        "response": response,
        "response_chars": len(response),
        "response_sha256": None,
        "extracted": None,
        "official": score,
        "score": score,
        "score_source": "harness",
        "lenient_extracted": None,
        "lenient": score,
        "failure_mode": "correct" if score else "wrong_answer",
        "failure_reason": None,
        "finish_reason": None,
        "n_output_tokens": None,
        "metrics": "{}",
    }
    return tuple(values.get(c) for c in SAMPLE_COLUMNS)  # columns added later stay NULL


def ingest_run(store: Store, run: str, n_items: int, *, prefix: str = "") -> list[int]:
    """Write run ``run`` with ``n_items`` items (rule labels on task_type); return item ids."""
    run_id, _ = store.ensure_run(
        run, model="m", step=None, tokens_seen=None, source_format="test", source_files=[], meta={}
    )
    store.put_run_tasks(
        run_id, [{"task": t, "benchmark": "bbh", "primary_filter": "strict"} for t in TASKS]
    )
    ingest_id = store.begin_ingest(run_id)
    items, samples, rules = [], [], []
    for i in range(n_items):
        task = TASKS[i % 2]
        h = hashlib.sha256(f"{prefix}item{i}".encode()).hexdigest()  # item hashes are sha256
        items.append((h, "bbh", task, str(i), f"question {i}", "A", json.dumps({"i": i})))
        samples.append(
            sample_tuple(run_id, ingest_id, h, task, i, f"response {i}", float(i % 3 == 0))
        )
        rules.append(
            (h, "task_type", "algorithmic" if task == "bbh_dyck" else "logical_deduction", "rule-1")
        )
    _, ids = store.write_batch(texts=[], items=items, samples=samples, rule_labels=rules)
    store.finish_ingest(ingest_id, run_id, n_read=n_items, n_new=n_items, bad=[])
    return [ids[it[0]] for it in items]


def make_store(path: Path, n_items: int = 12) -> tuple[Store, list[int]]:
    store = Store(path, busy_timeout_s=10)
    return store, ingest_run(store, "r1", n_items)


# ---- worker processes for the concurrency test (importable for multiprocessing spawn) ----
def annotate(path: str, who: str, rounds: int, barrier, out: str) -> None:
    """Label the shared slice ``rounds`` times; retry on conflict; record what happened.

    Values are unique per (annotator, round) so every successful action changes every item
    and must leave history rows (the store vocabulary check lives in the workspace).
    """
    from capslice_tui.store.labels import Conflict

    store = Store(path, busy_timeout_s=20)
    done, conflicts = [], []
    first = True
    for i in range(rounds):
        while True:
            version = store.get_named_slice("shared", with_items=False)["version"]
            if first:
                first = False
                barrier.wait()  # both annotators hold the same version: one must conflict
            try:
                r = store.label_named_slice(
                    "shared", {"task_type": f"{who}-{i}"}, expected_version=version, who=who
                )
            except Conflict as exc:
                conflicts.append(str(exc))
                continue
            done.append({"batch": r["batch"], "version": r["version"]})
            break
        store.set_labels(
            [i + 1],
            {"solving_operation": "casework"},
            who=who,
            source="hand",
            note=f"{who} round {i}",
        )
    Path(out).write_text(json.dumps({"done": done, "conflicts": conflicts}))


def ingest_in_background(path: str, n_items: int) -> None:
    """A third process ingesting a new run in several transactions meanwhile."""
    store = Store(path, busy_timeout_s=20)
    run_id, _ = store.ensure_run(
        "r2", model="m", step=None, tokens_seen=None, source_format="test", source_files=[], meta={}
    )
    store.put_run_tasks(
        run_id, [{"task": t, "benchmark": "bbh", "primary_filter": "strict"} for t in TASKS]
    )
    ingest_id = store.begin_ingest(run_id)
    for start in range(0, n_items, 100):
        items, samples = [], []
        for i in range(start, min(n_items, start + 100)):
            h = hashlib.sha256(f"r2-item{i}".encode()).hexdigest()
            items.append((h, "bbh", TASKS[i % 2], str(i), f"q {i}", "A", "{}"))
            samples.append(sample_tuple(run_id, ingest_id, h, TASKS[i % 2], i, f"resp {i}", 1.0))
        store.write_batch(texts=[], items=items, samples=samples)
    store.finish_ingest(ingest_id, run_id, n_read=n_items, n_new=n_items, bad=[])
