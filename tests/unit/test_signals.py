"""store-02-kill-signals: real ``capslice ingest`` processes killed mid-ingest.

SIGTERM and SIGHUP behave like SIGINT (the batch being written rolls back, the ingest is
recorded as interrupted with the signal's name); SIGKILL leaves an ingest ``running`` whose
process is gone, which is shown as interrupted. In every case the store passes
``PRAGMA integrity_check``, the run shows "incomplete (k of N records)" with the commands that
resume and delete it, and re-running the ingest adds only what is missing.
"""

from __future__ import annotations

import importlib.util
import os
import random
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from capslice_tui.workspace import Workspace
from capslice_tui.workspace.interrupt import progress_text

CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "store-02-kill-signals"
N_DOCS = 4000  # 8000 records (2 filters): one 5000-record batch commits, the second is cut
N_RECORDS = 2 * N_DOCS
BATCH = 5000  # capslice_tui.workspace.ingest default batch_size


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("gen_lmeval", CASE / "gen_lmeval.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    out = tmp_path_factory.mktemp("logs") / "big"
    gen.generate(out, N_DOCS)
    return out


def _capslice(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "capslice_tui", "--store", str(store), *args]


def _stored(store: Path) -> int:
    try:
        with sqlite3.connect(store, timeout=30) as c:
            row = c.execute(
                "SELECT count(*) FROM samples WHERE run_id = (SELECT id FROM runs WHERE name='big')"
            ).fetchone()
        return int(row[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def _kill_mid_ingest(store: Path, logs: Path, sig: signal.Signals) -> subprocess.CompletedProcess:
    """Start an ingest, send ``sig`` once its first batch is committed, wait for the exit."""
    proc = subprocess.Popen(
        _capslice(store, "ingest", str(logs), "--run", "big"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    deadline = time.time() + 240
    while proc.poll() is None and _stored(store) < BATCH and time.time() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the ingest finished before it could be interrupted"
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=240)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _integrity(store: Path) -> str:
    with sqlite3.connect(store) as c:
        return c.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL, signal.SIGINT])
def test_killed_ingest_is_interrupted_k_of_n_and_resumes(
    tmp_path: Path, logs: Path, sig: signal.Signals
):
    store = tmp_path / "s.db"
    done = _kill_mid_ingest(store, logs, sig)
    assert _integrity(store) == "ok"
    k = _stored(store)
    assert 0 < k < N_RECORDS and k % BATCH == 0  # whole batches only: the cut one rolled back
    if sig == signal.SIGKILL:
        assert done.returncode == -signal.SIGKILL
    else:
        assert done.returncode == 1, done.stderr
        assert f"ingest stopped by {sig.name}" in done.stderr
        assert "Traceback" not in done.stderr
        assert f"incomplete ({k:,} of {N_RECORDS:,} records)" in done.stderr
        assert "delete-run big" in done.stderr

    ws = Workspace(store)
    (run,) = ws.runs()
    assert run["status"] == f"incomplete ({k:,} of {N_RECORDS:,} records)"
    assert run["n_samples"] == k
    info = run["interrupted"]
    if sig == signal.SIGKILL:
        assert info["reason"].endswith("ended without finishing (killed?)")
    else:
        assert info["reason"] == f"stopped by {sig.name}"
    assert " ingest " in info["resume"] and "--run big" in info["resume"]
    assert info["delete"].endswith("delete-run big")
    from capslice_tui.workspace.reliability import doctor_store

    (found,) = doctor_store(store)["interrupted"]
    assert (found["run"], found["k"], found["n_expected"]) == ("big", k, N_RECORDS)
    listing = subprocess.run(
        _capslice(store, "runs"), capture_output=True, text=True, check=True
    ).stdout
    assert "incomplete" in listing and "delete-run big" in listing and "resume" in listing
    ws.store.close()

    # resuming with the command shown adds only what is missing and completes the run
    resume = shlex.split(info["resume"])[1:]  # drop the program name
    again = subprocess.run(
        [sys.executable, "-m", "capslice_tui", *resume], capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert f"big: {N_RECORDS - k} new samples ({N_RECORDS} read" in again.stdout
    assert _integrity(store) == "ok"
    (run,) = Workspace(store).runs()
    assert run["status"] == "complete" and run["n_samples"] == N_RECORDS
    assert "interrupted" not in run


def test_runs_screen_shows_interrupted_run_and_how_to_resume_or_delete(tmp_path: Path, logs: Path):
    """The app's runs screen (through the facade) shows "incomplete (k of N records)" and
    ``i`` names the resume and delete commands; an in-process stop after the first batch."""
    import asyncio

    from textual.widgets import Static

    from capslice_tui.app.app import make_app
    from capslice_tui.app.widgets.result_table import ResultTable
    from capslice_tui.workspace import IngestError
    from capslice_tui.workspace.interrupt import Interrupted

    store = tmp_path / "s.db"
    ws = Workspace(store)

    def stop(n: int) -> None:
        # progress is also called while reading; stop once the first batch is written
        if ws.store.query("SELECT count(*) FROM samples")[0][0]:
            raise Interrupted("SIGTERM")

    with pytest.raises(IngestError, match=r"incomplete \(5,000 of 8,000 records\)"):
        ws.ingest([logs], run="big", progress=stop)
    ws.store.close()

    async def check() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()
            table = app.screen.query_one(ResultTable)
            row = [str(c) for c in table.get_row_at(0)]
            assert row[0] == "big" and row[-1] == "incomplete (5,000 of 8,000 records)"
            status = str(app.screen.query_one("#status", Static).render())
            assert "interrupted ingest: big (i: resume or delete)" in status
            await pilot.press("i")
            await pilot.pause()
            # a resume/delete command is read whole on a screen of its own (a notification
            # could cut it)
            from capslice_tui.app.screens.text_detail import TextDetailScreen

            assert isinstance(app.screen, TextDetailScreen)
            lines = str(app.screen.query_one("#detail-text", Static).render()).splitlines()
            text = " ".join(" ".join(lines).split())
            assert "stopped by SIGTERM" in text and "delete-run big" in text
            assert "--run big" in text

    asyncio.run(check())


SEED = 20261130
SMALL_DOCS = 600  # 1,200 records in 8 batches of 150
SMALL_BATCH = 150
CHILD = (
    "import importlib, sys\n"
    "importlib.import_module('capslice_tui.workspace.ingest').ingest.__kwdefaults__"
    "['batch_size'] = int(sys.argv[1])\n"
    "from capslice_tui.cli import main\n"
    "main(sys.argv[2:], prog_name='capslice')\n"
)


@pytest.fixture(scope="module")
def small_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("gen_lmeval", CASE / "gen_lmeval.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    out = tmp_path_factory.mktemp("small") / "big"
    gen.generate(out, SMALL_DOCS)
    return out


def test_kill_at_random_points_keeps_the_store_whole_and_resume_completes(
    tmp_path: Path, small_logs: Path
) -> None:
    """SIGKILL, SIGTERM and SIGHUP at points drawn from a fixed seed (a batch boundary to
    pass, then a random delay: inside a batch, between batches, while finishing):
    the store passes ``integrity_check``, holds whole batches only, shows the run as
    "incomplete (k of N records)" (or complete when the signal came after the end), and the
    resume command completes it."""
    n = 2 * SMALL_DOCS
    rng = random.Random(SEED)
    for i, sig in enumerate((signal.SIGKILL, signal.SIGTERM, signal.SIGHUP)):
        store = tmp_path / f"s{i}.db"
        target = rng.randrange(SMALL_BATCH, n, SMALL_BATCH)  # a batch boundary to pass
        delay = rng.uniform(0.0, 0.3)
        args = ["--store", str(store), "ingest", str(small_logs), "--run", "big"]
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(SMALL_BATCH), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        deadline = time.time() + 120
        while proc.poll() is None and _stored(store) < target and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=120)
        where = f"{sig.name} after {target} records + {delay:.2f}s (exit {proc.returncode})"
        assert "Traceback" not in err, where + err
        k = _stored(store)
        if store.exists():
            assert _integrity(store) == "ok", where
        assert k % SMALL_BATCH == 0, where  # whole batches: the cut one rolled back
        runs = Workspace(store).runs() if store.exists() else []
        finished = proc.returncode == 0 or (len(runs) == 1 and runs[0]["status"] == "complete")
        if finished:  # the signal came once the run was recorded complete (or not at all)
            (run,) = runs
            assert run["status"] == "complete" and k == n, where
            continue
        if runs:
            (run,) = runs
            assert run["status"] == progress_text(k, n), where
            if sig != signal.SIGKILL:
                assert run["interrupted"]["reason"] == f"stopped by {sig.name}", where
            resume = shlex.split(run["interrupted"]["resume"])[1:]
        else:  # stopped before the run was recorded: nothing stored, start again
            assert k == 0, where
            resume = args
        again = subprocess.run(
            [sys.executable, "-m", "capslice_tui", *resume], capture_output=True, text=True
        )
        assert again.returncode == 0, where + again.stderr
        assert f"big: {n - k} new samples ({n} read" in again.stdout, where
        assert _integrity(store) == "ok", where
        (run,) = Workspace(store).runs()
        assert run["status"] == "complete" and run["n_samples"] == n, where


def test_progress_text_says_when_every_record_was_stored() -> None:
    """``6,511 of 6,511 records`` read as complete to a fresh user; the ingest had stopped
    while finishing the run."""
    assert progress_text(5000, 8000) == "incomplete (5,000 of 8,000 records)"
    assert progress_text(6511, 6511) == (
        "incomplete (all 6,511 records stored; stopped before finishing)"
    )
    assert progress_text(12, None) == "incomplete (12 records stored; total not known)"
