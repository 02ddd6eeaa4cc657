"""End to end on a Linux-console terminal: the real ``capslice tui`` under ``TERM=linux
NO_COLOR=1`` in an 80x24 tmux pane draws only glyphs of the console fonts, marks the cursor
row with ``>``, and reaches the trend view with plain keys."""

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

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _keys(session: str, *keys: str) -> None:
    for key in keys:
        subprocess.run(["tmux", "send-keys", "-t", session, key], check=True)


def _console_only(screen: str, where: str) -> None:
    bad = foreign_glyphs(screen)
    assert not bad, f"{where}: glyphs outside the console fonts {sorted(bad)!r}:\n{screen}"


def test_linux_console_walk_to_the_trend(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    exe = Path(sys.executable).with_name("capslice")
    command = str(exe) if exe.exists() else shutil.which("capslice")
    if command is None:
        pytest.skip("the capslice command is not installed in this environment")
    exit_file = tmp_path / "exit-status"
    session = f"capslice-console-{uuid.uuid4().hex[:8]}"
    shell = (
        f"env TERM=linux NO_COLOR=1 {shlex.quote(command)} --store {shlex.quote(str(store))}"
        f" tui; echo $? > {shlex.quote(str(exit_file))}"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", shell], check=True
    )
    try:
        screen = _wait_for(session, "3 runs")
        _console_only(screen, "runs")
        assert any(line.startswith(">base") for line in screen.splitlines()), screen
        _keys(session, "m")
        screen = _wait_for(session, "Checkpoint trend")
        _console_only(screen, "menu")
        _keys(session, "k")
        _wait_for(session, "0 marked")  # the runs have loaded
        _keys(session, "Enter")  # every run of the highlighted run's model
        screen = _wait_for(session, "Trend by task")
        _console_only(screen, "trend")
        assert "ALL" in screen and "[" in screen and "*" in screen  # interval bar
        _keys(session, "b")
        _wait_for(session, "0 marked")
        _keys(session, "q")
        _wait_for(session, "3 runs")
        _keys(session, "q")
        status = _wait_for(session, "", exit_file=exit_file)
        assert status.strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
