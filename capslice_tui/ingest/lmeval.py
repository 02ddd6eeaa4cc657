"""EleutherAI lm-evaluation-harness 0.4.x per-sample logs (``--log_samples``).

Layouts read (formats.md §1):

* 0.4.3+: ``samples_<task>_<ts>.jsonl`` (JSONL, ``gen_args_i``/``arg_j`` arguments, hashes;
  ``filter``/``metrics`` keys from 0.4.8) beside ``results_<ts>.json``.
* 0.4.0-0.4.2: ``<model_args>_<task>.jsonl`` holding one pretty-printed JSON array, list-form
  ``arguments``, no ``filter``, beside ``results.json``. The filter is inferred from the
  position of a line among the lines of the same ``doc_id``, in
  ``configs[task].filter_list`` order (``none`` when the task has no filter list).
* mid-2024 dev snapshots: ``samples_<task>_<ts>.json`` JSON arrays.

Timestamps: one output folder can hold several runs of the same model. When directories are
given and their samples files carry more than one timestamp, :func:`plan_lmeval` refuses with
a message listing them; naming the files of one run explicitly (a "specific file set")
bypasses the check and reads exactly those files.

Repeats: with ``repeats: K`` a generation line carries K strings in ``resps[0]``, and its
metric scores the one answer its filter kept (:func:`filter_kind`, from the filter's pipeline
in the results file's ``filter_list``, else its name): for a ``take_first`` filter
(``score-first``, ``none``) the line becomes K records (``sample_idx`` 0..K-1), record 0
holding the line's score and filtered answer, the others ``correct=None`` (the store scores
them); for a ``majority_vote`` filter (``maj@k``) it becomes ONE record, the voted answer
(response and extracted) with the line's score: a vote is one sample per doc, and pass@k over
it means nothing. Any other filter: K records with ``correct=None`` (``extracted`` set when
``filtered_resps`` is itself a per-sample list) and a warning that the log's score went to no
generation. The logged metrics are kept in ``metrics`` of record 0 only.

Generation settings: every generation line carries the request's arguments
(``arguments.gen_args_0.arg_1``: ``until``, ``max_gen_toks``, ``do_sample``, ``temperature``...).
The first line's are the task's settings (:func:`line_settings`, when the read is planned),
also without a results file; where the results file's ``generation_kwargs`` say otherwise the
lines' are kept and a warning names both. A line whose arguments differ from its file's first
line keeps its own as its record's ``settings`` (a warning counts them), so ``diagnose`` and
``trend`` see the difference. Lines that name no filter, without a results file naming the
task's filters: when every doc_id has k >= 2 lines sharing the response and differing in
``filtered_resps``, the filters are ``unnamed-1``..``unnamed-k`` by position
(:func:`positional_filters`).

Multiple-choice (loglikelihood) lines: ``response`` is the continuation text of the choice
with the highest log-likelihood, ``correct`` comes from ``acc``.

Official score: the first metric named by the line's ``metrics`` list (0.4.8+), else by the
task's ``metric_list`` in the results file (0.4.3-0.4.5 lines name none; IFEval's boolean
``prompt_level_strict_acc`` is then the score, not a re-score against its placeholder target
``0``), else a known correctness metric. A NaN/"N/A" value leaves ``correct`` None with the
metric None, which the ingest counts as a missing score.

Checks against the results file, reported as notes/warnings in the stream (``BadLine.note``):
distinct ``doc_id`` per task vs ``n-samples``; reported task and group scores vs the samples'
micro mean, naming the macro mean when that is what a group reports. The samples layout is
``run_meta["schema_variant"]``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from capslice_tui.ingest._io import (
    first_nonspace,
    first_object,
    iter_json_records,
    iter_jsonl,
    load_json,
    loads,
    metric_value,
    read_head,
    strip_gz,
)
from capslice_tui.ingest._names import benchmark_for
from capslice_tui.ingest.records import BadLine, ReadContext, SampleRecord, TaskConfig

_SAMPLES_RE = re.compile(r"^samples_(?P<task>.+)_(?P<ts>\d{4}-\d{2}-\d{2}T[0-9\-.:]+)\.jsonl?$")
_RESULTS_RE = re.compile(r"^results(?:_(?P<ts>\d{4}-\d{2}-\d{2}T[0-9\-.:]+))?\.json$")
_NOT_METRICS = frozenset(
    {
        "doc_id",
        "doc",
        "target",
        "arguments",
        "resps",
        "filtered_resps",
        "filter",
        "metrics",
        "doc_hash",
        "prompt_hash",
        "target_hash",
        "task_name",
    }
)
_CORRECTNESS_KEYS: tuple[str, ...] = ("exact_match", "acc", "math_verify", "acc_norm", "pass@1")
_ABSENT = object()


@dataclass
class LmEvalPlan:
    """Which files make up one lm-eval read.

    Attributes:
        samples: (path, task) pairs, task taken from the file name or the results configs.
        results: the results files whose settings apply (matched by timestamp).
        timestamps: timestamps seen on the samples files.
    """

    samples: list[tuple[Path, str]] = field(default_factory=list)
    results: list[Path] = field(default_factory=list)
    timestamps: list[str] = field(default_factory=list)


def is_results_doc(obj: Any) -> bool:
    """True for a parsed lm-eval results document (``results`` plus ``configs``/``config``)."""
    return isinstance(obj, dict) and "results" in obj and ("configs" in obj or "config" in obj)


def is_samples_record(obj: Any) -> bool:
    """True for an lm-eval samples record: ``doc_id`` plus resps/filtered_resps/arguments."""
    return (
        isinstance(obj, dict)
        and "doc_id" in obj
        and ("resps" in obj or "filtered_resps" in obj or "arguments" in obj)
    )


def _legacy_task(stem: str, known_tasks: list[str]) -> str:
    """Task of a ``<model_args>_<task>`` stem: the longest known task it ends with, else the
    text after the first ``_`` of the last ``__``-separated segment."""
    for task in sorted(known_tasks, key=len, reverse=True):
        if stem == task or stem.endswith("_" + task):
            return task
    last = stem.rsplit("__", 1)[-1]
    return last.split("_", 1)[1] if "_" in last else last


def plan_lmeval(files: list[Path], explicit: bool) -> LmEvalPlan:
    """Sort files into samples and results files and check timestamps.

    Args:
        files: candidate files (directories already walked).
        explicit: True when the user named the files (no multi-timestamp refusal).

    Raises:
        ValueError: several timestamps in directory input (lists them and says to pass the
            files of one run), or no samples file at all.
    """
    plan = LmEvalPlan()
    results_by_ts: dict[str | None, Path] = {}
    legacy: list[Path] = []
    for path in files:
        name = strip_gz(path.name)
        result_match = _RESULTS_RE.match(name)
        if result_match:
            results_by_ts[result_match.group("ts")] = path
            continue
        sample_match = _SAMPLES_RE.match(name)
        if sample_match:
            plan.samples.append((path, sample_match.group("task")))
            if sample_match.group("ts") not in plan.timestamps:
                plan.timestamps.append(sample_match.group("ts"))
            continue
        if name.endswith((".json", ".jsonl")):
            from capslice_tui.ingest.detect import sniff_file  # detect imports this module

            kind = sniff_file(path)
            if kind == "lm-eval-results":
                results_by_ts[None] = path
            elif kind == "lm-eval-samples":
                legacy.append(path)
    plan.timestamps.sort()
    if len(plan.timestamps) > 1 and not explicit:
        listed = "\n  ".join(plan.timestamps)
        raise ValueError(
            "lm-eval output holds several runs (samples timestamps):\n  "
            f"{listed}\npass the samples_*_<ts>.jsonl and results_<ts>.json files of one run"
        )
    for ts in plan.timestamps:
        if ts in results_by_ts:
            plan.results.append(results_by_ts[ts])
    if not plan.results and None in results_by_ts:
        plan.results.append(results_by_ts[None])
    if not plan.results and len(results_by_ts) == 1:
        plan.results.extend(results_by_ts.values())
    if legacy:
        known: list[str] = []
        for results_path in plan.results:
            doc = load_json(results_path)
            known.extend((doc.get("configs") or {}).keys())
            known.extend((doc.get("results") or {}).keys())
        for path in legacy:
            stem = strip_gz(path.name).rsplit(".", 1)[0]
            plan.samples.append((path, _legacy_task(stem, known)))
    if not plan.samples:
        raise ValueError("no lm-eval samples files among: " + ", ".join(str(f) for f in files))
    return plan


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _as_float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def read_results(path: Path, ctx: ReadContext) -> None:
    """Fill ``ctx`` from one results file: groups, per-task TaskConfig and run metadata.

    Raises:
        ValueError: the file is not valid JSON or not an lm-eval results document.
    """
    doc = load_json(path)
    if not is_results_doc(doc):
        raise ValueError(f"{path}: not an lm-eval results file (no 'results' and 'configs')")
    for group, subtasks in (doc.get("group_subtasks") or {}).items():
        if subtasks:
            ctx.groups[group] = list(subtasks)
    parent = {child: group for group, children in ctx.groups.items() for child in children}
    eos = doc.get("tokenizer_eos_token")
    eos_token = eos[0] if isinstance(eos, list) and eos else eos if isinstance(eos, str) else None
    n_samples = doc.get("n-samples") or {}
    n_shot = doc.get("n-shot") or {}
    for task, config in (doc.get("configs") or {}).items():
        gen = config.get("generation_kwargs") or {}
        until = gen.get("until")
        if isinstance(until, str):
            until = [until]
        filters = [
            f.get("name", "none") for f in config.get("filter_list") or [] if isinstance(f, dict)
        ]
        counts = n_samples.get(task) or {}
        metric_names = [
            str(m["metric"])
            for m in config.get("metric_list") or []
            if isinstance(m, dict) and isinstance(m.get("metric"), str)
        ]
        ctx.tasks[task] = TaskConfig(
            task=task,
            group=parent.get(task),
            max_gen_toks=_as_int(gen.get("max_gen_toks")),
            until=list(until) if until is not None else None,
            temperature=_as_float(gen.get("temperature")),
            do_sample=gen.get("do_sample") if isinstance(gen.get("do_sample"), bool) else None,
            repeats=_as_int(config.get("repeats")),
            filters=filters,
            eos_token=eos_token,
            n_samples=_as_int(counts.get("effective")) if isinstance(counts, dict) else None,
            num_fewshot=_as_int(config.get("num_fewshot", n_shot.get(task))),
            metric_names=metric_names,
        )
    run_config = doc.get("config") or {}
    meta = ctx.run_meta
    meta.setdefault("results_files", []).append(str(path))
    for key in (
        "model_name",
        "model_name_sanitized",
        "lm_eval_version",
        "git_hash",
        "date",
        "transformers_version",
        "eot_token_id",
        "max_length",
        "start_time",
        "end_time",
        "total_evaluation_time_seconds",
        # what defines the prompt beyond the samples (lm-eval >= 0.4.3): compared by diagnose
        "chat_template",
        "chat_template_sha",
        "system_instruction",
        "system_instruction_sha",
        "fewshot_as_multiturn",
    ):
        if doc.get(key) is not None:
            meta.setdefault(key, doc[key])
    if eos_token is not None:
        meta.setdefault("tokenizer_eos_token", eos_token)
    for key in ("model", "model_args", "batch_size", "limit", "gen_kwargs", "model_revision"):
        if run_config.get(key) is not None:
            meta.setdefault(key, run_config[key])
    if n_samples:
        meta.setdefault("n-samples", n_samples)
    _model_name(path, doc, run_config, meta)


_MODEL_ARG_KEYS = ("pretrained", "model", "model_name", "engine")
"""``config.model_args`` entries that name the model (hf/vllm ``pretrained=``, the API
models' ``model=``), in the order tried."""


def _model_name(path: Path, doc: dict[str, Any], run_config: Any, meta: dict[str, Any]) -> None:
    """Set ``meta["model_name"]`` from what names the model in a results file: its
    ``model_name``, else ``config.model_args`` (``pretrained=...``, ``model=...``; a string or,
    in newer lm-eval, a dict), else ``model_name_sanitized``. ``config.model`` is the model
    TYPE (``hf``, ``vllm``): when nothing else names the model, the run's model falls back to
    it (the workspace reads ``meta["model"]``) and a reader note says so, naming the file."""
    if isinstance(meta.get("model_name"), str) and meta["model_name"].strip():
        return
    args = run_config.get("model_args") if isinstance(run_config, dict) else None
    name: Any = None
    if isinstance(args, dict):
        name = next((args[k] for k in _MODEL_ARG_KEYS if args.get(k)), None)
    elif isinstance(args, str):
        # "pretrained=org/model,dtype=bfloat16"
        pairs = (part.split("=", 1) for part in args.split(",") if "=" in part)
        found = {k.strip(): v.strip() for k, v in pairs}
        name = next((found[k] for k in _MODEL_ARG_KEYS if found.get(k)), None)
    name = name or doc.get("model_name_sanitized")
    if isinstance(name, str) and name.strip():
        meta["model_name"] = name.strip()
        return
    meta.pop("model_name", None)  # an empty model_name names nothing
    kind = run_config.get("model") if isinstance(run_config, dict) else None
    if isinstance(kind, str) and kind:
        note = (
            f"{path}: the results file names no model (no model_name, no pretrained= or model= "
            f"in config.model_args), only the lm-eval model type {kind!r} (config.model); the "
            f"run's model reads {kind!r} unless --model NAME names it"
        )
        notes = meta.setdefault("reader_notes", [])
        if note not in notes:
            notes.append(note)


def _prompt_and_choices(arguments: Any) -> tuple[str | None, list[Any]]:
    """(prompt, per-request second arguments) from dict (0.4.3+) or list (0.4.0) arguments."""
    if isinstance(arguments, dict) and len(arguments) == 1:
        (request,) = arguments.values()
        if isinstance(request, dict):
            return request.get("arg_0"), [request.get("arg_1")]
    if isinstance(arguments, dict):
        keys = sorted(
            arguments,
            key=lambda k: int(k.rsplit("_", 1)[-1]) if k.rsplit("_", 1)[-1].isdecimal() else 0,
        )
        requests = [arguments[k] for k in keys]
        prompt = requests[0].get("arg_0") if requests and isinstance(requests[0], dict) else None
        seconds = [r.get("arg_1") if isinstance(r, dict) else None for r in requests]
        return prompt, seconds
    if isinstance(arguments, list) and arguments:
        first = arguments[0]
        if isinstance(first, (list, tuple)):
            prompt = first[0] if first else None
            return prompt, [
                a[1] if isinstance(a, (list, tuple)) and len(a) > 1 else None for a in arguments
            ]
        if isinstance(first, str):
            return first, [arguments[1] if len(arguments) > 1 else None]
    return None, []


def _line_metrics(line: dict[str, Any]) -> dict[str, float | None]:
    names = line.get("metrics")
    keys = names if isinstance(names, list) else [k for k in line if k not in _NOT_METRICS]
    metrics: dict[str, float | None] = {}
    for key in keys:
        if not isinstance(key, str):  # names no value (JSON keys are strings); [..] unhashable
            continue
        value: Any = line.get(key, _ABSENT)
        if value is _ABSENT:
            continue
        kind = type(value)
        if kind is float:  # the common case: metric_value without its type tests
            metrics[key] = None if value != value else value  # NaN
        elif kind is not dict and kind is not list and not isinstance(value, (dict, list)):
            metrics[key] = metric_value(value)
    return metrics


def _correctness(
    metrics: dict[str, float | None], names: Any, config_names: list[str] | None = None
) -> float | None:
    """The official 0/1 (or fractional) score of a line: the first metric in the line's own
    ``metrics`` list, else the task's ``metric_list`` (0.4.3-0.4.5 lines name none), else a
    known correctness metric, whose value lies in [0, 1]. None when that metric is NaN/N/A
    (the caller treats the row as missing) or when no such metric is logged."""
    if type(names) is list and names and type(names[0]) is str:  # the line names its metric
        value = metrics.get(names[0], _ABSENT)
        if value is None or (value is not _ABSENT and 0.0 <= value <= 1.0):  # type: ignore[operator]
            return value  # type: ignore[return-value]
    order = list(names) if isinstance(names, list) else list(config_names or [])
    order += [k for k in _CORRECTNESS_KEYS if k not in order]
    for key in order:
        if isinstance(key, str) and key in metrics:  # a list among the names is unhashable
            value = metrics[key]
            if value is None or 0.0 <= value <= 1.0:
                return value
    return None


def _is_rolling(resps: Any) -> bool:
    """True for a ``loglikelihood_rolling`` (perplexity) line: ``resps`` holds bare numbers,
    one log-likelihood per request (``[[-1234.5]]``), not texts or (logprob, greedy) pairs."""
    if not isinstance(resps, list) or not resps or not isinstance(resps[0], list):
        return False
    if resps[0] and type(resps[0][0]) is str:  # a generation (the common line): not numbers
        return False
    values = [v for request in resps for v in (request if isinstance(request, list) else [])]
    return bool(values) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    )


