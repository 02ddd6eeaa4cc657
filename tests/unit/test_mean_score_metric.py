"""Scores between 0 and 1 are named a mean score, never an accuracy (walk 7: a generic log's
``score: 0.7`` rows printed ``metric: accuracy (mean over samples)`` beside 45.0%)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from capslice_tui.analysis.metrics import slice_score
from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


def test_slice_score_names_fractional_scores() -> None:
    n = np.ones(4)
    assert slice_score(n, np.array([0.7, 0.2, 1.0, 0.0])).metric_name == "mean score"
    assert (
        slice_score(n, np.array([1.0, 0.0, 1.0, 0.0])).metric_name
        == "accuracy (one sample per item)"
    )
    two = np.full(4, 2.0)  # two 0/1 samples per item: a share of right answers
    assert slice_score(two, np.array([1.0, 2.0, 0.0, 1.0])).metric_name == (
        "accuracy (mean of per-item accuracies)"
    )


def test_cli_and_runs_name_a_mean_score(tmp_path: Path) -> None:
    log = tmp_path / "f.jsonl"
    rows = [
        {"id": i, "question": f"q{i}?", "response": "x", "target": "y", "score": s}
        for i, s in enumerate([0.7, 0.2, 1.0, 0.0])
    ]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    store = tmp_path / "s.db"
    Workspace(store).ingest([log], run="r")
    runs = Workspace(store).runs()
    assert [b["metric"] for r in runs for b in r["benchmarks"].values()] == ["mean score"]
    # a 0/1 lenient re-scoring is another measure than a mean of fractional scores (walk 8:
    # 'lenient 25.0%' beside 'score 47.5%' read as -22.5 points lost to extraction)
    table = Workspace(store).slices("r", by=["task"])
    assert table.overall.lenient is None and all(r.lenient is None for r in table.rows)
    out = CliRunner().invoke(main, ["--store", str(store), "slices", "--run", "r"])
    assert out.exit_code == 0, out.output
    assert "mean score" in out.output
    assert "accuracy" not in out.output
    runs_out = CliRunner().invoke(main, ["--store", str(store), "runs"])
    assert runs_out.exit_code == 0, runs_out.output
    assert "47.5% mean score (1.9/4)" in runs_out.output  # walk 8: read '47.5% (1.9/4)'


def test_sample_view_claims_no_harness_extraction_it_did_not_see(tmp_path: Path) -> None:
    """Walk 8: ``sample`` labelled capslice's own strict extraction 'extracted (harness)'."""
    log = tmp_path / "g.jsonl"
    log.write_text(json.dumps({"id": 1, "question": "2+2?", "output": "4", "gold": "4"}) + "\n")
    store = tmp_path / "s.db"
    Workspace(store).ingest([log], run="g")
    out = CliRunner().invoke(main, ["--store", str(store), "sample", "1"])
    assert out.exit_code == 0, out.output
    assert "capslice-strict" in out.output
    assert "extracted (harness)" not in out.output and "extracted" in out.output
