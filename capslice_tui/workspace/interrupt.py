"""Stopping an ingest cleanly on SIGINT, SIGTERM and SIGHUP.

Slurm time limits send SIGTERM, a closed terminal or tmux pane SIGHUP, Ctrl-C SIGINT. While an
ingest streams, each of them raises :class:`Interrupted` in the main thread: the batch being
written rolls back (its transaction never commits), batches committed before stay, and the
ingest is recorded as interrupted with the signal's name so the run shows "incomplete (k of N
records)" with the command that resumes it. A second signal while the ingest records this is
ignored (the record takes a moment; a third party can still SIGKILL). Once the records are read
(the ingest is finishing its aggregates) a signal is remembered and reported, not raised, so a
finished ingest is never half-recorded.
"""

from __future__ import annotations

import shlex
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from ..store.reliability import delete_run_command
from ..store.runs import EARLIER_INGESTS, SKIPPED_ROWS

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived during an ingest; ``signal_name`` says which (e.g. ``SIGTERM``)."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name

    def __str__(self) -> str:
        return f"stopped by {self.signal_name}"


class _Guard:
    """What the installed handlers do: raise once while armed, remember otherwise."""

    def __init__(self) -> None:
        self.armed = True
        self.received: str | None = None

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        first = self.received is None
        self.received = self.received or name
        if self.armed and first:
            raise Interrupted(name)


_active: _Guard | None = None


@contextmanager
def stop_signals() -> Iterator[_Guard | None]:
    """Turn SIGINT/SIGTERM/SIGHUP into :class:`Interrupted` for the duration (main thread
    only; elsewhere a no-op yielding None). Previous handlers are restored on exit."""
    global _active
    if threading.current_thread() is not threading.main_thread() or _active is not None:
        yield None
        return
    guard = _Guard()
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        signal.signal(sig, guard.handle)
    _active = guard
    try:
        yield guard
    finally:
        _active = None
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def disarm() -> str | None:
    """Stop raising on signals (the ingest is finishing); returns a signal already received
    but not raised, if any."""
    if _active is None:
        return None
    _active.armed = False
    return _active.received


def signal_seen() -> str | None:
    """The signal received since :func:`stop_signals` began (None when none)."""
    return None if _active is None else _active.received


def resume_command(
    store_path: Path,
    paths: Sequence[Path],
    *,
    run: str,
    benchmark: str | None = None,
    model: str | None = None,
    step: int | None = None,
    fmt: str = "auto",
    field_map: dict[str, str] | None = None,
    system: str | None = None,
    skip_bad: bool = False,
) -> str:
    """The ``capslice ingest`` command line that repeats this ingest (absolute paths, shell
    quoted). Re-running it adds only the samples not stored yet."""
    words = ["capslice", "--store", str(Path(store_path).resolve()), "ingest"]
    words += [str(Path(p).resolve()) for p in paths]
    words += ["--run", run]
    for flag, value in (("--benchmark", benchmark), ("--model", model), ("--system", system)):
        if value is not None:
            words += [flag, value]
    if step is not None:
        words += ["--step", str(step)]
    if fmt != "auto":
        words += ["--format", fmt]
    for role, key in (field_map or {}).items():
        words += ["--field", f"{role}={key}"]
    if skip_bad:
        words.append("--skip-bad")
    return shlex.join(words)


def delete_command(store_path: Path, run: str) -> str:
    """The command that deletes a run (``capslice --store PATH delete-run RUN``; one wording
    with the doctor's: :func:`store.reliability.delete_run_command`)."""
    return delete_run_command(store_path, run)


def count_records(files: Sequence[str]) -> int | None:
    """Records in the input when every sample file holds one record per line (``.jsonl``,
    uncompressed): the lines of those files. None when that cannot be told (CSV, parquet,
    JSON documents, compressed files)."""
    sample_files = [
        Path(f) for f in files if not Path(f).name.startswith("results") and Path(f).suffix
    ]
    if not sample_files or any(p.suffix != ".jsonl" for p in sample_files):
        return None
    total = 0
    buf = bytearray(1 << 20)  # one buffer read into again (a new bytes object a read: ~2x)
    for p in sample_files:
        try:
            with p.open("rb", buffering=0) as fh:
                total += _lines(fh, buf)
        except OSError:
            return None
    return total


