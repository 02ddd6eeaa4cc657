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

Fields are found by role (:data:`DEFAULT_KEYS`: the names people use, first present key wins;
``answer`` ranks after ``gt``/``gold``/``ground_truth`` because math-harness rows use it for
other things) unless ``field_map`` names the key for a role (``--field ROLE=KEY``; aliases in
:data:`ROLE_ALIASES`). The ``system`` role has no default key: a flat file's
``model``/``checkpoint`` column is used only to filter rows when ``system`` is given (the
Qwen layout's ``system`` key is a system prompt, not a model). The mapping used is described
in ``ctx.run_meta["field_mapping"]`` (one line per distinct mapping, e.g. ``item id: task_id ·
sample: completion_id · correctness: passed · response: completion``) so ingest can print it.

Recognised or refused, never guessed: a file with neither a target nor a correctness field,
with neither a response nor a correctness field, or with a sample index but no item id, is
refused (``ValueError`` naming ``--field ROLE=KEY``); a correctness value that is not
true/false, yes/no, 1/0, 1.0/0.0 (any case) or a number is a bad line. A correctness column on
a 0-100 scale (0/100, percentages) is read divided by 100 with a warning naming the field and
the scale; a value that fits neither scale is a bad line saying how many values of the column
share the fault and which (``--skip-bad`` would drop them all: :class:`_Scale`). A
column whose name only looks like a correctness (:data:`CORRECT_WORDS`: ``reward``,
``is_solved``, ``rm_score``) in a file without one is refused when it holds 0/1 values
(``--field correct=COL`` reads it, ``--field correct=-`` declines it) and warned about when it
holds other numbers; it is never an item field. The mapping line ends with the columns no
role reads (``not mapped, kept as item fields: ...``, ``not mapped, not read: ...``). What a row leaves open is a warning (``BadLine(note="warning")``, one text per kind so
the ingest counts the rows and names the first file:line), each naming the ``--field`` option
that decides it: a correctness strictly between 0 and 1 (the run's figures are then mean
scores, not accuracies); another candidate key of a role (``correct`` vs ``passed``,
``target`` vs ``answer``, two response or extracted-answer keys) disagreeing with the key read,
unless the role was named with ``--field``. An extracted answer (``pred``) is kept only beside
a logged correctness: without one capslice scores the response itself, so the extracted
answer is set aside (the mapping says ``not used: pred``) and a row whose response does not
contain it is a warning (``--field response=pred`` scores it instead). Stored extracted
answer, score, lenient score and failure mode then agree.

Item and sample: rows that share an item id are samples of one item (pass@k). Their sample
index is the row's sample field when it is an integer; otherwise (no sample field, or ids such
as ``"s-3"``) the rows of one item are numbered 0, 1, ... in file order, and the ingest notes
how many items were read that way (``ctx.run_meta["reader_notes"]``). Without a sample field,
a row repeating an earlier row's item id and response is decided per file: when an item of the
file has two rows with different responses, the file holds several samples per item and every
row is a sample, identical responses included (sampling repeats short answers); otherwise the
repeats are copies, read as that sample again (the ingest counts an exact repeat once and warns
about one with another score). A note says how many rows repeat and which way they were read
(:class:`_SampleNumbering`). doc_id is the line index (0-based, counting data rows) when the row
has no id.

Rows of a flat file (or of several files) whose ``model``/``checkpoint`` column differs from
the first row's are bad lines telling to pick one with ``--system``: several models never merge
into one model's items.

Evaluation settings found in a row (:data:`SETTING_KEYS`: ``prompting``, ``template``,
``n_shot``, ``temperature``, ``n``, ``seed``...) go to ``SampleRecord.settings`` (numeric CSV
cells as numbers), never to the item's doc, so they do not change the item's identity. A question-like prompt field
(``question``, ``problem``, ``input``, ``query``) is also kept in the doc, where it is the item's
question text; a ``prompt`` field is a prompt only (it may hold a template and few-shot block).

Targets that are worked solutions ending in ``#### N`` or a final ``A: N`` line become ``N``.
The task is the row's task field, else ``benchmark``, else the file stem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from capslice_tui.formatting import plural
from capslice_tui.ingest._io import (
    changed_since,
    file_signature,
    iter_csv_rows,
    iter_json_records,
    metric_value,
    open_text,
    read_head,
)
from capslice_tui.ingest._names import benchmark_from_prefix
from capslice_tui.ingest.records import BadLine, ReadContext, SampleRecord

DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    "task": ("task", "subtask", "dataset", "task_name"),
    "benchmark": ("benchmark",),
    "doc_id": (
        "doc_id",
        "item_id",
        "task_id",
        "problem_id",
        "unique_id",
        "question_id",
        "example_id",
        "instance_id",
        "qid",
        "idx",
        "id",
    ),
    "prompt": ("prompt", "input", "question", "problem", "query", "instruction"),
    "target": (
        "target",
        "gt",
        "gold",
        "ground_truth",
        "reference",
        "expected",
        "expected_answer",
        "expected_output",
        "gold_answer",
        "correct_answer",
        "answer",
        "label",
    ),
    "response": (
        "response",
        "model_output",
        "prediction",
        "output",
        "completion",
        "generation",
        "model_response",
        "generated_text",
        "solution",
    ),
    "correct": (
        "correct",
        "is_correct",
        "is_right",
        "passed",
        "pass",
        "is_pass",
        "score",
        "acc",
        "accuracy",
        "exact_match",
        "em",
        "result",
    ),
    "sample_idx": (
        "sample_idx",
        "sample_id",
        "sample_index",
        "completion_id",
        "completion_idx",
        "generation_idx",
        "repeat_idx",
        "attempt",
    ),
    "filter": ("filter",),
    "finish_reason": ("finish_reason",),
    "n_output_tokens": ("n_output_tokens", "num_output_tokens"),
    "extracted": ("extracted_answer", "extracted", "pred"),
    "system": (),
}
ROLES: tuple[str, ...] = tuple(DEFAULT_KEYS)
ROLE_ALIASES: dict[str, str] = {
    "item_id": "doc_id",
    "item": "doc_id",
    "sample": "sample_idx",
    "correctness": "correct",
    "question": "prompt",
}
"""Other names accepted for a role in ``--field ROLE=KEY`` (the words ingest prints)."""
ROLE_LABELS: dict[str, str] = {
    "doc_id": "item id",
    "sample_idx": "sample",
    "correct": "correctness",
    "response": "response",
    "target": "target",
    "prompt": "prompt",
    "task": "task",
    "benchmark": "benchmark",
    "extracted": "extracted answer",
    "filter": "filter",
    "finish_reason": "finish reason",
    "n_output_tokens": "output tokens",
    "system": "system",
}
"""How the ingest report names each role (``item id: task_id · sample: completion_id``)."""
SETTING_KEYS: tuple[str, ...] = (
    "prompting",
    "prompt_type",
    "prompt_format",
    "prompt_style",
    "prompt_template",
    "template",
    "chat_template",
    "system_prompt",
    "n_shot",
    "n_shots",
    "shots",
    "num_fewshot",
    "n_fewshot",
    "fewshot",
    "k_shot",
    "temperature",
    "top_p",
    "top_k",
    "do_sample",
    "max_tokens",
    "max_new_tokens",
    "max_gen_toks",
    "n",
    "num_samples",
    "n_samples",
    "best_of",
    "seed",
    "decoding",
)
"""Row fields that describe the evaluation (prompting, few-shot count, template, decoding) rather
than the item; read into ``SampleRecord.settings``. A ``system`` field holding text (with
whitespace) is a system prompt and is read as the setting ``system`` too."""
NESTED_SETTING_KEYS: tuple[str, ...] = (
    "generation_config",
    "gen_kwargs",
    "generation_kwargs",
    "sampling_params",
    "decoding_params",
    "gen_args",
)
"""Row fields holding a dict of decoding settings (vLLM ``sampling_params``, HF
``generation_config``, lm-eval ``gen_kwargs``); their scalar entries are settings."""
QUESTION_KEYS: frozenset[str] = frozenset({"question", "problem", "input", "query"})
"""Prompt-role keys that hold the item's question itself (kept in the doc as well)."""
NO_FIELD = "-"
"""``--field correct=-``: the rows carry no correctness (a column that looks like one is not
it); capslice scores the responses and the column stays unread."""
CORRECT_WORDS: frozenset[str] = frozenset(
    """correct correctness right pass passed passes acc accuracy score scores scored reward
    rewards em exact match matched matches judge judged judgement judgment verdict grade graded
    rating solved success successful succeeded hit hits f1""".split()
)
"""Words that make a column name look like a per-sample correctness or score
(``is_solved``, ``reward``, ``judge_verdict``, ``pass@1``, ``rm_score``) when the name is not
one :data:`DEFAULT_KEYS` reads as the correctness unasked. Such a column holding 0/1 values in
a file without a correctness is refused (``--field correct=COL`` reads it, ``--field
correct=-`` declines it); holding other numbers, it is warned about."""
_CANDIDATE_ROWS = 50  # rows looked at to tell a 0/1 column from a score column
_SYSTEM_COLUMNS = ("checkpoint", "model")
_UTF8_BOM = b"\xef\xbb\xbf"
_TRUE = frozenset({"true", "1", "yes", "y", "t", "1.0", "passed", "pass", "correct"})
_FALSE = frozenset(
    {"false", "0", "no", "n", "f", "0.0", "failed", "fail", "incorrect", "wrong", "timed out"}
)
_FAILED_RE = re.compile(r"^(?:failed|fail|error|timed out|timeout)\b")
_TARGET_NUMBER_RE = re.compile(r"(?:####|(?:^|\n)\s*A:)\s*(-?\$?[\d,]*\.?\d+)\s*\.?\s*$")


