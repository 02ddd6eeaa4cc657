"""Records that every reader yields and the store consumes.

A reader turns one log format into a stream of :class:`SampleRecord` (one generation of one
item under one filter) interleaved with :class:`BadLine` (input it could not read), and fills a
:class:`ReadContext` with per-task generation settings found in results/config files.

No reader touches SQLite; the store's bulk writer consumes these records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class SampleRecord:
    """One generation for one item under one filter.

    Key in the store: (run, task, filter, doc_id, sample_idx).

    Attributes:
        task: leaf task name, e.g. ``bbh_cot_fewshot_date_understanding``.
        doc_id: item id within the task, as a string (``"17"``; non-integer ids allowed).
        sample_idx: 0 for the first (or only) generation; 0..K-1 for ``repeats: K``.
        filter: answer-extraction variant (``strict-match``, ``get-answer``, ``none``...).
        benchmark: benchmark/group the task belongs to (``bbh``, ``gsm8k``, ``math``), if known.
        prompt: full prompt text (few-shot block included) if logged.
        target: reference answer as a string.
        response: raw model output for this sample.
        extracted: the harness's filtered answer (``filtered_resps``), if logged.
        correct: the harness's official score for this sample (0.0/1.0, or fractional); None
            when the log carries no correctness (capslice then scores it itself).
        metrics: every per-sample metric the log carried; NaN/"N/A" are stored as None.
        doc: raw item fields (e.g. ``{"subject": ..., "level": ...}``) used by taxonomy rules.
        doc_hash: harness-provided content hash of the item, if any.
        finish_reason: ``stop``/``length``/... when the log says so.
        n_output_tokens: generated token count when the log says so.
        system: for multi-system files, the system (checkpoint) this sample belongs to.
        source_file, source_line: where the record came from (1-based line; 0 if unknown).
        settings: what defines the evaluation of this item, when the row says so (``prompting``,
            ``n_shot``, ``template``, ``temperature``, ``n``, ``seed``...): kept as settings,
            never as item text, so two runs of the same items under different evaluations
            can be told apart.
        reasoning: a reasoning trace (``<think>...</think>``) split off the response; the
            response then holds the text after it, which is what is scored.

    ``lmeval._one_generation`` builds records positionally (a quarter of the cost of keyword
    arguments): a new field goes after ``reasoning`` (tests/unit/test_reader_fast.py fails
    when the order no longer matches).
    """

    task: str
    doc_id: str
    sample_idx: int = 0
    filter: str = "none"
    benchmark: str | None = None
    prompt: str | None = None
    target: str | None = None
    response: str | None = None
    extracted: str | None = None
    correct: float | None = None
    metrics: dict[str, float | None] = field(default_factory=dict)
    doc: dict[str, Any] | None = None
    doc_hash: str | None = None
    finish_reason: str | None = None
    n_output_tokens: int | None = None
    system: str | None = None
    source_file: str = ""
    source_line: int = 0
    settings: dict[str, Any] | None = None
    reasoning: str | None = None


@dataclass(slots=True)
class BadLine:
    """Input a reader could not turn into a record, or read only with a repair.

    Attributes:
        source_file: path of the file.
        line: 1-based line number (for JSON arrays: the element's index + 1; 0 if unknown).
        reason: human-readable reason naming the field when one is at fault.
        torn: True when this is the truncated last record of a killed job (JSON ends early);
            the ingest skips it, reports it and marks the run incomplete.
        note: ``""`` for input that could not be read. ``"note"`` when the input was read and
            changed or judged as ``reason`` says (a byte-order mark stripped, a lone surrogate
            replaced, a sample count short of the results file's); ``"warning"`` when it was
            read but a number in it cannot be trusted as written (a reported group score that
            is not the samples' mean). The ingest reports both and never stops on them.
        short: True when a task's log holds another number of samples than its results file
            says (``n-samples``): the log is cut short or mixed; the ingest marks the run
            incomplete, naming the task.
    """

    source_file: str
    line: int
    reason: str
    torn: bool = False
    note: str = ""
    short: bool = False

    def __str__(self) -> str:
        kind = self.note or ("torn last line" if self.torn else "bad line")
        return f"{self.source_file}:{self.line}: {kind}: {self.reason}"


@dataclass(slots=True)
class TaskConfig:
    """Generation settings of one task in one run, from a results/config file when present.

    All fields are optional because many logs carry none of them. ``metric_names`` is the
    task's metric list in order (lm-eval ``configs[task].metric_list``): the correctness metric
    of lines that do not name their metrics (lm-eval 0.4.3-0.4.5).
    """

    task: str
    group: str | None = None
    max_gen_toks: int | None = None
    until: list[str] | None = None
    temperature: float | None = None
    do_sample: bool | None = None
    repeats: int | None = None
    filters: list[str] = field(default_factory=list)
    eos_token: str | None = None
    n_samples: int | None = None
    num_fewshot: int | None = None
    metric_names: list[str] = field(default_factory=list)


@dataclass
class ReadContext:
    """What a reader learned beyond the samples: task settings and run-level metadata.

    Attributes:
        tasks: task name -> TaskConfig.
        groups: group name -> list of leaf tasks (lm-eval ``group_subtasks``).
        run_meta: free-form run metadata (model name, harness version, dates, eos token...).
        format: the detected format name (``lm-eval``, ``opencompass``, ``jsonl``, ``csv``).
        lmeval_files: lm-eval only: the samples files and the results checks
            (``lmeval.LmEvalFiles``), so that the files can be read in worker processes.
    """

    tasks: dict[str, TaskConfig] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    run_meta: dict[str, Any] = field(default_factory=dict)
    format: str = ""
    lmeval_files: Any = None
