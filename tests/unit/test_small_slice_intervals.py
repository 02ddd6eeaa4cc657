"""A slice under the minimum size whose items have several samples each is printed without
an interval (a bootstrap over a handful of items is not one to stand behind), and the
slices note says why; a greedy small slice keeps its Wilson interval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run ``multi``: task small (6 items) and task big (12 items), 8 samples per item, a few
    right; run ``greedy``: the same tasks, one sample per item."""
    tmp = tmp_path_factory.mktemp("small")
    path = tmp / "s.db"
    ws = Workspace(path)
    for run, samples in (("multi", 8), ("greedy", 1)):
        lines = [
            {"task": task, "doc_id": doc, "sample_idx": k, "target": "7",
             "correct": (doc + k) % 5 == 0, "response": "The answer is 7."}
            for task, n_items in (("small", 6), ("big", 12))
            for doc in range(n_items) for k in range(samples)
        ]  # fmt: skip
        log = tmp / f"{run}.jsonl"
        log.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
        ws.ingest([log], run=run, benchmark="toy")
    return path


def _slices(store: Path, run: str) -> tuple[dict[str, list[str]], str]:
    res = CliRunner().invoke(
        main, ["--store", str(store), "slices", "--run", run], env={"COLUMNS": "120"}
    )
    assert res.exit_code == 0, res.output
    return {line.split()[0]: line.split() for line in res.output.splitlines() if line}, res.output


def test_small_multi_sample_slice_prints_no_interval_and_says_why(store: Path) -> None:
    rows, out = _slices(store, "multi")
    assert rows["small"][1] == "6" and rows["small"][3] == "-", out  # n, score, 95% CI
    assert rows["big"][3].startswith("["), out
    text = " ".join(out.split())
    assert (
        "1 of 2 slices is below the minimum slice size 10 items: reported, not tested (no "
        "interval where items have several samples and their accuracies vary: a bootstrap over "
        "so few items cannot be trusted; where each item is all right or all wrong, a Wilson "
        "interval over items)"
    ) in text
    assert "no interval: too few items for a bootstrap over items" in text


def test_small_greedy_slice_keeps_its_wilson_interval(store: Path) -> None:
    rows, out = _slices(store, "greedy")
    assert rows["small"][1] == "6" and rows["small"][3].startswith("["), out
    assert "their intervals rest on few items" in " ".join(out.split())
