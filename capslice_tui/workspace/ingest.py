"""Ingest pipeline: reader records -> item identity, rule labels, scores, failure modes -> store.

Streaming and bounded: records are grouped in batches of ``batch_size`` and each batch is one
write transaction. Atomicity per ingest: every sample carries the ingest's id, so when a bad
line stops the ingest (without ``skip_bad``) everything this ingest wrote is removed and the
store is exactly as before.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import signal
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson

from ..analysis.evaluation import evaluation_settings, settings_json
from ..analysis.failure_modes import ends_cut
from ..ingest import read_paths
from ..ingest._io import FILE_CHANGED
from ..ingest.bounded import cap_text, cap_value, text_length, text_sha256
from ..ingest.records import BadLine, ReadContext, SampleRecord, TaskConfig
from ..ingest.scoring import infer_output_constraint_from_target
from ..store import Store, StoreDamaged
from ..taxonomy.evaluation import Taxonomy
from .interrupt import count_records, delete_command, disarm, progress_text, resume_command
from .rescore import SCORE_SOURCE_HARNESS, SampleScore, score_sample
from .results import IngestReportDict

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
        n_conflicting: repeats of a sample with another response or score (the first is kept).
        n_missing_score: samples whose logged score is NaN/N/A: missing, never re-scored, not
            stored, so they are out of every n.
        n_torn: incomplete trailing records skipped (the run is then marked incomplete).
        fields: generic logs: which key was read for which role, one line per distinct
            mapping (``item id: task_id · sample: completion_id · correctness: passed``).
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

    def to_dict(self) -> IngestReportDict:
        """JSON-ready dict with one key per attribute (``capslice ingest --json``)."""
        return cast(IngestReportDict, asdict(self))


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
    question = question_of(rec)
    target = _nfc(rec.target)
    if question is not None:
        payload: dict[str, Any] = {"doc_id": _nfc(rec.doc_id), "question": _nfc(question),
                                   "target": target}  # fmt: skip
    else:
        payload = {"task": _nfc(rec.task), "doc_id": _nfc(rec.doc_id), "target": target}
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


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
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Read evaluation logs and store them as one run (or one run per system).

    Args:
        paths: files or folders; the format is detected from content unless ``fmt`` is given.
        run: run name; multi-system files without ``system`` give runs ``<run>/<system>``.
        skip_bad: keep going past unreadable lines (they are counted and reported).
        progress: called with the number of records read so far, once per batch.

    Returns:
        An :class:`IngestReport`.

    Raises:
        IngestError: a bad line without ``skip_bad`` (nothing from this ingest is kept), or
            input that yields no samples at all.
    """
    ctx, stream = read_paths(
        list(paths), fmt=fmt, field_map=field_map, system=system, benchmark=benchmark
    )
    report = IngestReport(format=ctx.format, fields=list(ctx.run_meta.get("field_mapping", [])))
    states: dict[str | None, _RunState] = {}
    seen_items: dict[str, tuple[str | None, dict[str, tuple[str, str]]]] = {}
    texts: dict[str, str] = {}
    eval_settings: dict[str, str] = {}
    items: dict[str, tuple[str, str, str, str, str | None, str | None, str | None]] = {}
    labels: list[tuple[str, str, str, str]] = []
    samples: list[tuple[Any, ...]] = []
    meta = dict(ctx.run_meta)
    command = resume_command(
        store.path, paths, run=run, benchmark=benchmark, model=model, step=step, fmt=fmt,
        field_map=field_map, system=system, skip_bad=skip_bad,
    )  # fmt: skip

    def state_for(rec: SampleRecord) -> _RunState:
        key = rec.system if system is None else None
        st = states.get(key)
        if st is None:
            name = run if key is None else f"{run}/{key}"
            run_id, created = store.ensure_run(
                name,
                model=model or meta.get("model_name") or meta.get("model") or key,
                step=step,
                tokens_seen=tokens_seen,
                source_format=ctx.format,
                source_files=[
                    str(p)
                    for p in (meta.get("source_files_by_system") or {}).get(key)
                    or meta.get("source_files", paths)
                ],
                meta=meta,
            )
            st = _RunState(run_id, created, store.begin_ingest(run_id))
            states[key] = st
            files = (meta.get("source_files_by_system") or {}).get(key) or meta.get(
                "source_files", []
            )
            store.note_ingest_process(
                st.ingest_id,
                run_id,
                n_expected=count_records(files) if key is None else None,
                command=command,
            )
        return st

    def flush() -> None:
        if not samples:
            return
        n_new, ids = store.write_batch(
            texts=list(texts.items()),
            items=[row for h, row in items.items() if h not in item_ids],
            samples=samples,
            rule_labels=labels,
            settings=list(eval_settings.items()),
            item_ids=item_ids,
        )
        item_ids.update(ids)  # later batches (the next checkpoint's) need no item lookups
        per_run: dict[int, int] = {}
        for s in samples:
            per_run[s[0]] = per_run.get(s[0], 0) + 1
        if len(per_run) == 1:
            only = next(st for st in states.values() if st.run_id in per_run)
            if only.n_new >= 0:  # -1 stays: the run is counted from the store at the end
                only.n_new += n_new
        else:  # several systems in one batch: count exactly from the store afterwards
            for st in states.values():
                if st.run_id in per_run:
                    st.n_new = -1
        texts.clear()
        eval_settings.clear()
        items.clear()
        labels.clear()
        samples.clear()
        if progress:
            progress(report.n_read)

    pending: list[SampleRecord] = []
    memo = _Memo()
    item_ids: dict[str, int] = {}  # hash -> id of items stored (before or by this ingest)

    def process(records: list[SampleRecord]) -> None:
        """Rows for a batch of records; items already in the store keep their stored labels
        (one query per batch instead of re-running the taxonomy rules per item)."""
        memo.settings.clear()  # run meta may grow between batches; within one it is fixed
        hashes = {id(r): item_identity(r) for r in records}
        unseen = {h for h in hashes.values() if h not in seen_items}
        for h, oc in store.known_items(sorted(unseen), ids=item_ids).items():
            seen_items[h] = (oc, {})
        pre = []
        for rec in records:
            st = state_for(rec)
            st.n_read += 1
            pre.append(
                _sample_row(
                    rec,
                    hashes[id(rec)],
                    st,
                    ctx,
                    taxonomy,
                    seen_items,
                    texts,
                    items,
                    labels,
                    benchmark,
                    memo,
                )  # fmt: skip
            )
        scores = memo.score_many([p[1] for p in pre])
        for (head, _, rec, task_row), scored in zip(pre, scores, strict=True):
            samples.append(
                _finish_row(head, rec, task_row, scored, ctx, report, eval_settings, memo)
            )

    def fail(message: str) -> IngestError:
        for st in states.values():
            store.rollback_ingest(st.ingest_id, st.run_id, st.created, message)
        return IngestError(message, report.bad)

    faults = _Faults()
    try:
        for rec in stream:
            if isinstance(rec, BadLine) and (rec.note or rec.torn):
                faults.add_line(rec, report)
                continue
            if isinstance(rec, BadLine):
                report.n_bad += 1
                if len(report.bad) < 1000:
                    report.bad.append(str(rec))
                if not skip_bad:
                    raise fail(
                        f"{rec}. Nothing from this ingest was stored; fix the file or pass "
                        "--skip-bad to keep the readable lines."
                    )
                continue
            report.n_read += 1
            if faults.excluded(rec, system, report):
                continue
            pending.append(rec)
            if len(pending) >= batch_size:
                process(pending)
                pending.clear()
                flush()
        process(pending)
        flush()
    except IngestError:
        raise
    except StoreDamaged:  # refused before writing: nothing of this ingest to undo
        raise
    except KeyboardInterrupt as exc:  # SIGINT, and SIGTERM/SIGHUP as interrupt.Interrupted
        why = str(exc) or "stopped by SIGINT"
        raise IngestError(_interrupted(store, states, run, why)) from exc
    except BaseException as exc:
        raise fail(f"ingest stopped: {type(exc).__name__}: {exc}") from exc
    finally:
        memo.close()
    late = disarm()
    if late:
        report.notes.append(f"{late} received while finishing; the ingest was completed first")

    report.notes.extend(ctx.run_meta.get("reader_notes", []))
    faults.summarise(report)
    mismatch = taxonomy.benchmark_mismatch(
        (row["benchmark"], task) for st in states.values() for task, row in st.tasks.items()
    )
    if mismatch:
        report.notes.append(mismatch)
    if report.n_read == 0 or not states:  # nothing read, or every record excluded
        raise fail(
            "no samples found in "
            + ", ".join(str(p) for p in paths)
            + (f" ({report.n_bad} unreadable lines)" if report.n_bad else "")
            + "".join(f"; {text}" for text in [*report.warnings, *report.notes])
        )
    for key, st in states.items():
        if not st.created:
            stored = {t["task"]: t["benchmark"] for t in store.run_tasks(st.run_id)}
            clashes: dict[tuple[str, str], list[str]] = {}
            for task, row in st.tasks.items():
                if task in stored and stored[task] != row["benchmark"]:
                    clashes.setdefault((stored[task], row["benchmark"]), []).append(task)
            for (old, new), tasks in clashes.items():
                report.notes.append(
                    f"{len(tasks)} task(s) (e.g. {tasks[0]}) are already stored under benchmark "
                    f"{old!r}; {new!r} was not applied (delete the run with `capslice "
                    "delete-run` and ingest again to change it)"
                )
        store.put_run_tasks(st.run_id, st.tasks.values())
        if st.n_new < 0:
            st.n_new = store.ingest_sample_count(st.ingest_id)
        store.finish_ingest(
            st.ingest_id, st.run_id, n_read=st.n_read, n_new=st.n_new, bad=report.bad
        )
        store.infer_truncation(st.run_id, ends_cut=ends_cut)
        if report.n_torn:
            store.mark_run_incomplete(
                st.run_id, faults.torn_note(report), [*report.warnings, *report.notes]
            )
        else:  # a whole read clears the reason an earlier torn read left with the status
            store.merge_run_meta(st.run_id, {"incomplete": None}, [*report.warnings, *report.notes])
        name = run if key is None else f"{run}/{key}"
        report.runs[name] = st.n_new
        report.read_per_run[name] = st.n_read
    return report


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


