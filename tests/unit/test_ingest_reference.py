"""The stored results of a small reference ingest never change when the write path is sped up.

Three demo runs of ``sample_data`` (greedy BBH at two checkpoints sharing items, math with
several samples per item) and case fixtures (fm-01 runaways, ext-02/ext-03/ext-04/ext-05
extraction, ing-02 generic logs scored by capslice, ing-03 repeated lines) are ingested into
one store, and everything results depend on is read back: per sample the official, strict and
lenient scores, both extracted answers, failure mode, reason and signals, response length,
finish reason, metrics and evaluation settings; per item its rule labels and effective axes;
per run its item scores, slice counts, task settings and totals. Items are named by their
content (benchmark, task, doc_id, question, target), never by store ids or hashes, so the
comparison survives a change of how identities are stored. Texts (responses, prompts, docs,
reasoning) are compared by their sha256.

The expected values were recorded from the code before the ingest speed work (issue 14) with
``CAPSLICE_RECORD_REFERENCE=1 pytest tests/unit/test_ingest_reference.py``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from capslice_tui.vocabulary import AXES
from capslice_tui.workspace import Workspace
from capslice_tui.workspace import ingest as ingest_module

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "fixtures" / "cases"
LM_EVAL = REPO / "sample_data" / "lm_eval"
EXPECTED = REPO / "tests" / "fixtures" / "ingest_reference" / "expected.json.gz"

# (run, path, benchmark): ingested in this order into one store
INPUTS: list[tuple[str, Path, str | None]] = [
    ("bbh-base", LM_EVAL / "bbh-base", "bbh"),
    ("bbh-eos-masked", LM_EVAL / "bbh-eos-masked", "bbh"),
    ("math-base", LM_EVAL / "math-base", "math"),
    ("fm01", CASES / "fm-01-runaway" / "out", None),
    ("ext02", CASES / "ext-02-answer-prefix-repeated" / "mmlu_allresults_flat.jsonl", "mmlu"),
    ("ext03", CASES / "ext-03-letter-then-text" / "mmlu_pro_preds.jsonl", "mmlu_pro"),
    ("ext04-base", CASES / "ext-04-recited-fewshot" / "pair_base", None),
    ("ext04-cand", CASES / "ext-04-recited-fewshot" / "pair_cand", None),
    ("ext05", CASES / "ext-05-markup-in-text" / "llama2chat_arith.jsonl", "arith"),
    ("ing02-math", CASES / "ing-02-generic-ids" / "math_samples.jsonl", None),
    ("ing02-code", CASES / "ing-02-generic-ids" / "codegen_samples.jsonl", None),
    ("ing03-dup", CASES / "ing-03-small-faults" / "m5_dup", None),
]


def _sha(text: str | None) -> str | None:
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _item_keys(conn: Any) -> dict[int, str]:
    """item id -> its content key ``benchmark|task|doc_id|sha(question)|target``."""
    return {
        r[0]: f"{r[1]}|{r[2]}|{r[3]}|{_sha(r[4])}|{r[5]}"
        for r in conn.execute("SELECT id, benchmark, task, doc_id, question, target FROM items")
    }


def _sources(stored: str | None) -> str | None:
    """``item_axes.sources`` in the form recorded (every axis, ``null`` when unlabelled):
    since 0017_compact_samples the store keeps only the labelled axes."""
    if stored is None:
        return None
    found = json.loads(stored)
    return json.dumps({axis: found.get(axis) for axis in AXES})


def dump(ws: Workspace) -> dict[str, Any]:
    """Everything results depend on, keyed by content (see the module docstring)."""
    conn = ws.store.conn
    keys = _item_keys(conn)
    runs = {r[0]: r[1] for r in conn.execute("SELECT id, name FROM runs")}
    # whole prompts as readers see them (0024: a shared few-shot head is stored once)
    texts = {r[0]: r[1] for r in conn.execute("SELECT hash, text FROM prompt_texts")}
    settings = {r[0]: json.loads(r[1]) for r in conn.execute("SELECT id, settings FROM eval_settings")}  # fmt: skip
    out: dict[str, Any] = {}
    out["runs"] = sorted(
        [r["name"], r["n_samples"], r["n_bad"], r["status"], r["model"], r["step"]]
        for r in conn.execute("SELECT * FROM runs")
    )
    out["run_tasks"] = sorted(
        [runs[r["run_id"]], r["task"], r["benchmark"], r["primary_filter"], r["filters"],
         r["max_gen_toks"], r["until"], r["temperature"], r["do_sample"], r["repeats"],
         r["eos_token"], r["num_fewshot"]]
        for r in conn.execute("SELECT * FROM run_tasks")
    )  # fmt: skip
    out["items"] = sorted(
        [keys[r["id"]], _sha(r["doc"])]  # the doc as read (0021_narrow_store packs it)
        for r in conn.execute("SELECT id, capslice_doc(doc, question, target) AS doc FROM items")
    )
    out["labels"] = sorted(
        [keys[r["item_id"]], r["axis"], r["value"], r["source"], r["origin"], r["who"]]
        for r in conn.execute("SELECT * FROM labels")
    )
    out["item_axes"] = sorted(
        [keys[r["item_id"]], r["background_condition"], r["task_type"], r["solving_operation"],
         r["output_constraint"], _sources(r["sources"])]
        for r in conn.execute("SELECT * FROM item_axes")
    )  # fmt: skip
    out["item_scores"] = sorted(
        [runs[r["run_id"]], r["task"], r["filter"], keys[r["item_id"]], r["n"], r["c"],
         r["c_lenient"]]
        for r in conn.execute("SELECT * FROM item_scores")
    )  # fmt: skip
    out["slice_counts"] = sorted(
        [runs[r["run_id"]], r["task"], r["filter"], r["background_condition"], r["task_type"],
         r["solving_operation"], r["output_constraint"], r["n_items"], r["n_samples"], r["c"],
         r["max_n"], r["fractional"], r["c_lenient"]]
        for r in conn.execute("SELECT * FROM slice_counts")
    )  # fmt: skip
    samples = []
    for r in conn.execute("SELECT * FROM samples"):
        samples.append(
            [runs[r["run_id"]], r["task"], r["filter"], r["doc_id"], r["sample_idx"],
             keys[r["item_id"]], _sha(texts.get(r["prompt_hash"])) if r["prompt_hash"] else None,
             _sha(r["response"]), r["response_chars"], r["response_sha256"], r["extracted"],
             r["official"], r["score"], r["score_source"], r["lenient_extracted"], r["lenient"],
             r["failure_mode"], r["failure_reason"], r["failure_signals"], r["finish_reason"],
             r["n_output_tokens"], r["metrics"],
             settings.get(r["settings_id"]) if r["settings_id"] else None,
             _sha(r["reasoning"]), r["reasoning_chars"]]
        )  # fmt: skip
    out["samples"] = sorted(samples, key=lambda s: [str(v) for v in s[:5]])
    return out


def reference_store(tmp_path: Path) -> tuple[Workspace, list[dict[str, Any]]]:
    """Ingest every reference input into a fresh store; returns it and the ingest reports."""
    ws = Workspace(tmp_path / "ref.db")
    reports = []
    for run, path, benchmark in INPUTS:
        report = ws.ingest([path], run=run, benchmark=benchmark)
        d = report.to_dict()
        d.pop("bad", None)
        d["notes"] = [n.replace(str(REPO), "<repo>") for n in d["notes"]]
        d["warnings"] = [n.replace(str(REPO), "<repo>") for n in d["warnings"]]
        reports.append({"run": run, **d})
    # ingesting the same files again stores nothing new and changes nothing
    again = ws.ingest([INPUTS[0][1]], run=INPUTS[0][0], benchmark=INPUTS[0][2])
    reports.append({"again": again.runs})
    return ws, reports


def _normalise(value: Any) -> Any:
    return json.loads(json.dumps(value))


def test_reference_ingest_stores_the_recorded_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a batch of 480 long responses (bbh-eos-masked) is scored half in a worker process
    monkeypatch.setattr(ingest_module, "POOL_MIN", 100)
    workers: list[bool] = []
    real_worker = ingest_module._Memo._worker

    def spy(self: Any) -> Any:
        pool = real_worker(self)
        workers.append(pool is not None)
        return pool

    monkeypatch.setattr(ingest_module._Memo, "_worker", spy)
    ws, reports = reference_store(tmp_path)
    actual = _normalise({"reports": reports, **dump(ws)})
    if os.environ.get("CAPSLICE_RECORD_REFERENCE"):
        EXPECTED.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(EXPECTED, "wt", encoding="utf-8") as f:
            json.dump(actual, f, separators=(",", ":"))
        pytest.skip(f"recorded {EXPECTED}")
    with gzip.open(EXPECTED, "rt", encoding="utf-8") as f:
        expected = json.load(f)
    assert sorted(actual) == sorted(expected)
    for section in expected:
        exp, act = expected[section], actual[section]
        if exp == act:
            continue
        n = min(len(exp), len(act))
        first = next((i for i in range(n) if exp[i] != act[i]), n)
        pytest.fail(
            f"{section}: {len(act)} rows stored, {len(exp)} recorded; first difference at row "
            f"{first}:\n  recorded {exp[first] if first < len(exp) else None}\n"
            f"  stored   {act[first] if first < len(act) else None}"
        )
    # the reference exercises what the fast path must keep: shared items, several samples
    # per item, capslice scoring, lenient rescues, failure modes and repeats
    runs = {r[0]: r for r in expected["runs"]}
    assert len(runs) == len(INPUTS)
    assert any(r["scored_by_capslice"] for r in expected["reports"] if "run" in r)
    assert any(r["n_repeats"] for r in expected["reports"] if "run" in r)
    assert expected["reports"][-1] == {"again": {"bbh-base": 0}}
    modes = {s[16] for s in expected["samples"]}
    assert {"wrong_answer", "extraction_failure", "runaway", "truncated"} <= modes
    assert max(s[4] for s in expected["samples"]) > 0  # several samples per item
    if not os.environ.get("CAPSLICE_RECORD_REFERENCE"):
        assert any(workers), "the worker-process scoring path was not exercised"
