"""lmms-eval per-sample logs (``--log_samples``), the multimodal fork of lm-eval.

Layout (lmms-eval ``docs/lmms-eval-0.7.md`` §2.4 and §4, ``loggers/evaluation_tracker.py``):

* ``<output_path>/<model_name_sanitized>/<date_id>_samples_<task>.jsonl`` beside
  ``<date_id>_results.json`` (``date_id`` like ``20250101_120000``); files named the lm-eval way
  (``samples_<task>_<ts>.jsonl``, ``results_<ts>.json``) are read too.
* A line holds ``doc_id``, ``input`` (the prompt; ``arguments`` and ``doc`` are dropped by the
  tracker, though some copies keep them), ``target``, ``resps``, ``filtered_resps``,
  ``doc_hash`` and one key per metric (``exact_match``...), sometimes ``filter``/``metrics``.
* 0.7 flattens the outer list when a document has a single request: ``resps: ["text"]`` instead
  of ``[["text"]]`` (multiple-choice lines keep one inner list per choice).
* ``resps`` is left out when it equals ``filtered_resps``; the response is then the filtered
  text, which is what the model wrote.
* 0.7 strips reasoning tags before scoring: ``resps`` keeps the ``<think>`` trace,
  ``filtered_resps`` is the clean text that was scored. The trace is split off the response by
  :mod:`capslice_tui.ingest.reasoning` like for every reader.

Each line is rewritten to the lm-eval 0.4 shape (nested ``resps``, ``input`` as
``arguments.gen_args_0.arg_0``) and converted by :func:`capslice_tui.ingest.lmeval.convert_line`,
so scoring, repeats and multiple-choice handling are the lm-eval ones. The results file is read
by :func:`capslice_tui.ingest.lmeval.read_results` (same ``results``/``configs``/``n-samples``;
the generation cap is ``generation_kwargs.max_new_tokens``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from capslice_tui.ingest._io import iter_json_records, load_json, strip_gz
from capslice_tui.ingest._names import benchmark_for
from capslice_tui.ingest.lmeval import convert_line, is_results_doc, read_results
from capslice_tui.ingest.records import BadLine, ReadContext, SampleRecord, TaskConfig

_TS = r"(?P<ts>\d{4}-\d{2}-\d{2}T[0-9\-.:]+|\d{8}_\d{6})"
_SAMPLES_RES = (
    re.compile(rf"^{_TS}_samples_(?P<task>.+)\.jsonl?$"),
    re.compile(rf"^samples_(?P<task>.+)_{_TS}\.jsonl?$"),
)
_RESULTS_RES = (
    re.compile(rf"^{_TS}_results\.json$"),
    re.compile(rf"^results_{_TS}\.json$"),
)


def _flat_strings(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def is_lmms_record(obj: Any) -> bool:
    """True for a samples line only lmms-eval writes: ``doc_id`` with ``filtered_resps`` and
    either ``input`` instead of ``arguments`` or a flattened ``resps`` (a list of strings)."""
    if not isinstance(obj, dict) or "doc_id" not in obj or "filtered_resps" not in obj:
        return False
    if "input" in obj and "arguments" not in obj:
        return True
    return _flat_strings(obj.get("resps"))


def is_lmms_results(obj: Any) -> bool:
    """True for an lmms-eval results document (lm-eval's shape plus ``lmms_eval_version``)."""
    return is_results_doc(obj) and "lmms_eval_version" in obj


def normalize_line(line: dict[str, Any]) -> dict[str, Any]:
    """The lm-eval 0.4 shape of one lmms-eval line (a new dict; the input is not changed).

    ``resps`` missing -> the filtered output (one generation); ``resps`` flattened -> nested
    again; ``input`` -> ``arguments.gen_args_0.arg_0``.
    """
    out = dict(line)
    filtered: Any = out.get("filtered_resps")
    resps = out.get("resps")
    if resps is None:
        if _flat_strings(filtered):
            resps = [list(filtered)]
        elif isinstance(filtered, list):
            resps = filtered
    elif _flat_strings(resps):
        resps = [list(resps)]
    if resps is not None:
        out["resps"] = resps
    prompt = out.pop("input", None)
    if "arguments" not in out and prompt is not None:
        if isinstance(prompt, list):
            prompt = next((p for p in prompt if isinstance(p, str)), None)
        out["arguments"] = {"gen_args_0": {"arg_0": prompt if isinstance(prompt, str) else None}}
    return out


def _plan(files: list[Path], explicit: bool) -> tuple[list[tuple[Path, str]], list[Path]]:
    samples: list[tuple[Path, str, str]] = []
    results: dict[str, Path] = {}
    for path in files:
        name = strip_gz(path.name)
        for pattern in _RESULTS_RES:
            match = pattern.match(name)
            if match:
                results[match.group("ts")] = path
                break
        else:
            for pattern in _SAMPLES_RES:
                match = pattern.match(name)
                if match:
                    samples.append((path, match.group("task"), match.group("ts")))
                    break
    stamps = sorted({ts for _p, _t, ts in samples})
    if len(stamps) > 1 and not explicit:
        listed = "\n  ".join(stamps)
        raise ValueError(
            f"lmms-eval output holds several runs (samples timestamps):\n  {listed}\n"
            "pass the samples and results files of one run"
        )
    if not samples:
        raise ValueError(
            "no lmms-eval samples files (<date>_samples_<task>.jsonl or "
            "samples_<task>_<ts>.jsonl) among: " + ", ".join(str(f) for f in files)
        )
    chosen = [results[ts] for ts in stamps if ts in results]
    if not chosen and len(results) == 1:
        chosen = list(results.values())
    return [(p, t) for p, t, _ts in samples], chosen


def _iter_file(path: Path, task: str, ctx: ReadContext) -> Iterator[SampleRecord | BadLine]:
    source = str(path)
    config = ctx.tasks.get(task)
    filters = config.filters if config is not None and config.filters else ["none"]
    benchmark = benchmark_for(task, ctx.groups)
    seen: dict[str, int] = {}
    for line_no, obj in iter_json_records(path):
        if isinstance(obj, BadLine):
            yield obj
            continue
        if "resps" not in obj and "filtered_resps" not in obj:
            yield BadLine(source, line_no, "neither 'resps' nor 'filtered_resps' present")
            continue
        filter_name = obj.get("filter")
        if not isinstance(filter_name, str):
            key = str(obj.get("doc_id"))
            position = seen.get(key, 0)
            seen[key] = position + 1
            filter_name = filters[position] if position < len(filters) else f"none_{position}"
        converted = convert_line(normalize_line(obj), task, filter_name, benchmark, source, line_no)
        if isinstance(converted, BadLine):
            yield converted
        else:
            yield from converted


def read_lmms(
    files: list[Path], ctx: ReadContext, explicit: bool
) -> Iterator[SampleRecord | BadLine]:
    """Plan the read, fill ``ctx`` from the results file now, and return the record stream.

    Args:
        files: files (directories already walked).
        ctx: context to fill (tasks, groups, run_meta incl. ``lmms_eval_version``).
        explicit: the user named the files (no refusal of several timestamps).

    Raises:
        ValueError: no samples file; several timestamps in directory input (lists them); a
            results file that is not valid JSON or not a results document.
    """
    samples, results = _plan(files, explicit)
    for results_path in results:
        read_results(results_path, ctx)
        doc = load_json(results_path)
        if doc.get("lmms_eval_version") is not None:
            ctx.run_meta.setdefault("lmms_eval_version", doc["lmms_eval_version"])
        for task, config in (doc.get("configs") or {}).items():
            gen = config.get("generation_kwargs") if isinstance(config, dict) else None
            cap = gen.get("max_new_tokens") if isinstance(gen, dict) else None
            known = ctx.tasks.get(task)
            if known is not None and known.max_gen_toks is None and isinstance(cap, int):
                known.max_gen_toks = cap  # lmms-eval names the cap max_new_tokens
    for _path, task in samples:
        ctx.tasks.setdefault(task, TaskConfig(task=task))
    ctx.run_meta["source_files"] = [str(p) for p, _ in samples] + [str(p) for p in results]

    def stream() -> Iterator[SampleRecord | BadLine]:
        for path, task in samples:
            yield from _iter_file(path, task, ctx)

    return stream()
