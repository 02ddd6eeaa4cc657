"""Counts read in the number they take: ``1 item``, never ``1 items`` (nor ``1 samples``,
``1 runs``, ``1 slices``), in the printed output of the commands and screens that count
them; one helper (``formatting.plural``) words them all."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from capslice_tui.app.screens.slices import slice_detail
from capslice_tui.cli import main
from capslice_tui.formatting import plural
from capslice_tui.workspace import Workspace

ONE_PLURAL = re.compile(r"\b1 (items|samples|runs|slices)\b")


def test_plural_words_a_count_in_its_number() -> None:
    assert [plural(n, "item") for n in (0, 1, 2)] == ["0 items", "1 item", "2 items"]
    assert plural(np.int64(1), "sample") == "1 sample"  # numpy counts too
    assert plural(12345, "sample", ",") == "12,345 samples"
    assert plural(1, "weak slice") == "1 weak slice" and plural(3, "query") == "3 queries"
    assert plural("?", "item") == "? items" and plural(True, "run") == "True runs"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs base/after over number theory and algebra (40 items each); intervention 1 targets
    number_theory & integer (no item: not tested) against one control, algebra."""
    tmp = tmp_path_factory.mktemp("plural")
    path = tmp / "w.db"
    ws = Workspace(path)
    for run, right in (("base", (10, 25)), ("after", (15, 22))):
        lines = [
            {"task": task, "doc_id": doc, "target": "7", "correct": doc < n,
             "response": "The answer is 7." if doc < n else "The answer is 3."}
            for task, n in zip(("minerva_math_num_theory", "minerva_math_algebra"), right,
                               strict=True)
            for doc in range(40)
        ]  # fmt: skip
        log = tmp / f"{run}.jsonl"
        log.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
        ws.ingest([log], run=run, benchmark="math")
    # straight into the store: the workspace refuses a target with no item (walk 9 #38), an
    # older store may hold one
    rec = ws.store.create_intervention(
        title="nt", hypothesis="h", baseline_run="base", benchmark="math",
        target_slices=[{"task_type": "number_theory", "output_constraint": "integer"}],
        control_slices=[{"task_type": "algebra"}], author="alice",
    )  # fmt: skip
    ws.accept_intervention(rec["id"], who="bob")
    ws.link_intervention(rec["id"], "after", who="bob")
    return path


def _run(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.output


def test_intervention_outcome_counts_one_slice(store: Path) -> None:
    out = _run(store, "intervention", "show", "1")
    assert "BH over 1 slice at q=0.05" in out, out
    assert not ONE_PLURAL.search(out), ONE_PLURAL.findall(out)


def test_labelling_one_item_says_one_item(store: Path) -> None:
    item = Workspace(store).samples("base", limit=1)[0][0]["item_id"]
    out = _run(
        store, "label", "set", "--items", str(item), "--axis", "task_type", "--value", "geometry"
    )
    assert "1 label changed on 1 item by" in out, out
    assert not ONE_PLURAL.search(out), ONE_PLURAL.findall(out)


def test_slices_screen_detail_counts_one_item() -> None:
    row = SimpleNamespace(key={"task": "x"}, n_items=1, score=1.0, lo=0.2065, hi=1.0,
                          correct=1.0, n_samples=1, average="micro", warning=None,
                          pass_at_k={}, lenient=None)  # fmt: skip
    text = slice_detail(row, False, "task")
    assert "· 1 item ·" in text and not ONE_PLURAL.search(text), text


def test_ingesting_and_deleting_a_one_sample_run(tmp_path: Path) -> None:
    log = tmp_path / "one.jsonl"
    log.write_text(json.dumps({"task": "t", "doc_id": 0, "target": "7", "correct": True,
                               "response": "The answer is 7."}) + "\n")  # fmt: skip
    store = tmp_path / "one.db"
    out = _run(store, "ingest", str(log), "--run", "one", "--benchmark", "toy")
    assert "one: 1 new sample (" in out, out
    out += _run(store, "delete-run", "one", "--yes")
    assert "deleted one: 1 sample" in out, out
    assert not ONE_PLURAL.search(out), ONE_PLURAL.findall(out)