def validate_field_map(field_map: dict[str, str] | None) -> dict[str, str]:
    """Check ``--field ROLE=KEY`` overrides; aliases (:data:`ROLE_ALIASES`) become roles.

    Returns:
        role -> key with every role one of :data:`ROLES`.

    Raises:
        ValueError: an unknown role (the message lists the valid roles).
    """
    field_map = {ROLE_ALIASES.get(role, role): key for role, key in (field_map or {}).items()}
    unknown = sorted(set(field_map) - set(ROLES))
    if unknown:
        raise ValueError(
            f"unknown field {'role' if len(unknown) == 1 else 'roles'} {', '.join(unknown)}; valid roles: {', '.join(ROLES)} "
            f"(also {', '.join(f'{a}={r}' for a, r in ROLE_ALIASES.items())})"
        )
    declined = sorted(
        role for role, key in field_map.items() if key == NO_FIELD and role != "correct"
    )
    if declined:
        raise ValueError(
            f"--field {declined[0]}={NO_FIELD}: only the correctness can be declined "
            f"(--field correct={NO_FIELD}: the rows carry no correctness, capslice scores the "
            "responses)"
        )
    return field_map


def parse_correct(value: Any) -> float | None:
    """Correctness cell: bools, numbers, "true/false/1/0/1.0/yes/no" in any case, the
    test-runner words "passed"/"pass"/"correct" (1.0) and "failed: AssertionError"/"fail"/"timed
    out"/"incorrect" (0.0, as human-eval's ``result`` field writes them); empty/NaN → None.

    Raises:
        ValueError: any other text, an object or a list.
    """
    if isinstance(value, dict | list | tuple):  # metric_value would make it "missing"
        kind = "an object" if isinstance(value, dict) else "a list"
        raise ValueError(f"not a correctness value: {kind}")
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _TRUE:
            return 1.0
        if text in _FALSE or _FAILED_RE.match(text):
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
        self.unused_extracted: str | None = None  # see _set_aside_extracted
        self.rivals: dict[str, tuple[str, ...]] = {}  # see _find_rivals
        self.candidates: tuple[str, ...] = ()  # see _correctness_candidates
        self.scale = _Scale(Path(source), None, "")  # the correctness column's (_plan_file)
        self.warnings: list[BadLine] = []  # said once per file, before its rows
        self.declined = field_map.get("correct") == NO_FIELD  # --field correct=-
        for role in ROLES:
            if field_map.get(role) == NO_FIELD:
                self.keys[role] = None
            elif role in field_map:
                if field_map[role] not in first and not self._nested_has(first, field_map[role]):
                    raise ValueError(
                        f"{source}:{line}: field {field_map[role]!r} (given for role {role!r}) "
                        f"is not in the data; keys: {', '.join(map(str, first)) or 'none'}"
                    )
                self.keys[role] = field_map[role]
            else:
                self.keys[role] = next((k for k in DEFAULT_KEYS[role] if k in first), None)

    @staticmethod
    def _nested_has(row: dict[str, Any], key: str) -> bool:
        return any(isinstance(v, dict) and key in v for v in row.values())

    def key(self, role: str) -> str | None:
        return self.keys.get(role)


_NestedKeys = tuple[str, str | None, str | None]
"""(response key, correct key, extracted key) inside a system's nested object."""


def _nested_keys(first: dict[str, Any], field_map: dict[str, str]) -> _NestedKeys:
    """(response key, correct key, extracted key) inside a system's nested object."""
    nested = first[_system_keys(first)[0]]
    response = field_map.get("response") or next(k for k in DEFAULT_KEYS["response"] if k in nested)
    correct = field_map.get("correct") or next(
        (k for k in DEFAULT_KEYS["correct"] if k in nested), None
    )
    if correct == NO_FIELD:
        correct = None
    extracted = field_map.get("extracted") or next(
        (k for k in DEFAULT_KEYS["extracted"] if k in nested), None
    )
    # no logged score stands behind an extracted answer: capslice extracts (_set_aside_extracted)
    return response, correct, extracted if correct else None


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


