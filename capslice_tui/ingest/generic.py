"""Generic JSONL and CSV logs (formats.md §6).

Three row layouts are recognised from the first row of each file:

* **flat** — one row per generation (the BBH authors' ``task, doc_id, model, prompting,
  target, prediction`` rows; the canonical long layout of §6.4 ``run_id, model, checkpoint,
  benchmark, task, item_id, sample_idx, prompt, target, response, extracted_answer, correct,
  finish_reason, n_output_tokens, filter, source_format``).
* **systems** — one row per item with one nested object per system
  (``{"question", "ground_truth", "<system>": {"solution", "is_correct"}}``). Without a
  ``system`` argument every system is yielded with ``SampleRecord.system`` set; with one, only
  that system (``system=None`` on the records).
* **parallel** — one row per problem with parallel per-sample lists (Qwen/math-evaluation-
  harness: ``idx, question, gt, response[], pred[], score[]``): one record per list position.

Fields are found by role (:data:`DEFAULT_KEYS`, first present key wins; ``answer`` ranks
after ``gt``/``gold``/``ground_truth`` because math-harness rows use it for other things) unless
``field_map`` names the key for a role. The ``system`` role has no default key: a flat file's
``model``/``checkpoint`` column is used only to filter rows when ``system`` is given (the
Qwen layout's ``system`` key is a system prompt, not a model).

doc_id is the line index (0-based, counting data rows) when the row has no id. Targets that
are worked solutions ending in ``#### N`` or a final ``A: N`` line become ``N``. The task is the
row's task field, else ``benchmark``, else the file stem.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from capslice_tui.ingest._io import iter_jsonl, metric_value, open_text, read_head
from capslice_tui.ingest._names import benchmark_from_prefix
from capslice_tui.ingest.records import BadLine, ReadContext, SampleRecord

DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    "task": ("task", "subtask", "dataset"),
    "benchmark": ("benchmark",),
    "doc_id": ("doc_id", "item_id", "idx", "id", "question_id"),
    "prompt": ("prompt", "input", "question", "problem", "query"),
    "target": ("target", "gt", "gold", "ground_truth", "answer", "label"),
    "response": ("response", "prediction", "output", "completion", "generation", "solution"),
    "correct": ("correct", "is_correct", "score", "acc", "exact_match"),
    "sample_idx": ("sample_idx",),
    "filter": ("filter",),
    "finish_reason": ("finish_reason",),
    "n_output_tokens": ("n_output_tokens", "num_output_tokens"),
    "extracted": ("extracted_answer", "extracted", "pred"),
    "system": (),
}
ROLES: tuple[str, ...] = tuple(DEFAULT_KEYS)
_SYSTEM_COLUMNS = ("checkpoint", "model")
_TRUE = frozenset({"true", "1", "yes", "y", "t", "1.0"})
_FALSE = frozenset({"false", "0", "no", "n", "f", "0.0"})
_TARGET_NUMBER_RE = re.compile(r"(?:####|(?:^|\n)\s*A:)\s*(-?\$?[\d,]*\.?\d+)\s*\.?\s*$")


def validate_field_map(field_map: dict[str, str] | None) -> dict[str, str]:
    """Check ``--field ROLE=KEY`` overrides.

    Raises:
        ValueError: an unknown role (the message lists the valid roles).
    """
    field_map = dict(field_map or {})
    unknown = sorted(set(field_map) - set(ROLES))
    if unknown:
        raise ValueError(
            f"unknown field role(s) {', '.join(unknown)}; valid roles: {', '.join(ROLES)}"
        )
    return field_map


def parse_correct(value: Any) -> float | None:
    """Correctness cell: bools, numbers, "true/false/1/0/yes/no"; empty/NaN → None.

    Raises:
        ValueError: any other text.
    """
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _TRUE:
            return 1.0
        if text in _FALSE:
            return 0.0
        number = metric_value(text)
        if number is None and text not in ("", "n/a", "na", "nan", "none", "null"):
            raise ValueError(f"not a correctness value: {value!r}")
        return number
    return metric_value(value)


def clean_generic_target(value: Any) -> str | None:
    """Target as text; a worked solution ending in ``#### N``/``A: N`` becomes ``N``."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    hit = _TARGET_NUMBER_RE.search(text)
    return hit.group(1).replace(",", "") if hit else text


class _Resolver:
    """Role → key for one file, decided from its first row."""

    def __init__(self, first: dict[str, Any], field_map: dict[str, str], source: str, line: int):
        self.keys: dict[str, str | None] = {}
        for role in ROLES:
            if role in field_map:
                if field_map[role] not in first and not self._nested_has(first, field_map[role]):
                    raise ValueError(
                        f"{source}:{line}: field {field_map[role]!r} (given for role {role!r}) "
                        f"is not in the data; keys: {', '.join(map(str, first))}"
                    )
                self.keys[role] = field_map[role]
            else:
                self.keys[role] = next((k for k in DEFAULT_KEYS[role] if k in first), None)

    @staticmethod
    def _nested_has(row: dict[str, Any], key: str) -> bool:
        return any(isinstance(v, dict) and key in v for v in row.values())

    def key(self, role: str) -> str | None:
        return self.keys.get(role)


