"""lm-eval ingest in worker processes (issue 14) stores exactly what the one-process read
stores: the same rows, labels, aggregates and report, from the main thread (fork) and from
another thread (forkserver, as the app's ingest screen runs it); a bad line is refused with
its file, line and field; one core reads in the ingest's own process.

Each comparison ingests the same inputs twice, ``CAPSLICE_INGEST_WORKERS=0`` (one process)
and ``=2`` (two workers), and compares the content dump of test_ingest_reference.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from test_ingest_reference import CASES, LM_EVAL, dump

from capslice_tui.workspace import IngestError, Workspace
from capslice_tui.workspace import _ingest_workers as ingest_workers
from capslice_tui.workspace import ingest as ingest_module

TS = "2026-01-01T00-00-00.000000"
KILL_CASE = CASES / "store-02-kill-signals"

# lm-eval inputs only (the other formats are read in one process)
INPUTS: list[tuple[str, Path, str | None]] = [
    ("bbh-base", LM_EVAL / "bbh-base", "bbh"),
    ("bbh-eos-masked", LM_EVAL / "bbh-eos-masked", "bbh"),  # shares items with bbh-base
    ("ing03-dup", CASES / "ing-03-small-faults" / "m5_dup", None),  # repeated lines
]


def _write_tasks(
    folder: Path, tasks: list[str], n_docs: int, bad_line: int | None = None, repeats: int = 1
) -> None:
    """lm-eval 0.4.8 samples files, one per task, every task holding the same items; with
    ``repeats`` > 1 each line holds that many generations (scored by capslice)."""
    folder.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        lines = []
        for d in range(n_docs):
            target = str(d % 7)
            doc = {"question": f"What is {d} mod 7?", "answer": target}
            correct = float(d % 3 == 0)
            lines.append(
                json.dumps(
                    {
                        "doc_id": d,
                        "doc": doc,
                        "target": target,
                        "arguments": {"gen_args_0": {"arg_0": f"Q: {doc['question']}\nA:"}},
                        "resps": [
                            [
                                f"Let me think. The answer is {target if (correct or r) else 9}."
                                for r in range(repeats)
                            ]
                        ],
                        "filtered_resps": [target if correct else "9"]
                        if repeats == 1
                        else [[target if (correct or r) else "9" for r in range(repeats)]],
                        "filter": "none",
                        "metrics": ["exact_match"],
                        "exact_match": correct,
                    }
                )
            )
        if bad_line is not None:
            lines[bad_line - 1] = lines[bad_line - 1].replace('"resps"', '"resp"')
        (folder / f"samples_{task}_{TS}.jsonl").write_text("\n".join(lines) + "\n")


def _ingest_all(
    db: Path, inputs: list[tuple[str, Path, str | None]], in_thread: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ws = Workspace(db)
    reports: list[dict[str, Any]] = []

    def go() -> None:
        for run, path, benchmark in inputs:
            d = ws.ingest([path], run=run, benchmark=benchmark).to_dict()
            d.pop("bad", None)
            reports.append({"run": run, **d})

    if in_thread:
        failed: list[BaseException] = []

        def guarded() -> None:
            try:
                go()
            except BaseException as exc:
                failed.append(exc)

        thread = threading.Thread(target=guarded)
        thread.start()
        thread.join(120)
        assert not failed, failed
    else:
        go()
    out = dump(ws)
    ws.store.close()
    return out, reports


def _spy_workers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the worker count of every ingest read in workers."""
    used: list[int] = []
    real = ingest_workers.Workers.__init__

    def spy(self: Any, *args: Any) -> None:
        used.append(args[-1])
        real(self, *args)

    monkeypatch.setattr(ingest_workers.Workers, "__init__", spy)
    return used


def _same(serial: dict[str, Any], parallel: dict[str, Any]) -> None:
    assert sorted(serial) == sorted(parallel)
    for section in serial:
        assert parallel[section] == serial[section], section


def test_workers_store_what_one_process_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repeats = tmp_path / "repeats"  # several samples per item, scored by capslice
    _write_tasks(repeats, ["arith_a", "arith_b"], 40, repeats=3)
    inputs = [*INPUTS, ("repeats", repeats, "arith")]
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "0")
    serial, serial_reports = _ingest_all(tmp_path / "serial.db", inputs)
    used = _spy_workers(monkeypatch)
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "2")
    monkeypatch.setattr(ingest_workers, "CHUNK", 37)  # several chunks per file and batch
    monkeypatch.setattr(ingest_module, "PROGRESS_EVERY", 10**9)
    parallel, parallel_reports = _ingest_all(tmp_path / "parallel.db", inputs)
    assert used == [2, 2, 1, 2]  # one worker per task at most
    assert parallel_reports == serial_reports
    _same(serial, parallel)
    assert any(r["n_repeats"] for r in serial_reports)
    assert serial_reports[-1]["scored_by_capslice"] == 240  # 2 tasks x 40 lines x 3
    assert max(s[4] for s in serial["samples"]) == 2  # sample_idx 0..2