FIRST = "first"
"""A filter whose one answer per doc is its first generation's (``take_first`` after per-sample
steps: lm-eval's ``score-first``, and ``none``, the default filter)."""
VOTE = "vote"
"""A filter whose one answer per doc is a majority vote over its generations (``maj@k``)."""
_VOTE_NAME_RE = re.compile(r"^maj@\d+$", re.IGNORECASE)


def filter_kind(name: str, functions: list[str] | None = None) -> str | None:
    """What the one answer a filter keeps per doc is, when a line holds several generations:
    :data:`VOTE` (``majority_vote`` in its pipeline; without a pipeline, a name ``maj@k``),
    :data:`FIRST` (a pipeline ending in ``take_first`` without a vote; without a pipeline,
    ``score-first`` or ``none``, lm-eval's default ``take_first`` filter), else None: not known
    (the line's score cannot be given to a generation)."""
    if functions:
        if "majority_vote" in functions:
            return VOTE
        return FIRST if functions[-1] == "take_first" else None
    if _VOTE_NAME_RE.match(name):
        return VOTE
    return FIRST if name in ("score-first", "none") else None


def _is_multiple_choice(resps: list[Any]) -> bool:
    first = resps[0] if resps else None
    return isinstance(first, list) and bool(first) and isinstance(first[0], (list, tuple))


