"""End to end: ``capslice discover`` on the real BBH chain-of-thought run (issue 10).

Discovery must find what the task labels miss: at most a third of the suggestions may restate
a task (each marked so, in the JSON and in the table), the rest are folded; the generations
cut off before an answer, spread over several tasks, remain one suggestion.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
COT = SHARED / "bbh" / "outputs" / "code-davinci-002_cot.jsonl"

pytestmark = pytest.mark.skipif(
    not COT.exists(), reason=f"real BBH log not found at {COT} (see ../shared/data/PROVENANCE.md)"
)


def capslice(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI as a user would (a subprocess), failing loudly on error."""
    proc = subprocess.run(
        [sys.executable, "-m", "capslice_tui", "--store", str(store), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        timeout=600,
    )
    assert proc.returncode == 0, f"capslice {' '.join(args)} failed:\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def cot_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("bbh-discover") / "bbh.db"
    capslice(store, "ingest", str(COT), "--run", "cot", "--benchmark", "bbh")
    return store


def test_bbh_cot_suggestions_new_restating_folded_truncated_found(cot_store: Path) -> None:
    data = json.loads(capslice(cot_store, "discover", "--run", "cot", "--format", "json").stdout)
    rows = data["suggestions"]
    assert data["structure"] == "clear" and rows
    # one rule: every group that restates a label is folded, none shown (walk 9 #23)
    assert not [s["name"] for s in rows if s["novelty"]["restates"]]
    # the folded groups say what they restate and list their doc ids like any suggestion
    for f in data["folded"]:
        assert f["restates"] and f["jaccard"] >= 0.7 and f["doc_ids"]
        assert f["novelty"]["relation"] == f"restates {f['restates']}"
    assert any("restate existing labels and are folded" in n for n in data["notes"]) == bool(
        data["folded"]
    )
    # generations cut off before an answer, across tasks, remain one suggestion
    truncated = [
        s
        for s in rows
        if s["failure_modes"].get("truncated", 0) >= 0.9 * s["size"] and len(s["groups"]) >= 3
    ]
    assert truncated and truncated[0]["error_rate"] >= 0.9
    # descriptions are words, never the digits of the answers
    assert not any(ch.isdigit() for s in rows for t in s["top_terms"] for ch in t)
    for s in rows:
        # doc ids repeat across BBH tasks: per task they name every member item once
        assert sum(len(ids) for ids in s["doc_ids_by_task"].values()) == s["n_items"]
        assert 1 <= len(s["representatives"]) <= 3
    assert data["k_reason"].startswith(f"k={data['k']}")

    # the table a person reads marks the same rows, and says how k was chosen
    text = capslice(cot_store, "discover", "--run", "cot").stdout
    assert data["k_reason"] in " ".join(text.split())
    # no row says it restates a label: the fold note names the labels of the folded groups
    lines = text.splitlines()  # title, header, one line per suggestion, then the notes
    assert not [x for x in lines[2 : 2 + len(rows)] if "restates " in x], text
    if data["folded"]:
        note = [n for n in data["notes"] if "restate existing labels and are folded" in n]
        assert note and str(data["folded"][0]["restates"]) in note[0]
