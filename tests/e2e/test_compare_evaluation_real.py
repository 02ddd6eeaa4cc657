"""End to end on the real BBH pair: compare of answer-only against chain-of-thought prompting
says the evaluation differs (the same check as diagnose's NOT_DATA (evaluation changed))."""

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
    """Run the CLI as a user would (a subprocess), failing loudly on error; its stdout."""
    proc = subprocess.run(
        [sys.executable, "-m", "capslice_tui", "--store", str(store), *args],
        capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, f"capslice {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout


def test_compare_of_the_bbh_pair_says_the_prompting_differs(tmp_path: Path) -> None:
    store = tmp_path / "bbh.db"
    out = SHARED / "bbh" / "outputs"
    for run, name in (("bbh-cot", "cot"), ("bbh-direct", "direct")):
        log = str(out / f"code-davinci-002_{name}.jsonl")
        capslice(store, "ingest", log, "--run", run, "--benchmark", "bbh")
    warning = (
        "evaluation differs: the prompts of 6,511 of 6,511 items differ: prompting "
        "answer_only_3shot vs cot_3shot; differences may come from the evaluation, not the "
        "model (see capslice diagnose bbh-direct bbh-cot)"
    )
    payload = json.loads(capslice(store, "compare", "bbh-direct", "bbh-cot", "--format", "json"))
    assert payload["evaluation_warning"] == warning
    assert warning in capslice(store, "compare", "bbh-direct", "bbh-cot")