def convert_line(
    line: dict[str, Any],
    task: str,
    filter_name: str,
    benchmark: str,
    source: str,
    line_no: int,
    metric_names: list[str] | None = None,
    kind: str | None = None,
) -> list[SampleRecord] | BadLine:
    """Records of one samples line (one per repeat), or a BadLine naming the faulty field.

    ``metric_names`` is the task's metric list from the results file, used when the line does
    not name its metrics (lm-eval 0.4.3-0.4.5): IFEval's boolean ``prompt_level_strict_acc``
    is then the official score instead of a re-score against the placeholder target ``0``.
    ``kind``: what the filter keeps of several generations (:func:`filter_kind`; from the
    filter's name when not given).
    """
    if "doc_id" not in line:
        return BadLine(source, line_no, "missing field 'doc_id'")
    resps = line.get("resps")
    if not isinstance(resps, list) or not resps:
        return BadLine(source, line_no, "field 'resps' missing or not a non-empty list")
    generations = resps[0]
    if type(generations) is list and len(generations) == 1 and type(generations[0]) is str:
        return [
            _one_generation(
                line, generations[0], task, filter_name, benchmark, source, line_no, metric_names
            )
        ]
    if kind is None:
        kind = filter_kind(filter_name)
    return _convert_any(
        line, resps, task, filter_name, benchmark, source, line_no, metric_names, kind
    )


