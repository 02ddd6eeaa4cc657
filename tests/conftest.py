"""Session-wide test settings: the taxonomy cache goes to a temporary folder, never to the
user's ``~/.cache/capslice`` (subprocesses of the CLI inherit the variable)."""

from __future__ import annotations

import os
import shutil
import tempfile

_CACHE_DIR = tempfile.mkdtemp(prefix="capslice-test-cache-")


def pytest_configure(config: object) -> None:
    os.environ["CAPSLICE_CACHE_DIR"] = _CACHE_DIR


def pytest_unconfigure(config: object) -> None:
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)
