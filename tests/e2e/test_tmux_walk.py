"""End to end with plain keys only, on a Linux console (``TERM=linux NO_COLOR=1``, 80x24,
tmux): runs -> trend -> compare -> diagnose -> plan (+ export) -> intervention new ->
accept -> link (the result run chosen from a list) -> rescore.

Before each key the test waits for text that proves the previous screen's data loaded (a
key sent while a worker still runs can land on the wrong screen: that race failed CI once).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT / "e2e"))

from lmeval_files import build_store  # noqa: E402
from test_tmux import _wait_for  # noqa: E402

from capslice_tui.app.console import foreign_glyphs  # noqa: E402
from capslice_tui.workspace.demo import DEMO_BUDGET_TOKENS, sample_data_dir  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _keys(session: str, *keys: str) -> None:
    """Send tmux key names (``Enter``, ``Tab``, ``Down``, single letters), one at a time."""
    for key in keys:
        subprocess.run(["tmux", "send-keys", "-t", session, key], check=True)


def _type(session: str, text: str) -> None:
    """Send ``text`` literally (tmux ``-l``: no key-name lookup)."""
    subprocess.run(["tmux", "send-keys", "-t", session, "-l", text], check=True)


def _check(screen: str, where: str) -> str:
    bad = foreign_glyphs(screen)
    assert not bad, f"{where}: glyphs outside the console fonts {sorted(bad)!r}:\n{screen}"
    return screen


def test_plain_keys_walk_from_runs_to_rescore(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    exe = Path(sys.executable).with_name("capslice")
    command = str(exe) if exe.exists() else shutil.which("capslice")
    if command is None:
        pytest.skip("the capslice command is not installed in this environment")
    work = tmp_path / "work"  # the app's working directory: where exports default to
    work.mkdir()
    exit_file = tmp_path / "exit-status"
    session = f"capslice-walk-{uuid.uuid4().hex[:8]}"
    shell = (
        f"cd {shlex.quote(str(work))} && env TERM=linux NO_COLOR=1 CAPSLICE_USER=walker"
        f" {shlex.quote(command)} --store {shlex.quote(str(store))} tui;"
        f" echo $? > {shlex.quote(str(exit_file))}"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", shell], check=True
    )

    def wait(needle: str, where: str) -> str:
        return _check(_wait_for(session, needle), where)

    try:
        wait("3 runs", "runs")
        # trend: every run of the highlighted run's model, over steps
        _keys(session, "m")
        wait("Checkpoint trend", "menu")
        _keys(session, "k")
        wait("0 marked", "trend runs")
        _keys(session, "Enter")
        screen = wait("Trend by task", "trend")
        assert "ALL" in screen
        _keys(session, "b")
        wait("0 marked", "trend runs again")
        _keys(session, "q")
        wait("3 runs", "runs again")

        # compare base -> cand, then diagnose the pair
        _keys(session, "c")
        wait("base: base (bbh)", "base marked")
        _keys(session, "Down", "c")
        screen = wait(" tested ", "compare")
        assert "base base -> cand cand" in screen
        _keys(session, "d")
        wait("verdict:", "diagnose")
        _keys(session, "q")
        wait(" tested ", "compare again")
        _keys(session, "q")
        wait("3 runs", "runs after compare")

        # plan of the highlighted run (the form comes filled in with it and its benchmark;
        # catalog and budget empty: capslice knows none for this non-demo store, 4f76f63);
        # a stray Ctrl+Tab (mintty) must not type into the form
        _keys(session, "Up")  # from cand, where compare left the cursor, to base
        _keys(session, "m")
        wait("Sampling plan", "menu")
        _keys(session, "p")
        wait("baseline |base ", "plan form")
        _type(session, "\x1b[1;5I\x1b[99~")
        _keys(session, "Enter")  # refused: the status names both missing fields, no plan
        screen = wait("fill in catalog", "plan refused")
        assert "budget" in screen and "x: export" not in screen
        assert "[1;5I" not in screen and "basec" not in screen
        # Tab from baseline over benchmark to catalog, then budget; Enter plans
        _keys(session, "Tab", "Tab")
        _type(session, str(sample_data_dir() / "catalog.yaml"))
        _keys(session, "Tab")
        _type(session, str(DEMO_BUDGET_TOKENS))
        _keys(session, "Enter")
        screen = wait("x: export", "plan")
        assert "[1;5I" not in screen and "basec" not in screen
        # export it (yaml) to the default file
        _keys(session, "x")
        wait("Export the plan for base", "export form")
        _keys(session, "Down", "Enter")
        wait("plan-base.yaml", "export file")
        _keys(session, "Enter")
        wait("wrote plan-base.yaml", "export written")
        assert "cell id -> weight" in (work / "plan-base.yaml").read_text()

        # a new intervention with the plan attached, then accept and link
        _keys(session, "n")
        wait("plan attached", "intervention form")
        _type(session, "more counting data")
        _keys(session, "Tab")
        _type(session, "counting data lifts counting")
        _keys(session, "Tab", "Tab", "Tab")
        _type(session, "task_type=counting_arithmetic")
        _keys(session, "Enter")
        wait("status: proposed", "intervention recorded")
        _keys(session, "a")
        wait("note for accepting", "accept note")
        _keys(session, "Enter")
        wait("Accept intervention", "accept question")
        _keys(session, "y")
        wait("status: accepted", "accepted")
        _keys(session, "l")
        screen = wait("runs · Up/Down, Enter", "run picker")
        assert "cand" in screen
        _keys(session, "Enter")
        screen = wait("result: cand", "linked")
        assert "verdict:" in screen

        # back to the runs, and re-score the highlighted run (a preview first)
        _keys(session, "q")
        wait("x: export", "plan again")
        _keys(session, "q")
        wait("3 runs", "runs at the end")
        _keys(session, "e")
        wait("preview only: nothing was written", "rescore preview")
        _keys(session, "q")
        wait("3 runs", "runs after rescore")
        _keys(session, "q")
        status = _wait_for(session, "", exit_file=exit_file)
        assert status.strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)

    from capslice_tui.workspace import Workspace

    (rec,) = Workspace(store).interventions()
    assert (rec["status"], rec["result_run"], rec["author"]) == ("evaluated", "cand", "walker")
