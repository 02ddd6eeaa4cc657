"""End to end: the real ``capslice tui`` in a detached 80x24 tmux session, driven by keys."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

from lmeval_files import build_store  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
DEADLINE_S = 20.0


def _capture(session: str) -> str:
    out = subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
    )
    return out.stdout


def _wait_for(session: str, needle: str, exit_file: Path | None = None) -> str:
    """Poll the pane until ``needle`` shows (or ``exit_file`` appears); fail at the deadline."""
    end = time.monotonic() + DEADLINE_S
    screen = ""
    while time.monotonic() < end:
        # the shell creates the file before `echo` writes the status into it: wait for the text
        if exit_file is not None and exit_file.exists() and exit_file.read_text().strip():
            return exit_file.read_text()
        screen = _capture(session)
        if exit_file is None and needle in screen:
            return screen
        time.sleep(0.1)
    pytest.fail(f"waited {DEADLINE_S}s for {needle!r}; the pane shows:\n{screen}")


def test_tui_in_tmux_navigates_and_quits(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    exe = Path(sys.executable).with_name("capslice")
    command = str(exe) if exe.exists() else shutil.which("capslice")
    if command is None:
        pytest.skip("the capslice command is not installed in this environment")
    exit_file = tmp_path / "exit-status"
    session = f"capslice-e2e-{uuid.uuid4().hex[:8]}"
    shell = (
        f"{shlex.quote(command)} --store {shlex.quote(str(store))} tui;"
        f" echo $? > {shlex.quote(str(exit_file))}"
    )
    env = {**os.environ, "TERM": "xterm-256color"}
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", shell],
        check=True,
        env=env,
    )
    try:
        screen = _wait_for(session, "3 runs")
        assert "base" in screen and "74.0%" in screen and "37/50" in screen
        subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)
        screen = _wait_for(session, "by task")
        assert "boolean_expressions" in screen and "19/25" in screen
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        _wait_for(session, "3 runs")
        subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)
        _wait_for(session, "by task")
        subprocess.run(["tmux", "send-keys", "-t", session, "b"], check=True)
        _wait_for(session, "3 runs")
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        status = _wait_for(session, "", exit_file=exit_file)
        assert status.strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
