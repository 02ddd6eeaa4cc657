"""lm-eval ingest in worker processes: files read, parsed, scored and turned into rows there,
while the ingest's own process only writes (issue 14).

Each worker process reads whole samples files (all files of one task in the same process,
so that a repeated sample is always met by the process that met its first copy) and sends
their rows in chunks of :data:`CHUNK` records through its own bounded queue
(:data:`QUEUE_CHUNKS`). The ingest takes the chunks in reading order (file by file), so its
batches, their transactions and everything decided "first met" (an item's labels, a repeat's
first copy, the notes' first places) are as in a read by one process; what a worker cannot
know alone (an item first met in the other worker's files, or already in the store, whose
output constraint the worker guessed otherwise) the ingest corrects by scoring that sample
again (:meth:`capslice_tui.workspace.ingest._Ingest._take`).

Workers run at a lower priority than the ingest's process (``ingest.WORKER_NICE``), so that
the writer, the slower stage of a first checkpoint, keeps a core.

Start: ``fork`` on the main thread (the CLI); from any other thread (the app's worker
threads, where a fork could copy a lock another thread holds) a ``forkserver`` context, whose
server is started clean and forks the workers. Workers ignore Ctrl-C (the ingest stops them),
die with SIGTERM/SIGHUP and exit when the ingest's process is gone.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ingest.lmeval import LmEvalFiles, iter_samples_file
from ..ingest.reasoning import apply_reasoning
from ..ingest.records import BadLine, ReadContext, SampleRecord
from ..ingest.scoring import infer_output_constraint_from_target
from ..store import Store
from ..taxonomy.evaluation import Taxonomy
from . import ingest as ing
from ._ingest_rows import SHARED_MIN_CHARS, RowMaker, shared_length

CHUNK = 500
"""Records per chunk a worker sends (the ingest reports progress once per chunk)."""
QUEUE_CHUNKS = 8
"""Chunks a worker may send ahead of the ingest before it waits (its memory bound)."""
MAX_WORKERS = 2
PARALLEL_MIN_BYTES = 4 << 20
"""Samples files smaller than this in all are read in the ingest's own process."""
ENV_WORKERS = "CAPSLICE_INGEST_WORKERS"
"""Environment variable: worker processes for an lm-eval ingest (0: none, read in the
ingest's own process); when set, the input size does not matter."""