def iter_rows(path: Path, *, watch: bool = True) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Rows of a JSONL file, a JSON array of row objects or a CSV file as ``(line, dict |
    BadLine)``; array element ``i`` is line ``i + 1``; CSV cells are strings, empty cells
    become None; CSV line numbers count the header as line 1 and a row spanning lines (a
    quoted newline) is numbered by its last line. A CSV row with broken quoting
    (:func:`_io.iter_csv_rows`) or with another number of cells than the header is a bad
    line named by its first line; when it spans lines (a quote left open swallows the rows
    after it), those lines are read again as rows. ``watch=False``: a CSV that changed while
    it was read gives no torn line (a look at its first rows, which stores nothing; the read
    that stores them checks the file itself)."""
    head = read_head(path, 4096).removeprefix(_UTF8_BOM).lstrip()
    if head[:1] in (b"{", b"["):
        yield from iter_json_records(path)
        return
    before = file_signature(path)  # a CSV still being written is incomplete, never complete
    n_rows = last = 0
    source = str(path)
    with open_text(path) as fh:
        rows = iter_csv_rows(fh)
        first, last, header = next(rows, (0, 0, []))
        if isinstance(header, str):  # the header's quoting is broken: no row can be named
            yield first, BadLine(source, first, f"the header row: {header}")
            return
        if not header:
            return
        # a byte-order mark (Excel's "CSV UTF-8") is not part of the first column's name
        names = [header[0].removeprefix("\ufeff"), *header[1:]]
        for first, last, cells in rows:
            if isinstance(cells, list) and len(cells) != len(names):
                cells = _cell_count_fault(len(cells), len(names), last - first)
            if isinstance(cells, str):
                yield first, BadLine(source, first, cells)
                continue
            n_rows += 1
            yield last, {k: (None if v == "" else v) for k, v in zip(names, cells, strict=True)}
    changed = changed_since(path, before, n_rows) if watch else None
    if changed:
        yield last + 1, BadLine(source, last + 1, changed, torn=True)


def _cell_count_fault(n_cells: int, n_names: int, more_lines: int) -> str:
    """Why a CSV row with ``n_cells`` cells under a header of ``n_names`` is refused (a row
    spanning ``more_lines`` more lines: a quoted field took in what were rows)."""
    count = f"row has {n_cells} cells, the header {n_names}"
    if more_lines:
        return (
            f"{count}: a quoted field opened on this line runs over "
            f"{plural(more_lines, 'later line')}, which may be rows of their own (a quote "
            'left open); a quote inside a quoted field is written ""'
        )
    return count


def read_generic(
    files: list[Path],
    ctx: ReadContext,
    field_map: dict[str, str] | None = None,
    system: str | None = None,
    benchmark: str | None = None,
) -> Iterator[SampleRecord | BadLine]:
    """Stream records from generic JSONL/CSV files (layouts and rules in the module docstring).

    Fills ``ctx.run_meta``: ``source_files``, ``layouts``, ``field_mapping`` (the lines that
    say which key was read for which role), and after the last record ``reader_notes`` (items
    whose rows were numbered as samples in file order).

    Raises (eagerly, before streaming):
        ValueError: unknown role in ``field_map``; a mapped key absent from a file's first
            row (names file, line and field); ``system`` not among a systems file's systems;
            a file with neither a target nor a correctness field, with neither a response nor
            a correctness field, or with a sample index but no item id (the message names
            ``--field ROLE=KEY``); a file without a correctness whose column looks like a 0/1
            one (:func:`_check_candidates`).
    """
    field_map = validate_field_map(field_map)
    ctx.run_meta["source_files"] = [str(p) for p in files]
    plans: list[tuple[Path, _Resolver | None, str]] = []
    mappings: dict[str, list[str]] = {}
    for path in files:
        first_line, first = next(
            ((n, r) for n, r in iter_rows(path) if isinstance(r, dict)), (0, None)
        )
        if first is None:  # no readable row: an empty file, or one whose every row is bad
            plans.append((path, None, "empty"))
            continue
        resolver, layout, line = _plan_file(path, first_line, first, field_map, system, ctx)
        mappings.setdefault(line, []).append(path.name)
        plans.append((path, resolver, layout))
    ctx.run_meta["layouts"] = {str(p): layout for p, _r, layout in plans}
    ctx.run_meta["field_mapping"] = (
        list(mappings)
        if len(mappings) <= 1
        else [f"{', '.join(names)}: {line}" for line, names in mappings.items()]
    )

    def stream() -> Iterator[SampleRecord | BadLine]:
        numbering = _SampleNumbering()
        for path, resolver, layout in plans:
            if resolver is None:  # its bad lines (an empty file has none) are said, not lost
                yield from (r for _n, r in iter_rows(path) if isinstance(r, BadLine))
                continue
            yield from resolver.warnings
            yield from _read_file(path, resolver, layout, field_map, system, benchmark, numbering)
        if numbering.by_order:
            ctx.run_meta.setdefault("reader_notes", []).append(
                f"{plural(numbering.by_order, 'item')} with several rows and no sample index:"
                " their rows "
                "were read as samples 0..k-1 of one item in file order (pass@k); name the sample "
                "field with --field sample_idx=KEY if the rows carry one"
            )
        notes = numbering.repeat_notes()
        if notes:
            ctx.run_meta.setdefault("reader_notes", []).extend(notes)

    return stream()


def _plan_file(
    path: Path,
    first_line: int,
    first: dict[str, Any],
    field_map: dict[str, str],
    system: str | None,
    ctx: ReadContext,
) -> tuple[_Resolver, str, str]:
    """How one file is read, decided from its first row: (resolver, layout, the line saying
    which key is read for which role and which columns are not mapped).

    Raises:
        ValueError: the file cannot be read without guessing (see :func:`read_generic`).
    """
    resolver = _Resolver(first, field_map, str(path), first_line)
    layout = _layout(first, resolver)
    nested = _nested_keys(first, field_map) if layout == "systems" else None
    if layout == "systems":
        systems = _system_keys(first)
        if system is not None and system not in systems:
            raise ValueError(f"{path}: system {system!r} not found; systems: {', '.join(systems)}")
        ctx.run_meta.setdefault("systems", systems)
    elif system is not None and resolver.key("system") is None:
        column = next((c for c in _SYSTEM_COLUMNS if c in first), None)
        if column is None:
            raise ValueError(
                f"{path}:{first_line}: system {system!r} given but rows carry no "
                f"'model'/'checkpoint' column (use --field system=KEY)"
            )
        resolver.keys["system"] = column
    _check_roles(path, first_line, first, resolver, layout, nested)
    if layout == "flat" and "response" not in field_map:
        _check_reference_response(path, first_line, first, resolver)
    _set_aside_extracted(resolver)
    resolver.rivals = _find_rivals(first, resolver, field_map) if layout == "flat" else {}
    _check_candidates(path, first_line, first, resolver, layout, nested)
    correct_key = nested[1] if nested else resolver.key("correct")
    if correct_key is not None:
        label = f"<system>.{correct_key}" if nested else correct_key
        head = _candidate_values(path, correct_key, nested is not None)
        resolver.scale = _Scale(path, correct_key, label, _head_scale(head))
    model_key = next((c for c in _SYSTEM_COLUMNS if c in first), None)
    if model_key and layout != "systems":
        ctx.run_meta.setdefault("model_name", first[model_key])
    settings = _settings(first, _used(resolver))
    model = model_key if layout != "systems" and model_key != resolver.key("system") else None
    line = describe_mapping(resolver, layout, nested, settings, model_key=model)
    unmapped = _unmapped(first, resolver, layout, nested)
    return resolver, layout, " · ".join(filter(None, (line, unmapped)))


def _name_words(key: str) -> set[str]:
    """The words of a column name: ``isSolved`` and ``is-solved`` give {is, solved}."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return set(re.split(r"[^a-z0-9]+", snake.casefold())) - {""}


def _candidate_values(
    path: Path, column: str, nested: bool, limit: int | None = _CANDIDATE_ROWS
) -> list[Any]:
    """The non-empty values of ``column`` in the first ``limit`` rows of ``path`` (None: all;
    list cells and, for ``nested``, every system's object opened)."""
    values: list[Any] = []
    n = 0
    for _line, row in iter_rows(path, watch=False):
        if not isinstance(row, dict):
            continue
        n += 1
        if limit is not None and n > limit:
            break
        if nested:
            cells = [v.get(column) for v in row.values() if isinstance(v, dict)]
        else:
            cells = [row.get(column)]
        for cell in cells:
            values.extend(cell if isinstance(cell, list) else [cell])
    return [v for v in values if v is not None and v != ""]


def _correctness_kind(values: list[Any]) -> str | None:
    """``"binary"`` when every value reads as 0 or 1 (true/false, yes/no, 1.0...),
    ``"score"`` when they read as numbers and some are not 0/1, ``"empty"`` when there is no
    value; None when a value is text that is no correctness (a judge's explanation)."""
    read: list[float] = []
    for value in values:
        try:
            number = parse_correct(value)
        except ValueError:
            return None
        if number is not None:
            read.append(number)
    if not read:
        return "empty"
    return "binary" if all(v in (0.0, 1.0) for v in read) else "score"