def _convert_any(
    line: dict[str, Any],
    resps: list[Any],
    task: str,
    filter_name: str,
    benchmark: str,
    source: str,
    line_no: int,
    metric_names: list[str] | None,
    kind: str | None = None,
) -> list[SampleRecord] | BadLine:
    """:func:`convert_line` for a line with ``doc_id`` and a non-empty ``resps`` of any shape
    (multiple choice, repeats, a generation): the general path, which gives for a line of
    one generation what :func:`_one_generation` gives (tests/unit/test_reader_fast.py)."""
    prompt, seconds = _prompt_and_choices(line.get("arguments"))
    metrics = _line_metrics(line)
    correct = _correctness(metrics, line.get("metrics"), metric_names)
    target = line.get("target")
    doc = line.get("doc")
    doc_id = line["doc_id"]
    base: dict[str, Any] = {
        "task": task,
        "doc_id": doc_id if type(doc_id) is str else str(doc_id),
        "filter": filter_name,
        "benchmark": benchmark,
        "prompt": prompt,
        "target": target if target is None or type(target) is str else str(target),
        "doc": doc if isinstance(doc, dict) else None,
        "doc_hash": line.get("doc_hash"),
        "source_file": source,
        "source_line": line_no,
    }
    if _is_multiple_choice(resps):
        return _multiple_choice(base, resps, seconds, metrics, correct)
    return _generations(base, resps, line.get("filtered_resps"), metrics, correct, kind)


def _one_generation(
    line: dict[str, Any],
    response: str,
    task: str,
    filter_name: str,
    benchmark: str,
    source: str,
    line_no: int,
    metric_names: list[str] | None,
) -> SampleRecord:
    """The record of the common line: one request, one generation (``resps == [[response]]``,
    ``doc_id`` present). The record is built with positional arguments, in the field order of
    :class:`SampleRecord` (a quarter of the cost of keywords; tests/unit/test_reader_fast.py
    holds the order)."""
    arguments = line.get("arguments")
    request = _ABSENT
    if type(arguments) is dict and len(arguments) == 1:
        (request,) = arguments.values()
    if type(request) is dict:  # 0.4.3+: {"gen_args_0": {"arg_0": prompt, "arg_1": ...}}
        prompt = request.get("arg_0")
    else:
        prompt = _prompt_and_choices(arguments)[0]
    names = line.get("metrics")
    value = _ABSENT
    if type(names) is list and len(names) == 1 and type(names[0]) is str:  # 0.4.8+
        name = names[0]
        value = line.get(name, _ABSENT)
    if type(value) is float:  # what _line_metrics and _correctness give for one named float
        score = None if value != value else value  # NaN
        metrics: dict[str, float | None] = {name: score}
        correct = score if score is None or 0.0 <= score <= 1.0 else None
    else:
        metrics = _line_metrics(line)
        correct = _correctness(metrics, names, metric_names)
    doc_id = line["doc_id"]
    target = line.get("target")
    doc = line.get("doc")
    filtered = line.get("filtered_resps")
    extracted = filtered[0] if type(filtered) is list and filtered else None
    if type(extracted) is list:
        extracted = extracted[0] if extracted else None
    return SampleRecord(
        task,
        doc_id if type(doc_id) is str else str(doc_id),
        0,
        filter_name,
        benchmark,
        prompt,
        target if target is None or type(target) is str else str(target),
        response,
        extracted if type(extracted) is str else None,
        correct,
        metrics,
        doc if isinstance(doc, dict) else None,
        line.get("doc_hash"),
        None,  # finish_reason
        None,  # n_output_tokens
        None,  # system
        source,
        line_no,
    )


def _multiple_choice(
    base: dict[str, Any],
    resps: list[Any],
    seconds: list[Any],
    metrics: dict[str, float | None],
    correct: float | None,
) -> list[SampleRecord] | BadLine:
    """The record of a multiple-choice line: the response is the choice with the highest
    log-likelihood, the target the text of the target index (when it is one)."""
    try:
        scores = [float(choice[0][0]) for choice in resps]
    except (TypeError, ValueError, IndexError):
        return BadLine(
            base["source_file"],
            base["source_line"],
            "field 'resps': multiple-choice log-likelihoods unreadable",
        )
    best = max(range(len(scores)), key=scores.__getitem__)
    continuations = [s if isinstance(s, str) else None for s in seconds]
    response = (
        (continuations[best] or "").strip()
        if best < len(continuations) and continuations[best]
        else None
    )
    target_text = base["target"]
    index = (
        _as_int(target_text)
        if target_text is not None and target_text.strip().lstrip("-").isdigit()
        else None
    )
    if index is not None and 0 <= index < len(continuations) and continuations[index]:
        target_text = (continuations[index] or "").strip()
    return [
        SampleRecord(
            **{**base, "target": target_text},
            response=response,
            extracted=response,
            correct=metrics.get("acc", correct),
            metrics=metrics,
        )
    ]


def _generations(
    base: dict[str, Any],
    resps: list[Any],
    filtered: Any,
    metrics: dict[str, float | None],
    correct: float | None,
    kind: str | None = None,
) -> list[SampleRecord] | BadLine:
    """The records of a generation line: one, or, for several generations (``repeats``), what
    the filter's ``kind`` (:func:`filter_kind`) lets the line's score say:

    * :data:`VOTE`: one record, the voted answer (response and extracted) with the line's
      score: the vote is the filter's one sample per doc;
    * :data:`FIRST`: one record per generation (``sample_idx``), generation 0 with the
      line's score and filtered answer, the others with no correctness (capslice scores
      them);
    * not known, or one filtered answer per generation: one record per generation, none with
      the line's score (it scores an answer that cannot be told), the per-generation
      filtered answers as ``extracted``.

    The line's metrics stay on record 0 only (the results-file check counts them once)."""
    generations = resps[0]
    if isinstance(generations, str):
        generations = [generations]
    if not isinstance(generations, list) or not all(isinstance(g, str) for g in generations):
        return BadLine(
            base["source_file"],
            base["source_line"],
            "field 'resps': expected [[str, ...]] for a generation task",
        )
    first_filtered = filtered[0] if isinstance(filtered, list) and filtered else None
    if len(generations) == 1:
        extracted = first_filtered if isinstance(first_filtered, str) else None
        if (
            isinstance(first_filtered, list)
            and first_filtered
            and isinstance(first_filtered[0], str)
        ):
            extracted = first_filtered[0]
        return [
            SampleRecord(
                **base,
                response=generations[0],
                extracted=extracted,
                correct=correct,
                metrics=metrics,
            )
        ]
    per_sample = (
        first_filtered
        if isinstance(first_filtered, list) and len(first_filtered) == len(generations)
        else None
    )
    kind = _kept(kind, filtered, len(generations))
    answer = first_filtered if kind is not None else None
    if kind == VOTE and isinstance(answer, str):
        return [SampleRecord(**base, response=answer, extracted=answer, correct=correct,
                             metrics=metrics)]  # fmt: skip
    first = kind == FIRST
    records = []
    for sample_idx, text in enumerate(generations):
        extracted = per_sample[sample_idx] if per_sample is not None else None
        if first and sample_idx == 0:
            extracted = answer
        records.append(
            SampleRecord(
                **base,
                sample_idx=sample_idx,
                response=text,
                extracted=extracted if isinstance(extracted, str) else None,
                correct=correct if first and sample_idx == 0 else None,
                # the logged metrics score the filtered (first or voted) answer; a NaN among
                # them says nothing about a generation either
                metrics={k: v for k, v in metrics.items() if v is not None}
                if sample_idx == 0
                else {},
            )
        )
    return records