def _nested_keys(
    first: dict[str, Any], field_map: dict[str, str]
) -> tuple[str, str | None, str | None]:
    """(response key, correct key, extracted key) inside a system's nested object."""
    nested = next(v for v in first.values() if isinstance(v, dict))
    response = field_map.get("response") or next(k for k in DEFAULT_KEYS["response"] if k in nested)
    correct = field_map.get("correct") or next(
        (k for k in DEFAULT_KEYS["correct"] if k in nested), None
    )
    extracted = field_map.get("extracted") or next(
        (k for k in DEFAULT_KEYS["extracted"] if k in nested), None
    )
    return response, correct, extracted


def _system_keys(first: dict[str, Any]) -> list[str]:
    return [
        key
        for key, value in first.items()
        if isinstance(value, dict) and any(k in value for k in DEFAULT_KEYS["response"])
    ]


def _layout(first: dict[str, Any], resolver: _Resolver) -> str:
    if _system_keys(first):
        return "systems"
    response_key = resolver.key("response")
    if response_key and isinstance(first.get(response_key), list):
        return "parallel"
    return "flat"


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def iter_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Rows of a JSONL or CSV file as ``(line, dict | BadLine)``; CSV cells are strings,
    empty cells become None; CSV line numbers count the header as line 1."""
    head = read_head(path, 4096).lstrip()
    if head[:1] in (b"{", b"["):
        yield from iter_jsonl(path)
        return
    with open_text(path) as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            return
        for row in reader:
            line = reader.line_num
            if None in row:
                yield (
                    line,
                    BadLine(
                        str(path),
                        line,
                        f"row has more cells than the header's {len(reader.fieldnames)}",
                    ),
                )
                continue
            yield line, {k: (None if v == "" else v) for k, v in row.items()}


def read_generic(
    files: list[Path],
    ctx: ReadContext,
    field_map: dict[str, str] | None = None,
    system: str | None = None,
    benchmark: str | None = None,
) -> Iterator[SampleRecord | BadLine]:
    """Stream records from generic JSONL/CSV files (layouts in the module docstring).

    Raises (eagerly, before streaming):
        ValueError: unknown role in ``field_map``; a mapped key absent from a file's first
            row (names file, line and field); ``system`` not among a systems file's systems.
    """
    field_map = validate_field_map(field_map)
    ctx.run_meta["source_files"] = [str(p) for p in files]
    plans = []
    for path in files:
        first_line, first = next(
            ((n, r) for n, r in iter_rows(path) if isinstance(r, dict)), (0, None)
        )
        if first is None:
            plans.append((path, None, "empty"))
            continue
        resolver = _Resolver(first, field_map, str(path), first_line)
        layout = _layout(first, resolver)
        if layout == "systems":
            systems = _system_keys(first)
            if system is not None and system not in systems:
                raise ValueError(
                    f"{path}: system {system!r} not found; systems: {', '.join(systems)}"
                )
            ctx.run_meta.setdefault("systems", systems)
        elif system is not None and resolver.key("system") is None:
            column = next((c for c in _SYSTEM_COLUMNS if c in first), None)
            if column is None:
                raise ValueError(
                    f"{path}:{first_line}: system {system!r} given but rows carry no "
                    f"'model'/'checkpoint' column (use --field system=KEY)"
                )
            resolver.keys["system"] = column
        model_key = next((c for c in _SYSTEM_COLUMNS if c in first), None)
        if model_key and layout != "systems":
            ctx.run_meta.setdefault("model_name", first[model_key])
        plans.append((path, resolver, layout))
    ctx.run_meta["layouts"] = {str(p): layout for p, _r, layout in plans}

    def stream() -> Iterator[SampleRecord | BadLine]:
        for path, resolver, layout in plans:
            if resolver is None:
                continue
            yield from _read_file(path, resolver, layout, field_map, system, benchmark)

    return stream()


def _read_file(
    path: Path,
    resolver: _Resolver,
    layout: str,
    field_map: dict[str, str],
    system: str | None,
    benchmark: str | None,
) -> Iterator[SampleRecord | BadLine]:
    source = str(path)
    stem = path.name.split(".")[0]
    key = resolver.key
    used = {k for k in resolver.keys.values() if k}
    nested: tuple[str, str | None, str | None] | None = None
    row_index = -1
    for line, row in iter_rows(path):
        if isinstance(row, BadLine):
            yield row
            continue
        row_index += 1
        for role, mapped in field_map.items():
            if mapped not in row and not (
                layout == "systems" and role in ("response", "correct", "extracted")
            ):
                yield BadLine(source, line, f"field {mapped!r} (role {role!r}) missing")
                break
        else:
            task_key = key("task")
            task = (
                str(row[task_key])
                if task_key and row.get(task_key) is not None
                else (benchmark or stem)
            )
            bench_key = key("benchmark")
            bench = benchmark or (str(row[bench_key]) if bench_key and row.get(bench_key) else None)
            bench = bench or benchmark_from_prefix(task)
            id_key = key("doc_id")
            doc_id = str(row[id_key]) if id_key and row.get(id_key) is not None else str(row_index)
            prompt_key, target_key = key("prompt"), key("target")
            common = {
                "task": task,
                "doc_id": doc_id,
                "benchmark": bench,
                "prompt": None
                if not prompt_key or row.get(prompt_key) is None
                else str(row[prompt_key]),
                "target": clean_generic_target(row.get(target_key)) if target_key else None,
                "source_file": source,
                "source_line": line,
            }
            try:
                if layout == "systems":
                    if nested is None:
                        nested = _nested_keys(row, field_map)
                    yield from _systems_records(row, common, nested, system, used)
                elif layout == "parallel":
                    yield from _parallel_records(row, common, resolver, used)
                else:
                    record = _flat_record(row, common, resolver, used, system)
                    if record is not None:
                        yield record
            except ValueError as exc:
                yield BadLine(source, line, str(exc))


def _doc(row: dict[str, Any], exclude: set[str]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in exclude and not isinstance(v, (dict, list))}


def _correct_field(row: dict[str, Any], correct_key: str | None) -> float | None:
    if not correct_key or correct_key not in row:
        return None
    try:
        return parse_correct(row[correct_key])
    except ValueError as exc:
        raise ValueError(f"field {correct_key!r}: {exc}") from None


def _flat_record(
    row: dict[str, Any],
    common: dict[str, Any],
    resolver: _Resolver,
    used: set[str],
    system: str | None,
) -> SampleRecord | None:
    key = resolver.key
    system_key = key("system")
    if system is not None and system_key is not None and str(row.get(system_key)) != system:
        return None
    correct = _correct_field(row, key("correct"))
    response_key = key("response")
    extracted_key = key("extracted")
    if response_key and response_key not in row and correct is None:
        # a row without its generation and without a score says nothing about the model;
        # storing it as an empty response would count a failure that never happened
        raise ValueError(f"field {response_key!r} (role 'response') missing")
    sample_idx = _int_or_none(row.get(key("sample_idx") or "")) or 0
    return SampleRecord(
        **common,
        sample_idx=sample_idx,
        filter=str(row.get(key("filter") or "") or "none"),
        response=None
        if not response_key or row.get(response_key) is None
        else str(row[response_key]),
        extracted=None
        if not extracted_key or row.get(extracted_key) is None
        else str(row[extracted_key]),
        correct=correct,
        metrics={} if correct is None else {"correct": correct},
        doc=_doc(row, used),
        finish_reason=row.get(key("finish_reason") or "") or None,
        n_output_tokens=_int_or_none(row.get(key("n_output_tokens") or "")),
    )


def _systems_records(
    row: dict[str, Any],
    common: dict[str, Any],
    nested_keys: tuple[str, str | None, str | None],
    system: str | None,
    used: set[str],
) -> Iterator[SampleRecord]:
    response_key, correct_key, extracted_key = nested_keys
    systems = _system_keys(row)
    doc = _doc(row, used | set(systems))
    for name in systems:
        if system is not None and name != system:
            continue
        entry = row[name]
        correct = _correct_field(entry, correct_key)
        yield SampleRecord(
            **common,
            response=None if entry.get(response_key) is None else str(entry[response_key]),
            extracted=None
            if not extracted_key or entry.get(extracted_key) is None
            else str(entry[extracted_key]),
            correct=correct,
            metrics={} if correct is None else {"correct": correct},
            doc=doc,
            system=None if system is not None else name,
        )


def _parallel_records(
    row: dict[str, Any], common: dict[str, Any], resolver: _Resolver, used: set[str]
) -> Iterator[SampleRecord]:
    key = resolver.key
    responses = row[key("response") or ""]
    count = len(responses)
    lists: dict[str, list[Any] | None] = {}
    for role in ("correct", "extracted", "finish_reason", "n_output_tokens"):
        column = key(role)
        value = row.get(column) if column else None
        if value is not None and not isinstance(value, list):
            raise ValueError(f"field {column!r} is not a list although {key('response')!r} is")
        if value is not None and len(value) != count:
            raise ValueError(
                f"field {column!r} has {len(value)} entries, {key('response')!r} has {count}"
            )
        lists[role] = value
    doc = _doc(row, used)
    for sample_idx, text in enumerate(responses):
        correct_list = lists["correct"]
        correct = None
        if correct_list is not None:
            try:
                correct = parse_correct(correct_list[sample_idx])
            except ValueError as exc:
                raise ValueError(f"field {key('correct')!r}[{sample_idx}]: {exc}") from None
        extracted = lists["extracted"][sample_idx] if lists["extracted"] is not None else None
        finish = lists["finish_reason"][sample_idx] if lists["finish_reason"] is not None else None
        tokens = (
            lists["n_output_tokens"][sample_idx] if lists["n_output_tokens"] is not None else None
        )
        yield SampleRecord(
            **common,
            sample_idx=sample_idx,
            response=None if text is None else str(text),
            extracted=None if extracted is None else str(extracted),
            correct=correct,
            metrics={} if correct is None else {"correct": correct},
            doc=doc,
            finish_reason=finish,
            n_output_tokens=_int_or_none(tokens),
        )