def _correctness_candidates(
    first: dict[str, Any], resolver: _Resolver, layout: str, nested: _NestedKeys | None
) -> list[str]:
    """Columns of the first row (of a system's object in the systems layout) whose name looks
    like a correctness or score (:data:`CORRECT_WORDS`) and that no role reads."""
    used = _used(resolver) | _SETTING_SET | set(NESTED_SETTING_KEYS)
    if layout == "systems":
        row = first[_system_keys(first)[0]]
        used |= {k for k in nested or () if k}
    else:
        row = first
    return [
        str(k)
        for k in row
        if k not in used
        and k not in DEFAULT_KEYS["correct"]  # rivals of the correctness read (_find_rivals)
        and not isinstance(row[k], dict)
        and _name_words(str(k)) & CORRECT_WORDS
    ]


def _check_candidates(
    path: Path,
    line: int,
    first: dict[str, Any],
    resolver: _Resolver,
    layout: str,
    nested: _NestedKeys | None,
) -> None:
    """A file whose rows carry no correctness but a column that looks like one: refused when
    the column holds 0/1 values (read or not, the run's figure would be a guess), warned about
    when it holds other numbers or nothing yet (``resolver.warnings``); the column is kept out
    of the item's fields either way (``resolver.candidates``)."""
    has_correct = resolver.key("correct") is not None or bool(nested and nested[1])
    found: dict[str, list[Any]] = {}
    for column in _correctness_candidates(first, resolver, layout, nested):
        values = _candidate_values(path, column, layout == "systems")
        if _correctness_kind(values) is not None:
            found[column] = values
    resolver.candidates = tuple(found)
    if has_correct or resolver.declined or not found:
        return
    kinds = {c: _correctness_kind(v) for c, v in found.items()}
    binary = [c for c, kind in kinds.items() if kind == "binary"]
    if binary:
        named = ", ".join(f"{c!r} ({_examples(found[c])})" for c in binary)
        one = len(binary) == 1
        raise ValueError(
            f"{path}:{line}: the rows carry no field capslice reads as the correctness, but "
            f"{'column' if one else 'columns'} {named} {'looks' if one else 'look'} like one; "
            "unread, capslice would score every response itself and the run's figure could "
            f"differ from the log's. To read {'it' if one else 'one'}, pass --field "
            f"correct={binary[0]}; if {'it is not' if one else 'none is'} the correctness, pass "
            f"--field correct={NO_FIELD} and capslice scores the responses"
        )
    for column, kind in kinds.items():
        held = "is empty in the first rows" if kind == "empty" else "holds scores that are not 0/1"
        resolver.warnings.append(
            BadLine(
                str(path),
                line,
                f"column {column!r} looks like a per-sample score and {held} "
                f"({_examples(found[column]) or 'no value'}); it is not read: capslice scores "
                f"the responses itself. If it is the correctness, pass --field correct={column}",
                note="warning",
            )
        )


def _examples(values: list[Any]) -> str:
    """Up to three distinct values as written, for a message."""
    seen: list[str] = []
    for value in values:
        text = repr(value) if isinstance(value, str) else str(value)
        if text not in seen:
            seen.append(text)
        if len(seen) == 3:
            break
    return ", ".join(seen)


_UNMAPPED_SHOWN = 12  # column names listed in the fields line before "and N more"


def _unmapped(
    first: dict[str, Any],
    resolver: _Resolver,
    layout: str,
    nested: _NestedKeys | None,
) -> str:
    """The part of the fields line naming the columns of the first row that no role reads:
    kept as item fields (``_doc``) or not read at all (a correctness-like rival or candidate,
    a list or an object); settings are named by :func:`describe_mapping`. ``''`` when none."""
    used = _used(resolver) | set(NESTED_SETTING_KEYS)
    if layout != "systems":
        used |= {next((c for c in _SYSTEM_COLUMNS if c in first), "")}  # the model's name
    settings = _settings(first, _used(resolver)) or {}
    exclude = _doc_exclude(first, resolver) | set(_system_keys(first))
    kept = [str(k) for k in _doc(first, exclude) if k not in used and k not in settings]
    not_read = [
        str(k)
        for k in first
        if k not in used
        and k not in settings
        and str(k) not in kept
        and k not in _system_keys(first)
    ]
    if layout == "systems" and nested is not None:
        inner = first[_system_keys(first)[0]]
        not_read += [f"<system>.{k}" for k in inner if k not in nested]
    parts = []
    if kept:
        parts.append(f"not mapped, kept as item fields: {_names(kept)}")
    if not_read:
        parts.append(f"not mapped, not read: {_names(not_read)}")
    return " · ".join(parts)


def _names(keys: list[str]) -> str:
    shown = ", ".join(keys[:_UNMAPPED_SHOWN])
    more = len(keys) - _UNMAPPED_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _check_roles(
    path: Path,
    line: int,
    first: dict[str, Any],
    resolver: _Resolver,
    layout: str,
    nested: tuple[str, str | None, str | None] | None,
) -> None:
    """Refuse a file whose rows cannot be scored or grouped into items without guessing."""
    keys = ", ".join(map(str, first)) or "none (an empty object)"
    has_correct = resolver.key("correct") is not None or (nested is not None and nested[1])
    if resolver.key("target") is None and not has_correct:
        raise ValueError(
            f"{path}:{line}: no target and no correctness field found, so no sample can be "
            f"scored (looked for target: {', '.join(DEFAULT_KEYS['target'])}; correctness: "
            f"{', '.join(DEFAULT_KEYS['correct'])}); keys: {keys}. Name one with "
            "--field target=KEY or --field correct=KEY"
        )
    if layout == "flat" and resolver.key("response") is None and not has_correct:
        raise ValueError(
            f"{path}:{line}: no response and no correctness field found, so every sample would "
            f"be scored wrong (looked for response: {', '.join(DEFAULT_KEYS['response'])}); "
            f"keys: {keys}. Name it with --field response=KEY"
        )
    sample_key = resolver.key("sample_idx")
    if layout == "flat" and sample_key is not None and resolver.key("doc_id") is None:
        raise ValueError(
            f"{path}:{line}: rows carry a sample index ({sample_key!r}) but no item id, so "
            f"samples cannot be grouped into items (looked for: "
            f"{', '.join(DEFAULT_KEYS['doc_id'])}); keys: {keys}. Name it with --field "
            "doc_id=KEY"
        )


REFERENCE_LIKE_KEYS: frozenset[str] = frozenset({"solution"})
"""Response-role keys that also name a dataset's reference solution (MATH's ``solution``
beside its ``answer``; GSM8K's example_model_solutions puts model output under it)."""


def _check_reference_response(
    path: Path, line: int, first: dict[str, Any], resolver: _Resolver
) -> None:
    """Refuse to read a reference-like field (:data:`REFERENCE_LIKE_KEYS`) as the model's
    response when nothing says a model wrote it: no correctness field and no
    ``model``/``checkpoint`` column beside a target. Such a file is a dataset (MATH-500's
    ``problem, solution, answer``): scored, every reference would match its own answer and
    the run would read 100%. ``--field response=KEY`` names the response and is obeyed."""
    response = resolver.key("response")
    if response not in REFERENCE_LIKE_KEYS or resolver.key("correct") is not None:
        return
    if resolver.key("target") is None or any(c in first for c in _SYSTEM_COLUMNS):
        return
    raise ValueError(
        f"{path}:{line}: the only response-like field is {response!r}, which is also what a "
        f"dataset calls its reference solution, and the rows look like a dataset: a target "
        f"({resolver.key('target')!r}), no correctness and no model column. Scored, each "
        f"reference would match its own answer. If {response!r} holds the model's output, "
        f"say so with --field response={response}; otherwise name the response with --field "
        "response=KEY"
    )


_RIVAL_ROLES: tuple[str, ...] = ("correct", "target", "response", "extracted")
"""Roles whose other candidate keys in a row are compared with the key read (a disagreement is
a warning naming both fields and the ``--field`` option that picks the other)."""
_NOT_RIVALS = frozenset({"solution"})  # a MATH row's reference solution beside its response


