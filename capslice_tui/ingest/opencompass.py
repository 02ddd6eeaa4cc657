"""OpenCompass work directories (formats.md §2, checked against opencompass 0.5.4).

``predictions/<model_abbr>/<dataset_abbr>.json`` (or split ``<dataset_abbr>_0.json``,
``_1.json``... read in index order, the keys of each split restarting at ``"0"``) holds
``{"0": {"origin_prompt", "prediction", "gold"}, ...}``. ``results/<model_abbr>/<dataset_abbr>.json``
holds the metric dict and, when the evaluator supports it, ``details``: a list (or a dict keyed
``"0"``, ``"1"``...) in prediction order with ``correct`` / ``is_correct`` / ``cascade_correct``
and ``pred``. With ``n`` repeats each detail covers one example (``example_abbr``) and its
per-run fields are lists; the detail's i-th value belongs to the i-th of the example's n
consecutive predictions.

Records: task = dataset abbr (``bbh-navigate``), benchmark by prefix (``bbh``, else the text
before the first ``-``), filter ``none``. With several model folders each record's system is its
model abbr (one run per model, ``<run>/<model>``); a single model folder (or the one model picked
with ``system``) gives records without a system, so they are stored under the run name given.
Whole-file JSON parsing: OpenCompass writes single JSON objects, not JSONL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from capslice_tui.ingest._io import load_json, metric_value, strip_gz
from capslice_tui.ingest._names import benchmark_from_prefix
from capslice_tui.ingest.records import BadLine, ReadContext, SampleRecord

_SPLIT_RE = re.compile(r"^(?P<base>.+)_(?P<index>\d+)$")
_CORRECT_KEYS = ("correct", "is_correct", "cascade_correct")


def is_prediction_doc(obj: Any) -> bool:
    """True for an OpenCompass predictions object: ``{"0": {origin_prompt | prediction}}``."""
    if not isinstance(obj, dict) or not obj:
        return False
    first = obj.get("0")
    return isinstance(first, dict) and ("origin_prompt" in first or "prediction" in first)


def find_workdirs(files: list[Path]) -> list[Path]:
    """Work directories (parents of ``predictions/``) implied by files under ``predictions/``."""
    roots: list[Path] = []
    for path in files:
        parts = path.parts
        if "predictions" in parts:
            index = len(parts) - 1 - parts[::-1].index("predictions")
            root = Path(*parts[:index]) if index > 0 else Path(".")
            if root not in roots:
                roots.append(root)
    return roots


def _group_prediction_files(files: list[Path]) -> dict[tuple[str, str], list[Path]]:
    """(model, dataset) -> prediction files in split order."""
    grouped: dict[tuple[str, str], list[tuple[int, Path]]] = {}
    names = {(p.parent, strip_gz(p.name)) for p in files}
    for path in files:
        name = strip_gz(path.name)
        if not name.endswith(".json"):
            continue
        stem = name[:-5]
        model = path.parent.name
        split = _SPLIT_RE.match(stem)
        if (
            split
            and (path.parent, split.group("base") + ".json") not in names
            and (
                path.parent,
                split.group("base") + "_0.json",
            )
            in names
        ):
            key = (model, split.group("base"))
            grouped.setdefault(key, []).append((int(split.group("index")), path))
        else:
            grouped.setdefault((model, stem), []).append((-1, path))
    return {key: [p for _i, p in sorted(items)] for key, items in sorted(grouped.items())}


def _details_list(results: Any) -> list[dict[str, Any]] | None:
    details = results.get("details") if isinstance(results, dict) else None
    if isinstance(details, dict):
        keys = sorted(details, key=lambda k: int(k) if str(k).isdigit() else 0)
        details = [details[k] for k in keys]
    if isinstance(details, list):
        return [d if isinstance(d, dict) else {} for d in details]
    return None


def _correct_of(detail: dict[str, Any]) -> Any:
    for key in _CORRECT_KEYS:
        if key in detail:
            return detail[key]
    return None


def _prompt_text(origin: Any) -> str | None:
    if isinstance(origin, str):
        return origin
    if isinstance(origin, list):
        parts = [
            str(turn.get("prompt", "")) if isinstance(turn, dict) else str(turn) for turn in origin
        ]
        return "\n".join(parts)
    return None


def _response_text(prediction: Any) -> str | None:
    if isinstance(prediction, list):
        prediction = prediction[-1] if prediction else None
    return None if prediction is None else str(prediction)


def _benchmark(dataset: str) -> str:
    return benchmark_from_prefix(dataset) or re.split(r"[-_]", dataset, maxsplit=1)[0]


def read_opencompass(
    files: list[Path], ctx: ReadContext, system: str | None = None
) -> Iterator[SampleRecord | BadLine]:
    """Fill ``ctx.run_meta`` (models, work dirs, metric dicts) and return the record stream.

    Args:
        files: files of one or more work directories (directories already walked).
        ctx: context to fill.
        system: read only this model folder (its records carry no system).

    Raises:
        ValueError: no ``predictions/<model>/<dataset>.json`` among ``files``; ``system`` names
            no model folder (the message lists them).
    """
    pred_files = [p for p in files if p.parent.parent.name == "predictions"]
    if not pred_files:
        raise ValueError("no OpenCompass predictions/<model>/<dataset>.json among the inputs")
    grouped = _group_prediction_files(pred_files)
    if system is not None:
        found = sorted({model for model, _ in grouped})
        if system not in found:
            raise ValueError(
                f"no OpenCompass model folder {system!r}; model folders: {', '.join(found)}"
            )
        grouped = {key: paths for key, paths in grouped.items() if key[0] == system}
    result_index = {
        (p.parent.name, strip_gz(p.name)[:-5]): p
        for p in files
        if p.parent.parent.name == "results" and strip_gz(p.name).endswith(".json")
    }
    models = sorted({model for model, _ in grouped})
    ctx.run_meta["models"] = models
    ctx.run_meta["work_dirs"] = [str(r) for r in find_workdirs(pred_files)]
    ctx.run_meta["source_files"] = [str(p) for paths in grouped.values() for p in paths] + [
        str(p) for key, p in result_index.items() if key in grouped
    ]
    if len(models) == 1:
        ctx.run_meta.setdefault("model_name", models[0])
    several = len(models) > 1
    if several:  # each model's run lists its own files
        by_model: dict[str, list[str]] = {}
        for (model, dataset), paths in grouped.items():
            by_model.setdefault(model, []).extend(str(p) for p in paths)
            if (model, dataset) in result_index:
                by_model[model].append(str(result_index[(model, dataset)]))
        ctx.run_meta["source_files_by_system"] = by_model

    def stream() -> Iterator[SampleRecord | BadLine]:
        for (model, dataset), paths in grouped.items():
            for rec in _read_dataset(
                model, dataset, paths, result_index.get((model, dataset)), ctx
            ):
                if isinstance(rec, SampleRecord) and not several:
                    rec.system = None
                yield rec

    return stream()


def _read_dataset(
    model: str, dataset: str, paths: list[Path], results_path: Path | None, ctx: ReadContext
) -> Iterator[SampleRecord | BadLine]:
    details: list[dict[str, Any]] | None = None
    if results_path is not None:
        try:
            results = load_json(results_path)
        except ValueError as exc:
            yield BadLine(str(results_path), 0, str(exc))
            results = {}
        details = _details_list(results)
        summary = (
            {k: metric_value(v) for k, v in results.items() if k != "details"}
            if isinstance(results, dict)
            else {}
        )
        ctx.run_meta.setdefault("opencompass_results", {}).setdefault(model, {})[dataset] = summary
    predictions: list[tuple[Path, int, Any]] = []
    for path in paths:
        try:
            doc = load_json(path)
        except ValueError as exc:
            yield BadLine(str(path), 0, str(exc), torn=True)
            continue
        if not is_prediction_doc(doc) and doc != {}:
            yield BadLine(
                str(path), 0, "not an OpenCompass predictions object (no key '0' with 'prediction')"
            )
            continue
        keys = sorted(doc, key=lambda k: int(k) if str(k).isdigit() else 10**12)
        predictions.extend((path, int(k) + 1 if str(k).isdigit() else 0, doc[k]) for k in keys)
    benchmark = _benchmark(dataset)
    grouped_details = bool(details and isinstance(_correct_of(details[0]), list))
    position = 0
    if grouped_details and details is not None:
        for item_index, detail in enumerate(details):
            corrects = _correct_of(detail)
            runs = len(corrects) if isinstance(corrects, list) else 1
            preds = detail.get("pred")
            doc_id = str(detail.get("example_abbr", item_index))
            for sample_idx in range(runs):
                if position >= len(predictions):
                    yield BadLine(
                        str(results_path),
                        0,
                        f"details[{item_index}] has more runs than predictions",
                    )
                    return
                path, line, entry = predictions[position]
                position += 1
                correct = corrects[sample_idx] if isinstance(corrects, list) else corrects
                pred = (
                    preds[sample_idx]
                    if isinstance(preds, list) and sample_idx < len(preds)
                    else None
                )
                yield _record(
                    model, dataset, benchmark, doc_id, sample_idx, entry, correct, pred, path, line
                )
        return
    for index, (path, line, entry) in enumerate(predictions):
        detail = details[index] if details is not None and index < len(details) else {}
        pred = detail.get("pred")
        yield _record(
            model, dataset, benchmark, str(index), 0, entry, _correct_of(detail), pred, path, line
        )


def _record(
    model: str,
    dataset: str,
    benchmark: str,
    doc_id: str,
    sample_idx: int,
    entry: Any,
    correct: Any,
    pred: Any,
    path: Path,
    line: int,
) -> SampleRecord | BadLine:
    if not isinstance(entry, dict):
        return BadLine(str(path), line, f"prediction {line - 1} is not an object")
    gold = entry.get("gold")
    correct_value = metric_value(correct)
    return SampleRecord(
        task=dataset,
        doc_id=doc_id,
        sample_idx=sample_idx,
        benchmark=benchmark,
        prompt=_prompt_text(entry.get("origin_prompt")),
        target=None if gold is None else str(gold),
        response=_response_text(entry.get("prediction")),
        extracted=None if pred is None or isinstance(pred, list) else str(pred),
        correct=correct_value,
        # a logged but NaN/"N/A" score stays a None metric: the ingest counts it as missing
        metrics={} if correct is None else {"correct": correct_value},
        system=model,
        source_file=str(path),
        source_line=line,
    )