@dataclass
class Chunk:
    """Up to :data:`CHUNK` records of one file, as rows (see the module docstring).

    What crosses the process boundary is what the ingest's own process writes as it is: its
    per-row work is a few list and dict operations per chunk (:meth:`._Ingest._take`). Item
    and prompt hashes are sha256 digests as their 32 bytes (the stored form: ``write_batch``
    takes them as they are); the prompt texts cross packed (:func:`pack_texts`: ~3 KB less
    a few-shot prompt) and are whole again when the ingest's process unpickles the chunk.

    Attributes:
        unit: index of the file in :attr:`LmEvalFiles.samples`.
        last: the file's last chunk.
        bad: unreadable lines, notes and torn records, in reading order.
        n_records: sample records read (repeats and NaN rows included).
        rows: sample rows in ``SAMPLE_COLUMNS`` order, run and ingest ids included; the
            item cell is the item's id when the store held it (else its hash).
        calls: the pickled list of each row's ``score_sample`` call (to score it again with
            another output constraint; unpickled only then), its response None when it is the
            row's; None for a row whose item the store held, whose output constraint (the
            store's) the ingest uses too.
        tasks: ``(task, filter, benchmark)`` in the order first met in the chunk.
        texts, settings: prompt texts and evaluation settings of the rows, by sha256 (the
            settings' as 64-character hex); the
            prompt texts of items the store held are left out when the store holds them too
            (a next checkpoint sends and writes no prompt again).
        first: hash -> output constraint of the items this worker met first in the chunk
            that the store did not hold (the one each of their rows was scored with), in the
            order met.
        items, labels: row of each of those items, and their rule labels as ``(hash, axis,
            value, rule id)``.
        known: hash -> ``(stored output constraint, item id)`` of the items this worker met
            first in the chunk that the store held (None: the worker could not read the
            store; the ingest then looks them up).
        faults: ``(repeats, conflicting, missing, first repeat, first conflict, first
            missing)`` of the chunk (``_Faults``).
    """

    unit: int
    last: bool = False
    bad: list[BadLine] = field(default_factory=list)
    n_records: int = 0
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    calls: bytes = b""
    tasks: list[tuple[str, str, str]] = field(default_factory=list)
    texts: dict[bytes, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    first: dict[bytes, str] = field(default_factory=dict)
    items: dict[bytes, Any] = field(default_factory=dict)
    labels: list[tuple[bytes, str, str, str]] = field(default_factory=list)
    known: dict[bytes, tuple[str | None, int]] | None = None
    faults: tuple[Any, ...] = (0, 0, 0, None, None, None)

    def __getstate__(self) -> dict[str, Any]:
        """What crosses the pipe: the chunk with its prompt texts packed (:func:`pack_texts`)."""
        state = self.__dict__.copy()
        state["texts"] = pack_texts(self.texts)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """The chunk as the worker made it, its prompt texts whole again."""
        state["texts"] = unpack_texts(state["texts"])
        self.__dict__.update(state)


def pack_texts(texts: dict[Any, Any]) -> dict[Any, Any] | tuple[list[Any], list[Any], list[int]]:
    """``(hashes, texts or rests, shared lengths)`` of a chunk's prompt texts: each plain
    ``str`` longer than :data:`SHARED_MIN_CHARS` after the first (a few-shot prompt: the head
    it shares with the chunk's other prompts, ~3 KB, and its own question) as the length of
    the start it shares with the previous one and the rest after it; any other text as it is
    (length 0). Shared starts are found with slice comparisons (C speed): a start that the
    previous text shared with its own previous one is tried first. ``texts`` itself when
    none is packed (short prompts; none, as in a next checkpoint)."""
    if max(map(len, texts.values()), default=0) <= SHARED_MIN_CHARS:
        return texts
    values: list[Any] = []
    shared: list[int] = []
    prev: str | None = None
    head = ""  # a start of ``prev``
    for text in texts.values():
        n = 0
        if type(text) is str and len(text) > SHARED_MIN_CHARS:
            if prev is not None:
                if not (head and text.startswith(head)):
                    head = prev[: shared_length(prev, text)]
                if len(head) >= SHARED_MIN_CHARS:
                    n = len(head)
            prev = text
        values.append(text[n:] if n else text)
        shared.append(n)
    return (list(texts), values, shared) if any(shared) else texts


def unpack_texts(packed: dict[Any, Any] | tuple[list[Any], list[Any], list[int]]) -> dict[Any, Any]:
    """The prompt texts :func:`pack_texts` packed, whole, by hash in the same order."""
    if type(packed) is dict:
        return packed
    hashes, values, shared = packed
    texts = {}
    prev = head = ""  # the last long text rebuilt or read; a start of it
    for h, text, n in zip(hashes, values, shared, strict=True):
        if n:
            if n != len(head):
                head = prev[:n]
            text = head + text
            prev = text
        elif type(text) is str and len(text) > SHARED_MIN_CHARS:
            prev, head = text, ""
        texts[h] = text
    return texts


def n_workers(files: LmEvalFiles) -> int:
    """Worker processes for reading ``files``: 0 (read in this process) on one core, for
    less than :data:`PARALLEL_MIN_BYTES` of samples, or as :data:`ENV_WORKERS` says; at most
    one per task and :data:`MAX_WORKERS`."""
    n_tasks = len({task for _, task in files.samples})
    wanted = os.environ.get(ENV_WORKERS, "").strip()
    if wanted:
        try:
            return max(0, min(int(wanted), n_tasks))
        except ValueError:
            return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cores or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    size = 0
    for path, _ in files.samples:
        try:
            size += path.stat().st_size
        except OSError:
            return 0  # the reader says what is wrong with it
    if size < PARALLEL_MIN_BYTES:
        return 0
    return min(cores or 1, MAX_WORKERS, n_tasks)


def assign(files: LmEvalFiles, n: int) -> list[int]:
    """The worker of each file: a task's files to one worker, each task to the worker with
    the fewest bytes so far (in reading order)."""
    load = [0] * n
    of_task: dict[str, int] = {}
    owner = []
    for path, task in files.samples:
        worker = of_task.get(task)
        if worker is None:
            worker = of_task[task] = min(range(n), key=load.__getitem__)
        try:
            load[worker] += path.stat().st_size
        except OSError:
            pass
        owner.append(worker)
    return owner


class Workers:
    """The worker processes of one ingest and their queues; :meth:`chunks` gives every
    file's chunks in reading order, then :attr:`tally` and :attr:`with_trace` are set.

    ``ids``: the run's id and the ingest's (every row carries them).

    Raises (at start): OSError, ValueError or RuntimeError when a process or queue cannot be
    made (none is left running); the ingest then reads in its own process."""

    def __init__(
        self, files: LmEvalFiles, ctx: ReadContext, taxonomy: Taxonomy, benchmark: str | None,
        store: tuple[Path, float], ids: tuple[int, int], n: int,
    ) -> None:  # fmt: skip
        self.files = files
        self.owner = assign(files, n)
        self.tally: dict[tuple[str, str, str], list[float]] = {}
        self.with_trace = 0
        mp = _context()
        if mp.get_start_method() != "fork":
            _start_resource_tracker()
        self.queues: list[Any] = []
        self.procs: list[Any] = []
        try:
            for w in range(n):
                self.queues.append(mp.Queue(QUEUE_CHUNKS))
                units = [u for u, o in enumerate(self.owner) if o == w]
                proc = mp.Process(
                    target=work,
                    args=(
                        units,
                        files.samples,
                        ctx,
                        taxonomy,
                        benchmark,
                        store,
                        ids,
                        self.queues[w],
                    ),
                    daemon=True,
                    name=f"capslice-ingest-{w}",
                )
                proc.start()
                self.procs.append(proc)
        except BaseException:
            self.close()
            raise

    def chunks(self) -> Any:
        """Every chunk, file by file in reading order (a generator).

        Raises:
            RuntimeError: a worker failed (its error) or ended without saying why.
        """
        for unit, w in enumerate(self.owner):
            while True:
                chunk = self._get(w)
                if not isinstance(chunk, Chunk) or chunk.unit != unit:
                    raise RuntimeError(f"ingest worker {w}: unexpected message {chunk!r:.200}")
                yield chunk
                if chunk.last:
                    break
        for w in range(len(self.procs)):
            done = self._get(w)
            if not (isinstance(done, tuple) and done[0] == "done"):
                raise RuntimeError(f"ingest worker {w}: unexpected message {done!r:.200}")
            self.tally.update(done[1])  # a task's files are in one worker: keys apart
            self.with_trace += done[2]

    def _get(self, w: int) -> Any:
        """The next message of worker ``w`` (waits while it works; raises if it died)."""
        while True:
            try:
                message = self.queues[w].get(timeout=0.5)
            except queue.Empty:
                if self.procs[w].is_alive():
                    continue
                try:  # what it sent just before it ended
                    message = self.queues[w].get(timeout=1.0)
                except queue.Empty:
                    raise RuntimeError(
                        f"ingest worker {w} ended (exit code {self.procs[w].exitcode}) "
                        "before sending its rows"
                    ) from None
            if isinstance(message, tuple) and message[0] == "error":
                raise RuntimeError(message[1])
            return message

    def close(self) -> None:
        """Stop the workers (they may be waiting to send) and free their queues."""
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self.procs:
            proc.join(5)
        for q in self.queues:
            q.cancel_join_thread()
            q.close()
        self.procs = []


def _context() -> Any:
    """``fork`` on the main thread; ``forkserver`` elsewhere (see the module docstring)."""
    if threading.current_thread() is threading.main_thread():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver")


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (the forkserver's queues register their
    semaphores with it) without this process's stderr when that is no file: the app's
    stderr is Textual's capture, whose ``fileno()`` is -1, which would make the tracker's
    start fail ("bad value(s) in fds_to_keep"). The tracker then has no stderr."""
    from multiprocessing import resource_tracker

    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation: skipped anyway
        usable = True
    if usable:
        resource_tracker.ensure_running()
        return
    saved, sys.stderr = sys.stderr, io.StringIO()  # its fileno() raises: not passed on
    try:
        resource_tracker.ensure_running()
    finally:
        sys.stderr = saved


def _quiet_signals(parent: int) -> None:
    """Worker: Ctrl-C reaches the ingest only (it stops the workers); SIGTERM/SIGHUP end it
    at once (the ingest's handlers, inherited by a fork, are not for the worker); it ends
    with the process that started it (``parent``: the ingest's, or the forkserver)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    ing.die_with_parent(parent)


def _put(q: Any, message: Any, parent: int) -> None:
    """Send ``message``, waiting while the queue is full; exit if ``parent`` (the process
    that started this one) is gone."""
    while True:
        try:
            q.put(message, timeout=1.0)
            return
        except queue.Full:
            if os.getppid() != parent:
                os._exit(0)


def work(
    units: list[int],
    samples: list[tuple[Path, str]],
    ctx: ReadContext,
    taxonomy: Taxonomy,
    benchmark: str | None,
    store: tuple[Path, float],
    ids: tuple[int, int],
    q: Any,
) -> None:
    """Worker process: read the files ``units`` of ``samples`` and send their chunks, then
    ``("done", tally, with_trace)``; on any error ``("error", text)``. ``store``: the
    store's path and busy timeout (items already stored are looked up there, read only);
    ``ids``: the run's and the ingest's (in every row). It exits when the process that
    started it is gone."""
    parent = os.getppid()
    _quiet_signals(parent)
    ing.lower_priority()
    first, *rest = gc.get_threshold()  # as the ingest's own process (a forkserver's child)
    if first:
        gc.set_threshold(max(first, ing.GC_GEN0), *rest)
    try:
        builder = _Builder(ctx, taxonomy, benchmark, _open_store(*store), ids)
        tally: dict[tuple[str, str, str], list[float]] = {}
        counted: set[tuple[str, str, str]] = set()
        for unit in units:
            path, task = samples[unit]
            for chunk in builder.file_chunks(
                unit, iter_samples_file(path, task, ctx), tally, counted
            ):
                _put(q, chunk, parent)
        _put(q, ("done", tally, builder.with_trace), parent)
    except BaseException as exc:  # sent to the ingest, which stops and says so
        _put(q, ("error", f"{type(exc).__name__}: {exc}"), parent)
    q.close()
    q.join_thread()  # everything sent; then out at once, without flushing stdio: a fork
    os._exit(0)  # may have copied a stdio lock that a thread of the ingest's held (a spinner)


WORKER_CACHE_KIB = 65_536
"""SQLite page cache of a worker's store connection, in KiB (``PRAGMA cache_size``; SQLite's
default is 2,000): a chunk's item and prompt lookups land at random places of the item-hash
and prompt-hash indexes, ~1,100 pages each at 100k items, which the default cache cannot
hold (the cache grows only as pages are read)."""


def _open_store(path: Path, busy_timeout_s: float) -> Store | None:
    """The store, for this worker's reads (its own connection, with a page cache of
    :data:`WORKER_CACHE_KIB`), or None when it cannot be opened here (the ingest then looks
    the items up itself)."""
    try:
        store = Store(path, busy_timeout_s=busy_timeout_s)
        store.conn.execute(f"PRAGMA cache_size=-{WORKER_CACHE_KIB}")
        return store
    except Exception:  # noqa: BLE001 - the ingest's own process reports store faults
        return None


class _Builder:
    """A worker's rows: :meth:`file_chunks` does what the ingest's own process does per
    record (repeats, identity, stored items or labels of new ones, settings, scores, rows),
    in one pass per record with the per-item and per-task work memoised
    (:class:`._ingest_rows.RowMaker`)."""

    def __init__(
        self, ctx: ReadContext, taxonomy: Taxonomy, benchmark: str | None, store: Store | None,
        ids: tuple[int, int],
    ) -> None:  # fmt: skip
        self.ctx, self.taxonomy, self.benchmark, self.store = ctx, taxonomy, benchmark, store
        self.run_id, self.ingest_id = ids
        self.memo = ing._Memo()
        self.faults = ing._Faults()
        self.seen: dict[bytes, str] = {}  # item hash -> output constraint, items met here
        self.unlabelled: set[bytes] = set()  # of them, items without an output_constraint label
        self.stored: dict[bytes, int] = {}  # hash -> id of the items met here that the store held
        self.task_rows: dict[str, dict[str, Any]] = {}
        self.with_trace = 0
        self.rows = RowMaker(self.memo, ctx, ids)
        self.labelled: dict[int, tuple[dict[str, Any], str | None, list[tuple[str, ...]]]] = {}

    def file_chunks(
        self, unit: int, stream: Any, tally: dict[tuple[str, str, str], list[float]] | None = None,
        counted: set[tuple[str, str, str]] | None = None,
    ) -> Any:  # fmt: skip
        """The chunks of one file's records (a generator); the last has ``last`` set.

        ``tally`` and ``counted``: when given, each record's logged metrics are tallied here
        as :func:`.lmeval.tallied` would (``stream`` is then the reader's stream itself)."""
        chunk, pending = Chunk(unit), []
        counts = ing.IngestReport()
        excluded, with_trace = self.faults.excluded, 0
        tallies = _Tallies(tally, counted) if tally is not None and counted is not None else None
        for rec in stream:
            if type(rec) is not SampleRecord:
                chunk.bad.append(rec)
                continue
            if tallies is not None and rec.sample_idx == 0:
                tallies.add(rec)
            text = rec.response  # apply_reasoning's first tests, made here (no call for most)
            if text and (">" in text or "]" in text or "▷" in text or "analysis" in text[:64]):
                apply_reasoning(rec)
            if rec.reasoning is not None:
                with_trace += 1
            chunk.n_records += 1
            if not excluded(rec, None, counts):
                pending.append(rec)
            elif self.faults.unscored:  # reported as notes by the main process
                chunk.bad.extend(self.faults.unscored)
                self.faults.unscored.clear()
            if chunk.n_records >= CHUNK:
                self._fill(chunk, pending, counts)
                yield chunk
                chunk, pending, counts = Chunk(unit), [], ing.IngestReport()
        self.with_trace += with_trace
        self._fill(chunk, pending, counts)
        chunk.last = True
        yield chunk

    def _fill(self, chunk: Chunk, records: list[SampleRecord], counts: ing.IngestReport) -> None:
        """Rows of ``records`` into ``chunk``, and the chunk's repeat counts."""
        f = self.faults
        chunk.faults = (counts.n_repeats, counts.n_conflicting, counts.n_missing_score,
                        f.first_repeat, f.first_conflict, f.first_missing)  # fmt: skip
        f.first_repeat = f.first_conflict = f.first_missing = None
        make = self.rows
        questions, hashes = make.identities(records)
        if self.benchmark:  # what _benchmark_of gives every record then
            benches = [self.benchmark] * len(records)
        else:
            benches = [ing._benchmark_of(r, self.ctx, None) for r in records]
        seen = self.seen
        if self.store is not None:
            ids: dict[bytes, int] = {}
            new = sorted({h for h in hashes if h not in seen})
            stored = self.store.known_items(new, ids=ids) if new else {}
            chunk.known = {h: (oc, ids[h]) for h, oc in stored.items()}
        known = chunk.known or {}
        first: dict[bytes, dict[str, Any]] = {}
        for rec, ihash, bench, question in zip(records, hashes, benches, questions, strict=True):
            if ihash not in seen and ihash not in first and ihash not in known:
                first[ihash] = {"benchmark": bench, "task": rec.task, "doc": rec.doc,
                                "question": question, "prompt": rec.prompt,
                                "target": rec.target}  # fmt: skip
        assigned = dict(zip(first, self.taxonomy.assign_many(first.values()), strict=True))
        self.labelled.clear()  # id -> (labels, their output constraint, their rows), this chunk
        calls: list[tuple[Any, ...] | None] = []
        tasks: dict[tuple[str, str, str], None] = {}
        for rec, ihash, bench, question in zip(records, hashes, benches, questions, strict=True):
            tasks[(rec.task, rec.filter, bench)] = None
            task_row = self.task_rows.get(rec.task)
            if task_row is None:  # only its settings are read here
                task_row = self.task_rows[rec.task] = ing.new_task_row(
                    self.ctx, rec.task, rec.filter, bench
                )
            oc = seen.get(ihash)
            if oc is None:
                oc = self._first_met(chunk, rec, ihash, bench, question, known, assigned)
            lenient_applies = ihash not in self.unlabelled
            item_id = self.stored.get(ihash)
            calls.append(make.row(chunk, rec, ihash, oc, task_row, lenient_applies, item_id))
        chunk.tasks = list(tasks)
        chunk.calls = pickle.dumps(calls, protocol=pickle.HIGHEST_PROTOCOL)
        if self.store is not None and self.stored:  # their prompts are most likely stored too
            texts = chunk.texts
            again = [r[7] for r in chunk.rows if type(r[1]) is int and r[7] in texts]
            for h in self.store.stored_texts(list(dict.fromkeys(again))):
                del texts[h]

    def _first_met(
        self, chunk: Chunk, rec: SampleRecord, ihash: bytes, bench: str, question: str | None,
        known: dict[bytes, tuple[str | None, int]], assigned: dict[bytes, dict[str, Any]],
    ) -> str:  # fmt: skip
        """The output constraint of an item this worker meets first (``rec`` its first
        record): the store's (or inferred from the target) when the store holds it, else its
        rule label's, the item's row and labels then added to ``chunk``."""
        if ihash in known:
            stored_oc, item_id = known[ihash]
            oc = self.seen[ihash] = stored_oc or infer_output_constraint_from_target(
                rec.target or ""
            )
            if stored_oc is None:
                self.unlabelled.add(ihash)
            self.stored[ihash] = item_id
            return oc
        labels = assigned[ihash]  # items with equal rule inputs share one dict
        known_labels = self.labelled.get(id(labels))
        if known_labels is None or known_labels[0] is not labels:
            known_labels = self.labelled[id(labels)] = (
                labels,
                labels.get("output_constraint", (None, ""))[0],
                [(axis, v, rule) for axis, (v, rule) in labels.items()],
            )
        _, label_oc, axes = known_labels
        # ingest.output_constraint_of
        oc = label_oc or infer_output_constraint_from_target(rec.target or "")
        self.seen[ihash] = chunk.first[ihash] = oc
        if label_oc is None:
            self.unlabelled.add(ihash)
        chunk.items[ihash] = self.rows.item_row(rec, ihash, bench, question)
        chunk.labels.extend([(ihash, axis, v, rule) for axis, v, rule in axes])
        return oc


class _Tallies:
    """:func:`.lmeval.tallied` of one file, a record at a time (:meth:`add`)."""

    def __init__(
        self, tally: dict[tuple[str, str, str], list[float]], counted: set[tuple[str, str, str]]
    ) -> None:
        self.tally, self.counted = tally, counted
        self.last: tuple[str, str] | None = None
        self.sums: dict[str, list[float]] = {}

    def add(self, rec: SampleRecord) -> None:
        """Count a record of ``sample_idx`` 0 (a line's first), unless its line was counted."""
        task, filter_name = rec.task, rec.filter
        key = (task, filter_name, rec.doc_id)
        if key in self.counted:
            return
        self.counted.add(key)
        last = self.last
        if last is None or last[0] != task or last[1] != filter_name:
            self.last, self.sums = (task, filter_name), {}
        sums = self.sums
        for metric, value in rec.metrics.items():
            if value is not None:
                counts = sums.get(metric)
                if counts is None:
                    counts = sums[metric] = self.tally.setdefault(
                        (task, filter_name, metric), [0.0, 0]
                    )
                counts[0] += value
                counts[1] += 1