def _set_aside_extracted(resolver: _Resolver) -> None:
    """A row's extracted answer (``pred``, ``extracted_answer``) is the harness's reading of the
    response, which only a logged score stands behind. Without a correctness field capslice
    scores the response itself, so a logged extracted answer beside its score would contradict
    it (``extracted 5``, ``score 1`` for target 4): it is set aside (not stored, not an item
    field) and capslice's own extraction is stored; ``_row_warnings`` warns where it is not in
    the response."""
    extracted = resolver.key("extracted")
    if extracted is not None and resolver.key("correct") is None:
        resolver.unused_extracted = extracted
        resolver.keys["extracted"] = None


def _find_rivals(
    first: dict[str, Any], resolver: _Resolver, field_map: dict[str, str]
) -> dict[str, tuple[str, ...]]:
    """role -> the other candidate keys (:data:`DEFAULT_KEYS`) of the first row for the roles
    in :data:`_RIVAL_ROLES`, when the key read was not named with ``--field`` (naming it is the
    user's choice) and the key is read for no other role."""
    used = _used(resolver)
    out: dict[str, tuple[str, ...]] = {}
    for role in _RIVAL_ROLES:
        chosen = resolver.key(role) or (resolver.unused_extracted if role == "extracted" else None)
        if chosen is None or role in field_map:
            continue
        others = tuple(
            k
            for k in DEFAULT_KEYS[role]
            if k in first and k != chosen and k not in used and k not in _NOT_RIVALS
        )
        if others:
            out[role] = others
    return out


def _same(role: str, a: Any, b: Any) -> bool | None:
    """Whether two values of one role say the same (None: ``b`` is not a value of the role,
    e.g. a correctness-like field holding free text or a non-0/1 number)."""
    if role == "correct":
        try:
            other = parse_correct(b)
            mine = parse_correct(a)
        except ValueError:
            return None
        if other not in (0.0, 1.0) or mine is None:
            return None
        return mine == other
    if role == "target":
        return clean_generic_target(a) == clean_generic_target(b)
    return str(a).strip() == str(b).strip()


def _row_warnings(
    row: dict[str, Any], resolver: _Resolver, source: str, line: int
) -> Iterator[BadLine]:
    """Warnings about what a flat row's fields leave open (grouped by the ingest into one line
    with a count and the first file:line): another candidate field of a role disagreeing
    with the one read (a correctness that is not 0/1 is warned about by :class:`_Scale`),
    and a set-aside extracted answer that the response does not contain."""
    key = resolver.key
    for role, others in resolver.rivals.items():
        chosen = key(role) or resolver.unused_extracted or ""
        mine = row.get(chosen)
        if mine is None:
            continue
        for other in others:
            value = row.get(other)
            if value is not None and value != mine and _same(role, mine, value) is False:
                yield BadLine(source, line, _rival_text(role, chosen, other), note="warning")
    unused = resolver.unused_extracted
    response_key = key("response")
    if unused and response_key and row.get(unused) not in (None, ""):
        answer = str(row[unused]).strip().casefold()
        if answer not in str(row.get(response_key) or "").casefold():
            yield BadLine(
                source,
                line,
                f"field {unused!r} (an extracted answer) is not in the response "
                f"{response_key!r}; the rows carry no correctness, so capslice extracts and "
                f"scores the answer of {response_key!r} itself and {unused!r} is not used; to "
                f"score {unused!r} instead, pass --field response={unused}",
                note="warning",
            )


def _fractional(value: float | None) -> bool:
    """A score strictly between 0 and 1: partial credit, not a correctness."""
    return value is not None and 0.0 < value < 1.0


def _mean_score_warning(source: str, line: int, key: str, percent: bool = False) -> BadLine:
    """The warning for a correctness field holding a score between 0 and 1 (between 0 and 100
    on a 0-100 scale; one text per field, so the ingest counts the rows)."""
    held = (
        "a score between 0 and 100, not a correctness (0/100)"
        if percent
        else "a score between 0 and 1, not a correctness (0/1)"
    )
    return BadLine(
        source,
        line,
        f"field {key!r} holds {held}: it is read as a mean score, so this run's figures are "
        "mean scores, not accuracies; if another field holds the correctness, name it with "
        "--field correct=KEY",
        note="warning",
    )


def _rival_text(role: str, chosen: str, other: str) -> str:
    """The warning for two candidate fields of ``role`` that disagree."""
    label = ROLE_LABELS[role]
    how = f"--field {role}={other}"
    if role == "extracted":
        how += " (it is stored only beside a logged correctness)"
    return (
        f"fields {chosen!r} and {other!r} disagree, and either could be the {label}: "
        f"{chosen!r} is read as the {label}; to read {other!r}, pass {how}"
    )


def describe_mapping(
    resolver: _Resolver,
    layout: str,
    nested: tuple[str, str | None, str | None] | None = None,
    settings: dict[str, Any] | None = None,
    model_key: str | None = None,
) -> str:
    """One line naming the key read for each role, in the words ingest prints.

    Example: ``item id: task_id · sample: completion_id · correctness: passed · response:
    completion · settings: temperature``. Roles without a key are left out, except the item
    id (``(row number)``), for one-row-per-generation files the sample (``(row order within
    an item)``) and a correctness declined with ``--field correct=-``. ``model_key``: the
    column the run's model name was read from.
    """
    key = resolver.key
    parts: list[str] = []
    parts.append(f"item id: {key('doc_id') or '(row number)'}")
    if layout == "parallel":
        parts.append(f"sample: position in the {key('response')!r} list")
    elif layout == "flat":
        parts.append(f"sample: {key('sample_idx') or '(row order within an item)'}")
    if layout == "systems" and nested is not None:
        response, correct, extracted = nested
        if correct:
            parts.append(f"correctness: <system>.{correct}")
        parts.append(f"response: <system>.{response}")
        if extracted:
            parts.append(f"extracted answer: <system>.{extracted}")
        roles: tuple[str, ...] = ("target", "prompt", "task", "benchmark")
    else:
        roles = ("correct", "response", "target", "prompt", "task", "benchmark", "extracted")
        roles += ("filter", "finish_reason", "n_output_tokens", "system")
    if resolver.declined:
        parts.append(f"correctness: none (--field correct={NO_FIELD})")
    for role in roles:
        if key(role):
            parts.append(f"{ROLE_LABELS[role]}: {key(role)}")
    if model_key:
        parts.append(f"model: {model_key}")
    if resolver.unused_extracted:
        parts.append(
            f"not used: {resolver.unused_extracted} (an extracted answer without a logged "
            "correctness; capslice extracts from the response)"
        )
    if settings:
        parts.append(f"settings: {', '.join(settings)}")
    return " · ".join(parts)


