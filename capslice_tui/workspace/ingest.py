"""Ingest pipeline: reader records -> item identity, rule labels, scores, failure modes -> store.

Streaming and bounded: records are grouped in batches of ``batch_size`` and each batch is one
write transaction. Atomicity per ingest: every sample carries the ingest's id, so when a bad
line stops the ingest (without ``skip_bad``) everything this ingest wrote is removed and the
store is exactly as before.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..analysis.evaluation import evaluation_settings, settings_json
from ..analysis.failure_modes import ends_cut
from ..ingest import read_paths
from ..ingest._io import FILE_CHANGED
from ..ingest.bounded import cap_text, cap_value, text_length, text_sha256
from ..ingest.records import BadLine, ReadContext, SampleRecord, TaskConfig
from ..scoring import infer_output_constraint_from_target
from ..store import Store, StoreDamaged
from ..taxonomy import Taxonomy
from .interrupt import count_records, delete_command, disarm, progress_text, resume_command
from .rescore import SCORE_SOURCE_HARNESS, score_sample

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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with one key per attribute (``capslice ingest --json``)."""
        return asdict(self)


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
        n_new, _ = store.write_batch(
            texts=list(texts.items()),
            items=list(items.values()),
            samples=samples,
            rule_labels=labels,
            settings=list(eval_settings.items()),
        )
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

    def process(records: list[SampleRecord]) -> None:
        """Rows for a batch of records; items already in the store keep their stored labels
        (one query per batch instead of re-running the taxonomy rules per item)."""
        hashes = {id(r): item_identity(r) for r in records}
        unseen = {h for h in hashes.values() if h not in seen_items}
        for h, oc in store.known_items(sorted(unseen)).items():
            seen_items[h] = (oc, {})
        for rec in records:
            st = state_for(rec)
            st.n_read += 1
            samples.append(
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
                    report,
                    eval_settings,
                )  # fmt: skip
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
    report: IngestReport,
    eval_settings: dict[str, str],
) -> tuple[Any, ...]:
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
        response_sha = text_sha256(response)  # type: ignore[arg-type]
        response = cap_text(response, MAX_RESPONSE_CHARS)
    reasoning = rec.reasoning
    reasoning_chars = text_length(reasoning) if reasoning is not None else None
    reasoning = cap_text(reasoning, MAX_RESPONSE_CHARS)

    official = rec.correct
    scored = score_sample(
        rec.response,
        rec.target,
        oc,
        official=official,
        extracted=rec.extracted,
        max_gen_toks=task_row["max_gen_toks"],
        n_output_tokens=rec.n_output_tokens,
        finish_reason=rec.finish_reason,
        until=task_row["until"],
        eos_token=task_row["eos_token"],
    )
    if scored.score_source != SCORE_SOURCE_HARNESS:
        report.scored_by_capslice += 1
    settings_hash, settings_text = settings_json(
        evaluation_settings(
            rec.settings, task_row, ctx.run_meta, harness=ctx.format, scorer=scored.score_source
        )
    )
    eval_settings.setdefault(settings_hash, settings_text)
    return (
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
        cap_text(scored.extracted, MAX_ANSWER_CHARS),
        official,
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
        reasoning_chars,
    )
