"""``capslice CMD | head -1``: a reader that stops early is no error. The command ends
quietly (nothing on stderr, no traceback) with its own exit status: 0, or ``diagnose
--fail-on``'s code when the condition holds (click exited 1 on EPIPE, which a CI gate read
as an error)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest
from demo_store import bbh_pair_and_math_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bbh_pair_and_math_store(tmp_path_factory.mktemp("pipe"))


def _read_one_line_then_close(args: list[str]) -> tuple[int, str, bytes]:
    """Run ``python -m capslice_tui ARGS`` into a pipe of one page (4 KiB, so any output
    longer than that meets the closed pipe), read one line and close the pipe (as ``head -1``
    does): its exit status, its stderr and the line."""
    read_fd, write_fd = os.pipe()
    fcntl.fcntl(read_fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 4096)
    proc = subprocess.Popen(
        [sys.executable, "-m", "capslice_tui", *args],
        stdout=write_fd,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"},
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as reader:
        line = reader.readline()
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    return proc.wait(timeout=120), err, line


def test_listing_into_a_closed_pipe_exits_0_quietly(store: Path) -> None:
    args = ["--store", str(store), "samples", "--run", "bbh-base", "--limit", "10000"]
    for fmt in ("json", "table"):
        status, err, line = _read_one_line_then_close([*args, "--format", fmt])
        assert line.strip(), fmt
        assert (status, err) == (0, ""), fmt


def test_a_gate_keeps_its_exit_code_when_the_reader_stops_early(store: Path) -> None:
    # the EOS pair is not_data: --fail-on not_data exits 4 whether or not the output is read
    args = ["--store", str(store), "diagnose", "bbh-base", "bbh-eos-masked", "--benchmark"]
    for fmt in ("json", "table"):
        status, err, line = _read_one_line_then_close(
            [*args, "bbh", "--fail-on", "not_data", "--format", fmt]
        )
        assert line.strip(), fmt
        assert (status, err) == (4, ""), fmt