class _SampleNumbering:
    """Sample index of a flat row: its integer sample field, else its order within the item.

    Rows without a sample field are numbered 0, 1, ... per (task, filter, item id) in the order
    read; non-integer sample ids (``"s-3"``) are numbered in order of first appearance. Also
    keeps the first row's ``model``/``checkpoint`` value (``model``), so rows of another model
    are never numbered as more samples of the same items.

    A row without a sample field repeating an earlier row's item and response is read one of
    two ways, decided per file (:attr:`mode`, reset by :meth:`start_file`): ``"samples"`` when
    an item of the file has two rows with different responses (a sampled run: short answers
    repeat, every row is a sample), else ``"duplicates"`` (a row written twice: that sample
    again, counted once by the ingest). Rows before the file's first repeat are numbered the
    same either way, so a row with another response than its item's first decides at once;
    only the first identical repeat read while undecided scans the file (:attr:`decide`).
    """

    def __init__(self) -> None:
        self.next: dict[tuple[str, str, str], int] = {}
        self.named: dict[tuple[str, str, str], dict[str, int]] = {}
        # item -> hash of each response read for it -> its sample index (rows without index)
        self.responses: dict[tuple[str, str, str], dict[int, int]] = {}
        self.by_order = 0
        self.repeats = 0  # rows read again as an earlier sample (same item and response)
        self.first_repeat: str | None = None
        self.kept = 0  # such rows read as new samples (their file holds several per item)
        self.first_kept: str | None = None
        self.mode: str | None = None  # this file's: "samples", "duplicates"; None: undecided
        self.decide: Callable[[], bool] | None = None  # True: an item has two responses
        self.file_first: dict[tuple[str, str, str], int] = {}  # this file: first response hash
        self.model: tuple[str, Any] | None = None  # (column, value) of the first flat row

    def start_file(self, decide: Callable[[], bool] | None) -> None:
        """A new file: its repeats are undecided; ``decide`` scans it if need be."""
        self.mode, self.decide, self.file_first = None, decide, {}

    def _repeats_are_samples(self) -> bool:
        if self.mode is None:
            several = self.decide is not None and self.decide()
            self.mode = "samples" if several else "duplicates"
        return self.mode == "samples"

    def repeat_notes(self) -> list[str]:
        """The reader notes on rows repeating an earlier row's item id and response."""
        notes = []
        for n, first, how in (
            (
                self.kept,
                self.first_kept,
                "and their file has items with several different responses: every row is a "
                "sample (pass@k), identical responses included (sampling repeats short "
                "answers); if some rows are copies, name the sample field with "
                "--field sample_idx=KEY or remove the copies",
            ),
            (
                self.repeats,
                self.first_repeat,
                "and no item of their file has two different responses: read as duplicates, "
                "each counted once as that earlier sample (another score is a warning); if "
                "they are intended samples, name the sample field with --field sample_idx=KEY",
            ),
        ):
            if n:
                verb = "repeats" if n == 1 else "repeat"
                notes.append(
                    f"{plural(n, 'row')} with no sample index {verb} an earlier row's item id "
                    f"and response (first {first}) {how}"
                )
        return notes

    def index(
        self,
        task: str,
        filter_: str,
        doc_id: str,
        raw: Any,
        response: str | None = None,
        where: str = "",
    ) -> int:
        """Sample index of one row of item ``(task, filter_, doc_id)``; ``raw`` is the row's
        sample field (None when the file has none). Without one, a row whose ``response``
        (non-empty) an earlier row of the item already had is, when the file's repeats are
        duplicates, that sample again: its index is the earlier row's (the ingest counts an
        exact repeat once and warns about one with another score), counted in
        :attr:`repeats` (``where``: its file:line); when they are samples, a new sample
        counted in :attr:`kept`. A sample index in the rows says the rows are samples."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            return int(raw)
        item = (task, filter_, doc_id)
        if raw is None or raw == "":
            seen = self.responses.setdefault(item, {}) if response else None
            key = hash(response)
            if seen is not None:
                if self.file_first.setdefault(item, key) != key and self.mode is None:
                    self.mode = "samples"  # two responses for one item: a sampled file
                if key in seen:
                    if not self._repeats_are_samples():
                        self.repeats += 1
                        self.first_repeat = self.first_repeat or where
                        return seen[key]
                    self.kept += 1
                    self.first_kept = self.first_kept or where
            n = self.next.get(item, 0)
            self.next[item] = n + 1
            if seen is not None:
                seen.setdefault(key, n)
            if n == 1:
                self.by_order += 1
            return n
        names = self.named.setdefault(item, {})
        return names.setdefault(str(raw), len(names))


def _used(resolver: _Resolver) -> set[str]:
    used = {k for k in resolver.keys.values() if k}
    if resolver.unused_extracted:
        used.add(resolver.unused_extracted)  # a sample field, never an item field or setting
    return used


def _settings(row: dict[str, Any], used: set[str]) -> dict[str, Any] | None:
    """The row's evaluation settings: :data:`SETTING_KEYS`, the scalar entries of a nested
    generation config (:data:`NESTED_SETTING_KEYS`, e.g. ``{"sampling_params": {"temperature":
    0.8}}`` gives ``temperature``), and a textual ``system`` prompt."""
    out = {
        k: _setting_value(row[k])
        for k in SETTING_KEYS
        if k in row and k not in used and row[k] is not None and not isinstance(row[k], dict | list)
    }
    for key in NESTED_SETTING_KEYS:
        nested = row.get(key)
        if key not in used and isinstance(nested, dict):
            for name, value in nested.items():
                if value is not None and not isinstance(value, dict | list):
                    out.setdefault(str(name), _setting_value(value))
    system_prompt = row.get("system")
    if "system" not in used and isinstance(system_prompt, str) and " " in system_prompt.strip():
        out["system"] = system_prompt
    return out or None


def _setting_value(value: Any) -> Any:
    """A setting as its JSON type: CSV cells ``"0.8"``, ``"3"``, ``"true"`` become 0.8, 3, True
    (so a CSV and a JSONL run of the same evaluation carry equal settings)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.casefold() in ("true", "false"):
        return text.casefold() == "true"
    if _INT_RE.fullmatch(text):
        return int(text)
    if _FLOAT_RE.fullmatch(text):
        return float(text)
    return value