def test_batches_that_end_inside_a_chunk_store_what_one_process_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ingest splits a worker's chunk where a batch is full (23 rows against chunks of
    37 records): the rows after the cut go to the next batch, the chunk's items and texts to
    the first; the store holds what the one-process read stores."""
    logs = tmp_path / "repeats"
    _write_tasks(logs, ["arith_a", "arith_b", "arith_c"], 90, repeats=2)
    inputs = [*INPUTS, ("repeats", logs, "arith")]
    real, sizes = ingest_module.ingest, []

    def small_batches(*args: Any, **kwargs: Any) -> Any:
        return real(*args, **{**kwargs, "batch_size": 23})

    monkeypatch.setattr(ingest_module, "ingest", small_batches)
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "0")
    serial, serial_reports = _ingest_all(tmp_path / "serial.db", inputs)
    flush = ingest_module._Ingest._flush

    def counted(self: Any, batch: Any) -> None:
        sizes.append(len(batch.samples))
        flush(self, batch)

    monkeypatch.setattr(ingest_module._Ingest, "_flush", counted)
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "2")
    monkeypatch.setattr(ingest_workers, "CHUNK", 37)
    parallel, parallel_reports = _ingest_all(tmp_path / "parallel.db", inputs)
    assert max(sizes) == 23 and sizes.count(23) > 10  # batches full before a chunk ends
    assert parallel_reports == serial_reports
    _same(serial, parallel)


def test_workers_run_at_a_lower_priority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker adds ingest.WORKER_NICE to its niceness (the writer keeps a core); the ingest's
    own process keeps its own."""
    marks = tmp_path / "nice"
    real = os.nice

    def recorded(increment: int) -> int:
        with open(marks, "a") as fh:
            fh.write(f"{os.getpid()} {increment}\n")
        return real(increment)

    monkeypatch.setattr(os, "nice", recorded)
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "2")
    before = real(0)
    _ingest_all(tmp_path / "db.db", [("bbh-base", LM_EVAL / "bbh-base", "bbh")])
    calls = [line.split() for line in marks.read_text().splitlines()]
    assert len(calls) == 2 and {c[1] for c in calls} == {str(ingest_module.WORKER_NICE)}
    assert str(os.getpid()) not in {c[0] for c in calls} and real(0) == before


def test_item_first_met_in_the_other_worker_keeps_the_first_records_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tasks hold the same items; the rules label them differently per task, so the
    second task's worker scores with another output constraint than the first record's:
    the ingest scores those samples again, and stores what one process stores."""
    logs = tmp_path / "logs"
    _write_tasks(logs, ["arith_a", "arith_b"], 60)
    real = ingest_module.Taxonomy.assign_many

    def by_task(self: Any, items: Any) -> list[dict[str, Any]]:
        items = list(items)
        found = real(self, items)
        return [
            {**labels, "output_constraint": ("integer" if it["task"] == "arith_a" else "free_text", "t")}
            for it, labels in zip(items, found, strict=True)
        ]  # fmt: skip

    monkeypatch.setattr(ingest_module.Taxonomy, "assign_many", by_task)
    inputs: list[tuple[str, Path, str | None]] = [("a", logs, "arith"), ("b", logs, "arith")]
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "0")
    serial, serial_reports = _ingest_all(tmp_path / "serial.db", inputs)
    rescored: list[int] = []
    real_with = ingest_module.with_scores

    def spy(row: Any, scored: Any) -> Any:
        rescored.append(1)
        return real_with(row, scored)

    monkeypatch.setattr(ingest_module, "with_scores", spy)
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "2")
    parallel, parallel_reports = _ingest_all(tmp_path / "parallel.db", inputs)
    assert rescored  # the second task's samples were scored again
    assert parallel_reports == serial_reports
    _same(serial, parallel)


def test_workers_started_from_another_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app ingests on a worker thread: the workers start from a forkserver there."""
    inputs = INPUTS[:1]
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "0")
    serial, serial_reports = _ingest_all(tmp_path / "serial.db", inputs)
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "2")
    parallel, parallel_reports = _ingest_all(tmp_path / "parallel.db", inputs, in_thread=True)
    assert parallel_reports == serial_reports
    _same(serial, parallel)


