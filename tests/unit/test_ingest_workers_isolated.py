"""The worker-process ingest cases (``ingest_workers_cases.py``, ``ingest_workers_app_cases.py``)
run in a pytest process of their own.

Their workers are forks of the process that runs them. Forked from the shared test process,
they inherit what hundreds of earlier tests left there (scoring pools, a forkserver, buffered
output), which a ``capslice ingest`` process never holds: once in CI a worker failed with
"can only test a child process" and a fork flushed the session's output twice. A fresh process
gives the workers what the CLI gives them; any failing case fails this test with its output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "cases", ["unit/ingest_workers_cases.py", "app/ingest_workers_app_cases.py"]
)
def test_worker_ingest_cases_pass_in_a_fresh_process(cases: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(TESTS / cases), "-q", "-p", "no:cacheprovider"],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    # 0: every case collected ran and passed (no case collected exits 5)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