_INT_RE = re.compile(r"-?\d+")
_FLOAT_RE = re.compile(r"-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _doc_exclude(row: dict[str, Any], resolver: _Resolver) -> set[str]:
    """Keys that are not item fields: the roles read (except a question-like prompt, which is
    the item's question, and a target that is a worked solution, decided on ``row``), settings,
    and every correctness-like field of the sample."""
    used = _used(resolver)
    exclude = used | _SETTING_SET | {k for k in DEFAULT_KEYS["correct"] if k in row}
    exclude |= set(resolver.candidates)  # a per-sample score is no item field
    system_prompt = row.get("system")
    if isinstance(system_prompt, str) and " " in system_prompt.strip():
        exclude.add("system")
    prompt_key = resolver.key("prompt")
    if prompt_key in QUESTION_KEYS:
        exclude.discard(prompt_key)
    target_key = resolver.key("target")
    target = row.get(target_key) if target_key else None
    if isinstance(target, str) and clean_generic_target(target) != target:
        # a worked reference solution ("... <<9*2=18>>18\n#### 18"): the target keeps its
        # final number, the doc keeps the solution for labelling rules (reasoning steps)
        exclude.discard(target_key)
    return exclude


_SETTING_SET = frozenset(SETTING_KEYS)


def _read_file(
    path: Path,
    resolver: _Resolver,
    layout: str,
    field_map: dict[str, str],
    system: str | None,
    benchmark: str | None,
    numbering: _SampleNumbering,
) -> Iterator[SampleRecord | BadLine]:
    source = str(path)
    stem = path.name.split(".")[0]
    key = resolver.key
    used = _used(resolver)
    exclude: set[str] | None = None
    nested: tuple[str, str | None, str | None] | None = None
    scorable = False  # rows carry a correctness: an empty target is then no fault
    row_index = -1
    numbering.start_file(
        (lambda: _several_responses(path, resolver, system, benchmark, numbering.model))
        if layout == "flat"
        else None
    )
    for line, row in iter_rows(path):
        if isinstance(row, BadLine):
            yield row
            continue
        row_index += 1
        if exclude is None:
            exclude = _doc_exclude(row, resolver)
            scorable = key("correct") is not None or (
                layout == "systems" and _nested_keys(row, field_map)[1] is not None
            )
        if layout == "flat" and system is None:
            other = _other_model(row, numbering)
            if other is not None:
                yield BadLine(source, line, other)
                continue
        for role, mapped in field_map.items():
            if (
                mapped != NO_FIELD
                and mapped not in row
                and not (layout == "systems" and role in ("response", "correct", "extracted"))
            ):
                yield BadLine(source, line, f"field {mapped!r} (role {role!r}) missing")
                break
        else:
            task = _task(row, key("task"), benchmark, stem)
            bench_key = key("benchmark")
            bench = benchmark or (str(row[bench_key]) if bench_key and row.get(bench_key) else None)
            bench = bench or benchmark_from_prefix(task)
            id_key = key("doc_id")
            raw_id = row.get(id_key) if id_key else None
            if isinstance(raw_id, dict | list | bool):  # str() would make up an id
                yield BadLine(source, line, _id_fault(id_key, raw_id))
                continue
            doc_id = str(raw_id) if raw_id is not None else str(row_index)
            prompt_key, target_key = key("prompt"), key("target")
            target = clean_generic_target(row.get(target_key)) if target_key else None
            if not scorable and (target or "").strip() == "":
                yield BadLine(source, line, _no_target(target_key))
                continue
            common = {
                "task": task,
                "doc_id": doc_id,
                "benchmark": bench,
                "prompt": None
                if not prompt_key or row.get(prompt_key) is None
                else str(row[prompt_key]),
                "target": target,
                "source_file": source,
                "source_line": line,
                "settings": _settings(row, used),
            }
            try:
                if layout == "systems":
                    if nested is None:
                        nested = _nested_keys(row, field_map)
                    yield from _systems_records(row, common, nested, system, exclude, resolver)
                elif layout == "parallel":
                    yield from _parallel_records(row, common, resolver, exclude)
                else:
                    if resolver.rivals or resolver.unused_extracted:
                        yield from _row_warnings(row, resolver, source, line)
                    record = _flat_record(row, common, resolver, exclude, system, numbering)
                    if record is not None:
                        yield record
            except ValueError as exc:
                yield BadLine(source, line, str(exc))
            yield from resolver.scale.drain(source, line)


def _task(row: dict[str, Any], task_key: str | None, benchmark: str | None, stem: str) -> str:
    """A row's task: its task field, else the benchmark named, else the file's stem."""
    if task_key and row.get(task_key) is not None:
        return str(row[task_key])
    return benchmark or stem


def _several_responses(
    path: Path,
    resolver: _Resolver,
    system: str | None,
    benchmark: str | None,
    model: tuple[str, Any] | None,
) -> bool:
    """Whether an item of flat file ``path`` has two rows without a sample index whose
    responses differ (a sampled run; :class:`_SampleNumbering` then reads every row as a
    sample). Read with the reader's own rows and item keys, up to the first such item; rows
    the read would refuse or leave out (another model or system, an id that is no id) do not
    count."""
    key = resolver.key
    stem = path.name.split(".")[0]
    sample_key, response_key, id_key = key("sample_idx"), key("response"), key("doc_id")
    system_key = key("system")
    first: dict[tuple[str, str, str], int] = {}
    row_index = -1
    for _line, row in iter_rows(path, watch=False):
        if not isinstance(row, dict):
            continue
        row_index += 1
        if system is None and model is not None and row.get(model[0]) != model[1]:
            continue
        if system is not None and system_key is not None and str(row.get(system_key)) != system:
            continue
        raw = row.get(sample_key) if sample_key else None
        response = row.get(response_key) if response_key else None
        raw_id = row.get(id_key) if id_key else None
        if (
            raw not in (None, "")
            or response in (None, "")
            or isinstance(raw_id, dict | list | bool)
        ):
            continue
        doc_id = str(raw_id) if raw_id is not None else str(row_index)
        filter_name = str(row.get(key("filter") or "") or "none")
        item = (_task(row, key("task"), benchmark, stem), filter_name, doc_id)
        digest = hash(str(response))
        if first.setdefault(item, digest) != digest:
            return True
    return False


def _id_fault(id_key: str | None, raw_id: Any) -> str:
    """Why an item id that is an object, a list or true/false is refused."""
    kind = (
        "true/false"
        if isinstance(raw_id, bool)
        else ("an object" if isinstance(raw_id, dict) else "a list")
    )
    return f"field {id_key!r}: an item id is text or a number, not {kind}"


def _no_target(target_key: str | None) -> str:
    """Why a row with an empty target and no correctness is refused: scored, it would be a
    wrong answer against ``''``."""
    return (
        f"the target ({target_key!r}) is empty and the rows carry no correctness, so this "
        "sample cannot be scored (it would count as a wrong answer); fill in the target, or "
        "name the target field with --field target=KEY"
    )


def _other_model(row: dict[str, Any], numbering: _SampleNumbering) -> str | None:
    """Why a flat row cannot join the run when its ``model``/``checkpoint`` differs from the
    first row's (several models in one file would merge into one model's items), else None."""
    if numbering.model is None:
        column = next((c for c in _SYSTEM_COLUMNS if c in row), None)
        if column is not None:
            numbering.model = (column, row[column])
        return None
    column, first = numbering.model
    value = row.get(column)
    if value == first:
        return None
    return (
        f"field {column!r} is {value!r} but the first row's is {first!r}: the input holds "
        f"several models, which would merge into one run; ingest one at a time with "
        f"--system {value}"
    )


def _doc(row: dict[str, Any], exclude: set[str]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in exclude and not isinstance(v, (dict, list))}


def _correct_field(row: dict[str, Any], correct_key: str | None, scale: _Scale) -> float | None:
    if not correct_key or correct_key not in row:
        return None
    return scale.read(row[correct_key], correct_key)


_PROFILE_SHOWN = 4  # distinct values a column profile names


class _Scale:
    """The scale of one file's correctness column, [0, 1] or 0-100, decided from its values.

    A column whose values above 1 lie in [0, 100] (``score`` 0/100, or percentages) is on a
    0-100 scale: every value is read divided by 100, and a warning names the field and the
    scale (:attr:`pending`). It is decided from the file's first rows (:func:`_head_scale`)
    or, when they hold only 0 (the same on both scales), by the first value that is not 0.
    What cannot be read either way is a bad line whose text says how many values of the
    column share the fault and which (:meth:`_profile`, one pass over the file, made on the
    first such line only): a value above 1 after values in (0, 1], a true/false or an exact 1
    on the 0-100 scale (correct or 1%?), and a value below 0 or above 100. ``--skip-bad``
    would drop every such row, so a run kept without them would be biased.
    """

    def __init__(
        self, path: Path, key: str | None, label: str, head: tuple[float | None, str] = (1.0, "")
    ) -> None:
        self.path, self.key, self.label = path, key, label
        self.nested = label.startswith("<system>.")
        self.factor = head[0]  # 1.0, 100.0; None: only 0 read so far
        self.pending: list[BadLine] = []  # warnings for the row being read
        self.profile: str | None = None
        if self.factor == 100.0:
            self.pending.append(self._scale_warning(f"the first rows hold {head[1]}"))

    def read(self, raw: Any, where: str) -> float | None:
        """``raw`` as a correctness in [0, 1]; raises ``ValueError`` (a bad line)."""
        try:
            value = parse_correct(raw)
        except ValueError as exc:
            raise ValueError(f"field {where!r}: {exc}") from None
        if value is None:
            return None
        if not 0.0 <= value <= 100.0:
            self._refuse(where, f"{value:g} is not a correctness in [0, 1] nor on a 0-100 scale")
        word = isinstance(raw, bool) or (isinstance(raw, str) and metric_value(raw) is None)
        if self.factor is None and value:
            self.factor = 100.0 if value > 1.0 and not word else 1.0
            if self.factor == 100.0:
                self.pending.append(self._scale_warning(f"{value:g} after only 0"))
        if self.factor == 100.0:
            if word or value == 1.0:
                self._refuse(
                    where,
                    f"{raw!r} on a column read on a 0-100 scale (other values are above 1): "
                    "correct, or 1 in 100? the column mixes two scales",
                )
            value /= 100.0
        elif value > 1.0:
            self._refuse(
                where,
                f"{value:g} is not a correctness in [0, 1] (earlier values of the column are in "
                "(0, 1], so it is not on a 0-100 scale either)",
            )
        if _fractional(value):
            self.pending.append(_mean_score_warning("", 0, self.label, self.factor == 100.0))
        return value

    def drain(self, source: str, line: int) -> Iterator[BadLine]:
        """The warnings of the row just read (each once), at ``source:line``."""
        texts = dict.fromkeys(w.reason for w in self.pending)
        self.pending.clear()
        for text in texts:
            yield BadLine(source, line, text, note="warning")

    def _scale_warning(self, seen: str) -> BadLine:
        return BadLine(
            "",
            0,
            f"field {self.label!r} is read on a 0-100 scale ({seen}): "
            "each value is divided by 100, so 100 is correct and 0 wrong; if it is not the "
            "correctness, name the right field with --field correct=KEY",
            note="warning",
        )

    def _refuse(self, where: str, why: str) -> None:
        if self.profile is None:
            self.profile = self._profile()
        raise ValueError(
            f"field {where!r}: {why}; name the right field with --field correct=KEY{self.profile}"
        )

    def _profile(self) -> str:
        """What the whole column holds, for a refusal: how many of its values would be
        refused (--skip-bad drops their rows) and which values."""
        if self.key is None:
            return ""
        values = _candidate_values(self.path, self.key, self.nested, limit=None)
        read: list[float | None] = []
        for raw in values:
            try:
                read.append(parse_correct(raw))
            except ValueError:
                read.append(None)
        unit = all(v is None or 0.0 <= v <= 1.0 for v in read)
        counts: dict[str, int] = {}
        n_out = 0
        for raw, value in zip(values, read, strict=True):
            text = f"{value:g}" if value is not None else repr(raw)
            counts[text] = counts.get(text, 0) + 1
            n_out += value is None or not 0.0 <= value <= 1.0
        shown = sorted(counts.items(), key=lambda kv: -kv[1])[:_PROFILE_SHOWN]
        held = ", ".join(f"{v} ({n})" for v, n in shown)
        more = f" and {len(counts) - len(shown)} more values" if len(counts) > len(shown) else ""
        if unit or not n_out:
            return f" (the column holds {held}{more})"
        outside = sorted(
            {f"{v:g}" for v in read if v is not None and not 0.0 <= v <= 1.0}
            | {repr(r) for r, v in zip(values, read, strict=True) if v is None}
        )
        which = f"all {outside[0]}" if len(outside) == 1 else ", ".join(outside[:_PROFILE_SHOWN])
        return (
            f". {n_out} of the column's {len(values)} values in this file are outside [0, 1] "
            f"({which}; the column holds {held}{more}): --skip-bad would drop all {n_out} of "
            "their rows and the run would be biased, so fix the column instead"
        )


def _head_scale(values: list[Any]) -> tuple[float | None, str]:
    """The scale of a correctness column from its first values (:func:`_candidate_values`):
    100.0 when values above 1 all lie in [0, 100] and none is a true/false word or an exact
    1 (on a 0-100 scale, correct or 1%?); 1.0 when a value in (0, 1] or a word is there and
    none is above 1; None otherwise (only 0, or mixed: the rows decide, :class:`_Scale`);
    with the values seen, for the warning."""
    read: list[float] = []
    words = False
    for raw in values:
        try:
            value = parse_correct(raw)
        except ValueError:
            return None, ""
        if value is None:
            continue
        read.append(value)
        words = (
            words or isinstance(raw, bool) or (isinstance(raw, str) and metric_value(raw) is None)
        )
    distinct = sorted(set(read))
    seen = ", ".join(f"{v:g}" for v in distinct[:_PROFILE_SHOWN])
    seen += " ..." if len(distinct) > _PROFILE_SHOWN else ""
    if not any(v > 1.0 for v in read):
        return (1.0 if words or any(read) else None), seen
    if words or 1.0 in read or not all(0.0 <= v <= 100.0 for v in read):
        return None, seen
    return 100.0, seen


def _flat_record(
    row: dict[str, Any],
    common: dict[str, Any],
    resolver: _Resolver,
    exclude: set[str],
    system: str | None,
    numbering: _SampleNumbering,
) -> SampleRecord | None:
    key = resolver.key
    system_key = key("system")
    if system is not None and system_key is not None and str(row.get(system_key)) != system:
        return None
    correct = _correct_field(row, key("correct"), resolver.scale)
    response_key = key("response")
    extracted_key = key("extracted")
    if response_key and response_key not in row and correct is None:
        # a row without its generation and without a score says nothing about the model;
        # storing it as an empty response would count a failure that never happened
        raise ValueError(f"field {response_key!r} (role 'response') missing")
    filter_name = str(row.get(key("filter") or "") or "none")
    sample_key = key("sample_idx")
    response = None if not response_key or row.get(response_key) is None else str(row[response_key])
    sample_idx = numbering.index(
        common["task"],
        filter_name,
        common["doc_id"],
        row.get(sample_key) if sample_key else None,
        response,
        f"{common['source_file']}:{common['source_line']}",
    )
    return SampleRecord(
        **common,
        sample_idx=sample_idx,
        filter=filter_name,
        response=response,
        extracted=None
        if not extracted_key or row.get(extracted_key) is None
        else str(row[extracted_key]),
        correct=correct,
        metrics=_score_metrics(row, key("correct"), correct),
        doc=_doc(row, exclude),
        finish_reason=row.get(key("finish_reason") or "") or None,
        n_output_tokens=_int_or_none(row.get(key("n_output_tokens") or "")),
    )


def _score_metrics(
    row: dict[str, Any], correct_key: str | None, correct: float | None
) -> dict[str, float | None]:
    """The row's logged score as a metric. ``{"correct": None}`` when the correctness cell is
    there but NaN/N/A/empty: the ingest then counts the sample as missing instead of scoring
    it itself; ``{}`` when the row has no correctness field at all."""
    if not correct_key or correct_key not in row:
        return {}
    return {"correct": correct}


def _systems_records(
    row: dict[str, Any],
    common: dict[str, Any],
    nested_keys: tuple[str, str | None, str | None],
    system: str | None,
    exclude: set[str],
    resolver: _Resolver,
) -> Iterator[SampleRecord | BadLine]:
    response_key, correct_key, extracted_key = nested_keys
    systems = _system_keys(row)
    doc = _doc(row, exclude | set(systems))
    for name in systems:
        if system is not None and name != system:
            continue
        entry = row[name]
        correct = _correct_field(entry, correct_key, resolver.scale)
        yield SampleRecord(
            **common,
            response=None if entry.get(response_key) is None else str(entry[response_key]),
            extracted=None
            if not extracted_key or entry.get(extracted_key) is None
            else str(entry[extracted_key]),
            correct=correct,
            metrics=_score_metrics(entry, correct_key, correct),
            doc=doc,
            system=None if system is not None else name,
        )


def _parallel_records(
    row: dict[str, Any], common: dict[str, Any], resolver: _Resolver, exclude: set[str]
) -> Iterator[SampleRecord | BadLine]:
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
    doc = _doc(row, exclude)
    for sample_idx, text in enumerate(responses):
        correct_list = lists["correct"]
        correct = None
        if correct_list is not None:
            where = f"{key('correct')}[{sample_idx}]"
            correct = resolver.scale.read(correct_list[sample_idx], where)
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
            metrics={} if correct_list is None else {"correct": correct},
            doc=doc,
            finish_reason=finish,
            n_output_tokens=_int_or_none(tokens),
        )