def test_bad_line_in_a_worker_names_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = tmp_path / "logs"
    _write_tasks(logs, ["arith_a", "arith_b"], 40, bad_line=17)
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "2")
    ws = Workspace(tmp_path / "s.db")
    with pytest.raises(IngestError) as err:
        ws.ingest([logs], run="r")
    message = str(err.value)
    assert f"samples_arith_a_{TS}.jsonl:17: bad line: field 'resps'" in message
    assert "Nothing from this ingest was stored" in message
    assert ws.runs() == []
    report = ws.ingest([logs], run="r", skip_bad=True)
    assert (report.n_bad, report.runs) == (2, {"r": 78})


def test_one_core_reads_in_the_ingests_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ingest_workers.ENV_WORKERS, raising=False)
    monkeypatch.setattr(ingest_workers, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ingest_workers.os, "sched_getaffinity", lambda _pid: {0}, raising=False)
    used = _spy_workers(monkeypatch)
    logs = tmp_path / "logs"
    _write_tasks(logs, ["arith_a", "arith_b"], 20)
    report = Workspace(tmp_path / "s.db").ingest([logs], run="r")
    assert report.runs == {"r": 40} and used == []
    monkeypatch.setattr(ingest_workers.os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    report = Workspace(tmp_path / "t.db").ingest([logs], run="r")
    assert report.runs == {"r": 40} and used == [2]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_killed_ingest_in_workers_keeps_whole_batches_and_leaves_no_worker(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """store-02-kill-signals with the read in two workers: the batch being written rolls
    back (SIGINT says so), and no worker outlives the ingest (a SIGKILLed one included)."""
    if not Path("/proc/self/task").exists():
        pytest.skip("needs /proc to find the worker processes")
    spec = importlib.util.spec_from_file_location("gen_lmeval", KILL_CASE / "gen_lmeval.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    logs = tmp_path / "big"
    gen.generate(logs, 4000)  # 8000 records: one 5000-record batch commits
    store = tmp_path / "s.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "capslice_tui", "--store", str(store), "ingest", str(logs),
         "--run", "big"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1", ingest_workers.ENV_WORKERS: "2"},
    )  # fmt: skip
    deadline = time.time() + 120
    workers: list[int] = []
    while proc.poll() is None and time.time() < deadline:
        workers = workers or _children(proc.pid)
        with contextlib.suppress(sqlite3.OperationalError), sqlite3.connect(store) as c:
            if c.execute("SELECT count(*) FROM samples").fetchone()[0] >= 5000:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "the ingest finished before it could be interrupted"
    assert workers, "no worker process was started"
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)  # no worker holds the pipes open
    with sqlite3.connect(store) as c:
        k = c.execute("SELECT count(*) FROM samples").fetchone()[0]
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert k == 5000
    if sig == signal.SIGINT:
        assert proc.returncode == 1 and "Traceback" not in err
        assert "ingest stopped by SIGINT" in err and "incomplete (5,000 of 8,000 records)" in err
    deadline = time.time() + 10
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if Path(f"/proc/{w}").exists()]


def test_workers_that_cannot_read_the_store_leave_the_lookup_to_the_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = tmp_path / "logs"
    _write_tasks(logs, ["arith_a", "arith_b", "arith_c"], 50)
    inputs: list[tuple[str, Path, str | None]] = [("a", logs, "arith"), ("b", logs, "arith")]
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "0")
    serial, serial_reports = _ingest_all(tmp_path / "serial.db", inputs)
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "2")
    monkeypatch.setattr(ingest_workers, "_open_store", lambda *_: None)
    parallel, parallel_reports = _ingest_all(tmp_path / "parallel.db", inputs)
    assert parallel_reports == serial_reports
    _same(serial, parallel)


def test_no_processes_to_be_had_reads_in_the_ingests_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = multiprocessing.get_context("fork")

    class NoProcesses:
        Queue = real.Queue

        def get_start_method(self) -> str:
            return "fork"

        def Process(self, **_kw: Any) -> Any:  # noqa: N802 - the context's name
            raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(ingest_workers, "_context", NoProcesses)
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "2")
    logs = tmp_path / "logs"
    _write_tasks(logs, ["arith_a", "arith_b"], 20)
    report = Workspace(tmp_path / "s.db").ingest([logs], run="r")
    assert report.runs == {"r": 40}


def test_a_worker_that_dies_stops_the_ingest_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_workers, "work", lambda *_: os._exit(3))
    monkeypatch.setenv(ingest_workers.ENV_WORKERS, "2")
    logs = tmp_path / "logs"
    _write_tasks(logs, ["arith_a", "arith_b"], 20)
    ws = Workspace(tmp_path / "s.db")
    with pytest.raises(IngestError, match=r"ingest worker 0 ended \(exit code 3\)"):
        ws.ingest([logs], run="r")
    assert ws.runs() == []