class _Faults:
    """The small faults of real files met while an ingest streams, reported once at the end.

    Repairs and remarks from the readers (``BadLine.note``) are grouped by reason; torn last
    records are skipped and counted. A sample key (run, task, filter, doc_id, sample_idx) seen
    again is an exact repeat (counted once) or, with another response or score, a conflicting
    repeat (a warning; the first is kept, as the store keeps the first). A sample whose logged
    score is NaN/N/A (``correct`` None while a logged metric is None) is missing: not stored,
    never re-scored by capslice, so it is out of every n.
    """

    def __init__(self) -> None:
        self.notes: dict[tuple[str, str], list[Any]] = {}  # (level, reason) -> [count, where]
        self.torn_at: str | None = None
        self.changed_at: str | None = None  # a file that changed while it was read
        self.n_changed = 0
        self.seen: dict[int, tuple[int, float | None]] = {}  # key hash -> (content hash, score)
        self.first_repeat: str | None = None
        self.first_conflict: str | None = None
        self.first_missing: str | None = None

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
                    f"{rec.doc_id}, filter {rec.filter}: score {rec.correct}, first read "
                    f"{first[1]}"
                )
            return True
        self.seen[key] = (content, rec.correct)
        if rec.correct is None and any(v is None for v in rec.metrics.values()):
            report.n_missing_score += 1
            self.first_missing = self.first_missing or _where(rec.source_file, rec.source_line)
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
        if report.n_repeats:
            report.notes.append(
                f"{_plural(report.n_repeats, 'exact repeat', 'exact repeats')} of an earlier "
                f"sample counted once (first {self.first_repeat})"
            )
        if report.n_conflicting:
            report.warnings.append(
                f"{_plural(report.n_conflicting, 'repeated sample', 'repeated samples')} with "
                f"another response or score than the first; the first is kept "
                f"({self.first_conflict})"
            )
        if report.n_missing_score:
            report.notes.append(
                f"{_plural(report.n_missing_score, 'NaN row', 'NaN rows')} excluded: the logged "
                f"score is NaN/N/A, so the sample is missing, not re-scored "
                f"(first {self.first_missing})"
            )


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
"""Long responses in one batch from which a second process scores half of them."""


