"""Generate a large capslice store directly (rows written with ``executemany``, no log parsing).

Usage:
    python benchmarks/big_store.py PATH [--runs 100] [--items 100000] [--text] [--force]

``--runs R --items N`` gives R greedy runs (checkpoints ``ckpt-000`` ... of one model, step
1000 * r) over the same N items (R * N samples; the default is the 10M-sample store of issue
14). Items are spread over 20 tasks of 4 benchmarks; each carries the four taxonomy axes
(task_type and output_constraint per task, background_condition and solving_operation per
item) as rule labels. A run's accuracy grows with its step (p = sigmoid(ability_r -
difficulty_i)); wrong samples are mostly ``wrong_answer`` with some extraction failures,
truncations, runaways and empty responses. ``--text`` writes ~600-character prompts and
responses (one in 7 prompts carries a Chinese sentence, for the CJK search check); otherwise
responses are ~60 characters.

The schema comes from the real store (``Store(path)`` runs every migration), then rows go in
with plain ``executemany`` in one transaction per run; the per-item (``item_scores``) and
per-slice (``slice_counts``) aggregates are filled as ingest fills them, so every command reads
the store as it would read an ingested one. An existing store at PATH is reused unless
``--force`` (the build takes a few minutes at 10M samples); ``ensure_store`` is what the other
benchmark scripts call.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import time
from itertools import repeat
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TASKS = [("bbh", f"bbh_cot_{name}") for name in (
    "boolean_expressions", "date_understanding", "dyck_languages", "logical_deduction",
    "multistep_arithmetic", "navigate", "object_counting", "penguins_in_a_table",
    "temporal_sequences", "tracking_shuffled_objects", "web_of_lies", "word_sorting",
)] + [("mmlu", f"mmlu_{name}") for name in (
    "abstract_algebra", "college_physics", "high_school_history", "professional_law",
    "sociology", "virology",
)] + [("gsm8k", "gsm8k"), ("math", "minerva_math_algebra")]  # fmt: skip
TASK_TYPES = ("logical_deduction", "state_tracking", "temporal_reasoning", "algorithmic",
              "counting_arithmetic", "table_reasoning", "word_problem")  # fmt: skip
OUTPUT = ("option_letter", "yes_no", "true_false", "integer", "final_number", "word_list")
BACKGROUND = ("self_contained", "commonsense", "world_knowledge")
OPERATIONS = ("boolean_evaluation", "deductive_inference", "state_update",
              "multi_step_arithmetic", "casework")  # fmt: skip
WRONG_MODES = (
    ("wrong_answer", 0.85),
    ("extraction_failure", 0.09),
    ("truncated", 0.03),
    ("runaway", 0.02),
    ("empty", 0.01),
)
FILTER = "flexible-extract"
CJK = "小明有三个苹果，他又买了五个，现在一共有几个苹果？"
WORDS = (
    "the answer follows from the premises so we count each step carefully and check the "
    "total against the question before writing the final line of the solution"
).split()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _filler(i: int, n_words: int) -> str:
    return " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(n_words))


def build(path: Path, runs: int, items: int, *, text: bool = False, seed: int = 0) -> None:
    """Write ``runs`` greedy runs over the same ``items`` items into a new store at ``path``.

    Raises:
        FileExistsError: ``path`` exists (callers delete it first to rebuild).
    """
    from capslice_tui.store import SAMPLE_COLUMNS, Store
    from capslice_tui.store.compact import pack_doc, to_blob
    from capslice_tui.store.schema import SLICE_COUNTS_FILL

    if path.exists():
        raise FileExistsError(path)
    Store(path).close()  # schema: every migration, as a user's store has it
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")  # 400 MB
    n_tasks = len(TASKS)
    task_of = np.arange(items) % n_tasks
    doc_of = np.arange(items) // n_tasks
    difficulty = rng.normal(0.0, 1.3, items)
    background = rng.integers(0, len(BACKGROUND), items)
    operation = rng.integers(0, len(OPERATIONS), items)
    words = 90 if text else 8

    # ---- items, prompts, labels (shared by every run) -------------------------------
    conn.execute("BEGIN")
    now = "2026-11-30T00:00:00+00:00"
    item_rows, text_rows, label_rows, axes_rows = [], [], [], []
    prompt_hash = []
    for i in range(items):
        bench, task = TASKS[task_of[i]]
        question = f"Q{i}: {_filler(i, words // 2)}?"
        if i % 7 == 3:
            question += " " + CJK
        target = str(int(doc_of[i]) % 97)
        prompt = f"Answer the question.\n{question}\nA:"
        h = to_blob(_sha(prompt))  # hashes as 32-byte blobs, docs packed (0021_narrow_store)
        prompt_hash.append(h)
        text_rows.append((h, prompt))
        doc = json.dumps(
            {"question": question, "answer": target}, separators=(",", ":"), ensure_ascii=False
        )
        item_rows.append(
            (i + 1, to_blob(_sha(f"{bench}/{task}/{doc_of[i]}")), bench, task, str(doc_of[i]),
             question, target, pack_doc(doc, question, target))
        )  # fmt: skip
        axes = {
            "background_condition": BACKGROUND[background[i]],
            "task_type": TASK_TYPES[task_of[i] % len(TASK_TYPES)],
            "solving_operation": OPERATIONS[operation[i]],
            "output_constraint": OUTPUT[task_of[i] % len(OUTPUT)],
        }
        for axis, value in axes.items():
            label_rows.append((i + 1, axis, value, "rule", f"gen.{axis}", "taxonomy", now))
        axes_rows.append((i + 1, *axes.values(), json.dumps(dict.fromkeys(axes, "rule"))))
    conn.executemany("INSERT INTO texts (hash, text) VALUES (?, ?)", text_rows)
    conn.executemany(
        "INSERT INTO items (id, item_hash, benchmark, task, doc_id, question, target, doc)"
        " VALUES (?,?,?,?,?,?,?,?)",
        item_rows,
    )
    conn.executemany(
        "INSERT INTO labels (item_id, axis, value, source, origin, who, at) VALUES (?,?,?,?,?,?,?)",
        label_rows,
    )
    conn.executemany(
        "INSERT INTO item_axes (item_id, background_condition, task_type, solving_operation,"
        " output_constraint, sources) VALUES (?,?,?,?,?,?)",
        axes_rows,
    )
    conn.execute("COMMIT")
    targets = [r[6] for r in item_rows]
    del item_rows, text_rows, label_rows, axes_rows

    # samples in the order ingest writes them: task by task, doc by doc
    order = np.lexsort((doc_of, task_of))
    item_ids = (order + 1).tolist()
    tasks_col = [TASKS[t][1] for t in task_of[order]]
    docs_col = [str(d) for d in doc_of[order]]
    prompts_col = [prompt_hash[i] for i in order]
    targets_col = [targets[i] for i in order]
    mode_names = [m for m, _ in WRONG_MODES]
    mode_p = np.array([p for _, p in WRONG_MODES])
    settings = json.dumps({"num_fewshot": 3, "harness": "lm-eval"}, sort_keys=True)
    settings_id = conn.execute(
        "INSERT INTO eval_settings (hash, settings) VALUES (?, ?)",
        (to_blob(_sha(settings)), settings),
    ).lastrowid

    # read-only indexes are built once after the load (as ``finish_ingest`` does after a bulk)
    index_sql = [
        row[0]
        for row in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('samples', 'item_scores')"
        )
    ]
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('samples', 'item_scores')"
    ).fetchall():
        conn.execute(f"DROP INDEX {name}")
    for r in range(runs):
        name = f"ckpt-{r:03d}"
        ability = -0.6 + 2.0 * r / max(1, runs - 1)
        p = 1.0 / (1.0 + np.exp(-(ability - difficulty[order])))
        score = (rng.random(items) < p).astype(float)
        modes = np.where(
            score > 0, "correct", np.array(mode_names)[rng.choice(len(mode_names), items, p=mode_p)]
        )
        lenient = np.where((modes == "extraction_failure") & (rng.random(items) < 0.5), 1.0, score)
        conn.execute("BEGIN")
        run_id = conn.execute(
            "INSERT INTO runs (name, model, step, source_format, source_files, meta, status,"
            " n_samples, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (name, "gen-7b", 1000 * (r + 1), "lm-eval", "[]", json.dumps({"generated": True}),
             "complete", items, now, "big_store"),
        ).lastrowid  # fmt: skip
        ingest_id = conn.execute(
            "INSERT INTO ingests (run_id, started_at, finished_at, who, status, n_read, n_new)"
            " VALUES (?,?,?,?,?,?,?)",
            (run_id, now, now, "big_store", "committed", items, items),
        ).lastrowid
        conn.executemany(
            "INSERT INTO run_tasks (run_id, task, benchmark, primary_filter, filters,"
            " max_gen_toks, temperature, do_sample, repeats, num_fewshot)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(run_id, t, b, FILTER, json.dumps([FILTER]), 512, 0.0, 0, 1, 3) for b, t in TASKS],
        )
        extracted = [
            t if s > 0 else ("[invalid]" if m == "extraction_failure" else str((int(t) + 1) % 97))
            for t, s, m in zip(targets_col, score.tolist(), modes.tolist(), strict=True)
        ]
        if text:
            response = [
                f"Let's think step by step. {_filler(i + r, words)} So the answer is {e}."
                for i, e in enumerate(extracted)
            ]
        else:
            response = [
                f"{_filler(i + r, words)} The answer is {e}." for i, e in enumerate(extracted)
            ]
        values = {
            "run_id": repeat(run_id),
            "item_id": item_ids,
            "task": tasks_col,
            "filter": repeat(FILTER),
            "doc_id": docs_col,
            "sample_idx": repeat(0),
            "ingest_id": repeat(ingest_id),
            "prompt_hash": prompts_col,
            "response": response,
            "response_chars": [len(x) for x in response],
            "extracted": extracted,
            "official": score.tolist(),
            "score": score.tolist(),
            "score_source": repeat("harness"),
            "lenient_extracted": extracted,
            "lenient": lenient.tolist(),
            "failure_mode": modes.tolist(),
            "finish_reason": repeat("stop"),
            "n_output_tokens": [len(x) // 4 for x in response],
            "metrics": [json.dumps({"exact_match": s}) for s in score.tolist()],
            "settings_id": repeat(settings_id),
        }
        stored = ["settings_id" if c == "settings_hash" else c for c in SAMPLE_COLUMNS]
        columns = [values.get(c, repeat(None)) for c in stored]
        conn.executemany(
            f"INSERT INTO samples ({', '.join(stored)}) "
            f"VALUES ({', '.join('?' for _ in SAMPLE_COLUMNS)})",
            zip(*columns, strict=False),
        )
        conn.executemany(
            "INSERT INTO item_scores (run_id, task, filter, item_id, n, c, c_lenient)"
            " VALUES (?,?,?,?,1,?,?)",
            zip(repeat(run_id), tasks_col, repeat(FILTER), item_ids, score.tolist(),
                lenient.tolist(), strict=False),
        )  # fmt: skip
        conn.execute(SLICE_COUNTS_FILL.format(where="WHERE s.run_id = ?"), (run_id,))
        _after_run(conn, run_id)
        conn.execute("COMMIT")
        done = (r + 1) * items
        print(f"\r{name}: {done:,} samples, {time.perf_counter() - t0:.0f} s", end="", flush=True)
    print()
    for sql in index_sql:
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.close()
    print(f"built {path} ({runs * items:,} samples) in {time.perf_counter() - t0:.0f} s")


def _after_run(conn: sqlite3.Connection, run_id: int) -> None:
    """Whatever ingest maintains besides ``item_scores``/``slice_counts`` (store.aggregates)."""
    from capslice_tui.store import aggregates

    refresh_run = getattr(aggregates, "refresh_run", None)  # a per-run aggregate, if any
    if refresh_run is not None:
        refresh_run(conn, run_id)


def ensure_store(path: Path, runs: int, items: int, *, text: bool = False) -> Path:
    """``path`` when it already holds a generated store of this shape, else build it there.

    Raises:
        SystemExit: ``path`` exists but this script did not build it with this shape (no
            marker file beside it): a store it did not build is never deleted or overwritten
            (a copy of a generated store needs its marker copied too; ``big_store.py PATH
            --force`` rebuilds on purpose).
    """
    marker = path.with_suffix(path.suffix + f".{runs}x{items}{'t' if text else ''}.ok")
    if path.exists() and marker.exists():
        return path
    if path.exists():
        raise SystemExit(
            f"{path} exists but is not a generated store of {runs} runs x {items} items (no"
            f" {marker.name} beside it); it is left as it is. Give a new path, copy the marker"
            f" with a copied store, or rebuild on purpose: python benchmarks/big_store.py"
            f" {path} --runs {runs} --items {items} --force"
        )
    for p in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    build(path, runs, items, text=text)
    marker.write_text("ok\n")
    return path


def main() -> None:
    """Command line: build (or reuse) a generated store."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--text", action="store_true", help="long prompts and responses (+ CJK)")
    ap.add_argument("--force", action="store_true", help="rebuild even if the store exists")
    args = ap.parse_args()
    if args.force:
        for p in (args.path, Path(f"{args.path}-wal"), Path(f"{args.path}-shm")):
            p.unlink(missing_ok=True)
    ensure_store(args.path, args.runs, args.items, text=args.text)


if __name__ == "__main__":
    main()