def iter_samples_file(path: Path, task: str, ctx: ReadContext) -> Iterator[SampleRecord | BadLine]:
    """Stream one samples file as records (see module docstring for the rules).

    Lines without a ``filter`` (0.4.0-0.4.7) get the filter of their position among the lines
    of the same ``doc_id`` in ``filter_list`` order; a line beyond the filter count wraps
    round (it repeats an earlier line, which the ingest reports) instead of inventing a
    filter. After the last line, the number of distinct ``doc_id`` read is checked against the
    results file's ``n-samples`` (a note when fewer or more).

    The common line (one generation, ``resps == [[text]]``) is turned into its record here
    (:func:`_one_generation`, what :func:`convert_line` gives for it), without the tests of
    the other layouts.
    """
    source = str(path)
    config = ctx.tasks.get(task)
    filters = config.filters if config is not None and config.filters else ["none"]
    n_filters = len(filters)
    metric_names = config.metric_names if config is not None else []
    benchmark = benchmark_for(task, ctx.groups)
    seen: dict[str, int] = {}
    doc_ids: set[str] = set()  # distinct doc_id, counted when the results file has a count
    count_docs = config is not None and config.n_samples is not None
    rolling = 0
    pipelines = _task_pipelines(ctx, task)
    several: dict[str, list[Any]] = {}  # filter -> [most generations of a line, kept]
    files = ctx.lmeval_files
    if isinstance(files, LmEvalFiles):
        yield from files.notes.get(source, [])
    args = _LineArgs(task, config)
    records = iter_jsonl(path) if first_nonspace(path) != b"[" else iter_json_records(path)
    for line_no, obj in records:
        if isinstance(obj, BadLine):
            yield obj
            continue
        settings = args.of(obj)
        doc_id = obj.get("doc_id")
        if count_docs:
            doc_ids.add(doc_id if type(doc_id) is str else str(doc_id))
        resps = obj.get("resps")
        generations: Any = resps[0] if type(resps) is list and resps else None
        one = type(generations) is list and len(generations) == 1 and type(generations[0]) is str
        if not one and _is_rolling(resps):
            rolling += 1
            continue
        filter_name = obj.get("filter")
        if not isinstance(filter_name, str):
            key = str(doc_id)
            position = seen.get(key, 0)
            seen[key] = position + 1
            filter_name = filters[position % n_filters]
        if one and (doc_id is not None or "doc_id" in obj):
            rec = _one_generation(
                obj, generations[0], task, filter_name, benchmark, source, line_no, metric_names
            )
            if settings is not None:
                rec.settings = settings
            yield rec
            continue
        kind = filter_kind(filter_name, pipelines.get(filter_name))
        if type(generations) is list and len(generations) > 1:
            seen_kept = several.setdefault(filter_name, [0, None])
            seen_kept[0] = max(seen_kept[0], len(generations))
            seen_kept[1] = _kept(kind, obj.get("filtered_resps"), len(generations))
        converted = convert_line(
            obj, task, filter_name, benchmark, source, line_no, metric_names, kind
        )
        if isinstance(converted, BadLine):
            yield converted
            continue
        for rec in converted:
            if settings is not None:
                rec.settings = settings
            yield rec
    yield from args.notes(source)
    yield from _file_notes(source, task, config, rolling, len(doc_ids))
    yield from _several_notes(source, task, several)


_GEN_FIELDS = ("max_gen_toks", "until", "temperature", "do_sample")
"""Generation arguments of a line's ``arg_1`` that the task's :class:`TaskConfig` holds (the
run's task row: the evaluation settings and the truncation check's cap)."""
_GEN_ALIASES = {"max_new_tokens": "max_gen_toks", "max_tokens": "max_gen_toks"}


