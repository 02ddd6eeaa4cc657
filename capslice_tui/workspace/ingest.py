"""Ingest pipeline: reader records -> item identity, rule labels, scores, failure modes -> store.

Streaming and bounded: records are grouped in batches of ``batch_size`` and each batch is one
write transaction (read in workers with the default size, a narrow batch after the first grows
to :data:`NARROW_BATCH` samples, bounded by :data:`NARROW_BATCH_BYTES` of text). Atomicity per ingest: every sample carries
the ingest's id, so when a bad line stops the ingest (without ``skip_bad``) everything this
ingest wrote is removed and the store is exactly as before.

lm-eval input of :data:`._ingest_workers.PARALLEL_MIN_BYTES` or more on two cores is read,
scored and turned into rows in worker processes (:mod:`._ingest_workers`), this process
only writing their rows in reading order (:meth:`_Ingest._read_parallel`); the stored
results are those of the one-process read. ``CAPSLICE_INGEST_WORKERS`` sets the number of
workers (0: read in this process).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson

from ..analysis.evaluation import evaluation_settings, settings_json
from ..analysis.failure_modes import cut_after_no_answer
from ..formatting import agree, ingest_run_lines, ingest_scored_lines, plural
from ..ingest import read_paths
from ..ingest._io import FILE_CHANGED
from ..ingest.bounded import cap_text, cap_value, text_length, text_sha256
from ..ingest.records import BadLine, ReadContext, SampleRecord, TaskConfig
from ..ingest.scoring import ExtractedAnswer, infer_output_constraint_from_target
from ..store import SAMPLE_COLUMNS, NotFound, Store, StoreDamaged
from ..store.compact import pack_doc_value
from ..store.prompts import MIN_PREFIX_CHARS
from ..taxonomy.evaluation import Taxonomy
from .interrupt import (
    count_records,
    delete_command,
    disarm,
    progress_text,
    resume_command,
    skipped_reason,
)
from .rescore import SCORE_SOURCE_CAPSLICE, SCORE_SOURCE_HARNESS, SampleScore, score_sample
from .results import IngestReportDict
from .strict_format import record_caveats, tally

MAX_RESPONSE_CHARS = 32_768
"""Characters stored of a response, a reasoning trace, a question, a target and each text in
a doc; a longer text keeps its start and end around a marker with its size and sha256
(``ingest.bounded.cap_text``)."""
MAX_PROMPT_CHARS = 131_072
MAX_ANSWER_CHARS = 8_192
"""Characters stored of an extracted answer (harness or lenient)."""
QUESTION_FIELDS = ("input", "question", "problem", "query", "prompt")


class IngestError(Exception):
    """The input could not be ingested; nothing from this ingest was kept."""

    def __init__(self, message: str, bad: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.bad = list(bad)


@dataclass
class IngestReport:
    """What one ingest did.

    Attributes:
        runs: run name -> samples newly stored for it (0 on an identical re-ingest).
        n_read: sample records read.
        n_bad: lines that could not be read (reported in ``bad``, never scored).
        bad: ``file:line: reason`` strings (first 1000).
        format: detected input format.
        scored_by_capslice: samples whose log carried no correctness and were scored here.
        notes: things the user should know that did not stop the ingest.
        read_per_run: run name -> sample records read for it.
        warnings: numbers in the input that cannot be trusted as written (a reported group
            score that is not the samples' mean, a repeated line with another score).
        n_repeats: exact repeats of a sample already read in this ingest, counted once.
        n_conflicting: repeats of a sample with another response or score (the first is kept):
            in this ingest's input, or samples an earlier ingest stored under the run's keys
            (run, task, filter, doc_id, sample_idx) that arrive with another score or response
            (the stored ones are kept; a warning names a few).
        n_missing_score: samples whose logged score is NaN/N/A: missing, never re-scored, not
            stored, so they are out of every n.
        n_torn: incomplete trailing records skipped (the run is then marked incomplete).
        fields: generic logs: which key was read for which role, one line per distinct
            mapping (``item id: task_id · sample: completion_id · correctness: passed``).
        differing: run name -> samples read that the run already held, under the same
            (task, filter, doc_id, sample_idx), with another score, response or item: NOT
            stored (the stored ones are kept; a warning says so and how to replace them).
            Counted in ``n_conflicting`` and ``read_per_run``; in :meth:`to_dict` only when
            some run has them.
    """

    runs: dict[str, int] = field(default_factory=dict)
    n_read: int = 0
    n_bad: int = 0
    bad: list[str] = field(default_factory=list)
    format: str = ""
    scored_by_capslice: int = 0
    notes: list[str] = field(default_factory=list)
    read_per_run: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    n_repeats: int = 0
    n_conflicting: int = 0
    n_missing_score: int = 0
    n_torn: int = 0
    fields: list[str] = field(default_factory=list)
    differing: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> IngestReportDict:
        """JSON-ready dict with one key per attribute (``capslice ingest --json``);
        ``differing`` only when some run has samples that differ from its stored ones."""
        out = asdict(self)
        if not out["differing"]:
            del out["differing"]
        return cast(IngestReportDict, out)


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    """What an ingest stored, as the CLI prints it and the app's ingest form shows it, from
    :meth:`IngestReport.to_dict`: each run's line (``formatting.ingest_run_lines``), then what
    was stored and scored (``formatting.ingest_scored_lines``), except that when nothing was
    stored and some samples read differ from those the run already held (``differing``),
    the line says that instead of calling every sample read already stored; the warning
    names them and how to replace them."""
    runs, n_read = report.get("runs") or {}, report.get("n_read", 0)
    kept = report.get("read_per_run") or {}
    lines = ingest_run_lines(runs, kept, n_read, report.get("format") or "?")
    differing = {r: n for r, n in (report.get("differing") or {}).items() if n}
    if sum(runs.values()) or not differing:
        return lines + ingest_scored_lines(runs, kept, n_read, report.get("scored_by_capslice", 0))
    n_diff = sum(differing.values())
    n_same = sum(kept.get(name, n_read) for name in runs) - n_diff
    where = next(iter(differing)) if len(differing) == 1 else "their runs"
    line = "nothing stored: " + (
        f"{plural(n_same, 'sample')} read {agree(n_same, 'is', 'are')} already stored, "
        if n_same > 0
        else ""
    )
    line += (
        f"{plural(n_diff, 'sample')} read {agree(n_diff, 'differs', 'differ')} from those "
        f"{where} already {'holds' if len(differing) == 1 else 'hold'} under the same task "
        "and doc_id and were not stored (see the warning)"
    )
    if report.get("scored_by_capslice"):
        line += "; nothing scored (the stored samples keep their scores)"
    return [*lines, line]


_CONTROL = ("Cc", "Zl", "Zp")  # control characters, line and paragraph separators
RUN_NAME_SEPARATORS = ","
"""Characters a run name may not hold: commands that take several runs split on them
(``capslice trend --runs a,b``)."""


def run_name_problem(name: str) -> str:
    """Why ``name`` cannot name a new run ('' when it can): empty or blank, a space at
    either end (``--runs`` strips them), a separator of run lists (:data:`RUN_NAME_SEPARATORS`)
    or a control character (a tab or newline breaks tables). Checked at ingest only: runs
    already stored under such names still open and read."""
    rule = (
        "a run name must be non-empty, with no space at either end, no comma (commands such "
        "as `capslice trend --runs a,b` split on it) and no tab, newline or other control "
        "character"
    )
    if not name.strip():
        return f"run name {name!r} is empty or blank: {rule}"
    if name != name.strip():
        return f"run name {name!r} has a space at an end: {rule}"
    bad = sorted(
        {c for c in name if c in RUN_NAME_SEPARATORS or unicodedata.category(c) in _CONTROL}
    )
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"run name {name!r} holds {shown}: {rule}"
    return ""


PROGRESS_EVERY = 500
"""Records read between two progress calls while reading (a batch is thousands of records)."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def item_identity(rec: SampleRecord) -> str:
    """Content hash naming one item across runs (sha256 hex).

    The doc_id, question text and target when the doc has a question field, so the same
    document matches across checkpoints, harness versions and prompt variants (cot vs
    answer-only) whatever the task is called, while templated duplicates stay distinct;
    otherwise task, doc_id and target. Texts are Unicode-normalised (NFC) first, so a question
    written with combining accents in one log and precomposed in another is one item.
    """
    return _identity(rec, question_of(rec))


def _identity(rec: SampleRecord, question: str | None) -> str:
    """:func:`item_identity` with the record's :func:`question_of` already read."""
    target, doc_id = rec.target, rec.doc_id
    if target is not None and not _is_nfc("NFC", target):
        target = unicodedata.normalize("NFC", target)
    if doc_id is not None and not _is_nfc("NFC", doc_id):
        doc_id = unicodedata.normalize("NFC", doc_id)
    if question is not None:
        if not _is_nfc("NFC", question):
            question = unicodedata.normalize("NFC", question)
        payload: dict[str, Any] = {"doc_id": doc_id, "question": question, "target": target}
    else:
        payload = {"task": _nfc(rec.task), "doc_id": doc_id, "target": target}
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


_is_nfc = unicodedata.is_normalized


def _nfc(text: str | None) -> str | None:
    """``text`` in Unicode normal form C (unchanged, and fast, when it already is)."""
    if text is None or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def question_of(rec: SampleRecord) -> str | None:
    """The item's question text from its doc fields (None when the doc has none)."""
    if rec.doc:
        for key in QUESTION_FIELDS:
            value = rec.doc.get(key)
            if isinstance(value, str):
                return value
    return None


class _RunState:
    """Per-run bookkeeping while an ingest streams."""

    def __init__(self, run_id: int, created: bool, ingest_id: int) -> None:
        self.run_id = run_id
        self.created = created
        self.ingest_id = ingest_id
        self.n_new = 0
        self.n_read = 0
        self.tasks: dict[str, dict[str, Any]] = {}
        # samples an earlier ingest stored with other data (kept): how many, and the first
        # few ``(task, filter, doc_id, sample_idx, stored, new, response differs, item differs)``
        self.n_changed = 0
        self.n_score_changed = 0
        self.changed: list[tuple[Any, ...]] = []
        # settings hash -> JSON of the batches that held such a sample: their prompting
        self.changed_settings: dict[str, str] = {}
        # the run existed and one side names no model: the warning, and whether it is said
        # only when samples were stored (the run's model unchanged) (Ingest._check_model)
        self.model_warning: tuple[str, bool] | None = None


def ingest(
    store: Store,
    taxonomy: Taxonomy,
    paths: Sequence[Path],
    *,
    run: str,
    benchmark: str | None = None,
    model: str | None = None,
    step: int | None = None,
    tokens_seen: int | None = None,
    fmt: str = "auto",
    field_map: dict[str, str] | None = None,
    system: str | None = None,
    skip_bad: bool = False,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    refuse_changed: bool = False,
) -> IngestReport:
    """Read evaluation logs and store them as one run (or one run per system).

    Args:
        paths: files or folders; the format is detected from content unless ``fmt`` is given.
        run: run name; multi-system files without ``system`` give runs ``<run>/<system>``.
        skip_bad: keep going past unreadable lines (they are counted and reported).
        batch_size: samples a write transaction holds; None: :data:`BATCH_SIZE`, and read in
            workers, a narrow batch after the first may grow to :data:`NARROW_BATCH` samples
            (:meth:`_Ingest._batch_limit`); given: every batch holds that many (the last fewer).
        progress: called with the number of records read so far, every ``PROGRESS_EVERY``
            records read and once per batch written.
        refuse_changed: samples read that differ from those the run already holds (same
            task, doc_id and sample; another score, response or item) stop the ingest and
            nothing from it is kept (:func:`changed_refusal`; the CLI: a CI script sees exit
            1, walk 11); False: they are skipped, the rest is stored and a warning says so
            (:func:`changed_warning`; the app).

    Returns:
        An :class:`IngestReport`.

    Raises:
        IngestError: a bad line without ``skip_bad`` (nothing from this ingest is kept),
            input that yields no samples at all, a run name :func:`run_name_problem`
            refuses (nothing read), or with ``refuse_changed`` samples that differ from the
            run's stored ones (nothing from this ingest is kept).
    """
    problem = run_name_problem(run)
    if problem:
        raise IngestError(f"{problem}. Nothing was stored.")
    options = _Options(
        run=run, benchmark=benchmark, model=model, step=step, tokens_seen=tokens_seen, fmt=fmt,
        field_map=field_map, system=system, skip_bad=skip_bad,
        batch_size=batch_size or BATCH_SIZE, grow=batch_size is None, progress=progress,
        refuse_changed=refuse_changed,
    )  # fmt: skip
    with fewer_collections():
        return _Ingest(store, taxonomy, list(paths), options).run()


BATCH_SIZE = 5000
"""Samples a write transaction holds by default (:func:`ingest`'s ``batch_size``)."""
NARROW_BATCH = 20_000
"""Samples a batch read in workers may hold while it is narrow, after the ingest's first
batch, with the default ``batch_size`` (:meth:`_Ingest._batch_limit`; ``batch_size``
otherwise): each write transaction's commit rewrites the pages of the random
item- and prompt-hash indexes it touched, once per transaction (measured: commit 5.2 -> 3.1-4.0
us CPU per narrow sample at 10k-20k samples a transaction, session 10)."""
_RESPONSE = SAMPLE_COLUMNS.index("response")
NARROW_BATCH_BYTES = 16 * 2**20
"""Characters of responses and new prompt texts a batch may hold and still grow past
``batch_size``: bounds its memory whatever the sample count (narrow samples: ~100 a sample;
~1,000 of response a full-text sample of a next checkpoint, whose prompts are stored)."""

GC_GEN0 = 100_000
"""Allocations between two collections of the cyclic garbage collector's youngest generation
while an ingest runs (CPython's default is 700): an ingest allocates a few tuples per sample
and keeps thousands alive per batch, so the default collects (and walks them) every few
samples; measured on 20k narrow samples, ~5-10 us CPU per sample less. Memory is bounded as
before: the ingest makes almost no reference cycles, and the collector still runs."""
_gc_lock = threading.Lock()
_gc_users: list[Any] = [0, None]  # ingests running, the threshold they replaced


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the garbage collector's youngest-generation threshold to :data:`GC_GEN0` while
    the block runs (never lower it); restored when the last of concurrent blocks (ingests on
    several threads) ends."""
    with _gc_lock:
        if _gc_users[0] == 0:
            _gc_users[1] = gc.get_threshold()
            first, *rest = _gc_users[1]
            if first:  # 0: collections are off; left so
                gc.set_threshold(max(first, GC_GEN0), *rest)
        _gc_users[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users[0] -= 1
            if _gc_users[0] == 0:
                gc.set_threshold(*_gc_users[1])


@dataclass(frozen=True)
class _Options:
    """The arguments of one :func:`ingest` call besides the store, taxonomy and paths."""

    run: str
    benchmark: str | None
    model: str | None
    step: int | None
    tokens_seen: int | None
    fmt: str
    field_map: dict[str, str] | None
    system: str | None
    skip_bad: bool
    batch_size: int
    grow: bool  # narrow batches may grow past batch_size (the default size was asked for)
    progress: Callable[[int], None] | None
    refuse_changed: bool = False  # differing samples stop the ingest (nothing kept)


_ItemRow = tuple[str | bytes, str, str, str, str | None, str | None, str | None]
"""``(item hash, benchmark, task, doc_id, question, target, doc JSON)`` for ``write_batch``
(the hash as hex, or as its 32 bytes in the worker processes' rows)."""


class _Batch:
    """The rows of one batch: prompt texts, items, rule labels and evaluation settings
    (queued while its records are read), each sample's record, item, run, scorer and settings
    (``pre``), its scoring in flight (:meth:`_Memo.submit`) and, once scored, its sample rows
    (:func:`sample_row`, which queues the prompt texts)."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.items: dict[str, _ItemRow] = {}
        self.labels: list[tuple[str, str, str, str]] = []
        self.eval_settings: dict[str, str] = {}
        self.pre: list[tuple[SampleRecord, str, _RunState, str, str]] = []
        self.scoring: _Scoring | None = None
        self.samples: list[tuple[Any, ...]] = []
        # read in workers: may grow past batch_size (None: not decided), the text characters
        # of the chunks taken into it and the number of the last one (_Ingest._batch_limit)
        self.grow: bool | None = None
        self.n_bytes = 0
        self.counted = 0


class _Ingest:
    """One ingest, streamed: records are read, grouped in batches of ``batch_size``, turned
    into rows (per-item work once per item: identity, rule labels, doc text; per-sample work
    once per sample: scores and failure modes, long responses partly in a worker process) and
    each batch written in one transaction (:meth:`_flush`).

    Two cores, lm-eval input: worker processes read the files and build the rows, this
    process takes them in reading order and writes (:meth:`_read_parallel`, :meth:`_take`).
    Other input: a batch's long responses are scored in a worker process while this one
    writes the batch before it and reads the next (:meth:`_process` submits, :meth:`_drain`
    collects and writes; batches are written in reading order, each in its own transaction).
    Per-run state is in :class:`_RunState`; each batch's rows in a :class:`_Batch`.
    """

    def __init__(
        self, store: Store, taxonomy: Taxonomy, paths: list[Path], options: _Options
    ) -> None:
        self.store, self.taxonomy, self.paths, self.opt = store, taxonomy, paths, options
        self.ctx, self.stream = read_paths(
            paths, fmt=options.fmt, field_map=options.field_map, system=options.system,
            benchmark=options.benchmark,
        )  # fmt: skip
        self.report = IngestReport(
            format=self.ctx.format, fields=list(self.ctx.run_meta.get("field_mapping", []))
        )
        self.meta = dict(self.ctx.run_meta)
        self.command = resume_command(
            store.path, paths, run=options.run, benchmark=options.benchmark,
            model=options.model, step=options.step, fmt=options.fmt,
            field_map=options.field_map, system=options.system, skip_bad=options.skip_bad,
        )  # fmt: skip
        self.states: dict[str | None, _RunState] = {}
        # item hash -> (stored output_constraint, rule labels) of items met before
        self.seen_items: dict[str, tuple[str | None, dict[str, tuple[str, str]]]] = {}
        self.item_ids: dict[str, int] = {}  # hash -> id of items stored (before or by this ingest)
        # items met without an output_constraint label: no answer for the lenient extraction
        self.unlabelled: set[str] = set()
        # read in workers: item hash -> output constraint of the items the workers met new
        # (the first chunk's), and the items some worker scored with another one
        self.oc_of: dict[str, str] = {}
        self.overridden: set[str] = set()
        self.batch = _Batch()  # the batch being built
        self.inflight: _Batch | None = None  # built, its scores being computed
        self.memo = _Memo()
        # (system, task, filter, benchmark) -> (run state, task row) of the records met
        self.places: dict[tuple[Any, ...], tuple[_RunState, dict[str, Any]]] = {}
        self.faults = _Faults()
        self.workers: Any = None  # ingest_workers.Workers when the read is in workers
        self.n_taken = 0  # worker chunks taken (_take)
        self.n_written = 0  # batches written (_flush)
        # (run id, task) -> [samples capslice scored, of them read by the lenient extraction
        # only (strict: extraction_failure), strict score sum, lenient right, lenient scored]
        self.strict: dict[tuple[int, str], list[float]] = {}
        self.bad_by_file: dict[str, int] = {}  # unreadable rows skipped (--skip-bad) per file
        # what _note_skipped says (warnings, notes): after every run's meta took the report's
        self.skip_notes: tuple[list[str], list[str]] = ([], [])

    # ------------------------------------------------------------ the stream

    def run(self) -> IngestReport:
        """Read, score and store everything; see :func:`ingest` for the errors raised."""
        try:
            self._read_all()
        except IngestError:
            raise
        except StoreDamaged:  # refused before writing: nothing of this ingest to undo
            raise
        except KeyboardInterrupt as exc:  # SIGINT, and SIGTERM/SIGHUP as interrupt.Interrupted
            why = str(exc) or "stopped by SIGINT"
            raise IngestError(_interrupted(self.store, self.states, self.opt.run, why)) from exc
        except BaseException as exc:
            raise self._fail(f"ingest stopped: {type(exc).__name__}: {exc}") from exc
        finally:
            self.memo.close()
            if self.workers is not None:
                self.workers.close()
        late = disarm()
        if late:
            self.report.notes.append(
                f"{late} received while finishing; the ingest was completed first"
            )
        return self._finish()

    def _read_all(self) -> None:
        """Every record of the stream, batch by batch; bad lines counted (or fatal)."""
        if self._start_workers():
            self._read_parallel()
            return
        report, pending = self.report, []
        for rec in self.stream:
            if isinstance(rec, BadLine):
                self._bad_line(rec)
                continue
            report.n_read += 1
            if self.opt.progress and report.n_read % PROGRESS_EVERY == 0:
                self.opt.progress(report.n_read)  # reading moves the display, not only writing
            if self.faults.excluded(rec, self.opt.system, report):
                for note in self.faults.unscored:
                    self._bad_line(note)
                self.faults.unscored.clear()
                continue
            pending.append(rec)
            if len(pending) >= self.opt.batch_size:
                self._process(pending)
                pending = []
        self._process(pending)
        self._drain()

    def _bad_line(self, rec: BadLine) -> None:
        """Count a note or torn record, or an unreadable line (fatal without ``skip_bad``)."""
        report = self.report
        if rec.note or rec.torn:
            self.faults.add_line(rec, report)
            return
        report.n_bad += 1
        file = str(Path(rec.source_file).resolve()) if rec.source_file else ""
        self.bad_by_file[file] = self.bad_by_file.get(file, 0) + 1
        if len(report.bad) < 1000:
            report.bad.append(str(rec))
        if not self.opt.skip_bad:
            raise self._fail(
                f"{rec}. Nothing from this ingest was stored; fix the file or pass "
                "--skip-bad to keep the readable lines."
            )

    # ------------------------------------------------------------ in worker processes

    def _start_workers(self) -> bool:
        """Start worker processes for an lm-eval read (:mod:`._ingest_workers`) when they
        pay (two cores, enough input); False: read in this process."""
        files = self.ctx.lmeval_files
        if files is None or not files.samples:
            return False
        from . import _ingest_workers as ingest_workers

        n = ingest_workers.n_workers(files)
        if n == 0:
            return False
        store = (self.store.path, self.store.busy_timeout_s)
        # the run and ingest every row names (the workers build them)
        st = self._state_of(None, note=False)
        try:
            self.workers = ingest_workers.Workers(
                files, self.ctx, self.taxonomy, self.opt.benchmark, store,
                (st.run_id, st.ingest_id), n,
            )  # fmt: skip
        except (OSError, ValueError, RuntimeError):  # no processes to be had: read here
            self._note_process(None, st)
            return False
        self._note_process(None, st)
        return True

    def _read_parallel(self) -> None:
        """Every worker chunk in reading order, into batches of ``batch_size`` samples
        written as in :meth:`_read_all`; then the reader's end-of-read checks and notes."""
        from ..ingest.lmeval import check_reported
        from ..ingest.reasoning import note_traces

        assert self.workers is not None
        report, faults = self.report, self.faults
        for chunk in self.workers.chunks():
            for bad in chunk.bad:
                self._bad_line(bad)
            report.n_read += chunk.n_records
            n_rep, n_conf, n_miss, first_rep, first_conf, first_miss = chunk.faults
            report.n_repeats += n_rep
            report.n_conflicting += n_conf
            report.n_missing_score += n_miss
            faults.first_repeat = faults.first_repeat or first_rep
            faults.first_conflict = faults.first_conflict or first_conf
            faults.first_missing = faults.first_missing or first_miss
            if chunk.rows:
                self._take(chunk)
            if self.opt.progress:
                self.opt.progress(report.n_read)
        self._flush(self.batch)
        self.batch = _Batch()
        for reported in self.ctx.lmeval_files.reports:
            for bad in check_reported(reported, self.workers.tally, self.ctx.groups):
                self._bad_line(bad)
        if self.workers.with_trace:
            note_traces(self.ctx, self.workers.with_trace)

    def _take(self, chunk: Any) -> None:
        """A worker chunk's rows into the batch (written each time it is full), per chunk
        rather than per row: items met first keep the labels of their first record (the
        first chunk that names them new); a sample whose worker scored it with another
        output constraint than the first record's (or the store's) is scored again here."""
        st = self._state_of(None)
        for task, filter_name, bench in chunk.tasks:
            _run_task_row(st, self.ctx, task, filter_name, bench)
        st.n_read += len(chunk.rows)
        if chunk.known is None:  # the worker could not read the store: look its items up
            self._known_here(chunk)
        else:
            for h, (_oc, item_id) in chunk.known.items():
                self.item_ids[h] = item_id
        oc_of, other = self.oc_of, self.overridden
        again: list[str] = []  # new to the worker, met first in another chunk (or stored)
        for h, oc in chunk.first.items():
            first = oc_of.get(h)
            if first is None:
                oc_of[h] = oc
            else:
                again.append(h)
                if first != oc:  # its rows are scored again with the first one's
                    other.add(h)
        self.n_taken += 1
        size = self._batch_limit(self.batch, chunk)
        if len(self.batch.samples) >= size:  # grown, and this chunk is not narrow: write it
            self._flush(self.batch)
            self.batch = _Batch()
            size = self._batch_limit(self.batch, chunk)
        batch = self.batch
        if again:
            skip = set(again)
            batch.items.update((h, r) for h, r in chunk.items.items() if h not in skip)
            batch.labels.extend(x for x in chunk.labels if x[0] not in skip)
        else:
            batch.items.update(chunk.items)
            batch.labels.extend(chunk.labels)
        batch.texts.update(chunk.texts)  # a hash's text is the same whichever row gave it
        batch.eval_settings.update(chunk.settings)
        rows = chunk.rows
        if other:
            rows = self._score_again(chunk)
        scored_here = [r for r in rows if r[14] != SCORE_SOURCE_HARNESS]
        if scored_here:
            self.report.scored_by_capslice += len(scored_here)
            for r in scored_here:
                self._tally(r)
        while rows:
            room = size - len(batch.samples)
            batch.samples.extend(rows[:room])
            rows = rows[room:]
            if len(batch.samples) >= size:
                self._flush(batch)
                batch = self.batch = _Batch()
                size = self._batch_limit(batch, chunk)

    def _batch_limit(self, batch: _Batch, chunk: Any) -> int:
        """Samples the batch being built may hold (read in workers): ``batch_size``, or up to
        :data:`NARROW_BATCH` while it stays narrow (:data:`NARROW_BATCH_BYTES`): fewer, larger
        write transactions. Only with the default ``batch_size``, and never the ingest's first
        batch (it commits as soon as before: the first rows show, an interrupted ingest keeps
        its first ``batch_size`` samples). Every stored row is the same as with ``batch_size``, rowids
        included, with one exception: where a batch ends decides where the row of a newly met
        few-shot head goes in ``texts`` (store/prompts.py: heads of prompts longer than
        ``MIN_PREFIX_CHARS``), so a batch stops growing at a chunk with such a prompt, written
        before that chunk is taken; when it had grown past ``batch_size`` by then (long
        prompts first met after thousands of short ones), that head's ``texts`` rowid may
        differ from the one ``batch_size`` batches give. ``chunk`` is the worker chunk being
        taken (number :attr:`n_taken`; counted once per batch)."""
        if batch.grow is None:
            later = self.n_written > 0  # the ingest's first batch keeps batch_size
            batch.grow = self.opt.grow and later and self.opt.batch_size < NARROW_BATCH
        if batch.grow and self.n_taken != batch.counted:
            batch.counted = self.n_taken
            texts = chunk.texts.values()
            if max(map(len, texts), default=0) > MIN_PREFIX_CHARS:
                batch.grow = False
            else:
                batch.n_bytes += sum(map(len, texts)) + sum(
                    len(r[_RESPONSE]) for r in chunk.rows if r[_RESPONSE] is not None
                )
                batch.grow = batch.n_bytes <= NARROW_BATCH_BYTES
        return NARROW_BATCH if batch.grow else self.opt.batch_size

    def _known_here(self, chunk: Any) -> None:
        """The stored items among a chunk's new ones, when its worker could not read the
        store: their ids, and their output constraint (the store's, else inferred from the
        target of the item's first row, as the worker would have)."""
        unseen = sorted(h for h in chunk.first if h not in self.oc_of)
        stored = self.store.known_items(unseen, ids=self.item_ids) if unseen else {}
        if not stored:
            return
        for row, call in zip(chunk.rows, pickle.loads(chunk.calls), strict=True):
            h = row[1]
            if h in stored and h not in self.oc_of:
                self.oc_of[h] = stored[h] or infer_output_constraint_from_target(call[1] or "")

    def _score_again(self, chunk: Any) -> list[tuple[Any, ...]]:
        """A chunk's rows, those of items in :attr:`overridden` scored again with the output
        constraint the ingest gave the item (the calls are unpickled only here)."""
        rows, calls, oc_of = list(chunk.rows), None, self.oc_of
        for i, row in enumerate(rows):
            h = row[1]
            if h in self.overridden:
                calls = calls or pickle.loads(chunk.calls)
                call = calls[i]
                if call is not None and call[2] != oc_of[h]:
                    response = row[8] if call[0] is None else call[0]  # None: the row's
                    rows[i] = with_scores(
                        row, self.memo.score(response, call[1], oc_of[h], *call[3:])
                    )
        return rows

    def _fail(self, message: str) -> IngestError:
        """Remove everything this ingest wrote and return the error to raise."""
        for st in self.states.values():
            self.store.rollback_ingest(st.ingest_id, st.run_id, st.created, message)
        return IngestError(message, self.report.bad)

    def _state_for(self, rec: SampleRecord) -> _RunState:
        """The run a record goes to, created (with its ingest record) when first met."""
        return self._state_of(rec.system if self.opt.system is None else None)

    def _state_of(self, key: str | None, note: bool = True) -> _RunState:
        """The run of system ``key`` (None: the one run), created when first met, with its
        ingest's process and expected records noted (``note``; else by the caller, with
        :meth:`_note_process`)."""
        st = self.states.get(key)
        if st is not None:
            return st
        opt, meta = self.opt, self.meta
        by_system = meta.get("source_files_by_system") or {}
        name = opt.run if key is None else f"{opt.run}/{key}"
        # the system a run holds is its model (--system picks one: the run keeps its name)
        model = opt.model or meta.get("model_name") or meta.get("model") or key or opt.system
        model_warning = self._check_model(name, model)
        run_id, created = self.store.ensure_run(
            name,
            model=model,
            step=opt.step,
            tokens_seen=opt.tokens_seen,
            source_format=self.ctx.format,
            source_files=[
                str(p) for p in by_system.get(key) or meta.get("source_files", self.paths)
            ],
            meta=meta,
        )
        st = _RunState(run_id, created, self.store.begin_ingest(run_id))
        st.model_warning = model_warning
        self.states[key] = st
        if note:
            self._note_process(key, st)
        return st

    def _note_process(self, key: str | None, st: _RunState) -> None:
        """Note the ingest's process and the records its input holds (the input's lines are
        counted: read in workers, while they read their first chunks)."""
        files = (self.meta.get("source_files_by_system") or {}).get(key) or self.meta.get(
            "source_files", []
        )
        self.store.note_ingest_process(
            st.ingest_id,
            st.run_id,
            n_expected=count_records(files) if key is None else None,
            command=self.command,
        )

    def _check_model(self, name: str, model: str | None) -> tuple[str, bool] | None:
        """Refuse adding samples of ``model`` to an existing run that holds another model
        (a mistaken --run would mix two models' scores under one name). When one side names
        no model the check cannot tell: returns the warning (:func:`model_unknown_warning`)
        and whether it is said only if samples are stored (the run keeps its model; when it
        gets this log's, it is said anyway); None when there is nothing to say.

        Raises:
            IngestError: the run is stored with another model (nothing was written).
        """
        try:
            stored = self.store.get_run(name)
        except NotFound:
            return None
        if not stored["model"] or not model or stored["model"] == model:
            warning = model_unknown_warning(
                name, stored["model"], model, from_option=bool(self.opt.model)
            )
            return (warning, bool(stored["model"])) if warning else None
        raise self._fail(
            f"run {name!r} holds model {stored['model']!r} and this log is of {model!r}: "
            "nothing was stored. Ingest it under another --run, or `capslice delete-run "
            f"{name}` and ingest again to replace it; if the log is of {stored['model']!r} "
            f"after all, pass --model {stored['model']!r}"
        )

    # ------------------------------------------------------------ one batch

    def _process(self, records: list[SampleRecord]) -> None:
        """Rows for a batch of records; items already in the store keep their stored labels
        (one query per batch instead of re-running the taxonomy rules per item), new items
        are labelled together (:meth:`Taxonomy.assign_many`: rules once per distinct input).
        Per sample: its run and task row looked up once per (system, task, filter,
        benchmark) (:meth:`_place`), its item's work only when the item is new."""
        self.memo.settings.clear()  # run meta may grow between batches; within one it is fixed
        questions = [question_of(r) for r in records]
        hashes = [_identity(r, q) for r, q in zip(records, questions, strict=True)]
        seen_items = self.seen_items
        unseen = {h for h in hashes if h not in seen_items}
        for h, oc in self.store.known_items(sorted(unseen), ids=self.item_ids).items():
            seen_items[h] = (oc, {})
            if oc is None:
                self.unlabelled.add(h)
        if self.opt.benchmark:  # what _benchmark_of gives every record then
            benches = [self.opt.benchmark] * len(records)
        else:
            benches = [_benchmark_of(r, self.ctx, None) for r in records]
        assigned = self._label_new(records, hashes, benches, questions)
        batch, calls, places = self.batch, [], self.places
        pre, items, settings = batch.pre, batch.items, batch.eval_settings
        by_system, settings_of = self.opt.system is None, self.memo.settings_of
        item_ids = self.item_ids  # items stored: _flush writes no row of them
        unlabelled = self.unlabelled
        for rec, ihash, bench, question in zip(records, hashes, benches, questions, strict=True):
            key = (rec.system if by_system else None, rec.task, rec.filter, bench)
            place = places.get(key)
            if place is None:
                place = places[key] = self._place(rec, bench)
            st, task_row = place
            st.n_read += 1
            known = seen_items.get(ihash)
            if known is None:
                oc = self._new_item(rec, ihash, bench, question, assigned[ihash])
            else:
                if ihash not in items and ihash not in item_ids:  # written if not stored
                    items[ihash] = (ihash, bench, rec.task, rec.doc_id, None,
                                    cap_text(rec.target, MAX_RESPONSE_CHARS), None)  # fmt: skip
                oc = known[0] or infer_output_constraint_from_target(rec.target or "")
            # the scorer is known before scoring (the harness's score, else capslice's), so
            # the settings are read with the run metadata of this batch's reading
            source = SCORE_SOURCE_HARNESS if rec.correct is not None else SCORE_SOURCE_CAPSLICE
            settings_hash, settings_text = settings_of(rec, task_row, self.ctx, source)
            if settings_hash not in settings:
                settings[settings_hash] = settings_text
            pre.append((rec, ihash, st, source, settings_hash))
            calls.append(_score_call(rec, oc, task_row, ihash not in unlabelled))
        batch.scoring = self.memo.submit(calls)
        self._drain()  # the previous batch, while the worker scores this one
        self.inflight, self.batch = batch, _Batch()

    def _drain(self) -> None:
        """Collect the scores of the batch in flight, finish its rows and write it."""
        batch, self.inflight = self.inflight, None
        if batch is None or batch.scoring is None:
            return
        scores = self.memo.collect(batch.scoring)
        samples, texts = batch.samples, batch.texts
        for (rec, ihash, st, source, settings_hash), cells in zip(batch.pre, scores, strict=True):
            if cells[0].score_source != source:  # score_sample's rule changed: never store it
                raise RuntimeError(f"scorer {cells[0].score_source!r}, expected {source!r}")
            sample = sample_row(rec, ihash, st.run_id, st.ingest_id, texts, cells, settings_hash)
            if source != SCORE_SOURCE_HARNESS:
                self.report.scored_by_capslice += 1
                self._tally(sample)
            samples.append(sample)
        self._flush(batch)

    def _tally(self, row: tuple[Any, ...]) -> None:
        """Count a sample capslice scored (a row in ``SAMPLE_COLUMNS`` order) for its task's
        strict-format caveat (:mod:`.strict_format`)."""
        tally(self.strict, (row[0], row[2]), row[13], row[15], row[16], row[17], row[11])

    def _label_new(
        self,
        records: list[SampleRecord],
        hashes: list[str],
        benches: list[str],
        questions: list[str | None],
    ) -> dict[str, dict[str, tuple[str, str]]]:
        """Rule labels of the batch's items met for the first time, by item hash."""
        first: dict[str, dict[str, Any]] = {}
        for rec, ihash, bench, question in zip(records, hashes, benches, questions, strict=True):
            if ihash not in self.seen_items and ihash not in first:
                first[ihash] = {"benchmark": bench, "task": rec.task, "doc": rec.doc,
                                "question": question, "prompt": rec.prompt,
                                "target": rec.target}  # fmt: skip
        found = self.taxonomy.assign_many(first.values())
        return dict(zip(first, found, strict=True))

    def _place(self, rec: SampleRecord, bench: str) -> tuple[_RunState, dict[str, Any]]:
        """The record's run (created when first met) and its row for the record's task
        (created when first met; the record's filter appended when new): what every record
        of the same (system, task, filter, benchmark) shares (``self.places``)."""
        st = self._state_for(rec)
        return st, _run_task_row(st, self.ctx, rec.task, rec.filter, bench)

    def _new_item(
        self,
        rec: SampleRecord,
        ihash: str,
        bench: str,
        question: str | None,
        labels: dict[str, tuple[str, str]],
    ) -> str:
        """Queue a new item's row and rule labels (from its first record); its output
        constraint."""
        oc = output_constraint_of(labels, rec.target)
        self.batch.items[ihash] = item_row(rec, ihash, bench, question)
        for axis, (value, rule_id) in labels.items():
            self.batch.labels.append((ihash, axis, value, rule_id))
        self.seen_items[ihash] = (oc, labels)
        if labels.get("output_constraint", (None, ""))[0] is None:
            self.unlabelled.add(ihash)
        return oc

    def _flush(self, batch: _Batch) -> None:
        """Write a batch in one transaction and count the new samples per run."""
        if not batch.samples:
            return
        self.n_written += 1
        changed: list[tuple[Any, ...]] = []
        n_new, ids = self.store.write_batch(
            texts=list(batch.texts.items()),
            items=[row for h, row in batch.items.items() if h not in self.item_ids],
            samples=batch.samples,
            rule_labels=batch.labels,
            settings=list(batch.eval_settings.items()),
            item_ids=self.item_ids,
            changed=changed,
        )
        for run_id, *rest in changed:
            st = next(st for st in self.states.values() if st.run_id == run_id)
            st.n_changed += 1
            scored_otherwise = rest[4] != rest[5]
            st.n_score_changed += scored_otherwise
            if scored_otherwise or len(st.changed) < CHANGED_EXAMPLES:  # score changes first
                st.changed.append(tuple(rest))
                st.changed.sort(key=lambda c: c[4] == c[5])
                del st.changed[CHANGED_EXAMPLES:]
        for run_id in {c[0] for c in changed}:
            st = next(st for st in self.states.values() if st.run_id == run_id)
            st.changed_settings.update(batch.eval_settings)
        self.item_ids.update(ids)  # later batches (the next checkpoint's) need no item lookups
        per_run: dict[int, int] = {}
        if len(self.states) == 1:  # every sample is the one run's: no walk of the batch
            per_run[batch.samples[0][0]] = len(batch.samples)
        else:
            for s in batch.samples:
                per_run[s[0]] = per_run.get(s[0], 0) + 1
        if len(per_run) == 1:
            only = next(st for st in self.states.values() if st.run_id in per_run)
            if only.n_new >= 0:  # -1 stays: the run is counted from the store at the end
                only.n_new += n_new
        else:  # several systems in one batch: count exactly from the store afterwards
            for st in self.states.values():
                if st.run_id in per_run:
                    st.n_new = -1
        if self.opt.progress:
            self.opt.progress(self.report.n_read)

    # ------------------------------------------------------------ the end

    def _finish(self) -> IngestReport:
        """Notes and warnings, then each run's tasks, counts, truncation and status."""
        report = self.report
        report.notes.extend(self.ctx.run_meta.get("reader_notes", []))
        self.faults.summarise(report)
        mismatch = self.taxonomy.benchmark_mismatch(
            (row["benchmark"], task)
            for st in self.states.values()
            for task, row in st.tasks.items()
        )
        if mismatch:
            report.notes.append(mismatch)
        if report.n_read == 0 or not self.states:  # nothing read, or every record excluded
            raise self._fail(
                "no samples found in "
                + ", ".join(str(p) for p in self.paths)
                + (f" ({report.n_bad} unreadable lines)" if report.n_bad else "")
                + "".join(f"; {text}" for text in [*report.warnings, *report.notes])
            )
        if self.opt.refuse_changed:
            self._refuse_changed()
        for key, st in self.states.items():
            if not st.created:
                self._note_benchmark_clashes(st)
            self._finish_run(key, st)
        report.warnings += self.skip_notes[0]
        report.notes += self.skip_notes[1]
        return report

    def _refuse_changed(self) -> None:
        """With ``refuse_changed``: raise (everything this ingest wrote removed) when some run
        received samples that differ from its stored ones."""
        for key, st in self.states.items():
            if st.n_changed:
                name = self.opt.run if key is None else f"{self.opt.run}/{key}"
                other = prompting_change(self.store, name, st.changed_settings)
                raise self._fail(
                    changed_refusal(name, st.n_changed, st.n_score_changed, st.changed, other)
                )

    def _note_benchmark_clashes(self, st: _RunState) -> None:
        """A note per (stored, new) benchmark pair of tasks the run already had."""
        stored = {t["task"]: t["benchmark"] for t in self.store.run_tasks(st.run_id)}
        clashes: dict[tuple[str, str], list[str]] = {}
        for task, row in st.tasks.items():
            if task in stored and stored[task] != row["benchmark"]:
                clashes.setdefault((stored[task], row["benchmark"]), []).append(task)
        for (old, new), tasks in clashes.items():
            self.report.notes.append(
                f"{plural(len(tasks), 'task')} (e.g. {tasks[0]}) {'is' if len(tasks) == 1 else 'are'} "
                "already stored under benchmark "
                f"{old!r}; {new!r} was not applied (delete the run with `capslice "
                "delete-run` and ingest again to change it)"
            )

    def _note_strict_format(self, name: str, st: _RunState) -> None:
        """Warn, and keep in the run's meta, each task read here whose capslice score
        reflects the strict answer format (:func:`.strict_format.record_caveats`)."""
        counts = {task: row for (run_id, task), row in self.strict.items() if run_id == st.run_id}
        if not counts:
            return
        benchmarks = {task: st.tasks[task]["benchmark"] for task in counts}
        meta = self.store.get_run(name)["meta"]
        for text in record_caveats(self.store, st.run_id, meta, counts, benchmarks):
            # a caveat starts with its task: a task named as its run is named once
            said = text if text.startswith(f"{name}: ") else f"{name}: {text}"
            self.report.warnings.append(said)

    def _note_skipped(self, key: str | None, name: str, st: _RunState) -> None:
        """Record in the run the unreadable rows ``--skip-bad`` left out of each file read
        and mark it incomplete with the count (:func:`.interrupt.skipped_reason`; beside a
        torn record's reason of this ingest), and warn; a file read again whole clears its
        rows, and a note says so, or what is still left out."""
        by_system = self.meta.get("source_files_by_system") or {}
        read = by_system.get(key) or self.meta.get("source_files", [])
        files = [str(Path(f).resolve()) for f in read]
        # another system's files (OpenCompass model folders): their skipped rows are not this run's
        others = {str(Path(f).resolve()) for k, fs in by_system.items() if k != key for f in fs}
        skipped = {
            f: (n, count_records([f]) if f else None)
            for f, n in self.bad_by_file.items()
            if f in files or f not in others
        }
        changed = self.store.record_skipped_rows(
            st.run_id, files, skipped, counted=len(self.report.bad)
        )
        if changed is None:
            return
        before, after = changed
        info = self.store.get_run(name)
        reason = skipped_reason(after, info["meta"])
        if reason:
            torn = info["meta"].get("incomplete")  # this ingest's (a whole read cleared it)
            self.store.mark_run_incomplete(st.run_id, f"{torn}; {reason}" if torn else reason)
            said = f"{name} is incomplete: {reason}"
            self.skip_notes[0 if self.bad_by_file else 1].append(said)
        elif before:
            self.skip_notes[1].append(
                f"{name}: the {plural(before, 'input row')} an earlier ingest skipped "
                f"(--skip-bad) {'is' if before == 1 else 'are'} read now: none is left out"
            )

    def _finish_run(self, key: str | None, st: _RunState) -> None:
        """Store the run's tasks, close its ingest, infer truncation and set its status."""
        store, report = self.store, self.report
        store.put_run_tasks(st.run_id, st.tasks.values())
        if st.n_new < 0:
            st.n_new = store.ingest_sample_count(st.ingest_id)
        store.finish_ingest(
            st.ingest_id, st.run_id, n_read=st.n_read, n_new=st.n_new, bad=report.bad
        )
        if st.model_warning and (st.n_new or not st.model_warning[1]):
            report.warnings.append(st.model_warning[0])  # kept in the run's meta too
        store.infer_truncation(st.run_id, ends_cut=cut_after_no_answer)
        if report.n_torn or self.faults.short_at:
            store.mark_run_incomplete(
                st.run_id, self.faults.torn_note(report), [*report.warnings, *report.notes]
            )
        else:  # a whole read clears the reason an earlier torn read left with the status
            store.merge_run_meta(st.run_id, {"incomplete": None}, [*report.warnings, *report.notes])
        name = self.opt.run if key is None else f"{self.opt.run}/{key}"
        self._note_skipped(key, name, st)
        self._note_strict_format(name, st)
        if st.n_changed:
            report.n_conflicting += st.n_changed
            report.differing[name] = st.n_changed
            other = prompting_change(store, name, st.changed_settings)
            report.warnings.append(
                changed_warning(name, st.n_changed, st.n_score_changed, st.changed, other)
            )
        report.runs[name] = st.n_new
        report.read_per_run[name] = st.n_read


def model_unknown_warning(
    run: str, stored: str | None, model: str | None, *, from_option: bool = False
) -> str:
    """The warning when samples go to an existing run and one side names no model ('' when
    both name one, or neither): the mismatch check (a log of another model than the run's is
    refused) cannot tell whether they are one model's, so the ingest goes on and says so.
    Not refused: a log without a model name is common (generic JSONL) and is as likely the
    run's own as not; refusing would make every such log need ``--model``. ``stored``: the
    run's model; ``model``: the one this ingest names (``from_option``: by ``--model``)."""
    if stored and not model:
        return (
            f"run {run!r} holds model {stored!r} and this log names no model, so the model "
            f"check cannot tell whether it is of {stored!r}: its samples were stored in the run "
            "as that model's. If the log is of another model, `capslice delete-run "
            f"{run}` and ingest the run's logs again, this one under another --run; if it is "
            f"of {stored!r}, pass --model {stored!r} (no warning then)"
        )
    if model and not stored:
        source = "--model" if from_option else "this log"
        return (
            f"run {run!r} had no model name and now has model {model!r} (named by {source}), "
            "so its earlier samples count as that model's too, which the model check cannot "
            f"tell. If they are of another model, `capslice delete-run {run}` and ingest each "
            "model's logs under its own --run"
        )
    return ""


CHANGED_EXAMPLES = 3
"""Samples named in the warning about stored samples that arrived with another score."""


def prompting_change(store: Store, run: str, new_settings: dict[str, str]) -> str:
    """``"answer_only_3shot; the stored samples: cot_3shot"`` when the samples that arrived
    again logged a ``prompting`` (evaluation settings, ``new_settings``: hash -> JSON) that
    run ``run``'s stored samples did not (walk 9 #41: an answer-only file ingested into the
    CoT run; the clearest sign of a mistaken --run); ``""`` when they agree or a side logs
    none."""
    from ..store.hub import run_settings  # only when samples arrived with other data

    def prompting(texts: Iterable[str]) -> set[str]:
        return {str(p) for t in texts if (p := orjson.loads(t).get("prompting")) is not None}

    new = prompting(new_settings.values())
    stored = prompting(t for _, t in run_settings(store, run)) - new
    if not new or not stored:
        return ""
    return f"{', '.join(sorted(new))}; the stored samples: {', '.join(sorted(stored))}"


def changed_refusal(
    run: str, n: int, n_score: int, examples: Sequence[tuple[Any, ...]], prompting: str = ""
) -> str:
    """The error when an ingest with ``refuse_changed`` read ``n`` samples that differ from
    those ``run`` already holds (arguments as :func:`changed_warning`): nothing was stored,
    and the two ways on, a new run name or replacing the run."""
    return (
        f"run {run!r} already holds other data for {plural(n, 'sample')} of this log (same "
        f"task, doc_id and sample; {n_score} with another score"
        + (f", logged with another prompting ({prompting})" if prompting else "")
        + f"; e.g. {_changed_examples(examples)}): nothing from this ingest was stored. "
        "Ingest this log under a new --run name; or, to replace the run with it, "
        f"`capslice delete-run {run}` and ingest it again"
    )


def _changed_examples(examples: Sequence[tuple[Any, ...]]) -> str:
    """``task t, doc_id 0, sample 4: stored score 1, new 0; ...`` (:func:`changed_warning`)."""
    return "; ".join(
        f"task {task}, doc_id {doc_id}"
        + (f", sample {idx}" if idx else "")
        + (f", filter {filt}" if filt != "none" else "")
        + (f": stored score {_score_text(old)}, new {_score_text(new)}" if old != new else "")
        + (" (another response)" if other and old == new else "")
        + (" (another question or target)" if item and not other and old == new else "")
        for task, filt, doc_id, idx, old, new, other, item in examples
    )


def changed_warning(
    run: str, n: int, n_score: int, examples: Sequence[tuple[Any, ...]], prompting: str = ""
) -> str:
    """The warning for ``n`` samples already stored in ``run`` by an earlier ingest that
    arrived again with another score, response or item (question or target; ``n_score`` of
    them with another score); ``examples`` are ``(task, filter, doc_id, sample_idx, stored
    score, new score, response differs, item differs)``; ``prompting``: the other prompting
    they logged (:func:`prompting_change`), said after that count when given (``... (3 with
    another score), logged with another prompting (answer_only_3shot; the stored samples:
    cot_3shot); ...``)."""
    named = _changed_examples(examples)
    return (
        f"{run}: {plural(n, 'sample')} already stored in this run arrived with another score, "
        f"response or item ({n_score} with another score"
        + (f"), logged with another prompting ({prompting}" if prompting else "")
        + "); the stored ones were kept and these were NOT stored, so the run still holds "
        f"the earlier data (e.g. {named}). Different data under one run name is usually a "
        "mistaken --run: ingest it under another --run; to replace the stored samples with "
        f"these, `capslice delete-run {run}` and ingest again"
    )


def _score_text(score: float | None) -> str:
    """A stored or new score as the warning shows it (``1``, ``0``, ``0.5``, ``missing``)."""
    if score is None:
        return "missing"
    return f"{score:g}"


def output_constraint_of(labels: dict[str, tuple[str, str]], target: str | None) -> str:
    """A new item's output constraint: its rule label, else inferred from its target."""
    return labels.get("output_constraint", (None, ""))[0] or infer_output_constraint_from_target(
        target or ""
    )


def item_row(rec: SampleRecord, ihash: str | bytes, bench: str, question: str | None) -> _ItemRow:
    """A new item's row for ``write_batch`` (texts capped, doc as JSON in its stored form,
    :func:`pack_doc_value`: packed here, from the doc itself, in the worker processes of an
    lm-eval read, so that the ingest's own process, which writes, need not; ``write_batch``
    leaves a packed doc as it is)."""
    question = cap_text(question, MAX_RESPONSE_CHARS)
    target = cap_text(rec.target, MAX_RESPONSE_CHARS)
    doc = _capped_doc(rec.doc) if rec.doc else None
    return (ihash, bench, rec.task, rec.doc_id, question, target,
            pack_doc_value(doc, question, target))  # fmt: skip


_SCALARS = (int, float, bool, type(None))


def _capped_doc(doc: Any) -> Any:
    """``cap_value(doc, MAX_RESPONSE_CHARS)``, without its walk for the common doc: a flat
    dict of short plain strings and numbers is returned as it is."""
    if type(doc) is dict:
        for value in doc.values():
            kind = type(value)
            if kind is str:
                if len(value) > MAX_RESPONSE_CHARS:
                    break
            elif kind not in _SCALARS:
                break
        else:
            return doc
    return cap_value(doc, MAX_RESPONSE_CHARS)


def sample_row(
    rec: SampleRecord,
    ihash: str | int,
    run_id: int | None,
    ingest_id: int | None,
    texts: dict[str, str],
    cells: _Cells,
    settings_hash: str,
) -> tuple[Any, ...]:
    """The sample's row in ``SAMPLE_COLUMNS`` order, built at once: keys (``ihash``: the item's
    hash, or its id when stored, as ``write_batch`` takes either), prompt hash,
    response (capped, with its whole length and, when capped, hash), its scores (``cells``,
    :func:`_cells_of`), metrics, evaluation settings and reasoning; its prompt text added to
    ``texts`` (sha256 -> capped text) when not there yet."""
    prompt = rec.prompt
    prompt_hash = None
    if prompt:
        prompt_hash = text_sha256(prompt)
        if prompt_hash not in texts:
            texts[prompt_hash] = cap_text(prompt, MAX_PROMPT_CHARS)  # type: ignore[assignment]
    response = rec.response
    response_chars = response_sha = None
    if response is not None:
        # a plain str's length is its whole length (a CappedText knows its own)
        response_chars = len(response) if type(response) is str else text_length(response)
        if max(len(response), response_chars) > MAX_RESPONSE_CHARS:
            # start and end kept around a marker; the whole text's length and hash in columns
            response_sha = text_sha256(response)
            response = cap_text(response, MAX_RESPONSE_CHARS)
    reasoning, metrics = rec.reasoning, rec.metrics
    return (
        run_id, ihash, rec.task, rec.filter, rec.doc_id, rec.sample_idx, ingest_id,
        prompt_hash, response, response_chars, response_sha,
        cells[1], rec.correct, *cells[2], rec.finish_reason, rec.n_output_tokens,
        orjson.dumps(metrics).decode() if metrics else None,
        settings_hash,
        None if reasoning is None else cap_text(reasoning, MAX_RESPONSE_CHARS),
        None if reasoning is None else text_length(reasoning),
    )  # fmt: skip


def new_task_row(ctx: ReadContext, task: str, filter_name: str, bench: str) -> dict[str, Any]:
    """A run's row for a task first met with ``filter_name`` (settings from ``ctx``)."""
    cfg: TaskConfig | None = ctx.tasks.get(task)
    filters = list(cfg.filters) if cfg and cfg.filters else []
    return {
        "task": task,
        "benchmark": bench,
        "primary_filter": filters[0] if filters else filter_name,
        "filters": filters or [filter_name],
        "max_gen_toks": cfg.max_gen_toks if cfg else None,
        "until": cfg.until if cfg else None,
        "temperature": cfg.temperature if cfg else None,
        "do_sample": cfg.do_sample if cfg else None,
        "repeats": cfg.repeats if cfg else None,
        "eos_token": (cfg.eos_token if cfg else None) or _eos_of(ctx.run_meta),
        "num_fewshot": cfg.num_fewshot if cfg else None,
    }


def _run_task_row(
    st: _RunState, ctx: ReadContext, task: str, filter_name: str, bench: str
) -> dict[str, Any]:
    """The run's row for ``task`` (created when first met; filters appended as met)."""
    task_row = st.tasks.get(task)
    if task_row is None:
        task_row = st.tasks[task] = new_task_row(ctx, task, filter_name, bench)
    elif filter_name not in task_row["filters"]:
        task_row["filters"].append(filter_name)
    return task_row


def _score_call(
    rec: SampleRecord, oc: str, task_row: dict[str, Any], lenient_applies: bool
) -> tuple[Any, ...]:
    """The arguments of :meth:`_Memo.score` for one sample; ``lenient_applies``: the item has
    an ``output_constraint`` label (:func:`.rescore.score_sample`)."""
    return (rec.response, rec.target, oc, rec.correct, rec.extracted, task_row["max_gen_toks"],
            rec.n_output_tokens, rec.finish_reason, task_row["until"], task_row["eos_token"],
            lenient_applies)  # fmt: skip


def _interrupted(store: Store, states: dict[str | None, _RunState], run: str, why: str) -> str:
    """Record every run of an ingest stopped by a signal as interrupted (committed batches
    stay; the batch being written was rolled back) and say how to resume or delete it."""
    lines = [f"ingest {why}; the batch being written was rolled back, earlier batches are kept."]
    for key, st in states.items():
        name = run if key is None else f"{run}/{key}"
        store.put_run_tasks(st.run_id, st.tasks.values())
        done = store.interrupt_ingest(st.ingest_id, st.run_id, reason=why, n_read=st.n_read)
        lines.append(
            f"run {name}: {progress_text(done['k'], done['n_expected'])}; resume (adds only "
            f"what is missing): {store.get_run(name)['meta'].get('ingest_command')}; delete: "
            f"{delete_command(store.path, name)}"
        )
    if not states:
        lines.append("nothing was stored.")
    return "\n".join(lines)


def _where(source_file: str, line: int) -> str:
    return f"{source_file}:{line}" if line else source_file


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


NO_TARGET_REASON = "no target and no logged score: not scored, out of every n"
"""Note of a sample with nothing to score it against (:meth:`_Faults.excluded`)."""


class _Faults:
    """The small faults of real files met while an ingest streams, reported once at the end.

    Repairs and remarks from the readers (``BadLine.note``) are grouped by reason; torn last
    records are skipped and counted. A sample key (run, task, filter, doc_id, sample_idx) seen
    again is an exact repeat (counted once) or, with another response or score, a conflicting
    repeat (a warning; the first is kept, as the store keeps the first). A sample whose logged
    score is NaN/N/A (``correct`` None while a logged metric is None) is missing: not stored,
    never re-scored by capslice, so it is out of every n. So is a sample with neither a logged
    score nor a target (nothing to score it against; it would read as a wrong answer against
    ''): it is queued in :attr:`unscored` as a note (``NO_TARGET_REASON``) for the caller to
    report (:meth:`_bad_line`, or a worker chunk's ``bad``).
    """

    def __init__(self) -> None:
        self.notes: dict[tuple[str, str], list[Any]] = {}  # (level, reason) -> [count, where]
        self.torn_at: str | None = None
        self.changed_at: str | None = None  # a file that changed while it was read
        self.short_at: list[str] = []  # tasks whose sample count is not the results file's
        self.n_changed = 0
        # key hash -> (content hash, score, hashes of the response, extracted answer, target)
        self.seen: dict[int, tuple[int, float | None, int, int, int]] = {}
        self.first_repeat: str | None = None
        self.first_conflict: str | None = None
        self.first_missing: str | None = None
        self.unscored: list[BadLine] = []  # notes of samples not scored, for the caller

    def add_line(self, line: BadLine, report: IngestReport) -> None:
        """Count a note, warning or torn record from a reader."""
        where = _where(line.source_file, line.line)
        if line.torn:
            report.n_torn += 1
            if line.reason.startswith(FILE_CHANGED):  # a log still being written
                self.changed_at = self.changed_at or f"{where}: {line.reason}"
                self.n_changed += 1
                return
            self.torn_at = self.torn_at or f"{where}: {line.reason}"
            return
        if line.short:
            self.short_at.append(line.reason.split(" (")[0])
        entry = self.notes.setdefault((line.note, line.reason), [0, where])
        entry[0] += 1

    def excluded(self, rec: SampleRecord, system: str | None, report: IngestReport) -> bool:
        """True when ``rec`` must not be stored: a repeat, or a sample whose score is NaN."""
        key = hash((rec.system if system is None else None, rec.task, rec.filter, rec.doc_id,
                    rec.sample_idx))  # fmt: skip
        content = hash((rec.response, rec.correct, rec.extracted, rec.target))
        first = self.seen.get(key)
        if first is not None:
            if first[0] == content:
                report.n_repeats += 1
                self.first_repeat = self.first_repeat or _where(rec.source_file, rec.source_line)
            else:
                report.n_conflicting += 1
                self.first_conflict = self.first_conflict or (
                    f"{_where(rec.source_file, rec.source_line)}: task {rec.task}, doc_id "
                    f"{rec.doc_id}, filter {rec.filter}: {_conflict_text(rec, first)}"
                )
            return True
        self.seen[key] = (content, rec.correct, hash(rec.response), hash(rec.extracted),
                          hash(rec.target))  # fmt: skip
        if rec.correct is None and any(v is None for v in rec.metrics.values()):
            report.n_missing_score += 1
            self.first_missing = self.first_missing or _where(rec.source_file, rec.source_line)
            return True
        if rec.correct is None and not (rec.target or "").strip():
            self.unscored.append(
                BadLine(rec.source_file, rec.source_line, NO_TARGET_REASON, note="note")
            )
            return True
        return False

    def torn_note(self, report: IngestReport) -> str:
        """What the incomplete run's status means, for the run's meta."""
        n_torn = report.n_torn - self.n_changed
        parts = [f"{self.changed_at}"] if self.changed_at else []
        if n_torn:
            parts.append(
                f"{_plural(n_torn, 'incomplete trailing record', 'incomplete trailing records')}"
                f" skipped ({self.torn_at})"
            )
        if self.short_at:  # "task T: N of M expected samples", the first few
            more = len(self.short_at) - 3
            parts.append(
                "; ".join(self.short_at[:3])
                + (f" and {more} more tasks" if more > 0 else "")
                + " (the results file's n-samples): the log is cut short or holds another run's"
                " lines"
            )
        return "; ".join(parts)

    def summarise(self, report: IngestReport) -> None:
        """Turn what was counted into the report's notes and warnings."""
        for (level, reason), (count, where) in self.notes.items():
            text = (
                f"{reason} ({where})" if count == 1 else f"{reason}: {count} lines (first {where})"
            )
            (report.warnings if level == "warning" else report.notes).append(text)
        if report.n_torn:
            report.notes.append(self.torn_note(report) + "; the run is marked incomplete")
        elif self.short_at:  # the counts' own note is printed: only what follows from it
            report.notes.append(
                "the run is marked incomplete: a task's log holds another number of samples"
                " than its results file says"
            )
        if report.n_repeats:
            report.notes.append(
                f"{_plural(report.n_repeats, 'exact repeat', 'exact repeats')} of an earlier "
                f"sample counted once (first {self.first_repeat})"
            )
        if report.n_conflicting:
            report.warnings.append(
                f"{_plural(report.n_conflicting, 'repeated sample', 'repeated samples')} "
                "(same task, filter, doc_id and sample) with another score, response, extracted "
                f"answer or target than the first; the first is kept ({self.first_conflict})"
            )
        if report.n_missing_score:
            report.notes.append(
                f"{_plural(report.n_missing_score, 'NaN row', 'NaN rows')} excluded: the logged "
                f"score is NaN/N/A, so the sample is missing, not re-scored "
                f"(first {self.first_missing})"
            )


def _conflict_text(rec: SampleRecord, first: tuple[int, float | None, int, int, int]) -> str:
    """What a conflicting repeat changes against the first read of its sample: ``score 1.0,
    first read 0.0``, else the fields that differ (``same score 0.0; other extracted
    answer``)."""
    if rec.correct != first[1]:
        return f"score {rec.correct}, first read {first[1]}"
    fields = [
        name
        for name, value, was in (
            ("response", rec.response, first[2]),
            ("extracted answer (filtered_resps)", rec.extracted, first[3]),
            ("target", rec.target, first[4]),
        )
        if hash(value) != was
    ]
    return f"same score {rec.correct}; other {' and '.join(fields) or 'content'}"


def _eos_of(run_meta: dict[str, Any]) -> str | None:
    """The tokenizer's EOS token from lm-eval's ``tokenizer_eos_token`` ([token, id]) if any."""
    eos = run_meta.get("tokenizer_eos_token")
    if isinstance(eos, (list, tuple)) and eos:
        eos = eos[0]
    return eos if isinstance(eos, str) else None


def _benchmark_of(rec: SampleRecord, ctx: ReadContext, benchmark: str | None) -> str:
    if benchmark:
        return benchmark
    if rec.benchmark:
        return rec.benchmark
    cfg = ctx.tasks.get(rec.task)
    if cfg and cfg.group:
        return cfg.group
    return rec.task


POOL_MIN = 1000
"""Long responses in one batch from which a worker process scores them (:meth:`_Memo.submit`)."""


def _pool_init() -> None:
    """Scoring worker: a Ctrl-C reaches the parent only (it stops the pool); it ends with
    the parent; it runs at a lower priority (:func:`lower_priority`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    die_with_parent(os.getppid())
    lower_priority()


WORKER_NICE = 5
"""Niceness a worker process adds to its own (``os.nice``): the lm-eval read's workers
(:mod:`._ingest_workers`) and the scoring pool's. The ingest's process, which writes, is the
slower stage of a first checkpoint and shares the two cores with the workers; at equal
priority the scheduler gave it two thirds of a core while they ran ahead. Measured on
benchmarks/ingest_speed.py's lm-eval logs, medians of 3 interleaved, load 4-4.5 (06:11-06:21
UTC), samples per wall second, equal priority -> +5: two read workers, narrow 100k first
7.8k -> 12.5k and 8.7k -> 10.1k, next 13.6k -> 13.1k and 13.0k -> 20.4k, full text 20k
first 4.0k -> 6.4k, next 6.1k -> 6.5k; the one-process read's scoring pool, full text 20k
first 4.1k -> 5.5k, next 6.9k -> 7.7k; CPU per sample no higher."""


def lower_priority() -> None:
    """A worker process: :data:`WORKER_NICE` more niceness, where the system has it (never
    fatal)."""
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):  # no os.nice (Windows), or not permitted
        pass


def die_with_parent(parent: int) -> None:
    """A worker process: SIGKILL when the process that started it (``parent``) ends, on
    Linux (``prctl(PR_SET_PDEATHSIG)``), so that a killed ingest leaves no worker behind
    holding its output pipes; exits at once when ``parent`` is already gone."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(0)


def _score_calls(calls: list[tuple[Any, ...]]) -> list[SampleScore]:
    """:func:`score_sample` of each call (``_Memo.score`` argument order); run in a worker."""
    return [
        score_sample(c[0], c[1], c[2], official=c[3], extracted=c[4], max_gen_toks=c[5],
                     n_output_tokens=c[6], finish_reason=c[7], until=c[8], eos_token=c[9],
                     lenient_applies=c[10])
        for c in calls
    ]  # fmt: skip


_Cells = tuple[SampleScore, str | None, tuple[Any, ...]]
"""A score with its row cells: ``(score, extracted cell, cells from score to
failure_signals)`` (:func:`_cells_of`; memoised with the score by :class:`_Memo`)."""


@dataclass
class _Scoring:
    """A batch's scoring in progress (:meth:`_Memo.submit`): the scores known so far
    (``out``), the calls, the indexes still to score here (``local``) and in the worker
    (``remote``, its ``pending`` async result)."""

    out: list[_Cells | None]
    calls: list[tuple[Any, ...]]
    local: list[int]
    remote: list[int]
    pending: Any


class _Memo:
    """Per-ingest memo of pure per-sample work, so samples that repeat it cost a lookup.

    ``score``: :func:`score_sample` of responses up to :attr:`SHORT` characters (metric-only
    and multiple-choice logs repeat the same few responses and targets), keyed by every
    argument, at most :attr:`MAX_SCORES` entries (then started afresh). ``submit`` and
    ``collect`` (``score_many``: both at once): a batch's scores; from :data:`POOL_MIN` long
    responses on, one forked worker process scores them while this one writes the previous
    batch and reads the next (both cores; only when the ingest runs on the main thread, as in
    the CLI, never from the app's worker threads). ``settings_of``: the evaluation settings of a
    (task, scorer, record settings), cleared by the caller at each batch (run metadata is
    fixed within a batch). :func:`score_sample` is a pure function, so every path stores the
    same scores.
    """

    SHORT = 256
    MAX_SCORES = 65_536

    def __init__(self) -> None:
        self.scores: dict[tuple[Any, ...], _Cells] = {}
        self.settings: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._pool: Any = None
        self._pool_failed = False

    def score(self, *call: Any) -> SampleScore:
        """:func:`score_sample` of one call ``(response, target, output_constraint, official,
        extracted, max_gen_toks, n_output_tokens, finish_reason, until, eos_token,
        lenient_applies)``, from the memo when its response is short and it was seen before."""
        return self.cells(call)[0]

    def cells(self, call: tuple[Any, ...]) -> _Cells:
        """:meth:`score` of ``call`` with its row cells (:func:`_cells_of`), both from the
        memo when the response is short and the call was seen before."""
        response, until = call[0], call[8]
        key: tuple[Any, ...] | None = None
        if response is None or len(response) <= self.SHORT:
            key = call if type(until) is not list else (*call[:8], tuple(until), *call[9:])
            try:
                hit = self.scores.get(key)
            except TypeError:  # an unhashable value: score without the memo
                key, hit = None, None
            if hit is not None:
                return hit
        found = _cells_of(_score_calls([call])[0])
        if key is not None:
            if len(self.scores) >= self.MAX_SCORES:
                self.scores.clear()
            self.scores[key] = found
        return found

    def score_many(self, calls: list[tuple[Any, ...]]) -> list[_Cells]:
        """The scores of a batch of calls with their row cells, in order (see the class
        docstring)."""
        return self.collect(self.submit(calls))

    def submit(self, calls: list[tuple[Any, ...]]) -> _Scoring:
        """Start scoring a batch: short responses here (memo), from :data:`POOL_MIN` long
        ones on all plain-string long responses in the worker process (asynchronously), the
        rest when :meth:`collect` is called."""
        out: list[_Cells | None] = [None] * len(calls)
        long: list[int] = []
        short, cells = self.SHORT, self.cells
        for i, call in enumerate(calls):
            if call[0] is None or len(call[0]) <= short:
                out[i] = cells(call)
            else:
                long.append(i)
        pool = self._worker() if len(long) >= POOL_MIN else None
        # plain strings only: a capped text's head and tail ride on its attributes
        remote = [i for i in long if type(calls[i][0]) is str] if pool is not None else []
        pending = None
        if remote:
            step = 200
            pending = pool.map_async(  # type: ignore[union-attr]
                _score_calls,
                [[calls[i] for i in remote[j : j + step]] for j in range(0, len(remote), step)],
            )
        far = set(remote)
        return _Scoring(out, calls, [i for i in long if i not in far], remote, pending)

    def collect(self, scoring: _Scoring) -> list[_Cells]:
        """The scores of a batch started by :meth:`submit` with their row cells, in order."""
        out, calls = scoring.out, scoring.calls
        for i, scored in zip(
            scoring.local, _score_calls([calls[i] for i in scoring.local]), strict=True
        ):
            out[i] = _cells_of(scored)
        if scoring.pending is not None:
            done = [scored for chunk in scoring.pending.get() for scored in chunk]
            for i, scored in zip(scoring.remote, done, strict=True):
                out[i] = _cells_of(scored)
        return out  # type: ignore[return-value]

    def _worker(self) -> Any:
        """The scoring worker pool (one forked process), or None where forking is unsafe
        (off the main thread: another thread may hold a lock the child would inherit)."""
        if self._pool is None and not self._pool_failed:
            if (
                threading.current_thread() is not threading.main_thread()
                or "fork" not in multiprocessing.get_all_start_methods()
            ):
                self._pool_failed = True
                return None
            try:
                self._pool = multiprocessing.get_context("fork").Pool(1, initializer=_pool_init)
            except OSError:  # no processes left: score here
                self._pool_failed = True
        return self._pool

    def close(self) -> None:
        """Stop the worker process, if one was started."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def settings_of(
        self, rec: SampleRecord, task_row: dict[str, Any], ctx: ReadContext, scorer: str
    ) -> tuple[str, str]:
        """``(sha256, JSON)`` of the sample's evaluation settings (``settings_json``)."""
        key: tuple[Any, ...] | None = None
        try:
            key = (id(task_row), scorer, tuple(rec.settings.items()) if rec.settings else None)
            hit = self.settings.get(key)
        except TypeError:  # unhashable record settings
            key, hit = None, None
        if hit is not None:
            return hit
        found = settings_json(
            evaluation_settings(
                rec.settings, task_row, ctx.run_meta, harness=ctx.format, scorer=scorer
            )
        )
        if key is not None:
            self.settings[key] = found
        return found


def with_scores(row: tuple[Any, ...], scored: SampleScore) -> tuple[Any, ...]:
    """A row of :func:`sample_row` with the scores of ``scored`` instead of its own."""
    _, extracted, cells = _cells_of(scored)
    return (*row[:11], extracted, row[12], *cells, *row[20:])


def _cells_of(scored: SampleScore) -> _Cells:
    """``scored`` with the cells of a sample row it fills: the extracted answer (capped) and
    ``score`` to ``failure_signals`` (``SAMPLE_COLUMNS``). The lenient answer's cell is its
    text as a plain ``str`` (the row stores the text; the step it carries stays on
    ``scored``): a worker's chunk then pickles it without ``ExtractedAnswer.__reduce__``
    and the ingest's process unpickles it without a Python ``__new__`` per row."""
    lenient = scored.lenient_extracted
    if type(lenient) is ExtractedAnswer:
        lenient = str(lenient)
    return (
        scored,
        cap_text(scored.extracted, MAX_ANSWER_CHARS),
        (
            scored.score,
            scored.score_source,
            cap_text(lenient, MAX_ANSWER_CHARS),
            scored.lenient,
            scored.failure_mode,
            scored.failure_reason,
            scored.failure_signals,
        ),
    )