DENSE_LINE_BYTES = 256
"""Lines shorter than this on average in a read buffer are counted with one ``count`` pass;
longer ones by ``find`` from line end to line end (:func:`_lines`)."""


def _lines(fh: Any, buf: bytearray) -> int:
    """The lines of an open binary file, a last line without its newline included, read into
    ``buf``. Long lines (lm-eval's few-shot prompts: ~4.5 KB) are counted newline to newline
    with ``find`` (``memchr``: ~0.2 us a 4.5 KB line against ~2 us for ``count``, a plain
    loop over every byte); once a buffer holds more than one newline per
    :data:`DENSE_LINE_BYTES`, the rest of the file is counted with ``count``."""
    find, count = buf.find, buf.count
    total, last, dense = 0, 10, False  # the last byte read (a newline before any read)
    while n := fh.readinto(buf):
        last = buf[n - 1]
        if dense:
            total += count(10, 0, n)
            continue
        most = n // DENSE_LINE_BYTES
        k, i = 0, find(10, 0, n)
        while i >= 0:
            k += 1
            if k > most:  # short lines: one pass over the rest
                k += count(10, i + 1, n)
                dense = True
                break
            i = find(10, i + 1, n)
        total += k
    return total + (last != 10)


def progress_text(k: int, n_expected: int | None) -> str:
    """``incomplete (k of N records)``, or ``incomplete (k records stored)`` when N is not
    known; when every record is stored (stopped while finishing: the run's aggregates), it
    says so, since ``N of N`` alone reads as complete."""
    if n_expected and k >= n_expected:
        return f"incomplete (all {n_expected:,} records stored; stopped before finishing)"
    if n_expected:
        return f"incomplete ({k:,} of {n_expected:,} records)"
    return f"incomplete ({k:,} records stored; total not known)"


def skipped_counts(n_bad: int, meta: Mapping[str, Any] | None) -> tuple[int, int | None]:
    """A run's input rows left out by ``--skip-bad`` (unreadable, never stored or scored) and
    the rows of the files they were in (None when a file's rows cannot be counted), from its
    ``meta.skipped_rows`` (:meth:`capslice_tui.store.runs.RunsMixin.record_skipped_rows`);
    ``(n_bad, None)`` for a run counted before files were (``n_bad``: the runs column)."""
    kept = (meta or {}).get(SKIPPED_ROWS) or {}
    if not kept:
        return int(n_bad or 0), None
    totals = [v[1] for v in kept.values()]
    n = sum(int(v[0]) for v in kept.values())
    return n, None if any(t is None for t in totals) else sum(int(t) for t in totals)


def skipped_reason(n_bad: int, meta: Mapping[str, Any] | None) -> str | None:
    """Why a run whose ingest skipped unreadable input rows is incomplete, for its meta
    (``meta.incomplete``, as a torn last record's): ``34 of 100 input rows unreadable, skipped
    by --skip-bad (samples_x.jsonl): its scores leave them out; fix the file and ingest it
    again to add them``. None when no row is skipped."""
    n, total = skipped_counts(n_bad, meta)
    if not n:
        return None
    files = [Path(f).name for f in (meta or {}).get(SKIPPED_ROWS) or {} if f != EARLIER_INGESTS]
    where = ", ".join(files[:2]) + (f" and {len(files) - 2} more" if len(files) > 2 else "")
    count = f"{n:,} of {total:,}" if total else f"{n:,}"
    rows = "row" if n == 1 and not total else "rows"
    it = "it" if n == 1 else "them"
    return (
        f"{count} input {rows} unreadable, skipped by --skip-bad"
        f" ({where or 'files not recorded'}{'' if total else '; total rows not known'}):"
        f" its scores leave {it} out; fix the file and ingest it again to add {it}"
    )
