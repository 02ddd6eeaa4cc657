"""End to end on the real logs in ../shared/data: re-scoring a freshly ingested run changes
nothing (ingest and rescore share one scoring path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"

pytestmark = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"shared evaluation logs not found at {SHARED}"
)


def capslice(store: Path, *args: str) -> str:
    """Run the CLI as a user would; fail loudly on error; return stdout."""
    proc = subprocess.run(
        [sys.executable, "-m", "capslice_tui", "--store", str(store), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=600,
    )
    assert proc.returncode == 0, f"capslice {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout


@pytest.mark.parametrize(
    ("path", "benchmark", "run"),
    [
        ("math/qwen25math_math_cot_100x8.jsonl", "math", "qwen"),
        ("gsm8k/example_model_solutions.jsonl", "gsm8k", "gsm/175b_verification"),
    ],
)
def test_rescore_of_a_fresh_ingest_changes_nothing(
    tmp_path: Path, path: str, benchmark: str, run: str
) -> None:
    store = tmp_path / "real.db"
    capslice(store, "ingest", str(SHARED / path), "--run", run.split("/")[0],
             "--benchmark", benchmark)  # fmt: skip
    report = json.loads(capslice(store, "rescore", "--run", run, "--format", "json"))
    assert report["n_samples"] > 0
    assert report["n_changed"] == 0, report["summary"]
    assert report["lenient_before"] == report["lenient_after"]
