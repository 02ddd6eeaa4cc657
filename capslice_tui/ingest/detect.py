"""Detect a log format from file contents (never from extensions; gzip is transparent)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import orjson

from capslice_tui.ingest._io import first_object, loads, open_text, read_head, walk_files
from capslice_tui.ingest.lighteval import PARQUET_MAGIC, is_lighteval_results
from capslice_tui.ingest.lmeval import is_results_doc, is_samples_record
from capslice_tui.ingest.lmms import is_lmms_record, is_lmms_results
from capslice_tui.ingest.opencompass import is_prediction_doc

FORMATS: tuple[str, ...] = ("lm-eval", "lmms-eval", "lighteval", "opencompass", "jsonl", "csv")
_ARRAY_SAMPLE_RE = re.compile(rb'"doc_id"\s*:.*?"(?:resps|filtered_resps|arguments)"\s*:', re.S)
_ARRAY_OF_OBJECTS_RE = re.compile(rb"\[\s*\{")
_OC_PRED_RE = re.compile(rb'^\s*\{\s*"0"\s*:\s*\{[^{}]*?"(?:origin_prompt|prediction)"', re.S)


def sniff_file(path: Path) -> str:
    """Kind of one file from its first bytes.

    Returns one of ``lm-eval-samples``, ``lm-eval-results``, ``lmms-eval-samples``,
    ``lmms-eval-results``, ``parquet``, ``lighteval-results``, ``opencompass-predictions``,
    ``opencompass-results``, ``jsonl``, ``json-rows`` (a JSON array of row objects, read like
    JSONL), ``json``, ``csv``, ``empty`` or ``unknown``.
    """
    head = read_head(path, 1 << 20)
    if head[:4] == PARQUET_MAGIC:
        return "parquet"
    stripped = head.lstrip()
    if not stripped:
        return "empty"
    if stripped[:1] == b"[":
        if _ARRAY_SAMPLE_RE.search(stripped[:65536]):
            return "lm-eval-samples"
        return "json-rows" if _ARRAY_OF_OBJECTS_RE.match(stripped) else "json"
    if stripped[:1] == b"{":
        first_line = stripped.split(b"\n", 1)[0]
        try:
            obj = loads(first_line)
        except orjson.JSONDecodeError:
            obj = None
        if obj is None and len(head) < (1 << 20):
            try:
                obj = loads(stripped)  # a whole (pretty-printed) JSON document
            except orjson.JSONDecodeError:
                obj = None
        elif obj is None and b"\n" not in stripped:
            obj = first_object(path)  # a first line longer than the head (a giant generation)
        if obj is None:
            if _OC_PRED_RE.match(stripped):
                return "opencompass-predictions"
            return "lm-eval-results" if b'"results"' in head and b'"configs"' in head else "unknown"
        if is_lmms_record(obj):
            return "lmms-eval-samples"
        if is_samples_record(obj):
            return "lm-eval-samples"
        if is_lmms_results(obj):
            return "lmms-eval-results"
        if is_results_doc(obj):
            return "lm-eval-results"
        if is_lighteval_results(obj):
            return "lighteval-results"
        if is_prediction_doc(obj):
            return "opencompass-predictions"
        if (
            path.parent.parent.name == "results"
            and isinstance(obj, dict)
            and ("details" in obj or any(isinstance(v, (int, float)) for v in obj.values()))
        ):
            return "opencompass-results"
        return "jsonl" if b"\n" in stripped.rstrip() or first_line == stripped.rstrip() else "json"
    try:
        with open_text(path) as fh:
            sample = fh.read(8192)
        rows = list(csv.reader(io.StringIO(sample)))
    except (UnicodeDecodeError, csv.Error):
        return "unknown"
    if rows and len(rows[0]) >= 2:
        return "csv"
    return "unknown"


def detect_format(paths: list[Path]) -> str:
    """Format of a set of inputs: one of :data:`FORMATS`.

    Directories are walked. OpenCompass wins when a ``predictions/`` folder (with ``results/``
    beside it) or a predictions object is seen; then lighteval (a parquet file: its details);
    then lmms-eval (a line or results file only lmms-eval writes: ``input`` instead of
    ``arguments``, flattened ``resps``, ``lmms_eval_version``); then lm-eval (a samples or
    results file; a results file alone is reported as lm-eval so the reader can say no samples
    were logged); then generic JSONL (or a JSON array of rows); then CSV.

    Raises:
        FileNotFoundError: a path does not exist.
        ValueError: nothing recognisable; the message lists each file and what it looked like.
    """
    files = walk_files(paths)
    kinds = {path: sniff_file(path) for path in files}
    values = set(kinds.values())
    has_oc_dirs = any(
        p.parent.parent.name == "predictions" and (p.parent.parent.parent / "results").is_dir()
        for p in files
    )
    if has_oc_dirs or "opencompass-predictions" in values:
        return "opencompass"
    if "parquet" in values:
        return "lighteval"
    if "lmms-eval-samples" in values or "lmms-eval-results" in values:
        return "lmms-eval"
    if "lm-eval-samples" in values or "lm-eval-results" in values:
        return "lm-eval"
    if "jsonl" in values or "json-rows" in values:
        return "jsonl"
    if "csv" in values:
        return "csv"
    seen = "\n  ".join(f"{p}: {kinds[p]}" for p in files) or "(no files)"
    raise ValueError(
        "could not recognise the log format (expected lm-eval samples/results, an OpenCompass "
        "work dir, JSONL or CSV); saw:\n  " + seen
    )


def generic_files(paths: list[Path]) -> list[Path]:
    """Files of a generic read: JSONL, JSON arrays of rows and CSV data files only (results,
    empty, unknown skipped)."""
    return [p for p in walk_files(paths) if sniff_file(p) in ("jsonl", "json-rows", "csv")]
