"""Write small lm-eval 0.4.8 ``--log_samples`` folders for the app tests.

Every value is computed here (no real benchmark text): two BBH-like greedy runs (``base``
and ``cand``, two tasks of 25 docs each; ``cand`` answers fewer correctly) and one math-like
run with 4 samples per item (``mathrun``), so pass@k columns appear.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

TS = "2025-01-02T03-04-05.000006"
BBH_TASKS = ("bbh_cot_fewshot_boolean_expressions", "bbh_cot_fewshot_object_counting")
MATH_TASK = "minerva_math_algebra"
N_DOCS = 25
# A response holding Rich markup: the app must show it verbatim, never parse it.
MARKUP_RESPONSE = "[bold red]not markup[/bold red] So the answer is 7."


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _results(tasks: list[str], repeats: int, until: list[str], sampling: bool) -> dict:
    gen = {
        "until": until,
        "max_gen_toks": 256,
        "do_sample": sampling,
        "temperature": 0.6 if sampling else 0.0,
    }
    filt = "get-answer" if not sampling else "none"
    configs = {}
    for task in tasks:
        configs[task] = {
            "task": task,
            "output_type": "generate_until",
            "generation_kwargs": gen,
            "repeats": repeats,
            "filter_list": [{"name": filt, "filter": [{"function": "take_first"}]}],
            "metric_list": [{"metric": "exact_match", "aggregation": "mean"}],
        }
    return {
        "results": {t: {"alias": t, f"exact_match,{filt}": 0.5} for t in tasks},
        "configs": configs,
        "config": {"model": "hf", "model_args": "pretrained=demo/tiny"},
        "lm_eval_version": "0.4.8",
        "tokenizer_eos_token": ["</s>", 2],
        "model_name": "demo/tiny",
        "model_name_sanitized": "demo__tiny",
    }


def _bbh_line(task: str, doc_id: int, correct: bool) -> dict:
    if task.endswith("object_counting"):
        target = str(3 + doc_id % 7)
        question = f"I have {target} apples and {doc_id} pears. How many apples do I have?"
    else:
        target = "True" if doc_id % 2 else "False"
        question = f"not not {target} and True is ({doc_id})"
    if doc_id == 0 and task.endswith("object_counting"):
        response = MARKUP_RESPONSE
        answer = "7"
    else:
        answer = target if correct else f"wrong{doc_id}"
        response = f"Let us count carefully, step {doc_id}. So the answer is {answer}."
    prompt = f"Q: {question}\nA: Let's think step by step.\n"
    score = 1.0 if answer == target else 0.0
    doc = {"input": question, "target": target}
    return {
        "doc_id": doc_id,
        "doc": doc,
        "target": target,
        "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": {"until": ["Q"]}}},
        "resps": [[response]],
        "filtered_resps": [answer],
        "filter": "get-answer",
        "metrics": ["exact_match"],
        "doc_hash": _sha(json.dumps(doc, indent=2)),
        "prompt_hash": _sha(prompt),
        "target_hash": _sha(target),
        "exact_match": score,
    }


def _math_line(doc_id: int, repeats: int) -> dict:
    target = str(10 + doc_id)
    problem = f"What is ${doc_id} + 10$?"
    prompt = f"Problem:\n{problem}\n\nSolution:"
    resps = []
    for k in range(repeats):
        value = target if (doc_id + k) % 3 else str(int(target) + 1)
        resps.append(f"Adding gives {value}. So the answer is $\\boxed{{{value}}}$.")
    doc = {"problem": problem, "solution": f"$\\boxed{{{target}}}$", "answer": target}
    first = str(10 + doc_id) if doc_id % 3 else str(11 + doc_id)
    return {
        "doc_id": doc_id,
        "doc": doc,
        "target": target,
        "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": {"until": ["Problem:"]}}},
        "resps": [resps],
        "filtered_resps": [first],
        "filter": "none",
        "metrics": ["exact_match"],
        "doc_hash": _sha(json.dumps(doc, indent=2)),
        "prompt_hash": _sha(prompt),
        "target_hash": _sha(target),
        "exact_match": 1.0 if first == target else 0.0,
    }


def write_runs(root: Path) -> dict[str, Path]:
    """Write the three run folders under ``root``; returns run name -> folder."""
    out = {}
    for run, wrong_every in (("base", 4), ("cand", 2)):
        folder = root / run / "demo__tiny"
        folder.mkdir(parents=True)
        (folder / f"results_{TS}.json").write_text(
            json.dumps(_results(list(BBH_TASKS), 1, ["</s>", "Q", "\n\n"], False), indent=2)
        )
        for task in BBH_TASKS:
            lines = [
                json.dumps(_bbh_line(task, d, correct=d % wrong_every != 1)) for d in range(N_DOCS)
            ]
            (folder / f"samples_{task}_{TS}.jsonl").write_text("\n".join(lines) + "\n")
        out[run] = root / run
    folder = root / "mathrun" / "demo__tiny"
    folder.mkdir(parents=True)
    (folder / f"results_{TS}.json").write_text(
        json.dumps(_results([MATH_TASK], 4, ["Problem:"], True), indent=2)
    )
    lines = [json.dumps(_math_line(d, 4)) for d in range(12)]
    (folder / f"samples_{MATH_TASK}_{TS}.jsonl").write_text("\n".join(lines) + "\n")
    out["mathrun"] = root / "mathrun"
    return out


def build_store(root: Path) -> Path:
    """Write the logs under ``root`` and ingest them into ``root/store.db``."""
    from capslice_tui.workspace import Workspace

    runs = write_runs(root / "logs")
    store = root / "store.db"
    ws = Workspace(store)
    ws.ingest([runs["base"]], run="base", benchmark="bbh", step=100)
    ws.ingest([runs["cand"]], run="cand", benchmark="bbh", step=200)
    ws.ingest([runs["mathrun"]], run="mathrun", benchmark="math", step=300)
    return store