def _line_gen_args(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The generation arguments a samples line carries: ``arguments.gen_args_0.arg_1``
    (0.4.3+) or the second element of the first argument tuple (0.4.0-0.4.2), when it is a
    dict (a ``generate_until`` request; a loglikelihood one carries a continuation string)."""
    arguments = obj.get("arguments")
    second: Any = None
    if type(arguments) is dict and arguments:
        request = arguments.get("gen_args_0", next(iter(arguments.values())))
        second = request.get("arg_1") if type(request) is dict else None
    elif type(arguments) is list and arguments:
        first = arguments[0]
        if isinstance(first, (list, tuple)):
            second = first[1] if len(first) > 1 else None
        elif isinstance(first, str) and len(arguments) > 1:
            second = arguments[1]
    return second if type(second) is dict else None


def _gen_value(key: str, value: Any) -> Any:
    """One generation argument as a hashable, comparable value (None: not usable)."""
    if key == "max_gen_toks":
        return _as_int(value) if not isinstance(value, bool) else None
    if key == "temperature":
        return _as_float(value) if not isinstance(value, bool) else None
    if key == "do_sample":
        return value if isinstance(value, bool) else None
    if key == "until" and isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        items = tuple(value)
        return items if all(isinstance(v, (str, int, float, bool)) for v in items) else None
    return value if isinstance(value, (str, int, float, bool)) else None


def gen_settings(args: dict[str, Any]) -> dict[str, Any]:
    """A line's generation arguments (:func:`_line_gen_args`) as evaluation settings: keys as
    lm-eval names them (``max_new_tokens`` -> ``max_gen_toks``), values hashable (``until`` a
    tuple), unusable values left out."""
    out: dict[str, Any] = {}
    for key, value in args.items():
        if isinstance(key, str):
            name = _GEN_ALIASES.get(key, key)
            found = _gen_value(name, value)
            if found is not None:
                out[name] = found
    return out


def _shown(value: Any) -> str:
    """A generation argument as printed (``None`` reads ``not set``)."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return str(value)


def _config_value(config: TaskConfig | None, key: str) -> Any:
    """The task's value of a :data:`_GEN_FIELDS` setting, as :func:`_gen_value` gives it."""
    value = getattr(config, key, None) if config is not None else None
    return tuple(value) if isinstance(value, list) else value


def _first_record(path: Path) -> dict[str, Any] | None:
    """The first samples record of a file (JSONL line or array element), or None."""
    if first_nonspace(path) != b"[":
        return first_object(path)
    return next((obj for _, obj in iter_json_records(path) if isinstance(obj, dict)), None)


def line_settings(
    path: Path, task: str, config: TaskConfig, origin: dict[str, str], first: Any = None
) -> list[BadLine]:
    """Take the task's generation settings from its samples file's first line when it carries
    them (lm-eval writes ``arg_1`` on every generation line, formats.md 1.2): a samples file
    without its results file then still says how it was decoded, and the truncation check
    gets its cap. Where the results file (or an earlier samples file of the task, named in
    ``origin``) says otherwise, the lines' values are kept (what the requests carried) and a
    warning names both. ``first``: the file's first record when already read."""
    first = _first_record(path) if first is None else first
    args = _line_gen_args(first) if first is not None else None
    if args is None:
        return []
    settings = gen_settings(args)
    differ = []
    for key in _GEN_FIELDS:
        if key not in settings:
            continue
        current = _config_value(config, key)
        if current is not None and current != settings[key]:
            differ.append(f"{key} {_shown(settings[key])} vs {_shown(current)}")
        value = settings[key]
        setattr(config, key, list(value) if isinstance(value, tuple) else value)
    where = origin.get(task, "the results file's generation_kwargs")
    origin[task] = f"the lines of {path.name}"
    if not differ:
        return []
    return [
        BadLine(
            str(path),
            0,
            f"task {task}: the lines' generation arguments (arguments arg_1) differ from "
            f"{where}: {'; '.join(differ)}; the lines' are read as the task's evaluation "
            "settings (what the requests carried)",
            note="warning",
        )
    ]


class _LineArgs:
    """The generation arguments of one samples file's lines, against the task's settings
    (:func:`line_settings` took them from the file's first line): :meth:`of` gives a line's
    record settings, :meth:`notes` a warning when lines disagree among themselves."""

    def __init__(self, task: str, config: TaskConfig | None) -> None:
        self.task, self.config = task, config
        self.expected: dict[str, Any] | None = None  # the first line's arg_1
        self.first: dict[str, Any] = {}  # its settings
        self.extra: dict[str, Any] | None = None  # what of them the task's settings lack
        self.n_lines = self.n_other = self.first_other = 0
        self.other: Counter[str] = Counter()

    def of(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """The settings a line's record carries beyond the task's: None for most lines (the
        file's first line's arguments, all held by the task); the line's own arguments when
        they differ from the first line's."""
        args = _line_gen_args(obj)
        if args is None:
            return None
        self.n_lines += 1
        if self.expected is None:
            self.expected, self.first = args, gen_settings(args)
            extra = {
                k: v
                for k, v in self.first.items()
                if k not in _GEN_FIELDS or _config_value(self.config, k) != v
            }
            self.extra = extra or None
            return self.extra
        if args == self.expected:
            return self.extra
        mine = gen_settings(args)
        if mine == self.first:
            return self.extra
        self.n_other += 1
        for key in sorted(mine.keys() | self.first.keys()):
            if mine.get(key) != self.first.get(key):
                self.other[f"{key} {_shown(mine.get(key))}"] += 1
        return mine

    def notes(self, source: str) -> Iterator[BadLine]:
        """A warning when some lines carry other generation arguments than the first."""
        if not self.n_other:
            return
        shown = ", ".join(f"{text} on {n:,}" for text, n in self.other.most_common(3))
        first = "; ".join(
            f"{k} {_shown(self.first.get(k))}" for k in _GEN_FIELDS if k in self.first
        )
        yield BadLine(
            source,
            0,
            f"task {self.task}: {self.n_other:,} of {self.n_lines:,} lines carry other "
            f"generation arguments (arguments arg_1) than the first line ({first}): {shown}; "
            "each such sample keeps its own as its evaluation settings, so compare and "
            "diagnose see the difference, but the task's one truncation cap is the first "
            "line's",
            note="warning",
        )


def positional_filters(
    path: Path, task: str, config: TaskConfig, first: Any = None
) -> list[BadLine]:
    """Name the filters of a multi-filter task whose lines name none (lm-eval before 0.4.8)
    and whose results file is absent, so that no line is lost as a repeat: when every doc_id
    has k >= 2 lines, each doc's lines share their response and some doc's differ in
    ``filtered_resps``, the task had k filters (lm-eval writes one line per doc and filter,
    in ``filter_list`` order) and ``config.filters`` becomes ``unnamed-1``..``unnamed-k``,
    with a note. Anything else (counts that differ, responses that differ) is left to the
    repeat checks. ``first``: the file's first record when already read."""
    if config.filters:
        return []
    first = _first_record(path) if first is None else first
    if first is None or "filter" in first:
        return []
    docs: dict[str, list[Any]] = {}  # doc_id -> [lines, resps, filtered, same resps, differ]
    for _, obj in iter_json_records(path):
        if not isinstance(obj, dict) or "doc_id" not in obj:
            continue
        resps, filtered = _dumped(obj.get("resps")), _dumped(obj.get("filtered_resps"))
        entry = docs.get(str(obj["doc_id"]))
        if entry is None:
            docs[str(obj["doc_id"])] = [1, resps, filtered, True, False]
            continue
        entry[0] += 1
        entry[3] = entry[3] and resps == entry[1]
        entry[4] = entry[4] or filtered != entry[2]
    k = min((e[0] for e in docs.values()), default=0)
    entries = docs.values()
    if k < 2 or not all(e[3] for e in entries) or not any(e[4] for e in entries):
        return []
    config.filters = [f"unnamed-{i}" for i in range(1, k + 1)]
    return [
        BadLine(
            str(path),
            0,
            f"task {task}: each doc_id has {k} lines with the same response and other filtered "
            f"answers (filtered_resps), and no line names its filter (lm-eval before 0.4.8): a "
            f"task of {k} filters logged without its results file. Read as filters "
            f"{', '.join(config.filters)}, in the log's order (lm-eval writes a doc's lines in "
            "its filter_list order); add the run's results.json beside it to name them",
            note="note",
        )
    ]


def _dumped(value: Any) -> bytes:
    """``value`` as JSON bytes, for comparing two lines' fields."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return repr(value).encode()


def _task_pipelines(ctx: ReadContext, task: str) -> dict[str, list[str]]:
    """Filter -> pipeline function names of ``task``, from the results files read."""
    files = ctx.lmeval_files
    pipelines: dict[str, list[str]] = {}
    for reported in files.reports if isinstance(files, LmEvalFiles) else []:
        pipelines.update(reported.pipelines.get(task) or {})
    return pipelines


def _kept(kind: str | None, filtered: Any, n: int) -> str | None:
    """What :func:`_generations` keeps of a line of ``n`` generations: ``kind`` when the
    filter logged one answer (a string), else None (the line's score goes to no generation)."""
    first = filtered[0] if isinstance(filtered, list) and filtered else None
    return kind if n > 1 and isinstance(first, str) else None


def _several_notes(source: str, task: str, several: dict[str, list[Any]]) -> Iterator[BadLine]:
    """What became of the lines holding several generations, per filter: a note for a vote
    (one sample per doc) and for a first-generation filter (the score is generation 0's); a
    warning when the line's score could be given to no generation."""
    firsts = [name for name, (_n, kept) in several.items() if kept == FIRST]
    for name, (n, kept) in several.items():
        head = f"task {task}, filter {name}: each line holds {n} generations;"
        if kept == VOTE:
            where = (
                f" (the generations are the samples of filter {firsts[0]})"
                if firsts
                else " (no take_first filter in this log keeps the generations themselves: "
                "they are not stored)"
            )
            yield BadLine(
                source,
                0,
                f"{head} its score is of their majority vote, stored as one sample per doc: "
                f"the voted answer with the log's score{where}; pass@k does not apply to it",
                note="note",
            )
        elif kept == FIRST:
            yield BadLine(
                source,
                0,
                f"{head} its score (what the results file reports for {name}) is of the "
                f"first only, which holds it; capslice's strict extraction scored the other "
                f"{n - 1}, and the filter's score here is the mean over all {n}",
                note="note",
            )
        else:
            yield BadLine(
                source,
                0,
                f"{head} its score is of one answer its filter chose from them in a way "
                "capslice cannot tell (no take_first or majority_vote pipeline in the results "
                "file), so it is given to none of them: capslice's strict extraction scored "
                "each generation",
                note="warning",
            )


def _file_notes(
    source: str, task: str, config: TaskConfig | None, rolling: int, n_docs: int
) -> Iterator[BadLine]:
    """The notes after one samples file: perplexity lines not stored, and a count of distinct
    ``doc_id`` other than the results file's ``n-samples``."""
    if rolling:
        yield BadLine(
            source,
            0,
            f"task {task}: {rolling} loglikelihood_rolling (perplexity) lines not stored: their "
            "score is corpus-level (word/byte perplexity), with no per-sample correctness",
            note="note",
        )
    expected = config.n_samples if config is not None else None
    if expected is not None and n_docs != expected:
        yield BadLine(
            source,
            0,
            f"task {task}: {n_docs} of {expected} expected samples (the results file's "
            "n-samples); the log is cut short or holds another run's lines",
            note="note",
            short=True,
        )


@dataclass
class ReportedScores:
    """The aggregate scores one results file reports, kept to check them against the samples.

    Attributes:
        path: the results file.
        scores: task or group name -> ``"metric,filter"`` -> reported value.
        mean_metrics: task -> metrics the task aggregates as a plain mean over samples (only
            those can be recomputed from per-sample values; corpus-level metrics cannot).
            A task without a ``metric_list`` has lm-eval's defaults: its correctness metrics
            (``exact_match``, ``acc``...) are means.
        pipelines: task -> filter -> the function names of its pipeline (``filter_list``),
            which say what a line's score scores when the line holds several generations
            (:func:`filter_kind`).
    """

    path: str
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    mean_metrics: dict[str, set[str]] = field(default_factory=dict)
    pipelines: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def reported_scores(path: Path) -> ReportedScores:
    """The task and group scores of a results file (``results`` and ``groups`` sections).

    Raises:
        ValueError: the file is not valid JSON.
    """
    doc = load_json(path)
    out = ReportedScores(str(path))
    for section in ("results", "groups"):
        for name, values in (doc.get(section) or {}).items():
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if "," not in key or "_stderr" in key or isinstance(value, bool):
                    continue
                if isinstance(value, (int, float)) and not math.isnan(value):
                    out.scores.setdefault(name, {})[key] = float(value)
    for task, config in (doc.get("configs") or {}).items():
        if not isinstance(config, dict):
            continue
        metric_list = config.get("metric_list")
        if isinstance(metric_list, list) and metric_list:
            out.mean_metrics[task] = {
                str(m["metric"])
                for m in metric_list
                if isinstance(m, dict) and m.get("aggregation", "mean") == "mean"
            }
        else:  # lm-eval's defaults: the correctness metrics are plain means
            out.mean_metrics[task] = set(_CORRECTNESS_KEYS)
        out.pipelines[task] = _pipelines(config)
    return out


def _pipelines(config: dict[str, Any]) -> dict[str, list[str]]:
    """Filter name -> its pipeline's function names, from a task's ``filter_list``."""
    pipelines: dict[str, list[str]] = {}
    for entry in config.get("filter_list") or []:
        if not isinstance(entry, dict):
            continue
        steps = entry.get("filter")
        names = [
            str(step.get("function"))
            for step in (steps if isinstance(steps, list) else [])
            if isinstance(step, dict)
        ]
        pipelines[str(entry.get("name", "none"))] = names
    return pipelines


def _leaf_tasks(name: str, groups: dict[str, list[str]], depth: int = 0) -> list[str]:
    """Leaf tasks under a group (nested groups walked), or ``[name]`` for a task."""
    children = groups.get(name)
    if not children or depth > 20:
        return [name]
    leaves: list[str] = []
    for child in children:
        leaves.extend(_leaf_tasks(child, groups, depth + 1))
    return leaves


def _fmt(value: float) -> str:
    """A reported score as written to two decimals, or four when two would round it."""
    return f"{value:.2f}" if abs(round(value, 2) - value) < 1e-12 else f"{value:.4f}"


def _fmt_count(value: float) -> str:
    """A sum of per-sample scores: an integer when it is one (``91``), else one decimal."""
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def check_reported(
    reported: ReportedScores,
    tally: dict[tuple[str, str, str], list[float]],
    groups: dict[str, list[str]],
    tolerance: float = 1e-4,
) -> Iterator[BadLine]:
    """Warnings for reported task/group scores that the samples read do not reproduce.

    Args:
        tally: ``(task, filter, metric)`` -> ``[sum of per-sample values, samples]``.
        groups: group -> children (lm-eval ``group_subtasks``).
        tolerance: absolute difference below which a reported score agrees.

    A group's score is compared with the micro mean (pooled over every sample of its tasks,
    what capslice reports by default) and, when that differs, with the macro mean (the
    unweighted mean of its tasks' scores, lm-eval's default for groups without
    ``weight_by_size``); the warning names which one the file reports. Scores are checked
    only when every task under the name was read and aggregates the metric as a plain mean.
    """
    for name, values in reported.scores.items():
        leaves = _leaf_tasks(name, groups)
        for key, value in values.items():
            metric, filter_name = key.split(",", 1)
            parts = []
            for leaf in leaves:
                means = reported.mean_metrics.get(leaf)
                counts = tally.get((leaf, filter_name, metric))
                if counts is None or not counts[1] or (means is not None and metric not in means):
                    break
                parts.append(counts)
            else:
                if not parts:
                    continue
                total, n = sum(p[0] for p in parts), sum(p[1] for p in parts)
                micro = total / n
                if abs(micro - value) <= tolerance:
                    continue
                count = f"{_fmt_count(total)}/{int(n)}"
                if len(leaves) == 1:
                    yield BadLine(
                        reported.path,
                        0,
                        f"task {name}: the results file reports {metric} ({filter_name}) = "
                        f"{_fmt(value)} but its samples give {count} = {micro:.4f}",
                        note="warning",
                    )
                    continue
                macro = sum(p[0] / p[1] for p in parts) / len(parts)
                which = (
                    f"that is the macro mean (each of its {len(parts)} tasks weighted equally, "
                    f"{macro:.4f}), not the mean over samples"
                    if abs(macro - value) <= tolerance
                    else f"neither the micro nor the macro mean ({macro:.4f}) of its tasks"
                )
                yield BadLine(
                    reported.path,
                    0,
                    f"group {name}: the results file reports {metric} ({filter_name}) = "
                    f"{_fmt(value)}, {which}; its samples give {count} = {micro:.4f} (micro "
                    "mean). capslice reports micro means unless asked (slices --average macro)",
                    note="warning",
                )


def schema_variant(path: Path) -> str:
    """Which lm-eval samples layout a file has, from its first bytes (formats.md §1.4).

    Returns ``lm-eval 0.4.0-0.4.2 JSON array``, ``lm-eval dev-snapshot JSON array``,
    ``lm-eval 0.4.3-0.4.5 JSONL layout (no per-line filter/metrics)`` or ``lm-eval 0.4.8+ JSONL
    layout (per-line filter/metrics)``: the layout, not a version claim (0.4.6-0.4.7 may write
    either).
    """
    head = read_head(path, 1 << 16)
    if len(head) == 1 << 16 and b"\n" not in head.lstrip():  # a first line over 64 KB
        head = read_head(path, 1 << 20)
    stripped = head.lstrip()
    if stripped[:1] == b"[":
        if _SAMPLES_RE.match(strip_gz(path.name)):
            return "lm-eval dev-snapshot JSON array"
        return "lm-eval 0.4.0-0.4.2 JSON array"
    end = stripped.find(b"\n")
    first_line = stripped if end < 0 else stripped[:end]
    try:
        first = loads(first_line)
        per_line = isinstance(first, dict) and ("metrics" in first or "filter" in first)
    except ValueError:
        per_line = b'"metrics":' in first_line or b'"filter":' in first_line
    if per_line:
        return "lm-eval 0.4.8+ JSONL layout (per-line filter/metrics)"
    return "lm-eval 0.4.3-0.4.5 JSONL layout (no per-line filter/metrics)"


def read_lmeval(
    files: list[Path], ctx: ReadContext, explicit: bool
) -> Iterator[SampleRecord | BadLine]:
    """Plan the read, fill ``ctx`` from results files now, and return the record stream.

    ``ctx.run_meta["schema_variant"]`` names the samples layout (one per distinct layout,
    joined with `` + ``). After the last record the stream yields warnings for reported
    task/group scores its samples do not reproduce (see :func:`check_reported`).

    Args:
        files: files (directories already walked).
        ctx: context to fill (tasks, groups, run_meta["timestamps"]).
        explicit: the user named files (see module docstring on timestamps).

    Raises:
        ValueError: see :func:`plan_lmeval` and :func:`read_results`.
    """
    plan = plan_lmeval(files, explicit)
    reports = []
    for results_path in plan.results:
        read_results(results_path, ctx)
        reports.append(reported_scores(results_path))
    if plan.timestamps:
        ctx.run_meta["timestamps"] = plan.timestamps
    for _path, task in plan.samples:
        ctx.tasks.setdefault(task, TaskConfig(task=task))
    ctx.run_meta["source_files"] = [str(p) for p, _ in plan.samples] + [
        str(p) for p in plan.results
    ]
    variants = sorted({schema_variant(p) for p, _ in plan.samples})
    ctx.run_meta["schema_variant"] = " + ".join(variants)

    ctx.lmeval_files = read = LmEvalFiles(list(plan.samples), reports)
    origin: dict[str, str] = {}  # task -> what its generation settings were read from
    for path, task in plan.samples:
        notes = read.notes.setdefault(str(path), [])
        config, first = ctx.tasks[task], _first_record(path)
        notes.extend(positional_filters(path, task, config, first))
        notes.extend(line_settings(path, task, config, origin, first))

    def stream() -> Iterator[SampleRecord | BadLine]:
        tally: dict[tuple[str, str, str], list[float]] = {}
        counted: set[tuple[str, str, str]] = set()  # a repeated line is counted once
        for path, task in plan.samples:
            yield from tallied(iter_samples_file(path, task, ctx), tally, counted)
        for reported in reports:
            yield from check_reported(reported, tally, ctx.groups)

    return stream()


@dataclass
class LmEvalFiles:
    """The samples files of one lm-eval read and the results files' scores to check, so
    that the files can be read apart (the ingest's worker processes, one task's files in one
    process) and the checks made at the end (:func:`tallied`, :func:`check_reported`).

    Attributes:
        samples: ``(path, task)`` in reading order.
        reports: the scores each results file reports.
        notes: samples file -> what planning the read found in it (:func:`line_settings`,
            :func:`positional_filters`), yielded when that file is read.
    """

    samples: list[tuple[Path, str]]
    reports: list[ReportedScores]
    notes: dict[str, list[BadLine]] = field(default_factory=dict)


def tallied(
    items: Iterator[SampleRecord | BadLine],
    tally: dict[tuple[str, str, str], list[float]],
    counted: set[tuple[str, str, str]],
) -> Iterator[SampleRecord | BadLine]:
    """``items`` unchanged, adding each first sample's logged metrics to ``tally``
    (``(task, filter, metric)`` -> ``[sum, samples]``; a line repeated is counted once, by
    ``counted``), for :func:`check_reported` after the last record. The keys hold the task,
    so files of different tasks can be tallied apart and the tallies merged."""
    # the [sum, samples] lists of the last (task, filter) met, by metric: a file's lines
    # share both, so a line costs a lookup by metric name, not a tuple built and hashed
    last: tuple[str, str] | None = None
    sums: dict[str, list[float]] = {}
    for item in items:
        if isinstance(item, SampleRecord) and item.sample_idx == 0:
            task, filter_name = item.task, item.filter
            key = (task, filter_name, item.doc_id)
            if key in counted:
                yield item
                continue
            counted.add(key)
            if last is None or last[0] != task or last[1] != filter_name:
                last, sums = (task, filter_name), {}
            for metric, value in item.metrics.items():
                if value is not None:
                    counts = sums.get(metric)
                    if counts is None:
                        counts = sums[metric] = tally.setdefault(
                            (task, filter_name, metric), [0.0, 0]
                        )
                    counts[0] += value
                    counts[1] += 1
        yield item