def _pool_init() -> None:
    """Scoring worker: a Ctrl-C reaches the parent only (it stops the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def _score_calls(calls: list[tuple[Any, ...]]) -> list[SampleScore]:
    """:func:`score_sample` of each call (``_Memo.score`` argument order); run in a worker."""
    return [
        score_sample(c[0], c[1], c[2], official=c[3], extracted=c[4], max_gen_toks=c[5],
                     n_output_tokens=c[6], finish_reason=c[7], until=c[8], eos_token=c[9])
        for c in calls
    ]  # fmt: skip


class _Memo:
    """Per-ingest memo of pure per-sample work, so samples that repeat it cost a lookup.

    ``score``: :func:`score_sample` of responses up to :attr:`SHORT` characters (metric-only
    and multiple-choice logs repeat the same few responses and targets), keyed by every
    argument, at most :attr:`MAX_SCORES` entries (then started afresh). ``score_many``: a
    batch's scores; from :data:`POOL_MIN` long responses on, one forked worker process scores
    half of them while this one scores the rest (both cores; only when the ingest runs on the
    main thread, as in the CLI, never from the app's worker threads). ``settings_of``: the evaluation settings of a
    (task, scorer, record settings), cleared by the caller at each batch (run metadata is
    fixed within a batch). :func:`score_sample` is a pure function, so every path stores the
    same scores.
    """

    SHORT = 256
    MAX_SCORES = 65_536

    def __init__(self) -> None:
        self.scores: dict[tuple[Any, ...], SampleScore] = {}
        self.settings: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._pool: Any = None
        self._pool_failed = False

    def score(self, *call: Any) -> SampleScore:
        """:func:`score_sample` of one call ``(response, target, output_constraint, official,
        extracted, max_gen_toks, n_output_tokens, finish_reason, until, eos_token)``, from the
        memo when its response is short and it was seen before."""
        response, until = call[0], call[8]
        key: tuple[Any, ...] | None = None
        if response is None or len(response) <= self.SHORT:
            key = (*call[:8], tuple(until) if isinstance(until, list) else until, call[9])
            try:
                hit = self.scores.get(key)
            except TypeError:  # an unhashable value: score without the memo
                key, hit = None, None
            if hit is not None:
                return hit
        (scored,) = _score_calls([call])
        if key is not None:
            if len(self.scores) >= self.MAX_SCORES:
                self.scores.clear()
            self.scores[key] = scored
        return scored

    def score_many(self, calls: list[tuple[Any, ...]]) -> list[SampleScore]:
        """The scores of a batch of calls, in order (see the class docstring)."""
        out: list[SampleScore | None] = [None] * len(calls)
        long: list[int] = []
        for i, call in enumerate(calls):
            if call[0] is None or len(call[0]) <= self.SHORT:
                out[i] = self.score(*call)
            else:
                long.append(i)
        remote: list[int] = []
        pool = self._worker() if len(long) >= POOL_MIN else None
        if pool is not None:
            # plain strings only: a capped text's head and tail ride on its attributes
            remote = [i for i in long[len(long) // 2 :] if type(calls[i][0]) is str]
        pending = None
        if remote:
            step = 200
            pending = pool.map_async(  # type: ignore[union-attr]
                _score_calls,
                [[calls[i] for i in remote[j : j + step]] for j in range(0, len(remote), step)],
            )
        far = set(remote)
        for i, scored in zip(
            [i for i in long if i not in far],
            _score_calls([calls[i] for i in long if i not in far]),
            strict=True,
        ):
            out[i] = scored
        if pending is not None:
            done = [scored for chunk in pending.get() for scored in chunk]
            for i, scored in zip(remote, done, strict=True):
                out[i] = scored
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


def _sample_row(
    rec: SampleRecord,
    ihash: str,
    st: _RunState,
    ctx: ReadContext,
    taxonomy: Taxonomy,
    seen_items: dict[str, tuple[str | None, dict[str, tuple[str, str]]]],
    texts: dict[str, str],
    items: dict[str, tuple[str, str, str, str, str | None, str | None, str | None]],
    labels: list[tuple[str, str, str, str]],
    benchmark: str | None,
    memo: _Memo,
) -> tuple[tuple[Any, ...], tuple[Any, ...], SampleRecord, dict[str, Any]]:
    """Everything of one sample's row but its scores: ``(head, score call, rec, task row)``.

    ``head`` is the row up to the extracted answer; ``score call`` the arguments of
    :meth:`_Memo.score` (scored for the whole batch at once, see :meth:`_Memo.score_many`).
    """
    bench = _benchmark_of(rec, ctx, benchmark)
    cfg: TaskConfig | None = ctx.tasks.get(rec.task)
    task_row = st.tasks.get(rec.task)
    if task_row is None:
        filters = list(cfg.filters) if cfg and cfg.filters else []
        task_row = {
            "task": rec.task,
            "benchmark": bench,
            "primary_filter": filters[0] if filters else rec.filter,
            "filters": filters or [rec.filter],
            "max_gen_toks": cfg.max_gen_toks if cfg else None,
            "until": cfg.until if cfg else None,
            "temperature": cfg.temperature if cfg else None,
            "do_sample": cfg.do_sample if cfg else None,
            "repeats": cfg.repeats if cfg else None,
            "eos_token": (cfg.eos_token if cfg else None) or _eos_of(ctx.run_meta),
            "num_fewshot": cfg.num_fewshot if cfg else None,
        }
        st.tasks[rec.task] = task_row
    elif rec.filter not in task_row["filters"]:
        task_row["filters"].append(rec.filter)

    known = seen_items.get(ihash)
    if known is None:
        question = question_of(rec)
        assigned = taxonomy.assign(bench, rec.task, rec.doc, question, rec.prompt, rec.target)
        oc = assigned.get("output_constraint", (None, ""))[
            0
        ] or infer_output_constraint_from_target(rec.target or "")
        items[ihash] = (
            ihash,
            bench,
            rec.task,
            rec.doc_id,
            cap_text(question, MAX_RESPONSE_CHARS),
            cap_text(rec.target, MAX_RESPONSE_CHARS),
            orjson.dumps(cap_value(rec.doc, MAX_RESPONSE_CHARS), default=str).decode()
            if rec.doc
            else None,
        )
        for axis, (value, rule_id) in assigned.items():
            labels.append((ihash, axis, value, rule_id))
        seen_items[ihash] = (oc, assigned)
    else:
        oc = known[0] or infer_output_constraint_from_target(rec.target or "")
        items.setdefault(
            ihash,
            (ihash, bench, rec.task, rec.doc_id, None, cap_text(rec.target, MAX_RESPONSE_CHARS),
             None),
        )  # fmt: skip

    prompt_hash = None
    if rec.prompt:
        prompt_hash = text_sha256(rec.prompt)
        if prompt_hash not in texts:
            texts[prompt_hash] = cap_text(rec.prompt, MAX_PROMPT_CHARS)  # type: ignore[assignment]

    response = rec.response
    response_chars = text_length(response) if response is not None else None
    response_sha = None
    if response is not None and max(len(response), response_chars or 0) > MAX_RESPONSE_CHARS:
        # start and end kept around a marker; the whole text's length and hash in columns
        response_sha = text_sha256(response)
        response = cap_text(response, MAX_RESPONSE_CHARS)

    head = (
        st.run_id,
        ihash,
        rec.task,
        rec.filter,
        rec.doc_id,
        rec.sample_idx,
        st.ingest_id,
        prompt_hash,
        response,
        response_chars,
        response_sha,
    )
    call = (rec.response, rec.target, oc, rec.correct, rec.extracted, task_row["max_gen_toks"],
            rec.n_output_tokens, rec.finish_reason, task_row["until"], task_row["eos_token"])  # fmt: skip
    return head, call, rec, task_row


def _finish_row(
    head: tuple[Any, ...],
    rec: SampleRecord,
    task_row: dict[str, Any],
    scored: SampleScore,
    ctx: ReadContext,
    report: IngestReport,
    eval_settings: dict[str, str],
    memo: _Memo,
) -> tuple[Any, ...]:
    """The sample's row in ``SAMPLE_COLUMNS`` order: ``head`` from :func:`_sample_row`, then
    its scores, metrics, evaluation settings and reasoning."""
    if scored.score_source != SCORE_SOURCE_HARNESS:
        report.scored_by_capslice += 1
    settings_hash, settings_text = memo.settings_of(rec, task_row, ctx, scored.score_source)
    eval_settings.setdefault(settings_hash, settings_text)
    reasoning = cap_text(rec.reasoning, MAX_RESPONSE_CHARS)
    return (
        *head,
        cap_text(scored.extracted, MAX_ANSWER_CHARS),
        rec.correct,
        scored.score,
        scored.score_source,
        cap_text(scored.lenient_extracted, MAX_ANSWER_CHARS),
        scored.lenient,
        scored.failure_mode,
        scored.failure_reason,
        scored.failure_signals,
        rec.finish_reason,
        rec.n_output_tokens,
        orjson.dumps(rec.metrics).decode() if rec.metrics else None,
        settings_hash,
        reasoning,
        text_length(rec.reasoning) if rec.reasoning is not None else None,
    )
