"""HuggingFace lighteval per-sample details (parquet), as leaderboards publish them.

Files (formats.md §3; lighteval ``logging/evaluation_tracker.py``):
``<output_dir>/details/<model>/<date_id>/details_<task_full_name>_<date_id>.parquet`` beside
``<output_dir>/results/<model>/results_<date_id>.json``. The task full name is
``suite|task|num_fewshot`` (``leaderboard|bbh:navigate|3``, ``harness|arc:challenge|25``) or,
from 0.13, ``task|num_fewshot``; the task is the part before the few-shot count (without the
suite), the few-shot count is kept in the task settings.

Two column layouts (lighteval ``logging/info_loggers.py`` ``DetailsLogger.Detail``):

* 0.11 and later: struct columns ``doc`` (``query``, ``choices``, ``gold_index``,
  ``instruction``, ``specific``, ``id``, ``generation_size``, ``stop_sequences``,
  ``num_samples``...), ``model_response`` (``input``, ``text`` (one entry per sample),
  ``reasonings``, ``text_post_processed``, ``logprobs``, ``output_tokens``...) and ``metric``
  (metric name -> value for the document).
* 0.3-0.10 and the Open LLM Leaderboard details: flat columns ``example``, ``instruction``,
  ``full_prompt``, ``num_effective_few_shots``, ``num_asked_few_shots``, ``predictions``,
  ``input_tokens``, ``cont_tokens``, ``truncated``, ``padded``, ``gold``, ``pred_logits``,
  ``choices``, ``gold_index``, ``metrics``, ``specifics``. Versions 0.4-0.7 wrote every value
  as ``str(value)`` (Python literals such as ``"['B']"`` or ``"{'acc': 1}"``); those strings
  are parsed back with :func:`ast.literal_eval` (never evaluated as code).

Records: ``doc_id`` is ``doc.id`` when set, else the row index in the file; the response is the
generated text (reasoning traces are split off by :mod:`capslice_tui.ingest.reasoning`; a
``reasonings`` entry is kept as the trace); for log-likelihood tasks it is the choice with the
highest log-likelihood. The target is ``choices[gold_index]`` (``gold`` in the flat layout);
when several answers are accepted the first is the target and all are kept as ``doc["golds"]``.
The official score is the document's correctness metric (``acc``, ``em``, ``exact_match``,
``extractive_match``, ``qem``, ``pass@1``, ``pass@k`` at k=1, ``prompt_level_strict_acc``, or
the only 0/1 metric). With several generations per document (``num_samples`` > 1, pass@k, avg@n)
lighteval stores only the per-document aggregate, so each generation becomes a sample with no
official score (capslice scores it) and the document's metrics stay on sample 0.

pyarrow is imported only when a parquet file is read; rows are read in batches.
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from capslice_tui.ingest._io import is_gzip, load_json, metric_value, open_binary, strip_gz
from capslice_tui.ingest._names import benchmark_from_prefix
from capslice_tui.ingest.records import BadLine, ReadContext, SampleRecord, TaskConfig

PARQUET_MAGIC = b"PAR1"
_DETAILS_RE = re.compile(r"^details_(?P<task>.+)_(?P<ts>\d{4}-\d{2}-\d{2}T[0-9\-.:]+)\.parquet$")
_NEW_COLUMNS = frozenset({"doc", "model_response", "metric"})
_OLD_COLUMNS = frozenset({"predictions", "metrics"})
_CORRECTNESS_KEYS: tuple[str, ...] = (
    "acc",
    "em",
    "exact_match",
    "extractive_match",
    "qem",
    "quasi_exact_match",
    "pass@1",
    "pass@k:k=1",
    "prompt_level_strict_acc",
    "acc_norm",
)
_BATCH_ROWS = 2048


def is_lighteval_results(obj: Any) -> bool:
    """True for a lighteval results document (``results`` plus ``config_general``)."""
    return isinstance(obj, dict) and "results" in obj and "config_general" in obj


def split_task_name(full_name: str) -> tuple[str, int | None]:
    """``(task, num_fewshot)`` of a lighteval task full name.

    ``leaderboard|bbh:navigate|3`` -> ``("bbh:navigate", 3)``; ``gsm8k|5`` -> ``("gsm8k", 5)``;
    a name without ``|`` is the task itself with no few-shot count.
    """
    parts = full_name.split("|")
    shots: int | None = None
    if len(parts) > 1 and parts[-1].strip().isdigit():
        shots = int(parts[-1])
        parts = parts[:-1]
    task = parts[-1] if len(parts) > 1 else parts[0]
    return task, shots


def _benchmark(task: str) -> str:
    return benchmark_from_prefix(task) or re.split(r"[:|]", task, maxsplit=1)[0]


def _literal(value: Any) -> Any:
    """A value of the str()-everything layout parsed back; other values unchanged."""
    if isinstance(value, str):
        text = value.strip()
        if (text and text[0] in "[{(") or text in ("None", "True", "False") or _is_number(text):
            try:
                return ast.literal_eval(text)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                return value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _metric_dict(value: Any) -> dict[str, float | None]:
    value = _literal(value)
    if isinstance(value, list) and all(isinstance(v, (list, tuple)) and len(v) == 2 for v in value):
        value = dict(value)  # a parquet map column reads as key/value pairs
    if not isinstance(value, dict):
        return {}
    # None is a key another row of the task carries (parquet structs hold the union of keys)
    return {
        str(k): metric_value(v)
        for k, v in value.items()
        if v is not None and not isinstance(v, (dict, list))
    }


def _correctness(metrics: dict[str, float | None]) -> float | None:
    for key in _CORRECTNESS_KEYS:
        for name, value in metrics.items():
            if name == key or name.startswith(key + ":") or name.startswith(key + "&"):
                if value is None or 0.0 <= value <= 1.0:
                    return value
    binary = [v for v in metrics.values() if v in (0.0, 1.0)]
    if len(metrics) == 1 and binary:
        return binary[0]
    return None


def _prompt_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # chat messages
        parts = []
        for turn in value:
            if isinstance(turn, dict):
                parts.append(str(turn.get("content", "")))
            elif turn is not None:
                parts.append(str(turn))
        return "\n".join(parts) if parts else None
    return None


def _best_choice(logprobs: list[Any], choices: list[Any]) -> str | None:
    scores: list[float] = []
    for entry in logprobs:
        first = entry[0] if isinstance(entry, (list, tuple)) and entry else entry
        try:
            scores.append(float(first))
        except (TypeError, ValueError):
            return None
    if not scores or len(scores) != len(choices):
        return None
    best = max(range(len(scores)), key=scores.__getitem__)
    return str(choices[best])


def _golds(choices: list[Any], gold_index: Any) -> list[str]:
    return [
        str(choices[index])
        for index in _as_list(gold_index)
        if isinstance(index, int) and 0 <= index < len(choices)
    ]


class _RowFields(NamedTuple):
    """What one details row holds, read from either column layout."""

    metrics: dict[str, float | None]
    texts: list[str]
    reasonings: list[Any]
    tokens: list[Any]
    choices: list[Any]
    logprobs: list[Any]
    prompt: str | None
    golds: list[str]
    doc_id: str
    item: dict[str, Any]


def _row_records(
    row: dict[str, Any], row_index: int, task: str, shots: int | None, source: str, ctx: ReadContext
) -> list[SampleRecord] | BadLine:
    line = row_index + 1
    if "model_response" in row:
        fields = _new_row_fields(row, row_index, task, shots, ctx)
        if fields is None:
            return BadLine(source, line, "columns 'doc'/'model_response' are not structs")
    else:
        fields = _old_row_fields(row, row_index, task, shots, ctx)
    item, golds = fields.item, fields.golds
    if len(golds) > 1:  # every accepted answer is kept with the item; the first is the target
        item["golds"] = golds
    base: dict[str, Any] = {
        "task": task,
        "doc_id": fields.doc_id,
        "benchmark": _benchmark(task),
        "prompt": fields.prompt,
        "target": golds[0] if golds else None,
        "doc": item or None,
        "source_file": source,
        "source_line": line,
    }
    return _sample_records(base, fields, _correctness(fields.metrics), source, line)


def _new_row_fields(
    row: dict[str, Any], row_index: int, task: str, shots: int | None, ctx: ReadContext
) -> _RowFields | None:
    """Fields of a row in the ``doc``/``model_response``/``metric`` layout (also records the
    task's generation cap and stop sequences); None when those columns are not structs."""
    doc = row.get("doc") or {}
    response = row.get("model_response") or {}
    if not isinstance(doc, dict) or not isinstance(response, dict):
        return None
    metrics = _metric_dict(row.get("metric"))
    texts = [t for t in _as_list(response.get("text")) if isinstance(t, str)]
    reasonings = _as_list(response.get("reasonings"))
    tokens = _as_list(response.get("output_tokens"))
    choices = _as_list(doc.get("choices"))
    logprobs = _as_list(response.get("logprobs"))
    prompt = _prompt_text(response.get("input")) or _prompt_text(doc.get("query"))
    query = doc.get("query")
    golds = _golds(choices, doc.get("gold_index"))
    doc_id = str(doc.get("id")) if doc.get("id") not in (None, "") else str(row_index)
    config = ctx.tasks.setdefault(task, TaskConfig(task=task, num_fewshot=shots))
    if config.max_gen_toks is None and isinstance(doc.get("generation_size"), int):
        config.max_gen_toks = doc["generation_size"]
    stops = doc.get("stop_sequences")
    if config.until is None and isinstance(stops, list):
        config.until = [str(s) for s in stops]
    item: dict[str, Any] = {"query": query} if isinstance(query, str) else {}
    specific = doc.get("specific")
    if isinstance(specific, dict):
        item.update({k: v for k, v in specific.items() if isinstance(v, (str, int, float))})
    return _RowFields(
        metrics, texts, reasonings, tokens, choices, logprobs, prompt, golds, doc_id, item
    )


def _old_row_fields(
    row: dict[str, Any], row_index: int, task: str, shots: int | None, ctx: ReadContext
) -> _RowFields:
    """Fields of a row in the older ``predictions``/``metrics`` layout (string-encoded lists)."""
    metrics = _metric_dict(row.get("metrics"))
    predictions = _as_list(_literal(row.get("predictions")))
    choices = _as_list(_literal(row.get("choices")))
    texts = [p for p in predictions if isinstance(p, str)]
    logprobs = [] if texts else predictions
    prompt = _prompt_text(row.get("full_prompt")) or _prompt_text(row.get("example"))
    query = row.get("example")
    golds = (
        _golds(choices, _literal(row.get("gold_index")))
        if choices
        else [str(g) for g in _as_list(_literal(row.get("gold"))) if g is not None]
    )
    ctx.tasks.setdefault(task, TaskConfig(task=task, num_fewshot=shots))
    item: dict[str, Any] = {"query": query} if isinstance(query, str) else {}
    specifics = _literal(row.get("specifics"))
    if isinstance(specifics, dict):
        item.update({k: v for k, v in specifics.items() if isinstance(v, (str, int, float))})
    return _RowFields(
        metrics, texts, [], [], choices, logprobs, prompt, golds, str(row_index), item
    )


def _sample_records(
    base: dict[str, Any], fields: _RowFields, correct: float | None, source: str, line: int
) -> list[SampleRecord] | BadLine:
    """One record per generated text, or the best-scored choice of a log-likelihood row."""
    texts, metrics = fields.texts, fields.metrics
    if not texts:
        choices = fields.choices
        chosen = _best_choice(fields.logprobs, choices) if choices else None
        if chosen is None:
            return BadLine(
                source, line, "no generated text and no per-choice log-likelihoods to read"
            )
        return [
            SampleRecord(
                **base, response=chosen, extracted=chosen, correct=correct, metrics=metrics
            )
        ]
    records = []
    several = len(texts) > 1
    for sample_idx, text in enumerate(texts):
        trace = fields.reasonings[sample_idx] if sample_idx < len(fields.reasonings) else None
        toks = fields.tokens[sample_idx] if sample_idx < len(fields.tokens) else None
        records.append(
            SampleRecord(
                **base,
                sample_idx=sample_idx,
                response=text,
                correct=None if several else correct,
                metrics=metrics if sample_idx == 0 else {},
                n_output_tokens=len(toks) if isinstance(toks, list) and toks else None,
                reasoning=trace if isinstance(trace, str) and trace else None,
            )
        )
    return records


def _task_of(path: Path) -> tuple[str, str | None]:
    name = strip_gz(path.name)
    match = _DETAILS_RE.match(name)
    if match:
        return match.group("task"), match.group("ts")
    stem = name[: -len(".parquet")] if name.endswith(".parquet") else name
    return (stem[len("details_") :] if stem.startswith("details_") else stem), None


def iter_details_file(
    path: Path, full_name: str, ctx: ReadContext
) -> Iterator[SampleRecord | BadLine]:
    """Stream one details parquet file as records (rules in the module docstring).

    Yields a single :class:`BadLine` (line 0) when the file is not readable parquet or has
    neither lighteval column layout.
    """
    import pyarrow.parquet as pq  # lazy: only parquet reads pay for pyarrow

    source = str(path)
    task, shots = split_task_name(full_name)
    try:
        if is_gzip(path):  # parquet needs seeks: a gzipped copy is read into memory
            with open_binary(path) as fh:
                parquet = pq.ParquetFile(io.BytesIO(fh.read()))
        else:
            parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        yield BadLine(source, 0, f"not a readable parquet file: {exc}")
        return
    columns = set(parquet.schema_arrow.names)
    if not (_NEW_COLUMNS <= columns or _OLD_COLUMNS <= columns):
        yield BadLine(
            source,
            0,
            "not a lighteval details file: expected columns doc/model_response/metric "
            f"(0.11+) or predictions/metrics (older); found {', '.join(sorted(columns))}",
        )
        return
    row_index = 0
    try:
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
            for row in batch.to_pylist():
                converted = _row_records(row, row_index, task, shots, source, ctx)
                row_index += 1
                if isinstance(converted, BadLine):
                    yield converted
                else:
                    yield from converted
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        yield BadLine(source, row_index + 1, f"parquet read stopped: {exc}")


def read_lighteval(
    files: list[Path], ctx: ReadContext, explicit: bool
) -> Iterator[SampleRecord | BadLine]:
    """Plan the read of lighteval details, fill ``ctx`` and return the record stream.

    Args:
        files: files (directories already walked); parquet files are details, a JSON document
            with ``results`` and ``config_general`` is the results file (model name, version).
        ctx: context to fill.
        explicit: the user named the files (several timestamps are then allowed).

    Raises:
        ValueError: no parquet file; several timestamps among the details of directory input
            (lists them and says to pass the files of one run).
    """
    from capslice_tui.ingest._io import read_head

    details: list[tuple[Path, str, str | None]] = []
    results: list[Path] = []
    for path in files:
        head = read_head(path, 4)
        if head == PARQUET_MAGIC:
            task, ts = _task_of(path)
            details.append((path, task, ts))
        elif strip_gz(path.name).endswith(".json"):
            try:
                doc = load_json(path)
            except ValueError:
                continue
            if is_lighteval_results(doc):
                results.append(path)
    if not details:
        raise ValueError("no lighteval details parquet files among: " + ", ".join(map(str, files)))
    stamps = sorted({ts for _p, _t, ts in details if ts is not None})
    if len(stamps) > 1 and not explicit:
        listed = "\n  ".join(stamps)
        raise ValueError(
            f"lighteval details hold several runs (timestamps):\n  {listed}\n"
            "pass the details_*_<ts>.parquet files of one run"
        )
    for path in results:
        doc = load_json(path)
        general = doc.get("config_general") or {}
        if isinstance(general, dict):
            for key in ("model_name", "lighteval_sha", "start_time", "end_time"):
                if general.get(key) is not None:
                    ctx.run_meta.setdefault(key, general[key])
        ctx.run_meta.setdefault("results_files", []).append(str(path))
    ctx.run_meta["source_files"] = [str(p) for p, _t, _ts in details] + [str(p) for p in results]
    if stamps:
        ctx.run_meta["timestamps"] = stamps

    def stream() -> Iterator[SampleRecord | BadLine]:
        for path, full_name, _ts in details:
            yield from iter_details_file(path, full_name, ctx)

    return stream()
